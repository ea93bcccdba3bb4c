//! Site-wide user mutes: an administrator (directly, or by upholding a report) silences a
//! user everywhere — direct chats, groups, channels — until a time or permanently.
//!
//! The check ([`check_can_send`]) runs on the one send path every transport shares
//! (`messaging::service::send`, used by HTTP and the WebSocket `send` frame), so no
//! transport can skip it. Reading is not affected: a muted user still reads and syncs.

use chrono::{DateTime, Utc};
use confab_proto::ids::{ReportId, UserId};

use super::error::ModerationError;
use super::store::{self, UserMute};
use crate::error::ApiError;
use crate::infra::store::{from_ms, to_ms};
use crate::state::AppState;

/// The mute in force on `user` now, if any (an expired row reads as none).
pub async fn find_mute(state: &AppState, user: UserId) -> Result<Option<UserMute>, ApiError> {
    let now = state.clock.now();
    Ok(store::find_user_mute(state.store.reader(), user)
        .await?
        .filter(|m| m.in_force(now)))
}

/// Refuses with 403 `user_muted` while a site-wide mute is in force on `user`.
pub async fn check_can_send(state: &AppState, user: UserId) -> Result<(), ApiError> {
    // The row comes from the node's rule cache (`rulecache`); whether it is in force is
    // decided now.
    let row = super::service::runtime(state)
        .site_mutes
        .get(&state.rules, user, async || {
            Ok::<_, ApiError>(Some(
                store::find_user_mute(state.store.reader(), user).await?,
            ))
        })
        .await?
        .flatten();
    let now = state.clock.now();
    match row.filter(|m| m.in_force(now)) {
        None => Ok(()),
        Some(m) => Err(match m.until {
            Some(t) => ModerationError::MutedUntil(t),
            None => ModerationError::Muted,
        }
        .into()),
    }
}

/// Checks a mute's end: absent (permanent) or in the future, at most ~100 years ahead.
/// Returns it at the store's precision (milliseconds), so what is answered is what is kept.
pub fn check_until(
    state: &AppState,
    field: &'static str,
    until: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(t) = until else {
        return Ok(None);
    };
    let now = state.clock.now();
    if t <= now || t > now + chrono::Duration::days(36_500) {
        return Err(ApiError::invalid(
            field,
            format!("{field}: a time in the future (or absent for permanently)"),
        ));
    }
    Ok(Some(from_ms(to_ms(t))))
}

/// Mutes `user` everywhere until `until` (`None`: permanently), replacing an earlier mute.
pub async fn mute_user(
    state: &AppState,
    user: UserId,
    until: Option<DateTime<Utc>>,
    by: UserId,
    report: Option<ReportId>,
) -> Result<UserMute, ApiError> {
    let until = check_until(state, "until", until)?;
    let mute = UserMute {
        user_id: user,
        until,
        by,
        report,
    };
    store::set_user_mute(state.store.writer(), &mute, state.clock.now()).await?;
    crate::rulecache::changed(state).await;
    Ok(mute)
}

/// Lifts `user`'s site-wide mute; `false` if there was none.
pub async fn unmute_user(state: &AppState, user: UserId) -> Result<bool, ApiError> {
    let lifted = store::delete_user_mute(state.store.writer(), user).await?;
    crate::rulecache::changed(state).await;
    Ok(lifted)
}
