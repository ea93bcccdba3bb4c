//! The system administrator's API, the world channel and reports (issue 6 items 7–10):
//! the authorization matrix over every `/admin` route, each flow on SQLite and on
//! MariaDB + Redis, and the cluster-wide effects (filter rebuilds, revocations, notices,
//! channel fan-out) across two nodes when Redis is configured.

pub(crate) mod api;
mod channels;
mod reports;

use std::time::Duration;

use confab_client::{ClientError, WsConnection};

pub use confab::infra::clock::Clock;

use crate::harness::*;

/// How long an expected event may take.
pub const T: Duration = Duration::from_secs(5);

/// `(status, code)` of an error.
pub fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

pub use crate::harness::text_message as text;

/// A second node of the same cluster, when the backend is one (`None` on SQLite).
pub async fn peer_of(app: &TestApp) -> Option<TestApp> {
    if app.config.redis.url.is_empty() {
        None
    } else {
        Some(app.spawn_peer().await)
    }
}

/// `user` signed in on `node` (the same tokens: every node shares the signing key).
pub fn on(node: &TestApp, user: &TestUser) -> confab_client::Client {
    confab_client::Client::new(&node.url(""))
        .unwrap()
        .signed_in(&user.tokens)
}

/// Reads frames until one of `kind` arrives; skips others (presence, etc.).
pub async fn expect(ws: &mut WsConnection, kind: &str) -> confab_client::Event {
    ws.expect_event(kind, T).await.unwrap()
}

/// The audit log's actions, newest first.
pub async fn audit_actions(admin: &TestUser) -> Vec<String> {
    admin
        .client
        .admin_audit(None, Some(100))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|a| a.action)
        .collect()
}

/// A time at the store's precision (milliseconds).
pub fn ms(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap()
}
