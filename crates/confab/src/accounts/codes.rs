//! One-time verification codes: 6 digits from a CSPRNG, kept only as a hash in the cache,
//! bound to (channel, target, purpose), valid for `codes.ttl_secs` by the injected clock,
//! void after `codes.max_attempts` wrong guesses, single use. Sending is throttled per
//! target (one per `codes.resend_secs`, `codes.daily_per_target` a day) and per IP.
//! No universal code exists in any mode.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::error::AccountsError;
use super::model::{self, User};
use super::tokens::hash_secret;
use crate::error::ApiError;
use crate::state::AppState;

/// How a code travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// By email.
    Email,
    /// By SMS.
    Sms,
}

impl Channel {
    /// From the wire (`email` / `sms`).
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        match s {
            "email" => Ok(Channel::Email),
            "sms" => Ok(Channel::Sms),
            _ => Err(AccountsError::BadChannel.into()),
        }
    }
    /// Wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
    /// The account field an address of this channel lives in (`email`, `phone`).
    pub fn field(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "phone",
        }
    }
    /// The user's address on this channel, verified or not.
    pub fn address(self, user: &User) -> Option<&str> {
        match self {
            Channel::Email => user.email.as_deref(),
            Channel::Sms => user.phone.as_deref(),
        }
    }
    /// Whether the user's address on this channel was verified by a code.
    pub fn verified(self, user: &User) -> bool {
        match self {
            Channel::Email => user.email_verified,
            Channel::Sms => user.phone_verified,
        }
    }
    /// Normalises a target for this channel (an email address or an E.164 number).
    pub fn normalize(self, target: &str) -> Result<String, ApiError> {
        match self {
            Channel::Email => model::normalize_email(target).map_err(|e| e.with_field("target")),
            Channel::Sms => model::normalize_phone(target).map_err(|e| e.with_field("target")),
        }
    }
}

/// What a code is for; a code for one purpose never works for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Sign-up with a verified address.
    Register,
    /// Sign-in by code.
    Login,
    /// Reset a forgotten password.
    ResetPassword,
    /// Change the password while signed in.
    ChangePassword,
    /// Bind an email or phone to the signed-in account.
    Bind,
}

impl Purpose {
    /// From the wire.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        match s {
            "register" => Ok(Purpose::Register),
            "login" => Ok(Purpose::Login),
            "reset_password" => Ok(Purpose::ResetPassword),
            "change_password" => Ok(Purpose::ChangePassword),
            "bind" => Ok(Purpose::Bind),
            _ => Err(AccountsError::BadPurpose.into()),
        }
    }
    /// Wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::Login => "login",
            Purpose::ResetPassword => "reset_password",
            Purpose::ChangePassword => "change_password",
            Purpose::Bind => "bind",
        }
    }
}

/// What the cache holds for a pending code.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    /// SHA-256 of "code:channel:target:purpose".
    hash: String,
    /// Expiry by the business clock (Unix ms); the cache TTL is only a backstop.
    expires_at: i64,
    /// Wrong guesses left.
    tries_left: u32,
}

fn key(channel: Channel, target: &str, purpose: Purpose) -> String {
    format!(
        "code:{}:{}:{}",
        channel.as_str(),
        purpose.as_str(),
        hash_secret(target)
    )
}

fn digest(code: &str, channel: Channel, target: &str, purpose: Purpose) -> String {
    hash_secret(&format!(
        "{code}:{}:{target}:{}",
        channel.as_str(),
        purpose.as_str()
    ))
}

/// A new 6-digit code from the OS-seeded CSPRNG.
pub fn generate() -> String {
    format!("{:06}", rand::random_range(0..1_000_000u32))
}

/// Stores a fresh code for (channel, target, purpose), replacing any earlier one.
pub async fn store(
    state: &AppState,
    channel: Channel,
    target: &str,
    purpose: Purpose,
    code: &str,
) -> Result<(), ApiError> {
    let ttl = Duration::from_secs(state.config.codes.ttl_secs);
    let pending = Pending {
        hash: digest(code, channel, target, purpose),
        expires_at: (state.clock.now() + chrono::Duration::seconds(ttl.as_secs() as i64))
            .timestamp_millis(),
        tries_left: state.config.codes.max_attempts,
    };
    let bytes = serde_json::to_vec(&pending).map_err(ApiError::internal)?;
    state
        .cache
        .set(&key(channel, target, purpose), &bytes, ttl)
        .await?;
    Ok(())
}

