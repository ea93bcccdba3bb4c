//! Group calls in a group's or a voice room's chat: start, join, leave, end, and the SFU
//! token a participant joins the media with. Media goes through the SFU (LiveKit), with the
//! same token machinery as voice rooms; Confab keeps who is in the call.
//!
//! A conversation has at most one group call (its `c:` line) and a user is in at most one
//! call of any kind (their `u:` line). Joining and ending take the conversation's lock
//! first, so a join never lands in a call that already ended. The call ends when its
//! starter (or a manager of the conversation: messaging's recall rule) ends it, or when
//! the last participant leaves.

use confab_proto::calls::{CallKind, CallOut, CallOutcome, CallState, StartGroupCallIn};
use confab_proto::ids::{CallId, UserId};
use confab_proto::rooms::MediaTokenOut;
use confab_proto::ws::ServerEvent;
use sea_orm::TransactionTrait;

use super::error::CallsError;
use super::lifecycle::{db_err, event, finish, load, natural_outcome};
use super::model::{call_out, conversation_line, user_line};
use super::store::{self, Call};
use crate::accounts::auth::AuthUser;
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::messaging::model::ConversationKind;
use crate::messaging::window;
use crate::rooms::sfu;
use crate::state::AppState;

/// The SFU room of a group call: `confab-call-{id}` (rooms use `confab-room-{id}`).
pub fn sfu_room(id: CallId) -> String {
    format!("confab-call-{id}")
}

/// Starts a group call in a group's or a room's chat and puts me in it.
pub async fn start(
    state: &AppState,
    me: AuthUser,
    input: StartGroupCallIn,
) -> Result<CallOut, ApiError> {
    let conv = input.conversation_id;
    let kind = crate::messaging::service::check_may_post(state, me.user_id, conv).await?;
    if !matches!(kind, ConversationKind::Group | ConversationKind::Room) {
        return Err(CallsError::NotGroupPlace.into());
    }
    let now = state.clock.now();
    let call = Call {
        id: CallId(state.ids.next_id()),
        kind: CallKind::Group,
        media: input.media,
        conversation_id: conv,
        caller_id: me.user_id,
        callee_id: None,
        state: CallState::Active,
        outcome: None,
        created_at: now,
        answered_at: Some(now),
        ended_at: None,
        ended_by: None,
        caller_session: me.session_id,
        callee_session: None,
        caller_away_at: None,
        callee_away_at: None,
    };
    let txn = state.store.writer().begin().await.map_err(db_err)?;
    window::lock(&txn, conv)
        .await
        .map_err(db_err)?
        .ok_or(CallsError::NoCall)?;
    if store::line_of(&txn, &conversation_line(conv))
        .await?
        .is_some()
    {
        return Err(CallsError::InProgress.into());
    }
    if store::line_of(&txn, &user_line(me.user_id))
        .await?
        .is_some()
    {
        return Err(CallsError::InCall.into());
    }
    store::take_line(&txn, &conversation_line(conv), call.id, now).await?;
    store::take_line(&txn, &user_line(me.user_id), call.id, now).await?;
    store::insert(&txn, &call).await?;
    store::join(&txn, call.id, me.user_id, me.session_id, now).await?;
    txn.commit().await.map_err(|e| conflict(db_err(e)))?;
    metrics::counter!("confab_calls_placed_total").increment(1);
    let ev = ServerEvent::CallStarted(Box::new(event(&call, None, Some(me.user_id))));
    crate::push::emit(state, Topic::Conversation(conv), &ev).await;
    Ok(call_out(&call, vec![me.user_id]))
}

/// A line taken meanwhile by another node: the same answer as if it had been read taken.
fn conflict(e: ApiError) -> ApiError {
    if e.is_unique_violation() {
        CallsError::InProgress.into()
    } else {
        e
    }
}

/// A group call in a conversation I am an active member of (404 otherwise).
async fn visible(state: &AppState, me: UserId, id: CallId) -> Result<Call, ApiError> {
    let call = load(state, id).await?;
    if call.kind != CallKind::Group {
        return Err(CallsError::NoCall.into());
    }
    let (_, member) = crate::messaging::service::membership(state, me, call.conversation_id)
        .await
        .map_err(|_| CallsError::NoCall)?;
    if !member.active() {
        return Err(CallsError::NoCall.into());
    }
    Ok(call)
}

/// The call with who is in it now.
pub async fn get(state: &AppState, me: UserId, id: CallId) -> Result<CallOut, ApiError> {
    let call = visible(state, me, id).await?;
    out(state, &call).await
}

async fn out(state: &AppState, call: &Call) -> Result<CallOut, ApiError> {
    let people = store::present(state.store.writer(), call.id).await?;
    Ok(call_out(call, people.iter().map(|p| p.user_id).collect()))
}

