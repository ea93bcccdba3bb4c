//! The `ready` answer, and with it the sync the connect asked for (`auth` frame `sync`, or
//! `?sync=` on the upgrade): a reconnect in one round trip (issue 20, decision 0033).
//!
//! Subscribe, then snapshot: the socket is registered for fan-out (into a holding queue)
//! before the sync is read, so a message committed after the read is pushed as an event;
//! `ready` is then queued first and the held events after it. An event may repeat a message
//! the snapshot holds (the client deduplicates by seq); none can fall between the two.

use axum::extract::ws::Utf8Bytes;
use confab_proto::ids::ConversationId;
use confab_proto::messaging::SyncQuery;
use confab_proto::ws::{ReadyData, ServerEvent};
use tokio::sync::mpsc;

use super::session::local;
use crate::accounts::auth::AuthUser;
use crate::messaging::service;
use crate::push::registry::{Kill, Registration};
use crate::state::AppState;

/// Registers an authenticated socket with `ready` as its first frame, carrying the answer
/// to `sync` when one was asked for.
pub(super) async fn register(
    state: &AppState,
    user: AuthUser,
    tx: &mpsc::Sender<Utf8Bytes>,
    kill: &Kill,
    conversations: &[ConversationId],
    sync: Option<&SyncQuery>,
) -> Registration {
    let cfg = &state.config.gateway;
    let mut data = ReadyData {
        user_id: user.user_id,
        session_id: user.session_id,
        server_time: state.clock.now(),
        heartbeat_secs: cfg.heartbeat_secs,
        idle_timeout_secs: cfg.idle_timeout_secs,
        max_frame_bytes: cfg.max_frame_bytes,
        sync: None,
    };
    let registry = &state.push.registry;
    let Some(q) = sync else {
        let ready = local(ServerEvent::Ready(data), None);
        let (registration, _) = registry.register(
            user.user_id,
            user.session_id,
            tx.clone(),
            kill.clone(),
            ready,
            conversations,
        );
        return registration;
    };
    // Room for every held frame and `ready` in the socket's own queue.
    let (hold, mut held) = mpsc::channel(cfg.outbound_queue.saturating_sub(1).max(1));
    let (registration, _) = registry.register(
        user.user_id,
        user.session_id,
        hold,
        kill.clone(),
        None,
        conversations,
    );
    match service::sync(state, user.user_id, q).await {
        Ok(out) => data.sync = Some(Box::new(out)),
        Err(e) => tracing::warn!(error = %e, "no sync for ready; the client calls GET /sync"),
    }
    registration.release(tx.clone(), &mut held, local(ServerEvent::Ready(data), None));
    registration
}
