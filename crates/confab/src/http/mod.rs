//! The HTTP layer: router assembly, middleware, extractors, the OpenAPI document and the
//! docs page, and the web client's routes. Feature routes are added here as feature modules land.

pub mod conn;
pub mod extract;
pub mod health;
pub mod middleware;
pub mod openapi;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::IntoResponse;
use confab_proto::ErrorCode;
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::error::ApiError;
use crate::state::AppState;
use middleware::BodyLimit;

/// Every documented route — JSON routes (JSON body limit, request timeout), upload routes
/// (upload limit and timeout), and the WebSocket route, kept apart so it sits outside any
/// timeout — and the OpenAPI document describing them all.
fn documented(config: &Config) -> (Router<AppState>, Router<AppState>, utoipa::openapi::OpenApi) {
    let json = OpenApiRouter::new()
        .merge(crate::accounts::api::routes())
        .merge(crate::media::api::routes())
        .merge(crate::messaging::api::routes())
        .merge(crate::groups::api::routes())
        .merge(crate::rooms::api::routes())
        .merge(crate::gifts::api::routes())
        .merge(crate::calls::api::routes())
        .merge(crate::moments::api::routes())
        .merge(crate::gateway::api::routes())
        .merge(crate::social::api::routes())
        .merge(crate::admin::api::routes().merge(crate::channels::api::routes()))
        .merge(crate::offline::api::routes())
        .layer(limits(
            config.http.body_limit_bytes,
            config.http.request_timeout_secs,
        ))
        .layer(axum::middleware::from_fn_with_state(
            BodyLimit(config.http.body_limit_bytes),
            middleware::early_body_limit,
        ));
    let uploads = crate::media::api::upload_routes()
        .layer(limits(
            config.media.max_upload_body(),
            config.media.upload_timeout_secs,
        ))
        .layer(axum::middleware::from_fn_with_state(
            BodyLimit(config.media.max_upload_body()),
            middleware::early_body_limit,
        ));
    let (ws, ws_doc) = OpenApiRouter::new()
        .nest("/api/v1", crate::gateway::api::ws_routes())
        .split_for_parts();
    let ops = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::get_healthz))
        .routes(routes!(health::get_readyz))
        .routes(routes!(health::get_metrics))
        .layer(limits(
            config.http.body_limit_bytes,
            config.http.request_timeout_secs,
        ));
    let (router, mut doc) = ops.nest("/api/v1", json.merge(uploads)).split_for_parts();
    doc.merge(ws_doc);
    (router, ws, openapi::finish(doc))
}

/// The OpenAPI document as served and committed (pretty JSON, trailing newline).
pub fn openapi_json() -> String {
    let doc = documented(&Config::default()).2;
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_owned());
    s.push('\n');
    s
}

/// The whole application router for `state`.
pub fn router(state: AppState) -> Router {
    let (api, ws, doc) = documented(&state.config);
    // The socket route is merged after the timeout layers so no timeout applies to it; it
    // still gets the outer layers (request id, log, CORS).
    let api = api
        .merge(ws)
        // The web client at `/` (and its files under `/web/`); the API docs stay at `/docs`.
        .merge(crate::web::routes())
        .merge(SwaggerUi::new("/docs").url("/api/v1/openapi.json", doc));
    let cfg = state.config.clone();
    with_outer_layers(api.with_state(state), &cfg)
}

/// A body-size limit and a request timeout, for routes that read request bodies. (The
/// WebSocket route sits outside the timeout.)
fn limits(
    body_limit: usize,
    timeout_secs: u64,
) -> ServiceBuilder<Stack<DefaultBodyLimit, Stack<TimeoutLayer, Identity>>> {
    ServiceBuilder::new()
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(timeout_secs),
        ))
        .layer(DefaultBodyLimit::max(body_limit))
}

/// Fallbacks, CORS, the early body-size check, the JSON error shape, request ids and the
/// request log: for every request, before routing.
fn with_outer_layers(router: Router, config: &Config) -> Router {
    let cfg = &config.http;
    let mut app = router
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                ErrorCode::MethodNotAllowed,
                "this route does not accept that method",
            )
            .into_response()
        });
    if let Some(cors) = cors_layer(&cfg.cors_allowed_origins) {
        app = app.layer(cors);
    }
    app.layer(
        ServiceBuilder::new()
            .layer(axum::middleware::from_fn(middleware::request_log))
            .layer(axum::middleware::from_fn(middleware::json_errors))
            // Before routing, so even a route that reads no body never waits for one.
            .layer(axum::middleware::from_fn_with_state(
                BodyLimit(cfg.body_limit_bytes.max(config.media.max_upload_body())),
                middleware::early_body_limit,
            )),
    )
}

fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([HeaderName::from_static("x-request-id"), header::RETRY_AFTER])
            .max_age(Duration::from_secs(3600)),
    )
}

#[cfg(test)]
mod tests {
    //! The shipped extractors and layers, on a router with a JSON endpoint of its own (the
    //! feature endpoints get the same stack through `router`).
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::post;
    use tower::ServiceExt;

    use crate::config::HttpConfig;
    use crate::http::extract::AppJson;

    #[derive(serde::Deserialize, serde::Serialize)]
    struct In {
        name: String,
        count: u8,
    }

    fn app(cfg: &HttpConfig) -> Router {
        let r: Router = Router::new()
            .route(
                "/echo",
                post(|AppJson(v): AppJson<In>| async move { AppJson(v) }),
            )
            .layer(limits(cfg.body_limit_bytes, cfg.request_timeout_secs));
        let config = Config {
            http: cfg.clone(),
            media: crate::config::MediaConfig {
                max_image_bytes: 1024,
                ..Default::default()
            },
            ..Config::default()
        };
        with_outer_layers(r, &config)
    }

