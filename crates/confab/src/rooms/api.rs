//! Routes: `/rooms…` (rooms, entering, members, moderation, media tokens), `/me/room`,
//! `/room-tags` and `/admin/room-tags/{name}`. Seat routes are in `api_seats`.

use axum::extract::State;
use axum::http::StatusCode;
use confab_proto::ErrorBody;
use confab_proto::ids::{RoomId, UserId};
use confab_proto::rooms::{
    CreateRoomIn, JoinRoomIn, JoinedRoomOut, MediaTokenOut, PageQuery, RoomKickIn, RoomKickedData,
    RoomMemberStatusOut, RoomMembersOut, RoomMuteIn, RoomMutedData, RoomOut, RoomPageOut,
    RoomPatch, RoomQuery, RoomTagIn, RoomTagOut, RoomTagsOut,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{discovery, media, moderation, service};
use crate::accounts::auth::{AdminUser, AuthUser};
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath, AppQuery, OptionalJson};
use crate::state::AppState;

/// The rooms routes (mounted under `/api/v1`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_room, search_rooms))
        .routes(routes!(recommended_rooms))
        .routes(routes!(get_room, update_room))
        .routes(routes!(close_room))
        .routes(routes!(join_room))
        .routes(routes!(leave_room))
        .routes(routes!(my_room))
        .routes(routes!(list_room_members))
        .routes(routes!(room_member_status))
        .routes(routes!(set_room_admin, unset_room_admin))
        .routes(routes!(kick_from_room))
        .routes(routes!(lift_room_kick))
        .routes(routes!(mute_in_room))
        .routes(routes!(unmute_in_room))
        .routes(routes!(media_token))
        .routes(routes!(list_room_tags))
        .routes(routes!(put_room_tag, delete_room_tag))
        .merge(super::api_seats::routes())
}

/// Create a voice room; I own it (enter it with `POST /rooms/{id}/join`).
#[utoipa::path(post, path = "/rooms", tag = "rooms", security(("bearer" = [])), request_body = CreateRoomIn,
    responses((status = 201, body = RoomOut),
        (status = 401, body = ErrorBody),
        (status = 409, description = "`room_limit`", body = ErrorBody),
        (status = 422, description = "`validation_failed` (name, tag, cover, password, seat_count), `content_blocked`", body = ErrorBody)))]
pub async fn create_room(
    auth: AuthUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<CreateRoomIn>,
) -> ApiResult<(StatusCode, AppJson<RoomOut>)> {
    let out = service::create(&state, auth.user_id, input).await?;
    Ok((StatusCode::CREATED, AppJson(out)))
}

/// Search open rooms by name and/or tag, newest first (private rooms are listed too).
#[utoipa::path(get, path = "/rooms", tag = "rooms", security(("bearer" = [])), params(RoomQuery),
    responses((status = 200, body = RoomPageOut), (status = 401, body = ErrorBody),
        (status = 422, description = "`validation_failed` (q, tag, limit, cursor)", body = ErrorBody)))]
pub async fn search_rooms(
    auth: AuthUser,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<RoomQuery>,
) -> ApiResult<AppJson<RoomPageOut>> {
    Ok(AppJson(discovery::search(&state, auth.user_id, q).await?))
}

/// Recommended rooms: the largest live audience first, then the most recently active.
#[utoipa::path(get, path = "/rooms/recommended", tag = "rooms", security(("bearer" = [])), params(RoomQuery),
    responses((status = 200, body = RoomPageOut), (status = 401, body = ErrorBody),
        (status = 422, description = "`validation_failed` (tag, limit, cursor)", body = ErrorBody)))]
pub async fn recommended_rooms(
    auth: AuthUser,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<RoomQuery>,
) -> ApiResult<AppJson<RoomPageOut>> {
    Ok(AppJson(
        discovery::recommended(&state, auth.user_id, q).await?,
    ))
}

/// A room.
#[utoipa::path(get, path = "/rooms/{id}", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")),
    responses((status = 200, body = RoomOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_room(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
) -> ApiResult<AppJson<RoomOut>> {
    Ok(AppJson(service::get(&state, auth.user_id, id).await?))
}

/// Change a room: the owner anything; an admin the announcement and `mute_all`.
#[utoipa::path(patch, path = "/rooms/{id}", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")), request_body = RoomPatch,
    responses((status = 200, body = RoomOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`room_role_required`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`room_closed`", body = ErrorBody),
        (status = 422, description = "`validation_failed`, `content_blocked`", body = ErrorBody)))]
pub async fn update_room(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
    AppJson(patch): AppJson<RoomPatch>,
) -> ApiResult<AppJson<RoomOut>> {
    Ok(AppJson(
        service::update(&state, auth.into(), id, patch).await?,
    ))
}

/// Close a room (its owner or a system administrator): everyone is told and removed.
#[utoipa::path(post, path = "/rooms/{id}/close", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")),
    responses((status = 204, description = "Closed (`room.closed`)"), (status = 401, body = ErrorBody),
        (status = 403, description = "`room_role_required`", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "`room_closed`", body = ErrorBody)))]
