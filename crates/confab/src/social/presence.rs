//! Presence: a user is online while any of their devices has a socket open, on any node.
//!
//! Cluster-wide state lives in the cache port (never the store: presence is ephemeral):
//! - `presence:{user}:on` — exists while some node holds a socket of the user. Every such
//!   node re-sets it each heartbeat with a TTL of two heartbeats, so a crashed node's users
//!   read as offline within a minute (the default), with no one left to clean up.
//! - `presence:{user}:set` — the chosen [`PresenceSetting`] (`invisible` reads as offline
//!   to everyone else). Lost on a Redis restart, which resets it to `online`.
//!
//! Changes are published as `presence` events to [`presence_audience`]: the user's own
//! devices and their friends, never across a block. Known limit: when a
//! user has devices on two nodes and the last one on node A closes, node A clears the key
//! and announces `offline`; node B re-asserts `online` on its next heartbeat (at most
//! `heartbeat_secs` later). A crashed node's users time out silently (no event).

use std::time::Duration;

use confab_proto::ids::UserId;
use confab_proto::ws::{PresenceOut, PresenceSetting, PresenceStatus, ServerEvent};

use crate::infra::bus::Topic;
use crate::state::AppState;

/// How long a chosen setting is remembered without being set again.
const SETTING_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

fn on_key(user: UserId) -> String {
    format!("presence:{user}:on")
}

fn setting_key(user: UserId) -> String {
    format!("presence:{user}:set")
}

fn online_ttl(state: &AppState) -> Duration {
    Duration::from_secs(state.config.gateway.heartbeat_secs.saturating_mul(2))
}

/// Who is told about `user`'s presence changes: the user (their other devices) and their
/// friends, minus anyone either side blocks ([`super::service::presence_audience`]). On a
/// store error only the user is told (presence is best-effort; `GET /friends` has it too).
pub async fn presence_audience(state: &AppState, user: UserId) -> Vec<UserId> {
    let mut out = vec![user];
    match super::service::presence_audience(state, user).await {
        Ok(friends) => out.extend(friends),
        Err(e) => {
            tracing::warn!(error = %e, "presence audience unavailable; telling the user only")
        }
    }
    out
}

/// The user's chosen setting (`online` when unset or the cache is down).
pub async fn setting(state: &AppState, user: UserId) -> PresenceSetting {
    match state.cache.get(&setting_key(user)).await {
        Ok(Some(b)) => serde_json::from_slice(&b).unwrap_or_default(),
        Ok(None) => PresenceSetting::Online,
        Err(e) => {
            tracing::debug!(error = %e, "presence setting unreadable; assuming online");
            PresenceSetting::Online
        }
    }
}

fn shown(connected: bool, setting: PresenceSetting) -> PresenceStatus {
    match (connected, setting) {
        (false, _) | (true, PresenceSetting::Invisible) => PresenceStatus::Offline,
        (true, PresenceSetting::Online) => PresenceStatus::Online,
        (true, PresenceSetting::Away) => PresenceStatus::Away,
        (true, PresenceSetting::Busy) => PresenceStatus::Busy,
    }
}

/// Whether some node holds a socket of `user` (whatever their chosen setting: an invisible
/// user is still connected). Offline push asks this. `Err` when the cache cannot answer.
pub async fn connected_anywhere(
    state: &AppState,
    user: UserId,
) -> Result<bool, crate::infra::cache::CacheError> {
    Ok(state.cache.get(&on_key(user)).await?.is_some())
}

/// `user`'s presence as others see it.
pub async fn status_of(state: &AppState, user: UserId) -> PresenceOut {
    let connected = matches!(state.cache.get(&on_key(user)).await, Ok(Some(_)));
    PresenceOut {
        user_id: user,
        status: shown(connected, setting(state, user).await),
        at: state.clock.now(),
    }
}

