//! Operating a node: message trails (`GET /admin/messages/{id}/trail`), traces exported over
//! OTLP/HTTP to a loopback collector (one message's span tree across two nodes), and the log
//! (rotating JSON files, request and user ids on every line, no secret in any line).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use prost::Message as _;

use crate::crash::CrashNode;
use crate::harness::*;

const T: Duration = Duration::from_secs(10);

use crate::harness::text_message as text;

backend_tests! {
    async fn a_trail_shows_the_commit_and_the_sockets_pushed_to(app) {
        let ops = app.admin("ops").await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        let mut b1 = bob.client.ws().await.unwrap();
        let mut b2 = bob.client.ws().await.unwrap();
        let ack = alice.client.send(c.id, &text("t1", "hello")).await.unwrap();
        for ws in [&mut b1, &mut b2] {
            ws.expect_event("message.new", T).await.unwrap();
        }
        let trail = eventually(T, "the trail to show both sockets", || async {
            let t = ops.client.admin_message_trail(ack.id).await.ok()?;
            (t.sockets_total == 2).then_some(t)
        })
        .await;
        assert_eq!((trail.conversation_id, trail.seq), (c.id, ack.seq));
        assert_eq!(trail.sender_id, alice.id());
        assert_eq!(trail.committed_at, ack.created_at);
        assert_eq!(trail.pushes.len(), 1, "{trail:?}");
        assert_eq!(trail.pushes[0].node, app.state.ids.node());
        assert_eq!(trail.pushes[0].sockets, 2);
        assert_eq!(trail.kept_secs, app.config.telemetry.trail_secs);

        // Only system administrators; an unknown id is 404, a malformed one 400.
        let e = alice.client.admin_message_trail(ack.id).await.unwrap_err();
        assert_eq!(e.status(), Some(403));
        let e = ops
            .client
            .admin_message_trail(confab_proto::ids::MessageId(ack.id.0 + 1))
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(404));
        let bad = reqwest::Client::new()
            .get(app.url("/api/v1/admin/messages/abc/trail"))
            .bearer_auth(&ops.tokens.access_token)
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
    }
}

/// Two nodes: the trail names each node that had sockets to push to.
#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trail_names_every_node_that_pushed() {
    let Some(backend) = Backend::cluster() else {
        return;
    };
    let a = TestApp::spawn(backend).await;
    let b = a.spawn_peer().await;
    let ops = a.admin("ops").await;
    let alice = a.user("alice").await;
    let bob = a.user("bob").await;
    a.befriend(&alice, &bob).await;
    let c = alice.client.open_direct(bob.id()).await.unwrap();
    let mut on_a = alice.client.ws().await.unwrap();
    let mut on_b = b.client.signed_in(&bob.tokens).ws().await.unwrap();
    let ack = alice
        .client
        .send(c.id, &text("t2", "across"))
        .await
        .unwrap();
    on_a.expect_event("message.new", T).await.unwrap();
    on_b.expect_event("message.new", T).await.unwrap();
    let trail = eventually(T, "both nodes in the trail", || async {
        let t = ops.client.admin_message_trail(ack.id).await.ok()?;
        (t.pushes.len() == 2).then_some(t)
    })
    .await;
    let mut nodes: Vec<(u16, u32)> = trail.pushes.iter().map(|p| (p.node, p.sockets)).collect();
    nodes.sort_unstable();
    let mut want = vec![(a.state.ids.node(), 1), (b.state.ids.node(), 1)];
    want.sort_unstable();
    assert_eq!(nodes, want);
    assert_eq!(trail.sockets_total, 2);
}

/// One exported span, flattened.
#[derive(Clone, Debug)]
struct Span {
    name: String,
    trace: String,
    id: String,
    parent: String,
    attrs: HashMap<String, String>,
}

