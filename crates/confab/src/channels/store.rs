//! The channels feature's SQL: the channel registry (slug → conversation) and channel mutes.

use chrono::{DateTime, Utc};
use confab_proto::ids::{ConversationId, UserId};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait,
};

use crate::infra::store::{StoreError, from_ms, to_ms, unique_violation};
use crate::messaging::model::ConversationKind;

mod channels {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "channels")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub slug: String,
        pub conversation_id: i64,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod mutes {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "channel_mutes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub conversation_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i64,
        pub until: Option<i64>,
        pub created_by: i64,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A channel mute as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelMute {
    /// The channel's conversation.
    pub conversation_id: ConversationId,
    /// Who.
    pub user_id: UserId,
    /// Until when; `None`: permanently.
    pub until: Option<DateTime<Utc>>,
}

impl ChannelMute {
    /// Whether it is in force at `now`.
    pub fn in_force(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|u| u > now)
    }
}

// ---------------------------------------------------------------- create

/// The conversation of channel `slug`, created (with `fresh` as its id) if it does not
/// exist. Two nodes racing: both insert in a transaction; the primary key on the slug lets
/// one commit, the other's insert fails (MySQL makes it wait for the winner's commit first),
/// rolls back its conversation and reads the winner's.
pub async fn create_or_find_channel(
    db: &DatabaseConnection,
    slug: &str,
    fresh: ConversationId,
    now: DateTime<Utc>,
) -> Result<ConversationId, StoreError> {
    if let Some(c) = find_channel(db, slug).await? {
        return Ok(c);
    }
    let txn = db.begin().await?;
    crate::messaging::window::create(&txn, fresh, ConversationKind::Channel, now).await?;
    let row = channels::ActiveModel {
        slug: Set(slug.to_owned()),
        conversation_id: Set(fresh.0),
        created_at: Set(to_ms(now)),
    };
    match channels::Entity::insert(row).exec(&txn).await {
        Ok(_) => {
            txn.commit().await?;
            Ok(fresh)
        }
        Err(e) if unique_violation(&e).is_some() => {
            txn.rollback().await?;
            find_channel(db, slug)
                .await?
                .ok_or(StoreError::Db(sea_orm::DbErr::RecordNotFound(slug.into())))
        }
        Err(e) => Err(e.into()),
    }
}

/// Mutes (or re-mutes) a user in a channel.
pub async fn set_mute(
    db: &DatabaseConnection,
    mute: &ChannelMute,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // Delete + insert: the same statements on both databases (no dialect upsert).
    let txn = db.begin().await?;
    mutes::Entity::delete_by_id((mute.conversation_id.0, mute.user_id.0))
        .exec(&txn)
        .await?;
    mutes::ActiveModel {
        conversation_id: Set(mute.conversation_id.0),
        user_id: Set(mute.user_id.0),
        until: Set(mute.until.map(to_ms)),
        created_by: Set(by.0),
        created_at: Set(to_ms(now)),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- read

/// The conversation of channel `slug`.
pub async fn find_channel(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<ConversationId>, StoreError> {
    Ok(channels::Entity::find_by_id(slug.to_owned())
        .one(db)
        .await?
        .map(|c| ConversationId(c.conversation_id)))
}

/// A user's mute row in a channel (in force or expired).
pub async fn find_mute(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    user: UserId,
) -> Result<Option<ChannelMute>, StoreError> {
    Ok(mutes::Entity::find_by_id((conv.0, user.0))
        .one(db)
        .await?
        .map(|m| ChannelMute {
            conversation_id: ConversationId(m.conversation_id),
            user_id: UserId(m.user_id),
            until: m.until.map(from_ms),
        }))
}

// ---------------------------------------------------------------- delete

/// Lifts a user's mute in a channel; `false` if there was none.
pub async fn delete_mute(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    user: UserId,
) -> Result<bool, StoreError> {
    let r = mutes::Entity::delete_by_id((conv.0, user.0))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}
