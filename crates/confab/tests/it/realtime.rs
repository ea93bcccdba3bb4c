//! Messaging in real time: sends over the WebSocket, `message.new` to every device of every
//! member (across nodes), receipts, typing, and idempotent sends on several sockets.

use std::time::Duration;

use confab_client::WsConnection;
use confab_proto::messaging::{MarksOut, MessageOut, SendAck};
use serde_json::json;

use crate::harness::*;

const T: Duration = Duration::from_secs(5);

/// Reads until the answer to frame `id`; returns it and every other frame read meanwhile
/// (events may arrive before the answer: a message is pushed before its ack is queued).
async fn ack_with(
    ws: &mut WsConnection,
    id: &str,
) -> (serde_json::Value, Vec<confab_client::Event>) {
    let mut others = Vec::new();
    loop {
        let ev = ws.next_event_within(T).await.unwrap();
        if ev.id.as_deref() == Some(id) {
            assert_eq!(ev.kind, "ack", "{ev:?}");
            return (ev.data["result"].clone(), others);
        }
        others.push(ev);
    }
}

async fn ack(ws: &mut WsConnection, id: &str) -> serde_json::Value {
    ack_with(ws, id).await.0
}

fn send_frame(conv: impl std::fmt::Display, cmid: &str, text: &str) -> serde_json::Value {
    json!({"conversation_id": conv.to_string(), "client_msg_id": cmid, "kind": "text", "body": {"text": text}})
}

