//! Loading users: by id (fresh or from a reader), as public profiles, and the counts the
//! admin stats show.

use std::collections::HashMap;

use confab_proto::accounts::UserOut;
use confab_proto::ids::UserId;

use crate::accounts::error::AccountsError;
use crate::accounts::model::{Status, User};
use crate::accounts::store;
use crate::error::ApiError;
use crate::state::AppState;

/// The user's row, whatever its status, from the primary when `fresh` (a decision that
/// must see its own writes), else from a reader.
pub async fn find_user(
    state: &AppState,
    id: UserId,
    fresh: bool,
) -> Result<Option<User>, ApiError> {
    let db = if fresh {
        state.store.writer()
    } else {
        state.store.reader()
    };
    Ok(store::find_user(db, id).await?)
}

/// Accounts not deleted, and of those the disabled ones (the admin stats).
pub async fn count_users(state: &AppState) -> Result<(u64, u64), ApiError> {
    Ok(store::count_users(state.store.reader()).await?)
}

/// The user, or 404.
pub async fn get_user(state: &AppState, id: UserId) -> Result<User, ApiError> {
    match store::find_user(state.store.reader(), id).await? {
        Some(u) if u.status != Status::Deleted => Ok(u),
        _ => Err(AccountsError::NoSuchUser.into()),
    }
}

/// Anyone's public profile.
pub async fn public_user(state: &AppState, id: UserId) -> Result<UserOut, ApiError> {
    Ok(get_user(state, id).await?.public())
}

/// The public profiles of these users, by id (deleted accounts and unknown ids are left
/// out), in one query.
pub async fn public_users(
    state: &AppState,
    ids: &[UserId],
) -> Result<HashMap<UserId, UserOut>, ApiError> {
    Ok(store::find_users(state.store.reader(), ids)
        .await?
        .into_iter()
        .filter(|u| u.status != Status::Deleted)
        .map(|u| (u.id, u.public()))
        .collect())
}
