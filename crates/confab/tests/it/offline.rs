//! Offline push (issue 17 item 6) against a loopback stand-in for the push gateway that
//! records every request and checks what Confab sent: the HMAC signature over the exact
//! body, several messages batched into one request, retries after a 500 with the same body,
//! no push to online users, none for a muted conversation, private previews without text,
//! the badge as sync reports it, and a missed call. Batch windows run on the node's
//! injected clock (the tests move it once the items are waiting); other waits are bounded.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use confab::config::Config;
use confab::infra::clock::Clock;
use confab_client::ClientError;
use confab_proto::calls::CallMedia;
use confab_proto::ids::UserId;
use confab_proto::messaging::ConversationPatch;
use confab_proto::push::{OfflinePushOut, PushItemKind, PushSettingsOut};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::harness::*;

const SECRET: &str = "push-secret-for-tests-0123456789abcdef";
const WAIT: Duration = Duration::from_secs(10);

backend_fn_tests!(
    an_offline_recipient_gets_one_signed_request_for_several_messages,
    online_muted_and_private_recipients,
    a_failed_request_is_retried_with_the_same_body,
    a_missed_call_pushes_the_callee,
    push_settings_need_a_session_and_round_trip,
);

/// One request the gateway received.
#[derive(Clone)]
struct Got {
    signature: String,
    delivery: String,
    body: Vec<u8>,
}

