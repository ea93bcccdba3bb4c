//! What other features add to the sync answer (`GET /sync`): each registers a
//! [`SyncBadges`] at start-up (moments: its red dots), so messaging imports none of them
//! (docs/architecture.md, decision 0015).

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use confab_proto::ids::UserId;
use confab_proto::messaging::SyncOut;

use crate::error::ApiError;
use crate::state::AppState;

/// One feature's contribution to a user's sync answer.
#[async_trait]
pub trait SyncBadges: Send + Sync {
    /// Fills this feature's fields of `out` for `me`.
    async fn fill(&self, state: &AppState, me: UserId, out: &mut SyncOut) -> Result<(), ApiError>;
}

/// The registered contributions (messaging's runtime state, installed at start-up).
#[derive(Default)]
pub struct Runtime {
    list: RwLock<Vec<Arc<dyn SyncBadges>>>,
}

/// Registers a feature's contribution (start-up).
pub fn register(state: &AppState, badges: Arc<dyn SyncBadges>) {
    match state.slot::<Runtime>().list.write() {
        Ok(mut list) => list.push(badges),
        Err(poisoned) => poisoned.into_inner().push(badges),
    }
}

/// Lets every registered feature fill its fields.
pub(super) async fn fill(state: &AppState, me: UserId, out: &mut SyncOut) -> Result<(), ApiError> {
    let list = match state.slot::<Runtime>().list.read() {
        Ok(list) => list.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    for badges in list {
        badges.fill(state, me, out).await?;
    }
    Ok(())
}
