//! The checker of the reliability catalogue, shared by every fault test. It reads the store
//! directly (never through the API under test) and each client's received log, and verifies:
//!
//! - (a) every acknowledged (sender, client_msg_id) has exactly one row, the one acknowledged;
//! - (b) each conversation's seqs are exactly 1..N, and N is its `last_seq`;
//! - (c) each member's received set, deduplicated by message id, equals the store's messages
//!   inside its window `(max(joined_seq, cleared_seq), left_seq or last]`, in seq order;
//! - (d) unread = last_seq − read_seq (within the window, never negative) for every member,
//!   as `GET /sync` reports it, and the badge is their sum;
//! - (e) nothing outside a member's window (or of a conversation it never belonged to) was
//!   delivered to it.

use std::collections::{BTreeMap, HashMap};

use confab::infra::store::Store;
use confab_client::Client;
use confab_proto::ids::UserId;
use confab_proto::messaging::SendAck;
use sea_orm::{ConnectionTrait, Statement};

use super::device::Got;

/// One acknowledged send, as its client saw the ack.
#[derive(Clone, Debug)]
pub struct Acked {
    /// Who sent it.
    pub sender: UserId,
    /// The ack the server answered.
    pub ack: SendAck,
}

/// One member to check: its user, a client to ask `GET /sync` with, and what its device
/// received (every delivery, duplicates included).
pub struct Member<'a> {
    /// The user.
    pub user: UserId,
    /// A signed-in client of that user.
    pub client: &'a Client,
    /// Every message its device received, live or by filling gaps.
    pub log: Vec<Got>,
}

/// Stops each device and pairs its log with the client of the same position: the members
/// [`check`] verifies.
pub async fn members<'a>(
    devices: impl IntoIterator<Item = super::device::Device>,
    clients: impl IntoIterator<Item = &'a Client>,
) -> Vec<Member<'a>> {
    let mut members = Vec::new();
    for (d, client) in devices.into_iter().zip(clients) {
        members.push(Member {
            user: d.user,
            client,
            log: d.finish().await,
        });
    }
    members
}

/// What the checker verified, for the figures in docs/reliability.md (printed with `{:?}`).
#[derive(Clone, Copy, Debug, Default)]
#[allow(dead_code)]
pub struct Figures {
    /// Messages in the store.
    pub messages: usize,
    /// Conversations in the store.
    pub conversations: usize,
    /// Acknowledged sends matched to their row.
    pub acked: usize,
    /// Members whose view was compared.
    pub members: usize,
    /// Deliveries read from the members' logs (duplicates included).
    pub deliveries: usize,
}

/// (sender, client_msg_id).
type SendKey = (i64, String);
/// (conversation, seq, message id).
type Stored = (i64, i64, i64);

struct Window {
    floor: i64,
    ceiling: i64,
    read_seq: i64,
}

