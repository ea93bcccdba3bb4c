//! Bearer secrets: access tokens (HS256 JWTs), refresh-token bodies, `Authorization`
//! headers and signed download URLs.
//!
//! Invariants: arbitrary text never verifies unless it is a token signed with the key, and
//! then its claims are the ones returned; a token the server issues verifies to its user,
//! session and role until it expires, and then it is `Expired`; any one byte changed or
//! any cut makes it `Invalid`, and so does the same claims signed with another algorithm
//! (`none`, HS512); a download signature verifies for its own (file, user, expiry) only,
//! and any other text or one changed character fails.

use std::sync::OnceLock;

use base64::Engine;
use chrono::{DateTime, Utc};
use confab_proto::ids::{FileId, SessionId, UserId};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

use super::{must, u64_at};
use crate::accounts::auth::bearer;
use crate::accounts::model::Role;
use crate::accounts::tokens::{Claims, TokenError, TokenKeys, hash_secret};
use crate::http::extract::json_from_bytes;
use crate::media::model::{url_signature, url_signature_ok};

/// The signing secret of the targets (the corpus holds tokens signed with it).
pub const SECRET: &str = "confab-fuzz-secret-0123456789abcdef";
/// "Now" for the targets: 2026-01-01T00:00:00Z, in Unix seconds.
pub const NOW_SECS: i64 = 1_767_225_600;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(NOW_SECS, 0).unwrap_or_default()
}

/// The keys, built once per process (deriving them per input would be most of the work).
fn keys() -> &'static TokenKeys {
    static KEYS: OnceLock<TokenKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut c = crate::config::Config::default();
        c.auth.jwt_secret = crate::config::Secret::new(SECRET);
        must(TokenKeys::load(&c), "the fuzz keys")
    })
}

/// One access token: the bytes as a token, then a token issued for ids taken from the
/// bytes, verified, expired, tampered with and cut.
pub fn access_token(data: &[u8]) {
    let k = keys();
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(t) = k.verify(text, now())
    {
        let claims = payload(text);
        assert_eq!(claims.sub, t.user_id.to_string(), "sub");
        assert_eq!(claims.sid, t.session_id.to_string(), "sid");
        assert_eq!(claims.iss, "confab", "iss");
        assert!(claims.exp > NOW_SECS, "an expired token verified");
    }
    let user = u64_at(data, 0) as i64;
    let session = u64_at(data, 8) as i64;
    let role = if data.get(16).is_some_and(|b| b & 1 == 1) {
        Role::Admin
    } else {
        Role::User
    };
    let token = must(
        k.issue(UserId(user), SessionId(session), role, now()),
        "issuing",
    );
    let ttl = k.ttl_secs() as i64;
    let later = |s: i64| now() + chrono::Duration::seconds(s);
    match k.verify(&token, later(ttl - 1)) {
        Ok(t) => {
            assert!(user > 0 && session > 0, "a token for id {user}/{session}");
            assert_eq!(
                (t.user_id, t.session_id, t.role),
                (UserId(user), SessionId(session), role)
            );
        }
        Err(e) => {
            assert_eq!(e, TokenError::Invalid);
            assert!(user <= 0 || session <= 0, "a good token refused");
        }
    }
    assert_eq!(
        k.verify(&token, later(ttl)).err(),
        Some(TokenError::Expired)
    );
    // One byte changed, anywhere.
    let at = (u64_at(data, 17) % token.len() as u64) as usize;
    let byte = data.get(25).copied().unwrap_or(b'A');
    let mut tampered = token.clone().into_bytes();
    if tampered[at] != byte {
        tampered[at] = byte;
        if let Ok(t) = String::from_utf8(tampered) {
            assert_eq!(
                k.verify(&t, now()).err(),
                Some(TokenError::Invalid),
                "byte {at} set to {byte:#04x} in {token}"
            );
        }
    }
    // Cut anywhere.
    if token.is_char_boundary(at) {
        assert_eq!(
            k.verify(&token[..at], now()).err(),
            Some(TokenError::Invalid)
        );
    }
    // The same claims under another algorithm.
    let claims = payload(&token);
    let b64 = |s: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let body = token.split('.').nth(1).unwrap_or_default();
    let none = format!("{}.{body}.", b64(br#"{"alg":"none","typ":"JWT"}"#));
    assert_eq!(
        k.verify(&none, now()).err(),
        Some(TokenError::Invalid),
        "alg none"
    );
    let hs512 = must(
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        ),
        "HS512",
    );
    assert_eq!(
        k.verify(&hs512, now()).err(),
        Some(TokenError::Invalid),
        "HS512"
    );
}

/// The claims of a token that verified (its middle part).
fn payload(token: &str) -> Claims {
    let part = token.split('.').nth(1).unwrap_or_default();
    let raw = must(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part),
        "a verified token's payload",
    );
    must(serde_json::from_slice(&raw), "a verified token's claims")
}

/// One refresh exchange's inputs and one `Authorization` header: the body through the
/// extractor, the header through [`bearer`] and verification, and a download signature for
/// ids taken from the bytes.
pub fn refresh_token(data: &[u8]) {
    if let Ok(r) = json_from_bytes::<confab_proto::accounts::RefreshIn>(data) {
        let h = hash_secret(&r.refresh_token);
        assert!(
            h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "a stored hash {h:?}"
        );
    }
    if let Ok(v) = axum::http::HeaderValue::from_bytes(data) {
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        parts.headers.insert(axum::http::header::AUTHORIZATION, v);
        if let Some(t) = bearer(&parts) {
            let raw = String::from_utf8_lossy(data);
            let (scheme, _) = raw.split_once(' ').unwrap_or_default();
            assert!(scheme.eq_ignore_ascii_case("bearer"), "scheme {scheme:?}");
            assert_eq!(t, t.trim(), "an untrimmed token");
            let _ = keys().verify(t, now());
        }
    }
    signed_url(data);
}

/// A download URL's signature binds its file, user and expiry.
fn signed_url(data: &[u8]) {
    let key = keys().file_url_key();
    let (file, user) = (
        FileId(u64_at(data, 0) as i64),
        UserId(u64_at(data, 8) as i64),
    );
    let expires = u64_at(data, 16) as i64;
    let sig = must(url_signature(key, file, user, expires), "signing");
    assert!(url_signature_ok(key, file, user, expires, &sig));
    assert!(!url_signature_ok(
        key,
        file,
        user,
        expires.wrapping_add(1),
        &sig
    ));
    assert!(!url_signature_ok(
        key,
        FileId(file.0 ^ 1),
        user,
        expires,
        &sig
    ));
    assert!(!url_signature_ok(
        key,
        file,
        UserId(user.0 ^ 1),
        expires,
        &sig
    ));
    if let Ok(text) = std::str::from_utf8(data) {
        assert_eq!(
            url_signature_ok(key, file, user, expires, text),
            text == sig,
            "the bytes as a signature"
        );
    }
    let at = (u64_at(data, 24) % sig.len() as u64) as usize;
    let c = data.get(32).copied().unwrap_or(b'A');
    let mut other = sig.clone().into_bytes();
    if c.is_ascii() && other[at] != c {
        other[at] = c;
        let other = String::from_utf8_lossy(&other);
        assert!(
            !url_signature_ok(key, file, user, expires, &other),
            "signature {sig} with character {at} set to {:?} still verifies",
            char::from(c)
        );
    }
}