/// Joins a running group call from this device (again from another device: moves there).
pub async fn join(state: &AppState, me: AuthUser, id: CallId) -> Result<CallOut, ApiError> {
    let call = visible(state, me.user_id, id).await?;
    crate::messaging::service::check_may_post(state, me.user_id, call.conversation_id).await?;
    let now = state.clock.now();
    let txn = state.store.writer().begin().await.map_err(db_err)?;
    window::lock(&txn, call.conversation_id)
        .await
        .map_err(db_err)?;
    let now_call = store::find(&txn, id).await?.ok_or(CallsError::NoCall)?;
    if now_call.state != CallState::Active {
        return Err(CallsError::Over.into());
    }
    match store::line_of(&txn, &user_line(me.user_id)).await? {
        Some(other) if other != id => return Err(CallsError::InCall.into()),
        Some(_) => {}
        None => store::take_line(&txn, &user_line(me.user_id), id, now).await?,
    }
    store::join(&txn, id, me.user_id, me.session_id, now).await?;
    txn.commit().await.map_err(db_err)?;
    let ev = ServerEvent::CallParticipantJoined(Box::new(event(
        &now_call,
        Some(me.session_id),
        Some(me.user_id),
    )));
    crate::push::emit(state, Topic::Conversation(call.conversation_id), &ev).await;
    out(state, &now_call).await
}

/// Leaves a group call; the last one out ends it.
pub async fn leave(state: &AppState, me: UserId, id: CallId) -> Result<CallOut, ApiError> {
    let call = visible(state, me, id).await?;
    take_out(state, &call, me).await?;
    let call = load(state, id).await?;
    out(state, &call).await
}

/// Takes `user` out of a live group call (leave, or a drop past the grace); ends the call
/// when nobody is left.
pub async fn take_out(state: &AppState, call: &Call, user: UserId) -> Result<(), ApiError> {
    let now = state.clock.now();
    let txn = state.store.writer().begin().await.map_err(db_err)?;
    window::lock(&txn, call.conversation_id)
        .await
        .map_err(db_err)?;
    if !store::leave(&txn, call.id, user, now).await? {
        return Err(CallsError::NotInCall.into());
    }
    store::free_line(&txn, &user_line(user), call.id).await?;
    let left = store::present(&txn, call.id).await?;
    txn.commit().await.map_err(db_err)?;
    let ev = ServerEvent::CallParticipantLeft(Box::new(event(call, None, Some(user))));
    crate::push::emit(state, Topic::Conversation(call.conversation_id), &ev).await;
    if left.is_empty() {
        let outcome = natural_outcome(state, call).await?;
        finish(state, call, CallState::Active, outcome, Some(user)).await?;
    }
    Ok(())
}

/// Ends a group call for everyone: its starter, or a manager of the conversation.
pub async fn end(state: &AppState, me: UserId, id: CallId) -> Result<CallOut, ApiError> {
    let call = visible(state, me, id).await?;
    if call.caller_id != me
        && !crate::messaging::actions::may_manage(state, me, call.conversation_id, call.caller_id)
            .await?
    {
        return Err(CallsError::NotManager.into());
    }
    if call.state != CallState::Active {
        return Err(CallsError::Over.into());
    }
    let outcome = natural_outcome(state, &call).await?;
    match finish(state, &call, CallState::Active, outcome, Some(me)).await? {
        Some(ended) => Ok(call_out(&ended, Vec::new())),
        None => Err(CallsError::Over.into()),
    }
}

/// An SFU token for a participant of a live group call: publish the microphone (and the
/// camera in a video call), subscribe to the others.
pub async fn token(state: &AppState, me: UserId, id: CallId) -> Result<MediaTokenOut, ApiError> {
    let call = visible(state, me, id).await?;
    if call.state != CallState::Active {
        return Err(CallsError::Over.into());
    }
    let people = store::present(state.store.writer(), id).await?;
    if !people.iter().any(|p| p.user_id == me) {
        return Err(CallsError::NotInCall.into());
    }
    let room = sfu_room(id);
    let grant = sfu::Grant {
        room: &room,
        identity: me,
        name: None,
        can_publish: true,
    };
    let sources: &[&str] = match call.media {
        confab_proto::calls::CallMedia::Audio => &["microphone"],
        confab_proto::calls::CallMedia::Video => &["microphone", "camera"],
    };
    let t = match sfu::mint_with_sources(&state.config.media, state.clock.now(), &grant, sources) {
        Ok(t) => t,
        Err(sfu::SfuError::NotConfigured) => return Err(CallsError::MediaUnavailable.into()),
        Err(e) => return Err(ApiError::internal(e)),
    };
    Ok(MediaTokenOut {
        url: t.url,
        sfu_room: room,
        token: t.token,
        can_publish: true,
        expires_at: t.expires_at,
    })
}

/// The outcome a group call gets when it ends now (for the sweeper).
pub async fn outcome_now(state: &AppState, call: &Call) -> Result<CallOutcome, ApiError> {
    natural_outcome(state, call).await
}
