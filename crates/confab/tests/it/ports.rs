//! The port contract suite: every adapter of every port behaves the same. Memory / local
//! adapters always run; Redis when `CONFAB_TEST_REDIS_URL` is set; S3 when
//! `CONFAB_TEST_S3_URL` names an S3-compatible endpoint (CI runs a local moto server).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use confab::infra::blob::{BlobKey, Blobs};
use confab::infra::bus::{Bus, BusEvent, BusMessage, BusReceiver, MemoryBus, RedisBus, Topic};
use confab::infra::cache::{Cache, MemoryCache, RedisCache};
use confab::infra::clock::{Clock, ManualClock};
use confab::infra::redis::{NodeLease, RedisConn};
use confab::tasks::Tasks;
use confab_proto::ids::{ConversationId, UserId};
use futures::StreamExt;

use crate::harness::*;

// ---------------------------------------------------------------- cache

async fn cache_contract(cache: Arc<dyn Cache>) {
    let k = |s: &str| format!("contract:{s}");
    assert_eq!(cache.get(&k("missing")).await.unwrap(), None);
    assert_eq!(cache.ttl(&k("missing")).await.unwrap(), None);

    cache
        .set(&k("a"), b"one", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        cache.get(&k("a")).await.unwrap().as_deref(),
        Some(&b"one"[..])
    );
    cache
        .set(&k("a"), b"two", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        cache.get(&k("a")).await.unwrap().as_deref(),
        Some(&b"two"[..])
    );
    let ttl = cache.ttl(&k("a")).await.unwrap().unwrap();
    assert!(
        ttl > Duration::from_secs(50) && ttl <= Duration::from_secs(60),
        "{ttl:?}"
    );

    // get_many: in the order asked, absent keys as None, one round trip.
    assert_eq!(
        cache
            .get_many(&[k("a"), k("missing"), k("a")])
            .await
            .unwrap(),
        vec![
            Some(bytes::Bytes::from_static(b"two")),
            None,
            Some(bytes::Bytes::from_static(b"two"))
        ]
    );
    assert!(cache.get_many(&[]).await.unwrap().is_empty());

    // Binary values survive.
    let bin = [0u8, 255, 10, 13, 0];
    cache
        .set(&k("bin"), &bin, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        cache.get(&k("bin")).await.unwrap().as_deref(),
        Some(&bin[..])
    );

    // Expiry.
    cache
        .set(&k("short"), b"x", Duration::from_millis(300))
        .await
        .unwrap();
    assert!(cache.get(&k("short")).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        cache.get(&k("short")).await.unwrap(),
        None,
        "expired value still readable"
    );

    // set_nx.
    assert!(
        cache
            .set_nx(&k("nx"), b"first", Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert!(
        !cache
            .set_nx(&k("nx"), b"second", Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert_eq!(
        cache.get(&k("nx")).await.unwrap().as_deref(),
        Some(&b"first"[..])
    );
    cache
        .set(&k("nx-exp"), b"old", Duration::from_millis(200))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        cache
            .set_nx(&k("nx-exp"), b"new", Duration::from_secs(60))
            .await
            .unwrap(),
        "set_nx over an expired key"
    );

    // take: once only.
    cache
        .set(&k("once"), b"code", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        cache.take(&k("once")).await.unwrap().as_deref(),
        Some(&b"code"[..])
    );
    assert_eq!(cache.take(&k("once")).await.unwrap(), None);
    assert_eq!(cache.get(&k("once")).await.unwrap(), None);

    // incr: a fixed window that later increments do not extend.
    assert_eq!(
        cache
            .incr(&k("n"), Duration::from_millis(800))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        cache
            .incr(&k("n"), Duration::from_millis(800))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        cache.get(&k("n")).await.unwrap().as_deref(),
        Some(&b"2"[..])
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        cache.incr(&k("n"), Duration::from_secs(60)).await.unwrap(),
        3
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        cache.incr(&k("n"), Duration::from_secs(60)).await.unwrap(),
        1,
        "window was extended"
    );

    // incr is atomic under concurrency.
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let cache = cache.clone();
            let key = k("race");
            tokio::spawn(async move { cache.incr(&key, Duration::from_secs(60)).await.unwrap() })
        })
        .collect();
    let mut seen: Vec<u64> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (1..=50).collect::<Vec<_>>());

    // delete.
    assert!(cache.delete(&k("a")).await.unwrap());
    assert!(!cache.delete(&k("a")).await.unwrap());
    assert_eq!(cache.get(&k("a")).await.unwrap(), None);
    cache.ping().await.unwrap();
}

#[tokio::test]
async fn cache_contract_memory() {
    cache_contract(Arc::new(MemoryCache::new())).await;
}

