//! Administrative status changes: disabling an account (signing it out everywhere at once)
//! and enabling it again.

use confab_proto::ids::UserId;

use super::sessions::revoke_all;
use super::users::get_user;
use crate::accounts::error::AccountsError;
use crate::accounts::model::Status;
use crate::accounts::store;
use crate::error::ApiError;
use crate::state::AppState;

/// Disables an account and signs out all its sessions at once, on every node.
pub async fn disable_user(state: &AppState, id: UserId) -> Result<(), ApiError> {
    if !store::set_status(
        state.store.writer(),
        id,
        Status::Disabled,
        state.clock.now(),
    )
    .await?
    {
        return Err(AccountsError::NoSuchUser.into());
    }
    revoke_all(state, id, None, "account_disabled").await?;
    Ok(())
}

/// Re-enables a disabled account.
pub async fn enable_user(state: &AppState, id: UserId) -> Result<(), ApiError> {
    let user = get_user(state, id).await?;
    if user.status == Status::Disabled {
        store::set_status(state.store.writer(), id, Status::Active, state.clock.now()).await?;
    }
    Ok(())
}
