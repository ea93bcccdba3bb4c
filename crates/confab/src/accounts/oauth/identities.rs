//! Accounts behind provider identities: a new account for an unknown identity (never
//! matched to an existing account by email), linking an identity to the signed-in owner,
//! listing and unlinking them.

use chrono::{DateTime, Utc};
use confab_proto::ids::UserId;
use confab_proto::oauth::IdentityOut;
use sea_orm::TransactionTrait;

use super::{Profile, failed};
use crate::accounts::auth::AuthUser;
use crate::accounts::error::AccountsError;
use crate::accounts::model::{self, Role, User};
use crate::accounts::registration::{self, Admission};
use crate::accounts::service;
use crate::accounts::store::{self, NewUser, Taken, WriteError};
use crate::error::ApiError;
use crate::infra::store::StoreError;
use crate::state::AppState;

/// A username candidate from a provider handle: lower-cased, other characters as `_`,
/// at most 24 characters (room for a suffix); `None` when too little is left.
fn username_base(raw: &str) -> Option<String> {
    let mut out = String::new();
    for c in raw.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '_'
        };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
        if out.len() >= 24 {
            break;
        }
    }
    let out = out.trim_matches('_').to_owned();
    model::normalize_username(&out).ok()
}

/// The username to try first: from the provider's login, name or email's local part.
fn first_username(profile: &Profile) -> String {
    [
        profile.login.as_deref(),
        profile.name.as_deref(),
        profile.email.as_deref().and_then(|e| e.split('@').next()),
    ]
    .into_iter()
    .flatten()
    .find_map(username_base)
    .unwrap_or_else(|| "user".to_owned())
}

/// The provider's display name as a nickname, screened like any nickname; one the filter
/// refuses falls back to the username (sign-in must not fail over it).
fn provider_nickname(state: &AppState, profile: &Profile) -> Option<String> {
    profile
        .name
        .as_deref()
        .or(profile.login.as_deref())
        .and_then(|n| model::display_text("nickname", n, 1, 64).ok())
        .and_then(|n| crate::moderation::screen::screen(state, "nickname", &n).ok())
        .map(|c| c.text)
}

/// How one attempt at creating a linked account ended.
enum Attempt {
    /// The account and its identity exist.
    Created(UserId),
    /// Someone took the username meanwhile: try another.
    UsernameTaken,
    /// The same provider account finished a concurrent first sign-in.
    IdentityTaken,
}

/// Creates an account for an unknown identity and links it, in one transaction. The
/// provider's email is not bound (and never matched against existing accounts).
pub(super) async fn create_account(
    state: &AppState,
    name: &str,
    profile: &Profile,
    admission: &Admission,
) -> Result<User, ApiError> {
    let base = first_username(profile);
    // A provider handle such as `admin` must not pass for the service either.
    let reserved = &state.config.auth.reserved_usernames;
    let base = if crate::accounts::reserved::is_reserved(&base, reserved) {
        "user".to_owned()
    } else {
        base
    };
    let nickname = provider_nickname(state, profile);
    let now = state.clock.now();
    for attempt in 0..8 {
        let username = if attempt == 0 {
            base.clone()
        } else {
            let n: u32 = rand::random_range(1000..1_000_000);
            format!("{base}_{n}")
        };
        if store::find_user_by(state.store.writer(), Taken::Username, &username)
            .await?
            .is_some()
        {
            continue;
        }
        let nickname = nickname.as_deref().unwrap_or(&username);
        match insert_linked(state, name, profile, &username, nickname, admission, now).await? {
            Attempt::Created(id) => {
                tracing::info!(provider = name, user_id = %id, "account created through a provider");
                return service::get_user(state, id).await;
            }
            Attempt::UsernameTaken => continue,
            // Use the account the concurrent sign-in made.
            Attempt::IdentityTaken => {
                let other = store::find_identity(state.store.writer(), name, &profile.subject)
                    .await?
                    .ok_or_else(|| failed(name, "identity vanished during sign-up"))?;
                return Ok(service::usable(
                    store::find_user(state.store.writer(), other).await?,
                )?);
            }
        }
    }
    Err(ApiError::internal(anyhow::anyhow!(
        "no free username for a provider sign-up"
    )))
}

