//! Fixed-window rate limits on the cache port, so they hold across nodes, and the client IP
//! they are keyed on.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use confab_proto::ErrorCode;

use crate::error::ApiError;
use crate::state::AppState;

/// Counts one hit on `key`; refuses with 429 (and `Retry-After`) past `limit` per `window`.
pub async fn hit(
    state: &AppState,
    key: &str,
    limit: u32,
    window: Duration,
) -> Result<(), ApiError> {
    let key = format!("rl:{key}");
    let n = state.cache.incr(&key, window).await?;
    if n > u64::from(limit) {
        let retry = state
            .cache
            .ttl(&key)
            .await?
            .map_or(window.as_secs(), |d| d.as_secs() + 1);
        return Err(
            ApiError::new(ErrorCode::RateLimited, "too many requests; slow down")
                .with_retry_after(retry),
        );
    }
    Ok(())
}

/// The client's IP: the socket peer, or — when `http.trust_forwarded_for` is set because a
/// trusted proxy sits in front — the left-most `X-Forwarded-For` address.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.config.http.trust_forwarded_for
            && let Some(ip) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok())
        {
            return Ok(ClientIp(ip));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        Ok(ClientIp(peer))
    }
}

/// The `User-Agent`, cut to 256 characters.
pub fn user_agent(parts: &axum::http::HeaderMap) -> String {
    parts
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(256)
        .collect()
}
