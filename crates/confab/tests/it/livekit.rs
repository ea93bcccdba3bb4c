//! A stand-in for LiveKit, shared by the SFU tests (`rooms_sfu`, `rooms::media`): a loopback
//! recorder of RoomService calls, a node pointed at it, and LiveKit's own token verifier
//! (`fixtures/livekit_verify.py`, gated by `CONFAB_TEST_LIVEKIT`).

use std::collections::VecDeque;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use confab::config::Secret;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::harness::{Backend, TestApp, eventually};

/// The API key the nodes here are given.
pub const KEY: &str = "APItestkey";

/// The API secret (40 bytes).
pub fn secret() -> String {
    "x".repeat(40)
}

/// One request LiveKit would have received.
#[derive(Clone, Debug)]
pub struct Received {
    /// The Twirp method (`UpdateParticipant`…).
    pub method: String,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The JSON body.
    pub body: Value,
}

/// A stand-in for LiveKit's RoomService: records every request, answers from a script of
/// statuses (then 200 `{}`).
#[derive(Clone)]
pub struct Recorder {
    /// Where it listens (`http://127.0.0.1:port`): a node's `media.livekit_url`.
    pub url: String,
    /// Every request so far, in arrival order.
    pub got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<StatusCode>>>,
}

impl Recorder {
    /// Listens on a free loopback port.
    pub async fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let rec = Recorder {
            url: format!("http://{}", listener.local_addr().unwrap()),
            got: Arc::default(),
            script: Arc::default(),
        };
        async fn receive(
            State(rec): State<Recorder>,
            Path(method): Path<String>,
            headers: HeaderMap,
            body: axum::Json<Value>,
        ) -> (StatusCode, axum::Json<Value>) {
            let header = |n: &str| headers.get(n).map(|v| v.to_str().unwrap().to_owned());
            rec.got.lock().unwrap().push(Received {
                method,
                authorization: header("authorization"),
                content_type: header("content-type"),
                body: body.0,
            });
            let status = rec
                .script
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(StatusCode::OK);
            // Twirp's error shape.
            let answer = match status {
                StatusCode::OK => json!({}),
                StatusCode::NOT_FOUND => {
                    json!({"code": "not_found", "msg": "participant not found"})
                }
                _ => json!({"code": "unavailable", "msg": "try again"}),
            };
            (status, axum::Json(answer))
        }
        let app = axum::Router::new()
            .route(
                "/twirp/livekit.RoomService/{method}",
                axum::routing::post(receive),
            )
            .with_state(rec.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        rec
    }

    /// Answers the next requests with these statuses, in order.
    pub fn answer(&self, statuses: &[StatusCode]) {
        self.script.lock().unwrap().extend(statuses.iter().copied());
    }

    /// Waits until `n` requests arrived; returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        eventually(
            Duration::from_secs(15),
            &format!("{n} RoomService requests"),
            || async {
                let got = self.got.lock().unwrap().clone();
                (got.len() >= n).then_some(got)
            },
        )
        .await
    }

    /// The requests so far.
    pub fn calls(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// A SQLite node that calls this recorder, with [`KEY`] and [`secret`].
    pub async fn node(&self) -> TestApp {
        self.node_on(Backend::Sqlite).await
    }

    /// A node on `backend` that calls this recorder, with [`KEY`] and [`secret`].
    pub async fn node_on(&self, backend: Backend) -> TestApp {
        let url = self.url.clone();
        TestApp::spawn_with(backend, move |c| {
            c.media.livekit_url = url;
            c.media.livekit_api_key = KEY.into();
            c.media.livekit_api_secret = Secret::new(secret());
        })
        .await
    }
}

/// The admin token's claims, after checking its signature, algorithm, issuer and expiry.
pub fn admin_claims(r: &Received) -> Value {
    let auth = r.authorization.as_deref().expect("an Authorization header");
    let token = auth.strip_prefix("Bearer ").expect("a Bearer token");
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[KEY]);
    v.set_required_spec_claims(&["exp", "nbf", "iss"]);
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_secret(secret().as_bytes()), &v)
        .expect("the admin token verifies with the API secret")
        .claims
}

// ------------------------------------------------------------------ LiveKit's verifier

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Whether to run the tests that need LiveKit's Python SDK (fails in CI when not asked for),
/// like `harness::mysql_url`.
pub fn livekit_sdk_wanted() -> bool {
    let wanted = env("CONFAB_TEST_LIVEKIT").is_some_and(|v| v != "0" && v != "false");
    let in_ci = env("CI").is_some_and(|v| v != "false" && v != "0");
    assert!(
        wanted || !in_ci,
        "CI=true but CONFAB_TEST_LIVEKIT is unset: refusing to skip the LiveKit verifier test"
    );
    wanted
}

/// Runs `fixtures/livekit_verify.py`: `Ok(claims)` as it printed them, or `Err(stderr)`.
pub fn livekit_verify(key: &str, secret: &str, token: &str) -> Result<Value, String> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/fixtures/livekit_verify.py"
    );
    let mut child = Command::new("python3")
        .arg(script)
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    // The secret and the token go through stdin, not the command line.
    writeln!(child.stdin.take().unwrap(), "{secret}\n{token}").unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}
