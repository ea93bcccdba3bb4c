//! Routes: `/calls…` (1:1 calls, group calls, ICE servers). The device a call binds is the
//! session of the access token the request carries (the same session as that device's
//! socket), so `accept` needs no device field.

use axum::extract::State;
use axum::http::StatusCode;
use confab_proto::ErrorBody;
use confab_proto::calls::{CallKind, CallOut, IceServersOut, InviteIn, StartGroupCallIn};
use confab_proto::ids::CallId;
use confab_proto::rooms::MediaTokenOut;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{direct, group, lifecycle, turn};
use crate::accounts::auth::AuthUser;
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath};
use crate::state::AppState;

/// The calls routes (mounted under `/api/v1`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(invite_call))
        .routes(routes!(ice_servers))
        .routes(routes!(get_call))
        .routes(routes!(accept_call))
        .routes(routes!(decline_call))
        .routes(routes!(cancel_call))
        .routes(routes!(hang_up_call))
        .routes(routes!(start_group_call))
        .routes(routes!(join_call))
        .routes(routes!(leave_call))
        .routes(routes!(end_call))
        .routes(routes!(call_token))
}

/// Ring a user in our direct chat (every device of theirs gets `call.ringing`).
///
/// A callee in another call makes a call that is already ended with outcome `busy` (and its
/// record in the chat); the caller's devices get `call.ended`.
#[utoipa::path(post, path = "/calls", tag = "calls", security(("bearer" = [])), request_body = InviteIn,
    responses((status = 201, body = CallOut),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`not_friends`, `blocked`, `user_muted`", body = ErrorBody),
        (status = 404, description = "no such user", body = ErrorBody),
        (status = 409, description = "`in_call`: I am in a call already", body = ErrorBody),
        (status = 422, description = "`validation_failed`, `cannot_target_self`", body = ErrorBody)))]
pub async fn invite_call(
    auth: AuthUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<InviteIn>,
) -> ApiResult<(StatusCode, AppJson<CallOut>)> {
    let out = direct::invite(&state, auth, input).await?;
    Ok((StatusCode::CREATED, AppJson(out)))
}

/// STUN and TURN servers for WebRTC, with time-limited TURN REST credentials.
#[utoipa::path(get, path = "/calls/ice-servers", tag = "calls", security(("bearer" = [])),
    responses((status = 200, body = IceServersOut), (status = 401, body = ErrorBody)))]
pub async fn ice_servers(auth: AuthUser, State(state): State<AppState>) -> AppJson<IceServersOut> {
    AppJson(turn::ice_servers(
        &state.config.calls.turn,
        auth.user_id,
        state.clock.now(),
    ))
}

/// A call of mine (1:1: either party; group: any member of its conversation).
#[utoipa::path(get, path = "/calls/{id}", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path, description = "Call id")),
    responses((status = 200, body = CallOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_call(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<CallId>,
) -> ApiResult<AppJson<CallOut>> {
    let call = lifecycle::load(&state, id).await?;
    if call.kind == CallKind::Group {
        return Ok(AppJson(group::get(&state, auth.user_id, id).await?));
    }
    let call = direct::mine(&state, auth.user_id, id).await?;
    Ok(AppJson(super::model::call_out(&call, Vec::new())))
}

/// Answer a call ringing me, on this device (the session of this token): the caller gets
/// `call.accepted`, my other devices `call.answered_elsewhere`.
#[utoipa::path(post, path = "/calls/{id}/accept", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path, description = "Call id")),
    responses((status = 200, body = CallOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`not_in_call`: not the callee", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`call_over`: answered elsewhere, cancelled, missed", body = ErrorBody)))]
pub async fn accept_call(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<CallId>,
) -> ApiResult<AppJson<CallOut>> {
    Ok(AppJson(direct::accept(&state, auth, id).await?))
}

