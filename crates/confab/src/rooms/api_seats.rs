//! Routes: `/rooms/{id}/seats…`, `/rooms/{id}/applications…`, `/rooms/{id}/invitations…`.

use axum::extract::State;
use axum::http::StatusCode;
use confab_proto::ErrorBody;
use confab_proto::ids::{RoomId, UserId};
use confab_proto::rooms::{
    ApplyIn, InviteIn, MicIn, MoveSeatIn, SeatAction, SeatActionIn, SeatRequestKind,
    SeatRequestOut, SeatRequestsOut, SeatsOut,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{requests, seating, service};
use crate::accounts::auth::AuthUser;
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath, OptionalJson};
use crate::state::AppState;

/// The seat routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_seats))
        .routes(routes!(seat_action))
        .routes(routes!(leave_seat))
        .routes(routes!(set_mic))
        .routes(routes!(move_seat))
        .routes(routes!(apply_for_seat, list_applications))
        .routes(routes!(cancel_application))
        .routes(routes!(approve_application))
        .routes(routes!(reject_application))
        .routes(routes!(invite_to_seat, list_invitations))
        .routes(routes!(accept_invitation))
        .routes(routes!(decline_invitation))
}

const SEAT_ERRORS: &str = "`seat_taken`, `seat_locked`, `seat_muted`, `already_seated`, `not_seated`, `no_free_seat`, `seat_apply_required`, `room_closed`";

/// Every seat and the seat version (a private room: those in it and its managers).
#[utoipa::path(get, path = "/rooms/{id}/seats", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")),
    responses((status = 200, body = SeatsOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`not_in_room` (private room)", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_seats(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
) -> ApiResult<AppJson<SeatsOut>> {
    Ok(AppJson(service::seats(&state, auth.into(), id).await?))
}

/// Act on a seat: `take` (me; `free` mode, or as owner/admin), or as owner/admin `kick`
/// (body: `reason`, `user_id`), `lock` (empties it), `unlock`, `mute` (the occupant's
/// microphone is forced off), `unmute`.
#[utoipa::path(post, path = "/rooms/{id}/seats/{position}/{action}", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id"), ("position" = u32, Path, minimum = 1, maximum = 20, description = "Seat, 1..=seat count"),
        ("action" = inline(SeatAction), Path, description = "take | kick | lock | unlock | mute | unmute")),
    request_body(content = SeatActionIn, description = "Optional"),
    responses((status = 200, body = SeatsOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`not_in_room`, `room_role_required`", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = SEAT_ERRORS, body = ErrorBody),
        (status = 422, description = "`validation_failed` (position, reason), `cannot_target_self`", body = ErrorBody)))]
pub async fn seat_action(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, position, action)): AppPath<(RoomId, u32, SeatAction)>,
    OptionalJson(input): OptionalJson<SeatActionIn>,
) -> ApiResult<AppJson<SeatsOut>> {
    Ok(AppJson(
        seating::act(&state, auth.into(), id, position, action, input).await?,
    ))
}

