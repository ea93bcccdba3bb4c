//! Room admins, kicks (re-entry bans) and chat mutes.

use chrono::{DateTime, Utc};
use confab_proto::ids::{RoomId, UserId};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::entities::{admins, kicks, mutes};
use crate::infra::store::{StoreError, from_ms, to_ms};

/// Whether `user` is an admin of `room`.
pub async fn is_admin(
    db: &impl ConnectionTrait,
    room: RoomId,
    user: UserId,
) -> Result<bool, StoreError> {
    Ok(admins::Entity::find_by_id((room.0, user.0))
        .one(db)
        .await?
        .is_some())
}

/// The admins of `room`.
pub async fn admins(db: &impl ConnectionTrait, room: RoomId) -> Result<Vec<UserId>, StoreError> {
    Ok(admins::Entity::find()
        .filter(admins::Column::RoomId.eq(room.0))
        .all(db)
        .await?
        .into_iter()
        .map(|r| UserId(r.user_id))
        .collect())
}

/// Makes `user` an admin; whether they were not one.
pub async fn add_admin(
    db: &impl ConnectionTrait,
    room: RoomId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if is_admin(db, room, user).await? {
        return Ok(false);
    }
    admins::Entity::insert(admins::ActiveModel {
        room_id: Set(room.0),
        user_id: Set(user.0),
        created_at: Set(to_ms(now)),
    })
    .exec_without_returning(db)
    .await?;
    Ok(true)
}

/// Removes an admin; whether they were one.
pub async fn remove_admin(
    db: &impl ConnectionTrait,
    room: RoomId,
    user: UserId,
) -> Result<bool, StoreError> {
    Ok(admins::Entity::delete_by_id((room.0, user.0))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// A kick: re-entry refused until `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kick {
    /// Until.
    pub until: DateTime<Utc>,
    /// Why.
    pub reason: Option<String>,
}

/// `user`'s kick from `room`, in force or not.
pub async fn find_kick(
    db: &impl ConnectionTrait,
    room: RoomId,
    user: UserId,
) -> Result<Option<Kick>, StoreError> {
    Ok(kicks::Entity::find_by_id((room.0, user.0))
        .one(db)
        .await?
        .map(|k| Kick {
            until: from_ms(k.until),
            reason: k.reason,
        }))
}

/// Records (or replaces) a kick.
pub async fn set_kick(
    db: &impl ConnectionTrait,
    room: RoomId,
    user: UserId,
    kick: &Kick,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    kicks::Entity::delete_by_id((room.0, user.0))
        .exec(db)
        .await?;
    kicks::Entity::insert(kicks::ActiveModel {
        room_id: Set(room.0),
        user_id: Set(user.0),
        until: Set(to_ms(kick.until)),
        reason: Set(kick.reason.clone()),
        created_by: Set(by.0),
        created_at: Set(to_ms(now)),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Lifts a kick; whether there was one.
pub async fn delete_kick(
    db: &impl ConnectionTrait,
    room: RoomId,
    user: UserId,
) -> Result<bool, StoreError> {
    Ok(kicks::Entity::delete_by_id((room.0, user.0))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// `user`'s chat mute in `room`: `Some(None)` permanently, `Some(Some(t))` until `t`.
pub async fn find_mute(
    db: &impl ConnectionTrait,
    room: RoomId,
    user: UserId,
) -> Result<Option<Option<DateTime<Utc>>>, StoreError> {
    Ok(mutes::Entity::find_by_id((room.0, user.0))
        .one(db)
        .await?
        .map(|m| m.until.map(from_ms)))
}

/// Records (or replaces) a chat mute; `until` `None`: permanently.
pub async fn set_mute(
    db: &impl ConnectionTrait,
    room: RoomId,
    user: UserId,
    until: Option<DateTime<Utc>>,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    mutes::Entity::insert(mutes::ActiveModel {
        room_id: Set(room.0),
        user_id: Set(user.0),
        until: Set(until.map(to_ms)),
        created_by: Set(by.0),
        created_at: Set(to_ms(now)),
    })
    .on_conflict(
        OnConflict::columns([mutes::Column::RoomId, mutes::Column::UserId])
            .update_columns([
                mutes::Column::Until,
                mutes::Column::CreatedBy,
                mutes::Column::CreatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Lifts a mute; whether there was one.
pub async fn delete_mute(
    db: &impl ConnectionTrait,
    room: RoomId,
    user: UserId,
) -> Result<bool, StoreError> {
    Ok(mutes::Entity::delete_by_id((room.0, user.0))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}
