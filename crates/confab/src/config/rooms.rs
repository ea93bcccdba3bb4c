//! `[rooms]`: voice rooms (docs/rooms.md). The SFU that carries their audio is configured
//! under `[media]` (`livekit_*`).

use serde::{Deserialize, Serialize};

/// `[rooms]`: voice rooms, mic seats and their timers.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoomsConfig {
    /// How long a user whose last socket dropped keeps their seat and place in a room, in
    /// seconds; a reconnect within it keeps both.
    pub grace_secs: u64,
    /// How long a seat application waits for an answer, in seconds.
    pub application_ttl_secs: u64,
    /// How long a seat invitation waits for an answer, in seconds.
    pub invite_ttl_secs: u64,
    /// How long a user kicked from a room may not re-enter, unless the kick says otherwise,
    /// in seconds.
    pub kick_ban_secs: u64,
    /// How many of the room chat's newest messages a new joiner sees.
    pub history_on_join: u32,
    /// The most rooms one user may own open at once.
    pub max_open_per_owner: u32,
}

impl Default for RoomsConfig {
    fn default() -> Self {
        Self {
            grace_secs: 30,
            application_ttl_secs: 60,
            invite_ttl_secs: 60,
            kick_ban_secs: 600,
            history_on_join: 50,
            max_open_per_owner: 3,
        }
    }
}
