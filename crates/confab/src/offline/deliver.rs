//! The webhook request: the body's exact bytes, signed, POSTed, retried.
//!
//! Signature: `X-Confab-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(push.secret,
//! "<t>." + body)>` — the timestamp is inside the MAC, so a receiver that refuses old
//! timestamps refuses replays (docs/push.md shows how to verify). `X-Confab-Delivery`
//! repeats the body's `delivery_id`. Each attempt is signed afresh (new `t`), over the same
//! body.
//!
//! Retries: a network error, a timeout, a 429 or a 5xx is retried after `retry_base_ms`,
//! then twice as long each time (at most 60 s), up to `max_attempts` attempts in all; any
//! other answer ends the delivery (2xx: delivered; other 4xx: refused, not retried). At
//! most [`CONCURRENCY`] deliveries run at once; the rest wait in a bounded queue.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use confab_proto::push::OfflinePushOut;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::{Semaphore, mpsc};

use crate::state::AppState;

/// Deliveries in flight at once.
const CONCURRENCY: usize = 8;
/// Deliveries waiting for a slot.
const QUEUE: usize = 1024;
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// One request to make.
#[derive(Debug)]
pub struct Delivery {
    body: OfflinePushOut,
}

impl Delivery {
    /// A delivery of `body`.
    pub fn new(body: OfflinePushOut) -> Self {
        Self { body }
    }
}

/// The signature header's value for `body` at unix time `t`.
pub fn signature(secret: &[u8], t: i64, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        // HMAC takes keys of any length; this arm cannot run.
        Err(_) => return String::new(),
    };
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The wait before attempt `n + 1` (after `n` failed ones): base · 2^(n−1), at most 60 s.
fn backoff(base_ms: u64, failed: u32) -> Duration {
    let factor = 1u64 << failed.saturating_sub(1).min(16);
    Duration::from_millis(base_ms.saturating_mul(factor)).min(MAX_BACKOFF)
}

/// How an attempt ended.
enum Attempt {
    Delivered,
    Retry(String),
    Refused(u16),
}

/// Starts the delivery worker; answers the queue to hand it deliveries.
pub(super) fn spawn(state: &AppState) -> anyhow::Result<mpsc::Sender<Delivery>> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(state.config.push.timeout_ms))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("cannot build the push webhook's HTTP client")?;
    let (tx, mut rx) = mpsc::channel::<Delivery>(QUEUE);
    let st = state.clone();
    let cancel = state.tasks.token();
    state.tasks.spawn("offline-push-delivery", async move {
        let slots = Arc::new(Semaphore::new(CONCURRENCY));
        loop {
            let d = tokio::select! {
                _ = cancel.cancelled() => return,
                d = rx.recv() => match d { Some(d) => d, None => return },
            };
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let (st2, http2, cancel2) = (st.clone(), http.clone(), cancel.clone());
            st.tasks.spawn("offline-push-request", async move {
                tokio::select! {
                    _ = cancel2.cancelled() => {}
                    _ = deliver(&st2, &http2, d) => {}
                }
                drop(permit);
            });
        }
    });
    Ok(tx)
}

async fn deliver(state: &AppState, http: &reqwest::Client, d: Delivery) {
    let cfg = &state.config.push;
    let body = match serde_json::to_vec(&d.body) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "offline push body not encoded");
            return;
        }
    };
    let id = d.body.delivery_id.as_str();
    let user = d.body.recipient_id;
    for attempt in 1..=cfg.max_attempts {
        match once(state, http, id, &body).await {
            Attempt::Delivered => {
                metrics::counter!("confab_push_requests_total", "outcome" => "delivered")
                    .increment(1);
                tracing::debug!(delivery_id = id, user_id = %user, attempt, "offline push delivered");
                return;
            }
            Attempt::Refused(status) => {
                metrics::counter!("confab_push_requests_total", "outcome" => "refused")
                    .increment(1);
                tracing::warn!(delivery_id = id, user_id = %user, status, "offline push refused by the webhook; not retried");
                return;
            }
            Attempt::Retry(why) => {
                metrics::counter!("confab_push_attempts_failed_total").increment(1);
                tracing::info!(delivery_id = id, user_id = %user, attempt, reason = %why, "offline push attempt failed");
                if attempt < cfg.max_attempts {
                    tokio::time::sleep(backoff(cfg.retry_base_ms, attempt)).await;
                }
            }
        }
    }
    metrics::counter!("confab_push_requests_total", "outcome" => "failed").increment(1);
    tracing::warn!(delivery_id = id, user_id = %user, attempts = cfg.max_attempts, "offline push given up");
}

async fn once(state: &AppState, http: &reqwest::Client, id: &str, body: &[u8]) -> Attempt {
    let cfg = &state.config.push;
    let t = state.clock.now().timestamp();
    let sig = signature(cfg.secret.expose().as_bytes(), t, body);
    let sent = http
        .post(&cfg.webhook_url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Confab-Signature", sig)
        .header("X-Confab-Delivery", id)
        .body(body.to_vec())
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => Attempt::Delivered,
        Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
            Attempt::Retry(format!("status {}", r.status().as_u16()))
        }
        Ok(r) => Attempt::Refused(r.status().as_u16()),
        // reqwest's error text names the URL, never the body or headers.
        Err(e) if e.is_timeout() => Attempt::Retry("timeout".into()),
        Err(e) => Attempt::Retry(e.without_url().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_covers_time_and_body() {
        let s = signature(b"k".repeat(32).as_slice(), 1_764_700_000, b"{}");
        assert!(s.starts_with("t=1764700000,v1="), "{s}");
        assert_eq!(s.len(), "t=1764700000,v1=".len() + 64);
        assert_ne!(
            s,
            signature(b"k".repeat(32).as_slice(), 1_764_700_001, b"{}")
        );
        assert_ne!(
            s,
            signature(b"k".repeat(32).as_slice(), 1_764_700_000, b"{ }")
        );
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(100, 1), Duration::from_millis(100));
        assert_eq!(backoff(100, 2), Duration::from_millis(200));
        assert_eq!(backoff(100, 4), Duration::from_millis(800));
        assert_eq!(backoff(1000, 30), MAX_BACKOFF);
    }
}
