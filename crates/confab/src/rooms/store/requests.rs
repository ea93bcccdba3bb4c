//! Pending seat applications and invitations: one of each kind per user and room (a unique
//! key), deleted when answered, cancelled or found expired.

use chrono::{DateTime, Utc};
use confab_proto::ids::{RoomId, SeatRequestId, UserId};
use confab_proto::rooms::{SeatRequestKind, SeatRequestOut};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entities::requests;
use crate::infra::store::{StoreError, from_ms, to_ms};

fn kind_str(k: SeatRequestKind) -> &'static str {
    match k {
        SeatRequestKind::Application => "application",
        SeatRequestKind::Invitation => "invitation",
    }
}

fn out(m: requests::Model) -> SeatRequestOut {
    SeatRequestOut {
        id: SeatRequestId(m.id),
        room_id: RoomId(m.room_id),
        kind: if m.kind == "invitation" {
            SeatRequestKind::Invitation
        } else {
            SeatRequestKind::Application
        },
        user_id: UserId(m.user_id),
        created_by: UserId(m.created_by),
        position: m.position.map(|p| p.max(0) as u32),
        created_at: from_ms(m.created_at),
        expires_at: from_ms(m.expires_at),
    }
}

/// Stores a request (replacing an expired one of the same kind, which the caller deleted).
pub async fn insert(db: &impl ConnectionTrait, r: &SeatRequestOut) -> Result<(), StoreError> {
    requests::Entity::insert(requests::ActiveModel {
        id: Set(r.id.0),
        room_id: Set(r.room_id.0),
        user_id: Set(r.user_id.0),
        kind: Set(kind_str(r.kind).to_owned()),
        position: Set(r.position.map(|p| p as i32)),
        created_by: Set(r.created_by.0),
        created_at: Set(to_ms(r.created_at)),
        expires_at: Set(to_ms(r.expires_at)),
        voided: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// `user`'s request of `kind` in `room`, expired or not, with why it was voided if it was.
pub async fn find(
    db: &impl ConnectionTrait,
    room: RoomId,
    user: UserId,
    kind: SeatRequestKind,
) -> Result<Option<(SeatRequestOut, Option<String>)>, StoreError> {
    Ok(requests::Entity::find()
        .filter(requests::Column::RoomId.eq(room.0))
        .filter(requests::Column::UserId.eq(user.0))
        .filter(requests::Column::Kind.eq(kind_str(kind)))
        .one(db)
        .await?
        .map(|m| {
            let voided = m.voided.clone();
            (out(m), voided)
        }))
}

/// Marks a request voided (`why`: e.g. `locked`), keeping the row so that its user learns
/// why on answering it.
pub async fn void(
    db: &impl ConnectionTrait,
    id: SeatRequestId,
    why: &str,
) -> Result<bool, StoreError> {
    let r = requests::Entity::update_many()
        .col_expr(
            requests::Column::Voided,
            sea_orm::sea_query::Expr::value(why),
        )
        .filter(requests::Column::Id.eq(id.0))
        .filter(requests::Column::Voided.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Deletes a request; whether it was there.
pub async fn delete(db: &impl ConnectionTrait, id: SeatRequestId) -> Result<bool, StoreError> {
    Ok(requests::Entity::delete_by_id(id.0)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Pending (unexpired at `now`) requests of `kind` in `room`, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    room: RoomId,
    kind: SeatRequestKind,
    now: DateTime<Utc>,
) -> Result<Vec<SeatRequestOut>, StoreError> {
    Ok(requests::Entity::find()
        .filter(requests::Column::RoomId.eq(room.0))
        .filter(requests::Column::Kind.eq(kind_str(kind)))
        .filter(requests::Column::ExpiresAt.gt(to_ms(now)))
        .filter(requests::Column::Voided.is_null())
        .order_by_asc(requests::Column::CreatedAt)
        .order_by_asc(requests::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(out)
        .collect())
}

/// Every request, of either kind, concerning `user` in `room` (to void when they leave).
pub async fn of_user(
    db: &impl ConnectionTrait,
    room: RoomId,
    user: UserId,
) -> Result<Vec<SeatRequestOut>, StoreError> {
    Ok(requests::Entity::find()
        .filter(requests::Column::RoomId.eq(room.0))
        .filter(requests::Column::UserId.eq(user.0))
        .all(db)
        .await?
        .into_iter()
        .map(out)
        .collect())
}

/// Invitations to seat `position` in `room` (to void when it is locked).
pub async fn invitations_to(
    db: &impl ConnectionTrait,
    room: RoomId,
    position: u32,
) -> Result<Vec<SeatRequestOut>, StoreError> {
    Ok(requests::Entity::find()
        .filter(requests::Column::RoomId.eq(room.0))
        .filter(requests::Column::Kind.eq("invitation"))
        .filter(requests::Column::Position.eq(position as i32))
        .filter(requests::Column::Voided.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(out)
        .collect())
}

/// Every request in `room` (to void when it closes).
pub async fn of_room(
    db: &impl ConnectionTrait,
    room: RoomId,
) -> Result<Vec<SeatRequestOut>, StoreError> {
    Ok(requests::Entity::find()
        .filter(requests::Column::RoomId.eq(room.0))
        .all(db)
        .await?
        .into_iter()
        .map(out)
        .collect())
}
