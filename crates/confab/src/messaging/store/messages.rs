//! Messages and their reactions: history, edits, recalls.

use chrono::{DateTime, Utc};
use confab_proto::ids::{ConversationId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::entities::{messages, reactions};
use super::{Message, message_of};
use crate::infra::store::{StoreError, to_ms};

/// The message at each (conversation, seq), in one query per 200 pairs; pairs with no
/// stored message are left out.
pub async fn messages_at(
    db: &impl ConnectionTrait,
    at: &[(ConversationId, i64)],
) -> Result<Vec<Message>, StoreError> {
    let mut out = Vec::with_capacity(at.len());
    for chunk in at.chunks(200) {
        let mut any = Condition::any();
        for (conv, seq) in chunk {
            any = any.add(
                Condition::all()
                    .add(messages::Column::ConversationId.eq(conv.0))
                    .add(messages::Column::Seq.eq(*seq)),
            );
        }
        out.extend(
            messages::Entity::find()
                .filter(any)
                .all(db)
                .await?
                .into_iter()
                .map(message_of),
        );
    }
    Ok(out)
}

/// For each `(conversation, lo, hi)`: its messages with `lo < seq <= hi` stored at or after
/// `since` (store time), in one query per 100 ranges. The caller bounds the ranges: at most
/// `hi - lo` rows each.
pub async fn messages_in_ranges(
    db: &impl ConnectionTrait,
    ranges: &[(ConversationId, i64, i64)],
    since: DateTime<Utc>,
) -> Result<Vec<Message>, StoreError> {
    let mut out = Vec::new();
    for chunk in ranges.chunks(100) {
        let mut any = Condition::any();
        let mut some = false;
        for (conv, lo, hi) in chunk {
            if hi <= lo {
                continue;
            }
            some = true;
            any = any.add(
                Condition::all()
                    .add(messages::Column::ConversationId.eq(conv.0))
                    .add(messages::Column::Seq.gt(*lo))
                    .add(messages::Column::Seq.lte(*hi)),
            );
        }
        if !some {
            continue;
        }
        out.extend(
            messages::Entity::find()
                .filter(any)
                .filter(messages::Column::CreatedAt.gte(to_ms(since)))
                .all(db)
                .await?
                .into_iter()
                .map(message_of),
        );
    }
    Ok(out)
}

/// Messages with `lo < seq <= hi`: ascending from `lo` when `ascending`, else the newest
/// first from `hi`; at most `limit`.
pub async fn list_messages(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    lo: i64,
    hi: i64,
    ascending: bool,
    limit: u64,
) -> Result<Vec<Message>, StoreError> {
    if hi <= lo {
        return Ok(Vec::new());
    }
    let q = messages::Entity::find()
        .filter(messages::Column::ConversationId.eq(conv.0))
        .filter(messages::Column::Seq.gt(lo))
        .filter(messages::Column::Seq.lte(hi));
    let q = if ascending {
        q.order_by_asc(messages::Column::Seq)
    } else {
        q.order_by_desc(messages::Column::Seq)
    };
    let mut rows: Vec<Message> = q
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(message_of)
        .collect();
    rows.sort_by_key(|m| m.seq);
    Ok(rows)
}

/// One message.
pub async fn find_message(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    seq: i64,
) -> Result<Option<Message>, StoreError> {
    Ok(messages::Entity::find_by_id((conv.0, seq))
        .one(db)
        .await?
        .map(message_of))
}

/// The message with global id `id`, stored between `from` and `to` (a range over
/// `ix_messages_created_at`: messages are keyed by conversation and seq, not by id).
pub async fn find_message_by_id(
    db: &impl ConnectionTrait,
    id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Option<Message>, StoreError> {
    Ok(messages::Entity::find()
        .filter(messages::Column::CreatedAt.gte(to_ms(from)))
        .filter(messages::Column::CreatedAt.lte(to_ms(to)))
        .filter(messages::Column::Id.eq(id))
        .one(db)
        .await?
        .map(message_of))
}

/// Every reaction to a message as (user, emoji), oldest first.
pub async fn list_reactions(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    seq: i64,
) -> Result<Vec<(UserId, String)>, StoreError> {
    Ok(reactions::Entity::find()
        .filter(reactions::Column::ConversationId.eq(conv.0))
        .filter(reactions::Column::Seq.eq(seq))
        .order_by_asc(reactions::Column::CreatedAt)
        .order_by_asc(reactions::Column::UserId)
        .all(db)
        .await?
        .into_iter()
        .map(|r| (UserId(r.user_id), r.emoji))
        .collect())
}

/// Messages stored at or after `since` (a range over `ix_messages_created_at`).
pub async fn count_messages_since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let n = messages::Entity::find()
        .filter(messages::Column::CreatedAt.gte(to_ms(since)))
        .count(db)
        .await?;
    Ok(n)
}

/// Replaces the body of a message that is not recalled and stamps `edited_at`. Returns
/// whether it changed (false: recalled meanwhile, or gone).
pub async fn edit_message(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    seq: i64,
    body: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = messages::Entity::update_many()
        .col_expr(messages::Column::Body, Expr::value(body))
        .col_expr(messages::Column::EditedAt, Expr::value(to_ms(now)))
        .filter(messages::Column::ConversationId.eq(conv.0))
        .filter(messages::Column::Seq.eq(seq))
        .filter(messages::Column::RecalledAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Recalls a message: body `{}`, `recalled_at` stamped, its reactions dropped. Returns
/// whether this call recalled it (false: already recalled, or gone).
pub async fn recall_message(
    db: &DatabaseConnection,
    conv: ConversationId,
    seq: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let txn = db.begin().await?;
    let r = messages::Entity::update_many()
        .col_expr(messages::Column::Body, Expr::value("{}"))
        .col_expr(messages::Column::RecalledAt, Expr::value(to_ms(now)))
        .filter(messages::Column::ConversationId.eq(conv.0))
        .filter(messages::Column::Seq.eq(seq))
        .filter(messages::Column::RecalledAt.is_null())
        .exec(&txn)
        .await?;
    if r.rows_affected == 1 {
        reactions::Entity::delete_many()
            .filter(reactions::Column::ConversationId.eq(conv.0))
            .filter(reactions::Column::Seq.eq(seq))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(r.rows_affected == 1)
}

/// Sets a user's one reaction to a message, replacing any previous one.
pub async fn put_reaction(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    seq: i64,
    user: UserId,
    emoji: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::OnConflict;
    reactions::Entity::insert(reactions::ActiveModel {
        conversation_id: Set(conv.0),
        seq: Set(seq),
        user_id: Set(user.0),
        emoji: Set(emoji.to_owned()),
        created_at: Set(to_ms(now)),
    })
    .on_conflict(
        OnConflict::columns([
            reactions::Column::ConversationId,
            reactions::Column::Seq,
            reactions::Column::UserId,
        ])
        .update_columns([reactions::Column::Emoji, reactions::Column::CreatedAt])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Removes a user's reaction to a message. Returns whether there was one.
pub async fn delete_reaction(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    seq: i64,
    user: UserId,
) -> Result<bool, StoreError> {
    let r = reactions::Entity::delete_many()
        .filter(reactions::Column::ConversationId.eq(conv.0))
        .filter(reactions::Column::Seq.eq(seq))
        .filter(reactions::Column::UserId.eq(user.0))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}
