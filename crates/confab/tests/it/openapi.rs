//! The OpenAPI document describes the API's failures and inputs, checked two ways: its shape
//! here (every operation declares the shared failures its traits imply), and Schemathesis
//! (PyPI) against the committed OpenAPI document (`docs/openapi.json`) and a
//! real node: generated requests, valid and invalid, as two signed-in users who are friends
//! and share a direct chat. Fails on any finding of the checks below: a 5xx, a status the
//! document does not declare for the operation, a body that breaks its declared schema, or
//! an invalid request (by the document) that the server accepts.
//!
//! Needs `python3 -m schemathesis` (the version pinned in `.ci/run`). It runs when CI asks
//! (`CI=true` or `CONFAB_TEST_SCHEMATHESIS=1`, set by `.ci/run`: the build script's
//! `confab_schemathesis` cfg), and fails there when Schemathesis is missing; elsewhere it is
//! reported as ignored (`cargo test -- --ignored openapi::` runs it). The run is bounded by
//! `CONFAB_SCHEMATHESIS_SECS` (default 150 s of generation; the node's start and the
//! users' set-up come on top).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::harness::*;

/// The checks: what the issue asks the document to guarantee.
const CHECKS: &str = "not_a_server_error,status_code_conformance,response_schema_conformance,\
                      content_type_conformance,negative_data_rejection";

/// Operations left out, and why: they end the very sessions whose tokens the run uses
/// (what they do is covered by `accounts` tests).
const EXCLUDED: &[&str] = &["logout", "logout_all"];

/// [`CHECKS`], or `CONFAB_SCHEMATHESIS_CHECKS` when set (to try another check locally).
fn checks() -> String {
    std::env::var("CONFAB_SCHEMATHESIS_CHECKS").unwrap_or_else(|_| CHECKS.to_owned())
}

fn budget_secs() -> u64 {
    std::env::var("CONFAB_SCHEMATHESIS_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|s| (10..=600).contains(s))
        .unwrap_or(150)
}

fn installed() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import schemathesis.cli"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The Web Fuzzing Commons auth document naming both users' tokens: Schemathesis signs
/// requests as either.
fn wfc_auth(users: &[(&str, &TestUser)]) -> serde_json::Value {
    let auth: Vec<_> = users
        .iter()
        .map(|(name, u)| {
            serde_json::json!({
                "name": name,
                "fixedHeaders": [{
                    "name": "Authorization",
                    "value": format!("Bearer {}", u.tokens.access_token),
                }],
            })
        })
        .collect();
    serde_json::json!({ "schemaVersion": "1.0.0", "auth": auth })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(confab_schemathesis),
    ignore = "set CONFAB_TEST_SCHEMATHESIS=1 (and pip install schemathesis)"
)]
async fn generated_requests_find_no_server_error_and_no_undocumented_answer() {
    assert!(
        installed(),
        "Schemathesis is not installed: `python3 -m pip install schemathesis` (the version \
         pinned in .ci/run); CI=true or CONFAB_TEST_SCHEMATHESIS=1 forbid skipping this test"
    );
    let app = TestApp::spawn(Backend::Sqlite).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.befriend(&alice, &bob).await;
    let conv = alice.client.open_direct(bob.id()).await.unwrap();
    alice
        .client
        .send_text(conv.id, "hello from the fuzzing run")
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let auth = dir.path().join("auth.json");
    std::fs::write(
        &auth,
        serde_json::to_vec(&wfc_auth(&[("alice", &alice), ("bob", &bob)])).unwrap(),
    )
    .unwrap();
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let secs = budget_secs();
    let mut cmd = tokio::process::Command::new("python3");
    cmd.args(["-m", "schemathesis.cli", "--no-color", "run"])
        .arg(&doc)
        .args(["--url", &app.url("")])
        .arg("--auth-wfc")
        .arg(&auth)
        .args(["--checks", &checks()])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--workers", "2"])
        .args(["--max-time", &secs.to_string()])
        .args(["--request-timeout", "20"])
        .args(["--seed", "19"])
        .args(["--suppress-health-check", "all"])
        .args(["--warnings", "off"])
        .args(["--generation-database", "none"])
        .current_dir(dir.path())
        .env("SCHEMATHESIS_HOOKS", "")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for op in EXCLUDED {
        cmd.args(["--exclude-operation-id", op]);
    }
    let child = cmd.spawn().expect("python3 starts");
    // Generation stops at the budget; the rest is start-up, the schema's analysis and the
    // last requests in flight.
    let limit = Duration::from_secs(secs + 120);
    let out = tokio::time::timeout(limit, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("Schemathesis ran longer than {limit:?}"))
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "Schemathesis found failures (exit {:?}); its report is above",
        out.status.code()
    );
    app.stop().await;
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                ops.push((method.clone(), path.clone(), op));
            }
        }
    }
    ops
}