/// Decline a call ringing me (outcome `declined`).
#[utoipa::path(post, path = "/calls/{id}/decline", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path, description = "Call id")),
    responses((status = 200, body = CallOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`not_in_call`: not the callee", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`call_over`", body = ErrorBody)))]
pub async fn decline_call(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<CallId>,
) -> ApiResult<AppJson<CallOut>> {
    Ok(AppJson(direct::decline(&state, auth.user_id, id).await?))
}

/// Cancel my call before it is answered (outcome `cancelled`).
#[utoipa::path(post, path = "/calls/{id}/cancel", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path, description = "Call id")),
    responses((status = 200, body = CallOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`not_in_call`: not the caller", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`call_over`", body = ErrorBody)))]
pub async fn cancel_call(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<CallId>,
) -> ApiResult<AppJson<CallOut>> {
    Ok(AppJson(direct::cancel(&state, auth.user_id, id).await?))
}

/// Hang up a 1:1 call, from either side (ringing: a cancel or a decline).
#[utoipa::path(post, path = "/calls/{id}/hangup", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path, description = "Call id")),
    responses((status = 200, body = CallOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`call_over`", body = ErrorBody)))]
pub async fn hang_up_call(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<CallId>,
) -> ApiResult<AppJson<CallOut>> {
    Ok(AppJson(direct::hangup(&state, auth.user_id, id).await?))
}

/// Start a group call in a group's or a voice room's chat, and join it from this device.
#[utoipa::path(post, path = "/calls/group", tag = "calls", security(("bearer" = [])), request_body = StartGroupCallIn,
    responses((status = 201, body = CallOut),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`not_member`, muted", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`call_in_progress`, `in_call`", body = ErrorBody),
        (status = 422, description = "`validation_failed`: not a group or room chat", body = ErrorBody)))]
pub async fn start_group_call(
    auth: AuthUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<StartGroupCallIn>,
) -> ApiResult<(StatusCode, AppJson<CallOut>)> {
    let out = group::start(&state, auth, input).await?;
    Ok((StatusCode::CREATED, AppJson(out)))
}

/// Join a running group call from this device.
#[utoipa::path(post, path = "/calls/{id}/join", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path, description = "Call id")),
    responses((status = 200, body = CallOut), (status = 401, body = ErrorBody),
        (status = 403, description = "muted", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`call_over`, `in_call` (another call)", body = ErrorBody)))]
pub async fn join_call(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<CallId>,
) -> ApiResult<AppJson<CallOut>> {
    Ok(AppJson(group::join(&state, auth, id).await?))
}

/// Leave a group call; the last one out ends it.
#[utoipa::path(post, path = "/calls/{id}/leave", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path, description = "Call id")),
    responses((status = 200, body = CallOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`not_in_call`", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn leave_call(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<CallId>,
) -> ApiResult<AppJson<CallOut>> {
    Ok(AppJson(group::leave(&state, auth.user_id, id).await?))
}

/// End a group call for everyone (its starter, or a group owner or admin).
#[utoipa::path(post, path = "/calls/{id}/end", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path, description = "Call id")),
    responses((status = 200, body = CallOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`not_in_call`: neither the starter nor a manager", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`call_over`", body = ErrorBody)))]
pub async fn end_call(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<CallId>,
) -> ApiResult<AppJson<CallOut>> {
    Ok(AppJson(group::end(&state, auth.user_id, id).await?))
}

/// A short-lived LiveKit token for a group call I am in: publish my microphone (and camera
/// in a video call), subscribe to the others.
#[utoipa::path(get, path = "/calls/{id}/token", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path, description = "Call id")),
    responses((status = 200, body = MediaTokenOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`not_in_call`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`call_over`", body = ErrorBody),
        (status = 503, description = "`media_unavailable`", body = ErrorBody)))]
pub async fn call_token(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<CallId>,
) -> ApiResult<AppJson<MediaTokenOut>> {
    Ok(AppJson(group::token(&state, auth.user_id, id).await?))
}
