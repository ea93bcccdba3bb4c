//! The event bus: how an event published on one node reaches the sockets on every node.
//!
//! Topics are a typed enum rendered to a channel name in one function ([`Topic::channel`]),
//! under a configurable prefix. Each node holds ONE subscription (a pattern over its prefix)
//! and hands what arrives to its local consumers through a bounded broadcast channel.
//! Push is best-effort (the store is the truth): when messages may have been missed — the
//! subscription was re-established after an outage, or a consumer fell behind — consumers
//! receive [`BusEvent::Gap`] so they can tell clients to sync.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use confab_proto::ids::{ConversationId, SessionId, UserId};
use futures::StreamExt;
use tokio::sync::broadcast;

use super::redis::{REDIS_TIMEOUT, RedisConn};
use crate::tasks::Tasks;

/// How many events a node buffers for a slow local consumer before it sees a [`BusEvent::Gap`].
const LOCAL_BUFFER: usize = 65_536;

/// Where an event is addressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Every device of one user.
    User(UserId),
    /// Every member of one conversation who has a socket open.
    Conversation(ConversationId),
    /// Every socket (system notices, the world channel).
    Everyone,
    /// Node-to-node control messages (cache invalidation), never sent to sockets.
    Control,
    /// The sockets of one signed-in device (a call's signalling goes to one device only).
    Session(SessionId),
}

impl Topic {
    /// The channel name for this topic under `prefix`. The only place names are made.
    pub fn channel(&self, prefix: &str) -> String {
        match self {
            Topic::User(id) => format!("{prefix}:ev:u:{id}"),
            Topic::Conversation(id) => format!("{prefix}:ev:c:{id}"),
            Topic::Everyone => format!("{prefix}:ev:all"),
            Topic::Control => format!("{prefix}:ev:ctl"),
            Topic::Session(id) => format!("{prefix}:ev:s:{id}"),
        }
    }

    /// The topic a channel name stands for, if it is one of ours under `prefix`.
    pub fn from_channel(prefix: &str, channel: &str) -> Option<Topic> {
        let rest = channel.strip_prefix(prefix)?.strip_prefix(":ev:")?;
        match rest {
            "all" => Some(Topic::Everyone),
            "ctl" => Some(Topic::Control),
            _ => {
                let (kind, id) = rest.split_once(':')?;
                match kind {
                    "u" => id.parse().ok().map(Topic::User),
                    "c" => id.parse().ok().map(Topic::Conversation),
                    "s" => id.parse().ok().map(Topic::Session),
                    _ => None,
                }
            }
        }
    }

    fn pattern(prefix: &str) -> String {
        format!("{prefix}:ev:*")
    }
}

/// One published event: its topic and its payload, encoded once by the publisher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusMessage {
    /// Where it is addressed.
    pub topic: Topic,
    /// The encoded event (shared, never re-encoded per recipient).
    pub payload: Bytes,
}

/// What a consumer receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusEvent {
    /// An event.
    Message(BusMessage),
    /// Events may have been lost here (resubscribed after an outage, or this consumer lagged).
    Gap,
}

/// Why a bus operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// Redis did not take the command.
    #[error("bus unavailable")]
    Unavailable(#[source] redis::RedisError),
    /// The node's subscription is down (it is being re-established).
    #[error("bus subscription down")]
    NotSubscribed,
}

/// A node's view of the bus.
#[async_trait]
pub trait Bus: Send + Sync {
    /// `memory` or `redis`.
    fn kind(&self) -> &'static str;
    /// Publishes one event to every node (this one included).
    async fn publish(&self, topic: Topic, payload: Bytes) -> Result<(), BusError>;
    /// Publishes events in this order, as one round trip where the bus allows (the
    /// publisher sends a committed batch's messages this way).
    async fn publish_many(&self, events: Vec<(Topic, Bytes)>) -> Result<(), BusError> {
        for (topic, payload) in events {
            self.publish(topic, payload).await?;
        }
        Ok(())
    }
    /// A new local consumer of everything this node receives.
    fn subscribe(&self) -> BusReceiver;
    /// Whether the bus can both publish and receive right now.
    async fn ping(&self) -> Result<(), BusError>;
}

/// A local consumer. Lag is reported as [`BusEvent::Gap`], never as silent loss.
pub struct BusReceiver(broadcast::Receiver<BusEvent>);