async fn announce(state: &AppState, user: UserId, status: PresenceStatus) {
    let event = ServerEvent::Presence(PresenceOut {
        user_id: user,
        status,
        at: state.clock.now(),
    });
    // Encoded once, published once per audience member's topic.
    let Some(frame) = crate::push::encode(&event, None) else {
        return;
    };
    for member in presence_audience(state, user).await {
        if let Err(e) = state.bus.publish(Topic::User(member), frame.clone()).await {
            tracing::debug!(error = %e, "presence not published");
        }
    }
}

/// Marks `user` online (a socket opened). Announces it when the user was offline
/// cluster-wide and is not invisible.
pub async fn connected(state: &AppState, user: UserId) {
    let key = on_key(user);
    match state.cache.set_nx(&key, b"1", online_ttl(state)).await {
        Ok(true) => {
            let s = shown(true, setting(state, user).await);
            if s != PresenceStatus::Offline {
                announce(state, user, s).await;
            }
        }
        Ok(false) => {}
        Err(e) => tracing::debug!(error = %e, "presence not recorded"),
    }
}

/// The user's last socket on this node closed. Announces `offline` (see the module doc
/// for users with devices on other nodes).
pub async fn disconnected(state: &AppState, user: UserId) {
    match state.cache.delete(&on_key(user)).await {
        Ok(true) => {
            if setting(state, user).await != PresenceSetting::Invisible {
                announce(state, user, PresenceStatus::Offline).await;
            }
        }
        Ok(false) => {}
        Err(e) => tracing::debug!(error = %e, "presence not cleared"),
    }
}

/// Re-asserts every local user's presence (each heartbeat), re-announcing anyone whose
/// mark had expired or been cleared by another node.
pub async fn refresh(state: &AppState) {
    let ttl = online_ttl(state);
    for user in state.push.registry.local_users() {
        match state.cache.set_nx(&on_key(user), b"1", ttl).await {
            Ok(true) => {
                let s = shown(true, setting(state, user).await);
                if s != PresenceStatus::Offline {
                    announce(state, user, s).await;
                }
            }
            Ok(false) => {
                let _ = state.cache.set(&on_key(user), b"1", ttl).await;
            }
            Err(e) => {
                tracing::debug!(error = %e, "presence refresh failed");
                return;
            }
        }
    }
}

/// Stores `user`'s chosen setting and announces the change others see, if any.
pub async fn set(state: &AppState, user: UserId, to: PresenceSetting) -> PresenceOut {
    let before = status_of(state, user).await;
    let bytes = serde_json::to_vec(&to).unwrap_or_default();
    if let Err(e) = state
        .cache
        .set(&setting_key(user), &bytes, SETTING_TTL)
        .await
    {
        tracing::warn!(error = %e, "presence setting not stored");
    }
    let connected = matches!(state.cache.get(&on_key(user)).await, Ok(Some(_)));
    let after = PresenceOut {
        user_id: user,
        status: shown(connected, to),
        at: state.clock.now(),
    };
    if after.status != before.status {
        announce(state, user, after.status).await;
    }
    after
}

/// Whether `viewer` may see `user`'s presence: the user themself and their friends (never
/// across a block). Fails closed on a store error.
pub async fn may_see(state: &AppState, viewer: UserId, user: UserId) -> bool {
    viewer == user
        || super::service::are_friends(state, viewer, user)
            .await
            .unwrap_or(false)
}

/// Tells `to` (all their devices) what `about`'s presence is now, as others see it: for a
/// new friend, or one whose block was lifted.
pub async fn tell(state: &AppState, about: UserId, to: UserId) {
    let now = status_of(state, about).await;
    tell_status(state, about, to, now.status).await;
}

/// Tells `to` that `about` now reads as offline (the friendship ended, or a block began).
pub async fn tell_offline(state: &AppState, about: UserId, to: UserId) {
    tell_status(state, about, to, PresenceStatus::Offline).await;
}

async fn tell_status(state: &AppState, about: UserId, to: UserId, status: PresenceStatus) {
    let event = ServerEvent::Presence(PresenceOut {
        user_id: about,
        status,
        at: state.clock.now(),
    });
    if let Err(e) = crate::push::publish(state, Topic::User(to), &event).await {
        tracing::debug!(error = %e, "presence not published");
    }
}
