//! Reconnects in one round trip (issue 20 item 2, decision 0033): `GET /sync` returns the
//! messages of small gaps inline (`missed`), bounded per conversation and in total, with
//! `after_seq` saying where the client's own fetch must stop; the WebSocket `ready` frame
//! carries that answer when the connect asks for it, subscribed before the snapshot.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use confab_client::ClientError;
use confab_client::WsAuth;
use confab_proto::groups::{JoinOut, JoinPolicy, KickQuery, Visibility};
use confab_proto::ids::ConversationId;
use confab_proto::messaging::{ConversationOut, MessageIn, SyncOut, SyncQuery};

use crate::harness::*;

const WAIT: Duration = Duration::from_secs(20);

fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

fn text(t: &str) -> MessageIn {
    MessageIn {
        client_msg_id: unique("s"),
        kind: "text".into(),
        body: serde_json::json!({ "text": t }),
        reply_to: None,
        mentions: None,
    }
}

fn entry(s: &SyncOut, conv: ConversationId) -> &ConversationOut {
    s.conversations
        .iter()
        .find(|c| c.id == conv)
        .unwrap_or_else(|| panic!("{conv} not in the sync answer"))
}

fn seqs(c: &ConversationOut) -> Vec<i64> {
    c.missed
        .as_ref()
        .expect("missed is there")
        .messages
        .iter()
        .map(|m| m.seq)
        .collect()
}

fn q(cursor: &str, messages: Option<u32>) -> SyncQuery {
    SyncQuery {
        cursor: Some(cursor.to_owned()),
        messages,
    }
}

/// A node whose send limits let one user send a few hundred messages in a test.
async fn roomy(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.messaging.sends_per_second = 1000;
        c.messaging.sends_burst = 1000;
    })
    .await
}

/// Small gaps come whole, a big one as its newest part with `after_seq` pointing at the
/// rest (which `catch_up` fetches: each message exactly once); messages from before the
/// cursor are not repeated; `messages` bounds and turns it off; the total is bounded.
async fn inline_sync_is_complete_bounded_and_points_at_the_rest(backend: Backend) {
    let app = roomy(backend).await;
    let me = app.user("me").await;
    let a = app.user("a").await;
    let b = app.user("b").await;
    app.befriend(&me, &a).await;
    app.befriend(&me, &b).await;
    let ca = me.client.open_direct(a.id()).await.unwrap().id;
    let cb = me.client.open_direct(b.id()).await.unwrap().id;
    for i in 1..=2 {
        a.client.send(ca, &text(&format!("old {i}"))).await.unwrap();
    }
    // The cursor reaches 10 s back: taken a minute later, "old" is what the client has.
    app.clock.advance(chrono::Duration::minutes(1));
    let cursor = me.client.sync(None).await.unwrap().cursor;
    app.clock.advance(chrono::Duration::minutes(1));
    for i in 3..=5 {
        a.client.send(ca, &text(&format!("new {i}"))).await.unwrap();
    }
    for i in 1..=25 {
        b.client.send(cb, &text(&format!("b {i}"))).await.unwrap();
    }

    let s = me.client.sync(Some(&cursor)).await.unwrap();
    let ea = entry(&s, ca);
    assert_eq!(ea.missed.as_ref().unwrap().after_seq, 2);
    assert_eq!(
        seqs(ea),
        [3, 4, 5],
        "the small gap whole, nothing from before the cursor"
    );
    assert_eq!(
        ea.missed.as_ref().unwrap().messages[0].body["text"],
        "new 3"
    );
    let eb = entry(&s, cb);
    assert_eq!(
        eb.missed.as_ref().unwrap().after_seq,
        5,
        "20 inline by default"
    );
    assert_eq!(seqs(eb), (6..=25).collect::<Vec<_>>());
    // The client had 2 of ca and nothing of cb: catching up fetches exactly the rest.
    let got: Vec<i64> = me
        .client
        .catch_up(ea, 2)
        .await
        .unwrap()
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(got, [3, 4, 5]);
    let got: Vec<i64> = me
        .client
        .catch_up(eb, 0)
        .await
        .unwrap()
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(got, (1..=25).collect::<Vec<_>>());
    let got: Vec<i64> = me
        .client
        .catch_up(eb, 12)
        .await
        .unwrap()
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(got, (13..=25).collect::<Vec<_>>());

    // The bound is the client's to choose, up to 50; 0 turns it off.
    let s = me.client.sync_with(&q(&cursor, Some(3))).await.unwrap();
    assert_eq!(
        (
            entry(&s, cb).missed.as_ref().unwrap().after_seq,
            seqs(entry(&s, cb))
        ),
        (22, vec![23, 24, 25])
    );
    let s = me.client.sync_with(&q(&cursor, Some(0))).await.unwrap();
    assert!(s.conversations.iter().all(|c| c.missed.is_none()));
    let e = me
        .client
        .sync_with(&q(&cursor, Some(51)))
        .await
        .unwrap_err();
    assert_eq!(code(&e), (422, "validation_failed"));
    // A first sync (no cursor) inlines nothing unless asked.
    assert!(
        me.client
            .sync(None)
            .await
            .unwrap()
            .conversations
            .iter()
            .all(|c| c.missed.is_none())
    );

    // The total: five chats of 45 new messages each, 50 asked per chat: 200 inline in all,
    // each chat's part a run ending at its newest, the rest pointed at.
    let mut chats = vec![];
    for k in 0..5 {
        let p = app.user(&format!("p{k}")).await;
        app.befriend(&me, &p).await;
        let c = me.client.open_direct(p.id()).await.unwrap().id;
        for i in 1..=45 {
            p.client.send(c, &text(&format!("p{k} {i}"))).await.unwrap();
        }
        chats.push(c);
    }
    let s = me.client.sync_with(&q(&cursor, Some(50))).await.unwrap();
    let inline: usize = s
        .conversations
        .iter()
        .filter_map(|c| c.missed.as_ref())
        .map(|m| m.messages.len())
        .sum();
    assert_eq!(inline, 200, "bounded in total");
    for c in &s.conversations {
        let m = c.missed.as_ref().unwrap();
        let want: Vec<i64> = (m.after_seq + 1..=c.last_seq).collect();
        assert_eq!(seqs(c), want, "a run ending at the newest seq of {}", c.id);
        let all: Vec<i64> = me
            .client
            .catch_up(c, 0)
            .await
            .unwrap()
            .iter()
            .map(|m| m.seq)
            .collect();
        assert_eq!(
            all,
            (1..=c.last_seq).collect::<Vec<_>>(),
            "catching up {} from 0",
            c.id
        );
    }
}

