//! Who is in which room now: one row per user (a user is in at most one room), with the
//! time their last socket dropped while the grace period runs.

use chrono::{DateTime, Utc};
use confab_proto::ids::{RoomId, UserId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entities::presence;
use crate::infra::store::{StoreError, from_ms, to_ms};

/// A user in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Present {
    /// The user.
    pub user_id: UserId,
    /// The room.
    pub room_id: RoomId,
    /// Entered.
    pub joined_at: DateTime<Utc>,
    /// Their last socket dropped then.
    pub away_since: Option<DateTime<Utc>>,
}

fn present_of(m: presence::Model) -> Present {
    Present {
        user_id: UserId(m.user_id),
        room_id: RoomId(m.room_id),
        joined_at: from_ms(m.joined_at),
        away_since: m.away_since.map(from_ms),
    }
}

/// The room `user` is in.
pub async fn find(db: &impl ConnectionTrait, user: UserId) -> Result<Option<Present>, StoreError> {
    Ok(presence::Entity::find_by_id(user.0)
        .one(db)
        .await?
        .map(present_of))
}

/// Puts `user` in `room` (fails on the primary key when they are in a room already).
pub async fn insert(
    db: &impl ConnectionTrait,
    user: UserId,
    room: RoomId,
    now: DateTime<Utc>,
    away: bool,
) -> Result<(), StoreError> {
    let t = to_ms(now);
    presence::Entity::insert(presence::ActiveModel {
        user_id: Set(user.0),
        room_id: Set(room.0),
        joined_at: Set(t),
        away_since: Set(away.then_some(t)),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Takes `user` out of `room`; whether they were in it.
pub async fn delete(
    db: &impl ConnectionTrait,
    user: UserId,
    room: RoomId,
) -> Result<bool, StoreError> {
    let r = presence::Entity::delete_many()
        .filter(presence::Column::UserId.eq(user.0))
        .filter(presence::Column::RoomId.eq(room.0))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Everyone in `room`, in order of entry.
pub async fn list_all(db: &impl ConnectionTrait, room: RoomId) -> Result<Vec<Present>, StoreError> {
    Ok(presence::Entity::find()
        .filter(presence::Column::RoomId.eq(room.0))
        .order_by_asc(presence::Column::JoinedAt)
        .order_by_asc(presence::Column::UserId)
        .all(db)
        .await?
        .into_iter()
        .map(present_of)
        .collect())
}

/// A page of `room`'s users after (joined_at, user) of the previous page's last row.
pub async fn page(
    db: &impl ConnectionTrait,
    room: RoomId,
    after: Option<(i64, i64)>,
    limit: u64,
) -> Result<Vec<Present>, StoreError> {
    use presence::Column as C;
    let mut q = presence::Entity::find().filter(C::RoomId.eq(room.0));
    if let Some((t, u)) = after {
        q = q.filter(
            sea_orm::Condition::any()
                .add(C::JoinedAt.gt(t))
                .add(C::JoinedAt.eq(t).and(C::UserId.gt(u))),
        );
    }
    Ok(q.order_by_asc(C::JoinedAt)
        .order_by_asc(C::UserId)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(present_of)
        .collect())
}

/// Marks `user` away since `now` (unless already away).
pub async fn mark_away(
    db: &impl ConnectionTrait,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    presence::Entity::update_many()
        .col_expr(presence::Column::AwaySince, Expr::value(to_ms(now)))
        .filter(presence::Column::UserId.eq(user.0))
        .filter(presence::Column::AwaySince.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Clears the away mark of these users (they have a socket again).
pub async fn mark_back(db: &impl ConnectionTrait, users: &[UserId]) -> Result<(), StoreError> {
    if users.is_empty() {
        return Ok(());
    }
    presence::Entity::update_many()
        .col_expr(
            presence::Column::AwaySince,
            Expr::value(Option::<i64>::None),
        )
        .filter(presence::Column::UserId.is_in(users.iter().map(|u| u.0)))
        .filter(presence::Column::AwaySince.is_not_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Everyone marked away (a short list: users whose socket dropped within the grace).
pub async fn list_away(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<Present>, StoreError> {
    Ok(presence::Entity::find()
        .filter(presence::Column::AwaySince.is_not_null())
        .order_by_asc(presence::Column::AwaySince)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(present_of)
        .collect())
}
