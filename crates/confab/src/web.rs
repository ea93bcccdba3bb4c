//! The web client: the files under `crates/confab/web/` (HTML, CSS, JavaScript modules, the
//! translations), compiled into the binary so `cargo run --release` serves a working chat
//! app at `/` with no build step and no network. The client talks only to the public HTTP
//! API and the WebSocket, like any other client (docs/web-client.md).
//!
//! Every answer carries a strict Content-Security-Policy (scripts and styles only from this
//! origin, no inline script, no framing, no plugins), `X-Content-Type-Options: nosniff` and
//! an ETag (the file's SHA-256, computed at build time) so browsers revalidate cheaply.
//! Calls nothing else in the crate.

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The files (`web/files.rs`, shared with the `confab-web-embed` check crate, whose tests
/// prove the embedded copy a release binary serves is the folder).
mod files;
use files::Files;

/// The URL prefix of every file but `index.html` (which is served at `/`).
pub const PREFIX: &str = "/web";

/// What the client may load: everything from this origin (sockets included: `'self'`
/// matches `ws:`/`wss:` to the same host), images also from `blob:` (attachments fetched
/// with the bearer token) and `data:`; no inline script, no `eval`, no plugins, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `GET /` (the app) and `GET /web/{*path}` (its files). Stateless; merged into the router.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(get_index))
        .route(&format!("{PREFIX}/{{*path}}"), get(get_file))
}

/// The app's entry page.
async fn get_index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

/// One of the app's files.
async fn get_file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&path, &headers)
}

/// The file at `path` (or a plain 404), honouring `If-None-Match`.
fn serve(path: &str, headers: &HeaderMap) -> Response {
    // rust-embed only knows the embedded paths, so `..` or an absolute path simply misses.
    let Some(file) = Files::get(path) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "not found",
        )
            .into_response();
    };
    let etag = etag(&file.metadata.sha256_hash());
    let mut resp = if if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(file.data.into_owned()));
        // Modules are `text/javascript` (the HTML standard's name), whatever the guess.
        let mime = if path.ends_with(".js") || path.ends_with(".mjs") {
            "text/javascript"
        } else {
            file.metadata.mimetype()
        };
        let ct = if mime.starts_with("text/") {
            format!("{mime}; charset=utf-8")
        } else {
            mime.to_owned()
        };
        if let Ok(v) = HeaderValue::from_str(&ct) {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        r
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    // Revalidate every time: the ETag makes that a 304, and a new binary is seen at once.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// A strong ETag from the first 16 bytes of the file's SHA-256.
fn etag(sha256: &[u8; 32]) -> String {
    format!("\"{}\"", hex::encode(&sha256[..16]))
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_file_is_embedded() {
        for path in [
            "index.html",
            "app.js",
            "sdk/confab.js",
            "i18n/en.js",
            "i18n/zh-CN.js",
        ] {
            assert!(Files::get(path).is_some(), "{path} is embedded");
        }
    }

    #[test]
    fn if_none_match_accepts_lists_and_weak_tags() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"b\""),
        );
        assert!(if_none_match(&h, "\"b\""));
        assert!(!if_none_match(&h, "\"c\""));
    }
}
