//! A Redis outage must not take a node down: `/readyz` turns 503 while Redis is away and back
//! to 200 when it returns, and the bus resubscribes by itself — no restart of Confab.
//! The test runs its own `redis-server` on a free port so it can stop it without disturbing
//! the other tests.

use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use confab::config::Dsn;
use confab::infra::bus::{BusEvent, Topic};
use confab_proto::ids::UserId;

use crate::crash::free_port;
use crate::harness::*;

/// A private `redis-server` on a loopback port, so a test can stop it without disturbing
/// the shared one.
pub struct RedisServer {
    child: tokio::process::Child,
}

impl RedisServer {
    /// Starts one on `port` and waits until it answers.
    pub async fn start(port: u16) -> RedisServer {
        let child = tokio::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server must be on PATH when CONFAB_TEST_REDIS_URL is set");
        let url = format!("redis://127.0.0.1:{port}");
        eventually(Duration::from_secs(10), "redis-server to answer", || {
            let url = url.clone();
            async move {
                let client = redis::Client::open(url).ok()?;
                let mut c = client.get_multiplexed_async_connection().await.ok()?;
                redis::cmd("PING").query_async::<String>(&mut c).await.ok()
            }
        })
        .await;
        RedisServer { child }
    }

    /// Kills it.
    pub async fn stop(mut self) {
        self.child.kill().await.unwrap();
        let _ = self.child.wait().await;
    }
}

/// Two nodes on MariaDB (`mysql`) sharing a private Redis on a free port, so the test can
/// stop and restart it: (the port, the Redis, node A, node B).
pub async fn two_nodes_on_private_redis(mysql: String) -> (u16, RedisServer, TestApp, TestApp) {
    let port = free_port();
    let redis = RedisServer::start(port).await;
    let a = TestApp::spawn(Backend::Cluster {
        mysql,
        redis: format!("redis://127.0.0.1:{port}"),
    })
    .await;
    let b = a.spawn_peer().await;
    (port, redis, a, b)
}

#[cfg_attr(not(confab_redis), ignore = "set CONFAB_TEST_REDIS_URL")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_follows_redis_down_and_back_without_restart() {
    if redis_url().is_none() {
        return;
    }
    let port = free_port();
    let redis = RedisServer::start(port).await;
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.redis.url = Dsn::new(format!("redis://127.0.0.1:{port}"));
    })
    .await;
    let ready = |app: &TestApp| {
        let client = app.client.clone();
        async move { client.readyz().await.unwrap() }
    };
    eventually(Duration::from_secs(5), "ready", || async {
        (ready(&app).await.status == 200).then_some(())
    })
    .await;

    let mut rx = app.state.bus.subscribe();
    app.state
        .bus
        .publish(Topic::User(UserId(1)), Bytes::from_static(b"before"))
        .await
        .unwrap();
    assert!(matches!(rx.recv().await, Some(BusEvent::Message(m)) if m.payload == "before"));

    redis.stop().await;
    let down = eventually(
        Duration::from_secs(10),
        "readyz 503 with Redis stopped",
        || async {
            let r = ready(&app).await;
            (r.status == 503).then_some(r)
        },
    )
    .await;
    assert_eq!(down.body.status, "unavailable");
    let store = down.body.checks.iter().find(|c| c.name == "store").unwrap();
    assert!(store.ok, "the store is fine; only Redis is down");
    assert!(down.body.checks.iter().any(|c| c.name == "cache" && !c.ok));
    // Liveness is unaffected.
    assert_eq!(app.client.healthz().await.unwrap().status, "ok");

    let redis = RedisServer::start(port).await;
    eventually(
        Duration::from_secs(15),
        "readyz 200 after Redis returned",
        || async { (ready(&app).await.status == 200).then_some(()) },
    )
    .await;

    // The subscription came back by itself: consumers were told of the gap, and new events flow.
    app.state
        .bus
        .publish(Topic::User(UserId(1)), Bytes::from_static(b"after"))
        .await
        .unwrap();
    let mut saw_gap = false;
    loop {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
        {
            Some(BusEvent::Gap) => saw_gap = true,
            Some(BusEvent::Message(m)) if m.payload == "after" => break,
            Some(BusEvent::Message(_)) => {}
            None => panic!("bus closed"),
        }
    }
    assert!(
        saw_gap,
        "consumers must learn that events may have been missed"
    );
    app.stop().await;
    redis.stop().await;
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_node_push_resumes_after_a_redis_restart_and_sync_recovers_the_gap() {
    let (Some(mysql), Some(_)) = (mysql_url(), redis_url()) else {
        return;
    };
    let (port, redis, a, b) = two_nodes_on_private_redis(mysql).await;
    let alice = a.user("alice").await;
    let bob = a.user("bob").await;
    let bob_on_b = b.client.with_token(bob.tokens.access_token.clone());
    let mut bws = bob_on_b.ws().await.unwrap();
    a.befriend(&alice, &bob).await;
    let c = alice.client.open_direct(bob.id()).await.unwrap();
    let t = Duration::from_secs(5);
    alice.client.send_text(c.id, "before").await.unwrap();
    let first = bws.expect_event("message.new", t).await.unwrap();
    assert_eq!(first.data["seq"], 1);

    // Redis away: sends still succeed (the store is the truth); only push stops.
    redis.stop().await;
    for i in 0..3 {
        let ack = alice
            .client
            .send_text(c.id, &format!("during {i}"))
            .await
            .unwrap();
        assert_eq!(ack.seq, 2 + i);
    }
    let redis = RedisServer::start(port).await;
    for node in [&a, &b] {
        eventually(
            Duration::from_secs(15),
            "readyz 200 after Redis returned",
            || async { (node.client.readyz().await.unwrap().status == 200).then_some(()) },
        )
        .await;
    }
    // Push resumes by itself on the same socket (which was told events may have been lost)…
    alice.client.send_text(c.id, "after").await.unwrap();
    let mut saw_resync = false;
    let after = loop {
        let ev = bws
            .next_event_within(Duration::from_secs(10))
            .await
            .unwrap();
        match ev.kind.as_str() {
            "resync" => saw_resync = true,
            "message.new" if ev.data["body"]["text"] == "after" => break ev,
            _ => {}
        }
    };
    assert!(
        saw_resync,
        "the socket must be told to resync after the outage"
    );
    assert_eq!(after.data["seq"], 5);
    // …and a sync from the last seq it saw recovers everything sent meanwhile.
    let gap = bob_on_b.history(c.id, None, Some(1), None).await.unwrap();
    let texts: Vec<_> = gap
        .messages
        .iter()
        .map(|m| m.body["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts, ["during 0", "during 1", "during 2", "after"]);
    assert_eq!(bob_on_b.sync(None).await.unwrap().total_unread, 5);
    redis.stop().await;
}
