//! The cache port: shared short-lived state (verification codes, OAuth state, rate counters,
//! revocation marks). Never the source of truth for anything durable: a Redis restart loses
//! it, and that must only cost users a retry.
//!
//! Keys are plain strings chosen by the caller; adapters add their own namespace. Values
//! are bytes; counters made by [`Cache::incr`] read back as decimal ASCII on every adapter.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use moka::Expiry;
use moka::ops::compute::Op;

use super::redis::RedisConn;

/// Why a cache operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// Redis did not answer or refused the command.
    #[error("cache unavailable")]
    Unavailable(#[source] redis::RedisError),
}

/// Shared short-lived key/value state with TTLs.
#[async_trait]
pub trait Cache: Send + Sync {
    /// `memory` or `redis`.
    fn kind(&self) -> &'static str;
    /// The value, if present and not expired.
    async fn get(&self, key: &str) -> Result<Option<Bytes>, CacheError>;
    /// The values of several keys in one round trip, in the order given.
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>, CacheError>;
    /// Stores a value for `ttl`, replacing any previous one.
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError>;
    /// Stores a value only if the key is absent; `true` when it was stored.
    async fn set_nx(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, CacheError>;
    /// Returns the value and removes it, atomically (one-time values).
    async fn take(&self, key: &str) -> Result<Option<Bytes>, CacheError>;
    /// Adds one and returns the new count, atomically. The TTL starts with the first
    /// increment and is not extended by later ones (a fixed window).
    async fn incr(&self, key: &str, ttl: Duration) -> Result<u64, CacheError>;
    /// The time left before the key expires, if it exists.
    async fn ttl(&self, key: &str) -> Result<Option<Duration>, CacheError>;
    /// Removes a key; `true` if it existed.
    async fn delete(&self, key: &str) -> Result<bool, CacheError>;
    /// Whether the cache answers.
    async fn ping(&self) -> Result<(), CacheError>;
}

#[derive(Clone, Debug)]
struct Entry {
    value: Bytes,
    deadline: Instant,
}

impl Entry {
    fn live(&self) -> bool {
        self.deadline > Instant::now()
    }
}

struct UntilDeadline;

impl Expiry<String, Entry> for UntilDeadline {
    fn expire_after_create(&self, _: &String, v: &Entry, now: Instant) -> Option<Duration> {
        Some(v.deadline.saturating_duration_since(now))
    }
    fn expire_after_update(
        &self,
        _: &String,
        v: &Entry,
        now: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(v.deadline.saturating_duration_since(now))
    }
}

/// The in-process cache (one node). Bounded by total size; each entry keeps its own deadline.
pub struct MemoryCache {
    inner: moka::future::Cache<String, Entry>,
}

impl MemoryCache {
    /// A cache holding at most 64 MiB of keys and values.
    pub fn new() -> Self {
        let inner = moka::future::Cache::builder()
            .max_capacity(64 * 1024 * 1024)
            .weigher(|k: &String, v: &Entry| {
                u32::try_from(k.len() + v.value.len() + 64).unwrap_or(u32::MAX)
            })
            .expire_after(UntilDeadline)
            .build();
        Self { inner }
    }
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Cache for MemoryCache {
    fn kind(&self) -> &'static str {
        "memory"
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, CacheError> {
        Ok(self
            .inner
            .get(key)
            .await
            .filter(Entry::live)
            .map(|e| e.value))
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>, CacheError> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.get(k).await?);
        }
        Ok(out)
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        let entry = Entry {
            value: Bytes::copy_from_slice(value),
            deadline: Instant::now() + ttl,
        };
        self.inner.insert(key.to_owned(), entry).await;
        Ok(())
    }

