//! What gifts asks of rooms: which conversation is a room's chat (refusing a closed room),
//! and the room's gift counters, moved inside the gift's own transaction (taken after the
//! room chat's conversation lock, as every room change does) so they never drift from the
//! sends that made them.

use confab_proto::gifts::RoomGiftTotals;
use confab_proto::ids::{ConversationId, RoomId};
use sea_orm::{ConnectionTrait, DatabaseTransaction, Statement};

use super::change::db_err;
use super::error::RoomsError;
use super::store;
use crate::error::ApiError;
use crate::state::AppState;

/// The chat of an open room.
pub async fn chat_of(state: &AppState, room: RoomId) -> Result<ConversationId, ApiError> {
    let r = store::rooms::find(state.store.reader(), room)
        .await?
        .ok_or(RoomsError::NoRoom)?;
    if r.closed_at.is_some() {
        return Err(RoomsError::Closed.into());
    }
    Ok(r.conversation_id)
}

/// 404 unless the room exists (open or closed).
pub async fn exists(state: &AppState, room: RoomId) -> Result<(), ApiError> {
    store::rooms::find(state.store.reader(), room)
        .await?
        .ok_or(RoomsError::NoRoom)?;
    Ok(())
}

/// Moves an open room's counters by a send (`gifts`, `coins` negative for a reversal;
/// `new_sender` when the sender never sent a gift here before) and answers the new totals.
/// A closed room refuses (`room_closed`).
pub async fn record(
    txn: &DatabaseTransaction,
    room: RoomId,
    gifts: i64,
    coins: i64,
    new_sender: bool,
) -> Result<RoomGiftTotals, ApiError> {
    let backend = txn.get_database_backend();
    let moved = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "UPDATE rooms SET gift_count = gift_count + ?, gift_value = gift_value + ?, \
             gift_senders = gift_senders + ? WHERE id = ? AND closed_at IS NULL",
            [
                gifts.into(),
                coins.into(),
                i64::from(new_sender).into(),
                room.0.into(),
            ],
        ))
        .await
        .map_err(db_err)?;
    if moved.rows_affected() == 0 {
        return Err(RoomsError::Closed.into());
    }
    let r = store::rooms::find(txn, room)
        .await?
        .ok_or(RoomsError::NoRoom)?;
    Ok(r.gift_totals)
}

/// Moves a room's counters back for a reversed send, closed or not; `sender_gone` when the
/// sender has no other (unreversed) send in the room, so they no longer count as a sender.
pub async fn unrecord(
    txn: &DatabaseTransaction,
    room: RoomId,
    gifts: i64,
    coins: i64,
    sender_gone: bool,
) -> Result<(), ApiError> {
    let backend = txn.get_database_backend();
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        "UPDATE rooms SET gift_count = gift_count - ?, gift_value = gift_value - ?, \
         gift_senders = gift_senders - ? WHERE id = ?",
        [
            gifts.into(),
            coins.into(),
            i64::from(sender_gone).into(),
            room.0.into(),
        ],
    ))
    .await
    .map_err(db_err)?;
    Ok(())
}
