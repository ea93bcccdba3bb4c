//! Node-to-node control messages on the bus's `Control` topic (never sent to sockets), and
//! the listener that applies them on every node.

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
    /// friendship, a block, a site mute): nodes drop their cached rule rows (`rules.rs`).
    SendRulesChanged,
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
    match msg {
        Control::SessionsRevoked { session_ids, .. } => {
            state.auth.sessions.forget(session_ids).await;
            // Local consumers (the gateway closes the sessions' sockets); none is fine.
            let _ = state.control.send(msg.clone());
        }
        // Applied here, synchronously, before the publisher goes on to push anything into
        // the conversation: a channel hop could reorder it after the first event.
        Control::MembersChanged {
            conversation_id,
            added,
            removed,
        } => {
            for user in added {
                if state.gateway.connections_of(*user) > 0 {
                    state
                        .gateway
                        .add_conversation_member(*conversation_id, *user);
                }
            }
            for user in removed {
                state
                    .gateway
                    .remove_conversation_member(*conversation_id, *user);
            }
        }
        // Applied before `publish` returns on this node, so the change holds here at once.
        Control::SensitiveWordsChanged => crate::moderation::service::reload(state).await,
        Control::SendRulesChanged => state.rules.bump(),
    }
}

/// Applies control messages from other nodes until shutdown. On a bus gap, every cached
/// session check is dropped (a revocation may have been missed).
pub fn spawn_listener(state: AppState) {
    let cancel = state.tasks.token();
    let mut rx = state.bus.subscribe();
    let st = state.clone();
    state.tasks.spawn("control-listener", async move {
        // A word-list change between start-up's load and this subscription would be missed.
        crate::moderation::service::reload(&st).await;
        loop {
            let ev = tokio::select! {
                _ = cancel.cancelled() => return,
                ev = rx.recv() => ev,
            };
            match ev {
                None => return,
                Some(BusEvent::Gap) => {
                    st.auth.sessions.forget_all();
                    // So may a rule change have been.
                    st.rules.bump();
                    // A word-list change may have been missed too.
                    crate::moderation::service::reload(&st).await;
                }
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
