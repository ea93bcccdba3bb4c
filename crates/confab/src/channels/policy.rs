//! Who may post in a channel right now: the posting setting, channel mutes, and the
//! channel's own per-user rate limit. Asked by messaging's one send path (HTTP and
//! WebSocket alike), after membership and before anything is stored.

use std::time::Duration;

use confab_proto::admin::Posting;
use confab_proto::ids::{ConversationId, UserId};

use super::error::ChannelsError;
use super::store::{self, ChannelMute};
use crate::accounts::model::Role;
use crate::error::ApiError;
use crate::state::AppState;

/// The rate limit's window.
const WINDOW: Duration = Duration::from_secs(60);

/// Whether `me` is a system administrator (read fresh: a demotion holds at once).
async fn is_admin(state: &AppState, me: UserId) -> Result<bool, ApiError> {
    Ok(crate::accounts::service::find_user(state, me, false)
        .await?
        .is_some_and(|u| u.role == Role::Admin))
}

/// Refuses unless the posting setting lets `me` post (`channel_posting_closed`).
pub async fn check_setting(state: &AppState, me: UserId) -> Result<(), ApiError> {
    match state.config.channels.world_posting {
        Posting::Everyone => Ok(()),
        Posting::Off => Err(ChannelsError::PostingOff.into()),
        Posting::Admins if is_admin(state, me).await? => Ok(()),
        Posting::Admins => Err(ChannelsError::AdminsOnly.into()),
    }
}

/// `me`'s channel mute in force now, if any.
pub async fn mute_in_force(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
) -> Result<Option<ChannelMute>, ApiError> {
    let now = state.clock.now();
    Ok(store::find_mute(state.store.reader(), conv, me)
        .await?
        .filter(|m| m.in_force(now)))
}

/// Everything a post in channel `conv` needs: the setting, no mute in force, and room in
/// the per-user rate limit (`channels.world_posts_per_minute`, a fixed one-minute window
/// on the cache, so it holds across devices and nodes; it fails open when the cache is
/// down, like messaging's send limit).
pub async fn check_post(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
) -> Result<(), ApiError> {
    check_setting(state, me).await?;
    if let Some(m) = mute_in_force(state, me, conv).await? {
        return Err(match m.until {
            Some(t) => ChannelsError::MutedUntil(t),
            None => ChannelsError::Muted,
        }
        .into());
    }
    let key = format!("rl:chan:{conv}:{me}");
    let n = match state.cache.incr(&key, WINDOW).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "channel rate limit skipped: cache unavailable");
            return Ok(());
        }
    };
    if n > u64::from(state.config.channels.world_posts_per_minute) {
        let retry = match state.cache.ttl(&key).await {
            Ok(Some(d)) => d.as_secs() + 1,
            _ => WINDOW.as_secs(),
        };
        return Err(ChannelsError::TooFast { retry_after: retry }.into());
    }
    Ok(())
}

/// The rules of channel conversations, as messaging asks them (registered at start-up).
pub struct ChannelRules;

#[async_trait::async_trait]
impl crate::messaging::rules::ConversationRules for ChannelRules {
    async fn check_send(
        &self,
        state: &AppState,
        at: &crate::messaging::rules::Place,
        _mentions_all: bool,
    ) -> Result<(), ApiError> {
        check_post(state, at.me, at.conv).await
    }
}