/// Every operation declares what its traits imply (`http::openapi::failures`): a secured
/// one 401 and 403, one with inputs 400 and 422, one with a body 413 and 415, one with path
/// parameters 404, every API one 408 and 503; the rate-limited ones 429. The shared ones are
/// references to `components.responses`, declared once.
#[test]
fn every_operation_declares_the_failures_its_traits_imply() {
    let doc: Value = serde_json::from_str(&confab::http::openapi_json()).unwrap();
    let shared = doc["components"]["responses"].as_object().unwrap();
    for name in [
        "BadRequest",
        "Unauthorized",
        "RateLimited",
        "ServiceUnavailable",
    ] {
        assert!(shared.contains_key(name), "components.responses.{name}");
    }
    assert!(shared["RateLimited"]["headers"]["Retry-After"].is_object());
    let ops = operations(&doc);
    assert!(ops.len() > 150, "{} operations", ops.len());
    for (method, path, op) in ops {
        let has = |status: &str| op["responses"].get(status).is_some();
        let params = op["parameters"]
            .as_array()
            .map_or(&[][..], |v| v.as_slice());
        let body = op.get("requestBody").is_some();
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
        let at = format!("{method} {path}");
        if path.starts_with("/api/v1/") {
            assert!(has("503") && has("408"), "{at}: 503 / 408");
        }
        if secured {
            assert!(has("401") && has("403"), "{at}: 401 / 403");
        }
        if body || !params.is_empty() {
            assert!(has("400") && has("422"), "{at}: 400 / 422");
        }
        if body {
            assert!(has("413") && has("415"), "{at}: 413 / 415");
        }
        if params.iter().any(|p| p["in"] == "path") {
            assert!(has("404"), "{at}: 404");
        }
        for p in params.iter().filter(|p| p["in"] == "path") {
            let s = &p["schema"];
            let bounded = s.get("pattern").is_some()
                || s.get("maxLength").is_some()
                || s.get("enum").is_some()
                || s.get("$ref").is_some()
                || s["type"] == "integer";
            assert!(
                bounded,
                "{at}: path parameter {} is unbounded: {s}",
                p["name"]
            );
        }
        for p in params.iter().filter(|p| p["name"] == "limit") {
            assert!(
                p["schema"]["minimum"] == 1 && p["schema"]["maximum"].as_u64().is_some(),
                "{at}: limit bounds: {}",
                p["schema"]
            );
        }
    }
    for op in ["send_message", "login", "join_room", "refresh"] {
        let (_, _, o) = operations(&doc)
            .into_iter()
            .find(|(_, _, o)| o["operationId"] == op)
            .unwrap();
        assert!(o["responses"].get("429").is_some(), "{op}: 429");
    }
}

/// A download declares the types it is served with, not only `application/octet-stream`.
#[test]
fn file_downloads_declare_their_real_content_types() {
    let doc: Value = serde_json::from_str(&confab::http::openapi_json()).unwrap();
    let content = &doc["paths"]["/api/v1/files/{id}"]["get"]["responses"]["200"]["content"];
    for t in [
        "image/png",
        "image/jpeg",
        "video/mp4",
        "application/pdf",
        "text/plain",
        "application/octet-stream",
    ] {
        assert!(content.get(t).is_some(), "{t} is not declared: {content}");
    }
}

/// utoipa names a schema after its type, and a second type of the same name silently
/// replaces the first in the document (`POST /calls` once showed the group-invite body). Every
/// `ToSchema` type has a name of its own, or a `#[schema(as = …)]` that gives it one.
#[test]
fn no_two_schema_types_share_a_name() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    let mut clashes = Vec::new();
    let mut stack = vec![root.join("confab-proto/src"), root.join("confab/src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                if !(line.trim_start().starts_with("#[derive(") && line.contains("ToSchema")) {
                    continue;
                }
                let mut renamed = None;
                for next in lines.iter().skip(i + 1).take(8) {
                    let t = next.trim_start();
                    if let Some(rest) = t.strip_prefix("#[schema(as = ") {
                        renamed = rest.split(')').next().map(str::to_owned);
                    }
                    let decl = t
                        .strip_prefix("pub struct ")
                        .or_else(|| t.strip_prefix("pub enum "));
                    if let Some(decl) = decl {
                        let ty: String = decl
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        let name = renamed.clone().unwrap_or(ty);
                        let at = format!("{}:{}", path.display(), i + 1);
                        if let Some(first) = seen.insert(name.clone(), at.clone()) {
                            clashes.push(format!("{name}: {first} and {at}"));
                        }
                        break;
                    }
                }
            }
        }
    }
    assert!(seen.len() > 100, "found only {} schema types", seen.len());
    assert!(clashes.is_empty(), "schema names used twice: {clashes:#?}");
}
