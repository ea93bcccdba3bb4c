//! Minting LiveKit access tokens: the media token a member joins the SFU room with
//! ([`mint`]), and the RoomService worker's admin token ([`admin_token`]). HS256 with the API
//! secret; grants spelled as LiveKit documents them (camelCase, lower-case track sources).

use std::fmt;

use chrono::{DateTime, Utc};
use confab_proto::ids::UserId;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use crate::config::MediaConfig;

/// How long the worker's own admin tokens live: one request's worth, with room for clock skew.
const ADMIN_TOKEN_TTL_SECS: i64 = 600;

/// What a media token allows.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    /// The LiveKit room ([`room_name`]).
    pub room: &'a str,
    /// Who joins: the participant's identity in LiveKit is the user id.
    pub identity: UserId,
    /// The name other participants see, if any.
    pub name: Option<&'a str>,
    /// Whether they may publish their microphone (a seated, unmuted speaker), or only
    /// listen. Either way they may subscribe and send data messages.
    pub can_publish: bool,
}

/// A signed media token and where to use it.
#[derive(Clone)]
pub struct MediaToken {
    /// The JWT the client passes to LiveKit when it connects.
    pub token: String,
    /// When LiveKit stops accepting it for new connections (its `exp`).
    pub expires_at: DateTime<Utc>,
    /// The LiveKit server (`media.livekit_url`); empty when none is configured, in which case
    /// the client is expected to know it.
    pub url: String,
}

impl fmt::Debug for MediaToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a bearer credential: keep it out of logs.
        f.debug_struct("MediaToken")
            .field("token", &"[hidden]")
            .field("expires_at", &self.expires_at)
            .field("url", &self.url)
            .finish()
    }
}

/// Why no media token could be made.
#[derive(Debug, thiserror::Error)]
pub enum SfuError {
    /// `media.livekit_api_key` (or its secret) is not set: this server issues no media tokens.
    #[error("media tokens are not configured on this server")]
    NotConfigured,
    /// Signing failed (the claims could not be encoded); carries no key material.
    #[error("cannot sign a media token")]
    Sign(#[source] jsonwebtoken::errors::Error),
}

/// A token's claims, as LiveKit documents them.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The API key.
    iss: String,
    /// The participant's identity; absent from the worker's admin tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    nbf: i64,
    exp: i64,
    /// The participant's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    video: VideoGrant,
}

/// LiveKit's video grant. Every permission is written out even when false: LiveKit's SDKs
/// read a missing `canPublish` as *allowed*.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VideoGrant {
    room: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    room_join: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    room_admin: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    can_subscribe: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    can_publish: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    can_publish_data: Option<bool>,
    /// Lower-case track sources. An empty list restricts nothing by itself, so a listener's
    /// token relies on `canPublish: false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    can_publish_sources: Option<Vec<String>>,
}

/// Signs a token that lets `grant.identity` join `grant.room`, valid from `now` for
/// `media.media_token_ttl_secs`; a publisher may publish the microphone.
pub fn mint(
    cfg: &MediaConfig,
    now: DateTime<Utc>,
    grant: &Grant<'_>,
) -> Result<MediaToken, SfuError> {
    mint_with_sources(cfg, now, grant, &["microphone"])
}

/// [`mint`], with the track sources a publisher may publish (`microphone`, `camera`, …;
/// LiveKit's lower-case names). Calls use it for video.
pub fn mint_with_sources(
    cfg: &MediaConfig,
    now: DateTime<Utc>,
    grant: &Grant<'_>,
    sources: &[&str],
) -> Result<MediaToken, SfuError> {
    let ttl = i64::try_from(cfg.media_token_ttl_secs).unwrap_or(i64::MAX);
    let nbf = now.timestamp();
    let exp = nbf.saturating_add(ttl);
    let sources = if grant.can_publish {
        sources.iter().map(|s| (*s).to_owned()).collect()
    } else {
        Vec::new()
    };
    let claims = Claims {
        iss: cfg.livekit_api_key.clone(),
        sub: Some(grant.identity.to_string()),
        nbf,
        exp,
        name: grant.name.filter(|n| !n.is_empty()).map(str::to_owned),
        video: VideoGrant {
            room: grant.room.to_owned(),
            room_join: Some(true),
            can_subscribe: Some(true),
            can_publish: Some(grant.can_publish),
            can_publish_data: Some(true),
            can_publish_sources: Some(sources),
            ..VideoGrant::default()
        },
    };
    Ok(MediaToken {
        token: sign(cfg, &claims)?,
        expires_at: DateTime::from_timestamp(exp, 0).unwrap_or(DateTime::<Utc>::MAX_UTC),
        url: cfg.livekit_url.clone(),
    })
}

/// A token for the RoomService: `roomAdmin` on `room` only, no identity.
pub(super) fn admin_token(
    cfg: &MediaConfig,
    now: DateTime<Utc>,
    room: &str,
) -> Result<String, SfuError> {
    let claims = Claims {
        iss: cfg.livekit_api_key.clone(),
        sub: None,
        nbf: now.timestamp(),
        exp: now.timestamp().saturating_add(ADMIN_TOKEN_TTL_SECS),
        name: None,
        video: VideoGrant {
            room: room.to_owned(),
            room_admin: Some(true),
            ..VideoGrant::default()
        },
    };
    sign(cfg, &claims)
}

