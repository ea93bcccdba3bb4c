//! Offline push (docs/push.md, decision 0023): when a message or a missed 1:1 call reaches
//! a user with no connected device anywhere in the cluster, POST a signed summary to the
//! operator's webhook (`[push]`), the integration point for APNs / FCM gateways.
//!
//! # Layout
//! - [`api`]: `GET`/`PATCH /me/push-settings` (private previews).
//! - [`settings`]: the user's push settings, and their table (`push_settings`).
//! - [`collect`]: the seams' ends ([`PushOnCommit`] for messaging, [`PushOnMissedCall`] for
//!   calls), and the collector task: who gets an item, per-user batches, their windows.
//! - [`deliver`]: the webhook request: body, HMAC signature, retries with backoff.
//!
//! # Invariants
//! - Off the send path: messaging's publisher and calls' `finish` hand batches over with a
//!   non-blocking `try_send` into a bounded queue ([`crate::config::PushConfig::queue`]); a
//!   full queue drops the push (counted in `confab_push_dropped_total`), never slows a send.
//! - One node pushes a message: the node that committed it (its publisher alone calls the
//!   observers). A missed call: the node whose transition ended it.
//! - Nobody is pushed their own message; nor a message of a conversation they muted; nor
//!   anything while some device of theirs has a socket open (`presence:{user}:on`); only
//!   direct and group conversations push (channels and rooms are live-only).
//! - A request carries at most `max_batch_items` items for one user, the badge computed as
//!   `GET /sync`'s `total_unread` when the request is built, and is signed over its exact
//!   bytes; every retry of it has the same body and `delivery_id`.
//!
//! # Calls
//! accounts (display names), calls (the ended-call hook), messaging (audiences, unread
//! totals, the after-commit seam), social (whether a user is connected). Nothing calls
//! offline but the surface (`lib.rs` wires it, `http` mounts its routes).

pub mod api;
pub mod collect;
pub mod deliver;
pub mod settings;
mod store;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use confab_proto::ids::UserId;
use tokio::sync::mpsc;

pub use collect::{Job, PushOnCommit, PushOnMissedCall};

use crate::state::AppState;

/// Offline push's runtime state: the queue into the collector (absent when push is off)
/// and how many items wait per user.
pub struct Runtime {
    tx: Option<mpsc::Sender<Job>>,
    pending: Arc<Mutex<HashMap<UserId, usize>>>,
}

/// The collector's end of the queue, for [`spawn`].
pub struct Receiver(mpsc::Receiver<Job>);

impl Runtime {
    /// The runtime, and the queue's receiving end when `push.webhook_url` is set.
    pub fn new(config: &crate::config::Config) -> (Self, Option<Receiver>) {
        let pending = Arc::default();
        if config.push.webhook_url.is_empty() {
            return (Self { tx: None, pending }, None);
        }
        let (tx, rx) = mpsc::channel(config.push.queue);
        (
            Self {
                tx: Some(tx),
                pending,
            },
            Some(Receiver(rx)),
        )
    }

    /// The queue into the collector, when push is on.
    pub fn sender(&self) -> Option<mpsc::Sender<Job>> {
        self.tx.clone()
    }
}

/// Starts the collector and the delivery worker (after every slot is installed).
pub fn spawn(state: AppState, rx: Option<Receiver>) -> anyhow::Result<()> {
    let Some(Receiver(rx)) = rx else {
        return Ok(());
    };
    let deliveries = deliver::spawn(&state)?;
    let pending = state.slot::<Runtime>().pending.clone();
    let cancel = state.tasks.token();
    state.tasks.spawn(
        "offline-push-collector",
        collect::run(state.clone(), rx, deliveries, pending, cancel),
    );
    Ok(())
}

/// Items waiting in `user`'s batch on this node (tests wait on it before moving the clock).
pub fn pending(state: &AppState, user: UserId) -> usize {
    let map = match state.slot::<Runtime>().pending.lock() {
        Ok(m) => m,
        Err(poisoned) => poisoned.into_inner(),
    };
    map.get(&user).copied().unwrap_or(0)
}