/// A loopback OTLP/HTTP collector: records every span it is sent (protobuf, as Jaeger and
/// the OpenTelemetry Collector receive it).
async fn collector() -> (String, Arc<Mutex<Vec<Span>>>) {
    let spans: Arc<Mutex<Vec<Span>>> = Arc::default();
    let sink = spans.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: Bytes| {
            let sink = sink.clone();
            async move {
                let req = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
                let mut out = sink.lock().unwrap();
                for rs in req.resource_spans {
                    for ss in rs.scope_spans {
                        for s in ss.spans {
                            let attrs = s
                                .attributes
                                .iter()
                                .map(|kv| {
                                    let v = match kv.value.as_ref().and_then(|v| v.value.clone()) {
                                        Some(Value::StringValue(s)) => s,
                                        Some(Value::IntValue(i)) => i.to_string(),
                                        Some(Value::BoolValue(b)) => b.to_string(),
                                        other => format!("{other:?}"),
                                    };
                                    (kv.key.clone(), v)
                                })
                                .collect();
                            out.push(Span {
                                name: s.name,
                                trace: hex::encode(&s.trace_id),
                                id: hex::encode(&s.span_id),
                                parent: hex::encode(&s.parent_span_id),
                                attrs,
                            });
                        }
                    }
                }
                (
                    [(axum::http::header::CONTENT_TYPE, "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, spans)
}

/// The span named `name` whose parent is `parent`, if exported.
fn child<'a>(spans: &'a [Span], parent: &Span, name: &str) -> Option<&'a Span> {
    spans
        .iter()
        .find(|s| s.name == name && s.parent == parent.id && s.trace == parent.trace)
}

/// send → commit → publish → push, with one push per node, under the HTTP request's span.
async fn one_message_is_one_trace(cluster: Option<(String, String)>) {
    let (endpoint, spans) = collector().await;
    let otlp = [
        ("CONFAB_TELEMETRY__OTLP_ENDPOINT", endpoint.as_str()),
        ("CONFAB_TELEMETRY__EXPORT_INTERVAL_MS", "200"),
    ];
    let a = CrashNode::start(cluster.clone(), &otlp).await;
    let b = match cluster {
        Some(_) => Some(a.start_peer(&otlp).await),
        None => None,
    };
    let alice_t = a
        .anon
        .register_simple(&unique("alice_"), PASSWORD)
        .await
        .unwrap();
    let bob_t = a
        .anon
        .register_simple(&unique("bob_"), PASSWORD)
        .await
        .unwrap();
    let alice = a.anon.signed_in(&alice_t);
    let bob_id = a.anon.signed_in(&bob_t).me().await.unwrap().id;
    befriend_clients(&alice, &a.anon.signed_in(&bob_t), bob_id).await;
    let c = alice.open_direct(bob_id).await.unwrap();
    let bob_node = b.as_ref().map_or(&a.anon, |b| &b.anon);
    let mut ws = bob_node.signed_in(&bob_t).ws().await.unwrap();
    let ack = alice.send(c.id, &text("traced", "hi")).await.unwrap();
    ws.expect_event("message.new", T).await.unwrap();

    let nodes = if b.is_some() { 2 } else { 1 };
    let (root, pushes) = eventually(Duration::from_secs(20), "the message's spans", || {
        let spans = spans.lock().unwrap().clone();
        async move {
            let root = spans.iter().find(|s| {
                s.name == "POST /api/v1/conversations/{id}/messages" && s.parent.is_empty()
            })?;
            let send = child(&spans, root, "send")?;
            let commit = child(&spans, send, "commit")?;
            let publish = child(&spans, commit, "publish")?;
            let pushes: Vec<Span> = spans
                .iter()
                .filter(|s| s.name == "push" && s.parent == publish.id && s.trace == root.trace)
                .cloned()
                .collect();
            (pushes.len() == nodes).then(|| (root.clone(), pushes))
        }
    })
    .await;
    // The request span names the request and the signed-in user.
    assert!(root.attrs.contains_key("request_id"), "{root:?}");
    assert_eq!(
        root.attrs.get("user_id"),
        Some(&alice_t.user.id.to_string())
    );
    // One push per node, each on its own node; exactly one of them had Bob's socket.
    let mut on: Vec<&str> = pushes.iter().map(|p| p.attrs["node"].as_str()).collect();
    on.dedup();
    assert_eq!(on.len(), nodes, "{pushes:?}");
    let sockets: Vec<&str> = pushes.iter().map(|p| p.attrs["sockets"].as_str()).collect();
    assert_eq!(
        sockets.iter().filter(|s| **s == "1").count(),
        1,
        "{pushes:?}"
    );
    let publish = spans
        .lock()
        .unwrap()
        .iter()
        .find(|s| s.id == pushes[0].parent)
        .cloned()
        .unwrap();
    assert_eq!(publish.attrs["message_id"], ack.id.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_message_is_one_trace_on_sqlite() {
    one_message_is_one_trace(None).await;
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_message_is_one_trace_across_two_nodes() {
    let (Some(mysql), Some(redis)) = (mysql_url(), redis_url()) else {
        return;
    };
    one_message_is_one_trace(Some((mysql, redis))).await;
}

/// Every line of a node's log (all rotated files), parsed.
fn read_log(dir: &std::path::Path) -> (usize, Vec<serde_json::Value>, String) {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut text = String::new();
    for f in &files {
        text.push_str(&std::fs::read_to_string(f).unwrap());
    }
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    (files.len(), lines, text)
}

/// A full run's log, in rotating JSON files: every request line names its request, lines
/// of signed-in requests name the user, and no password, token or code appears anywhere
/// (a code only in the dev-mode mail line that exists to show it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_rotates_names_requests_and_users_and_keeps_secrets_out() {
    let logs = tempfile::tempdir().unwrap();
    let dir = logs.path().join("logs");
    let dir_s = dir.display().to_string();
    let node = CrashNode::start(
        None,
        &[
            ("CONFAB_LOG__OUTPUT", "file"),
            ("CONFAB_LOG__FORMAT", "json"),
            ("CONFAB_LOG__DIR", dir_s.as_str()),
            ("CONFAB_LOG__ROTATION", "size"),
            ("CONFAB_LOG__MAX_FILE_BYTES", "65536"),
            ("CONFAB_LOG__KEEP_FILES", "3"),
        ],
    )
    .await;
    let anon = &node.anon;
    let password = "log-test-password-Zq8#";
    let name = unique("logger_");
    let tokens = anon.register_simple(&name, password).await.unwrap();
    let me = anon.signed_in(&tokens);
    let wrong = anon
        .login(&name, "not-the-password-Zq8#")
        .await
        .unwrap_err();
    assert_eq!(wrong.status(), Some(401));
    let again = anon.login(&name, password).await.unwrap();
    let refreshed = anon.refresh(&again.refresh_token).await.unwrap();
    let email = format!("{}@example.com", unique("m"));
    anon.request_code("email", &email, "register")
        .await
        .unwrap();
    // Enough requests to rotate the 64 KiB files several times.
    for _ in 0..400 {
        me.me().await.unwrap();
    }
    drop(node); // stops the node; the log writer flushes on exit
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (files, lines, text) = read_log(&dir);
    assert!(
        (2..=4).contains(&files),
        "{files} files: rotation by size, 3 kept"
    );

    let code_line = lines
        .iter()
        .find(|l| {
            l["message"]
                .as_str()
                .is_some_and(|m| m.contains("DEV MODE"))
                && l["to"] == email
        })
        .expect("the dev-mode mail line");
    let body = code_line["body"].as_str().unwrap();
    let code = body
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in: {body}"))
        .to_owned();
    let secrets = [
        password.to_owned(),
        "not-the-password-Zq8#".to_owned(),
        tokens.access_token.clone(),
        tokens.refresh_token.clone(),
        again.access_token.clone(),
        again.refresh_token.clone(),
        refreshed.access_token.clone(),
        refreshed.refresh_token.clone(),
    ];
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "a secret reached the log: {s}");
    }
    for l in &lines {
        let raw = l.to_string();
        if raw.contains(&code) {
            assert!(
                raw.contains("DEV MODE"),
                "the code outside its dev-mode line: {raw}"
            );
        }
    }
    // Every request line carries its request id (in its span); signed-in ones the user id.
    let requests: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["message"] == "request" && l["target"] == "confab::http")
        .collect();
    assert!(requests.len() > 100, "{} request lines", requests.len());
    let user = tokens.user.id.to_string();
    for r in &requests {
        let span = &r["spans"][0];
        assert_eq!(span["name"], "request", "{r}");
        assert!(
            span["request_id"].as_str().is_some_and(|s| !s.is_empty()),
            "{r}"
        );
        if r["route"] == "/api/v1/me" {
            assert_eq!(span["user_id"].to_string(), user, "{r}");
        }
    }
}