/// Checks a code and uses it up. A wrong guess costs one try; the last wrong try voids the
/// code. The entry is taken out of the cache before it is compared, so two concurrent
/// correct guesses cannot both succeed.
pub async fn consume(
    state: &AppState,
    channel: Channel,
    target: &str,
    purpose: Purpose,
    code: &str,
) -> Result<(), ApiError> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AccountsError::CodeInvalid.into());
    }
    let k = key(channel, target, purpose);
    let Some(raw) = state.cache.take(&k).await? else {
        return Err(AccountsError::CodeInvalid.into());
    };
    let Ok(mut pending) = serde_json::from_slice::<Pending>(&raw) else {
        return Err(AccountsError::CodeInvalid.into());
    };
    let now = state.clock.now().timestamp_millis();
    if pending.expires_at <= now {
        return Err(AccountsError::CodeInvalid.into());
    }
    let given = digest(code, channel, target, purpose);
    if bool::from(given.as_bytes().ct_eq(pending.hash.as_bytes())) {
        return Ok(());
    }
    pending.tries_left = pending.tries_left.saturating_sub(1);
    if pending.tries_left > 0 {
        let left = Duration::from_millis(u64::try_from(pending.expires_at - now).unwrap_or(0));
        let bytes = serde_json::to_vec(&pending).map_err(ApiError::internal)?;
        // set_nx: if a new code was requested meanwhile, it wins.
        state.cache.set_nx(&k, &bytes, left).await?;
    }
    Err(AccountsError::CodeInvalid.into())
}

/// The account's own verified address for a channel (for codes sent to "my" email/phone).
pub fn account_target(user: &User, channel: Channel) -> Result<String, ApiError> {
    channel
        .address(user)
        .filter(|_| channel.verified(user))
        .map(str::to_owned)
        .ok_or_else(|| AccountsError::NoVerifiedAddress(channel).into())
}

fn resend_key(channel: Channel, target: &str) -> String {
    format!("code-resend:{}:{}", channel.as_str(), hash_secret(target))
}

/// Undoes the resend wait of a target after its code could not be delivered, so the user
/// may ask again at once (the daily counts stay spent).
pub async fn release_resend(
    state: &AppState,
    channel: Channel,
    target: &str,
) -> Result<(), ApiError> {
    state.cache.delete(&resend_key(channel, target)).await?;
    Ok(())
}

/// Applies the sending limits for a target and an IP: one code per `resend_secs` per target,
/// `daily_per_target` and `daily_per_ip` per day.
pub async fn throttle(
    state: &AppState,
    channel: Channel,
    target: &str,
    ip: std::net::IpAddr,
) -> Result<(), ApiError> {
    let cfg = &state.config.codes;
    let t = hash_secret(target);
    let resend_key = resend_key(channel, target);
    if !state
        .cache
        .set_nx(&resend_key, b"1", Duration::from_secs(cfg.resend_secs))
        .await?
    {
        let retry_after = state
            .cache
            .ttl(&resend_key)
            .await?
            .map_or(cfg.resend_secs, |d| d.as_secs() + 1);
        return Err(AccountsError::CodeTooSoon { retry_after }.into());
    }
    let day = Duration::from_secs(86_400);
    let per_target = state
        .cache
        .incr(&format!("code-day:t:{}:{t}", channel.as_str()), day)
        .await?;
    let per_ip = state.cache.incr(&format!("code-day:ip:{ip}"), day).await?;
    if per_target > u64::from(cfg.daily_per_target) || per_ip > u64::from(cfg.daily_per_ip) {
        return Err(AccountsError::CodeDailyLimit.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<_> = (0..200).map(|_| generate()).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        assert!(codes.len() > 190);
    }

    #[test]
    fn digests_bind_purpose_and_target() {
        let a = digest("123456", Channel::Email, "a@x.io", Purpose::Login);
        assert_ne!(
            a,
            digest("123456", Channel::Email, "b@x.io", Purpose::Login)
        );
        assert_ne!(
            a,
            digest("123456", Channel::Email, "a@x.io", Purpose::Register)
        );
        assert_ne!(a, digest("123456", Channel::Sms, "a@x.io", Purpose::Login));
    }
}
