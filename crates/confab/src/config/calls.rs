//! `[calls]`: voice and video calls (docs/calls.md): ringing and drop timers, the signalling
//! relay's bounds, and `[calls.turn]`, the ICE servers handed to clients with TURN REST
//! credentials.

use serde::{Deserialize, Serialize};

use super::Secret;

/// `[calls]`: 1:1 and group calls.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallsConfig {
    /// How long a 1:1 call rings before it ends as `missed`, in seconds.
    pub ring_timeout_secs: u64,
    /// How long a party whose device dropped keeps the call, in seconds; a reconnect of the
    /// same device within it keeps the call.
    pub grace_secs: u64,
    /// The largest `call.signal` payload, serialized, in bytes.
    pub signal_max_bytes: usize,
    /// `call.signal` frames one device may relay per second (a burst of ICE candidates
    /// fits).
    pub signals_per_second: u32,
    /// The ICE servers.
    pub turn: TurnConfig,
}

impl Default for CallsConfig {
    fn default() -> Self {
        Self {
            ring_timeout_secs: 45,
            grace_secs: 20,
            signal_max_bytes: 16 * 1024,
            signals_per_second: 50,
            turn: TurnConfig::default(),
        }
    }
}

/// `[calls.turn]`: STUN and TURN servers (coturn with `use-auth-secret`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TurnConfig {
    /// `stun:` URLs, handed out as they are.
    pub stun_urls: Vec<String>,
    /// `turn:` / `turns:` URLs, handed out with credentials (only when `secret` is set).
    pub urls: Vec<String>,
    /// coturn's `static-auth-secret` (at least 32 bytes); empty: no TURN credentials.
    pub secret: Secret,
    /// How long the credentials handed out work, in seconds.
    pub ttl_secs: u64,
}

impl Default for TurnConfig {
    fn default() -> Self {
        Self {
            stun_urls: Vec::new(),
            urls: Vec::new(),
            secret: Secret::default(),
            ttl_secs: 86_400,
        }
    }
}
