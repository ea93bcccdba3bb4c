//! The web client: how its files are served (headers, ETags, the docs page still at `/docs`),
//! the client itself driven in headless Chromium (`browser`), and the README's first
//! conversation run as a newcomer would (`readme`).

mod browser;
mod readme;

/// Whether a run must not skip a test that needs an outside tool (`CI=true`, or the flag).
pub fn required(flag: &str) -> bool {
    let set = |k: &str| {
        std::env::var(k)
            .ok()
            .is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
    };
    set("CI") || set(flag)
}

backend_tests! {
    async fn the_web_client_is_served_at_the_root_with_strict_headers(app) {
        let http = app.client.http();
        let page = http.get(app.url("/")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let h = page.headers().clone();
        assert_eq!(h["content-type"], "text/html; charset=utf-8");
        assert_eq!(h["x-content-type-options"], "nosniff");
        let csp = h["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{csp}");
        let html = page.text().await.unwrap();
        assert!(html.contains(r#"<script type="module" src="/web/app.js"></script>"#), "{html}");
        // No inline script at all: every <script> loads a file.
        assert_eq!(html.matches("<script").count(), html.matches("<script type=\"module\" src=").count());

        // Every module the page loads is served with a JavaScript type and an ETag.
        for path in ["/web/app.js", "/web/sdk/confab.js", "/web/i18n/en.js", "/web/i18n/zh-CN.js", "/web/ui/chats.js", "/web/style.css"] {
            let r = http.get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
            assert!(ct.starts_with(if path.ends_with(".css") { "text/css" } else { "text/javascript" }), "{path}: {ct}");
            assert!(r.headers().contains_key("etag"), "{path}");
            assert!(r.headers().contains_key("content-security-policy"), "{path}");
        }
    }

    async fn the_sign_in_page_learns_there_is_no_provider_to_offer(app) {
        // The client shows third-party sign-in buttons only for configured providers;
        // a node with none answers an empty list (tests/it/oauth.rs covers a configured one).
        let r = app.client.http().get(app.url("/api/v1/auth/oauth/providers")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let out: serde_json::Value = r.json().await.unwrap();
        assert_eq!(out, serde_json::json!({"providers": []}));
    }

    async fn unchanged_files_answer_304_by_etag(app) {
        let http = app.client.http();
        let first = http.get(app.url("/web/sdk/confab.js")).send().await.unwrap();
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        assert!(etag.starts_with('"') && etag.len() == 34, "{etag}");
        let body = first.bytes().await.unwrap();
        assert!(body.len() > 1000);
        let again = http.get(app.url("/web/sdk/confab.js")).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(again.status(), 304);
        assert!(again.bytes().await.unwrap().is_empty());
        let other = http.get(app.url("/web/sdk/confab.js")).header("if-none-match", "\"nope\"").send().await.unwrap();
        assert_eq!(other.status(), 200);
        assert_eq!(other.bytes().await.unwrap(), body);
    }

    async fn unknown_and_escaping_paths_are_plain_404s_and_docs_stay(app) {
        let http = app.client.http();
        for path in ["/web/nope.js", "/web/../Cargo.toml", "/web/%2e%2e/Cargo.toml", "/web/..%2fsrc/lib.rs", "/web/"] {
            let r = http.get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), 404, "{path}");
        }
        let docs = http.get(app.url("/docs/")).send().await.unwrap();
        assert_eq!(docs.status(), 200);
        assert!(docs.text().await.unwrap().to_lowercase().contains("swagger"));
        // The API's own 404s keep their JSON shape.
        let api = http.get(app.url("/api/v1/nope")).send().await.unwrap();
        assert_eq!(api.status(), 404);
        assert!(api.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    }
}

/// Every English key has a Simplified Chinese text, and the other way round.
#[test]
fn translations_have_the_same_keys() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/i18n");
    let keys = |file: &str| -> std::collections::BTreeSet<String> {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        text.lines()
            .filter_map(|l| l.trim().strip_prefix('\''))
            .filter_map(|l| l.split_once("': ").map(|(k, _)| k.to_owned()))
            .collect()
    };
    let en = keys("en.js");
    let zh = keys("zh-CN.js");
    assert!(en.len() > 200, "{}", en.len());
    let missing: Vec<_> = en.difference(&zh).collect();
    let extra: Vec<_> = zh.difference(&en).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing in zh-CN: {missing:?}; not in en: {extra:?}"
    );
}

/// The client builds the page from text nodes only: no `innerHTML`, `outerHTML`,
/// `insertAdjacentHTML`, `document.write` or `eval` in any file it ships.
#[test]
fn the_client_never_parses_strings_as_html() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let mut stack = vec![root];
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "js") {
                seen += 1;
                let text = std::fs::read_to_string(&p).unwrap();
                for bad in [
                    "innerHTML",
                    "outerHTML",
                    "insertAdjacentHTML",
                    "document.write",
                    "eval(",
                    "new Function",
                ] {
                    assert!(!text.contains(bad), "{} uses {bad}", p.display());
                }
            }
        }
    }
    assert!(seen >= 10, "{seen} files");
}
