//! TEMPORARY stand-in for the SFU module being written on branch rooms/sfu.

use chrono::{DateTime, Utc};
use confab_proto::ids::UserId;

use crate::config::MediaConfig;
use crate::state::AppState;

/// The LiveKit room of a Confab room.
pub fn room_name(id: impl std::fmt::Display) -> String {
    format!("confab-room-{id}")
}

/// What a token grants.
pub struct Grant<'a> {
    /// LiveKit room.
    pub room: &'a str,
    /// Identity.
    pub identity: UserId,
    /// Display name.
    pub name: Option<&'a str>,
    /// May publish.
    pub can_publish: bool,
}

/// A minted token.
pub struct MediaToken {
    /// JWT.
    pub token: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// SFU URL.
    pub url: String,
}

/// Why no token.
#[derive(Debug)]
pub enum SfuError {
    /// No key.
    NotConfigured,
}

/// Mints a token.
pub fn mint(
    _cfg: &MediaConfig,
    _now: DateTime<Utc>,
    _grant: &Grant,
) -> Result<MediaToken, SfuError> {
    Err(SfuError::NotConfigured)
}

/// Revokes publishing.
pub fn revoke_publish(_state: &AppState, _room: String, _identity: UserId) {}
/// Restores publishing.
pub fn restore_publish(_state: &AppState, _room: String, _identity: UserId) {}
/// Removes a participant.
pub fn remove(_state: &AppState, _room: String, _identity: UserId) {}
