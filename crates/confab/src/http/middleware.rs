//! Cross-cutting HTTP behaviour: request ids, the one log line per request, metrics, the
//! JSON error shape for responses made outside our handlers, and the early body-size check.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use confab_proto::ErrorCode;
use confab_proto::ids::UserId;
use tracing::Instrument as _;

use crate::error::{ApiError, ErrorCause, code_for_status};

/// The request id header, accepted from a proxy when well-formed, else generated.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request (in request extensions).
#[derive(Clone, Debug)]
pub struct RequestId(pub Arc<str>);

/// Filled by the auth extractor so the request log can name the user.
#[derive(Clone, Debug, Default)]
pub struct UserSlot(pub Arc<OnceLock<UserId>>);

fn acceptable_request_id(v: &HeaderValue) -> Option<&str> {
    let s = v.to_str().ok()?;
    (!s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'))
    .then_some(s)
}

/// Assigns the request id, then writes one log line and the HTTP metrics once the response
/// is ready. Also logs the cause of any unexpected error, with the request id.
///
/// The request runs inside a `request` span (target `confab::http`) carrying the request id
/// and, once the auth extractor has run, the user id: every log line written while it is
/// handled names both, and with a trace collector it is the root span of the request's
/// trace (continued from the caller's `traceparent` header when one is sent).
pub async fn request_log(mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let id: Arc<str> = match req
        .headers()
        .get(&REQUEST_ID)
        .and_then(acceptable_request_id)
    {
        Some(s) => Arc::from(s),
        None => Arc::from(uuid::Uuid::new_v4().simple().to_string()),
    };
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "<unmatched>".to_owned());
    let span = tracing::info_span!(
        target: "confab::http",
        "request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        request_id = %id,
        user_id = tracing::field::Empty,
    );
    if let Some(tp) = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .filter(|_| crate::telemetry::trace::enabled())
    {
        crate::telemetry::trace::continue_from(&span, tp);
    }
    let user = UserSlot::default();
    req.extensions_mut().insert(RequestId(id.clone()));
    req.extensions_mut().insert(user.clone());
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(REQUEST_ID.clone(), v);
    }

    let mut resp = next.run(req).instrument(span.clone()).await;

    let status = resp.status().as_u16();
    let latency = start.elapsed();
    let user_id = user.0.get().map(|u| u.0);
    span.in_scope(|| {
        if let Some(cause) = resp.extensions().get::<ErrorCause>() {
            tracing::error!(route = %route, cause = %cause.0, "request failed");
        }
        tracing::info!(
            target: "confab::http",
            method = %method,
            route = %route,
            status,
            latency_ms = latency.as_secs_f64() * 1000.0,
            user_id,
            "request"
        );
    });
    let labels = [
        ("method", method.to_string()),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!("confab_http_requests_total", &labels).increment(1);
    metrics::histogram!("confab_http_request_duration_seconds", &labels[..2])
        .record(latency.as_secs_f64());
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID.clone(), v);
    }
    resp
}

/// Gives error responses made outside our handlers (the router's 405, a timeout's 408, a
/// layer's 413) the JSON error body every client expects.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let code = code_for_status(status);
    let message = match code {
        ErrorCode::MethodNotAllowed => "this route does not accept that method",
        ErrorCode::RequestTimeout => "the request took too long",
        ErrorCode::PayloadTooLarge => "request body is too large",
        ErrorCode::NotFound => "no such route",
        ErrorCode::UnsupportedMediaType => "unsupported content type",
        _ => "request failed",
    };
    let (mut parts, _) = resp.into_parts();
    let mut fresh = ApiError::new(code, message).into_response();
    // Keep headers like `Allow` (405) and `Retry-After`; take our body and content type.
    let body_headers = fresh.headers().clone();
    std::mem::swap(fresh.headers_mut(), &mut parts.headers);
    for (k, v) in body_headers.iter() {
        fresh.headers_mut().insert(k.clone(), v.clone());
    }
    fresh.headers_mut().remove(header::CONTENT_LENGTH);
    let (_, body) = fresh.into_parts();
    Response::from_parts(parts, body)
}

/// The largest body a group of routes accepts, checked against `Content-Length` before any
/// of the body is read (a lying or absent length is caught by the extractor's own limit).
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

/// Answers 413 at once when the declared length is over the limit.
pub async fn early_body_limit(
    State(limit): State<BodyLimit>,
    req: Request,
    next: Next,
) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared
        && n > limit.0 as u64
    {
        let mut resp = ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("request body is larger than {} bytes", limit.0),
        )
        .into_response();
        // The client may still be sending; tell it we will not read the rest.
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return resp;
    }
    next.run(req).await
}