/// A member kicked while offline gets the messages up to its leave inline, and nothing
/// stored after it.
async fn a_kicked_member_gets_nothing_after_its_leave(backend: Backend) {
    let app = roomy(backend).await;
    let owner = app.user("owner").await;
    let gone = app.user("gone").await;
    let g = owner
        .client
        .create_group(&crate::groups::group_in(
            "inline",
            Visibility::Public,
            JoinPolicy::Open,
        ))
        .await
        .unwrap();
    assert!(matches!(
        gone.client.join_group(g.id, None).await.unwrap(),
        JoinOut::Joined(_)
    ));
    let cursor = gone.client.sync(None).await.unwrap().cursor;
    app.clock.advance(chrono::Duration::minutes(1));
    owner
        .client
        .send(g.conversation_id, &text("before 1"))
        .await
        .unwrap();
    owner
        .client
        .send(g.conversation_id, &text("before 2"))
        .await
        .unwrap();
    owner
        .client
        .kick_group_member(g.id, gone.id(), &KickQuery::default())
        .await
        .unwrap();
    for i in 1..=3 {
        owner
            .client
            .send(g.conversation_id, &text(&format!("after {i}")))
            .await
            .unwrap();
    }
    let s = gone.client.sync(Some(&cursor)).await.unwrap();
    let e = entry(&s, g.conversation_id);
    let m = e.missed.as_ref().unwrap();
    let texts: Vec<&str> = m
        .messages
        .iter()
        .filter_map(|m| m.body["text"].as_str())
        .collect();
    assert_eq!(texts, ["before 1", "before 2"]);
    let last = m.messages.last().unwrap();
    assert_eq!(last.kind, "system", "the kick is the last thing it sees");
    assert_eq!(last.seq, e.last_seq);
    assert!(m.messages.iter().all(|x| x.seq <= e.last_seq));
    // The same through `ready`.
    let ws = gone
        .client
        .ws_synced(WsAuth::Header, &q(&cursor, None))
        .await
        .unwrap();
    let r = ws.ready().unwrap().sync.as_ref().unwrap();
    assert_eq!(entry(r, g.conversation_id).missed, e.missed);
    // And the owner, still a member, sees all of it (the 10 s overlap before the cursor
    // also holds the group's creation and the join).
    let s = owner.client.sync(Some(&cursor)).await.unwrap();
    let o = entry(&s, g.conversation_id);
    let texts: Vec<&str> = o
        .missed
        .as_ref()
        .unwrap()
        .messages
        .iter()
        .filter_map(|m| m.body["text"].as_str())
        .collect();
    assert_eq!(
        texts,
        ["before 1", "before 2", "after 1", "after 2", "after 3"]
    );
    assert_eq!(
        o.missed.as_ref().unwrap().messages.last().unwrap().seq,
        o.last_seq
    );
    assert!(o.last_seq == e.last_seq + 3);
}

