//! Changing the password (proved by the old one or by a code), setting a new one, and
//! deleting the account (proved by the password, when it has one).

use confab_proto::accounts::{DeleteMeIn, PasswordChangeIn};
use confab_proto::ids::SessionId;

use super::sessions::revoke_all;
use super::users::get_user;
use crate::accounts::auth::{self, AuthUser};
use crate::accounts::codes::{self, Channel, Purpose};
use crate::accounts::error::AccountsError;
use crate::accounts::model::User;
use crate::accounts::password::{check_strength, user_inputs};
use crate::accounts::store;
use crate::error::ApiError;
use crate::state::AppState;

/// Changes the password (proved by the old one, or by a code), and signs out every other
/// session.
pub async fn change_password(
    state: &AppState,
    auth: AuthUser,
    input: PasswordChangeIn,
) -> Result<(), ApiError> {
    let user = get_user(state, auth.user_id).await?;
    match (&input.old_password, &input.code_channel, &input.code) {
        (Some(old), _, _) => {
            if !auth::context(state)
                .passwords
                .verify(old, user.password_hash.as_deref())
                .await?
            {
                return Err(AccountsError::WrongCurrentPassword.into());
            }
        }
        (None, Some(channel), Some(code)) => {
            let channel = Channel::parse(channel)?;
            let target = codes::account_target(&user, channel)?;
            codes::consume(state, channel, &target, Purpose::ChangePassword, code).await?;
        }
        _ => return Err(AccountsError::ProofMissing.into()),
    }
    set_new_password(
        state,
        &user,
        &input.new_password,
        Some(auth.session_id),
        "password_changed",
    )
    .await?;
    Ok(())
}

/// Sets a user's new password — checked against the strength rule and the user's own
/// names, hashed — and signs out every session but `keep`. Returns how many were signed out.
pub async fn set_new_password(
    state: &AppState,
    user: &User,
    new_password: &str,
    keep: Option<SessionId>,
    reason: &str,
) -> Result<usize, ApiError> {
    let inputs = user_inputs(&user.username, user.email.as_deref());
    check_strength(new_password, &inputs).map_err(|e| e.with_field("new_password"))?;
    let hash = auth::context(state).passwords.hash(new_password).await?;
    store::set_password(
        state.store.writer(),
        user.id,
        Some(&hash),
        state.clock.now(),
    )
    .await?;
    revoke_all(state, user.id, keep, reason).await
}

/// Deletes the caller's account: personal data scrubbed, every session revoked.
pub async fn delete_me(
    state: &AppState,
    auth: AuthUser,
    input: DeleteMeIn,
) -> Result<(), ApiError> {
    let user = get_user(state, auth.user_id).await?;
    if let Some(hash) = user.password_hash.as_deref() {
        let given = input.password.as_deref().unwrap_or("");
        if !auth::context(state)
            .passwords
            .verify(given, Some(hash))
            .await?
        {
            return Err(AccountsError::WrongPassword.into());
        }
    }
    store::scrub_user(state.store.writer(), auth.user_id, state.clock.now()).await?;
    revoke_all(state, auth.user_id, None, "account_deleted").await?;
    tracing::info!(user_id = %auth.user_id, "account deleted");
    Ok(())
}