impl BusReceiver {
    /// The next event; `None` once the bus has shut down.
    pub async fn recv(&mut self) -> Option<BusEvent> {
        match self.0.recv().await {
            Ok(ev) => Some(ev),
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "bus consumer lagged");
                metrics::counter!("confab_bus_lagged_total").increment(n);
                Some(BusEvent::Gap)
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

/// The in-process bus: one node, no network.
pub struct MemoryBus {
    tx: broadcast::Sender<BusEvent>,
}

impl MemoryBus {
    /// A new, empty bus.
    pub fn new() -> Self {
        Self {
            tx: broadcast::channel(LOCAL_BUFFER).0,
        }
    }
}

impl Default for MemoryBus {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Bus for MemoryBus {
    fn kind(&self) -> &'static str {
        "memory"
    }

    async fn publish(&self, topic: Topic, payload: Bytes) -> Result<(), BusError> {
        // No receiver means no local consumer yet: nothing to deliver.
        let _ = self
            .tx
            .send(BusEvent::Message(BusMessage { topic, payload }));
        Ok(())
    }

    fn subscribe(&self) -> BusReceiver {
        BusReceiver(self.tx.subscribe())
    }

    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }
}

/// The Redis bus: `PUBLISH` on the shared command connection; one `PSUBSCRIBE` connection
/// per node, re-established with backoff whenever it drops.
pub struct RedisBus {
    redis: RedisConn,
    prefix: String,
    tx: broadcast::Sender<BusEvent>,
    subscribed: Arc<AtomicBool>,
}

impl RedisBus {
    /// Starts the node's subscription task and returns the bus.
    pub fn start(redis: RedisConn, prefix: String, tasks: &Tasks) -> Self {
        let tx = broadcast::channel(LOCAL_BUFFER).0;
        let subscribed = Arc::new(AtomicBool::new(false));
        let cancel = tasks.token();
        tasks.spawn(
            "bus-subscriber",
            subscribe_loop(
                redis.client().clone(),
                prefix.clone(),
                tx.clone(),
                subscribed.clone(),
                cancel,
            ),
        );
        Self {
            redis,
            prefix,
            tx,
            subscribed,
        }
    }
}

impl RedisBus {
    /// Waits (at most `within`) until the node's subscription is up, so a node that starts
    /// serving already receives every event published after that. `false` on timeout (the
    /// node still starts; `/readyz` reports the bus down until it connects).
    pub async fn wait_subscribed(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while !self.subscribed.load(Ordering::SeqCst) {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }
}

async fn subscribe_loop(
    client: redis::Client,
    prefix: String,
    tx: broadcast::Sender<BusEvent>,
    subscribed: Arc<AtomicBool>,
    cancel: tokio_util::sync::CancellationToken,
) {
    let pattern = Topic::pattern(&prefix);
    let mut backoff = Duration::from_millis(100);
    let mut first = true;
    loop {
        let connected = tokio::time::timeout(REDIS_TIMEOUT, async {
            let mut ps = client.get_async_pubsub().await?;
            ps.psubscribe(&pattern).await?;
            Ok::<_, redis::RedisError>(ps)
        })
        .await;
        match connected {
            Ok(Ok(ps)) => {
                subscribed.store(true, Ordering::SeqCst);
                backoff = Duration::from_millis(100);
                if first {
                    tracing::info!(pattern = %pattern, "bus subscribed");
                } else {
                    tracing::info!(pattern = %pattern, "bus resubscribed after an outage");
                    metrics::counter!("confab_bus_resubscribed_total").increment(1);
                    let _ = tx.send(BusEvent::Gap);
                }
                first = false;
                let mut stream = ps.into_on_message();
                loop {
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        msg = stream.next() => match msg {
                            Some(msg) => {
                                let Some(topic) = Topic::from_channel(&prefix, msg.get_channel_name()) else {
                                    continue;
                                };
                                let payload = Bytes::copy_from_slice(msg.get_payload_bytes());
                                let _ = tx.send(BusEvent::Message(BusMessage { topic, payload }));
                            }
                            None => break,
                        },
                    }
                }
                subscribed.store(false, Ordering::SeqCst);
                tracing::warn!("bus subscription lost; reconnecting");
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "bus cannot subscribe; retrying"),
            Err(_) => tracing::warn!("bus subscribe timed out; retrying"),
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

#[async_trait]
impl Bus for RedisBus {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn publish(&self, topic: Topic, payload: Bytes) -> Result<(), BusError> {
        let mut conn = self.redis.cmd();
        redis::cmd("PUBLISH")
            .arg(topic.channel(&self.prefix))
            .arg(payload.as_ref())
            .query_async::<i64>(&mut conn)
            .await
            .map(|_| ())
            .map_err(BusError::Unavailable)
    }

    /// One pipeline on the command connection: Redis runs its `PUBLISH`es in order, and the
    /// publisher waits one round trip per batch instead of one per message.
    async fn publish_many(&self, events: Vec<(Topic, Bytes)>) -> Result<(), BusError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for (topic, payload) in &events {
            pipe.cmd("PUBLISH")
                .arg(topic.channel(&self.prefix))
                .arg(payload.as_ref())
                .ignore();
        }
        let mut conn = self.redis.cmd();
        pipe.query_async::<()>(&mut conn)
            .await
            .map_err(BusError::Unavailable)
    }

    fn subscribe(&self) -> BusReceiver {
        BusReceiver(self.tx.subscribe())
    }

    async fn ping(&self) -> Result<(), BusError> {
        let mut conn = self.redis.cmd();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map_err(BusError::Unavailable)?;
        if self.subscribed.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(BusError::NotSubscribed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_round_trip() {
        for t in [
            Topic::User(UserId(42)),
            Topic::Conversation(ConversationId(7)),
            Topic::Everyone,
            Topic::Control,
            Topic::Session(SessionId(9)),
        ] {
            assert_eq!(Topic::from_channel("p-1", &t.channel("p-1")), Some(t));
            assert_eq!(Topic::from_channel("other", &t.channel("p-1")), None);
        }
        assert_eq!(Topic::from_channel("p", "p:ev:u:-1"), None);
        assert_eq!(Topic::from_channel("p", "p:ev:x:1"), None);
    }
}
