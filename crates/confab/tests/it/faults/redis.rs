//! R4: Redis restart under two nodes on MariaDB with traffic across them. The test runs a
//! private `redis-server` (the shared one is never stopped), stops it for 10 s while Alice
//! (on node A) and Bob (on node B) keep sending, then starts it again. The nodes stay up,
//! cross-node push resumes by itself, and the devices — which learn of the gap and fill it
//! from history — end with everything: the checker holds.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use confab_client::Client;
use confab_proto::groups::{JoinPolicy, Visibility};
use confab_proto::ids::{ConversationId, UserId};
use tokio::sync::Mutex;

use super::checker::{self, Acked};
use super::device::Device;
use crate::crash::send_until_acked;
use crate::harness::*;
use crate::redis_outage::{RedisServer, two_nodes_on_private_redis};

const OUTAGE: Duration = Duration::from_secs(10);

/// Sends into `conv` every 100 ms until `stop`, retrying each id until acknowledged.
fn traffic(
    who: UserId,
    client: Client,
    conv: ConversationId,
    tag: &'static str,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<Acked>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // Bounded: at most 2,000 sends.
        for i in 0..2_000 {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            let ack = send_until_acked(&client, conv, format!("{tag}-{i}"), deadline).await;
            acked.lock().await.push(Acked { sender: who, ack });
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r4_a_redis_restart_under_cross_node_traffic_loses_nothing() {
    let (Some(mysql), Some(_)) = (mysql_url(), redis_url()) else {
        return;
    };
    let (port, redis, a, b) = two_nodes_on_private_redis(mysql).await;
    let alice = a.user("alice").await;
    let bob = a.user("bob").await;
    let carol = a.user("carol").await;
    a.befriend(&alice, &bob).await;
    a.befriend(&alice, &carol).await;
    let direct = alice.client.open_direct(bob.id()).await.unwrap().id;
    let mut input = crate::groups::group_in("R4", Visibility::Private, JoinPolicy::Approval);
    input.member_ids = Some(vec![bob.id(), carol.id()]);
    let group = alice
        .client
        .create_group(&input)
        .await
        .unwrap()
        .conversation_id;
    // Alice on node A; Bob and Carol on node B.
    let bob_b = b.client.with_token(bob.tokens.access_token.clone());
    let carol_b = b.client.with_token(carol.tokens.access_token.clone());
    let devices = [
        Device::start(alice.id(), alice.client.clone()),
        Device::start(bob.id(), bob_b.clone()),
        Device::start(carol.id(), carol_b.clone()),
    ];
    for d in &devices {
        eventually(Duration::from_secs(30), "devices online", || async {
            (d.connects() > 0).then_some(())
        })
        .await;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<Vec<Acked>>> = Arc::default();
    let senders = [
        traffic(
            alice.id(),
            alice.client.clone(),
            group,
            "r4-a",
            stop.clone(),
            acked.clone(),
        ),
        traffic(
            bob.id(),
            bob_b.clone(),
            direct,
            "r4-b",
            stop.clone(),
            acked.clone(),
        ),
    ];
    // Push crosses nodes before the fault.
    devices[1].wait_for(group, 3, Duration::from_secs(30)).await;

    redis.stop().await;
    let stopped = Instant::now();
    let acked_before = acked.lock().await.len();
    while stopped.elapsed() < OUTAGE {
        for node in [&a, &b] {
            assert_eq!(
                node.client.healthz().await.unwrap().status,
                "ok",
                "a node went down"
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let during = acked.lock().await.len() - acked_before;
    let redis = RedisServer::start(port).await;
    let back = Instant::now();
    // Cross-node push resumes by itself: a group message sent on A after Redis returned is
    // pushed live to Bob's device on B.
    let last_before = acked
        .lock()
        .await
        .iter()
        .filter(|x| x.ack.conversation_id == group)
        .map(|x| x.ack.seq)
        .max()
        .unwrap_or(0);
    eventually(
        Duration::from_secs(60),
        "cross-node push to resume",
        || async {
            let live = devices[1].live_seqs(group).await;
            live.iter().any(|s| *s > last_before).then_some(())
        },
    )
    .await;
    let resumed = back.elapsed();
    stop.store(true, Ordering::SeqCst);
    for s in senders {
        s.await.unwrap();
    }
    let acked = acked.lock().await.clone();
    let clients = [alice.client.clone(), bob_b, carol_b];
    let members = checker::members(devices, &clients).await;
    let figures = checker::check(&a.state.store, &acked, &members).await;
    eprintln!(
        "R4: {during} sends acknowledged during the {OUTAGE:?} outage; cross-node push resumed {resumed:?} after Redis returned; checked {figures:?}"
    );
    // The catalogue's 5 s, with room for a loaded 2-core machine (decision 0028).
    assert!(
        resumed < Duration::from_secs(15),
        "push resumed only after {resumed:?}"
    );
    redis.stop().await;
}
