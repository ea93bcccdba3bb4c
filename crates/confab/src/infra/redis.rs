//! The shared Redis connection and the node-id lease.
//!
//! Commands go through one [`ConnectionManager`] (multiplexed, reconnects by itself, bounded
//! by connection and response timeouts so a Redis outage turns into errors, never into hung
//! requests). Pub/sub uses its own connection, owned by the bus.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::infra::ids::MAX_NODE_ID;
use crate::tasks::Tasks;

/// How long one Redis command may take before it is an error.
pub const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// A Redis client plus its managed command connection.
#[derive(Clone)]
pub struct RedisConn {
    client: redis::Client,
    manager: ConnectionManager,
}

impl RedisConn {
    /// Opens the client and the command connection; fails if Redis does not answer.
    pub async fn connect(url: &str) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let manager = ConnectionManager::new_with_config(client.clone(), config).await?;
        Ok(Self { client, manager })
    }

    /// A handle on the command connection (cheap to clone).
    pub fn cmd(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// The client, for connections that cannot be shared (pub/sub).
    pub fn client(&self) -> &redis::Client {
        &self.client
    }
}

/// Renews the lease only while this node still holds it.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

/// Releases the lease only while this node still holds it.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

const LEASE_TTL: Duration = Duration::from_secs(60);
const LEASE_RENEW_EVERY: Duration = Duration::from_secs(15);

/// A node id held in Redis (`SET NX` with a TTL, renewed in the background, released at
/// shutdown) so that two live nodes never make ids with the same node bits.
pub struct NodeLease;

impl NodeLease {
    /// Claims the first free node id, starting from a random one, and keeps it renewed.
    pub async fn claim(redis: &RedisConn, prefix: &str, tasks: &Tasks) -> anyhow::Result<u16> {
        let token = uuid::Uuid::new_v4().to_string();
        let start: u16 = rand::random_range(0..=MAX_NODE_ID);
        let mut conn = redis.cmd();
        for i in 0..=MAX_NODE_ID {
            let id = (start + i) % (MAX_NODE_ID + 1);
            let key = format!("{prefix}:node:{id}");
            let set: Option<String> = redis::cmd("SET")
                .arg(&key)
                .arg(&token)
                .arg("NX")
                .arg("PX")
                .arg(LEASE_TTL.as_millis() as u64)
                .query_async(&mut conn)
                .await?;
            if set.is_some() {
                Self::keep(redis.clone(), key, token, tasks);
                tracing::info!(node_id = id, "claimed node id in Redis");
                return Ok(id);
            }
        }
        anyhow::bail!("all {} node ids are taken", u32::from(MAX_NODE_ID) + 1)
    }

    fn keep(redis: RedisConn, key: String, token: String, tasks: &Tasks) {
        let cancel = tasks.token();
        tasks.spawn("node-lease", async move {
            let renew = redis::Script::new(RENEW);
            let mut conn = redis.cmd();
            let mut tick = tokio::time::interval(LEASE_RENEW_EVERY);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tick.tick() => {}
                }
                let held: redis::RedisResult<i64> = renew
                    .key(&key)
                    .arg(&token)
                    .arg(LEASE_TTL.as_millis() as u64)
                    .invoke_async(&mut conn)
                    .await;
                match held {
                    Ok(1) => {}
                    Ok(_) => {
                        // Expired during an outage longer than the TTL: take it back if free.
                        let again: redis::RedisResult<Option<String>> = redis::cmd("SET")
                            .arg(&key)
                            .arg(&token)
                            .arg("NX")
                            .arg("PX")
                            .arg(LEASE_TTL.as_millis() as u64)
                            .query_async(&mut conn)
                            .await;
                        if !matches!(again, Ok(Some(_))) {
                            tracing::error!(
                                key = %key,
                                "node id lease lost to another node: restart this node to claim a new id"
                            );
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot renew node id lease"),
                }
            }
            let released: redis::RedisResult<i64> = redis::Script::new(RELEASE)
                .key(&key)
                .arg(&token)
                .invoke_async(&mut conn)
                .await;
            if let Err(e) = released {
                tracing::debug!(error = %e, "node id lease not released; it expires by itself");
            }
        });
    }
}
