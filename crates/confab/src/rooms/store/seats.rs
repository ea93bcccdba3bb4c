//! Seat rows: a room's board read and written back inside the room's transaction.

use confab_proto::ids::{RoomId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entities::seats;
use crate::infra::store::StoreError;
use crate::rooms::board::{Board, Seat};

fn row(room: RoomId, s: &Seat) -> seats::ActiveModel {
    seats::ActiveModel {
        room_id: Set(room.0),
        position: Set(s.position as i32),
        user_id: Set(s.user.map(|u| u.0)),
        locked: Set(s.locked),
        muted: Set(s.muted),
        mic_on: Set(s.mic_on),
    }
}

/// Inserts a new room's seats.
pub async fn create(db: &impl ConnectionTrait, room: RoomId, b: &Board) -> Result<(), StoreError> {
    seats::Entity::insert_many(b.seats.iter().map(|s| row(room, s)))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The room's board, seats in order.
pub async fn load(db: &impl ConnectionTrait, room: RoomId) -> Result<Board, StoreError> {
    let rows = seats::Entity::find()
        .filter(seats::Column::RoomId.eq(room.0))
        .order_by_asc(seats::Column::Position)
        .all(db)
        .await?;
    Ok(Board {
        seats: rows
            .into_iter()
            .map(|r| Seat {
                position: r.position.max(0) as u32,
                user: r.user_id.map(UserId),
                locked: r.locked,
                muted: r.muted,
                mic_on: r.mic_on,
            })
            .collect(),
    })
}

/// Writes back the seats of `after` that differ from `before`, and deletes seats beyond
/// `after`'s count. Occupants are cleared first, so that moving users between seats never
/// breaks the one-seat-per-user unique key half way.
pub async fn save(
    db: &impl ConnectionTrait,
    room: RoomId,
    before: &Board,
    after: &Board,
) -> Result<(), StoreError> {
    let n = after.seats.len() as i32;
    seats::Entity::delete_many()
        .filter(seats::Column::RoomId.eq(room.0))
        .filter(seats::Column::Position.gt(n))
        .exec(db)
        .await?;
    let changed: Vec<&Seat> = after.changed_since(before).collect();
    let positions: Vec<i32> = changed.iter().map(|s| s.position as i32).collect();
    if positions.is_empty() {
        return Ok(());
    }
    seats::Entity::update_many()
        .col_expr(seats::Column::UserId, Expr::value(Option::<i64>::None))
        .filter(seats::Column::RoomId.eq(room.0))
        .filter(seats::Column::Position.is_in(positions))
        .exec(db)
        .await?;
    for s in changed {
        if before.seats.len() < s.position as usize {
            seats::Entity::insert(row(room, s))
                .exec_without_returning(db)
                .await?;
        } else {
            seats::Entity::update(row(room, s)).exec(db).await?;
        }
    }
    Ok(())
}
