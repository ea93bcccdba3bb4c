//! Operations endpoints: liveness, readiness (every backend answers) and Prometheus metrics.

use std::future::Future;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use confab_proto::health::{CheckOut, HealthOut, ReadyOut};

use crate::http::extract::AppJson;
use crate::state::AppState;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Liveness: the process is up and serving HTTP.
#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, description = "Alive", body = HealthOut)))]
pub async fn get_healthz() -> AppJson<HealthOut> {
    AppJson(HealthOut {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Readiness: the store, the bus and the cache all answer within 2 s.
///
/// A load balancer should send traffic only to nodes answering 200. The body names each
/// backend and what is wrong with it.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses(
        (status = 200, description = "Every backend answers", body = ReadyOut),
        (status = 503, description = "At least one backend is down; `checks` says which", body = ReadyOut)))]
pub async fn get_readyz(State(state): State<AppState>) -> Response {
    let (store, bus, cache) = tokio::join!(
        check("store", state.store.kind(), state.store.ping()),
        check("bus", state.bus.kind(), state.bus.ping()),
        check("cache", state.cache.kind(), state.cache.ping()),
    );
    let checks = vec![store, bus, cache];
    let ok = checks.iter().all(|c| c.ok);
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = ReadyOut {
        status: if ok { "ok" } else { "unavailable" }.into(),
        checks,
    };
    (status, AppJson(body)).into_response()
}

async fn check<E: std::fmt::Display>(
    name: &str,
    backend: &str,
    probe: impl Future<Output = Result<(), E>>,
) -> CheckOut {
    let start = Instant::now();
    let result = tokio::time::timeout(CHECK_TIMEOUT, probe).await;
    let latency_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    let error = match result {
        Ok(Ok(())) => None,
        // The error's own Display is a short phrase ("cache unavailable"); its source chain,
        // which may name hosts, is not included.
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some("timed out".to_owned()),
    };
    if let Some(e) = &error {
        tracing::warn!(check = name, error = %e, "readiness check failed");
    }
    CheckOut {
        name: name.into(),
        ok: error.is_none(),
        backend: backend.into(),
        latency_ms,
        error,
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
pub async fn get_metrics(State(state): State<AppState>) -> Response {
    metrics::gauge!("confab_up").set(1.0);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
