//! `[push]`: offline push through a webhook (docs/push.md).

use serde::{Deserialize, Serialize};

use super::Secret;

/// `[push]`: when a message or a missed call reaches a user with no connected device, POST
/// a signed summary to a webhook (an APNs / FCM gateway of the operator's).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushConfig {
    /// Where to POST; empty: offline push is off.
    pub webhook_url: String,
    /// HMAC-SHA256 key signing every request (`X-Confab-Signature`), at least 32 bytes;
    /// required with `webhook_url`. Prefer `CONFAB_PUSH__SECRET`.
    pub secret: Secret,
    /// Milliseconds a user's first pending item waits for more before their request goes
    /// out (several messages → one request). 0: no batching.
    pub batch_window_ms: u64,
    /// Items in one request; a batch that fills up goes out at once.
    pub max_batch_items: usize,
    /// Characters of message text in a preview.
    pub preview_chars: usize,
    /// Attempts per request (the first included) on a failure, a 5xx, a 429 or a timeout.
    pub max_attempts: u32,
    /// Milliseconds before the first retry; each further retry waits twice as long (at most
    /// 60 s).
    pub retry_base_ms: u64,
    /// Milliseconds one attempt may take.
    pub timeout_ms: u64,
    /// Items waiting between the send path and the push worker. When it is full, pushes are
    /// dropped (counted in `confab_push_dropped_total`), never the sends.
    pub queue: usize,
}

impl Default for PushConfig {
    fn default() -> Self {
        Self {
            webhook_url: String::new(),
            secret: Secret::default(),
            batch_window_ms: 2_000,
            max_batch_items: 20,
            preview_chars: 100,
            max_attempts: 5,
            retry_base_ms: 1_000,
            timeout_ms: 5_000,
            queue: 10_000,
        }
    }
}
