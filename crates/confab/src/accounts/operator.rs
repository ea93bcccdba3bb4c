//! Operator actions on accounts that no user-facing route offers: finding an account by id or
//! username for the `confab admin` CLI, and setting sign-in facts directly (an address the
//! operator verified out of band, an account left without a password to sign in by code or
//! OAuth only). The integration tests set accounts up with them too.

use confab_proto::ids::UserId;

use super::model::{User, normalize_username};
use super::store::{self, Taken};
use crate::error::ApiError;
use crate::state::AppState;

/// The account named by an id or a username (in any case), if any.
pub async fn find(state: &AppState, who: &str) -> Result<Option<User>, ApiError> {
    let db = state.store.reader();
    match who.parse::<UserId>() {
        Ok(id) => Ok(store::find_user(db, id).await?),
        Err(_) => {
            let name = normalize_username(who)?;
            Ok(store::find_user_by(db, Taken::Username, &name).await?)
        }
    }
}

/// Sets (or clears) a user's email as verified.
pub async fn set_email(
    state: &AppState,
    user: UserId,
    email: Option<&str>,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    Ok(store::set_email(state.store.writer(), user, email, now).await?)
}

/// Sets (or clears) a user's phone number as verified.
pub async fn set_phone(
    state: &AppState,
    user: UserId,
    phone: Option<&str>,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    Ok(store::set_phone(state.store.writer(), user, phone, now).await?)
}

/// Removes a user's password: they sign in by code or OAuth only.
pub async fn remove_password(state: &AppState, user: UserId) -> Result<(), ApiError> {
    let now = state.clock.now();
    Ok(store::set_password(state.store.writer(), user, None, now).await?)
}
