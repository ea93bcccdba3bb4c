//! Health and readiness bodies.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /healthz`: the process is up and serving HTTP.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HealthOut {
    /// Always `ok`.
    pub status: String,
    /// The server's version.
    pub version: String,
}

/// `GET /readyz`: whether every backend this node needs answers.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"status": "unavailable", "checks": [
    {"name": "store", "ok": true, "backend": "sqlite", "latency_ms": 1},
    {"name": "bus", "ok": false, "backend": "redis", "latency_ms": 0, "error": "unreachable"},
    {"name": "cache", "ok": false, "backend": "redis", "latency_ms": 0, "error": "unreachable"}]}))]
pub struct ReadyOut {
    /// `ok` when every check passed, else `unavailable` (with HTTP 503).
    pub status: String,
    /// One entry per backend.
    pub checks: Vec<CheckOut>,
}

/// The result of one readiness check.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckOut {
    /// `store`, `bus` or `cache`.
    pub name: String,
    /// Whether it answered in time.
    pub ok: bool,
    /// Which adapter is configured (`sqlite`, `mysql`, `memory`, `redis`).
    pub backend: String,
    /// How long the check took.
    pub latency_ms: u64,
    /// What is wrong, in a few words (never connection strings or credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