/// Leave my seat (I stay in the room).
#[utoipa::path(post, path = "/rooms/{id}/seats/leave", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")),
    responses((status = 200, body = SeatsOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`not_seated`, `room_closed`", body = ErrorBody)))]
pub async fn leave_seat(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
) -> ApiResult<AppJson<SeatsOut>> {
    Ok(AppJson(seating::leave(&state, auth.user_id, id).await?))
}

/// Turn my microphone on or off (on is refused while my seat is muted).
#[utoipa::path(put, path = "/rooms/{id}/seats/mic", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")), request_body = MicIn,
    responses((status = 200, body = SeatsOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`not_seated`, `seat_muted`, `room_closed`", body = ErrorBody)))]
pub async fn set_mic(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
    AppJson(input): AppJson<MicIn>,
) -> ApiResult<AppJson<SeatsOut>> {
    Ok(AppJson(
        seating::mic(&state, auth.user_id, id, input.on).await?,
    ))
}

/// Move a seated user to another seat (owner or admin): refused when it is taken, unless
/// `swap`.
#[utoipa::path(post, path = "/rooms/{id}/seats/move", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")), request_body = MoveSeatIn,
    responses((status = 200, body = SeatsOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`room_role_required`, `not_in_room`", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = SEAT_ERRORS, body = ErrorBody),
        (status = 422, description = "`validation_failed` (to)", body = ErrorBody)))]
pub async fn move_seat(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
    AppJson(input): AppJson<MoveSeatIn>,
) -> ApiResult<AppJson<SeatsOut>> {
    Ok(AppJson(
        seating::move_seat(&state, auth.into(), id, input).await?,
    ))
}

/// Apply for a seat (`apply` mode), optionally a chosen one; the owner and admins are told.
#[utoipa::path(post, path = "/rooms/{id}/applications", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")), request_body(content = ApplyIn, description = "Optional"),
    responses((status = 201, body = SeatRequestOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`not_in_room`", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`application_pending`, `already_seated`, `seat_taken`, `seat_locked`, `conflict` (free mode), `room_closed`", body = ErrorBody),
        (status = 422, description = "`validation_failed` (position)", body = ErrorBody)))]
pub async fn apply_for_seat(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
    OptionalJson(input): OptionalJson<ApplyIn>,
) -> ApiResult<(StatusCode, AppJson<SeatRequestOut>)> {
    let out = requests::apply(&state, auth.user_id, id, input).await?;
    Ok((StatusCode::CREATED, AppJson(out)))
}

/// Pending applications, oldest first (the owner and admins see all; others their own).
#[utoipa::path(get, path = "/rooms/{id}/applications", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")),
    responses((status = 200, body = SeatRequestsOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_applications(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
) -> ApiResult<AppJson<SeatRequestsOut>> {
    Ok(AppJson(
        requests::list(&state, auth.into(), id, SeatRequestKind::Application).await?,
    ))
}

/// Withdraw my application.
#[utoipa::path(delete, path = "/rooms/{id}/applications/mine", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")),
    responses((status = 204, description = "Withdrawn"), (status = 401, body = ErrorBody),
        (status = 404, description = "no pending application", body = ErrorBody), (status = 409, description = "`room_closed`", body = ErrorBody)))]
pub async fn cancel_application(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
) -> ApiResult<StatusCode> {
    requests::cancel(&state, auth.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Approve a user's application (owner or admin): the seat they chose, else the first free.
#[utoipa::path(post, path = "/rooms/{id}/applications/{user_id}/approve", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id"), ("user_id" = String, Path, description = "Applicant")),
    responses((status = 200, body = SeatsOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`room_role_required`, `not_in_room`", body = ErrorBody),
        (status = 404, description = "no pending application", body = ErrorBody),
        (status = 409, description = SEAT_ERRORS, body = ErrorBody)))]
pub async fn approve_application(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, user)): AppPath<(RoomId, UserId)>,
) -> ApiResult<AppJson<SeatsOut>> {
    Ok(AppJson(
        requests::approve(&state, auth.into(), id, user).await?,
    ))
}

/// Reject a user's application (owner or admin).
#[utoipa::path(post, path = "/rooms/{id}/applications/{user_id}/reject", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id"), ("user_id" = String, Path, description = "Applicant")),
    responses((status = 204, description = "Rejected"), (status = 401, body = ErrorBody),
        (status = 403, description = "`room_role_required`", body = ErrorBody),
        (status = 404, description = "no pending application", body = ErrorBody), (status = 409, description = "`room_closed`", body = ErrorBody)))]
pub async fn reject_application(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, user)): AppPath<(RoomId, UserId)>,
) -> ApiResult<StatusCode> {
    requests::reject(&state, auth.into(), id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Invite a user in the room to a seat (owner or admin); it expires, and is single-use.
#[utoipa::path(post, path = "/rooms/{id}/invitations", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")), request_body = InviteIn,
    responses((status = 201, body = SeatRequestOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`room_role_required`, `not_in_room`", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`already_seated`, `seat_taken`, `seat_locked`, `room_closed`", body = ErrorBody),
        (status = 422, description = "`validation_failed` (position), `cannot_target_self`", body = ErrorBody)))]
pub async fn invite_to_seat(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
    AppJson(input): AppJson<InviteIn>,
) -> ApiResult<(StatusCode, AppJson<SeatRequestOut>)> {
    let out = requests::invite(&state, auth.into(), id, input).await?;
    Ok((StatusCode::CREATED, AppJson(out)))
}

/// Pending invitations (the owner and admins see all; others their own).
#[utoipa::path(get, path = "/rooms/{id}/invitations", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")),
    responses((status = 200, body = SeatRequestsOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_invitations(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
) -> ApiResult<AppJson<SeatRequestsOut>> {
    Ok(AppJson(
        requests::list(&state, auth.into(), id, SeatRequestKind::Invitation).await?,
    ))
}

/// Accept my seat invitation: refused when there is none pending (404) or a lock voided it
/// (409 `seat_locked`).
#[utoipa::path(post, path = "/rooms/{id}/invitations/mine/accept", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")),
    responses((status = 200, body = SeatsOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`not_in_room`", body = ErrorBody),
        (status = 404, description = "no pending invitation", body = ErrorBody),
        (status = 409, description = SEAT_ERRORS, body = ErrorBody)))]
pub async fn accept_invitation(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
) -> ApiResult<AppJson<SeatsOut>> {
    Ok(AppJson(requests::accept(&state, auth.user_id, id).await?))
}

/// Decline my seat invitation.
#[utoipa::path(post, path = "/rooms/{id}/invitations/mine/decline", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")),
    responses((status = 204, description = "Declined"), (status = 401, body = ErrorBody),
        (status = 404, description = "no pending invitation", body = ErrorBody), (status = 409, description = "`room_closed`, `seat_locked`", body = ErrorBody)))]
pub async fn decline_invitation(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
) -> ApiResult<StatusCode> {
    requests::decline(&state, auth.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
