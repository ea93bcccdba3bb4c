//! The per-node cache of the rows the send path checks: a sender's membership, their group
//! row and the group's state, a direct chat's block and friend relation, and site-wide
//! mutes. A send is otherwise four or five store round trips before the writer, and the
//! round trips, not the writes, were what limited throughput (docs/performance.md).
//!
//! Correctness rests on one node-wide *epoch*: every entry is stamped with the epoch read
//! before its rows were loaded, and an entry whose stamp is not the current epoch is
//! loaded again. Every change to a rule the send path checks moves the epoch AFTER its
//! transaction committed — on this node at once ([`changed`]), on the others through the
//! bus (`Control::SendRulesChanged`), and on every node when its bus subscription had a
//! gap. So a load that read the rows before the change committed carries an older stamp
//! and is never used after the change. The changes that move it: any group change
//! (`groups::service::apply`: members, roles, mutes, mute-all, dissolution), friendships
//! made or ended, blocks, and site mutes.
//!
//! Entries also expire after [`TTL`], which bounds what a change made without the server
//! knowing (the `confab admin` CLI against a running node's embedded store) can go unseen,
//! as the session-check cache does for revocations.
//!
//! What is cached is the rows, never a verdict: a mute with an end is compared with the
//! clock on every send. Only the cheap, common shape is cached (a send without `reply_to`);
//! anything else reads the store as before.

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use confab_proto::ids::{ConversationId, UserId};
use moka::future::Cache;

use crate::state::AppState;

/// How long an entry is used at most, whatever the epoch.
pub const TTL: Duration = Duration::from_secs(10);
/// Entries per cache (each is well under 1 KiB).
const CAPACITY: u64 = 100_000;

/// A cached value with the epoch it was loaded under.
#[derive(Clone)]
pub struct Stamped<V> {
    epoch: u64,
    value: V,
}

/// A direct chat's relation as a sender sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirectRule {
    /// The other member (`None` in a chat with oneself).
    pub peer: Option<UserId>,
    /// Either side blocks the other.
    pub blocked: bool,
    /// They are friends.
    pub friends: bool,
}

/// The node's send-rule caches.
pub struct SendRules {
    epoch: AtomicU64,
    /// (conversation, sender) → the conversation and the sender's member row.
    pub(crate) membership: Cache<
        (ConversationId, UserId),
        Stamped<(
            crate::messaging::store::Conversation,
            crate::messaging::store::Member,
        )>,
    >,
    /// (group conversation, sender) → the group and the sender's group row.
    pub(crate) group: Cache<
        (ConversationId, UserId),
        Stamped<(crate::groups::store::Group, crate::groups::store::Member)>,
    >,
    /// (direct conversation, sender) → the relation with the peer.
    pub(crate) direct: Cache<(ConversationId, UserId), Stamped<DirectRule>>,
    /// Sender → their site-wide mute, if any.
    pub(crate) site_mute: Cache<UserId, Stamped<Option<crate::moderation::store::UserMute>>>,
}

fn cache<K, V>() -> Cache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    Cache::builder()
        .max_capacity(CAPACITY)
        .time_to_live(TTL)
        .build()
}

impl Default for SendRules {
    fn default() -> Self {
        Self::new()
    }
}

impl SendRules {
    /// Empty caches at epoch 0.
    pub fn new() -> Self {
        Self {
            epoch: AtomicU64::new(0),
            membership: cache(),
            group: cache(),
            direct: cache(),
            site_mute: cache(),
        }
    }

    /// Makes every entry stale (a rule changed, here or on another node).
    pub fn bump(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// The value under `key`, loaded by `load` when missing or stale. `None` from `load` is
    /// passed on and not cached (the uncommon paths: not a member, no group row).
    pub async fn get<K, V, E>(
        &self,
        cache: &Cache<K, Stamped<V>>,
        key: K,
        load: impl AsyncFnOnce() -> Result<Option<V>, E>,
    ) -> Result<Option<V>, E>
    where
        K: Hash + Eq + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        // Read before loading: a change committed after this read moves the epoch past it.
        let epoch = self.epoch.load(Ordering::SeqCst);
        if let Some(hit) = cache.get(&key).await
            && hit.epoch == epoch
        {
            return Ok(Some(hit.value));
        }
        let value = load().await?;
        if let Some(v) = &value {
            cache
                .insert(
                    key,
                    Stamped {
                        epoch,
                        value: v.clone(),
                    },
                )
                .await;
        }
        Ok(value)
    }
}

/// A rule the send path checks changed and is committed: makes this node's entries stale at
/// once and tells the other nodes. Call it after the commit, never before.
pub async fn changed(state: &AppState) {
    crate::events::publish(state, crate::events::Control::SendRulesChanged).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_bump_makes_entries_stale_and_none_is_not_cached() {
        let rules = SendRules::new();
        let c: Cache<u32, Stamped<u32>> = cache();
        let got = rules.get(&c, 1, async || Ok::<_, ()>(Some(10))).await;
        assert_eq!(got, Ok(Some(10)));
        // A hit: the loader is not asked.
        let got = rules.get(&c, 1, async || Ok::<_, ()>(Some(11))).await;
        assert_eq!(got, Ok(Some(10)));
        rules.bump();
        let got = rules.get(&c, 1, async || Ok::<_, ()>(Some(12))).await;
        assert_eq!(got, Ok(Some(12)));
        // None passes through and leaves nothing behind.
        let got = rules.get(&c, 2, async || Ok::<_, ()>(None)).await;
        assert_eq!(got, Ok(None));
        let got = rules.get(&c, 2, async || Ok::<_, ()>(Some(5))).await;
        assert_eq!(got, Ok(Some(5)));
    }

    #[tokio::test]
    async fn a_load_that_raced_a_change_is_not_used_after_it() {
        let rules = SendRules::new();
        let c: Cache<u32, Stamped<u32>> = cache();
        // The change commits (and bumps) while the load is reading the old rows.
        let got = rules
            .get(&c, 1, async || {
                rules.bump();
                Ok::<_, ()>(Some(1))
            })
            .await;
        assert_eq!(got, Ok(Some(1)));
        let got = rules.get(&c, 1, async || Ok::<_, ()>(Some(2))).await;
        assert_eq!(got, Ok(Some(2)), "the raced load was cached as current");
    }
}