    async fn send(
        cfg: &HttpConfig,
        ct: Option<&str>,
        body: impl Into<Body>,
    ) -> (u16, serde_json::Value) {
        let mut req = Request::post("/echo");
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let resp = app(cfg)
            .oneshot(req.body(body.into()).unwrap())
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    fn code(v: &serde_json::Value) -> &str {
        v["error"]["code"].as_str().unwrap_or("<no error body>")
    }

    #[tokio::test]
    async fn good_json_passes() {
        let (s, v) = send(
            &HttpConfig::default(),
            Some("application/json"),
            r#"{"name":"a","count":2}"#,
        )
        .await;
        assert_eq!((s, v["count"].as_u64()), (200, Some(2)));
    }

    #[tokio::test]
    async fn malformed_json_is_400_invalid_json() {
        let cfg = HttpConfig::default();
        for body in [
            &b"{"[..],
            b"{\"name\":\"a\",}",
            b"{\"name\":\"\xff\xfe\",\"count\":1}",
            b"{\"name\":\"\\ud800\",\"count\":1}",
            // A key named twice: refused, not read as one of its values.
            b"{\"name\":\"a\",\"count\":1,\"name\":\"b\"}",
        ] {
            let (s, v) = send(&cfg, Some("application/json"), body.to_vec()).await;
            assert_eq!(
                (s, code(&v)),
                (400, "invalid_json"),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[tokio::test]
    async fn deep_nesting_is_400_not_a_stack_overflow() {
        // Inside a field, so the parser must descend (serde_json stops at depth 128).
        let body = format!(r#"{{"count":1,"name":{}"#, "[".repeat(100_000));
        let (s, v) = send(&HttpConfig::default(), Some("application/json"), body).await;
        assert!(
            matches!(code(&v), "invalid_json" | "validation_failed"),
            "{s} {v}"
        );
        assert!(s == 400 || s == 422);
    }

    #[tokio::test]
    async fn wrong_shape_is_422_naming_the_field() {
        let cfg = HttpConfig::default();
        let (s, v) = send(
            &cfg,
            Some("application/json"),
            r#"{"name":"a","count":"x"}"#,
        )
        .await;
        assert_eq!((s, code(&v)), (422, "validation_failed"));
        assert_eq!(v["error"]["field"], "count");
        let (s, v) = send(
            &cfg,
            Some("application/json"),
            r#"{"name":"a","count":1e999999}"#,
        )
        .await;
        assert!(s == 400 || s == 422, "{s} {v}");
        let (s, v) = send(
            &cfg,
            Some("application/json"),
            r#"{"name":"a","count":18446744073709551616}"#,
        )
        .await;
        assert_eq!((s, code(&v)), (422, "validation_failed"));
        let (s, v) = send(&cfg, Some("application/json"), r#"{"name":"a"}"#).await;
        assert_eq!((s, code(&v)), (422, "validation_failed"));
        assert!(v["error"]["message"].as_str().unwrap().contains("count"));
    }

    #[tokio::test]
    async fn a_body_that_is_not_an_object_is_422() {
        // serde's derived structs read an array by position: `["a",2]` would be `In`.
        for body in [r#"["a",2]"#, "[null, null]", "2", r#""a""#, "null", " [] "] {
            let (s, v) = send(&HttpConfig::default(), Some("application/json"), body).await;
            assert_eq!((s, code(&v)), (422, "validation_failed"), "{body}");
        }
        let (s, _) = send(
            &HttpConfig::default(),
            Some("application/json"),
            " \n{\"name\":\"a\",\"count\":2}",
        )
        .await;
        assert_eq!(s, 200);
    }

    #[tokio::test]
    async fn long_inputs_are_not_echoed_back_whole() {
        let big = format!(r#"{{"name":"a","count":"{}"}}"#, "x".repeat(500_000));
        let (s, v) = send(&HttpConfig::default(), Some("application/json"), big).await;
        assert_eq!(s, 422);
        assert!(v["error"]["message"].as_str().unwrap().len() < 400);
    }

    #[tokio::test]
    async fn wrong_content_type_is_415() {
        let (s, v) = send(
            &HttpConfig::default(),
            Some("text/plain"),
            r#"{"name":"a","count":1}"#,
        )
        .await;
        assert_eq!((s, code(&v)), (415, "unsupported_media_type"));
        let (s, v) = send(&HttpConfig::default(), None, r#"{"name":"a","count":1}"#).await;
        assert_eq!((s, code(&v)), (415, "unsupported_media_type"));
    }

    #[tokio::test]
    async fn oversized_body_is_413_declared_or_streamed() {
        let cfg = HttpConfig {
            body_limit_bytes: 2048,
            ..HttpConfig::default()
        };
        let big = format!(r#"{{"name":"{}","count":1}}"#, "x".repeat(4096));
        // Declared length over the limit.
        let (s, v) = send(&cfg, Some("application/json"), big.clone()).await;
        assert_eq!((s, code(&v)), (413, "payload_too_large"));
        // No declared length (chunked): the extractor stops reading at the limit.
        let stream = futures::stream::iter(
            (0..1000).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from_static(&[b' '; 1024]))),
        );
        let (s, v) = send(&cfg, Some("application/json"), Body::from_stream(stream)).await;
        assert_eq!((s, code(&v)), (413, "payload_too_large"));
    }
}
