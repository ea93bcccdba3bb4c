//! My moments settings: how far back strangers see my public moments, my page's cover, and
//! the two hide lists (friends my moments are hidden from; friends whose moments my feed
//! leaves out).

use confab_proto::ids::UserId;
use confab_proto::moments::{MomentSettingsOut, MomentSettingsPatch};

use super::error::MomentsError;
use super::model::{HideKind, MAX_HIDES};
use super::store::settings;
use crate::error::ApiError;
use crate::state::AppState;

/// My settings.
pub async fn get(state: &AppState, me: UserId) -> Result<MomentSettingsOut, ApiError> {
    let db = state.store.reader();
    let s = settings::find(db, me).await?;
    Ok(MomentSettingsOut {
        stranger_range: s.stranger_range,
        cover: s.cover,
        hidden_from: settings::list_hides(db, me, HideKind::From, MAX_HIDES).await?,
        muted: settings::list_hides(db, me, HideKind::Mute, MAX_HIDES).await?,
    })
}

/// Changes my range and/or cover (an image I uploaded).
pub async fn patch(
    state: &AppState,
    me: UserId,
    p: MomentSettingsPatch,
) -> Result<MomentSettingsOut, ApiError> {
    if let Some(Some(cover)) = p.cover {
        crate::media::service::require_own_image(state, me, cover, "cover").await?;
    }
    let db = state.store.writer();
    let now = state.clock.now();
    if let Some(r) = p.stranger_range {
        settings::set_range(db, me, r, now).await?;
    }
    if let Some(cover) = p.cover {
        settings::set_cover(db, me, cover, now).await?;
    }
    get(state, me).await
}

/// Adds `other` to one of my hide lists (an existing user, not me; at most 1,000 each).
pub async fn hide(
    state: &AppState,
    me: UserId,
    kind: HideKind,
    other: UserId,
) -> Result<MomentSettingsOut, ApiError> {
    if other == me {
        return Err(MomentsError::ToSelf.into());
    }
    crate::accounts::service::get_user(state, other)
        .await
        .map_err(|_| MomentsError::NoUser)?;
    let db = state.store.writer();
    if settings::list_hides(db, me, kind, MAX_HIDES).await?.len() as u64 >= MAX_HIDES {
        return Err(MomentsError::Invalid("user_id", "at most 1,000 users in each list").into());
    }
    settings::add_hide(db, me, kind, other).await?;
    get(state, me).await
}

/// Removes `other` from one of my hide lists (absent: nothing changes).
pub async fn unhide(
    state: &AppState,
    me: UserId,
    kind: HideKind,
    other: UserId,
) -> Result<MomentSettingsOut, ApiError> {
    settings::remove_hide(state.store.writer(), me, kind, other).await?;
    get(state, me).await
}
