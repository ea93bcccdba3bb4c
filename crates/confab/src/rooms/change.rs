//! The locked-change machinery every room change runs through. [`locked`] opens ONE
//! transaction, takes the room chat's conversation lock first (the writer's lock, so room
//! changes and chat sends are ordered, and two changes to one room — on any node — run one
//! after the other), re-reads the room under it, runs the change, commits, and only then
//! publishes the change's [`Effects`]: fan-out index updates, `room.*` events, SFU calls.
//! Seat changes go through [`Tx::seats`], which checks the board's invariants and bumps the
//! seat version once per committed change.
//!
//! The database lock orders the commits, not what follows them: two changes committed one
//! after the other could still race to the bus, and a socket would get `room.seats` of
//! version 42 before 41. So on each node a change also takes the room's [`Order`] turn
//! before its transaction and keeps it until its effects are published: one node publishes
//! a room's events in commit (version) order. Nodes publish independently; a client keeps
//! the highest version it has seen.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use confab_proto::ids::{RoomId, UserId};
use confab_proto::rooms::{
    LeaveReason, RoomPresenceData, RoomSeatsData, SeatRequestData, SeatRequestKind, SeatRequestOut,
    SeatRequestState, SeatsOut,
};
use confab_proto::ws::ServerEvent;
use sea_orm::{DatabaseTransaction, TransactionTrait};

use super::board::Board;
use super::error::RoomsError;
use super::model::Room;
use super::store;
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::infra::store::StoreError;
use crate::messaging::window::{self, Locked};
use crate::state::AppState;

/// What the SFU must be told once a change commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sfu {
    /// The user may no longer publish.
    Revoke(UserId),
    /// The user may publish again.
    Restore(UserId),
    /// The user must leave the SFU room.
    Remove(UserId),
}

/// What a committed change still has to do.
#[derive(Default)]
pub(crate) struct Effects {
    /// Users who entered the room chat (index updated before the events, so they hear of
    /// their own entry).
    pub added: Vec<UserId>,
    /// Users who left it (index updated before the events too: what a departing user must
    /// hear of their own exit goes to them by `Topic::User`, exactly once).
    pub removed: Vec<UserId>,
    /// Events, in order.
    pub events: Vec<(Topic, ServerEvent)>,
    /// A rule the chat's send path reads changed (mutes, admins, mute-all, entries).
    pub rules: bool,
    /// Calls to the SFU.
    pub sfu: Vec<Sfu>,
}

/// A change in progress: the transaction, the room chat's lock, the room as re-read under
/// it, and the effects to publish after the commit.
pub(crate) struct Tx {
    /// The transaction.
    pub txn: DatabaseTransaction,
    /// The room chat's conversation lock.
    pub lock: Locked,
    /// The room, as of the lock (counters kept current by the helpers below).
    pub room: Room,
    /// Effects.
    pub fx: Effects,
    /// The time of the change.
    pub now: DateTime<Utc>,
}

pub(crate) fn db_err(e: sea_orm::DbErr) -> ApiError {
    StoreError::from(e).into()
}

/// This node's turns per room (see the module doc), installed at start-up. A room's entry
/// lives while a change to it runs or waits.
#[derive(Default)]
pub(crate) struct Order(std::sync::Mutex<HashMap<RoomId, Arc<tokio::sync::Mutex<()>>>>);

/// A change's turn in its room: it publishes before the next change on this node starts.
struct Turn<'a> {
    order: &'a Order,
    room: RoomId,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Order {
    fn rooms(&self) -> std::sync::MutexGuard<'_, HashMap<RoomId, Arc<tokio::sync::Mutex<()>>>> {
        match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Waits for the room's turn.
    async fn turn(&self, room: RoomId) -> Turn<'_> {
        let m = self.rooms().entry(room).or_default().clone();
        Turn {
            order: self,
            room,
            guard: Some(m.lock_owned().await),
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut rooms = self.order.rooms();
        // Only the map holds it (clones are made under the map's lock): nobody waits.
        if rooms
            .get(&self.room)
            .is_some_and(|m| Arc::strong_count(m) == 1)
        {
            rooms.remove(&self.room);
        }
    }
}

/// The room, or 404.
pub(crate) async fn find(state: &AppState, id: RoomId) -> Result<Room, ApiError> {
    Ok(store::rooms::find(state.store.reader(), id)
        .await?
        .ok_or(RoomsError::NoRoom)?)
}

