//! Access tokens (short-lived HS256 JWTs naming user, session and role) and refresh tokens
//! (256 random bits, stored only as a SHA-256 hash).
//!
//! Expiry is checked against the injected [`Clock`](crate::infra::clock::Clock), not the
//! library's system clock, so tests can move time. The algorithm is pinned: a token whose
//! header says anything but HS256 (`none` included) is refused.

use std::path::Path;

use base64::Engine;
use chrono::{DateTime, Utc};
use confab_proto::ids::{SessionId, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::Role;
use crate::config::Config;

const ISSUER: &str = "confab";

/// What an access token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer, always `confab`.
    pub iss: String,
    /// User id.
    pub sub: String,
    /// Session id.
    pub sid: String,
    /// `user` or `admin`.
    pub role: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

/// A verified access token.
#[derive(Debug, Clone, Copy)]
pub struct AccessToken {
    /// The user.
    pub user_id: UserId,
    /// The session.
    pub session_id: SessionId,
    /// The role when the token was issued.
    pub role: Role,
}

/// Why a token was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Well-formed and signed, but past its expiry.
    Expired,
    /// Anything else: malformed, wrong algorithm, bad signature, wrong issuer.
    Invalid,
}

/// The signing keys.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: i64,
    /// Signs download URLs (media): derived from the same secret, so every node of a cluster
    /// agrees on it, but never equal to it.
    file_url_key: Vec<u8>,
}

impl TokenKeys {
    /// Keys from config, or — on the embedded store with no key configured — from
    /// `data_dir/jwt.secret`, created with 256 random bits on first start.
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        let secret = if config.auth.jwt_secret.is_empty() {
            load_or_create_secret(&config.data_dir.join("jwt.secret"))?
        } else {
            config.auth.jwt_secret.expose().as_bytes().to_vec()
        };
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.validate_exp = false;
        validation.leeway = 0;
        Ok(Self {
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            validation,
            ttl_secs: i64::try_from(config.auth.access_ttl_secs).unwrap_or(900),
            file_url_key: derive_key(&secret, "confab file-url key v1")?,
        })
    }

    /// The key that signs download URLs (`media::model::url_signature`).
    pub fn file_url_key(&self) -> &[u8] {
        &self.file_url_key
    }

    /// Seconds an access token lives.
    pub fn ttl_secs(&self) -> u64 {
        u64::try_from(self.ttl_secs).unwrap_or(0)
    }

    /// Signs an access token for a session.
    pub fn issue(
        &self,
        user: UserId,
        session: SessionId,
        role: Role,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            iss: ISSUER.into(),
            sub: user.to_string(),
            sid: session.to_string(),
            role: role.as_str().into(),
            iat: now.timestamp(),
            exp: now.timestamp() + self.ttl_secs,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Verifies signature, algorithm, issuer and expiry (at `now`).
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<AccessToken, TokenError> {
        if token.len() > 4096 {
            return Err(TokenError::Invalid);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        let c = data.claims;
        if c.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        let user_id = c.sub.parse().map_err(|_| TokenError::Invalid)?;
        let session_id = c.sid.parse().map_err(|_| TokenError::Invalid)?;
        Ok(AccessToken {
            user_id,
            session_id,
            role: Role::parse(&c.role),
        })
    }
}

fn load_or_create_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    match std::fs::read(path) {
        Ok(bytes) if bytes.len() >= 32 => Ok(bytes),
        Ok(_) => anyhow::bail!("{} is shorter than 32 bytes", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret: [u8; 32] = rand::random();
            let text = hex::encode(secret);
            write_private(path, text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(text.into_bytes())
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// A new refresh token: 256 random bits, base64url.
pub fn new_refresh_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a refresh token (or any other bearer secret).
pub fn hash_secret(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A key for another purpose, derived from the signing secret (HMAC-SHA256 of the purpose).
fn derive_key(secret: &[u8], purpose: &str) -> anyhow::Result<Vec<u8>> {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret)
        .map_err(|_| anyhow::anyhow!("HMAC refused the secret"))?;
    mac.update(purpose.as_bytes());
    Ok(mac.finalize().into_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        let mut c = Config::default();
        c.auth.jwt_secret = crate::config::Secret::new("0123456789abcdef0123456789abcdef");
        TokenKeys::load(&c).unwrap()
    }

    #[test]
    fn issue_verify_expire() {
        let k = keys();
        let now = Utc::now();
        let t = k.issue(UserId(5), SessionId(9), Role::Admin, now).unwrap();
        let v = k.verify(&t, now).unwrap();
        assert_eq!(
            (v.user_id, v.session_id, v.role),
            (UserId(5), SessionId(9), Role::Admin)
        );
        assert_eq!(
            k.verify(&t, now + chrono::Duration::seconds(900))
                .unwrap_err(),
            TokenError::Expired
        );
        assert!(k.verify(&t, now + chrono::Duration::seconds(899)).is_ok());
    }

    #[test]
    fn tampered_none_and_foreign_tokens_are_invalid() {
        let k = keys();
        let now = Utc::now();
        let t = k.issue(UserId(5), SessionId(9), Role::User, now).unwrap();
        // Flip one character in each part.
        for i in [3, t.find('.').unwrap() + 3, t.len() - 3] {
            let mut b = t.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            let s = String::from_utf8(b).unwrap();
            assert_eq!(
                k.verify(&s, now).unwrap_err(),
                TokenError::Invalid,
                "tampered at {i}"
            );
        }
        // alg: none.
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let payload = t.split('.').nth(1).unwrap();
        let none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), payload);
        assert_eq!(k.verify(&none, now).unwrap_err(), TokenError::Invalid);
        // Another key.
        let mut c = Config::default();
        c.auth.jwt_secret = crate::config::Secret::new("another-key-another-key-another-key");
        let other = TokenKeys::load(&c).unwrap();
        let foreign = other
            .issue(UserId(5), SessionId(9), Role::Admin, now)
            .unwrap();
        assert_eq!(k.verify(&foreign, now).unwrap_err(), TokenError::Invalid);
        assert_eq!(k.verify("", now).unwrap_err(), TokenError::Invalid);
        assert_eq!(
            k.verify(&"a".repeat(10_000), now).unwrap_err(),
            TokenError::Invalid
        );
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = new_refresh_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_refresh_token());
        assert_eq!(hash_secret(&a).len(), 64);
        assert_ne!(hash_secret(&a), a);
    }
}
