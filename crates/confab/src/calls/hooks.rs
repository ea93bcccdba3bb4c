//! Who else hears of ended calls: a feature that acts on them (offline push: a missed call
//! for a callee with no connected device) registers a [`CallEnded`] at start-up, so calls
//! imports none of them (docs/architecture.md's seams).
//!
//! Called once per call, after the transaction that ended it committed, on the node whose
//! transition won ([`super::lifecycle::finish`]) — so exactly one node in a cluster. Hooks
//! must not wait (hand the call to a bounded queue of their own).

use std::sync::{Arc, RwLock};

use confab_proto::calls::CallOut;

use crate::state::AppState;

/// One feature's interest in ended calls.
pub trait CallEnded: Send + Sync {
    /// `call` just ended (its `outcome` is set). Must not block.
    fn ended(&self, call: &CallOut);
}

/// The registered hooks (calls' runtime state, installed at start-up).
#[derive(Default)]
pub struct Runtime {
    list: RwLock<Vec<Arc<dyn CallEnded>>>,
}

/// Registers a hook (start-up).
pub fn register(state: &AppState, hook: Arc<dyn CallEnded>) {
    match state.slot::<Runtime>().list.write() {
        Ok(mut list) => list.push(hook),
        Err(poisoned) => poisoned.into_inner().push(hook),
    }
}

/// Tells every hook that `call` ended.
pub(super) fn notify(state: &AppState, call: &CallOut) {
    let list = match state.slot::<Runtime>().list.read() {
        Ok(list) => list.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    for hook in list {
        hook.ended(call);
    }
}
