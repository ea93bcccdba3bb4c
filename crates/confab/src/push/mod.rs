//! The push layer: how a committed change reaches sockets. It sits under every feature and
//! above the ports: features publish typed events here ([`publish`], [`emit`]), and the
//! gateway (on top) registers sockets in the node-local [`Registry`] and feeds it from the
//! node's one bus subscription.
//!
//! # Invariants
//! - An event is encoded once ([`encode`]) and the same bytes go to every recipient, on
//!   every node.
//! - Persist, then publish: call [`publish`] after the change is committed. Push is an
//!   optimisation; the store is the truth, and clients repair a lost push by sync.
//! - Node-to-node control messages ([`control`]) are applied on the publishing node at once
//!   and on every other node when they arrive; features subscribe to them by registering a
//!   [`ControlHandler`] at start-up, so this layer never names a feature.
//!
//! # Calls
//! Ports (`infra`), `state`, `rulecache` (the send-rule epoch a control message moves).
//! Nothing here imports a feature or the gateway.

pub mod control;
pub mod envelope;
pub mod registry;
pub mod trail;

use std::sync::{Arc, RwLock};

use bytes::Bytes;
use confab_proto::ws::{ServerEvent, ServerFrame};

use crate::infra::bus::{BusError, Topic};
use crate::state::AppState;

pub use control::{Control, ControlHandler};
pub use registry::Registry;

/// The push layer's per-node state: the socket registry, the local control channel and the
/// features' control handlers.
pub struct Push {
    /// The WebSocket sockets open on this node.
    pub registry: Arc<Registry>,
    /// Control messages applied on this node (the gateway listens to close revoked
    /// sessions' sockets).
    control: tokio::sync::broadcast::Sender<Control>,
    /// Registered at start-up; read on every control message.
    handlers: RwLock<Vec<Arc<dyn ControlHandler>>>,
    /// What this node pushed, for message trails.
    pub trails: trail::Trails,
}

impl Push {
    /// An empty registry with no handlers.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            registry: Registry::new(),
            control: tokio::sync::broadcast::channel(1024).0,
            handlers: RwLock::new(Vec::new()),
            trails: trail::Trails::default(),
        })
    }

    /// Adds a feature's control handler (at start-up).
    pub fn on_control(&self, handler: Arc<dyn ControlHandler>) {
        match self.handlers.write() {
            Ok(mut list) => list.push(handler),
            Err(poisoned) => poisoned.into_inner().push(handler),
        }
    }

    /// The handlers, cloned out so no lock is held across their `.await`s.
    fn handlers(&self) -> Vec<Arc<dyn ControlHandler>> {
        match self.handlers.read() {
            Ok(list) => list.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// A receiver of the control messages applied on this node from now on.
    pub fn subscribe_control(&self) -> tokio::sync::broadcast::Receiver<Control> {
        self.control.subscribe()
    }
}

/// Encodes a server frame once, as shared immutable bytes.
pub fn encode(event: &ServerEvent, id: Option<String>) -> Option<Bytes> {
    let frame = ServerFrame {
        event: event.clone(),
        id,
    };
    match serde_json::to_vec(&frame) {
        Ok(v) => Some(Bytes::from(v)),
        Err(e) => {
            tracing::error!(error = %e, kind = event.kind(), "cannot encode server frame");
            None
        }
    }
}

/// Pushes `event` to every socket `topic` addresses, on every node. Call it after the
/// change is committed (persist, then publish); a lost push is repaired by the client's
/// sync, never the other way round.
pub async fn publish(state: &AppState, topic: Topic, event: &ServerEvent) -> Result<(), BusError> {
    match encode(event, None) {
        Some(bytes) => state.bus.publish(topic, bytes).await,
        None => Ok(()),
    }
}

/// [`publish`], best-effort: a failure is logged, never returned (the store already holds
/// the truth; clients catch up by sync).
pub async fn emit(state: &AppState, topic: Topic, event: &ServerEvent) {
    if let Err(e) = publish(state, topic, event).await {
        tracing::warn!(error = %e, kind = event.kind(), "event not pushed; clients catch up by sync");
    }
}
