//! Password sign-in, and which accounts may sign in at all.
//!
//! Unknown accounts and wrong passwords get the same [`AccountsError::InvalidCredentials`]
//! after the same work: for an unknown account the password is verified against a dummy
//! hash ([`crate::accounts::password::Passwords::verify`]).

use std::time::Duration;

use confab_proto::accounts::{LoginIn, TokenOut};

use super::sessions::start_session;
use super::{Origin, limit_ip};
use crate::accounts::error::AccountsError;
use crate::accounts::model::{self, Status, User};
use crate::accounts::store::{self, Taken};
use crate::accounts::tokens::hash_secret;
use crate::accounts::{auth, captcha};
use crate::error::ApiError;
use crate::state::AppState;

const HOUR: Duration = Duration::from_secs(3600);

/// A loaded user that may sign in, or the refusal that says why not.
pub fn usable(user: Option<User>) -> Result<User, AccountsError> {
    match user {
        Some(u) if u.status == Status::Active => Ok(u),
        Some(u) if u.status == Status::Disabled => Err(AccountsError::Disabled),
        _ => Err(AccountsError::InvalidCredentials),
    }
}

/// Which column a login identifier names.
pub fn identify(login: &str) -> Result<(Taken, String), ApiError> {
    let login = login.trim();
    if login.contains('@') {
        Ok((
            Taken::Email,
            model::normalize_email(login).map_err(|_| AccountsError::InvalidCredentials)?,
        ))
    } else if login.starts_with('+') {
        Ok((
            Taken::Phone,
            model::normalize_phone(login).map_err(|_| AccountsError::InvalidCredentials)?,
        ))
    } else {
        // Not a valid username either: still run the dummy hash below, answer the same.
        Ok((Taken::Username, login.to_ascii_lowercase()))
    }
}

/// Password sign-in by username, email or phone. Unknown accounts and wrong passwords get
/// the same answer after the same work; failed attempts per identifier per hour are capped.
/// After `auth.captcha_after_failures` failures within the hour for the identifier or from
/// the client's address, a solved captcha is required first (checked, and used up, before
/// the password is: a `captcha_required` answer tells nothing about the password).
pub async fn login(state: &AppState, input: LoginIn, origin: Origin) -> Result<TokenOut, ApiError> {
    limit_ip(state, "login", origin.ip).await?;
    if input.login.chars().count() > 254 || input.password.chars().count() > 128 {
        return Err(AccountsError::InvalidCredentials.into());
    }
    let (field, value) = identify(&input.login)?;
    let fail_key = format!("login-fail:{}", hash_secret(&value));
    let ip_key = format!("login-fail-ip:{}", origin.ip);
    check_failures(state, &fail_key).await?;
    let after = u64::from(state.config.auth.captcha_after_failures);
    if after > 0
        && (failures(state, &fail_key).await? >= after || failures(state, &ip_key).await? >= after)
    {
        captcha::verify(
            state,
            input.captcha_id.as_deref(),
            input.captcha_answer.as_deref(),
        )
        .await?;
    }
    let user = store::find_user_by(state.store.reader(), field, &value).await?;
    let hash = user
        .as_ref()
        .filter(|u| u.status != Status::Deleted)
        .and_then(|u| u.password_hash.as_deref());
    let ok = auth::context(state)
        .passwords
        .verify(&input.password, hash)
        .await?;
    if !ok {
        state.cache.incr(&fail_key, HOUR).await?;
        if after > 0 {
            // Not reset by a success: signing in to one's own account must not buy an
            // address more free guesses at others.
            state.cache.incr(&ip_key, HOUR).await?;
        }
        return Err(AccountsError::InvalidCredentials.into());
    }
    let user = usable(user)?;
    state.cache.delete(&fail_key).await?;
    start_session(state, &user, origin).await
}

/// The failures counted under `key` this hour.
async fn failures(state: &AppState, key: &str) -> Result<u64, ApiError> {
    Ok(state
        .cache
        .get(key)
        .await?
        .and_then(|v| {
            std::str::from_utf8(&v)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
        })
        .unwrap_or(0))
}

/// Refuses once the identifier behind `fail_key` has used up its failed attempts this hour.
async fn check_failures(state: &AppState, fail_key: &str) -> Result<(), ApiError> {
    let max = u64::from(state.config.auth.max_failed_logins_per_hour);
    if failures(state, fail_key).await? >= max {
        let retry_after = state
            .cache
            .ttl(fail_key)
            .await?
            .map_or(3600, |d| d.as_secs() + 1);
        return Err(AccountsError::TooManyAttempts { retry_after }.into());
    }
    Ok(())
}