fn sign(cfg: &MediaConfig, claims: &Claims) -> Result<String, SfuError> {
    if cfg.livekit_api_key.is_empty() || cfg.livekit_api_secret.is_empty() {
        return Err(SfuError::NotConfigured);
    }
    let key = EncodingKey::from_secret(cfg.livekit_api_secret.expose().as_bytes());
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).map_err(SfuError::Sign)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use jsonwebtoken::{DecodingKey, Validation};

    use super::*;
    use crate::config::Secret;
    use crate::rooms::sfu::room_name;
    use crate::rooms::sfu::testing::{SECRET, cfg};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap() + chrono::Duration::milliseconds(750)
    }

    /// Decodes with the secret, checking signature, algorithm and issuer but not time (the
    /// test clock is in the future).
    fn decode(token: &str) -> serde_json::Value {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&["APIkey123"]);
        v.validate_exp = false;
        v.validate_nbf = false;
        v.set_required_spec_claims(&["exp", "nbf", "iss"]);
        jsonwebtoken::decode::<serde_json::Value>(
            token,
            &DecodingKey::from_secret(SECRET.as_bytes()),
            &v,
        )
        .unwrap()
        .claims
    }

    #[test]
    fn a_speaker_token_grants_the_microphone() {
        let room = room_name(9);
        let t = mint(
            &cfg(),
            now(),
            &Grant {
                room: &room,
                identity: UserId(123),
                name: Some("Alice"),
                can_publish: true,
            },
        )
        .unwrap();
        assert_eq!(t.url, "wss://sfu.example.test");
        assert_eq!(t.expires_at.timestamp(), now().timestamp() + 600);
        assert_eq!(t.expires_at.timestamp_subsec_nanos(), 0);
        let c = decode(&t.token);
        assert_eq!(c["iss"], "APIkey123");
        assert_eq!(c["sub"], "123");
        assert_eq!(c["name"], "Alice");
        assert_eq!(c["nbf"], now().timestamp());
        assert_eq!(c["exp"], now().timestamp() + 600);
        assert_eq!(
            c["video"],
            serde_json::json!({
                "room": "confab-room-9",
                "roomJoin": true,
                "canSubscribe": true,
                "canPublish": true,
                "canPublishData": true,
                "canPublishSources": ["microphone"],
            })
        );
    }

    #[test]
    fn a_listener_token_says_can_publish_false_explicitly() {
        let t = mint(
            &cfg(),
            now(),
            &Grant {
                room: "confab-room-9",
                identity: UserId(5),
                name: None,
                can_publish: false,
            },
        )
        .unwrap();
        let c = decode(&t.token);
        assert_eq!(c["sub"], "5");
        assert!(c.get("name").is_none(), "no name claim: {c}");
        assert_eq!(c["video"]["canPublish"], false);
        assert_eq!(c["video"]["canPublishSources"], serde_json::json!([]));
        assert_eq!(c["video"]["canSubscribe"], true);
        assert_eq!(c["video"]["roomJoin"], true);
        // The header pins HS256.
        assert_eq!(
            jsonwebtoken::decode_header(&t.token).unwrap().alg,
            Algorithm::HS256
        );
    }

    #[test]
    fn a_wrong_secret_does_not_verify() {
        let t = mint(
            &cfg(),
            now(),
            &Grant {
                room: "r",
                identity: UserId(5),
                name: None,
                can_publish: false,
            },
        )
        .unwrap();
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_exp = false;
        let other = DecodingKey::from_secret(b"another-secret-of-at-least-32-bytes");
        assert!(jsonwebtoken::decode::<serde_json::Value>(&t.token, &other, &v).is_err());
    }

    #[test]
    fn no_key_no_token() {
        let mut c = cfg();
        c.livekit_api_key.clear();
        let grant = Grant {
            room: "r",
            identity: UserId(1),
            name: None,
            can_publish: true,
        };
        assert!(matches!(
            mint(&c, now(), &grant),
            Err(SfuError::NotConfigured)
        ));
        let mut c = cfg();
        c.livekit_api_secret = Secret::default();
        assert!(matches!(
            mint(&c, now(), &grant),
            Err(SfuError::NotConfigured)
        ));
        // The message names no key material.
        assert!(!SfuError::NotConfigured.to_string().contains(SECRET));
    }

    #[test]
    fn admin_tokens_name_only_the_room() {
        let t = admin_token(&cfg(), now(), "confab-room-9").unwrap();
        let c = decode(&t);
        assert!(c.get("sub").is_none());
        assert_eq!(
            c["video"],
            serde_json::json!({"room": "confab-room-9", "roomAdmin": true})
        );
        assert_eq!(c["exp"], now().timestamp() + ADMIN_TOKEN_TTL_SECS);
    }
}