/// Inserts the account and its identity in one transaction (rolled back unless both land).
async fn insert_linked(
    state: &AppState,
    name: &str,
    profile: &Profile,
    username: &str,
    nickname: &str,
    admission: &Admission,
    now: DateTime<Utc>,
) -> Result<Attempt, ApiError> {
    let id = UserId(state.ids.next_id());
    let txn = state
        .store
        .writer()
        .begin()
        .await
        .map_err(StoreError::from)?;
    let made = store::create_user(
        &txn,
        NewUser {
            id,
            username,
            email: None,
            email_verified: false,
            phone: None,
            phone_verified: false,
            password_hash: None,
            nickname,
            role: Role::User,
            now,
        },
    )
    .await;
    match made {
        Ok(()) => {}
        Err(WriteError::Taken(Taken::Username)) => return Ok(Attempt::UsernameTaken),
        Err(e) => return Err(e.into()),
    }
    let email = profile.email.as_deref();
    match store::create_identity(&txn, name, &profile.subject, id, email, now).await {
        Ok(()) => {}
        Err(WriteError::Taken(Taken::Identity)) => return Ok(Attempt::IdentityTaken),
        Err(e) => return Err(e.into()),
    }
    registration::admit(&txn, admission, id, now).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(Attempt::Created(id))
}

/// Link mode: attaches the identity to `user` (idempotent when it already is).
pub(super) async fn link(
    state: &AppState,
    name: &str,
    user: UserId,
    profile: &Profile,
) -> Result<(), ApiError> {
    service::usable(store::find_user(state.store.writer(), user).await?)?;
    match store::find_identity(state.store.writer(), name, &profile.subject).await? {
        Some(owner) if owner == user => return Ok(()),
        Some(_) => return Err(AccountsError::IdentityLinked.into()),
        None => {}
    }
    let mine = store::list_identities(state.store.writer(), user).await?;
    if mine.iter().any(|(p, _, _)| p == name) {
        return Err(AccountsError::ProviderAlreadyLinked.into());
    }
    store::create_identity(
        state.store.writer(),
        name,
        &profile.subject,
        user,
        profile.email.as_deref(),
        state.clock.now(),
    )
    .await?;
    tracing::info!(provider = name, user_id = %user, "identity linked");
    Ok(())
}

/// The caller's linked identities.
pub async fn list_identities(state: &AppState, user: UserId) -> Result<Vec<IdentityOut>, ApiError> {
    Ok(store::list_identities(state.store.reader(), user)
        .await?
        .into_iter()
        .map(|(provider, email, linked_at)| IdentityOut {
            provider,
            email,
            linked_at,
        })
        .collect())
}

/// Unlinks one of the caller's identities, unless it is their last way to sign in: an
/// account keeps a password or at least one other identity. (A verified email or phone
/// does not count: code sign-in may be turned off, and it is not a credential the user set.)
pub async fn unlink(state: &AppState, auth: AuthUser, name: &str) -> Result<(), ApiError> {
    let user = service::get_user(state, auth.user_id).await?;
    let mine = store::list_identities(state.store.writer(), auth.user_id).await?;
    if !mine.iter().any(|(p, _, _)| p == name) {
        return Err(AccountsError::NoSuchIdentity.into());
    }
    if user.password_hash.is_none() && mine.len() <= 1 {
        return Err(AccountsError::LastIdentity.into());
    }
    store::delete_identity(state.store.writer(), auth.user_id, name).await?;
    tracing::info!(provider = name, user_id = %auth.user_id, "identity unlinked");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_from_provider_handles() {
        assert_eq!(username_base("Octo-Cat").as_deref(), Some("octo_cat"));
        assert_eq!(
            username_base("Jane Q. Public").as_deref(),
            Some("jane_q_public")
        );
        assert_eq!(username_base("李雷").as_deref(), None);
        assert_eq!(username_base("ab").as_deref(), None);
        assert_eq!(
            username_base("a-very-long-login-name-that-goes-on").map(|u| u.len()),
            Some(24)
        );
    }
}
