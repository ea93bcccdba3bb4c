//! The rules of a room's chat, as messaging asks them (registered at start-up for the
//! `room` kind): the room open, no chat mute on the sender, mute-all sparing the owner and
//! admins. Membership itself (being in the room now) is messaging's check: leaving the room
//! closes the member's window.

use confab_proto::ids::UserId;

use super::error::RoomsError;
use super::model::Room;
use super::roles;
use super::store;
use crate::error::ApiError;
use crate::messaging::rules::{ConversationRules, Place};
use crate::state::AppState;

async fn room_of(state: &AppState, at: &Place) -> Result<Room, ApiError> {
    let r = store::rooms::find_by_conversation(state.store.reader(), at.conv)
        .await?
        .ok_or(RoomsError::NoRoom)?;
    if r.closed_at.is_some() {
        return Err(RoomsError::Closed.into());
    }
    Ok(r)
}

async fn is_manager(state: &AppState, r: &Room, me: UserId) -> Result<bool, ApiError> {
    Ok(roles::role_of(state.store.reader(), r, me).await? != confab_proto::rooms::RoomRole::Member)
}

/// A room chat's rules.
pub struct RoomRules;

#[async_trait::async_trait]
impl ConversationRules for RoomRules {
    async fn check_send(
        &self,
        state: &AppState,
        at: &Place,
        _mentions_all: bool,
    ) -> Result<(), ApiError> {
        let r = room_of(state, at).await?;
        if let Some(until) = super::moderation::mute_in_force(state, r.id, at.me).await? {
            return Err(match until {
                Some(t) => RoomsError::MutedUntil(t),
                None => RoomsError::Muted,
            }
            .into());
        }
        if r.mute_all && !is_manager(state, &r, at.me).await? {
            return Err(RoomsError::AllMuted.into());
        }
        Ok(())
    }

    async fn check_act(&self, state: &AppState, at: &Place) -> Result<(), ApiError> {
        room_of(state, at).await.map(|_| ())
    }

    async fn may_recall_others(
        &self,
        state: &AppState,
        at: &Place,
        sender: UserId,
    ) -> Result<bool, ApiError> {
        let r = room_of(state, at).await?;
        let me = roles::role_of(state.store.reader(), &r, at.me).await?;
        let them = roles::role_of(state.store.reader(), &r, sender).await?;
        Ok(me > them)
    }

    async fn may_list_readers(&self, _: &AppState, _: &Place, _: UserId) -> Result<bool, ApiError> {
        Ok(false)
    }
}
