//! Seat applications (in `apply` mode: a member asks, the owner or an admin approves or
//! rejects) and seat invitations (the owner or an admin offers a seat; the user accepts or
//! declines). Both are stored rows with an expiry, one of each kind per user and room;
//! answering a request that is not pending is refused — accepting an invitation that does
//! not exist is a `404`, one voided by a lock a `409 seat_locked` (once: that answer uses it
//! up).

use chrono::Duration;
use confab_proto::ids::{RoomId, SeatRequestId, UserId};
use confab_proto::rooms::{
    ApplyIn, InviteIn, SeatMode, SeatRequestKind, SeatRequestOut, SeatRequestState,
    SeatRequestsOut, SeatsOut,
};

use super::change::{Tx, locked, seats_out};
use super::error::RoomsError;
use super::roles::{self, Actor};
use super::seating::{check_position, settle_requests};
use super::service::{require_present, require_target_present};
use super::store;
use crate::error::ApiError;
use crate::state::AppState;

/// What [`pending`] found.
enum Found {
    /// A pending request.
    Pending(SeatRequestOut),
    /// One voided by a lock: deleted now, so its user hears why exactly once. The caller
    /// answers `seat_locked` AFTER committing (a refusal from inside the change would roll
    /// the delete back).
    Voided,
    /// None (expired ones are deleted on the way).
    Nothing,
}

impl Found {
    /// The pending request, or `missing`.
    fn or(self, missing: RoomsError) -> Result<SeatRequestOut, RoomsError> {
        match self {
            Found::Pending(r) => Ok(r),
            Found::Voided | Found::Nothing => Err(missing),
        }
    }
}

/// `user`'s pending request of `kind`.
async fn pending(tx: &Tx, user: UserId, kind: SeatRequestKind) -> Result<Found, ApiError> {
    match store::requests::find(&tx.txn, tx.room.id, user, kind).await? {
        Some((r, None)) if r.expires_at > tx.now => Ok(Found::Pending(r)),
        Some((r, Some(why))) if r.expires_at > tx.now && why == "locked" => {
            store::requests::delete(&tx.txn, r.id).await?;
            Ok(Found::Voided)
        }
        Some((r, _)) => {
            store::requests::delete(&tx.txn, r.id).await?;
            Ok(Found::Nothing)
        }
        None => Ok(Found::Nothing),
    }
}

fn new_request(
    state: &AppState,
    tx: &Tx,
    kind: SeatRequestKind,
    user: UserId,
    by: UserId,
    position: Option<u32>,
    ttl_secs: u64,
) -> SeatRequestOut {
    SeatRequestOut {
        id: SeatRequestId(state.ids.next_id()),
        room_id: tx.room.id,
        kind,
        user_id: user,
        created_by: by,
        position,
        created_at: tx.now,
        expires_at: tx.now + Duration::seconds(ttl_secs.min(i64::MAX as u64) as i64),
    }
}

/// Applies for a seat (apply mode), optionally a chosen one.
pub async fn apply(
    state: &AppState,
    me: UserId,
    id: RoomId,
    input: ApplyIn,
) -> Result<SeatRequestOut, ApiError> {
    locked(state, id, async |tx: &mut Tx| {
        require_present(tx, me).await?;
        if tx.room.seat_mode == SeatMode::Free {
            return Err(RoomsError::FreeMode.into());
        }
        let board = tx.board().await?;
        if board.seat_of(me).is_some() {
            return Err(RoomsError::AlreadySeated.into());
        }
        if let Some(p) = input.position {
            check_position(tx, p)?;
            let seat = board.seats[p as usize - 1];
            if seat.locked {
                return Err(RoomsError::SeatLocked.into());
            }
            if seat.user.is_some() {
                return Err(RoomsError::SeatTaken.into());
            }
        }
        if let Found::Pending(_) = pending(tx, me, SeatRequestKind::Application).await? {
            return Err(RoomsError::ApplicationPending.into());
        }
        let ttl = state.config.rooms.application_ttl_secs;
        let r = new_request(
            state,
            tx,
            SeatRequestKind::Application,
            me,
            me,
            input.position,
            ttl,
        );
        store::requests::insert(&tx.txn, &r).await?;
        tx.tell_request(r.clone(), SeatRequestState::Pending)
            .await?;
        Ok(r)
    })
    .await
}

/// Withdraws my application.
pub async fn cancel(state: &AppState, me: UserId, id: RoomId) -> Result<(), ApiError> {
    locked(state, id, async |tx: &mut Tx| {
        let r = pending(tx, me, SeatRequestKind::Application)
            .await?
            .or(RoomsError::NoApplication)?;
        tx.void(r, SeatRequestState::Cancelled).await
    })
    .await
}

