//! Dropped connections: a user whose last socket closes keeps their place (and seat) for
//! `rooms.grace_secs`; a reconnect within it keeps both, and after it they leave the room
//! (`room.member_left` with reason `disconnected`).
//!
//! How it holds across nodes: the node where the last socket closed marks the user away
//! ([`disconnected`]). Every node runs [`spawn_sweeper`]: each tick it reads the (short) list
//! of users marked away, clears the mark of those with a socket on THIS node (a reconnect,
//! or a device on another node than the one that dropped), and takes out those whose mark
//! is older than the grace. A tick is at most a quarter of the grace (and 2 s), so a user
//! with a socket anywhere is cleared long before their grace ends.

use std::time::Duration;

use confab_proto::ids::UserId;
use confab_proto::rooms::LeaveReason;

use super::store;
use crate::state::AppState;

/// The most away users one tick looks at.
const SWEEP_BATCH: u64 = 500;

/// The user's last socket on this node closed: if they are in a room, their grace begins.
pub async fn disconnected(state: &AppState, user: UserId) {
    let db = state.store.reader();
    match store::presence::find(db, user).await {
        Ok(Some(p)) if p.away_since.is_none() => {
            if let Err(e) =
                store::presence::mark_away(state.store.writer(), user, state.clock.now()).await
            {
                tracing::warn!(error = %e, %user, "cannot mark a room member away");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, %user, "cannot read room presence"),
    }
}

/// One sweep: clear the marks of users connected here, remove those past the grace.
pub async fn sweep(state: &AppState) {
    let away = match store::presence::list_away(state.store.reader(), SWEEP_BATCH).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "room grace sweep skipped");
            return;
        }
    };
    let grace = chrono::Duration::seconds(state.config.rooms.grace_secs as i64);
    let now = state.clock.now();
    let mut back = Vec::new();
    for p in away {
        if state.push.registry.connections_of(p.user_id) > 0 {
            back.push(p.user_id);
        } else if p.away_since.is_some_and(|t| t + grace <= now) {
            let left = super::service::leave_quietly(
                state,
                p.room_id,
                p.user_id,
                LeaveReason::Disconnected,
            )
            .await;
            if let Err(e) = left {
                tracing::warn!(error = %e, user = %p.user_id, "cannot take a disconnected user out of a room");
            }
        }
    }
    if let Err(e) = store::presence::mark_back(state.store.writer(), &back).await {
        tracing::warn!(error = %e, "cannot clear room away marks");
    }
}

/// Starts this node's grace sweeper.
pub fn spawn_sweeper(state: &AppState) {
    let st = state.clone();
    let cancel = state.tasks.token();
    let quarter = Duration::from_millis(state.config.rooms.grace_secs.saturating_mul(250));
    let period = quarter.clamp(Duration::from_millis(250), Duration::from_secs(2));
    state.tasks.spawn("room-grace-sweep", async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = st.shutdown.cancelled() => return,
                _ = tick.tick() => sweep(&st).await,
            }
        }
    });
}

/// A socket of `user` authenticated on this node: if they are marked away in a room, the
/// mark goes at once (the sweeper would clear it within a tick anyway; this closes the gap
/// for a reconnect on another node just before the grace ends).
pub async fn connected(state: &AppState, user: UserId) {
    match store::presence::find(state.store.reader(), user).await {
        Ok(Some(p)) if p.away_since.is_some() => {
            if let Err(e) = store::presence::mark_back(state.store.writer(), &[user]).await {
                tracing::warn!(error = %e, %user, "cannot clear a room away mark");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::debug!(error = %e, %user, "cannot read room presence"),
    }
}
