//! Conversations: direct chats (unique per pair of users) and the conversations groups and
//! channels create.

use chrono::{DateTime, Utc};
use confab_proto::ids::{ConversationId, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};

use super::Conversation;
use super::conversation_of;
use super::entities::conversations;
use crate::infra::store::{StoreError, to_ms, unique_violation};
use crate::messaging::model::ConversationKind;

/// The key that makes a pair's direct chat unique.
pub fn direct_key(a: UserId, b: UserId) -> String {
    let (lo, hi) = if a.0 <= b.0 { (a, b) } else { (b, a) };
    format!("{lo}:{hi}")
}

/// The direct chat of `a` and `b`, created with both as members if it does not exist.
pub async fn create_or_find_direct(
    db: &DatabaseConnection,
    id: ConversationId,
    a: UserId,
    b: UserId,
    now: DateTime<Utc>,
) -> Result<ConversationId, StoreError> {
    let key = direct_key(a, b);
    if let Some(c) = find_direct(db, &key).await? {
        return Ok(c);
    }
    let txn = db.begin().await?;
    let inserted = conversations::ActiveModel {
        id: Set(id.0),
        kind: Set(ConversationKind::Direct),
        direct_key: Set(Some(key.clone())),
        last_seq: Set(0),
        last_message_at: Set(None),
        created_at: Set(to_ms(now)),
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if unique_violation(&e).is_some() => {
            // Another request made it first.
            txn.rollback().await?;
            return find_direct(db, &key)
                .await?
                .ok_or(StoreError::Db(sea_orm::DbErr::RecordNotFound(key)));
        }
        Err(e) => return Err(e.into()),
    }
    let mut users = vec![a];
    if b != a {
        users.push(b);
    }
    for u in users {
        super::members::new_member(id, u, 0, 0, now)
            .insert(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(id)
}

/// Creates a conversation of `kind` (not direct) with no members yet: a group adds its own in
/// the same transaction; a channel's members join lazily.
pub async fn create_conversation(
    txn: &impl ConnectionTrait,
    id: ConversationId,
    kind: ConversationKind,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    conversations::ActiveModel {
        id: Set(id.0),
        kind: Set(kind),
        direct_key: Set(None),
        last_seq: Set(0),
        last_message_at: Set(None),
        created_at: Set(to_ms(now)),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// The direct chat with this key.
pub async fn find_direct(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<ConversationId>, StoreError> {
    Ok(conversations::Entity::find()
        .filter(conversations::Column::DirectKey.eq(key))
        .one(db)
        .await?
        .map(|m| ConversationId(m.id)))
}

/// A conversation.
pub async fn find_conversation(
    db: &impl ConnectionTrait,
    id: ConversationId,
) -> Result<Option<Conversation>, StoreError> {
    Ok(conversations::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .map(conversation_of))
}
