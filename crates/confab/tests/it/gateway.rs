//! The WebSocket gateway end to end: authentication (header, first frame, none, bad),
//! frames and their errors, limits and close codes, fan-out to every device (across nodes
//! in the cluster variant), presence, revocation and shutdown.

use std::time::Duration;

use confab::config::Config;
use confab::infra::bus::Topic;
use confab::infra::clock::Clock;
use confab_client::tungstenite::Message;
use confab_client::tungstenite::protocol::frame::Frame;
use confab_client::tungstenite::protocol::frame::coding::{Data, OpCode};
use confab_client::{Client, WsAuth, WsConnection, WsError};
use confab_proto::ws::{PresenceOut, PresenceSetting, PresenceStatus, ResyncData, ServerEvent};
use serde_json::json;

use crate::harness::*;

const T: Duration = Duration::from_secs(5);

/// Short timers and a small queue, so limits are reached fast; a frame limit above the
/// 100,000-byte deep-JSON input so that it reaches the parser.
fn fast(c: &mut Config) {
    c.gateway.auth_timeout_secs = 1;
    // Above a full burst's answers (40 pongs + 40 refusals), far below the default.
    c.gateway.outbound_queue = 128;
    c.gateway.max_frame_bytes = 200_000;
}

/// Like `backend_tests!`, with [`fast`] settings.
macro_rules! gateway_tests {
    ($(async fn $name:ident($app:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = TestApp::spawn_with(Backend::Sqlite, fast).await;
                $body
            }

            #[cfg_attr(not(all(confab_mysql, confab_redis)), ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql_redis() {
                let Some(backend) = Backend::cluster() else { return };
                let $app = TestApp::spawn_with(backend, fast).await;
                $body
            }
        }
    )*};
}

async fn expect_close(ws: &mut WsConnection, code: u16) -> String {
    let (got, reason) = ws.closed(T).await.unwrap();
    assert_eq!(got, code, "close reason {reason:?}");
    reason
}

async fn expect_error(ws: &mut WsConnection, code: &str) -> Option<String> {
    let ev = ws.next_event_within(T).await.unwrap();
    assert_eq!(ev.error_code(), Some(code), "{ev:?}");
    ev.id
}

/// Reads presence events until one says `status` (earlier ones may be queued).
async fn expect_presence(ws: &mut WsConnection, status: PresenceStatus) -> PresenceOut {
    loop {
        let p: PresenceOut = ws
            .expect_event("presence", T)
            .await
            .unwrap()
            .decode()
            .unwrap();
        if p.status == status {
            return p;
        }
    }
}

fn resync(reason: &str) -> ServerEvent {
    ServerEvent::Resync(ResyncData {
        reason: reason.into(),
    })
}