#[cfg_attr(not(confab_redis), ignore = "set CONFAB_TEST_REDIS_URL")]
#[tokio::test]
async fn cache_contract_redis() {
    let Some(url) = redis_url() else { return };
    let conn = RedisConn::connect(&url).await.unwrap();
    let prefix = unique("t");
    cache_contract(Arc::new(RedisCache::new(conn.clone(), prefix.clone()))).await;
    // Two prefixes never see each other's keys.
    let other = RedisCache::new(conn, unique("t"));
    let mine = RedisCache::new(RedisConn::connect(&url).await.unwrap(), prefix);
    mine.set("iso", b"mine", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(other.get("iso").await.unwrap(), None);
}

// ---------------------------------------------------------------- bus

async fn next_message(rx: &mut BusReceiver) -> BusMessage {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some(BusEvent::Message(m))) => return m,
            Ok(Some(BusEvent::Gap)) => continue,
            Ok(None) => panic!("bus closed"),
            Err(_) => panic!("no bus message within 5 s"),
        }
    }
}

/// `a` publishes, `b` (possibly another node) receives.
async fn bus_contract(a: &dyn Bus, b: &dyn Bus) {
    let mut rx = b.subscribe();
    let topics = [
        Topic::User(UserId(1)),
        Topic::Conversation(ConversationId(i64::MAX)),
        Topic::Everyone,
        Topic::Control,
    ];
    for (i, topic) in topics.iter().enumerate() {
        let payload = Bytes::from(format!("{{\"n\":{i}}}"));
        a.publish(*topic, payload.clone()).await.unwrap();
        let got = next_message(&mut rx).await;
        assert_eq!(
            got,
            BusMessage {
                topic: *topic,
                payload
            }
        );
    }
    // Order is kept per publisher.
    for i in 0..200u32 {
        a.publish(
            Topic::User(UserId(7)),
            Bytes::from(i.to_be_bytes().to_vec()),
        )
        .await
        .unwrap();
    }
    for i in 0..200u32 {
        let got = next_message(&mut rx).await;
        assert_eq!(got.payload.as_ref(), i.to_be_bytes());
    }
    // A batch arrives whole and in order too.
    let batch: Vec<(Topic, Bytes)> = (0..300u32)
        .map(|i| {
            (
                Topic::Conversation(ConversationId(i64::from(i % 3) + 1)),
                Bytes::from(i.to_be_bytes().to_vec()),
            )
        })
        .collect();
    a.publish_many(batch.clone()).await.unwrap();
    a.publish_many(Vec::new()).await.unwrap();
    for (topic, payload) in batch {
        assert_eq!(next_message(&mut rx).await, BusMessage { topic, payload });
    }
    // Every consumer gets every event.
    let mut rx2 = b.subscribe();
    a.publish(Topic::Everyone, Bytes::from_static(b"both"))
        .await
        .unwrap();
    assert_eq!(next_message(&mut rx).await.payload.as_ref(), b"both");
    assert_eq!(next_message(&mut rx2).await.payload.as_ref(), b"both");
    a.ping().await.unwrap();
    b.ping().await.unwrap();
}

#[tokio::test]
async fn bus_contract_memory() {
    let bus = MemoryBus::new();
    bus_contract(&bus, &bus).await;
}

async fn wait_subscribed(bus: &RedisBus) {
    eventually(Duration::from_secs(5), "bus subscription", || async {
        bus.ping().await.ok()
    })
    .await;
}

#[cfg_attr(not(confab_redis), ignore = "set CONFAB_TEST_REDIS_URL")]
#[tokio::test]
async fn bus_contract_redis_across_two_nodes() {
    let Some(url) = redis_url() else { return };
    let tasks = Tasks::new();
    let prefix = unique("t");
    let a = RedisBus::start(
        RedisConn::connect(&url).await.unwrap(),
        prefix.clone(),
        &tasks,
    );
    let b = RedisBus::start(
        RedisConn::connect(&url).await.unwrap(),
        prefix.clone(),
        &tasks,
    );
    let stranger = RedisBus::start(RedisConn::connect(&url).await.unwrap(), unique("t"), &tasks);
    wait_subscribed(&a).await;
    wait_subscribed(&b).await;
    wait_subscribed(&stranger).await;
    let mut stranger_rx = stranger.subscribe();
    bus_contract(&a, &b).await;
    // Another prefix hears nothing of ours.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), stranger_rx.recv())
            .await
            .is_err(),
        "a bus under another prefix received our events"
    );
    tasks.shutdown(Duration::from_secs(5)).await;
}

#[cfg_attr(not(confab_redis), ignore = "set CONFAB_TEST_REDIS_URL")]
#[tokio::test]
async fn node_ids_claimed_in_redis_are_distinct() {
    let Some(url) = redis_url() else { return };
    let tasks = Tasks::new();
    let prefix = unique("t");
    let conn = RedisConn::connect(&url).await.unwrap();
    let mut ids = std::collections::HashSet::new();
    for _ in 0..20 {
        let id = NodeLease::claim(&conn, &prefix, &tasks).await.unwrap();
        assert!(ids.insert(id), "node id {id} handed out twice");
    }
    tasks.shutdown(Duration::from_secs(5)).await;
}

