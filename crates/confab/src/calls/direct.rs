//! 1:1 calls in a direct chat: invite (ringing every device of the callee), accept on one
//! device, decline, cancel, hang up, time out; busy when the callee is in another call.
//!
//! Who may ring whom is the direct chat's send rule (social's: blocks and the friends
//! policy), asked through messaging as for a message. The caller's and the callee's lines
//! (`call_lines`) are taken in the invite's transaction, so a user is in at most one call
//! on every node: the caller's taken line is `in_call`, the callee's a `busy` record.

use confab_proto::calls::{CallKind, CallMedia, CallOut, CallOutcome, CallState, InviteIn};
use confab_proto::ids::{CallId, ConversationId, UserId};
use confab_proto::ws::ServerEvent;
use sea_orm::TransactionTrait;

use super::error::CallsError;
use super::lifecycle::{db_err, event, finish, load};
use super::model::{call_out, record_body, rung_out, user_line};
use super::store::{self, Call};
use crate::accounts::auth::AuthUser;
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::messaging::window;
use crate::state::AppState;

/// How many times an invite that lost a race for a line is retried (it then reads the line
/// and answers `in_call` or busy).
const LINE_RACE_RETRIES: usize = 3;

/// Rings `input.callee_id` (see the module doc). A busy callee ends the call at once with a
/// `busy` record; the answer is the call either way.
pub async fn invite(state: &AppState, me: AuthUser, input: InviteIn) -> Result<CallOut, ApiError> {
    if input.callee_id == me.user_id {
        return Err(CallsError::ToSelf.into());
    }
    let conv = crate::messaging::service::open_direct(state, me.user_id, input.callee_id)
        .await?
        .id;
    crate::messaging::service::check_may_post(state, me.user_id, conv).await?;
    let mut attempt = 0;
    let call = loop {
        match place(state, me, input.callee_id, conv, input.media).await {
            Err(e) if e.is_unique_violation() && attempt < LINE_RACE_RETRIES => attempt += 1,
            other => break other?,
        }
    };
    if call.state == CallState::Ringing {
        let ev = ServerEvent::CallRinging(Box::new(event(&call, None, None)));
        crate::push::emit(state, Topic::User(input.callee_id), &ev).await;
    }
    Ok(call_out(&call, Vec::new()))
}

/// The invite's transaction: the conversation's lock, the lines, the call row (and, when the
/// callee is busy, the ended call and its record).
async fn place(
    state: &AppState,
    me: AuthUser,
    callee: UserId,
    conv: ConversationId,
    media: CallMedia,
) -> Result<Call, ApiError> {
    let now = state.clock.now();
    let txn = state.store.writer().begin().await.map_err(db_err)?;
    let mut lock = window::lock(&txn, conv)
        .await
        .map_err(db_err)?
        .ok_or(CallsError::NoCall)?;
    if store::line_of(&txn, &user_line(me.user_id))
        .await?
        .is_some()
    {
        return Err(CallsError::InCall.into());
    }
    let busy = store::line_of(&txn, &user_line(callee)).await?.is_some();
    let mut call = Call {
        id: CallId(state.ids.next_id()),
        kind: CallKind::Direct,
        media,
        conversation_id: conv,
        caller_id: me.user_id,
        callee_id: Some(callee),
        state: CallState::Ringing,
        outcome: None,
        created_at: now,
        answered_at: None,
        ended_at: None,
        ended_by: None,
        caller_session: me.session_id,
        callee_session: None,
        caller_away_at: None,
        callee_away_at: None,
    };
    if !busy {
        store::take_line(&txn, &user_line(me.user_id), call.id, now).await?;
        store::take_line(&txn, &user_line(callee), call.id, now).await?;
        store::insert(&txn, &call).await?;
        txn.commit().await.map_err(db_err)?;
        metrics::counter!("confab_calls_placed_total").increment(1);
        return Ok(call);
    }
    call.state = CallState::Ended;
    call.outcome = Some(CallOutcome::Busy);
    call.ended_at = Some(now);
    store::insert(&txn, &call).await?;
    let m = window::append_call(
        &txn,
        &state.ids,
        &mut lock,
        me.user_id,
        &record_body(&call, 0),
        now,
    )
    .await
    .map_err(db_err)?;
    store::set_record(&txn, call.id, m.seq).await?;
    txn.commit().await.map_err(db_err)?;
    metrics::counter!("confab_calls_ended_total", "outcome" => "busy").increment(1);
    let new = ServerEvent::MessageNew(crate::messaging::service::message_out(&m));
    crate::push::emit(state, Topic::Conversation(conv), &new).await;
    let ev = ServerEvent::CallEnded(Box::new(event(&call, None, None)));
    crate::push::emit(state, Topic::User(me.user_id), &ev).await;
    Ok(call)
}

