//! Failures outside any handler still answer with the JSON error body and a 4xx.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::*;

async fn error_of(resp: reqwest::Response) -> (u16, serde_json::Value) {
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(ct.as_deref(), Some("application/json"));
    (status, body)
}

/// Sends raw bytes and returns the raw answer (for requests reqwest will not make).
pub async fn raw(app: &TestApp, request: &[u8]) -> String {
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).into_owned()
}

backend_tests! {
    async fn unknown_route_is_a_json_404(app) {
        let r = app.client.http().get(app.url("/api/v1/nope")).send().await.unwrap();
        let (status, body) = error_of(r).await;
        assert_eq!(status, 404);
        assert_eq!(body["error"]["code"], "not_found");
    }

    async fn wrong_method_is_a_json_405(app) {
        let r = app.client.http().delete(app.url("/healthz")).send().await.unwrap();
        let allow = r.headers().get("allow").map(|v| v.to_str().unwrap().to_owned());
        let (status, body) = error_of(r).await;
        assert_eq!(status, 405);
        assert_eq!(body["error"]["code"], "method_not_allowed");
        assert!(allow.unwrap_or_default().contains("GET"));
    }

    async fn declared_oversized_body_is_refused_before_reading(app) {
        let answer = raw(
            &app,
            b"POST /readyz HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{",
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("\"payload_too_large\""), "{answer}");
        // The node is still fine.
        assert_eq!(app.client.healthz().await.unwrap().status, "ok");
    }
}