/// Pending requests of `kind`, oldest first: every one for the owner and admins; a member
/// sees only their own.
pub async fn list(
    state: &AppState,
    me: Actor,
    id: RoomId,
    kind: SeatRequestKind,
) -> Result<SeatRequestsOut, ApiError> {
    let r = super::change::find(state, id).await?;
    let db = state.store.reader();
    let all = store::requests::list(db, id, kind, state.clock.now()).await?;
    let requests = if roles::manager(db, &r, me).await.is_ok() {
        all
    } else {
        all.into_iter().filter(|q| q.user_id == me.id).collect()
    };
    Ok(SeatRequestsOut { requests })
}

/// Approves `user`'s application: they take the seat they chose, else the first free one.
pub async fn approve(
    state: &AppState,
    me: Actor,
    id: RoomId,
    user: UserId,
) -> Result<SeatsOut, ApiError> {
    locked(state, id, async |tx: &mut Tx| {
        roles::manager(&tx.txn, &tx.room, me).await?;
        let r = pending(tx, user, SeatRequestKind::Application)
            .await?
            .or(RoomsError::NoApplication)?;
        require_target_present(tx, user).await?;
        tx.seats(me.id, "approve", |b| b.place(user, r.position))
            .await?;
        settle_requests(tx, user, SeatRequestState::Accepted).await?;
        Ok(seats_out(&tx.room, &tx.board().await?))
    })
    .await
}

/// Rejects `user`'s application.
pub async fn reject(state: &AppState, me: Actor, id: RoomId, user: UserId) -> Result<(), ApiError> {
    locked(state, id, async |tx: &mut Tx| {
        roles::manager(&tx.txn, &tx.room, me).await?;
        let r = pending(tx, user, SeatRequestKind::Application)
            .await?
            .or(RoomsError::NoApplication)?;
        tx.void(r, SeatRequestState::Refused).await
    })
    .await
}

/// Invites a user in the room to a seat (a given one, else the first free when accepted).
/// A second invitation to the same user replaces the first.
pub async fn invite(
    state: &AppState,
    me: Actor,
    id: RoomId,
    input: InviteIn,
) -> Result<SeatRequestOut, ApiError> {
    locked(state, id, async |tx: &mut Tx| {
        roles::manager(&tx.txn, &tx.room, me).await?;
        if input.user_id == me.id {
            return Err(RoomsError::SelfTarget.into());
        }
        require_target_present(tx, input.user_id).await?;
        let board = tx.board().await?;
        if board.seat_of(input.user_id).is_some() {
            return Err(RoomsError::AlreadySeated.into());
        }
        if let Some(p) = input.position {
            check_position(tx, p)?;
            let seat = board.seats[p as usize - 1];
            if seat.locked {
                return Err(RoomsError::SeatLocked.into());
            }
            if seat.user.is_some() {
                return Err(RoomsError::SeatTaken.into());
            }
        }
        if let Some((old, _)) =
            store::requests::find(&tx.txn, id, input.user_id, SeatRequestKind::Invitation).await?
        {
            tx.void(old, SeatRequestState::Cancelled).await?;
        }
        let ttl = state.config.rooms.invite_ttl_secs;
        let r = new_request(
            state,
            tx,
            SeatRequestKind::Invitation,
            input.user_id,
            me.id,
            input.position,
            ttl,
        );
        store::requests::insert(&tx.txn, &r).await?;
        tx.tell_request(r.clone(), SeatRequestState::Pending)
            .await?;
        Ok(r)
    })
    .await
}

/// Accepts my invitation: I take the seat offered, else the first free one. Refused when
/// there is no pending invitation (`404`) or it was voided by a lock (`409 seat_locked`,
/// once).
pub async fn accept(state: &AppState, me: UserId, id: RoomId) -> Result<SeatsOut, ApiError> {
    locked(state, id, async |tx: &mut Tx| {
        let r = match pending(tx, me, SeatRequestKind::Invitation).await? {
            Found::Pending(r) => r,
            Found::Voided => return Ok(Err(RoomsError::SeatLocked)),
            Found::Nothing => return Err(RoomsError::NoInvitation.into()),
        };
        require_present(tx, me).await?;
        tx.seats(me, "accept", |b| b.place(me, r.position)).await?;
        settle_requests(tx, me, SeatRequestState::Accepted).await?;
        Ok(Ok(seats_out(&tx.room, &tx.board().await?)))
    })
    .await?
    .map_err(Into::into)
}

/// Declines my invitation.
pub async fn decline(state: &AppState, me: UserId, id: RoomId) -> Result<(), ApiError> {
    locked(state, id, async |tx: &mut Tx| {
        let r = match pending(tx, me, SeatRequestKind::Invitation).await? {
            Found::Pending(r) => r,
            Found::Voided => return Ok(Err(RoomsError::SeatLocked)),
            Found::Nothing => return Err(RoomsError::NoInvitation.into()),
        };
        tx.void(r, SeatRequestState::Refused).await.map(Ok)
    })
    .await?
    .map_err(Into::into)
}