/// A 1:1 call of mine (404 for anyone else), rung out first if its time is up.
pub async fn mine(state: &AppState, me: UserId, id: CallId) -> Result<Call, ApiError> {
    let call = load(state, id).await?;
    if call.caller_id != me && call.callee_id != Some(me) {
        return Err(CallsError::NoCall.into());
    }
    if call.kind != CallKind::Direct {
        return Err(CallsError::WrongKind.into());
    }
    expire(state, call).await
}

/// Ends a ringing call whose time is up (`missed`) and answers the call as it is now. The
/// sweeper does this too; doing it on read makes the timeout exact whatever the tick.
pub async fn expire(state: &AppState, call: Call) -> Result<Call, ApiError> {
    let timeout = state.config.calls.ring_timeout_secs;
    if call.state != CallState::Ringing || !rung_out(call.created_at, state.clock.now(), timeout) {
        return Ok(call);
    }
    match finish(state, &call, CallState::Ringing, CallOutcome::Missed, None).await? {
        Some(ended) => Ok(ended),
        None => load(state, call.id).await,
    }
}

/// Answers a call ringing me, on this device: the caller's devices get `call.accepted`, mine
/// `call.answered_elsewhere` (the others stop ringing). A second answer is `call_over`.
pub async fn accept(state: &AppState, me: AuthUser, id: CallId) -> Result<CallOut, ApiError> {
    let call = mine(state, me.user_id, id).await?;
    if call.callee_id != Some(me.user_id) {
        return Err(CallsError::NotCallee.into());
    }
    if call.state != CallState::Ringing
        || !store::answer(state.store.writer(), id, me.session_id, state.clock.now()).await?
    {
        return Err(CallsError::Over.into());
    }
    let call = load(state, id).await?;
    let data = event(&call, Some(me.session_id), None);
    let accepted = ServerEvent::CallAccepted(Box::new(data.clone()));
    crate::push::emit(state, Topic::User(call.caller_id), &accepted).await;
    let elsewhere = ServerEvent::CallAnsweredElsewhere(Box::new(data));
    crate::push::emit(state, Topic::User(me.user_id), &elsewhere).await;
    Ok(call_out(&call, Vec::new()))
}

/// Declines a call ringing me (`declined`).
pub async fn decline(state: &AppState, me: UserId, id: CallId) -> Result<CallOut, ApiError> {
    let call = mine(state, me, id).await?;
    if call.callee_id != Some(me) {
        return Err(CallsError::NotCallee.into());
    }
    end_as(state, call, CallState::Ringing, CallOutcome::Declined, me).await
}

/// Gives up on my ringing call (`cancelled`).
pub async fn cancel(state: &AppState, me: UserId, id: CallId) -> Result<CallOut, ApiError> {
    let call = mine(state, me, id).await?;
    if call.caller_id != me {
        return Err(CallsError::NotCaller.into());
    }
    end_as(state, call, CallState::Ringing, CallOutcome::Cancelled, me).await
}

/// Hangs up, from either side: an answered call ends `answered`; a ringing one is a
/// cancel (caller) or a decline (callee).
pub async fn hangup(state: &AppState, me: UserId, id: CallId) -> Result<CallOut, ApiError> {
    let call = mine(state, me, id).await?;
    let outcome = match call.state {
        CallState::Active => CallOutcome::Answered,
        CallState::Ringing if call.caller_id == me => CallOutcome::Cancelled,
        CallState::Ringing => CallOutcome::Declined,
        CallState::Ended => return Err(CallsError::Over.into()),
    };
    let from = call.state;
    end_as(state, call, from, outcome, me).await
}

async fn end_as(
    state: &AppState,
    call: Call,
    from: CallState,
    outcome: CallOutcome,
    me: UserId,
) -> Result<CallOut, ApiError> {
    if call.state != from {
        return Err(CallsError::Over.into());
    }
    match finish(state, &call, from, outcome, Some(me)).await? {
        Some(ended) => Ok(call_out(&ended, Vec::new())),
        None => Err(CallsError::Over.into()),
    }
}
