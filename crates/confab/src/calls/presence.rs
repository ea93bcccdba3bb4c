//! Dropped devices and the ring timeout, on every node.
//!
//! A call binds devices (sessions): the caller's from the invite, the callee's from the
//! accept, each group participant's from the join. When a device's last socket on a node
//! closes, that node marks the device's sides of its live calls away ([`disconnected`]).
//! Every node runs [`spawn_sweeper`]: each tick it reads the live calls, rings out those
//! whose time is up (`missed`), clears the marks of devices with a socket on THIS node (a
//! reconnect, maybe to another node than the one that dropped), and ends the calls whose
//! marked device stayed away past `calls.grace_secs` (an answered call ends `answered`, a
//! ringing one `cancelled`; a group participant is taken out). The transitions are the
//! conditional ones of `lifecycle::finish`, so two nodes sweeping the same call end it once.
//! A tick is at most a quarter of the grace (and 2 s), so a device with a socket anywhere is
//! cleared long before its grace ends.

use std::time::Duration;

use chrono::{DateTime, Utc};
use confab_proto::calls::{CallKind, CallOutcome, CallState};
use confab_proto::ids::{CallId, SessionId, UserId};

use super::lifecycle::finish;
use super::model::user_line;
use super::store::{self, Call};
use crate::state::AppState;

/// The most live calls one tick looks at.
const SWEEP_BATCH: u64 = 500;

/// A socket of `session` closed on this node: if no other socket of that device is open here
/// and the user is in a call, the device's grace begins.
pub async fn disconnected(state: &AppState, user: UserId, session: SessionId) {
    if state.push.registry.connections_of_session(session) > 0 {
        return;
    }
    let call = match store::line_of(state.store.reader(), &user_line(user)).await {
        Ok(Some(call)) => call,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, %user, "cannot read call lines");
            return;
        }
    };
    let now = state.clock.now();
    let db = state.store.writer();
    if let Err(e) = store::mark_away(db, call, session, now).await {
        tracing::warn!(error = %e, %user, "cannot mark a call device away");
    }
    if let Err(e) = store::participant_away(db, call, session, now).await {
        tracing::warn!(error = %e, %user, "cannot mark a call participant away");
    }
}

/// A socket of `session` authenticated on this node: its away marks go at once (the
/// sweeper would clear them within a tick anyway).
pub async fn connected(state: &AppState, user: UserId, session: SessionId) {
    match store::line_of(state.store.reader(), &user_line(user)).await {
        Ok(Some(call)) => back(state, call, session).await,
        Ok(None) => {}
        Err(e) => tracing::debug!(error = %e, %user, "cannot read call lines"),
    }
}

async fn back(state: &AppState, call: CallId, session: SessionId) {
    let db = state.store.writer();
    if let Err(e) = store::mark_back(db, call, session).await {
        tracing::warn!(error = %e, "cannot clear a call device's away mark");
    }
    if let Err(e) = store::participant_back(db, call, session).await {
        tracing::warn!(error = %e, "cannot clear a call participant's away mark");
    }
}

/// Whether a device marked away at `since` is past the grace at `now`.
fn gone(state: &AppState, since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    let grace =
        chrono::Duration::seconds(i64::try_from(state.config.calls.grace_secs).unwrap_or(0));
    since.is_some_and(|t| t + grace <= now)
}

/// One sweep (see the module doc).
pub async fn sweep(state: &AppState) {
    let live = match store::list_live(state.store.reader(), SWEEP_BATCH).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "call sweep skipped");
            return;
        }
    };
    for call in live {
        let done = match call.kind {
            CallKind::Direct => sweep_direct(state, call).await,
            CallKind::Group => sweep_group(state, call).await,
        };
        if let Err(e) = done {
            tracing::warn!(error = %e, "call sweep step failed");
        }
    }
}

async fn sweep_direct(state: &AppState, call: Call) -> Result<(), crate::error::ApiError> {
    let call = super::direct::expire(state, call).await?;
    if call.state == CallState::Ended {
        return Ok(());
    }
    let now = state.clock.now();
    let sides = [
        (
            Some(call.caller_session),
            call.caller_away_at,
            call.caller_id,
        ),
        (
            call.callee_session,
            call.callee_away_at,
            call.callee_id.unwrap_or(call.caller_id),
        ),
    ];
    for (session, away, user) in sides {
        let (Some(session), Some(_)) = (session, away) else {
            continue;
        };
        if state.push.registry.connections_of_session(session) > 0 {
            back(state, call.id, session).await;
        } else if gone(state, away, now) {
            let outcome = match call.state {
                CallState::Active => CallOutcome::Answered,
                _ => CallOutcome::Cancelled,
            };
            finish(state, &call, call.state, outcome, Some(user)).await?;
            return Ok(());
        }
    }
    Ok(())
}

async fn sweep_group(state: &AppState, call: Call) -> Result<(), crate::error::ApiError> {
    let now = state.clock.now();
    for p in store::present(state.store.reader(), call.id).await? {
        if p.away_at.is_none() {
            continue;
        }
        if state.push.registry.connections_of_session(p.session_id) > 0 {
            back(state, call.id, p.session_id).await;
        } else if gone(state, p.away_at, now) {
            match super::group::take_out(state, &call, p.user_id).await {
                Ok(()) => {}
                // Left meanwhile (on this node or another).
                Err(e) if e.code() == confab_proto::ErrorCode::NotInCall => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Starts this node's call sweeper.
pub fn spawn_sweeper(state: &AppState) {
    let st = state.clone();
    let cancel = state.tasks.token();
    let quarter = Duration::from_millis(state.config.calls.grace_secs.saturating_mul(250));
    let period = quarter.clamp(Duration::from_millis(250), Duration::from_secs(2));
    state.tasks.spawn("call-sweep", async move {
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