/// Runs a change in one transaction under the room's lock, in the room's turn on this node
/// (see the module doc). A closed room refuses every change (`room_closed`). Never call it
/// from inside a change: the turn is not reentrant.
pub(crate) async fn locked<T>(
    state: &AppState,
    id: RoomId,
    f: impl AsyncFnOnce(&mut Tx) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let _turn = state.slot::<Order>().turn(id).await;
    let r = find(state, id).await?;
    let txn = state.store.writer().begin().await.map_err(db_err)?;
    let lock = window::lock(&txn, r.conversation_id)
        .await
        .map_err(db_err)?
        .ok_or(RoomsError::NoRoom)?;
    let room = store::rooms::find(&txn, id)
        .await?
        .ok_or(RoomsError::NoRoom)?;
    if room.closed_at.is_some() {
        return Err(RoomsError::Closed.into());
    }
    let mut tx = Tx {
        txn,
        lock,
        room,
        fx: Effects::default(),
        now: state.clock.now(),
    };
    let out = f(&mut tx).await?;
    let Tx { txn, room, fx, .. } = tx;
    txn.commit().await.map_err(db_err)?;
    apply(state, &room, fx).await;
    Ok(out)
}

/// Publishes a committed change's effects.
async fn apply(state: &AppState, room: &Room, fx: Effects) {
    if fx.rules {
        crate::rulecache::changed(state).await;
    }
    let conv = room.conversation_id;
    if !fx.added.is_empty() || !fx.removed.is_empty() {
        crate::messaging::service::members_changed(state, conv, fx.added, fx.removed).await;
    }
    for (topic, event) in fx.events {
        crate::push::emit(state, topic, &event).await;
    }
    let sfu_room = super::sfu::room_name(room.id);
    for call in fx.sfu {
        match call {
            Sfu::Revoke(u) => super::sfu::revoke_publish(state, sfu_room.clone(), u),
            Sfu::Restore(u) => super::sfu::restore_publish(state, sfu_room.clone(), u),
            Sfu::Remove(u) => super::sfu::remove(state, sfu_room.clone(), u),
        }
    }
}

impl Tx {
    /// Queues an event for everyone in the room.
    pub fn tell_room(&mut self, event: ServerEvent) {
        self.fx
            .events
            .push((Topic::Conversation(self.room.conversation_id), event));
    }

    /// Queues an event for one user's devices.
    pub fn tell_user(&mut self, user: UserId, event: ServerEvent) {
        self.fx.events.push((Topic::User(user), event));
    }

    /// The room's board, as stored.
    pub async fn board(&self) -> Result<Board, ApiError> {
        Ok(store::seats::load(&self.txn, self.room.id).await?)
    }

    /// Applies `change` to the board. When the seats differ afterwards: checks the
    /// invariants, writes the changed seats, bumps the seat version, queues `room.seats`
    /// and the SFU calls for users who lost or gained the right to publish. A refusal from
    /// `change` rolls everything back.
    pub async fn seats<R>(
        &mut self,
        actor: UserId,
        what: &str,
        change: impl FnOnce(&mut Board) -> Result<R, RoomsError>,
    ) -> Result<R, ApiError> {
        self.seats_because(actor, what, None, change).await
    }

    /// [`Tx::seats`], with the reason the change gives (a kick's).
    pub async fn seats_because<R>(
        &mut self,
        actor: UserId,
        what: &str,
        reason: Option<String>,
        change: impl FnOnce(&mut Board) -> Result<R, RoomsError>,
    ) -> Result<R, ApiError> {
        let before = self.board().await?;
        let mut after = before.clone();
        let out = change(&mut after)?;
        if after == before {
            return Ok(out);
        }
        after.check().map_err(|broken| {
            ApiError::internal(anyhow::anyhow!("seat invariant broken: {broken}"))
        })?;
        store::seats::save(&self.txn, self.room.id, &before, &after).await?;
        self.room.seat_version =
            store::rooms::bump_version(&self.txn, &self.room, self.now).await?;
        let (was, now) = (before.speakers(), after.speakers());
        for u in was.iter().filter(|u| !now.contains(u)) {
            self.fx.sfu.push(Sfu::Revoke(*u));
        }
        for u in now.iter().filter(|u| !was.contains(u)) {
            self.fx.sfu.push(Sfu::Restore(*u));
        }
        let data = RoomSeatsData {
            seats: seats_out(&self.room, &after),
            actor_id: actor,
            change: what.to_owned(),
            reason,
        };
        self.tell_room(ServerEvent::RoomSeats(Box::new(data)));
        Ok(out)
    }

