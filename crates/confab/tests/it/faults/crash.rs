//! R1: `kill -9` at a random moment of a paced send storm, restart at once, over several
//! seeds. 20 senders in 5 direct chats and 5 groups; clients retry unacknowledged sends with
//! the same `client_msg_id`; every user has a [`Device`] that stays connected across the
//! crash and fills gaps by seq. Afterwards: the checker holds, every send was acknowledged,
//! and nothing a device had received before the crash is missing (the checker's (c) compares
//! every delivery, pre-crash ones included, with the store).
//!
//! Default: 2 seeds × 1,000 sends per backend. `CONFAB_TEST_HEAVY=1`: 20 seeds × 10,000
//! sends at ~500/s. `CONFAB_TEST_SEED=N` replays one seed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use confab::infra::store::Store;
use confab_proto::groups::{JoinPolicy, Visibility};
use confab_proto::ids::ConversationId;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Mutex;

use super::checker::{self, Acked};
use super::device::Device;
use crate::crash::{CrashNode, send_until_acked};
use crate::harness::*;

const USERS: usize = 20;

/// The seeds to run: `CONFAB_TEST_SEED` alone, else 2 (20 when heavy), each derived from
/// the run's base so every run is reproducible from the printed seed.
fn seeds() -> Vec<u64> {
    if let Some(s) = std::env::var("CONFAB_TEST_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return vec![s];
    }
    (1..=super::scale(2, 20) as u64)
        .map(|i| i * 7_919)
        .collect()
}

/// Sends per seed (all senders together), and the pause between one sender's sends
/// (20 senders × one send per 40 ms ≈ 500/s).
fn sends() -> usize {
    super::scale(1_000, 10_000)
}
const PACE: Duration = Duration::from_millis(40);

struct Outcome {
    messages: usize,
    first_ack_after_restart: Duration,
}

async fn one_seed(cluster: Option<(String, String)>, seed: u64) -> Outcome {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut crash = CrashNode::start(cluster, &[]).await;
    let anon = crash.anon.clone();
    let mut users = Vec::new();
    for i in 0..USERS {
        let t = anon
            .register_simple(&unique(&format!("r1u{i}_")), PASSWORD)
            .await
            .unwrap();
        users.push((t.user.id, anon.signed_in(&t)));
    }
    // 5 direct chats (users 0-1, 2-3, … 8-9) and 5 groups (owner 10+2g with 11+2g, 2g and
    // 2g+1): each of the 20 sends in one conversation, every conversation has readers.
    let mut conv_of: Vec<ConversationId> = Vec::new();
    for p in 0..5 {
        let (a, b) = (&users[2 * p], &users[2 * p + 1]);
        befriend_clients(&a.1, &b.1, b.0).await;
        conv_of.push(a.1.open_direct(b.0).await.unwrap().id);
    }
    let mut groups = Vec::new();
    for g in 0..5 {
        let owner = &users[10 + 2 * g];
        let members = [users[11 + 2 * g].0, users[2 * g].0, users[2 * g + 1].0];
        for (i, m) in [11 + 2 * g, 2 * g, 2 * g + 1].into_iter().zip(members) {
            befriend_clients(&owner.1, &users[i].1, m).await;
        }
        let mut input = crate::groups::group_in("R1", Visibility::Private, JoinPolicy::Approval);
        input.member_ids = Some(members.to_vec());
        groups.push(owner.1.create_group(&input).await.unwrap().conversation_id);
    }
    let conv_for = |i: usize| {
        if i < 10 {
            conv_of[i / 2]
        } else {
            groups[(i - 10) / 2]
        }
    };
    let devices: Vec<Device> = users
        .iter()
        .map(|(id, c)| Device::start(*id, c.clone()))
        .collect();
    for d in &devices {
        eventually(Duration::from_secs(30), "every device online", || async {
            (d.connects() > 0).then_some(())
        })
        .await;
    }

    let total = sends();
    let per = total / USERS;
    let acked: Arc<Mutex<Vec<Acked>>> = Arc::default();
    let deadline = Instant::now() + Duration::from_secs(if super::heavy() { 300 } else { 120 });
    let mut tasks = Vec::new();
    for (i, (id, client)) in users.iter().enumerate() {
        let (id, client, conv, acked) = (*id, client.clone(), conv_for(i), acked.clone());
        let mut rng = StdRng::seed_from_u64(seed ^ (i as u64 + 1));
        tasks.push(tokio::spawn(async move {
            for j in 0..per {
                let ack = send_until_acked(&client, conv, format!("r1-{i}-{j}"), deadline).await;
                let seq = ack.seq;
                acked.lock().await.push(Acked { sender: id, ack });
                // Now and then the sender reads up to its own message (marks move under the
                // crash too; a lost mark is retried by the next one).
                if rng.random_ratio(1, 10) {
                    let _ = client.mark_read(conv, seq).await;
                }
                tokio::time::sleep(PACE).await;
            }
        }));
    }

    // kill -9 once a random share (15–60 %) of the sends was acknowledged; restart at once.
    let kill_at = rng.random_range(total * 15 / 100..total * 60 / 100);
    eventually(
        Duration::from_secs(120),
        "the storm to reach the kill point",
        || {
            let acked = acked.clone();
            async move { (acked.lock().await.len() >= kill_at).then_some(()) }
        },
    )
    .await;
    let seen_before: usize = {
        let mut n = 0;
        for d in &devices {
            n += d.received().await;
        }
        n
    };
    let acked_at_kill = acked.lock().await.len();
    let killed = Instant::now();
    crash.crash_and_restart().await;
    eventually(
        Duration::from_secs(60),
        "the first ack after the restart",
        || {
            let acked = acked.clone();
            async move { (acked.lock().await.len() > acked_at_kill).then_some(()) }
        },
    )
    .await;
    let first_ack_after_restart = killed.elapsed();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().await.clone();
    assert_eq!(
        acked.len(),
        per * USERS,
        "every send was eventually acknowledged"
    );

    let members = checker::members(devices, users.iter().map(|(_, c)| c)).await;
    let store = Store::connect(&crash.config).await.unwrap();
    let figures = checker::check(&store, &acked, &members).await;
    store.close().await;
    eprintln!(
        "R1 seed {seed}: kill -9 after {acked_at_kill} acks ({seen_before} deliveries before it); first ack {first_ack_after_restart:?} after the kill; checked {figures:?}"
    );
    Outcome {
        messages: figures.messages,
        first_ack_after_restart,
    }
}

async fn run(cluster: Option<(String, String)>) {
    let mut messages = 0;
    let mut slowest = Duration::ZERO;
    let seeds = seeds();
    for seed in &seeds {
        let o = one_seed(cluster.clone(), *seed).await;
        messages += o.messages;
        slowest = slowest.max(o.first_ack_after_restart);
    }
    eprintln!(
        "R1: {} seeds, {messages} messages verified, slowest first ack after kill -9: {slowest:?}",
        seeds.len()
    );
    // The catalogue's 3 s, with room for a loaded 2-core machine (decision 0028): the
    // figure is printed above; the bound only catches a node that does not come back.
    assert!(
        slowest < Duration::from_secs(20),
        "first ack after restart took {slowest:?}"
    );
}

backend_fn_tests!(r1_kill_9_at_random_moments_over_seeds);

async fn r1_kill_9_at_random_moments_over_seeds(backend: Backend) {
    match backend {
        Backend::Sqlite => run(None).await,
        Backend::Cluster { mysql, redis } => run(Some((mysql, redis))).await,
    }
}