/// `ready` carries the sync the connect asked for (URL or `auth` frame), and a client that
/// merges it with the events after it by seq has every message exactly once, while a peer
/// keeps sending through the connect (subscribe, then snapshot). Bad sync requests are
/// refused with a clear code.
async fn ready_carries_the_sync_and_nothing_falls_between_it_and_the_stream(backend: Backend) {
    let app = roomy(backend).await;
    let me = app.user("me").await;
    let a = app.user("a").await;
    app.befriend(&me, &a).await;
    let conv = me.client.open_direct(a.id()).await.unwrap().id;
    let cursor = me.client.sync(None).await.unwrap().cursor;
    app.clock.advance(chrono::Duration::minutes(1));
    for i in 1..=3 {
        a.client
            .send(conv, &text(&format!("offline {i}")))
            .await
            .unwrap();
    }
    const PER_ROUND: i64 = 30;
    let mut last = 3i64;
    for (round, auth) in [WsAuth::Header, WsAuth::FirstFrame, WsAuth::Header]
        .into_iter()
        .enumerate()
    {
        let from = last;
        let until = from + PER_ROUND;
        // The peer keeps sending while the socket connects and syncs.
        let sender = a.client.clone();
        let sending = tokio::spawn(async move {
            for i in from + 1..=until {
                sender
                    .send(conv, &text(&format!("r{round} {i}")))
                    .await
                    .unwrap();
            }
        });
        let mut ws = me
            .client
            .ws_synced(auth, &q(&cursor, Some(50)))
            .await
            .unwrap();
        let snapshot = ws
            .ready()
            .unwrap()
            .sync
            .clone()
            .expect("ready carries the sync");
        let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
        let m = entry(&snapshot, conv).missed.as_ref().unwrap();
        // The newest 50 since the cursor: fewer than 50 of this round can be stored before
        // the snapshot, so the inline run starts at or before the round's first message.
        assert!(
            m.after_seq <= from,
            "round {round}: after_seq {} > {from}",
            m.after_seq
        );
        if round == 0 {
            assert_eq!(m.after_seq, 0, "the offline messages are inline");
        }
        let after_seq = m.after_seq;
        for x in &m.messages {
            *seen.entry(x.seq).or_default() += 1;
        }
        let inline: BTreeSet<i64> = seen.keys().copied().collect();
        assert!(
            seen.values().all(|n| *n == 1),
            "the snapshot repeats nothing"
        );
        // Then the stream, until the last message arrived (bounded by time).
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut streamed: BTreeMap<i64, usize> = BTreeMap::new();
        while !(inline.contains(&until) || streamed.contains_key(&until)) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "round {round}: seq {until} never arrived"
            );
            let ev = ws.next_event_within(WAIT).await.unwrap();
            if ev.kind == "message.new" && ev.data["conversation_id"] == conv.to_string() {
                *streamed
                    .entry(ev.data["seq"].as_i64().unwrap())
                    .or_default() += 1;
            }
        }
        sending.await.unwrap();
        assert!(
            streamed.values().all(|n| *n == 1),
            "round {round}: the stream repeats nothing: {streamed:?}"
        );
        // Events may repeat the snapshot (subscribed first); merged by seq, every message
        // after `after_seq` is there, once.
        let merged: BTreeSet<i64> = inline.iter().chain(streamed.keys()).copied().collect();
        assert_eq!(
            merged,
            (after_seq + 1..=until).collect::<BTreeSet<_>>(),
            "round {round}"
        );
        last = until;
    }

    // Bad requests: over the URL, the upgrade is refused; in the `auth` frame, an error
    // frame answers and the socket can still authenticate.
    let bad = me
        .client
        .ws_with(WsAuth::Header, "?sync=not-a-cursor")
        .await
        .err()
        .unwrap();
    assert!(
        matches!(bad, confab_client::WsError::Refused { status: 422, ref code } if code == "validation_failed"),
        "{bad:?}"
    );
    let bad = me
        .client
        .ws_with(WsAuth::Header, &format!("?sync={cursor}&messages=99"))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(bad, confab_client::WsError::Refused { status: 422, .. }),
        "{bad:?}"
    );
    let mut raw = me.client.ws_with(WsAuth::None, "").await.unwrap();
    let token = me.tokens.access_token.clone();
    raw.send_frame(
        "auth",
        Some("a1"),
        serde_json::json!({"token": token, "sync": {"cursor": "nope"}}),
    )
    .await
    .unwrap();
    let ev = raw.next_event_within(WAIT).await.unwrap();
    assert_eq!(
        (ev.kind.as_str(), ev.error_code(), ev.id.as_deref()),
        ("error", Some("validation_failed"), Some("a1"))
    );
    raw.send_frame(
        "auth",
        Some("a2"),
        serde_json::json!({"token": token, "sync": {"cursor": cursor}}),
    )
    .await
    .unwrap();
    let ev = raw.next_event_within(WAIT).await.unwrap();
    assert_eq!(ev.kind, "ready");
    assert!(ev.data["sync"]["cursor"].is_string());
    // Without a sync asked for, `ready` is as before.
    let plain = me.client.ws().await.unwrap();
    assert!(plain.ready().unwrap().sync.is_none());
}

backend_fn_tests!(
    inline_sync_is_complete_bounded_and_points_at_the_rest,
    a_kicked_member_gets_nothing_after_its_leave,
    ready_carries_the_sync_and_nothing_falls_between_it_and_the_stream,
);
