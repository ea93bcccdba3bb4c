//! Message trails: to how many sockets each node pushed a message, and when, kept for
//! `telemetry.trail_secs` so an operator can answer "did it reach them?" for a given message
//! (`GET /api/v1/admin/messages/{id}/trail`, which adds the commit time from the store).
//!
//! Recording is off the send path's critical section: a push appends 20 bytes to a
//! node-local buffer, and a task writes the buffer to the cache port once a second as one
//! value per node per second (`trail:{node}:{second}`), so the cache sees one write per node
//! per second whatever the message rate. A reader finds the nodes that wrote recently from
//! `trail:live:{node}` marks and reads the seconds after the message's commit. At most
//! [`MAX_PER_FLUSH`] pushes are kept per node per second; beyond that they are counted in
//! `confab_trail_dropped_total` and missing from trails.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::infra::cache::CacheError;
use crate::infra::ids::MAX_NODE_ID;
use crate::state::AppState;

/// Pushes kept per node per flush (one second).
pub const MAX_PER_FLUSH: usize = 200_000;
/// Seconds after a message's commit in which its pushes are looked for.
const READ_WINDOW_SECS: i64 = 30;
/// One push: message id, time (unix ms), sockets.
const ENTRY: usize = 8 + 8 + 4;

#[derive(Clone, Copy, Debug)]
struct Settings {
    node: u16,
    keep: Duration,
}

/// The node's trail recorder.
#[derive(Default)]
pub struct Trails {
    settings: OnceLock<Settings>,
    pending: Mutex<Vec<u8>>,
    last_key: AtomicI64,
}

/// What one node did with a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodePush {
    /// The node's snowflake id.
    pub node: u16,
    /// When it pushed (unix ms).
    pub at_ms: i64,
    /// Sockets it pushed to.
    pub sockets: u32,
}

impl Trails {
    /// Turns recording on for this node (`keep` zero leaves it off). Called once at start-up.
    pub fn configure(&self, node: u16, keep: Duration) {
        if !keep.is_zero() {
            let _ = self.settings.set(Settings { node, keep });
        }
    }

    /// Whether pushes are recorded.
    pub fn on(&self) -> bool {
        self.settings.get().is_some()
    }

    /// How long trails are kept (zero when off).
    pub fn keep(&self) -> Duration {
        self.settings.get().map_or(Duration::ZERO, |s| s.keep)
    }

    /// Records that this node pushed `message` to `sockets` sockets at `at_ms`.
    pub fn pushed(&self, message: i64, at_ms: i64, sockets: usize) {
        if !self.on() || sockets == 0 {
            return;
        }
        let mut buf = match self.pending.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if buf.len() >= MAX_PER_FLUSH * ENTRY {
            drop(buf);
            metrics::counter!("confab_trail_dropped_total").increment(1);
            return;
        }
        buf.extend_from_slice(&message.to_le_bytes());
        buf.extend_from_slice(&at_ms.to_le_bytes());
        buf.extend_from_slice(&u32::try_from(sockets).unwrap_or(u32::MAX).to_le_bytes());
    }

    fn take(&self) -> Vec<u8> {
        let mut buf = match self.pending.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        std::mem::take(&mut *buf)
    }
}

fn bucket_key(node: u16, second: i64) -> String {
    format!("trail:{node}:{second}")
}

fn live_key(node: u16) -> String {
    format!("trail:live:{node}")
}

/// Writes what was recorded since the last call, under a second no earlier flush of this
/// node used (so a flush never overwrites another).
async fn flush(state: &AppState) -> Result<(), CacheError> {
    let trails = &state.push.trails;
    let Some(s) = trails.settings.get().copied() else {
        return Ok(());
    };
    let buf = trails.take();
    if buf.is_empty() {
        return Ok(());
    }
    // Wall-clock time, like the message ids' own timestamps the reader starts from.
    let now = chrono::Utc::now().timestamp();
    let prev = trails.last_key.load(Ordering::Relaxed);
    let second = now.max(prev + 1);
    trails.last_key.store(second, Ordering::Relaxed);
    // Kept a little longer than asked, so the newest seconds of a trail do not expire
    // before its oldest.
    let ttl = s.keep + Duration::from_secs(READ_WINDOW_SECS.unsigned_abs());
    state
        .cache
        .set(&bucket_key(s.node, second), &buf, ttl)
        .await?;
    state.cache.set(&live_key(s.node), b"1", ttl).await
}

/// Starts the node's flush task (a no-op loop when trails are off).
pub fn spawn_flusher(state: &AppState) {
    if !state.push.trails.on() {
        return;
    }
    let st = state.clone();
    let cancel = state.tasks.token();
    state.tasks.spawn("trail-flush", async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => { let _ = flush(&st).await; return; }
                _ = tick.tick() => {
                    if let Err(e) = flush(&st).await {
                        tracing::debug!(error = %e, "trail not written");
                    }
                }
            }
        }
    });
}

/// Every node's pushes of `message`, committed at `committed_ms`, that are still kept.
pub async fn read(
    state: &AppState,
    message: i64,
    committed_ms: i64,
) -> Result<Vec<NodePush>, CacheError> {
    let live_keys: Vec<String> = (0..=MAX_NODE_ID).map(live_key).collect();
    let live: Vec<u16> = state
        .cache
        .get_many(&live_keys)
        .await?
        .iter()
        .zip(0..=MAX_NODE_ID)
        .filter_map(|(v, n)| v.as_ref().map(|_| n))
        .collect();
    let from = committed_ms.div_euclid(1000) - 1;
    let keys: Vec<(u16, String)> = live
        .iter()
        .flat_map(|&n| (from..=from + READ_WINDOW_SECS).map(move |s| (n, bucket_key(n, s))))
        .collect();
    let names: Vec<String> = keys.iter().map(|(_, k)| k.clone()).collect();
    let values = state.cache.get_many(&names).await?;
    let mut out = Vec::new();
    for ((node, _), value) in keys.iter().zip(values) {
        let Some(v) = value else { continue };
        for e in v.chunks_exact(ENTRY) {
            let mut id = [0u8; 8];
            id.copy_from_slice(&e[..8]);
            if i64::from_le_bytes(id) != message {
                continue;
            }
            let mut at = [0u8; 8];
            at.copy_from_slice(&e[8..16]);
            let mut n = [0u8; 4];
            n.copy_from_slice(&e[16..20]);
            out.push(NodePush {
                node: *node,
                at_ms: i64::from_le_bytes(at),
                sockets: u32::from_le_bytes(n),
            });
        }
    }
    out.sort_by_key(|p| (p.at_ms, p.node));
    Ok(out)
}
