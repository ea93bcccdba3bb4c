//! Ports and their adapters. Business code sees only the port types here; which adapter
//! stands behind each is decided once, at start-up, from config ([`Infra::connect`]).
//!
//! | port | embedded adapter | cluster adapter |
//! |---|---|---|
//! | [`store::Store`] | SQLite file (WAL, one writer, a read pool) | MySQL / MariaDB |
//! | [`bus::Bus`] | in-process broadcast | Redis pub/sub, one subscription per node |
//! | [`cache::Cache`] | in-process TTL cache | Redis |
//! | [`blob::Blobs`] | local directory | S3-compatible object store |
//! | [`clock::Clock`] | system clock | system clock (tests: a manual clock) |

pub mod blob;
pub mod bus;
pub mod cache;
pub mod clock;
pub mod ids;
pub mod redis;
pub mod store;

use std::sync::Arc;

use anyhow::Context;

use crate::config::{BlobBackend, Config};
use crate::tasks::Tasks;

/// Every port, connected.
#[derive(Clone)]
pub struct Infra {
    /// Relational store.
    pub store: store::Store,
    /// Event bus.
    pub bus: Arc<dyn bus::Bus>,
    /// Shared short-lived state.
    pub cache: Arc<dyn cache::Cache>,
    /// Uploaded files.
    pub blobs: blob::Blobs,
    /// Snowflake ids.
    pub ids: Arc<ids::IdGen>,
}

impl Infra {
    /// Connects every adapter the config names, runs migrations, and claims a node id.
    pub async fn connect(config: &Config, tasks: &Tasks) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create data dir {}", config.data_dir.display()))?;
        let store = store::Store::connect(config)
            .await
            .context("cannot open the database")?;
        store.migrate().await.context("cannot apply migrations")?;
        spawn_checkpointer(&store, tasks);

        let (bus, cache, node_id): (Arc<dyn bus::Bus>, Arc<dyn cache::Cache>, u16) =
            if config.redis.url.is_empty() {
                (
                    Arc::new(bus::MemoryBus::new()),
                    Arc::new(cache::MemoryCache::new()),
                    config.node_id.unwrap_or(0),
                )
            } else {
                let redis = redis::RedisConn::connect(config.redis.url.expose())
                    .await
                    .context("cannot connect to Redis")?;
                let prefix = config.redis.prefix.clone();
                let node_id = match config.node_id {
                    Some(id) => id,
                    None => redis::NodeLease::claim(&redis, &prefix, tasks)
                        .await
                        .context("cannot claim a node id in Redis")?,
                };
                let bus = bus::RedisBus::start(redis.clone(), prefix.clone(), tasks);
                if !bus.wait_subscribed(std::time::Duration::from_secs(5)).await {
                    tracing::warn!("bus subscription not up after 5 s; starting anyway");
                }
                let cache = cache::RedisCache::new(redis, prefix);
                (Arc::new(bus), Arc::new(cache), node_id)
            };

        let blobs = match config.blob.backend {
            BlobBackend::Local => blob::Blobs::local(&config.blob_dir())?,
            BlobBackend::S3 => blob::Blobs::s3(&config.blob.s3)?,
        };
        Ok(Self {
            store,
            bus,
            cache,
            blobs,
            ids: Arc::new(ids::IdGen::new(node_id)),
        })
    }
}

/// SQLite: checkpoints the WAL every [`store::CHECKPOINT_EVERY`] on its own connection, so the
/// writer's commits never do it (see `store::SQLITE_AUTOCHECKPOINT_PAGES`).
fn spawn_checkpointer(store: &store::Store, tasks: &Tasks) {
    if !store.has_wal() {
        return;
    }
    let store = store.clone();
    let stop = tasks.token();
    tasks.spawn("wal-checkpoint", async move {
        let mut tick = tokio::time::interval(store::CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            if let Err(e) = store.checkpoint().await {
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
        }
    });
}
