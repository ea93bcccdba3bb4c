//! The one way a call ends ([`finish`]) and how its events go out.
//!
//! Ending is one transaction: the conversation's lock first (as every append does), then
//! the conditional `UPDATE … WHERE state = <from>`; only the transition that changed the
//! row goes on to store the record message (kind `call`, the next seq, unread for the
//! others), free the call's lines and take everyone out. A transition that lost the race
//! rolls back and answers `None`, so however accept, decline, cancel, timeouts and drops
//! interleave — on one node or several — a call ends once, with one outcome and one record.

use confab_proto::calls::{CallEventData, CallKind, CallOutcome, CallState};
use confab_proto::ids::{CallId, SessionId, UserId};
use confab_proto::ws::ServerEvent;
use sea_orm::TransactionTrait;

use super::error::CallsError;
use super::model::{call_out, record_body};
use super::store::{self, Call};
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::infra::store::StoreError;
use crate::messaging::window;
use crate::state::AppState;

pub(crate) fn db_err(e: sea_orm::DbErr) -> ApiError {
    StoreError::from(e).into()
}

/// The call `id` as stored (no visibility check).
pub async fn load(state: &AppState, id: CallId) -> Result<Call, ApiError> {
    store::find(state.store.writer(), id)
        .await?
        .ok_or_else(|| CallsError::NoCall.into())
}

/// Ends `call` if it is still in state `from`, with `outcome`; answers the ended call, or
/// `None` when another transition got there first.
pub async fn finish(
    state: &AppState,
    call: &Call,
    from: CallState,
    outcome: CallOutcome,
    by: Option<UserId>,
) -> Result<Option<Call>, ApiError> {
    if from == CallState::Ended {
        return Ok(None);
    }
    let now = state.clock.now();
    let txn = state.store.writer().begin().await.map_err(db_err)?;
    let lock = window::lock(&txn, call.conversation_id)
        .await
        .map_err(db_err)?;
    if !store::end(&txn, call.id, from, outcome, by, now).await? {
        txn.rollback().await.map_err(db_err)?;
        return Ok(None);
    }
    let ended = store::find(&txn, call.id)
        .await?
        .ok_or(CallsError::NoCall)?;
    let message = match lock {
        Some(mut lock) => {
            let people = store::count_ever(&txn, call.id).await?;
            let body = record_body(&ended, people);
            let m = window::append_call(&txn, &state.ids, &mut lock, call.caller_id, &body, now)
                .await
                .map_err(db_err)?;
            store::set_record(&txn, call.id, m.seq).await?;
            Some(m)
        }
        None => None,
    };
    store::free_lines(&txn, call.id).await?;
    store::leave_all(&txn, call.id, now).await?;
    txn.commit().await.map_err(db_err)?;
    metrics::counter!("confab_calls_ended_total", "outcome" => super::store::outcome_str(outcome))
        .increment(1);
    if let Some(m) = &message {
        let new = ServerEvent::MessageNew(crate::messaging::service::message_out(m));
        crate::push::emit(state, Topic::Conversation(call.conversation_id), &new).await;
    }
    super::hooks::notify(state, &call_out(&ended, Vec::new()));
    let ev = ServerEvent::CallEnded(Box::new(event(&ended, None, None)));
    for topic in parties(&ended) {
        crate::push::emit(state, topic, &ev).await;
    }
    Ok(Some(ended))
}

/// Where a call's state events go: both users of a 1:1 call (every device), a group call's
/// conversation.
pub fn parties(c: &Call) -> Vec<Topic> {
    match (c.kind, c.callee_id) {
        (CallKind::Direct, Some(callee)) => vec![Topic::User(c.caller_id), Topic::User(callee)],
        _ => vec![Topic::Conversation(c.conversation_id)],
    }
}

/// An event's data: the call (no participant list), and the device or user it concerns.
pub fn event(c: &Call, session: Option<SessionId>, user: Option<UserId>) -> CallEventData {
    CallEventData {
        call: call_out(c, Vec::new()),
        session_id: session,
        user_id: user,
    }
}

/// The outcome of a call that ends now, from the state it leaves: an answered call (and a
/// group call someone joined) is `answered`; a group call nobody else joined is `missed`.
pub async fn natural_outcome(state: &AppState, c: &Call) -> Result<CallOutcome, ApiError> {
    Ok(match c.kind {
        CallKind::Direct => CallOutcome::Answered,
        CallKind::Group => {
            if store::count_ever(state.store.writer(), c.id).await? >= 2 {
                CallOutcome::Answered
            } else {
                CallOutcome::Missed
            }
        }
    })
}
