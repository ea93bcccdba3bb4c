//! LiveKit, the SFU that carries a voice room's audio: the access tokens clients join it
//! with, and the RoomService calls that take a right away the moment a seat loses it.
//!
//! Confab never relays media. A member asks Confab for a token ([`mint`]) naming the room
//! ([`room_name`]), their identity (the user id) and whether they may publish (a seated,
//! unmuted speaker) or only listen; LiveKit checks the signature (HMAC-SHA256 with the API
//! secret) and the grant when they connect. A token's rights hold for the whole connection,
//! so when a speaker is muted, loses their seat or is kicked, Confab tells LiveKit at once
//! through its RoomService (Twirp: JSON over HTTP): [`revoke_publish`], [`restore_publish`],
//! [`remove`].
//!
//! Those calls never hold up the request that caused them: they are queued to one worker
//! per node ([`Runtime`]) that sends them in order, retrying transport errors and 5xx with
//! exponential backoff and jitter. They are best effort by design: a call that cannot be
//! delivered (the queue is full, LiveKit stays down, the node stops) is logged and counted
//! (`confab_sfu_calls_total{method,outcome}`) and dropped, because the room's own state is
//! the truth and tokens are short-lived (`media.media_token_ttl_secs`): a client whose rights
//! changed cannot get a new token with the old ones.
//!
//! Spellings follow LiveKit's documentation and protocol: token grants in camelCase with
//! track sources in lower case (`"microphone"`), RoomService bodies in protobuf JSON
//! (lowerCamelCase fields, enum names such as `"MICROPHONE"`). Secrets and tokens never
//! appear in errors or logs.
//!
//! Layout: [`token`] mints the tokens (the media token, and the RoomService's admin token);
//! [`room_service`] holds the worker that sends the calls, in order, with retries.

use std::fmt;

mod room_service;
mod token;

pub use room_service::{Runtime, remove, restore_publish, revoke_publish};
pub use token::{Grant, MediaToken, SfuError, mint, mint_with_sources};

/// LiveKit's room name for a Confab room: `confab-room-{id}`, so the SFU can be shared with
/// other applications without their rooms colliding with ours.
pub fn room_name(room_id: impl fmt::Display) -> String {
    format!("confab-room-{room_id}")
}

#[cfg(test)]
pub(crate) mod testing {
    //! What the unit tests of both halves share: a configured `[media]` section.

    use crate::config::{MediaConfig, Secret};

    /// The test API secret.
    pub(crate) const SECRET: &str = "a-test-secret-of-at-least-32-bytes!!";

    /// A `[media]` section with a URL, a key and [`SECRET`].
    pub(crate) fn cfg() -> MediaConfig {
        MediaConfig {
            livekit_url: "wss://sfu.example.test".into(),
            livekit_api_key: "APIkey123".into(),
            livekit_api_secret: Secret::new(SECRET),
            media_token_ttl_secs: 600,
            ..MediaConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use confab_proto::ids::UserId;

    use super::*;

    #[test]
    fn room_names_are_prefixed() {
        assert_eq!(room_name(42), "confab-room-42");
        assert_eq!(room_name(UserId(7)), "confab-room-7");
    }
}