/// Runs (a)–(e); panics naming the first broken rule.
pub async fn check(store: &Store, acked: &[Acked], members: &[Member<'_>]) -> Figures {
    let q = |sql: &str| Statement::from_string(store.backend(), sql.to_owned());
    // Every message: conversation -> seq -> (id, sender, client id).
    let rows = store
        .reader()
        .query_all_raw(q(
            "SELECT conversation_id, seq, id, sender_id, client_msg_id FROM messages",
        ))
        .await
        .unwrap();
    let mut by_conv: BTreeMap<i64, BTreeMap<i64, i64>> = BTreeMap::new();
    let mut by_key: HashMap<SendKey, Vec<Stored>> = HashMap::new();
    for r in &rows {
        let conv: i64 = r.try_get("", "conversation_id").unwrap();
        let seq: i64 = r.try_get("", "seq").unwrap();
        let id: i64 = r.try_get("", "id").unwrap();
        let sender: i64 = r.try_get("", "sender_id").unwrap();
        let cmid: String = r.try_get("", "client_msg_id").unwrap();
        by_conv.entry(conv).or_default().insert(seq, id);
        by_key
            .entry((sender, cmid))
            .or_default()
            .push((conv, seq, id));
    }
    let convs = store
        .reader()
        .query_all_raw(q("SELECT id, last_seq FROM conversations"))
        .await
        .unwrap();
    let mut last_seq: HashMap<i64, i64> = HashMap::new();
    for r in &convs {
        last_seq.insert(
            r.try_get("", "id").unwrap(),
            r.try_get("", "last_seq").unwrap(),
        );
    }

    // (a) every acknowledged send: exactly one row, the one acknowledged.
    for a in acked {
        let key = (a.sender.0, a.ack.client_msg_id.clone());
        let stored = by_key
            .get(&key)
            .unwrap_or_else(|| panic!("(a) acknowledged {key:?} is not stored"));
        assert_eq!(stored.len(), 1, "(a) {key:?} stored {} times", stored.len());
        assert_eq!(
            stored[0],
            (a.ack.conversation_id.0, a.ack.seq, a.ack.id.0),
            "(a) {key:?} differs from its ack"
        );
    }

    // (b) gapless seqs, and last_seq names the newest.
    for (conv, last) in &last_seq {
        let seqs: Vec<i64> = by_conv
            .get(conv)
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default();
        assert_eq!(
            seqs,
            (1..=*last).collect::<Vec<_>>(),
            "(b) conversation {conv}: seqs are not exactly 1..{last}"
        );
    }
    assert!(
        by_conv.keys().all(|c| last_seq.contains_key(c)),
        "(b) messages of a conversation that does not exist"
    );

    // Every membership row: (conversation, user) -> window.
    let rows = store
        .reader()
        .query_all_raw(q(
            "SELECT conversation_id, user_id, read_seq, cleared_seq, joined_seq, left_seq FROM conversation_members",
        ))
        .await
        .unwrap();
    let mut windows: HashMap<(i64, i64), Window> = HashMap::new();
    for r in &rows {
        let conv: i64 = r.try_get("", "conversation_id").unwrap();
        let user: i64 = r.try_get("", "user_id").unwrap();
        let joined: i64 = r.try_get("", "joined_seq").unwrap();
        let cleared: i64 = r.try_get("", "cleared_seq").unwrap();
        let left: Option<i64> = r.try_get("", "left_seq").unwrap();
        let last = last_seq[&conv];
        windows.insert(
            (conv, user),
            Window {
                floor: joined.max(cleared),
                ceiling: left.map_or(last, |l| l.min(last)),
                read_seq: r.try_get("", "read_seq").unwrap(),
            },
        );
    }

    let mut deliveries = 0;
    for m in members {
        let user = m.user.0;
        deliveries += m.log.len();
        // (e) nothing outside the window; and a delivered id is the stored one at its seq.
        let mut received: BTreeMap<i64, BTreeMap<i64, i64>> = BTreeMap::new();
        for g in &m.log {
            let w = windows.get(&(g.conv.0, user)).unwrap_or_else(|| {
                panic!(
                    "(e) user {user} got seq {} of conversation {}, which it never belonged to",
                    g.seq, g.conv
                )
            });
            assert!(
                g.seq > w.floor && g.seq <= w.ceiling,
                "(e) user {user} got seq {} of conversation {} outside its window ({}, {}]",
                g.seq,
                g.conv,
                w.floor,
                w.ceiling
            );
            assert_eq!(
                by_conv.get(&g.conv.0).and_then(|c| c.get(&g.seq)),
                Some(&g.id),
                "(c) user {user} got message {} as seq {} of {}, the store has another",
                g.id,
                g.seq,
                g.conv
            );
            // Deduplicated by id (a message delivered twice is shown once).
            received.entry(g.conv.0).or_default().insert(g.seq, g.id);
        }
        // (c) the received set equals the store's window, in seq order.
        for ((conv, u), w) in &windows {
            if *u != user {
                continue;
            }
            let want: Vec<(i64, i64)> = by_conv
                .get(conv)
                .map(|c| {
                    c.range(w.floor + 1..=w.ceiling)
                        .map(|(s, i)| (*s, *i))
                        .collect()
                })
                .unwrap_or_default();
            let got: Vec<(i64, i64)> = received
                .get(conv)
                .map(|c| c.iter().map(|(s, i)| (*s, *i)).collect())
                .unwrap_or_default();
            if got != want {
                let missing: Vec<i64> = want
                    .iter()
                    .filter(|x| !got.contains(x))
                    .map(|x| x.0)
                    .take(10)
                    .collect();
                panic!(
                    "(c) user {user}, conversation {conv}: received {} of {} messages in its window; first missing seqs {missing:?}",
                    got.len(),
                    want.len()
                );
            }
        }
        // (d) unread as the API reports it = the store's last_seq − read_seq in the window.
        let sync = m.client.sync(None).await.unwrap();
        let mut total = 0;
        for c in &sync.conversations {
            let w = &windows[&(c.id.0, user)];
            let want = (w.ceiling - w.read_seq.max(w.floor)).max(0);
            assert_eq!(
                c.unread, want,
                "(d) user {user}, conversation {}: unread {} but last_seq {} − read_seq {} = {want}",
                c.id, c.unread, w.ceiling, w.read_seq
            );
            assert_eq!(
                (c.last_seq, c.read_seq),
                (last_seq[&c.id.0], w.read_seq),
                "(d) user {user}, conversation {}: marks differ from the store",
                c.id
            );
        }
        for ((_, u), w) in &windows {
            if *u == user {
                total += (w.ceiling - w.read_seq.max(w.floor)).max(0);
            }
        }
        assert_eq!(sync.total_unread, total, "(d) user {user}: the badge");
    }
    Figures {
        messages: by_conv.values().map(BTreeMap::len).sum(),
        conversations: last_seq.len(),
        acked: acked.len(),
        members: members.len(),
        deliveries,
    }
}
