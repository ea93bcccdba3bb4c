//! Node-to-node control messages on the bus's `Control` topic (never sent to sockets), and
//! the listener that applies them on every node. The push layer applies what it owns (the
//! registry's conversation index, the send-rule epoch); features apply the rest through the
//! [`ControlHandler`] they register at start-up.

use async_trait::async_trait;
use bytes::Bytes;
use confab_proto::ids::{ConversationId, SessionId, UserId};
use serde::{Deserialize, Serialize};

use crate::infra::bus::{BusEvent, Topic};
use crate::state::AppState;

/// A control message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Control {
    /// These sessions were revoked: forget cached checks, close their sockets.
    SessionsRevoked {
        /// Their user.
        user_id: UserId,
        /// The sessions.
        session_ids: Vec<SessionId>,
    },
    /// A conversation's active members changed: nodes update their fan-out index for the
    /// users who have sockets there.
    MembersChanged {
        /// The conversation.
        conversation_id: ConversationId,
        /// New members.
        added: Vec<UserId>,
        /// Members who left or were removed.
        removed: Vec<UserId>,
    },
    /// The admin-managed sensitive words changed: nodes reload them and rebuild the filter.
    SensitiveWordsChanged,
    /// A rule the send path checks changed (a group's members, roles or mutes, a
    /// friendship, a block, a site mute): nodes drop their cached rule rows (`rulecache`).
    SendRulesChanged,
}

/// A feature's reaction to control messages, registered with `Push::on_control` at
/// start-up. Handlers run in order with the node's publisher, so keep them short.
#[async_trait]
pub trait ControlHandler: Send + Sync {
    /// Applies `msg` on this node.
    async fn apply(&self, state: &AppState, msg: &Control);
    /// The bus subscription had a gap: any control message may have been missed.
    async fn gap(&self, state: &AppState);
    /// Once, when the listener starts (state that changed between start-up's load and the
    /// subscription would otherwise be missed).
    async fn started(&self, state: &AppState) {
        self.gap(state).await;
    }
}

/// Publishes a control message to every node (this one included). The local node also
/// applies it at once, so a revocation holds here even while the bus is down.
pub async fn publish(state: &AppState, msg: Control) {
    apply(state, &msg).await;
    match serde_json::to_vec(&msg) {
        Ok(bytes) => {
            if let Err(e) = state.bus.publish(Topic::Control, Bytes::from(bytes)).await {
                tracing::warn!(error = %e, "control message not published; other nodes catch up within the session-check TTL");
            }
        }
        Err(e) => tracing::error!(error = %e, "cannot encode control message"),
    }
}

async fn apply(state: &AppState, msg: &Control) {
    let push = &state.push;
    match msg {
        // Applied here, synchronously, before the publisher goes on to push anything into
        // the conversation: a channel hop could reorder it after the first event.
        Control::MembersChanged {
            conversation_id,
            added,
            removed,
        } => {
            for user in added {
                if push.registry.connections_of(*user) > 0 {
                    push.registry
                        .add_conversation_member(*conversation_id, *user);
                }
            }
            for user in removed {
                push.registry
                    .remove_conversation_member(*conversation_id, *user);
            }
        }
        Control::SendRulesChanged => state.rules.bump(),
        Control::SessionsRevoked { .. } | Control::SensitiveWordsChanged => {}
    }
    for handler in push.handlers() {
        handler.apply(state, msg).await;
    }
    if matches!(msg, Control::SessionsRevoked { .. }) {
        // Local consumers (the gateway closes the sessions' sockets); none is fine.
        let _ = push.control.send(msg.clone());
    }
}

async fn gap(state: &AppState) {
    // A rule change may have been missed.
    state.rules.bump();
    for handler in state.push.handlers() {
        handler.gap(state).await;
    }
}

/// Applies control messages from other nodes until shutdown; on a bus gap, every handler
/// is told (a message may have been missed).
pub fn spawn_listener(state: AppState) {
    let cancel = state.tasks.token();
    let mut rx = state.bus.subscribe();
    let st = state.clone();
    state.tasks.spawn("control-listener", async move {
        for handler in st.push.handlers() {
            handler.started(&st).await;
        }
        loop {
            let ev = tokio::select! {
                _ = cancel.cancelled() => return,
                ev = rx.recv() => ev,
            };
            match ev {
                None => return,
                Some(BusEvent::Gap) => gap(&st).await,
                Some(BusEvent::Message(m)) if m.topic == Topic::Control => {
                    match serde_json::from_slice::<Control>(&m.payload) {
                        Ok(msg) => apply(&st, &msg).await,
                        Err(e) => tracing::warn!(error = %e, "unreadable control message"),
                    }
                }
                Some(BusEvent::Message(_)) => {}
            }
        }
    });
}
