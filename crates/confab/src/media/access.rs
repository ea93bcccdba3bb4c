//! Who may download a file besides its owner, asked of the features that put files where
//! others see them: each registers a [`FileAccess`] at start-up (messaging: attachments of
//! messages the reader can see), so media imports none of them. User avatars are accounts'
//! (below media), asked directly.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use confab_proto::ids::{FileId, UserId};

use crate::error::ApiError;
use crate::state::AppState;

/// One feature's answer to "may this user read this file?".
#[async_trait]
pub trait FileAccess: Send + Sync {
    /// Whether `user` may read `file` because of what this feature did with it.
    async fn may_read(
        &self,
        state: &AppState,
        user: UserId,
        file: FileId,
    ) -> Result<bool, ApiError>;
}

/// Media's runtime state: the registered answers.
#[derive(Default)]
pub struct Runtime {
    access: RwLock<Vec<Arc<dyn FileAccess>>>,
}

/// Registers a feature's answer (start-up).
pub fn register(state: &AppState, access: Arc<dyn FileAccess>) {
    match state.slot::<Runtime>().access.write() {
        Ok(mut list) => list.push(access),
        Err(poisoned) => poisoned.into_inner().push(access),
    }
}

/// Whether any registered feature lets `user` read `file`.
pub(super) async fn granted(
    state: &AppState,
    user: UserId,
    file: FileId,
) -> Result<bool, ApiError> {
    let list = match state.slot::<Runtime>().access.read() {
        Ok(list) => list.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    for access in list {
        if access.may_read(state, user, file).await? {
            return Ok(true);
        }
    }
    Ok(false)
}