impl Got {
    fn push(&self) -> OfflinePushOut {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// Checks the signature as a receiver would: HMAC-SHA256 over "<t>." + the raw body.
    fn verify(&self) -> i64 {
        let (t, v1) = self
            .signature
            .split_once(',')
            .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
            .expect("t=<unix>,v1=<hex>");
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(&self.body);
        mac.verify_slice(&hex::decode(v1).unwrap())
            .expect("the signature verifies");
        t.parse().unwrap()
    }
}

/// The stand-in push gateway: records requests; answers 500 to the first `fail_first`.
#[derive(Clone)]
struct Gateway {
    url: String,
    got: Arc<Mutex<Vec<Got>>>,
    fail_first: Arc<AtomicUsize>,
}

impl Gateway {
    async fn start(fail_first: usize) -> Gateway {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gw = Gateway {
            url: format!("http://{}/push", listener.local_addr().unwrap()),
            got: Arc::default(),
            fail_first: Arc::new(AtomicUsize::new(fail_first)),
        };
        let app = axum::Router::new()
            .route("/push", axum::routing::post(receive))
            .with_state(gw.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        gw
    }

    fn requests(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    async fn wait_for(&self, n: usize) -> Vec<Got> {
        eventually(WAIT, &format!("{n} push request(s)"), || async {
            let r = self.requests();
            (r.len() >= n).then_some(r)
        })
        .await
    }
}

async fn receive(State(gw): State<Gateway>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    gw.got.lock().unwrap().push(Got {
        signature: h("x-confab-signature"),
        delivery: h("x-confab-delivery"),
        body: body.to_vec(),
    });
    let fail = gw
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    }
}

async fn node(backend: Backend, gw: &Gateway) -> TestApp {
    let url = gw.url.clone();
    TestApp::spawn_with(backend, move |c: &mut Config| {
        c.push.webhook_url = url;
        c.push.secret = confab::config::Secret::new(SECRET);
        c.push.batch_window_ms = 1_000;
        c.push.retry_base_ms = 50;
    })
    .await
}

/// Waits until `user` has `n` items waiting in their batch.
async fn pending(app: &TestApp, user: UserId, n: usize) {
    eventually(WAIT, &format!("{n} pending push item(s)"), || async {
        (confab::offline::pending(&app.state, user) == n).then_some(())
    })
    .await
}

/// Moves the node's clock past the batch window.
fn pass_window(app: &TestApp) {
    app.clock.advance(chrono::Duration::milliseconds(1_001));
}

async fn an_offline_recipient_gets_one_signed_request_for_several_messages(backend: Backend) {
    let gw = Gateway::start(0).await;
    let app = node(backend, &gw).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.befriend(&alice, &bob).await;
    let c = alice.client.open_direct(bob.id()).await.unwrap();
    for t in ["one", "two", "three"] {
        alice.client.send_text(c.id, t).await.unwrap();
    }
    pending(&app, bob.id(), 3).await;
    // The sender is never pushed; nothing leaves before the window passes.
    assert_eq!(confab::offline::pending(&app.state, alice.id()), 0);
    assert!(gw.requests().is_empty());
    pass_window(&app);
    let got = gw.wait_for(1).await;
    assert_eq!(got.len(), 1, "three messages, one request");
    let t = got[0].verify();
    assert_eq!(t, app.clock.now().timestamp());
    let push = got[0].push();
    assert_eq!(got[0].delivery, push.delivery_id);
    assert_eq!(push.recipient_id, bob.id());
    let seqs: Vec<_> = push.items.iter().map(|i| i.seq).collect();
    assert_eq!(seqs, [Some(1), Some(2), Some(3)]);
    for (item, text) in push.items.iter().zip(["one", "two", "three"]) {
        assert_eq!(item.kind, PushItemKind::Message);
        assert_eq!(
            (item.conversation_id, item.conversation_kind.as_str()),
            (c.id, "direct")
        );
        assert_eq!(
            (item.sender_id, item.sender_name.as_str()),
            (alice.id(), alice.username.as_str())
        );
        assert_eq!(item.preview.as_deref(), Some(text));
        assert_eq!(item.message_kind.as_deref(), Some("text"));
    }
    // The badge is the unread total sync reports.
    let sync = bob.client.sync(None).await.unwrap();
    assert_eq!((push.badge, sync.total_unread), (3, 3));
    // A tampered body does not verify.
    let mut bad = got[0].clone();
    bad.body[0] = b' ';
    assert!(std::panic::catch_unwind(move || bad.verify()).is_err());
}

async fn online_muted_and_private_recipients(backend: Backend) {
    let gw = Gateway::start(0).await;
    let app = node(backend, &gw).await;
    let alice = app.user("alice").await;
    let (bob, carol, dave) = (
        app.user("bob").await,
        app.user("carol").await,
        app.user("dave").await,
    );
    for u in [&bob, &carol, &dave] {
        app.befriend(&alice, u).await;
    }
    // Bob is online; Carol muted her chat with Alice; Dave hides previews.
    let _bob_ws = bob.client.ws().await.unwrap();
    eventually(WAIT, "bob online", || async {
        confab::social::presence::connected_anywhere(&app.state, bob.id())
            .await
            .unwrap()
            .then_some(())
    })
    .await;
    let to_carol = carol.client.open_direct(alice.id()).await.unwrap();
    let patch = ConversationPatch {
        pinned: None,
        muted: Some(true),
        hidden: None,
    };
    carol
        .client
        .update_conversation(to_carol.id, &patch)
        .await
        .unwrap();
    let s: PushSettingsOut = dave
        .client
        .call(
            Method::PATCH,
            "/api/v1/me/push-settings",
            Some(&json!({"private_previews": true})),
        )
        .await
        .unwrap();
    assert!(s.private_previews);
    for u in [&bob, &carol, &dave] {
        let c = alice.client.open_direct(u.id()).await.unwrap();
        alice.client.send_text(c.id, "secret plans").await.unwrap();
    }
    // Jobs are taken in order: once Dave's item waits, Bob's and Carol's were decided.
    pending(&app, dave.id(), 1).await;
    assert_eq!(confab::offline::pending(&app.state, bob.id()), 0);
    assert_eq!(confab::offline::pending(&app.state, carol.id()), 0);
    pass_window(&app);
    let got = gw.wait_for(1).await;
    assert_eq!(got.len(), 1);
    got[0].verify();
    let push = got[0].push();
    assert_eq!(push.recipient_id, dave.id());
    assert_eq!(push.items.len(), 1);
    let item = &push.items[0];
    assert_eq!(
        (item.preview.as_ref(), item.sender_name.as_str()),
        (None, alice.username.as_str())
    );
    assert!(!String::from_utf8_lossy(&got[0].body).contains("secret plans"));
    assert_eq!(push.badge, 1);
}

async fn a_failed_request_is_retried_with_the_same_body(backend: Backend) {
    let gw = Gateway::start(2).await;
    let app = node(backend, &gw).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.befriend(&alice, &bob).await;
    let c = alice.client.open_direct(bob.id()).await.unwrap();
    alice
        .client
        .send_text(c.id, "are you there?")
        .await
        .unwrap();
    pending(&app, bob.id(), 1).await;
    pass_window(&app);
    // Two 500s, then the third attempt is accepted.
    let got = gw.wait_for(3).await;
    for g in &got {
        g.verify();
        assert_eq!(g.body, got[0].body, "every retry sends the same body");
        assert_eq!(g.delivery, got[0].delivery);
    }
    assert_eq!(
        got[0].push().items[0].preview.as_deref(),
        Some("are you there?")
    );
}

async fn a_missed_call_pushes_the_callee(backend: Backend) {
    let gw = Gateway::start(0).await;
    let app = node(backend, &gw).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.befriend(&alice, &bob).await;
    let _alice_ws = alice.client.ws().await.unwrap();
    let call = alice
        .client
        .invite_call(bob.id(), CallMedia::Video)
        .await
        .unwrap();
    // Nobody answers: past the ring timeout the call ends `missed` (on the next read).
    app.clock.advance(chrono::Duration::seconds(46));
    let ended = alice.client.get_call(call.id).await.unwrap();
    assert_eq!(
        ended.outcome,
        Some(confab_proto::calls::CallOutcome::Missed)
    );
    pending(&app, bob.id(), 1).await;
    pass_window(&app);
    let got = gw.wait_for(1).await;
    got[0].verify();
    let push = got[0].push();
    assert_eq!(push.recipient_id, bob.id());
    let item = &push.items[0];
    assert_eq!(item.kind, PushItemKind::MissedCall);
    assert_eq!(
        (item.call_id, item.media.as_deref()),
        (Some(call.id), Some("video"))
    );
    assert_eq!(
        (item.sender_id, item.conversation_id),
        (alice.id(), call.conversation_id)
    );
    assert_eq!(item.preview, None);
    // The call's record message is unread for Bob: the badge counts it.
    assert_eq!(
        push.badge,
        bob.client.sync(None).await.unwrap().total_unread
    );
    assert!(push.badge >= 1);
    // The caller is not pushed.
    assert!(
        gw.requests()
            .iter()
            .all(|g| g.push().recipient_id == bob.id())
    );
}

async fn push_settings_need_a_session_and_round_trip(backend: Backend) {
    let gw = Gateway::start(0).await;
    let app = node(backend, &gw).await;
    let path = "/api/v1/me/push-settings";
    for (m, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"private_previews": true}))),
    ] {
        let e: ClientError = app
            .client
            .call::<Value, Value>(m, path, body.as_ref())
            .await
            .unwrap_err();
        assert_eq!((e.status(), e.code()), (Some(401), Some("unauthorized")));
    }
    let u = app.user("u").await;
    let s: PushSettingsOut = u
        .client
        .call::<(), _>(Method::GET, path, None)
        .await
        .unwrap();
    assert!(!s.private_previews);
    let e = u
        .client
        .call::<Value, Value>(
            Method::PATCH,
            path,
            Some(&json!({"private_previews": "yes"})),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.status(), e.code()),
        (Some(422), Some("validation_failed"))
    );
    let s: PushSettingsOut = u
        .client
        .call(
            Method::PATCH,
            path,
            Some(&json!({"private_previews": true})),
        )
        .await
        .unwrap();
    assert!(s.private_previews);
    let s: PushSettingsOut = u
        .client
        .call(Method::PATCH, path, Some(&json!({})))
        .await
        .unwrap();
    assert!(s.private_previews, "absent fields stay");
}

/// Two nodes on one MariaDB + Redis, both pushing to the same gateway: only the node that
/// committed a message pushes it (the other never queues it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_committing_node_pushes() {
    let Some(backend) = Backend::cluster() else {
        return;
    };
    let gw = Gateway::start(0).await;
    let a = node(backend, &gw).await;
    let b = a.spawn_peer().await;
    let alice = a.user("alice").await;
    let bob = a.user("bob").await;
    a.befriend(&alice, &bob).await;
    let c = alice.client.open_direct(bob.id()).await.unwrap();
    alice.client.send_text(c.id, "via node a").await.unwrap();
    pending(&a, bob.id(), 1).await;
    // Node b saw the message on the bus (its sockets would get it) but never queued a push.
    assert_eq!(confab::offline::pending(&b.state, bob.id()), 0);
    pass_window(&a);
    pass_window(&b);
    let got = gw.wait_for(1).await;
    assert_eq!(got[0].push().items.len(), 1);
    assert_eq!(confab::offline::pending(&b.state, bob.id()), 0);
}