    async fn set_nx(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, CacheError> {
        let value = Bytes::copy_from_slice(value);
        let result = self
            .inner
            .entry(key.to_owned())
            .and_compute_with(|current| {
                let op = match current {
                    Some(e) if e.value().live() => Op::Nop,
                    _ => Op::Put(Entry {
                        value,
                        deadline: Instant::now() + ttl,
                    }),
                };
                std::future::ready(op)
            })
            .await;
        Ok(matches!(
            result,
            moka::ops::compute::CompResult::Inserted(_)
                | moka::ops::compute::CompResult::ReplacedWith(_)
        ))
    }

    async fn take(&self, key: &str) -> Result<Option<Bytes>, CacheError> {
        Ok(self
            .inner
            .remove(key)
            .await
            .filter(Entry::live)
            .map(|e| e.value))
    }

    async fn incr(&self, key: &str, ttl: Duration) -> Result<u64, CacheError> {
        let result = self
            .inner
            .entry(key.to_owned())
            .and_compute_with(|current| {
                let next = match current.map(|e| e.into_value()).filter(Entry::live) {
                    Some(e) => {
                        let n = std::str::from_utf8(&e.value)
                            .ok()
                            .and_then(|s| s.parse::<u64>().ok())
                            .unwrap_or(0);
                        Entry {
                            value: Bytes::from((n + 1).to_string()),
                            deadline: e.deadline,
                        }
                    }
                    None => Entry {
                        value: Bytes::from_static(b"1"),
                        deadline: Instant::now() + ttl,
                    },
                };
                std::future::ready(Op::Put(next))
            })
            .await;
        let n = result
            .into_entry()
            .and_then(|e| {
                std::str::from_utf8(&e.into_value().value)
                    .ok()
                    .and_then(|s| s.parse().ok())
            })
            .unwrap_or(1);
        Ok(n)
    }

    async fn ttl(&self, key: &str) -> Result<Option<Duration>, CacheError> {
        Ok(self
            .inner
            .get(key)
            .await
            .filter(Entry::live)
            .map(|e| e.deadline.saturating_duration_since(Instant::now())))
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        Ok(self.inner.remove(key).await.filter(Entry::live).is_some())
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }
}

const INCR_WITH_TTL: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n";

/// The Redis cache, shared by every node. Keys live under `{prefix}:c:`.
pub struct RedisCache {
    redis: RedisConn,
    prefix: String,
    incr: redis::Script,
}

impl RedisCache {
    /// A cache on `redis` under `prefix`.
    pub fn new(redis: RedisConn, prefix: String) -> Self {
        Self {
            redis,
            prefix,
            incr: redis::Script::new(INCR_WITH_TTL),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}:c:{key}", self.prefix)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[async_trait]
impl Cache for RedisCache {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, CacheError> {
        let v: Option<Vec<u8>> = redis::cmd("GET")
            .arg(self.key(key))
            .query_async(&mut self.redis.cmd())
            .await
            .map_err(CacheError::Unavailable)?;
        Ok(v.map(Bytes::from))
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>, CacheError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut cmd = redis::cmd("MGET");
        for k in keys {
            cmd.arg(self.key(k));
        }
        let v: Vec<Option<Vec<u8>>> = cmd
            .query_async(&mut self.redis.cmd())
            .await
            .map_err(CacheError::Unavailable)?;
        Ok(v.into_iter().map(|o| o.map(Bytes::from)).collect())
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(millis(ttl))
            .query_async::<()>(&mut self.redis.cmd())
            .await
            .map_err(CacheError::Unavailable)
    }

    async fn set_nx(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, CacheError> {
        let r: Option<String> = redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(millis(ttl))
            .query_async(&mut self.redis.cmd())
            .await
            .map_err(CacheError::Unavailable)?;
        Ok(r.is_some())
    }

    async fn take(&self, key: &str) -> Result<Option<Bytes>, CacheError> {
        let v: Option<Vec<u8>> = redis::cmd("GETDEL")
            .arg(self.key(key))
            .query_async(&mut self.redis.cmd())
            .await
            .map_err(CacheError::Unavailable)?;
        Ok(v.map(Bytes::from))
    }

    async fn incr(&self, key: &str, ttl: Duration) -> Result<u64, CacheError> {
        self.incr
            .key(self.key(key))
            .arg(millis(ttl))
            .invoke_async(&mut self.redis.cmd())
            .await
            .map_err(CacheError::Unavailable)
    }

    async fn ttl(&self, key: &str) -> Result<Option<Duration>, CacheError> {
        let ms: i64 = redis::cmd("PTTL")
            .arg(self.key(key))
            .query_async(&mut self.redis.cmd())
            .await
            .map_err(CacheError::Unavailable)?;
        // -2: no key; -1: no expiry (never set by us).
        Ok(u64::try_from(ms).ok().map(Duration::from_millis))
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        let n: i64 = redis::cmd("DEL")
            .arg(self.key(key))
            .query_async(&mut self.redis.cmd())
            .await
            .map_err(CacheError::Unavailable)?;
        Ok(n > 0)
    }

    async fn ping(&self) -> Result<(), CacheError> {
        redis::cmd("PING")
            .query_async::<String>(&mut self.redis.cmd())
            .await
            .map(|_| ())
            .map_err(CacheError::Unavailable)
    }
}
