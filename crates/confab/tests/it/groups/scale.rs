//! Races and scale: a kick racing a send never gives the kicked member a seq after the
//! kick; group messages and moderation events cross nodes; one message to a 500-member
//! group reaches every online member exactly once.

use std::time::Duration;

use confab::infra::bus::Topic;
use confab_client::{Client, WsConnection};
use confab_proto::groups::{KickQuery, MemberPatch, MuteFor};
use confab_proto::ws::{ResyncData, ServerEvent};
use futures::StreamExt;

use super::*;

const WAIT: Duration = Duration::from_secs(20);

/// Pushes a marker to `topic` and collects every frame a socket gets until the marker: all
/// that was published to it before the marker (from this node) has arrived by then.
async fn until_marker(
    app: &TestApp,
    topic: Topic,
    sockets: &mut [&mut WsConnection],
    tag: &str,
) -> Vec<Vec<confab_client::Event>> {
    let marker = ServerEvent::Resync(ResyncData { reason: tag.into() });
    confab::push::publish(&app.state, topic, &marker)
        .await
        .unwrap();
    let mut out = Vec::new();
    for ws in sockets.iter_mut() {
        let mut seen = Vec::new();
        loop {
            let ev = ws.next_event_within(WAIT).await.unwrap();
            if ev.kind == "resync" && ev.data["reason"] == tag {
                break;
            }
            seen.push(ev);
        }
        out.push(seen);
    }
    out
}

backend_tests! {
    async fn a_kick_racing_a_send_never_lets_the_send_land_after_it(app) {
        const ROUNDS: usize = 200;
        let owner = app.user("owner").await;
        let victim = app.user("victim").await;
        let g = open_group(&owner, "race track").await;
        let mut refused = 0;
        for round in 0..ROUNDS {
            join(&victim, &g).await;
            let kick = {
                let c = owner.client.clone();
                let (gid, uid) = (g.id, victim.id());
                tokio::spawn(async move { c.kick_group_member(gid, uid, &KickQuery::default()).await })
            };
            let send = {
                let c = victim.client.clone();
                let conv = g.conversation_id;
                let m = text(&format!("round {round}"));
                tokio::spawn(async move { c.send(conv, &m).await })
            };
            kick.await.unwrap().unwrap();
            match send.await.unwrap() {
                Ok(_) => {}
                Err(e) => {
                    assert_eq!(code(&e), (403, "not_member"), "round {round}");
                    refused += 1;
                }
            }
        }
        // Walk the whole conversation in seq order: every message of the victim lies
        // inside one of their membership spans (joined … kicked).
        let all = all_messages(&owner, g.conversation_id).await;
        assert!(all.windows(2).all(|w| w[1].seq == w[0].seq + 1), "gapless");
        let vid = victim.id().to_string();
        let mut inside = false;
        let mut sent = 0;
        for m in &all {
            match sys_event(m) {
                Some("member_joined") if m.body["user_id"] == vid => inside = true,
                Some("member_kicked") if m.body["user_id"] == vid => inside = false,
                _ if m.sender_id == victim.id() && m.kind == "text" => {
                    assert!(inside, "seq {} from the victim lies after a kick", m.seq);
                    sent += 1;
                }
                _ => {}
            }
        }
        assert_eq!(sent + refused, ROUNDS, "every send either landed inside a span or was refused");
    }
}

