//! TURN credentials by the TURN REST API scheme (draft-uberti-behave-turn-rest, as coturn's
//! `use-auth-secret` implements it): the username is `<expiry unix seconds>:<user id>` and
//! the password is base64(HMAC-SHA1(shared secret, username)). coturn recomputes the HMAC
//! with the same secret and refuses an expired username; Confab keeps no state for it.

use chrono::{DateTime, Utc};
use confab_proto::calls::{IceServerOut, IceServersOut};
use confab_proto::ids::UserId;
use hmac::{Hmac, Mac};

use crate::config::TurnConfig;

/// The TURN REST password for `username`.
pub fn password(secret: &[u8], username: &str) -> String {
    use base64::Engine;
    // HMAC takes a key of any length; the error cannot happen.
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The ICE servers for `user` at `now`: the STUN URLs, then the TURN URLs with credentials
/// valid for `ttl_secs` (only when a secret is configured).
pub fn ice_servers(cfg: &TurnConfig, user: UserId, now: DateTime<Utc>) -> IceServersOut {
    let mut servers = Vec::new();
    if !cfg.stun_urls.is_empty() {
        servers.push(IceServerOut {
            urls: cfg.stun_urls.clone(),
            username: None,
            credential: None,
        });
    }
    let mut expires_at = None;
    if !cfg.urls.is_empty() && !cfg.secret.is_empty() {
        let ttl = i64::try_from(cfg.ttl_secs).unwrap_or(86_400);
        let expiry = now.timestamp().saturating_add(ttl);
        let username = format!("{expiry}:{user}");
        servers.push(IceServerOut {
            urls: cfg.urls.clone(),
            credential: Some(password(cfg.secret.expose().as_bytes(), &username)),
            username: Some(username),
        });
        expires_at = DateTime::from_timestamp(expiry, 0);
    }
    IceServersOut {
        ice_servers: servers,
        expires_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    /// Computed once with Python's `hmac` and `hashlib` (not this code).
    #[test]
    fn the_password_matches_an_independent_computation() {
        assert_eq!(
            password(b"a-turn-shared-secret-of-32-bytes-or-more", "1700000000:42"),
            "IcKINpYbrdgOUlYgFBLPYXOkLm4="
        );
    }

    #[test]
    fn turn_needs_a_secret_and_stun_does_not() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let mut cfg = TurnConfig {
            stun_urls: vec!["stun:stun.example.test:3478".into()],
            urls: vec!["turn:turn.example.test:3478".into()],
            ..TurnConfig::default()
        };
        let out = ice_servers(&cfg, UserId(42), now);
        assert_eq!(out.ice_servers.len(), 1);
        assert_eq!(out.expires_at, None);
        cfg.secret = Secret::new("a-turn-shared-secret-of-32-bytes-or-more");
        cfg.ttl_secs = 600;
        let out = ice_servers(&cfg, UserId(42), now);
        let turn = &out.ice_servers[1];
        assert_eq!(turn.username.as_deref(), Some("1700000600:42"));
        assert_eq!(
            turn.credential.as_deref(),
            Some(password(b"a-turn-shared-secret-of-32-bytes-or-more", "1700000600:42").as_str())
        );
        assert_eq!(out.expires_at.map(|t| t.timestamp()), Some(1_700_000_600));
    }
}
