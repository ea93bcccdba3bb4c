//! Who may speak: the SFU access token for a room (`POST /rooms/{id}/media-token`). Only a
//! user in the room gets one; it lets them publish their microphone only while they hold an
//! unmuted, unlocked seat (a later change of seat revokes the right at the SFU, see
//! `change::Sfu`). A kicked user is never in the room, so gets none while the ban holds.

use confab_proto::ids::RoomId;
use confab_proto::rooms::MediaTokenOut;

use super::error::RoomsError;
use super::sfu;
use super::store;
use crate::error::ApiError;
use crate::state::AppState;

/// A media token for `me` in room `id`.
pub async fn token(
    state: &AppState,
    me: confab_proto::ids::UserId,
    id: RoomId,
) -> Result<MediaTokenOut, ApiError> {
    let r = super::change::find(state, id).await?;
    if r.closed_at.is_some() {
        return Err(RoomsError::Closed.into());
    }
    super::service::check_kick(state, id, me).await?;
    let db = state.store.reader();
    match store::presence::find(db, me).await? {
        Some(p) if p.room_id == id => {}
        _ => return Err(RoomsError::NotInRoom.into()),
    }
    let board = store::seats::load(db, id).await?;
    let can_publish = board.speakers().contains(&me);
    let room = sfu::room_name(id);
    let grant = sfu::Grant {
        room: &room,
        identity: me,
        name: None,
        can_publish,
    };
    let t = match sfu::mint(&state.config.media, state.clock.now(), &grant) {
        Ok(t) => t,
        Err(sfu::SfuError::NotConfigured) => return Err(RoomsError::MediaUnavailable.into()),
        Err(e) => return Err(ApiError::internal(e)),
    };
    Ok(MediaTokenOut {
        url: t.url,
        sfu_room: room,
        token: t.token,
        can_publish,
        expires_at: t.expires_at,
    })
}
