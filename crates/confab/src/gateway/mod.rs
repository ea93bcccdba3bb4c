//! The real-time gateway: WebSocket sessions at `GET /api/v1/ws`, feeding the push layer's
//! node-local socket registry from the bus, and closing revoked sessions.
//! The protocol is written up in `docs/protocol.md`; its wire types are
//! `confab_proto::ws`.
//!
//! # Layout
//! - [`api`]: the upgrade route.
//! - [`session`]: one socket — authentication, the reader loop, commands.
//! - `ready`: the `ready` answer, with the sync a connect asked for (subscribe, then
//!   snapshot).
//! - `writer`: one socket's writer task; `bucket`: its frame rate limit.
//!
//! The socket registry and event encoding are the push layer's (`crate::push`); presence is
//! social's (`crate::social::presence`), since who sees whom is a social rule.
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
//! The gateway sits on top: it may call features for socket commands (`accounts::auth` to
//! authenticate, `messaging` for sends, marks and typing, `social::presence`, `calls` for
//! the `call.signal` relay and a device's sockets coming and going), never the
//! other way round. Features push events through `crate::push`.

pub mod api;
mod bucket;
mod ready;
pub mod session;
mod writer;

use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use confab_proto::ws::{ResyncData, ServerEvent, close_code};

use crate::infra::bus::{BusEvent, Topic};
use crate::push::{Control, encode, envelope};
use crate::state::AppState;
use crate::telemetry::{TRACE_TARGET, trace};

/// Hands one bus event to this node's sockets. A `message.new` arrives in an envelope
/// (`push::envelope`): its push is recorded for the message's trail and, when its trace is
/// sampled, is a `push` span continuing the sender's trace.
fn deliver(st: &AppState, topic: Topic, payload: bytes::Bytes) {
    let opened = envelope::open(payload);
    // Validated once per node per event, then shared by every socket.
    let Ok(frame) = Utf8Bytes::try_from(opened.frame) else {
        tracing::warn!("bus event is not UTF-8; dropped");
        return;
    };
    let span = match &opened.traceparent {
        Some(tp) if trace::enabled() => {
            let span = tracing::trace_span!(
                target: TRACE_TARGET,
                "push",
                node = st.ids.node(),
                sockets = tracing::field::Empty
            );
            trace::continue_from(&span, tp);
            span
        }
        _ => tracing::Span::none(),
    };
    let sockets = st.push.registry.deliver(topic, &frame);
    span.record("sockets", sockets);
    if let Some(id) = opened.message {
        // Wall-clock time, like the message id's own timestamp the trail is read by.
        let at = chrono::Utc::now().timestamp_millis();
        st.push.trails.pushed(id, at, sockets);
    }
}

/// Starts the node's gateway task: it feeds the registry from the node's bus subscription,
/// closes the sockets of revoked sessions and closes every socket with 1001 at shutdown;
/// and a second task that refreshes presence every heartbeat.
pub fn spawn(state: AppState) {
    let mut bus = state.bus.subscribe();
    let mut control = state.push.subscribe_control();
    let cancel = state.tasks.token();
    let st = state.clone();
    state.tasks.spawn("gateway", async move {
        loop {
            tokio::select! {
                _ = st.shutdown.cancelled() => {
                    st.push.registry.close_all(close_code::GOING_AWAY, "going away");
                    return;
                }
                _ = cancel.cancelled() => {
                    st.push.registry.close_all(close_code::GOING_AWAY, "going away");
                    return;
                }
                ev = bus.recv() => match ev {
                    None => return,
                    Some(BusEvent::Message(m)) => {
                        if m.topic == Topic::Control {
                            continue;
                        }
                        deliver(&st, m.topic, m.payload);
                    }
                    Some(BusEvent::Gap) => {
                        let hint = ServerEvent::Resync(ResyncData { reason: "gap".into() });
                        if let Some(frame) = encode(&hint, None).and_then(|b| Utf8Bytes::try_from(b).ok()) {
                            st.push.registry.deliver(Topic::Everyone, &frame);
                        }
                    }
                },
                msg = control.recv() => match msg {
                    Ok(Control::SessionsRevoked { session_ids, .. }) => {
                        session::close_revoked(&st, &session_ids);
                    }
                    // Only revocations are sent to this channel (`push::control`).
                    Ok(_) => {}
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
                _ = tick.tick() => crate::social::presence::refresh(&st).await,
            }
        }
    });
}