    /// Puts `user` in the room and its chat (they see the chat's newest
    /// `rooms.history_on_join` messages). `away`: no socket seen yet, so the grace period
    /// starts now. Fails on the presence key when they are in a room already.
    pub async fn enter(
        &mut self,
        state: &AppState,
        user: UserId,
        away: bool,
    ) -> Result<(), ApiError> {
        store::presence::insert(&self.txn, user, self.room.id, self.now, away).await?;
        store::rooms::add_audience(&self.txn, self.room.id, 1, self.now).await?;
        self.room.audience += 1;
        let last = self.lock.last_seq;
        let floor = (last - i64::from(state.config.rooms.history_on_join)).max(0);
        window::open(
            &self.txn,
            self.room.conversation_id,
            user,
            floor,
            last,
            self.now,
        )
        .await?;
        self.fx.added.push(user);
        self.fx.rules = true;
        let data = RoomPresenceData {
            room_id: self.room.id,
            user_id: user,
            audience: self.room.audience,
            reason: None,
        };
        self.tell_room(ServerEvent::RoomMemberJoined(data));
        Ok(())
    }

    /// Takes `user` out of the room: their seat, their pending applications and invitations,
    /// the chat. Whether they were in it.
    pub async fn depart(&mut self, user: UserId, reason: LeaveReason) -> Result<bool, ApiError> {
        if !store::presence::delete(&self.txn, user, self.room.id).await? {
            return Ok(false);
        }
        store::rooms::add_audience(&self.txn, self.room.id, -1, self.now).await?;
        self.room.audience = self.room.audience.saturating_sub(1);
        let change = match reason {
            LeaveReason::Left => "depart",
            LeaveReason::Disconnected => "disconnect",
            LeaveReason::Kicked => "kick",
            LeaveReason::Closed => "close",
        };
        self.seats(user, change, |b| {
            let _ = b.leave(user);
            Ok(())
        })
        .await?;
        for r in store::requests::of_user(&self.txn, self.room.id, user).await? {
            self.void(r, SeatRequestState::Cancelled).await?;
        }
        window::close(
            &self.txn,
            self.room.conversation_id,
            user,
            self.lock.last_seq,
            self.now,
        )
        .await?;
        if matches!(reason, LeaveReason::Kicked | LeaveReason::Closed) {
            self.fx.sfu.push(Sfu::Remove(user));
        }
        let data = RoomPresenceData {
            room_id: self.room.id,
            user_id: user,
            audience: self.room.audience,
            reason: Some(reason),
        };
        self.tell_room(ServerEvent::RoomMemberLeft(data.clone()));
        self.tell_user(user, ServerEvent::RoomMemberLeft(data));
        self.fx.removed.push(user);
        Ok(true)
    }

    /// Deletes a request and tells its people it is now `state`.
    pub async fn void(
        &mut self,
        r: SeatRequestOut,
        state: SeatRequestState,
    ) -> Result<(), ApiError> {
        if store::requests::delete(&self.txn, r.id).await? {
            self.tell_request(r, state).await?;
        }
        Ok(())
    }

    /// Queues a request's event for the owner, the admins and the user it concerns.
    pub async fn tell_request(
        &mut self,
        r: SeatRequestOut,
        state: SeatRequestState,
    ) -> Result<(), ApiError> {
        let mut to = store::moderation::admins(&self.txn, self.room.id).await?;
        to.push(self.room.owner_id);
        to.push(r.user_id);
        to.sort_unstable();
        to.dedup();
        let data = Box::new(SeatRequestData {
            request: r.clone(),
            state,
        });
        for u in to {
            let event = match r.kind {
                SeatRequestKind::Application => ServerEvent::RoomApplication(data.clone()),
                SeatRequestKind::Invitation => ServerEvent::RoomInvitation(data.clone()),
            };
            self.tell_user(u, event);
        }
        Ok(())
    }
}

/// The wire form of a board.
pub(crate) fn seats_out(room: &Room, b: &Board) -> SeatsOut {
    SeatsOut {
        room_id: room.id,
        version: room.seat_version,
        seats: b.seats.iter().map(|s| s.out()).collect(),
    }
}
