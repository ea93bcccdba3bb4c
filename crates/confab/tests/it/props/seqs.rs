//! Seq allocation under concurrency and dropped futures: batches of concurrent sends by
//! two users in a direct chat and three in a group, each send made one of five ways —
//! over HTTP to the end; over HTTP with the request task aborted after a random number of
//! yields; through the send service to the end; through the send service with its future
//! dropped after a random number of polls; queued for the writer and the ack never awaited.
//! Whatever was cut short, each conversation's seqs are exactly 1..k, every acknowledged
//! send is stored once at its acknowledged seq, and a send whose outcome was lost is stored
//! once at most, and exactly once after it is retried.

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::task::Poll;

use confab_proto::ids::{ConversationId, UserId};
use confab_proto::messaging::SendAck;

use super::*;
use crate::groups::{join, open_group};
use crate::harness::*;

/// Batches per conversation.
const BATCHES: usize = 12;
/// Most sends in one batch.
const MAX_BATCH: usize = 8;

#[derive(Clone, Copy, Debug)]
enum Way {
    Http,
    HttpAborted,
    Service,
    ServiceDropped,
    QueuedUnawaited,
}

const WAYS: [Way; 5] = [
    Way::Http,
    Way::HttpAborted,
    Way::Service,
    Way::ServiceDropped,
    Way::QueuedUnawaited,
];

/// Polls `fut` at most `polls` times (yielding between), then drops it.
async fn poll_then_drop<F: Future>(fut: F, polls: usize) -> Option<F::Output> {
    let mut fut = pin!(fut);
    for _ in 0..polls {
        let step = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await;
        if let Poll::Ready(v) = step {
            return Some(v);
        }
        tokio::task::yield_now().await;
    }
    None
}

/// One send made `way`; `Some(ack)` when its outcome is known to be stored.
async fn send_one(
    app: &TestApp,
    who: &TestUser,
    c: ConversationId,
    msg: confab_proto::messaging::MessageIn,
    way: Way,
    polls: usize,
) -> Option<SendAck> {
    let me: UserId = who.id();
    match way {
        Way::Http => Some(who.client.send(c, &msg).await.unwrap()),
        Way::HttpAborted => {
            let client = who.client.clone();
            let task = tokio::spawn(async move { client.send(c, &msg).await });
            for _ in 0..polls {
                tokio::task::yield_now().await;
            }
            task.abort();
            match task.await {
                Ok(r) => Some(r.unwrap()),
                Err(e) => {
                    assert!(e.is_cancelled());
                    None
                }
            }
        }
        Way::Service => Some(
            confab::messaging::service::send(&app.state, me, c, msg)
                .await
                .unwrap(),
        ),
        Way::ServiceDropped => {
            let fut = confab::messaging::service::send(&app.state, me, c, msg);
            poll_then_drop(fut, polls).await.map(Result::unwrap)
        }
        Way::QueuedUnawaited => {
            let pending = confab::messaging::service::submit_as(&app.state, me, c, msg, true)
                .await
                .unwrap();
            drop(pending);
            None
        }
    }
}

/// Runs the batches in `c` by `senders`; checks the conversation as `reader` sees it.
/// Returns (sends, sends whose outcome was lost, of those the ones stored anyway).
async fn run(
    app: &TestApp,
    rng: &mut Rng,
    c: ConversationId,
    senders: &[&TestUser],
) -> (usize, usize, usize) {
    // client id → (sender index, text, known ack)
    let mut sent: HashMap<String, (usize, String, Option<SendAck>)> = HashMap::new();
    let mut n = 0usize;
    for batch in 0..BATCHES {
        let size = 1 + rng.below(MAX_BATCH);
        let mut futs = Vec::new();
        for i in 0..size {
            let s = rng.below(senders.len());
            let way = WAYS[rng.below(WAYS.len())];
            let polls = rng.below(40);
            let cmid = format!("p{batch}-{i}-{}", rng.below(1_000_000));
            let t = format!("{way:?} {batch}.{i}");
            sent.insert(cmid.clone(), (s, t.clone(), None));
            futs.push(async move {
                let ack = send_one(app, senders[s], c, text(&cmid, &t), way, polls).await;
                (cmid, ack)
            });
            n += 1;
        }
        for (cmid, ack) in futures::future::join_all(futs).await {
            sent.get_mut(&cmid).unwrap().2 = ack;
        }
    }
    // The writer is FIFO: once a later send is acknowledged, every send queued before it
    // has committed or failed.
    let fence = senders[0].client.send_text(c, "fence").await.unwrap();
    // The first sender opened the conversation: its window starts at seq 1.
    let reader = &senders[0].client;
    let msgs = all_messages(reader, c).await;
    assert_gapless_and_unique(&msgs);
    assert_eq!(
        msgs.last().unwrap().seq,
        fence.seq,
        "the fence is the newest"
    );
    let stored: HashMap<&str, &MessageOut> =
        msgs.iter().map(|m| (m.client_msg_id.as_str(), m)).collect();
    for (cmid, (s, t, ack)) in &sent {
        match (ack, stored.get(cmid.as_str())) {
            (Some(a), Some(m)) => {
                assert_eq!(
                    (a.seq, a.id),
                    (m.seq, m.id),
                    "{cmid}: stored elsewhere than acked"
                );
                assert_eq!(m.sender_id, senders[*s].id());
                assert_eq!(m.body["text"], t.as_str());
            }
            (Some(a), None) => panic!("{cmid}: acknowledged at {} but not stored", a.seq),
            (None, _) => {}
        }
    }
    // Retrying every send whose outcome was lost stores each exactly once.
    let lost: Vec<_> = sent.iter().filter(|(_, v)| v.2.is_none()).collect();
    let lost_stored = lost
        .iter()
        .filter(|(cmid, _)| stored.contains_key(cmid.as_str()))
        .count();
    for (cmid, (s, t, _)) in &lost {
        let ack = senders[*s].client.send(c, &text(cmid, t)).await.unwrap();
        if let Some(m) = stored.get(cmid.as_str()) {
            assert_eq!(
                ack.seq, m.seq,
                "{cmid}: a retry of a stored send stored again"
            );
        }
    }
    let msgs = all_messages(reader, c).await;
    assert_gapless_and_unique(&msgs);
    // (A group's system messages take seqs too.)
    let ours = msgs
        .iter()
        .filter(|m| sent.contains_key(&m.client_msg_id) || m.seq == fence.seq)
        .count();
    assert_eq!(ours, n + 1, "every send stored once, and the fence");
    (n, lost.len(), lost_stored)
}

backend_tests! {
    async fn seqs_stay_gapless_when_sends_are_cut_short(app) {
        let mut rng = Rng::from_env(SEED_VAR, "seqs");
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        app.befriend(&alice, &bob).await;
        let direct = alice.client.open_direct(bob.id()).await.unwrap();
        let d = run(&app, &mut rng, direct.id, &[&alice, &bob]).await;
        let g = open_group(&alice, "seqs").await;
        join(&bob, &g).await;
        join(&carol, &g).await;
        let g = run(&app, &mut rng, g.conversation_id, &[&alice, &bob, &carol]).await;
        println!("seqs: (sends, outcome lost, lost but stored): direct chat {d:?}, group {g:?}");
        assert!(d.1 + g.1 > 0, "no send was cut short: the property was not exercised");
    }
}
