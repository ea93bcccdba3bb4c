//! Operations endpoints: health, readiness, metrics, the OpenAPI document and the docs page.

backend_tests! {
    async fn healthz_and_readyz_answer(app) {
        let health = app.client.healthz().await.unwrap();
        assert_eq!(health.status, "ok");

        let ready = app.client.readyz().await.unwrap();
        assert_eq!(ready.status, 200, "{:?}", ready.body);
        assert_eq!(ready.body.status, "ok");
        let names: Vec<_> = ready.body.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["store", "bus", "cache"]);
        assert!(ready.body.checks.iter().all(|c| c.ok && c.error.is_none()));
        let backend = |n: &str| ready.body.checks.iter().find(|c| c.name == n).unwrap().backend.clone();
        if app.config.redis.url.is_empty() {
            assert_eq!((backend("store").as_str(), backend("bus").as_str(), backend("cache").as_str()), ("sqlite", "memory", "memory"));
        } else {
            assert_eq!((backend("store").as_str(), backend("bus").as_str(), backend("cache").as_str()), ("mysql", "redis", "redis"));
        }
    }

    async fn metrics_count_requests_by_route(app) {
        for _ in 0..3 {
            app.client.healthz().await.unwrap();
        }
        let text = app.client.metrics().await.unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("confab_http_requests_total") && l.contains("route=\"/healthz\"") && l.contains("status=\"200\""))
            .unwrap_or_else(|| panic!("no request counter for /healthz in:\n{text}"));
        let n: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(n >= 3.0, "{line}");
        assert!(text.contains("confab_http_request_duration_seconds_bucket"), "latency histogram missing");
    }

    async fn docs_page_and_openapi_are_served(app) {
        let doc = app.client.openapi().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
        assert!(doc["paths"]["/readyz"]["get"].is_object());
        assert!(doc["components"]["schemas"]["ErrorCode"].is_object());
        let description = doc["info"]["description"].as_str().unwrap();
        assert!(description.contains("`payload_too_large` | 413"), "error catalogue missing");

        let http = app.client.http();
        let page = http.get(app.url("/docs/")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = page.text().await.unwrap();
        assert!(html.to_lowercase().contains("swagger"), "not the Swagger UI page");
        // Its assets are compiled in: nothing is fetched from elsewhere.
        let js = http.get(app.url("/docs/swagger-ui-bundle.js")).send().await.unwrap();
        assert_eq!(js.status(), 200);
        assert!(js.bytes().await.unwrap().len() > 100_000);
        assert!(!html.contains("cdn."), "the docs page must not load from a CDN");
    }

    async fn request_ids_are_assigned_and_sanitised(app) {
        let http = app.client.http();
        let r = http.get(app.url("/healthz")).send().await.unwrap();
        let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 32);
        let r = http.get(app.url("/healthz")).header("x-request-id", "lb-abc.123").send().await.unwrap();
        assert_eq!(r.headers()["x-request-id"], "lb-abc.123");
        let r = http.get(app.url("/healthz")).header("x-request-id", "bad id\twith spaces").send().await.unwrap();
        assert_ne!(r.headers()["x-request-id"], "bad id\twith spaces");
    }
}

/// `docs/openapi.json` is what the code generates. Regenerate it with
/// `cargo run -p confab -- openapi > docs/openapi.json` (or `CONFAB_TEST_BLESS=1` on this test).
#[test]
fn committed_openapi_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let generated = confab::http::openapi_json();
    if std::env::var("CONFAB_TEST_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is out of date: run `cargo run -p confab -- openapi > docs/openapi.json`"
    );
}
