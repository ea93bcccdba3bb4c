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

use crate::harness::*;

struct RedisServer {
    child: tokio::process::Child,
}

impl RedisServer {
    async fn start(port: u16) -> RedisServer {
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

    async fn stop(mut self) {
        self.child.kill().await.unwrap();
        let _ = self.child.wait().await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

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
