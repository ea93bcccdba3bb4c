//! Who else hears of newly stored messages: each feature that must act on them after the
//! commit (offline push) registers an [`AfterCommit`] at start-up, so messaging imports none
//! of them (docs/architecture.md's seams).
//!
//! The node's publisher calls every observer once per committed batch, after publishing it,
//! on the node that committed it — so in a cluster exactly one node sees each message here.
//! Observers are called on the publisher's task: they must not wait (hand the batch to a
//! bounded queue of their own, and drop when it is full), or every send's fan-out stalls.

use std::sync::{Arc, RwLock};

use confab_proto::messaging::MessageOut;

use crate::state::AppState;

/// One feature's interest in newly stored messages.
pub trait AfterCommit: Send + Sync {
    /// `batch`: messages just committed, in seq order per conversation. Must not block.
    fn committed(&self, batch: &[MessageOut]);
}

/// The registered observers (messaging's runtime state, installed at start-up).
#[derive(Default)]
pub struct Runtime {
    list: RwLock<Vec<Arc<dyn AfterCommit>>>,
}

/// Registers an observer (start-up).
pub fn register(state: &AppState, observer: Arc<dyn AfterCommit>) {
    match state.slot::<Runtime>().list.write() {
        Ok(mut list) => list.push(observer),
        Err(poisoned) => poisoned.into_inner().push(observer),
    }
}

/// Tells every observer about a committed batch.
pub(super) fn notify(state: &AppState, batch: &[MessageOut]) {
    let list = match state.slot::<Runtime>().list.read() {
        Ok(list) => list.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    for observer in list {
        observer.committed(batch);
    }
}