gateway_tests! {
    async fn header_and_first_frame_auth_both_get_ready(app) {
        let a = app.user("alice").await;
        let ws = a.client.ws().await.unwrap();
        let ready = ws.ready().unwrap();
        assert_eq!(ready.user_id, a.id());
        assert_eq!(ready.session_id, a.tokens.session_id);
        assert_eq!(ready.heartbeat_secs, 30);
        assert_eq!(ready.idle_timeout_secs, 75);
        assert_eq!(ready.max_frame_bytes, 200_000);
        assert_eq!(ready.server_time, app.clock.now());

        let ws2 = a.client.ws_with(WsAuth::FirstFrame, "").await.unwrap();
        assert_eq!(ws2.ready().unwrap().session_id, a.tokens.session_id);
        assert_eq!(app.state.push.registry.connections_of(a.id()), 2);
    }

    async fn no_auth_in_time_closes_the_socket(app) {
        let mut ws = app.client.ws_with(WsAuth::None, "").await.unwrap();
        let started = std::time::Instant::now();
        expect_error(&mut ws, "auth_timeout").await;
        assert_eq!(expect_close(&mut ws, 4401).await, "auth timeout");
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    }

    async fn a_token_in_the_url_is_ignored(app) {
        let a = app.user("alice").await;
        let token = a.tokens.access_token.clone();
        let query = format!("?access_token={token}&token={token}");
        let mut ws = app.client.ws_with(WsAuth::None, &query).await.unwrap();
        ws.send_frame("ping", Some("p1"), json!(null)).await.unwrap();
        assert_eq!(expect_error(&mut ws, "unauthorized").await.as_deref(), Some("p1"));
        assert_eq!(app.state.push.registry.connections_of(a.id()), 0);
        expect_error(&mut ws, "auth_timeout").await;
        expect_close(&mut ws, 4401).await;
    }

    async fn bad_and_expired_tokens_are_refused(app) {
        let a = app.user("alice").await;
        // Header: refused at the upgrade with the usual error body.
        match app.client.with_token("not.a.token").ws().await {
            Err(WsError::Refused { status, code }) => assert_eq!((status, code.as_str()), (401, "unauthorized")),
            other => panic!("{:?}", other.map(|_| ())),
        }
        // First frame: an error frame, then the socket closes.
        let mut ws = app.client.ws_with(WsAuth::None, "").await.unwrap();
        ws.send_frame("auth", Some("a1"), json!({"token": "garbage"})).await.unwrap();
        assert_eq!(expect_error(&mut ws, "unauthorized").await.as_deref(), Some("a1"));
        assert_eq!(expect_close(&mut ws, 4401).await, "unauthorized");
        // Expired (16 minutes on a 15-minute token).
        app.clock.advance(chrono::Duration::minutes(16));
        match a.client.ws().await {
            Err(WsError::Refused { status, code }) => assert_eq!((status, code.as_str()), (401, "token_expired")),
            other => panic!("{:?}", other.map(|_| ())),
        }
        match a.client.ws_with(WsAuth::FirstFrame, "").await {
            Err(WsError::Server { code, .. }) => assert_eq!(code, "token_expired"),
            other => panic!("{:?}", other.map(|_| ())),
        }
    }

    async fn ping_pong_and_bad_frames_keep_the_socket(app) {
        let a = app.user("alice").await;
        let mut ws = a.client.ws().await.unwrap();
        // Its own presence comes first.
        ws.expect_event("presence", T).await.unwrap();
        ws.send_frame("ping", Some("p1"), json!(null)).await.unwrap();
        let pong = ws.next_event_within(T).await.unwrap();
        assert_eq!((pong.kind.as_str(), pong.id.as_deref()), ("pong", Some("p1")));
        assert!(pong.data["server_time"].is_string());

        ws.send_raw(Message::text("{")).await.unwrap();
        expect_error(&mut ws, "invalid_json").await;
        // Deep nesting: an error frame (which one depends on where the parser gives up),
        // not a stack overflow.
        ws.send_raw(Message::text("[".repeat(100_000))).await.unwrap();
        let ev = ws.next_event_within(T).await.unwrap();
        assert!(matches!(ev.error_code(), Some("invalid_json" | "bad_frame")), "{ev:?}");
        ws.send_raw(Message::text(format!(r#"{{"type":"ping","data":{}}}"#, "[".repeat(100_000)))).await.unwrap();
        expect_error(&mut ws, "invalid_json").await;
        ws.send_raw(Message::text(r#"{"type":5,"id":"b1"}"#)).await.unwrap();
        assert_eq!(expect_error(&mut ws, "bad_frame").await.as_deref(), Some("b1"));
        ws.send_raw(Message::text(r#"[1,2]"#)).await.unwrap();
        expect_error(&mut ws, "bad_frame").await;
        ws.send_frame("teleport", Some("u1"), json!({})).await.unwrap();
        assert_eq!(expect_error(&mut ws, "unknown_frame_type").await.as_deref(), Some("u1"));
        ws.send_frame("presence.set", Some("s1"), json!({"status": "sleepy"})).await.unwrap();
        assert_eq!(expect_error(&mut ws, "bad_frame").await.as_deref(), Some("s1"));
        ws.send_frame("auth", Some("a1"), json!({"token": "x"})).await.unwrap();
        assert_eq!(expect_error(&mut ws, "bad_frame").await.as_deref(), Some("a1"));
        ws.send_frame("subscribe", Some("sub"), json!({"topic": "x"})).await.unwrap();
        let ack = ws.next_event_within(T).await.unwrap();
        assert_eq!((ack.kind.as_str(), ack.id.as_deref()), ("ack", Some("sub")));

        // Still usable after all that.
        ws.send_frame("ping", Some("p2"), json!(null)).await.unwrap();
        let pong = ws.next_event_within(T).await.unwrap();
        assert_eq!((pong.kind.as_str(), pong.id.as_deref()), ("pong", Some("p2")));
    }

    async fn flooding_frames_is_rate_limited_then_closed(app) {
        let a = app.user("alice").await;
        let mut ws = a.client.ws().await.unwrap();
        // 40-frame burst: the rest of 200 instant frames are refused, and persistent excess
        // (40 refusals in a row) closes the socket with 1008.
        for i in 0..200 {
            if ws.send_frame("ping", Some(&format!("f{i}")), json!(null)).await.is_err() {
                break;
            }
        }
        let mut limited = 0;
        let code = loop {
            match ws.next_event_within(T).await {
                Ok(ev) if ev.error_code() == Some("rate_limited") => limited += 1,
                Ok(_) => {}
                Err(WsError::Closed { code, .. }) => break code,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(code, 1008);
        assert!(limited >= 1, "no rate_limited error before the close");
    }

    async fn an_oversized_message_closes_with_1009(app) {
        let a = app.user("alice").await;
        let mut ws = a.client.ws().await.unwrap();
        let big = format!(r#"{{"type":"ping","data":"{}"}}"#, "x".repeat(300_000));
        // The server may stop reading before the whole message is written.
        let _ = ws.send_raw(Message::text(big)).await;
        expect_close(&mut ws, 1009).await;
        // Other sockets are unaffected.
        let mut other = a.client.ws().await.unwrap();
        other.send_frame("ping", Some("p"), json!(null)).await.unwrap();
        other.expect_event("pong", T).await.unwrap();
    }

    async fn invalid_utf8_closes_with_1007(app) {
        let a = app.user("alice").await;
        let mut ws = a.client.ws().await.unwrap();
        let frame = Frame::message(vec![b'"', 0xff, 0xfe, b'"'], OpCode::Data(Data::Text), true);
        ws.send_raw(Message::Frame(frame)).await.unwrap();
        expect_close(&mut ws, 1007).await;
    }

    async fn binary_frames_close_with_1003(app) {
        let a = app.user("alice").await;
        let mut ws = a.client.ws().await.unwrap();
        ws.send_raw(Message::binary(vec![1, 2, 3])).await.unwrap();
        expect_close(&mut ws, 1003).await;
    }

    async fn every_device_of_the_user_gets_user_events(app) {
        let a = app.user("alice").await;
        let b = app.user("bob").await;
        let mut a1 = a.client.ws().await.unwrap();
        let mut a2 = a.client.ws_with(WsAuth::FirstFrame, "").await.unwrap();
        let peer = if app.config.redis.url.is_empty() { None } else { Some(app.spawn_peer().await) };
        let mut a3 = match &peer {
            Some(p) => Some(Client::new(&p.url("")).unwrap().signed_in(&a.tokens).ws().await.unwrap()),
            None => None,
        };
        let mut b1 = b.client.ws().await.unwrap();

        confab::push::publish(&app.state, Topic::User(a.id()), &resync("for-alice")).await.unwrap();
        confab::push::publish(&app.state, Topic::User(b.id()), &resync("for-bob")).await.unwrap();
        for ws in [&mut a1, &mut a2].into_iter().chain(a3.as_mut()) {
            let ev = ws.expect_event("resync", T).await.unwrap();
            assert_eq!(ev.data["reason"], "for-alice");
        }
        // Bob's first resync is his own: Alice's event never reached him.
        assert_eq!(b1.expect_event("resync", T).await.unwrap().data["reason"], "for-bob");

        confab::push::publish(&app.state, Topic::Everyone, &resync("all")).await.unwrap();
        for ws in [&mut a1, &mut a2, &mut b1].into_iter().chain(a3.as_mut()) {
            assert_eq!(ws.expect_event("resync", T).await.unwrap().data["reason"], "all");
        }
    }

    async fn presence_is_shown_to_the_users_devices_and_invisible_hides_it(app) {
        let a = app.user("alice").await;
        let b = app.user("bob").await;
        let mut a1 = a.client.ws().await.unwrap();
        let p = expect_presence(&mut a1, PresenceStatus::Online).await;
        assert_eq!(p.user_id, a.id());
        let mut a2 = a.client.ws().await.unwrap();
        assert_eq!(a.client.presence(a.id()).await.unwrap().status, PresenceStatus::Online);
        // Not in Alice's audience (friends come later): refused.
        assert_eq!(b.client.presence(a.id()).await.unwrap_err().status(), Some(403));

        a1.send_frame("presence.set", Some("s1"), json!({"status": "invisible"})).await.unwrap();
        let ack = a1.expect_event("ack", T).await.unwrap();
        assert_eq!((ack.id.as_deref(), ack.data["result"]["status"].as_str()), (Some("s1"), Some("offline")));
        expect_presence(&mut a2, PresenceStatus::Offline).await;
        assert_eq!(a.client.presence(a.id()).await.unwrap().status, PresenceStatus::Offline);

        let out = a.client.set_presence(PresenceSetting::Busy).await.unwrap();
        assert_eq!(out.status, PresenceStatus::Busy);
        expect_presence(&mut a1, PresenceStatus::Busy).await;
        a.client.set_presence(PresenceSetting::Online).await.unwrap();
        expect_presence(&mut a2, PresenceStatus::Online).await;

        // Every device gone: offline; a new device brings the user back online.
        a1.close().await.unwrap();
        a2.close().await.unwrap();
        eventually(T, "alice offline", || async {
            (a.client.presence(a.id()).await.unwrap().status == PresenceStatus::Offline).then_some(())
        }).await;
        let mut a3 = a.client.ws().await.unwrap();
        expect_presence(&mut a3, PresenceStatus::Online).await;
    }

    async fn logout_closes_that_sessions_sockets_on_every_node(app) {
        let a = app.user("alice").await;
        let other = app.client.login(&a.username, PASSWORD).await.unwrap();
        let mut ws = a.client.ws().await.unwrap();
        let mut keep = app.client.signed_in(&other).ws().await.unwrap();
        let peer = if app.config.redis.url.is_empty() { None } else { Some(app.spawn_peer().await) };
        let mut remote = match &peer {
            Some(p) => Some(Client::new(&p.url("")).unwrap().signed_in(&a.tokens).ws().await.unwrap()),
            None => None,
        };

        let started = std::time::Instant::now();
        a.client.logout().await.unwrap();
        for ws in std::iter::once(&mut ws).chain(remote.as_mut()) {
            let ev = ws.expect_event("session.revoked", Duration::from_secs(1)).await.unwrap();
            assert_eq!(ev.data["session_id"], a.tokens.session_id.to_string());
            let (code, reason) = ws.closed(Duration::from_secs(1)).await.unwrap();
            assert_eq!((code, reason.as_str()), (4001, "session revoked"));
        }
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
        // The other session's socket is untouched.
        keep.send_frame("ping", Some("k"), json!(null)).await.unwrap();
        keep.expect_event("pong", T).await.unwrap();
    }

    async fn a_slow_consumer_is_closed_with_1013_and_others_still_receive(app) {
        let a = app.user("alice").await;
        let mut healthy = a.client.ws().await.unwrap();
        let mut slow = a.client.ws().await.unwrap();
        assert_eq!(app.state.push.registry.connections_of(a.id()), 2);
        // 16 KiB events in batches of 8; the healthy socket reads each batch before the next,
        // the slow one never reads. Bounded: at most 4,000 events (64 MiB) or 30 s.
        let pad = "x".repeat(16 * 1024);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut sent = 0;
        while app.state.push.registry.connections_of(a.id()) == 2 {
            assert!(sent < 4_000 && std::time::Instant::now() < deadline, "slow socket never closed ({sent} events)");
            for _ in 0..8 {
                let frame = json!({"type": "test.blob", "data": {"n": sent, "pad": pad}}).to_string();
                app.state.bus.publish(Topic::User(a.id()), bytes::Bytes::from(frame)).await.unwrap();
                sent += 1;
            }
            for _ in 0..8 {
                healthy.expect_event("test.blob", T).await.unwrap();
            }
        }
        // The slow socket, once it reads, finds the resync close after what was written.
        assert_eq!(expect_close_within(&mut slow, Duration::from_secs(10)).await, (1013, "resync".to_owned()));
        // The healthy one is still served.
        confab::push::publish(&app.state, Topic::User(a.id()), &resync("after")).await.unwrap();
        assert_eq!(healthy.expect_event("resync", T).await.unwrap().data["reason"], "after");
    }

    async fn shutdown_closes_sockets_with_1001(app) {
        let a = app.user("alice").await;
        let mut ws = a.client.ws().await.unwrap();
        let stop = tokio::spawn(app.stop());
        let (code, reason) = ws.closed(Duration::from_secs(10)).await.unwrap();
        assert_eq!((code, reason.as_str()), (1001, "going away"));
        tokio::time::timeout(Duration::from_secs(30), stop).await.unwrap().unwrap();
    }
}

async fn expect_close_within(ws: &mut WsConnection, within: Duration) -> (u16, String) {
    ws.closed(within).await.unwrap()
}

/// A client that never answers the server's pings (it never reads) is closed after
/// `idle_timeout_secs`; the timers come from `[gateway]`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_socket_is_closed_after_the_idle_timeout() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.gateway.heartbeat_secs = 1;
        c.gateway.idle_timeout_secs = 2;
    })
    .await;
    let a = app.user("alice").await;
    let mut ws = a.client.ws().await.unwrap();
    assert_eq!(ws.ready().unwrap().idle_timeout_secs, 2);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(
        expect_close_within(&mut ws, T).await,
        (4408, "idle timeout".to_owned())
    );
}
