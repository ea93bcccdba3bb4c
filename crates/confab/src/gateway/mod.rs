//! The real-time gateway: WebSocket sessions at `GET /api/v1/ws`, the node-local socket
//! registry, fan-out from the bus, presence, and closing revoked sessions.
//! The protocol is written up in `docs/protocol.md`; its wire types are
//! `confab_proto::ws`.
//!
//! # Layout
//! - [`api`]: the upgrade route and the presence endpoints.
//! - [`session`]: one socket — authentication, the reader loop, the writer task.
//! - [`registry`]: user/session/conversation → local sockets, and fan-out.
//! - [`presence`]: online/offline across the cluster, and the audience hook.
//!
//! # Invariants
//! - One bus subscription per node ([`spawn`] takes a local receiver of it), never one per
//!   socket.
//! - An event is encoded once ([`publish`]) and the same bytes are queued to every
//!   recipient; fan-out never awaits a socket: a full queue closes that socket with 1013
//!   "resync".
//! - Each socket has one reader loop and one writer task draining a bounded queue.
//! - Revoked sessions lose their sockets at once, on every node (`Control::SessionsRevoked`
//!   arrives on `state.control` for local and remote revocations alike).
//!
//! # Calls
//! The gateway may call `accounts::auth` (to authenticate) and `social::service` (who is in
//! a user's presence audience: friends, minus blocks). Other features call the gateway,
//! never the other way round: [`publish`] to push an event (after the change is persisted:
//! push is an optimisation, the store is the truth), and the [`registry::Registry`]
//! conversation hook for membership.

pub mod api;
pub mod presence;
pub mod registry;
pub mod session;

use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;
use confab_proto::ws::{ResyncData, ServerEvent, ServerFrame, close_code};

use crate::events::Control;
use crate::infra::bus::{BusError, BusEvent, Topic};
use crate::state::AppState;

pub use registry::Registry;

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

/// Starts the node's gateway task: it feeds the registry from the node's bus subscription,
/// closes the sockets of revoked sessions and closes every socket with 1001 at shutdown;
/// and a second task that refreshes presence every heartbeat.
pub fn spawn(state: AppState) {
    let mut bus = state.bus.subscribe();
    let mut control = state.control.subscribe();
    let cancel = state.tasks.token();
    let st = state.clone();
    state.tasks.spawn("gateway", async move {
        loop {
            tokio::select! {
                _ = st.shutdown.cancelled() => {
                    st.gateway.close_all(close_code::GOING_AWAY, "going away");
                    return;
                }
                _ = cancel.cancelled() => {
                    st.gateway.close_all(close_code::GOING_AWAY, "going away");
                    return;
                }
                ev = bus.recv() => match ev {
                    None => return,
                    Some(BusEvent::Message(m)) => {
                        if m.topic == Topic::Control {
                            continue;
                        }
                        // Validated once per node per event, then shared by every socket.
                        match Utf8Bytes::try_from(m.payload) {
                            Ok(frame) => {
                                st.gateway.deliver(m.topic, &frame);
                            }
                            Err(_) => tracing::warn!("bus event is not UTF-8; dropped"),
                        }
                    }
                    Some(BusEvent::Gap) => {
                        let hint = ServerEvent::Resync(ResyncData { reason: "gap".into() });
                        if let Some(frame) = encode(&hint, None).and_then(|b| Utf8Bytes::try_from(b).ok()) {
                            st.gateway.deliver(Topic::Everyone, &frame);
                        }
                    }
                },
                msg = control.recv() => match msg {
                    Ok(Control::SessionsRevoked { session_ids, .. }) => {
                        session::close_revoked(&st, &session_ids);
                    }
                    // Applied by `events` itself, in order with the publisher.
                    Ok(
                        Control::MembersChanged { .. }
                        | Control::SensitiveWordsChanged
                        | Control::SendRulesChanged,
                    ) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        // A missed revocation still holds for HTTP (the session check); its
                        // sockets stay until they reconnect. Rare: the channel holds 1024.
                        tracing::warn!(missed = n, "gateway missed control messages");
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    });
    // Apart from fan-out, so a slow cache never delays delivery.
    let st = state.clone();
    let cancel = state.tasks.token();
    state.tasks.spawn("presence-refresh", async move {
        let period = Duration::from_secs(st.config.gateway.heartbeat_secs);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = st.shutdown.cancelled() => return,
                _ = tick.tick() => presence::refresh(&st).await,
            }
        }
    });
}
