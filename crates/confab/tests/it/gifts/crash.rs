//! `kill -9` during a storm of gift sends whose clients retry unacknowledged sends with the
//! same client key: afterwards every acknowledged send is stored exactly once as
//! acknowledged, no key was charged twice, every wallet equals its credits minus the stored
//! sends, and the books balance.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use confab::infra::store::Store;
use confab_client::Client;
use confab_proto::gifts::{AdjustmentIn, Currency, GiftOut, SendGiftOut};
use sea_orm::{ConnectionTrait, Statement};
use tokio::sync::Mutex;

use super::*;
use crate::crash::CrashNode;

const SENDERS: usize = 4;
const PER_SENDER: usize = 60;
const START_COINS: i64 = 100_000;

/// Sends until acknowledged, retrying the same key through crashes.
async fn send_until_acked(c: &Client, input: &SendGiftIn, deadline: Instant) -> SendGiftOut {
    loop {
        match c.send_gift(input).await {
            Ok(out) => return out,
            Err(e) => {
                let status = e.status();
                assert!(
                    status.is_none() || status == Some(503) || status == Some(429),
                    "unexpected send failure: {e}"
                );
                assert!(Instant::now() < deadline, "not acknowledged in time: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn run(cluster: Option<(String, String)>) {
    let mut crash = CrashNode::start(cluster, &[]).await;
    crash.cli(
        &["admin", "create-admin", "gadmin"],
        &[("CONFAB_ADMIN_PASSWORD", PASSWORD)],
    );
    let anon = crash.anon.clone();
    let admin = anon.signed_in(&anon.login("gadmin", PASSWORD).await.unwrap());
    let g: GiftOut = admin.admin_create_gift(&gift_in("spark", 3)).await.unwrap();
    // Pairs of friends; the even one of each pair sends to the odd one.
    let mut users = Vec::new();
    for i in 0..2 * SENDERS {
        let t = anon
            .register_simple(&unique(&format!("g{i}_")), PASSWORD)
            .await
            .unwrap();
        users.push(anon.signed_in(&t));
    }
    let mut ids = Vec::new();
    for u in &users {
        ids.push(u.me().await.unwrap().id);
    }
    let mut plans = Vec::new();
    for p in 0..SENDERS {
        let (a, b) = (&users[2 * p], &users[2 * p + 1]);
        befriend_clients(a, b, ids[2 * p + 1]).await;
        let conv = a.open_direct(ids[2 * p + 1]).await.unwrap().id;
        let credit = AdjustmentIn {
            currency: Currency::Coins,
            delta: START_COINS,
            reason: "crash test".into(),
            client_key: None,
        };
        admin.admin_adjust(ids[2 * p], &credit).await.unwrap();
        plans.push((a.clone(), ids[2 * p + 1], conv));
    }

    let acks: Arc<Mutex<Vec<(usize, String, SendGiftOut)>>> = Arc::default();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut tasks = Vec::new();
    for (i, (client, to, conv)) in plans.iter().cloned().enumerate() {
        let (acks, g) = (acks.clone(), g.clone());
        tasks.push(tokio::spawn(async move {
            for j in 0..PER_SENDER {
                let key = format!("s{i}-{j}");
                let count = 1 + (j % 4) as u32;
                let input = in_chat(&key, &g, count, to, conv);
                let out = send_until_acked(&client, &input, deadline).await;
                acks.lock().await.push((i, key, out));
            }
        }));
    }
    for _ in 0..2 {
        let before = acks.lock().await.len();
        eventually(Duration::from_secs(60), "sends to be flowing", || {
            let acks = acks.clone();
            async move { (acks.lock().await.len() >= before + 40).then_some(()) }
        })
        .await;
        crash.crash_and_restart().await;
    }
    for t in tasks {
        t.await.unwrap();
    }
    let acks = acks.lock().await.clone();
    assert_eq!(acks.len(), SENDERS * PER_SENDER);

    // The store, read directly: one row per key, as acknowledged.
    let store = Store::connect(&crash.config).await.unwrap();
    let rows = store
        .reader()
        .query_all_raw(Statement::from_string(
            store.backend(),
            "SELECT id, sender_id, client_key, cost, seq FROM gift_sends",
        ))
        .await
        .unwrap();
    let mut by_key: HashMap<(i64, String), Vec<(i64, i64)>> = HashMap::new();
    let mut spent: HashMap<i64, i64> = HashMap::new();
    for r in rows {
        let id: i64 = r.try_get("", "id").unwrap();
        let sender: i64 = r.try_get("", "sender_id").unwrap();
        let key: String = r.try_get("", "client_key").unwrap();
        let cost: i64 = r.try_get("", "cost").unwrap();
        let seq: i64 = r.try_get("", "seq").unwrap();
        by_key.entry((sender, key)).or_default().push((id, seq));
        *spent.entry(sender).or_default() += cost;
    }
    assert_eq!(
        by_key.len(),
        SENDERS * PER_SENDER,
        "nothing but the storm was stored"
    );
    for (i, key, out) in &acks {
        let stored = &by_key[&(ids[2 * i].0, key.clone())];
        assert_eq!(stored.len(), 1, "{key} stored {} times", stored.len());
        assert_eq!(
            stored[0],
            (out.send.id.0, out.send.seq),
            "{key} differs from its ack"
        );
    }
    store.close().await;
    // Each sender paid exactly the stored sends; the books balance.
    for p in 0..SENDERS {
        let w = admin.admin_wallet(ids[2 * p]).await.unwrap();
        assert_eq!(w.coins, START_COINS - spent[&ids[2 * p].0], "sender {p}");
        let msgs = users[2 * p + 1]
            .history(plans[p].2, None, Some(0), Some(100))
            .await
            .unwrap();
        assert_eq!(
            msgs.messages.iter().filter(|m| m.kind == "gift").count(),
            PER_SENDER.min(100)
        );
    }
    let r = admin.admin_reconciliation().await.unwrap();
    assert!(r.balanced, "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_gift_sends_charges_each_key_once_sqlite() {
    run(None).await;
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_gift_sends_charges_each_key_once_mysql_redis() {
    let Some(Backend::Cluster { mysql, redis }) = Backend::cluster() else {
        return;
    };
    run(Some((mysql, redis))).await;
}
