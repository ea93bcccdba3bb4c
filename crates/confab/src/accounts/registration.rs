//! The registration policy (`auth.registration`): whether a new account may be made now,
//! on every path that makes one — password sign-up, the first OAuth sign-in of an unknown
//! identity — and, in `invite` mode, redeeming the invite code in the same transaction that
//! creates the account. Signing in to an existing account is never affected; nor are
//! administrators made by the operator (`confab admin create-admin`).

use chrono::{DateTime, Utc};
use confab_proto::ids::UserId;
use sea_orm::ConnectionTrait;

use super::error::AccountsError;
use super::invites::code_hash;
use super::store;
use crate::config::Registration;
use crate::error::ApiError;
use crate::state::AppState;

/// What lets a sign-up through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Registration is open (or inside its window).
    Open,
    /// An invite code, by its hash, to redeem when the account is created.
    Invite(String),
}

/// Whether the policy lets anyone sign up at `now` without a code: `open`, or `window`
/// with `now` inside it. `closed` and a window not open now refuse with
/// `registration_closed`; `invite` answers `Ok(false)` (a code decides).
pub fn open_at(state: &AppState, now: DateTime<Utc>) -> Result<bool, AccountsError> {
    match state.config.auth.registration {
        Registration::Open => Ok(true),
        Registration::Invite => Ok(false),
        Registration::Closed => Err(AccountsError::RegistrationClosed),
        Registration::Window => match state.config.auth.registration_window() {
            Some((opens, closes)) if opens <= now && now < closes => Ok(true),
            _ => Err(AccountsError::RegistrationClosed),
        },
    }
}

/// Checks the policy before any work is spent on a sign-up: refuses when registration is
/// closed, and in `invite` mode without a code or with one that would not work now. The
/// code is only looked at here; [`admit`] takes the use, atomically.
pub async fn admission(state: &AppState, invite: Option<&str>) -> Result<Admission, ApiError> {
    let hash = invite
        .filter(|c| !c.trim().is_empty())
        .map(|c| code_hash(c).ok_or(AccountsError::InviteInvalid))
        .transpose()?;
    admission_hashed(state, hash).await
}

/// [`admission`] for a code already hashed ([`code_hash`]): the OAuth flow keeps only the
/// hash while the user is at the provider.
pub async fn admission_hashed(
    state: &AppState,
    hash: Option<String>,
) -> Result<Admission, ApiError> {
    let now = state.clock.now();
    if open_at(state, now)? {
        return Ok(Admission::Open);
    }
    let hash = hash.ok_or(AccountsError::InviteRequired)?;
    let usable = store::find_invite_by_hash(state.store.reader(), &hash)
        .await?
        .is_some_and(|i| i.usable(now));
    if !usable {
        return Err(AccountsError::InviteInvalid.into());
    }
    Ok(Admission::Invite(hash))
}

/// Inside the transaction that creates `user`: takes one use of the invite (refused when a
/// racing sign-up took the last one, or it expired or was revoked meanwhile) and records
/// who used it. The caller rolls back on an error, so no account exists without its use.
pub async fn admit(
    db: &impl ConnectionTrait,
    admission: &Admission,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if let Admission::Invite(hash) = admission {
        let id = store::redeem_invite(db, hash, now)
            .await?
            .ok_or(AccountsError::InviteInvalid)?;
        store::record_invite_use(db, id, user, now).await?;
        tracing::info!(invite_id = %id, user_id = %user, "sign-up invite used");
    }
    Ok(())
}
