//! Background tasks: spawned through one helper that names them, so shutdown can cancel
//! them and wait for every one to finish.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

/// The node's background tasks.
#[derive(Clone, Default)]
pub struct Tasks {
    tracker: TaskTracker,
    cancel: CancellationToken,
}

impl Tasks {
    /// No tasks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Spawns a named task. It should return soon after [`Tasks::token`] is cancelled.
    pub fn spawn<F>(&self, name: &'static str, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tracker
            .spawn(fut.instrument(tracing::info_span!("task", name)));
    }

    /// Cancelled when the node shuts down.
    pub fn token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Cancels every task and waits (at most `grace`) for them to finish.
    pub async fn shutdown(&self, grace: Duration) {
        self.cancel.cancel();
        self.tracker.close();
        if tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                remaining = self.tracker.len(),
                "background tasks did not stop in time"
            );
        }
    }
}
