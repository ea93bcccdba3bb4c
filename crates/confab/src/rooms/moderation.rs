//! Room moderation: admins (set by the owner), kicks with a re-entry ban, chat mutes, and
//! the status check (is this user kicked or muted here, and until when). The owner is
//! never kicked or muted; an admin acts only on members.

use chrono::Duration;
use confab_proto::ids::{RoomId, UserId};
use confab_proto::rooms::{
    LeaveReason, RoomKickIn, RoomKickedData, RoomMemberStatusOut, RoomMuteIn, RoomMuteLength,
    RoomMutedData, RoomRole, RoomRoleData,
};
use confab_proto::ws::ServerEvent;

use super::change::{Tx, find, locked};
use super::error::RoomsError;
use super::model::{self, MAX_BAN_SECS};
use super::roles::{self, Actor};
use super::store;
use crate::error::ApiError;
use crate::state::AppState;

/// Makes `user` an admin (`admin: true`) or a member again (the owner only).
pub async fn set_admin(
    state: &AppState,
    me: Actor,
    id: RoomId,
    user: UserId,
    admin: bool,
) -> Result<(), ApiError> {
    crate::accounts::service::get_user(state, user).await?;
    locked(state, id, async |tx: &mut Tx| {
        roles::owner(&tx.txn, &tx.room, me).await?;
        if user == tx.room.owner_id {
            return Err(RoomsError::SelfTarget.into());
        }
        let changed = if admin {
            store::moderation::add_admin(&tx.txn, id, user, tx.now).await?
        } else {
            store::moderation::remove_admin(&tx.txn, id, user).await?
        };
        if changed {
            tx.fx.rules = true;
            let role = if admin {
                RoomRole::Admin
            } else {
                RoomRole::Member
            };
            let data = RoomRoleData {
                room_id: id,
                user_id: user,
                role,
            };
            tx.tell_room(ServerEvent::RoomRole(data.clone()));
            tx.tell_user(user, ServerEvent::RoomRole(data));
        }
        Ok(())
    })
    .await
}

/// Kicks a user out of the room (and off their seat); re-entry is refused for `ban_secs`
/// (default `rooms.kick_ban_secs`). The user need not be in the room: a kick also bars a
/// user who left a moment ago.
pub async fn kick(
    state: &AppState,
    me: Actor,
    id: RoomId,
    input: RoomKickIn,
) -> Result<RoomKickedData, ApiError> {
    let reason = model::reason(state, input.reason.as_deref())?;
    let secs = input.ban_secs.unwrap_or(state.config.rooms.kick_ban_secs);
    if secs > MAX_BAN_SECS {
        return Err(RoomsError::BanSecs.into());
    }
    crate::accounts::service::get_user(state, input.user_id).await?;
    let user = input.user_id;
    locked(state, id, async |tx: &mut Tx| {
        roles::over(&tx.txn, &tx.room, me, user).await?;
        let until = tx.now + Duration::seconds(secs as i64);
        let k = store::moderation::Kick {
            until,
            reason: reason.clone(),
        };
        store::moderation::set_kick(&tx.txn, id, user, &k, me.id, tx.now).await?;
        let data = RoomKickedData {
            room_id: id,
            user_id: user,
            actor_id: me.id,
            reason,
            until,
        };
        tx.tell_room(ServerEvent::RoomKicked(Box::new(data.clone())));
        tx.tell_user(user, ServerEvent::RoomKicked(Box::new(data.clone())));
        if !tx.depart(user, LeaveReason::Kicked).await? {
            // Not in the room: close any SFU session they still hold.
            tx.fx.sfu.push(super::change::Sfu::Remove(user));
        }
        tx.fx.rules = true;
        Ok(data)
    })
    .await
}

/// Lifts a kick's re-entry ban: a manager, over a user they outrank (so a kicked admin
/// cannot lift their own ban, nor another admin theirs).
pub async fn unkick(state: &AppState, me: Actor, id: RoomId, user: UserId) -> Result<(), ApiError> {
    locked(state, id, async |tx: &mut Tx| {
        roles::manager(&tx.txn, &tx.room, me).await?;
        roles::over(&tx.txn, &tx.room, me, user).await?;
        if !store::moderation::delete_kick(&tx.txn, id, user).await? {
            return Err(RoomsError::NoKick.into());
        }
        Ok(())
    })
    .await
}

/// Mutes a user in the room chat for 1 h, 24 h or permanently.
pub async fn mute(
    state: &AppState,
    me: Actor,
    id: RoomId,
    input: RoomMuteIn,
) -> Result<RoomMutedData, ApiError> {
    crate::accounts::service::get_user(state, input.user_id).await?;
    let user = input.user_id;
    locked(state, id, async |tx: &mut Tx| {
        roles::over(&tx.txn, &tx.room, me, user).await?;
        let until = match input.length {
            RoomMuteLength::OneHour => Some(tx.now + Duration::hours(1)),
            RoomMuteLength::OneDay => Some(tx.now + Duration::hours(24)),
            RoomMuteLength::Permanent => None,
        };
        store::moderation::set_mute(&tx.txn, id, user, until, me.id, tx.now).await?;
        tx.fx.rules = true;
        let data = RoomMutedData {
            room_id: id,
            user_id: user,
            muted: true,
            until,
        };
        tx.tell_room(ServerEvent::RoomMuted(data.clone()));
        Ok(data)
    })
    .await
}

/// Lifts a chat mute.
pub async fn unmute(state: &AppState, me: Actor, id: RoomId, user: UserId) -> Result<(), ApiError> {
    locked(state, id, async |tx: &mut Tx| {
        roles::over(&tx.txn, &tx.room, me, user).await?;
        if !store::moderation::delete_mute(&tx.txn, id, user).await? {
            return Err(RoomsError::NoMute.into());
        }
        tx.fx.rules = true;
        let data = RoomMutedData {
            room_id: id,
            user_id: user,
            muted: false,
            until: None,
        };
        tx.tell_room(ServerEvent::RoomMuted(data));
        Ok(())
    })
    .await
}

/// Whether `user` is kicked (barred from re-entry) or muted in the room now, and until when.
/// Anyone signed in may ask (it is what a client checks before showing the enter button).
pub async fn status(
    state: &AppState,
    id: RoomId,
    user: UserId,
) -> Result<RoomMemberStatusOut, ApiError> {
    let r = find(state, id).await?;
    crate::accounts::service::get_user(state, user).await?;
    let db = state.store.reader();
    let now = state.clock.now();
    let role = roles::role_of(db, &r, user).await?;
    let kick = store::moderation::find_kick(db, id, user)
        .await?
        .filter(|k| k.until > now);
    let mute = store::moderation::find_mute(db, id, user)
        .await?
        .filter(|until| until.is_none_or(|t| t > now));
    let present = store::presence::find(db, user)
        .await?
        .is_some_and(|p| p.room_id == id);
    Ok(RoomMemberStatusOut {
        room_id: id,
        user_id: user,
        role,
        present,
        kicked: kick.is_some(),
        kicked_until: kick.map(|k| k.until),
        muted: mute.is_some(),
        muted_until: mute.flatten(),
    })
}

/// The chat mute in force on `user` in room `id`: `Some(None)` permanently.
pub(crate) async fn mute_in_force(
    state: &AppState,
    id: RoomId,
    user: UserId,
) -> Result<Option<Option<chrono::DateTime<chrono::Utc>>>, ApiError> {
    let now = state.clock.now();
    Ok(store::moderation::find_mute(state.store.reader(), id, user)
        .await?
        .filter(|until| until.is_none_or(|t| t > now)))
}