pub async fn close_room(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
) -> ApiResult<StatusCode> {
    service::close(&state, auth.into(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Enter a room (leaving the one I am in). A private room needs its password (not from its
/// owner, admins or system administrators). I see the chat's newest messages.
#[utoipa::path(post, path = "/rooms/{id}/join", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")), request_body(content = JoinRoomIn, description = "Optional"),
    responses((status = 200, body = JoinedRoomOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`room_password_invalid`, `kicked_from_room`", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "`room_closed`", body = ErrorBody)))]
pub async fn join_room(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
    OptionalJson(input): OptionalJson<JoinRoomIn>,
) -> ApiResult<AppJson<JoinedRoomOut>> {
    Ok(AppJson(
        service::join(&state, auth.into(), id, input).await?,
    ))
}

/// Leave the room (and my seat).
#[utoipa::path(post, path = "/rooms/{id}/leave", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")),
    responses((status = 204, description = "Left (`room.member_left`)"), (status = 401, body = ErrorBody),
        (status = 403, description = "`not_in_room`", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "`room_closed`", body = ErrorBody)))]
pub async fn leave_room(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
) -> ApiResult<StatusCode> {
    service::leave(&state, auth.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The room I am in now (`null` when none).
#[utoipa::path(get, path = "/me/room", tag = "rooms", security(("bearer" = [])),
    responses((status = 200, body = Option<JoinedRoomOut>), (status = 401, body = ErrorBody)))]
pub async fn my_room(
    auth: AuthUser,
    State(state): State<AppState>,
) -> ApiResult<AppJson<Option<JoinedRoomOut>>> {
    Ok(AppJson(service::current(&state, auth.user_id).await?))
}

/// Who is in the room now, in order of entry (a private room: those in it and its managers).
#[utoipa::path(get, path = "/rooms/{id}/members", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id"), PageQuery),
    responses((status = 200, body = RoomMembersOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`not_in_room` (private room)", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "`validation_failed` (limit, cursor)", body = ErrorBody)))]
pub async fn list_room_members(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
    AppQuery(q): AppQuery<PageQuery>,
) -> ApiResult<AppJson<RoomMembersOut>> {
    Ok(AppJson(service::members(&state, auth.into(), id, q).await?))
}

/// Whether a user is kicked (re-entry refused) or muted in the room, and until when.
#[utoipa::path(get, path = "/rooms/{id}/members/{user_id}/status", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id"), ("user_id" = String, Path, description = "User")),
    responses((status = 200, body = RoomMemberStatusOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn room_member_status(
    _auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, user)): AppPath<(RoomId, UserId)>,
) -> ApiResult<AppJson<RoomMemberStatusOut>> {
    Ok(AppJson(moderation::status(&state, id, user).await?))
}

/// Make a user an admin of the room (the owner).
#[utoipa::path(put, path = "/rooms/{id}/admins/{user_id}", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id"), ("user_id" = String, Path, description = "User")),
    responses((status = 204, description = "An admin (`room.role`)"), (status = 401, body = ErrorBody),
        (status = 403, description = "`room_role_required`", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`room_closed`", body = ErrorBody),
        (status = 422, description = "`cannot_target_self`", body = ErrorBody)))]
pub async fn set_room_admin(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, user)): AppPath<(RoomId, UserId)>,
) -> ApiResult<StatusCode> {
    moderation::set_admin(&state, auth.into(), id, user, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make an admin a member again (the owner).
#[utoipa::path(delete, path = "/rooms/{id}/admins/{user_id}", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id"), ("user_id" = String, Path, description = "User")),
    responses((status = 204, description = "A member (`room.role`)"), (status = 401, body = ErrorBody),
        (status = 403, description = "`room_role_required`", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`room_closed`", body = ErrorBody),
        (status = 422, description = "`cannot_target_self`", body = ErrorBody)))]
pub async fn unset_room_admin(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, user)): AppPath<(RoomId, UserId)>,
) -> ApiResult<StatusCode> {
    moderation::set_admin(&state, auth.into(), id, user, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Kick a user out of the room; re-entry is refused for `ban_secs` (default 10 min).
#[utoipa::path(post, path = "/rooms/{id}/kicks", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")), request_body = RoomKickIn,
    responses((status = 200, body = RoomKickedData), (status = 401, body = ErrorBody),
        (status = 403, description = "`room_role_required`", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`room_closed`", body = ErrorBody),
        (status = 422, description = "`validation_failed` (reason, ban_secs), `cannot_target_self`", body = ErrorBody)))]
pub async fn kick_from_room(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
    AppJson(input): AppJson<RoomKickIn>,
) -> ApiResult<AppJson<RoomKickedData>> {
    Ok(AppJson(
        moderation::kick(&state, auth.into(), id, input).await?,
    ))
}

/// Lift a kick's re-entry ban (owner or admin).
#[utoipa::path(delete, path = "/rooms/{id}/kicks/{user_id}", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id"), ("user_id" = String, Path, description = "User")),
    responses((status = 204, description = "Lifted"), (status = 401, body = ErrorBody),
        (status = 403, description = "`room_role_required`", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`room_closed`", body = ErrorBody)))]
pub async fn lift_room_kick(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, user)): AppPath<(RoomId, UserId)>,
) -> ApiResult<StatusCode> {
    moderation::unkick(&state, auth.into(), id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mute a user in the room chat for `1h`, `24h` or `permanent`.
#[utoipa::path(post, path = "/rooms/{id}/mutes", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")), request_body = RoomMuteIn,
    responses((status = 200, body = RoomMutedData), (status = 401, body = ErrorBody),
        (status = 403, description = "`room_role_required`", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`room_closed`", body = ErrorBody),
        (status = 422, description = "`validation_failed`, `cannot_target_self`", body = ErrorBody)))]
pub async fn mute_in_room(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
    AppJson(input): AppJson<RoomMuteIn>,
) -> ApiResult<AppJson<RoomMutedData>> {
    Ok(AppJson(
        moderation::mute(&state, auth.into(), id, input).await?,
    ))
}

/// Lift a chat mute.
#[utoipa::path(delete, path = "/rooms/{id}/mutes/{user_id}", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id"), ("user_id" = String, Path, description = "User")),
    responses((status = 204, description = "Lifted (`room.muted` with `muted: false`)"), (status = 401, body = ErrorBody),
        (status = 403, description = "`room_role_required`", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`room_closed`", body = ErrorBody),
        (status = 422, description = "`cannot_target_self`", body = ErrorBody)))]
pub async fn unmute_in_room(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, user)): AppPath<(RoomId, UserId)>,
) -> ApiResult<StatusCode> {
    moderation::unmute(&state, auth.into(), id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A short-lived LiveKit access token for the room's audio: it lets me publish my
/// microphone only while I hold an unmuted, unlocked seat.
#[utoipa::path(post, path = "/rooms/{id}/media-token", tag = "rooms", security(("bearer" = [])),
    params(("id" = String, Path, description = "Room id")),
    responses((status = 200, body = MediaTokenOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`not_in_room`, `kicked_from_room`", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`room_closed`", body = ErrorBody),
        (status = 503, description = "`media_unavailable`", body = ErrorBody)))]
pub async fn media_token(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<RoomId>,
) -> ApiResult<AppJson<MediaTokenOut>> {
    Ok(AppJson(media::token(&state, auth.user_id, id).await?))
}

/// The room tags, highest weight first.
#[utoipa::path(get, path = "/room-tags", tag = "rooms", security(("bearer" = [])),
    responses((status = 200, body = RoomTagsOut), (status = 401, body = ErrorBody)))]
