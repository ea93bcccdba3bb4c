//! Seat changes by the people in a room: take, leave, the microphone switch, and the owner's
//! and admins' actions (kick from a seat, lock, unlock, mute, unmute, move). Each is one
//! locked change (`change::locked`): checked, applied to the board, versioned, published.

use confab_proto::ids::{RoomId, UserId};
use confab_proto::rooms::{
    MoveSeatIn, RoomRole, SeatAction, SeatActionIn, SeatMode, SeatRequestState, SeatsOut,
};

use super::change::{Tx, locked, seats_out};
use super::error::RoomsError;
use super::model;
use super::roles::{self, Actor};
use super::service::{require_present, require_target_present};
use super::store;
use crate::error::ApiError;
use crate::state::AppState;

/// The board after a change, as answered to the caller.
async fn answer(tx: &Tx) -> Result<SeatsOut, ApiError> {
    Ok(seats_out(&tx.room, &tx.board().await?))
}

/// Checks that `position` names a seat of the room.
pub(crate) fn check_position(tx: &Tx, position: u32) -> Result<(), RoomsError> {
    if position == 0 || position > tx.room.seat_count {
        return Err(RoomsError::NoSuchSeat {
            seats: tx.room.seat_count,
        });
    }
    Ok(())
}

/// The occupant of `position` a manager's action concerns: `None` when the seat is empty;
/// `seat_taken` when the caller named someone else; the caller must outrank anyone else.
async fn occupant(
    tx: &Tx,
    me: Actor,
    position: u32,
    meant: Option<UserId>,
) -> Result<Option<UserId>, ApiError> {
    let b = tx.board().await?;
    let who = b.seats.get(position as usize - 1).and_then(|s| s.user);
    if let Some(m) = meant
        && who != Some(m)
    {
        return Err(match who {
            Some(_) => RoomsError::SeatTaken,
            None => RoomsError::NotSeated,
        }
        .into());
    }
    if let Some(u) = who
        && u != me.id
    {
        roles::over(&tx.txn, &tx.room, me, u).await?;
    }
    Ok(who)
}

/// Voids every pending request of `user` in the room (they are seated now, or gone).
pub(crate) async fn settle_requests(
    tx: &mut Tx,
    user: UserId,
    state: SeatRequestState,
) -> Result<(), ApiError> {
    for r in store::requests::of_user(&tx.txn, tx.room.id, user).await? {
        tx.void(r, state).await?;
    }
    Ok(())
}

/// One action on seat `position`.
pub async fn act(
    state: &AppState,
    me: Actor,
    id: RoomId,
    position: u32,
    action: SeatAction,
    input: SeatActionIn,
) -> Result<SeatsOut, ApiError> {
    let reason = model::reason(state, input.reason.as_deref())?;
    locked(state, id, async |tx: &mut Tx| {
        check_position(tx, position)?;
        match action {
            SeatAction::Take => {
                require_present(tx, me.id).await?;
                let role = roles::authority(&tx.txn, &tx.room, me).await?;
                if tx.room.seat_mode == SeatMode::Apply && role == RoomRole::Member {
                    return Err(RoomsError::ApplyRequired.into());
                }
                tx.seats(me.id, "take", |b| b.take(me.id, position)).await?;
                settle_requests(tx, me.id, SeatRequestState::Cancelled).await?;
            }
            SeatAction::Kick => {
                roles::manager(&tx.txn, &tx.room, me).await?;
                occupant(tx, me, position, input.user_id)
                    .await?
                    .ok_or(RoomsError::NotSeated)?;
                tx.seats_because(me.id, "kick", reason, |b| b.vacate(position))
                    .await?;
            }
            SeatAction::Lock => {
                roles::manager(&tx.txn, &tx.room, me).await?;
                occupant(tx, me, position, input.user_id).await?;
                tx.seats(me.id, "lock", |b| b.lock(position)).await?;
                for r in store::requests::invitations_to(&tx.txn, id, position).await? {
                    if store::requests::void(&tx.txn, r.id, "locked").await? {
                        tx.tell_request(r, SeatRequestState::Cancelled).await?;
                    }
                }
            }
            SeatAction::Unlock => {
                roles::manager(&tx.txn, &tx.room, me).await?;
                tx.seats(me.id, "unlock", |b| b.unlock(position)).await?;
            }
            SeatAction::Mute => {
                roles::manager(&tx.txn, &tx.room, me).await?;
                occupant(tx, me, position, input.user_id).await?;
                tx.seats(me.id, "mute", |b| b.mute(position, true)).await?;
            }
            SeatAction::Unmute => {
                roles::manager(&tx.txn, &tx.room, me).await?;
                // Unmuting acts on the occupant as much as muting does.
                occupant(tx, me, position, input.user_id).await?;
                tx.seats(me.id, "unmute", |b| b.mute(position, false))
                    .await?;
            }
        }
        answer(tx).await
    })
    .await
}

/// Leaves my seat.
pub async fn leave(state: &AppState, me: UserId, id: RoomId) -> Result<SeatsOut, ApiError> {
    locked(state, id, async |tx: &mut Tx| {
        tx.seats(me, "leave", |b| b.leave(me)).await?;
        answer(tx).await
    })
    .await
}

/// Turns my microphone on or off.
pub async fn mic(state: &AppState, me: UserId, id: RoomId, on: bool) -> Result<SeatsOut, ApiError> {
    locked(state, id, async |tx: &mut Tx| {
        tx.seats(me, "mic", |b| b.mic(me, on)).await?;
        answer(tx).await
    })
    .await
}

/// Moves a seated user to another seat (owner or admin; anyone but themselves must be
/// outranked, and so must a user swapped out).
pub async fn move_seat(
    state: &AppState,
    me: Actor,
    id: RoomId,
    input: MoveSeatIn,
) -> Result<SeatsOut, ApiError> {
    locked(state, id, async |tx: &mut Tx| {
        roles::manager(&tx.txn, &tx.room, me).await?;
        check_position(tx, input.to)?;
        require_target_present(tx, input.user_id).await?;
        if input.user_id != me.id {
            roles::over(&tx.txn, &tx.room, me, input.user_id).await?;
        }
        if input.swap {
            occupant(tx, me, input.to, None).await?;
        }
        tx.seats(me.id, "move", |b| {
            b.move_to(input.user_id, input.to, input.swap).map(|_| ())
        })
        .await?;
        answer(tx).await
    })
    .await
}