/// One message to a 500-member group, every member online: each socket gets it once.
async fn fan_out_to_500(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        // Cheap hashes and no sign-up limit: this test is about fan-out, not sign-up.
        c.auth.argon2_memory_kib = 8;
        c.auth.argon2_iterations = 1;
        c.auth.attempts_per_ip_per_minute = 100_000;
        // 500 sockets from one loopback address: past the default per-address cap.
        c.http.max_connections_per_ip = 0;
    })
    .await;
    const N: usize = 500;
    let owner = app.user("owner").await;
    let g = open_group(&owner, "five hundred").await;
    // Sign-ups and joins, 16 at a time.
    let mut users: Vec<TestUser> = Vec::with_capacity(N - 1);
    let names: Vec<String> = (0..N - 1).map(|i| format!("m{i}")).collect();
    let mut stream = futures::stream::iter(names.iter().map(|n| {
        let app = &app;
        let g = &g;
        async move {
            let u = app.user(n).await;
            join(&u, g).await;
            u
        }
    }))
    .buffer_unordered(16);
    while let Some(u) = stream.next().await {
        users.push(u);
    }
    drop(stream);
    assert_eq!(
        owner.client.group(g.id).await.unwrap().member_count,
        N as u32
    );
    // Every member online, the owner included.
    let mut sockets: Vec<WsConnection> = Vec::with_capacity(N);
    let clients: Vec<Client> = std::iter::once(&owner)
        .chain(users.iter())
        .map(|u| u.client.clone())
        .collect();
    let mut opened = futures::stream::iter(
        clients
            .into_iter()
            .map(|c| async move { c.ws().await.unwrap() }),
    )
    .buffer_unordered(32);
    while let Some(ws) = opened.next().await {
        sockets.push(ws);
    }
    drop(opened);
    let ack = owner
        .client
        .send(g.conversation_id, &text("hello, all five hundred"))
        .await
        .unwrap();
    let mut refs: Vec<&mut WsConnection> = sockets.iter_mut().collect();
    let got = until_marker(&app, Topic::Everyone, &mut refs, "fanout-done").await;
    for (i, frames) in got.iter().enumerate() {
        let copies = frames
            .iter()
            .filter(|e| e.kind == "message.new" && e.data["id"] == ack.id.to_string())
            .count();
        assert_eq!(copies, 1, "socket {i} got the message {copies} times");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_message_reaches_every_member_of_a_500_group_once_sqlite() {
    fan_out_to_500(Backend::Sqlite).await;
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_message_reaches_every_member_of_a_500_group_once_mysql_redis() {
    let Some(backend) = Backend::cluster() else {
        return;
    };
    fan_out_to_500(backend).await;
}

/// Two nodes on MariaDB + Redis: group messages and moderation events reach members on the
/// other node, and a kick stops delivery there.
#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_messages_and_moderation_events_cross_nodes() {
    let Some(backend) = Backend::cluster() else {
        return;
    };
    let a = TestApp::spawn(backend).await;
    let b = a.spawn_peer().await;
    let owner = a.user("owner").await;
    let far = a.user("far").await;
    let near = a.user("near").await;
    let g = open_group(&owner, "two nodes").await;
    join(&near, &g).await;
    let far_b = Client::new(&b.url("")).unwrap().signed_in(&far.tokens);
    let mut far_ws = far_b.ws().await.unwrap();
    let mut near_ws = near.client.ws().await.unwrap();
    // Joined through node B, while connected there.
    match far_b.join_group(g.id, None).await.unwrap() {
        confab_proto::groups::JoinOut::Joined(_) => {}
        other => panic!("{other:?}"),
    }
    let ev = near_ws
        .expect_event("group.member_joined", WAIT)
        .await
        .unwrap();
    assert_eq!(ev.data["user_id"], far.id().to_string());

    let ack = owner
        .client
        .send(g.conversation_id, &text("from node A"))
        .await
        .unwrap();
    let ev = far_ws.expect_event("message.new", WAIT).await.unwrap();
    let ev = if ev.data["seq"] == ack.seq {
        ev
    } else {
        far_ws.expect_event("message.new", WAIT).await.unwrap()
    };
    assert_eq!(ev.data["seq"], ack.seq);
    // Node B's sends reach node A.
    let ack_b = far_b
        .send(g.conversation_id, &text("from node B"))
        .await
        .unwrap();
    loop {
        let ev = near_ws.expect_event("message.new", WAIT).await.unwrap();
        if ev.data["seq"] == ack_b.seq {
            break;
        }
    }
    owner
        .client
        .update_group_member(
            g.id,
            far.id(),
            &MemberPatch {
                mute: Some(MuteFor::OneHour),
                ..MemberPatch::default()
            },
        )
        .await
        .unwrap();
    let ev = far_ws
        .expect_event("group.member_muted", WAIT)
        .await
        .unwrap();
    assert_eq!(ev.data["user_id"], far.id().to_string());
    assert_eq!(
        code(&far_b.send(g.conversation_id, &text("x")).await.unwrap_err()),
        (403, "member_muted")
    );

    owner
        .client
        .kick_group_member(g.id, far.id(), &KickQuery::default())
        .await
        .unwrap();
    let ev = far_ws
        .expect_event("group.member_kicked", WAIT)
        .await
        .unwrap();
    let kick_seq = ev.data["seq"].as_i64().unwrap();
    let after = owner
        .client
        .send(g.conversation_id, &text("not for far"))
        .await
        .unwrap();
    assert!(after.seq > kick_seq);
    let got = until_marker(&a, Topic::User(far.id()), &mut [&mut far_ws], "kick-done").await;
    assert!(
        got[0]
            .iter()
            .all(|e| e.kind != "message.new" || e.data["seq"].as_i64().unwrap() <= kick_seq),
        "node B pushed a message after the kick: {:?}",
        got[0]
    );
    // Node A's member got it.
    loop {
        let ev = near_ws.expect_event("message.new", WAIT).await.unwrap();
        if ev.data["seq"] == after.seq {
            break;
        }
    }
    b.stop().await;
}