pub async fn list_room_tags(
    _auth: AuthUser,
    State(state): State<AppState>,
) -> ApiResult<AppJson<RoomTagsOut>> {
    Ok(AppJson(discovery::tags(&state).await?))
}

/// Add a room tag or change its weight (system administrators).
#[utoipa::path(put, path = "/admin/room-tags/{name}", tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path, description = "Tag (1-32 characters)")), request_body(content = RoomTagIn, description = "Optional"),
    responses((status = 200, body = RoomTagOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn put_room_tag(
    AdminUser(admin): AdminUser,
    State(state): State<AppState>,
    AppPath(name): AppPath<String>,
    OptionalJson(input): OptionalJson<RoomTagIn>,
) -> ApiResult<AppJson<RoomTagOut>> {
    Ok(AppJson(
        discovery::put_tag(&state, admin.user_id, &name, input).await?,
    ))
}

/// Remove a room tag (system administrators); rooms keep the tag they had.
#[utoipa::path(delete, path = "/admin/room-tags/{name}", tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path, description = "Tag")),
    responses((status = 204, description = "Removed"), (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_room_tag(
    AdminUser(admin): AdminUser,
    State(state): State<AppState>,
    AppPath(name): AppPath<String>,
) -> ApiResult<StatusCode> {
    discovery::delete_tag(&state, admin.user_id, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
