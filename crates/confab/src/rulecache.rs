//! The per-node caches of the rows the send path checks (a sender's membership, their group
//! row and the group's state, a direct chat's relation, site-wide mutes). A send is
//! otherwise four or five store round trips before the writer, and the round trips, not the
//! writes, were what limited throughput (docs/performance.md). Each feature keeps its own
//! [`RuleCache`] of its own rows; this module holds the mechanism and the one epoch they
//! share.
//!
//! Correctness rests on one node-wide *epoch* ([`Epoch`], in `AppState::rules`): every
//! entry is stamped with the epoch read before its rows were loaded, and an entry whose
//! stamp is not the current epoch is loaded again. Every change to a rule the send path
//! checks moves the epoch AFTER its transaction committed — on this node at once
//! ([`changed`]), on the others through the bus (`Control::SendRulesChanged`), and on every
//! node when its bus subscription had a gap. So a load that read the rows before the change
//! committed carries an older stamp and is never used after the change. The changes that
//! move it: any group change (members, roles, mutes, mute-all, dissolution), friendships
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

use moka::future::Cache;

use crate::push::Control;
use crate::state::AppState;

/// How long an entry is used at most, whatever the epoch.
pub const TTL: Duration = Duration::from_secs(10);
/// Entries per cache (each is well under 1 KiB).
const CAPACITY: u64 = 100_000;

/// The node-wide send-rule epoch.
#[derive(Default)]
pub struct Epoch(AtomicU64);

impl Epoch {
    /// Makes every entry of every rule cache stale (a rule changed, here or on another node).
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn current(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A cached value with the epoch it was loaded under.
#[derive(Clone)]
struct Stamped<V> {
    epoch: u64,
    value: V,
}

/// One feature's cache of rule rows, keyed by `K`.
pub struct RuleCache<K, V>(Cache<K, Stamped<V>>);

impl<K, V> Default for RuleCache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn default() -> Self {
        Self(
            Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(TTL)
                .build(),
        )
    }
}

impl<K, V> RuleCache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// The value under `key`, loaded by `load` when missing or stale. `None` from `load` is
    /// passed on and not cached (the uncommon paths: not a member, no group row).
    pub async fn get<E>(
        &self,
        epoch: &Epoch,
        key: K,
        load: impl AsyncFnOnce() -> Result<Option<V>, E>,
    ) -> Result<Option<V>, E> {
        // Read before loading: a change committed after this read moves the epoch past it.
        let at = epoch.current();
        if let Some(hit) = self.0.get(&key).await
            && hit.epoch == at
        {
            return Ok(Some(hit.value));
        }
        let value = load().await?;
        if let Some(v) = &value {
            self.0
                .insert(
                    key,
                    Stamped {
                        epoch: at,
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
    crate::push::control::publish(state, Control::SendRulesChanged).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_bump_makes_entries_stale_and_none_is_not_cached() {
        let rules = Epoch::default();
        let c: RuleCache<u32, u32> = RuleCache::default();
        let got = c.get(&rules, 1, async || Ok::<_, ()>(Some(10))).await;
        assert_eq!(got, Ok(Some(10)));
        // A hit: the loader is not asked.
        let got = c.get(&rules, 1, async || Ok::<_, ()>(Some(11))).await;
        assert_eq!(got, Ok(Some(10)));
        rules.bump();
        let got = c.get(&rules, 1, async || Ok::<_, ()>(Some(12))).await;
        assert_eq!(got, Ok(Some(12)));
        // None passes through and leaves nothing behind.
        let got = c.get(&rules, 2, async || Ok::<_, ()>(None)).await;
        assert_eq!(got, Ok(None));
        let got = c.get(&rules, 2, async || Ok::<_, ()>(Some(5))).await;
        assert_eq!(got, Ok(Some(5)));
    }

    #[tokio::test]
    async fn a_load_that_raced_a_change_is_not_used_after_it() {
        let rules = Epoch::default();
        let c: RuleCache<u32, u32> = RuleCache::default();
        // The change commits (and bumps) while the load is reading the old rows.
        let got = c
            .get(&rules, 1, async || {
                rules.bump();
                Ok::<_, ()>(Some(1))
            })
            .await;
        assert_eq!(got, Ok(Some(1)));
        let got = c.get(&rules, 1, async || Ok::<_, ()>(Some(2))).await;
        assert_eq!(got, Ok(Some(2)), "the raced load was cached as current");
    }
}
