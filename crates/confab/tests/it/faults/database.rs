//! R5: the database goes away for 10 s under a node on MariaDB. The shared MariaDB is never
//! stopped: the node reaches its database through a TCP link the test cuts (every
//! connection dropped, new ones refused), which is what the node sees when MariaDB stops.
//! While it is cut, every request that needs the database answers `503
//! service_unavailable` with a body that names no internals (never a 500, never a panic),
//! sends are not acknowledged, and liveness holds; once it is mended, everything works
//! again without restarting the node, retried sends are stored once, and the checker holds.

use std::time::{Duration, Instant};

use confab::config::Dsn;
use confab_client::Client;
use confab_proto::ids::ConversationId;
use confab_proto::messaging::MessageIn;
use reqwest::Method;
use serde_json::json;

use super::checker::{self, Acked};
use super::device::Device;
use crate::cluster::Link;
use crate::crash::send_until_acked;
use crate::harness::*;

const OUTAGE: Duration = Duration::from_secs(10);
const LOGIN: &str = "/api/v1/auth/login";

fn text(cmid: &str) -> MessageIn {
    MessageIn {
        client_msg_id: cmid.into(),
        kind: "text".into(),
        body: json!({"text": cmid}),
        reply_to: None,
        mentions: None,
    }
}

/// One request during the outage: its status and body.
async fn probe(
    http: &reqwest::Client,
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, String) {
    let mut req = http
        .request(method.clone(), app.url(path))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = tokio::time::timeout(Duration::from_secs(30), req.send())
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no answer within 30 s during the outage"))
        .unwrap_or_else(|e| {
            panic!("{method} {path}: no HTTP answer during the outage (a panic?): {e}")
        });
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r5_a_database_outage_answers_503_and_heals_without_a_restart() {
    let Some(Backend::Cluster { mysql, redis }) = Backend::cluster() else {
        return;
    };
    let admin = url::Url::parse(&mysql).unwrap();
    let link = Link::to(format!(
        "{}:{}",
        admin.host_str().unwrap(),
        admin.port().unwrap_or(3306)
    ))
    .await;
    let port = link.port;
    let app = TestApp::spawn_with(Backend::Cluster { mysql, redis }, |c| {
        let mut via = url::Url::parse(c.database.url.expose()).unwrap();
        via.set_host(Some("127.0.0.1")).unwrap();
        via.set_port(Some(port)).unwrap();
        c.database.url = Dsn::new(via.to_string());
        c.database.acquire_timeout_secs = 2;
        c.auth.attempts_per_ip_per_minute = 10_000;
    })
    .await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.befriend(&alice, &bob).await;
    let conv: ConversationId = alice.client.open_direct(bob.id()).await.unwrap().id;
    let devices = [
        Device::start(alice.id(), alice.client.clone()),
        Device::start(bob.id(), bob.client.clone()),
    ];
    let mut acked = Vec::new();
    for i in 0..5 {
        let ack = alice
            .client
            .send(conv, &text(&format!("before-{i}")))
            .await
            .unwrap();
        acked.push(Acked {
            sender: alice.id(),
            ack,
        });
    }
    let mut ws = alice.client.ws().await.unwrap();

    link.set_cut(true);
    let cut_at = Instant::now();
    let http = reqwest::Client::new();
    let token = alice.tokens.access_token.clone();
    let msgs = format!("/api/v1/conversations/{conv}/messages");
    let mut refused = Vec::new();
    let mut answered = 0;
    let mut rounds = 0;
    // Bounded: until the outage is over, at most 200 rounds.
    while cut_at.elapsed() < OUTAGE && rounds < 200 {
        let cmid = format!("during-{rounds}");
        let calls: [(Method, String, Option<serde_json::Value>); 5] = [
            (
                Method::POST,
                msgs.clone(),
                Some(json!({"client_msg_id": cmid, "kind": "text", "body": {"text": "storm"}})),
            ),
            (Method::GET, msgs.clone(), None),
            (Method::GET, "/api/v1/sync".into(), None),
            (Method::GET, "/api/v1/conversations".into(), None),
            (
                Method::POST,
                LOGIN.into(),
                Some(json!({"login": alice.username, "password": PASSWORD})),
            ),
        ];
        for (method, path, body) in calls {
            let is_send = path == msgs && method == Method::POST;
            let (status, text) = probe(&http, &app, &token, method.clone(), &path, body).await;
            answered += 1;
            assert_ne!(
                status, 500,
                "{method} {path} answered 500 during the outage: {text}"
            );
            assert!(
                status == 503 || (!is_send && status < 300),
                "{method} {path} answered {status} during the outage: {text}"
            );
            if status == 503 {
                let v: serde_json::Value = serde_json::from_str(&text)
                    .unwrap_or_else(|_| panic!("not a JSON error: {text}"));
                assert_eq!(v["error"]["code"], "service_unavailable", "{text}");
                let lower = text.to_lowercase();
                for leak in [
                    "sqlx",
                    "mysql",
                    "mariadb",
                    "127.0.0.1",
                    "io error",
                    "connection refused",
                    "pool",
                ] {
                    assert!(
                        !lower.contains(leak),
                        "the 503 names internals ({leak}): {text}"
                    );
                }
            }
            assert!(
                !is_send || status == 503,
                "a send was acknowledged with the database away"
            );
        }
        refused.push(cmid);
        rounds += 1;
    }
    // The socket's send is refused too (an error frame, or the socket dropped), not acked.
    let sent = ws
        .send_frame("send", Some("w1"), json!({"conversation_id": conv.to_string(), "client_msg_id": "during-ws", "kind": "text", "body": {"text": "storm"}}))
        .await;
    if sent.is_ok() {
        loop {
            match ws.next_event_within(Duration::from_secs(30)).await {
                Ok(ev) if ev.id.as_deref() == Some("w1") => {
                    assert_eq!(
                        ev.kind, "error",
                        "a socket send was acknowledged during the outage: {ev:?}"
                    );
                    assert_eq!(ev.error_code(), Some("service_unavailable"), "{ev:?}");
                    break;
                }
                Ok(_) => {}
                Err(_) => break, // the socket went away: not acknowledged either
            }
        }
    }
    refused.push("during-ws".into());
    // Liveness is unaffected; readiness says the store is down.
    assert_eq!(app.client.healthz().await.unwrap().status, "ok");
    assert_eq!(app.client.readyz().await.unwrap().status, 503);
    eprintln!(
        "R5: {answered} requests during a {OUTAGE:?} outage, none 500; {} sends refused",
        refused.len()
    );

    // Mended: no restart. Every refused send, retried with its id, is acknowledged once.
    link.set_cut(false);
    eventually(
        Duration::from_secs(60),
        "readyz 200 after the database returned",
        || async { (app.client.readyz().await.unwrap().status == 200).then_some(()) },
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    for cmid in &refused {
        let ack = send_until_acked(&alice.client, conv, cmid.clone(), deadline).await;
        acked.push(Acked {
            sender: alice.id(),
            ack,
        });
    }
    let ack = bob.client.send(conv, &text("after")).await.unwrap();
    acked.push(Acked {
        sender: bob.id(),
        ack,
    });
    alice.client.mark_read(conv, 3).await.unwrap();
    Client::login(&app.client, &alice.username, PASSWORD)
        .await
        .unwrap();

    let members = checker::members(devices, [&alice.client, &bob.client]).await;
    let figures = checker::check(&app.state.store, &acked, &members).await;
    eprintln!("R5: checked {figures:?}");
}