backend_tests! {
    async fn messages_reach_every_device_of_every_member(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let eve = app.user("eve").await;
        // Sockets first, conversation second: the fan-out index learns of it on the fly.
        let mut a1 = alice.client.ws().await.unwrap();
        let mut a2 = alice.client.ws().await.unwrap();
        let mut b1 = bob.client.ws().await.unwrap();
        let mut e1 = eve.client.ws().await.unwrap();
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();

        a1.send_frame("send", Some("s1"), send_frame(c.id, "ws-1", "over the socket")).await.unwrap();
        let (result, before_ack) = ack_with(&mut a1, "s1").await;
        let acked: SendAck = serde_json::from_value(result).unwrap();
        assert_eq!((acked.seq, acked.client_msg_id.as_str()), (1, "ws-1"));
        let early = before_ack.into_iter().find(|e| e.kind == "message.new");
        for (name, ws) in [("a1", &mut a1), ("a2", &mut a2), ("b1", &mut b1)] {
            let ev = match (name, &early) {
                ("a1", Some(e)) => e.clone(),
                _ => ws.expect_event("message.new", T).await.unwrap_or_else(|e| panic!("{name}: {e}")),
            };
            let m: MessageOut = ev.decode().unwrap();
            assert_eq!((m.seq, m.id, m.body["text"].as_str()), (1, acked.id, Some("over the socket")));
        }
        // HTTP sends are pushed the same way.
        bob.client.send_text(c.id, "over http").await.unwrap();
        let m: MessageOut = a2.expect_event("message.new", T).await.unwrap().decode().unwrap();
        assert_eq!(m.seq, 2);
        // A stranger's socket hears nothing, and cannot send there.
        assert!(tokio::time::timeout(Duration::from_millis(300), e1.expect_event("message.new", T)).await.is_err());
        e1.send_frame("send", Some("x"), send_frame(c.id, "eve-1", "let me in")).await.unwrap();
        let err = e1.expect_event("error", T).await.unwrap();
        assert_eq!((err.id.as_deref(), err.error_code()), (Some("x"), Some("not_found")));

        // Receipts: Bob reads on his socket; Alice's devices are told. (His own send already
        // moved his mark to 2, so Alice sends a third.)
        alice.client.send_text(c.id, "third").await.unwrap();
        b1.send_frame("read", Some("r1"), json!({"conversation_id": c.id.to_string(), "seq": 3})).await.unwrap();
        let marks: MarksOut = serde_json::from_value(ack(&mut b1, "r1").await).unwrap();
        assert_eq!(marks.read_seq, 3);
        let r: MarksOut = a1.expect_event("receipt", T).await.unwrap().decode().unwrap();
        assert_eq!((r.user_id, r.read_seq), (bob.id(), 3));

        // Typing reaches the other member, is never stored, and is refused to strangers.
        a1.send_frame("typing", Some("t1"), json!({"conversation_id": c.id.to_string()})).await.unwrap();
        let t = b1.expect_event("typing", T).await.unwrap();
        assert_eq!(t.data["user_id"], alice.id().to_string());
        e1.send_frame("typing", Some("t2"), json!({"conversation_id": c.id.to_string()})).await.unwrap();
        assert_eq!(e1.expect_event("error", T).await.unwrap().error_code(), Some("not_found"));
        assert_eq!(bob.client.history(c.id, None, None, None).await.unwrap().messages.len(), 3);
    }

    async fn a_sockets_pipelined_sends_are_stored_in_the_order_sent(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        let mut ws = alice.client.ws().await.unwrap();
        // Frames sent back to back, no answer awaited (the default burst is 40). One in the
        // middle is refused; the others keep their order around it.
        const N: usize = 30;
        for i in 0..N {
            let frame = if i == 10 {
                send_frame("1", "nowhere", "not a conversation of mine")
            } else {
                send_frame(c.id, &format!("p{i}"), &i.to_string())
            };
            ws.send_frame("send", Some(&format!("f{i}")), frame).await.unwrap();
        }
        let mut seqs = std::collections::BTreeMap::new();
        let mut refused = None;
        while seqs.len() + usize::from(refused.is_some()) < N {
            let ev = ws.next_event_within(T).await.unwrap();
            // `message.new` for her own sends carries no frame id.
            let Some(id) = ev.id.clone() else { continue };
            let i: usize = id[1..].parse().unwrap();
            match ev.kind.as_str() {
                "ack" => {
                    let a: SendAck = serde_json::from_value(ev.data["result"].clone()).unwrap();
                    assert_eq!(a.client_msg_id, format!("p{i}"));
                    seqs.insert(i, a.seq);
                }
                "error" => refused = Some((i, ev.error_code().map(str::to_owned))),
                other => panic!("unexpected {other}: {ev:?}"),
            }
        }
        assert_eq!(refused, Some((10, Some("not_found".to_owned()))));
        // In frame order, the seqs are 1, 2, 3, … with no gap and no swap.
        assert_eq!(seqs.values().copied().collect::<Vec<_>>(), (1..N as i64).collect::<Vec<_>>());
        let h = bob.client.history(c.id, None, None, Some(50)).await.unwrap();
        let bodies: Vec<_> = h.messages.iter().map(|m| m.body["text"].as_str().unwrap_or_default().to_owned()).collect();
        let sent: Vec<_> = (0..N).filter(|i| *i != 10).map(|i| i.to_string()).collect();
        assert_eq!(bodies, sent);
    }

    async fn one_client_id_on_five_sockets_is_stored_once(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        let mut sockets = Vec::new();
        for _ in 0..5 {
            sockets.push(alice.client.ws().await.unwrap());
        }
        let tasks: Vec<_> = sockets.into_iter().enumerate().map(|(i, mut ws)| {
            let frame = send_frame(c.id, "same-everywhere", "exactly once");
            tokio::spawn(async move {
                let id = format!("f{i}");
                ws.send_frame("send", Some(&id), frame).await.unwrap();
                serde_json::from_value::<SendAck>(ack(&mut ws, &id).await).unwrap()
            })
        }).collect();
        let acks: Vec<SendAck> = futures::future::join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
        assert!(acks.iter().all(|a| *a == acks[0]), "{acks:?}");
        let h = bob.client.history(c.id, None, None, None).await.unwrap();
        assert_eq!(h.messages.len(), 1);
    }
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_and_receipts_cross_nodes() {
    let Some(backend) = Backend::cluster() else {
        return;
    };
    let a = TestApp::spawn(backend).await;
    let b = a.spawn_peer().await;
    let alice = a.user("alice").await;
    let bob = a.user("bob").await;
    // Bob is connected to node B; Alice talks to node A.
    let bob_on_b = b.client.with_token(bob.tokens.access_token.clone());
    let mut bws = bob_on_b.ws().await.unwrap();
    a.befriend(&alice, &bob).await;
    let c = alice.client.open_direct(bob.id()).await.unwrap();
    let sent = alice.client.send_text(c.id, "across nodes").await.unwrap();
    let m: MessageOut = bws
        .expect_event("message.new", T)
        .await
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!((m.seq, m.id), (sent.seq, sent.id));
    let mut aws = alice.client.ws().await.unwrap();
    bws.send_frame(
        "read",
        Some("r"),
        json!({"conversation_id": c.id.to_string(), "seq": 1}),
    )
    .await
    .unwrap();
    let r: MarksOut = aws
        .expect_event("receipt", T)
        .await
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!((r.user_id, r.read_seq), (bob.id(), 1));
    bws.send_frame("typing", None, json!({"conversation_id": c.id.to_string()}))
        .await
        .unwrap();
    let t = aws.expect_event("typing", T).await.unwrap();
    assert_eq!(t.data["user_id"], bob.id().to_string());

    // The other way: a WebSocket send, a receipt and typing on node A reach Bob on node B.
    aws.send_frame("send", Some("a2"), send_frame(c.id, "x-2", "second"))
        .await
        .unwrap();
    let acked: SendAck = serde_json::from_value(ack(&mut aws, "a2").await).unwrap();
    let m: MessageOut = bws
        .expect_event("message.new", T)
        .await
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!((m.seq, m.id), (2, acked.id));
    bob.client.send_text(c.id, "from bob").await.unwrap();
    aws.send_frame(
        "read",
        Some("ra"),
        json!({"conversation_id": c.id.to_string(), "seq": 3}),
    )
    .await
    .unwrap();
    let r: MarksOut = bws
        .expect_event("receipt", T)
        .await
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!((r.user_id, r.read_seq), (alice.id(), 3));
    aws.send_frame("typing", None, json!({"conversation_id": c.id.to_string()}))
        .await
        .unwrap();
    let t = bws.expect_event("typing", T).await.unwrap();
    assert_eq!(t.data["user_id"], alice.id().to_string());
}

/// Reads `message.new` events until `n` arrived, returning their seqs in arrival order.
async fn collect_seqs(ws: &mut WsConnection, n: usize, mut seqs: Vec<i64>) -> Vec<i64> {
    while seqs.len() < n {
        let ev = ws
            .next_event_within(Duration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("after {} of {n} messages: {e}", seqs.len()));
        match ev.kind.as_str() {
            "message.new" => seqs.push(ev.decode::<MessageOut>().unwrap().seq),
            "error" | "resync" => panic!("unexpected {ev:?}"),
            _ => {}
        }
    }
    seqs
}

/// Issue 4's ordering guarantee: 20 concurrent senders × 200 messages into one conversation,
/// watched by several devices → every device (the senders' own sockets too) sees seqs 1..N
/// in order, with no gap and no duplicate, and each sender's acks rise.
async fn every_device_sees_one_gapless_order(backend: Backend) {
    const SENDERS: usize = 20;
    const PER: usize = 200;
    const N: usize = SENDERS * PER;
    let app = TestApp::spawn_with(backend, |c| {
        // Each sender socket sends 200 frames as fast as acks come back; the frame limit and
        // the slow-consumer rule have their own tests (gateway) and are lifted here so a
        // starved CPU cannot turn an ordering test into a flow-control one.
        c.gateway.frames_per_second = 10_000;
        c.gateway.frames_burst = 10_000;
        c.gateway.outbound_queue = 2 * N;
    })
    .await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.befriend(&alice, &bob).await;
    let c = alice.client.open_direct(bob.id()).await.unwrap();

    // Three devices that only watch: one of Alice's, two of Bob's.
    let mut watchers = Vec::new();
    for client in [&alice.client, &bob.client, &bob.client] {
        let mut ws = client.ws().await.unwrap();
        watchers.push(tokio::spawn(async move {
            collect_seqs(&mut ws, N, Vec::new()).await
        }));
    }
    // Twenty sending devices, alternating between the two users; all connected before the
    // first send, so every socket is owed every message.
    let ready = std::sync::Arc::new(tokio::sync::Barrier::new(SENDERS));
    let mut senders = Vec::new();
    for i in 0..SENDERS {
        let client = if i % 2 == 0 {
            alice.client.clone()
        } else {
            bob.client.clone()
        };
        let conv = c.id;
        let ready = ready.clone();
        senders.push(tokio::spawn(async move {
            let mut ws = client.ws().await.unwrap();
            ready.wait().await;
            let mut seen = Vec::new();
            let mut acked = Vec::new();
            for k in 0..PER {
                let id = format!("s{k}");
                ws.send_frame(
                    "send",
                    Some(&id),
                    send_frame(conv, &format!("d{i}-{k}"), &format!("{i}:{k}")),
                )
                .await
                .unwrap();
                let (result, others) = ack_with(&mut ws, &id).await;
                for ev in others.into_iter().filter(|e| e.kind == "message.new") {
                    seen.push(ev.decode::<MessageOut>().unwrap().seq);
                }
                acked.push(serde_json::from_value::<SendAck>(result).unwrap().seq);
            }
            (acked, collect_seqs(&mut ws, N, seen).await)
        }));
    }
    let want: Vec<i64> = (1..=N as i64).collect();
    let mut all_acked = Vec::new();
    for (i, s) in senders.into_iter().enumerate() {
        let (acked, seen) = s.await.unwrap();
        assert!(
            acked.windows(2).all(|w| w[0] < w[1]),
            "sender {i}: its own messages out of order"
        );
        if let Some(p) = seen.iter().zip(&want).position(|(a, b)| a != b) {
            panic!(
                "sender {i}'s socket saw another order: from index {p}: {:?}",
                &seen[p.saturating_sub(3)..(p + 10).min(seen.len())]
            );
        }
        all_acked.extend(acked);
    }
    all_acked.sort_unstable();
    assert!(all_acked == want, "acks are not exactly 1..N");
    for (i, w) in watchers.into_iter().enumerate() {
        let seen = w.await.unwrap();
        assert!(
            seen == want,
            "watcher {i} saw another order (first difference at {:?})",
            seen.iter().zip(&want).position(|(a, b)| a != b)
        );
    }
    // And the store agrees: N messages, last_seq N, nothing unread for either.
    let a = alice.client.conversation(c.id).await.unwrap();
    let b = bob.client.conversation(c.id).await.unwrap();
    assert_eq!((a.last_seq, b.last_seq), (N as i64, N as i64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_device_sees_one_gapless_order_sqlite() {
    every_device_sees_one_gapless_order(Backend::Sqlite).await;
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_device_sees_one_gapless_order_mysql_redis() {
    let Some(backend) = Backend::cluster() else {
        return;
    };
    every_device_sees_one_gapless_order(backend).await;
}