// ---------------------------------------------------------------- blobs

async fn blob_contract(blobs: &Blobs) {
    let key = BlobKey::new(&["contract", &unique("b")]).unwrap();
    assert_eq!(blobs.get(&key).await.unwrap(), None);
    assert_eq!(blobs.size(&key).await.unwrap(), None);
    assert!(blobs.open(&key).await.unwrap().is_none());

    let data: Bytes = (0..300_000u32)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<_>>()
        .into();
    blobs.put(&key, data.clone()).await.unwrap();
    assert_eq!(blobs.size(&key).await.unwrap(), Some(data.len() as u64));
    assert_eq!(blobs.get(&key).await.unwrap(), Some(data.clone()));
    let read = blobs.open(&key).await.unwrap().unwrap();
    assert_eq!(read.size, data.len() as u64);
    let chunks: Vec<Bytes> = read.stream.map(|c| c.unwrap()).collect().await;
    assert_eq!(chunks.concat(), data.to_vec());

    blobs
        .put(&key, Bytes::from_static(b"replaced"))
        .await
        .unwrap();
    assert_eq!(
        blobs.get(&key).await.unwrap().as_deref(),
        Some(&b"replaced"[..])
    );

    blobs.delete(&key).await.unwrap();
    assert_eq!(blobs.get(&key).await.unwrap(), None);
    blobs.delete(&key).await.unwrap();
    blobs.ping().await.unwrap();

    // Written in parts (uploads): larger than one part, in odd-sized pieces; visible only
    // once finished.
    let streamed = BlobKey::new(&["contract", &unique("s")]).unwrap();
    let big: Vec<u8> = (0..6 * 1024 * 1024 + 12_345u32)
        .map(|i| (i % 253) as u8)
        .collect();
    let mut w = blobs.create(&streamed).await.unwrap();
    for piece in big.chunks(70_001) {
        w.write(Bytes::copy_from_slice(piece)).await.unwrap();
    }
    assert_eq!(
        blobs.size(&streamed).await.unwrap(),
        None,
        "visible before finish"
    );
    w.finish().await.unwrap();
    assert_eq!(
        blobs.get(&streamed).await.unwrap().as_deref(),
        Some(&big[..])
    );
    blobs.delete(&streamed).await.unwrap();
    // Aborted, or dropped half-way: nothing under the key.
    let aborted = BlobKey::new(&["contract", &unique("a")]).unwrap();
    let mut w = blobs.create(&aborted).await.unwrap();
    w.write(Bytes::from(vec![7u8; 100_000])).await.unwrap();
    w.abort().await;
    assert_eq!(blobs.get(&aborted).await.unwrap(), None);
    let mut w = blobs.create(&aborted).await.unwrap();
    w.write(Bytes::from(vec![7u8; 100_000])).await.unwrap();
    drop(w);
    assert_eq!(blobs.get(&aborted).await.unwrap(), None);
}

#[tokio::test]
async fn blob_contract_local() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = Blobs::local(&dir.path().join("files")).unwrap();
    blob_contract(&blobs).await;
    // Nothing is written outside the root.
    let outside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, ["files"]);
    // Aborted and dropped writers leave no staging files behind (the drop cleans up on a
    // blocking thread: give it a moment).
    eventually(Duration::from_secs(5), "staging files removed", || async {
        let mut left = Vec::new();
        let mut stack = vec![dir.path().join("files")];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p)
                } else {
                    left.push(p)
                }
            }
        }
        left.is_empty().then_some(())
    })
    .await;
}

#[cfg_attr(not(confab_s3), ignore = "set CONFAB_TEST_S3_URL")]
#[tokio::test]
async fn blob_contract_s3() {
    let Some(endpoint) = std::env::var("CONFAB_TEST_S3_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        eprintln!("note: CONFAB_TEST_S3_URL unset: S3 adapter not run");
        return;
    };
    let bucket = unique("confab-t-");
    // moto (and MinIO) create a bucket on an unsigned PUT.
    let made = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(
        made.status().is_success(),
        "cannot create bucket: {}",
        made.status()
    );
    let cfg = confab::config::S3Config {
        bucket,
        region: "us-east-1".into(),
        endpoint,
        access_key_id: "test".into(),
        secret_access_key: confab::config::Secret::new("test"),
        allow_http: true,
        virtual_hosted_style: false,
    };
    let blobs = Blobs::s3(&cfg).unwrap();
    assert_eq!(blobs.kind(), "s3");
    blob_contract(&blobs).await;
}

// ---------------------------------------------------------------- clock

#[test]
fn manual_clock_moves_only_when_told() {
    let start = chrono::Utc::now();
    let clock = ManualClock::new(start);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(clock.now(), start);
    clock.advance(chrono::Duration::hours(25));
    assert_eq!(clock.now(), start + chrono::Duration::hours(25));
}
