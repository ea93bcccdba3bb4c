//! Routes: `/friends…`, `/friend-requests…`, `/blocks…`, `/follows…`,
//! `/users/{id}/followers`, `/users/{id}/following`, `/me/privacy`.

use axum::extract::State;
use axum::http::StatusCode;
use confab_proto::ErrorBody;
use confab_proto::accounts::Page;
use confab_proto::ids::{FriendRequestId, UserId};
use confab_proto::social::{
    BlockOut, FollowOut, FriendOut, FriendPatch, FriendRequestIn, FriendRequestOut,
    FriendRequestQuery, PageQuery, PrivacyOut, PrivacyPatch, RemoveFriendQuery,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::requests::Sent;
use super::{blocks, follows, friends, requests, service};
use crate::accounts::auth::AuthUser;
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;

/// The social routes (mounted under `/api/v1`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_friends))
        .routes(routes!(update_friend, remove_friend))
        .routes(routes!(list_friend_requests, send_friend_request))
        .routes(routes!(accept_friend_request))
        .routes(routes!(decline_friend_request))
        .routes(routes!(cancel_friend_request))
        .routes(routes!(list_blocks))
        .routes(routes!(block_user, unblock_user))
        .routes(routes!(follow_user, unfollow_user))
        .routes(routes!(list_followers))
        .routes(routes!(list_following))
        .routes(routes!(get_privacy, update_privacy))
}

/// My friends, by user id: profile, my remark and tags, presence as I see it.
///
/// A friends list is private: there is no way to read anyone else's.
#[utoipa::path(get, path = "/friends", tag = "social", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<FriendOut>), (status = 422, description = "`validation_failed` (`cursor`, `limit`)", body = ErrorBody)))]
pub async fn list_friends(
    auth: AuthUser,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<PageQuery>,
) -> ApiResult<AppJson<Page<FriendOut>>> {
    Ok(AppJson(
        friends::list_friends(&state, auth.user_id, q).await?,
    ))
}

/// Set my remark (alias) and/or tags for a friend.
#[utoipa::path(patch, path = "/friends/{user_id}", tag = "social", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "The friend's user id")), request_body = FriendPatch,
    responses(
        (status = 200, body = FriendOut),
        (status = 404, description = "`not_found`: not my friend", body = ErrorBody),
        (status = 422, description = "`validation_failed` (`remark`, `tags`)", body = ErrorBody)))]
pub async fn update_friend(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
    AppJson(p): AppJson<FriendPatch>,
) -> ApiResult<AppJson<FriendOut>> {
    Ok(AppJson(
        friends::update_friend(&state, auth.user_id, user, p).await?,
    ))
}

/// Remove a friend (both sides; they get `friend.removed`). `clear_chat=true` also clears our
/// direct chat's history for me.
#[utoipa::path(delete, path = "/friends/{user_id}", tag = "social", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "The friend's user id"), RemoveFriendQuery),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "`not_found`: not my friend", body = ErrorBody)))]
pub async fn remove_friend(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
    AppQuery(q): AppQuery<RemoveFriendQuery>,
) -> ApiResult<StatusCode> {
    friends::remove_friend(&state, auth.user_id, user, q.clear_chat.unwrap_or(false)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// My pending friend requests, `incoming` (default) or `outgoing`, newest first, with both
/// profiles.
#[utoipa::path(get, path = "/friend-requests", tag = "social", security(("bearer" = [])), params(FriendRequestQuery),
    responses((status = 200, body = Page<FriendRequestOut>), (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn list_friend_requests(
    auth: AuthUser,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<FriendRequestQuery>,
) -> ApiResult<AppJson<Page<FriendRequestOut>>> {
    Ok(AppJson(
        requests::list_requests(&state, auth.user_id, q).await?,
    ))
}

/// Send a friend request with a note and a greeting (the recipient gets `friend.request`).
///
/// Sending again while it is pending merges into the same request (201 the first time, 200
/// after). If the other user already asked me, their request is accepted instead and we are
/// friends (200, `status: accepted`).
#[utoipa::path(post, path = "/friend-requests", tag = "social", security(("bearer" = [])), request_body = FriendRequestIn,
    responses(
        (status = 201, description = "Sent", body = FriendRequestOut),
        (status = 200, description = "Merged into my pending request, or theirs accepted", body = FriendRequestOut),
        (status = 403, description = "`blocked`: one of us blocks the other", body = ErrorBody),
        (status = 404, description = "`not_found`: no such user", body = ErrorBody),
        (status = 409, description = "`already_friends`, `friend_request_limit`, `friend_limit`", body = ErrorBody),
        (status = 422, description = "`validation_failed` (`user_id`, `note`, `greeting`), `content_blocked`", body = ErrorBody),
        (status = 429, description = "`rate_limited` (`social.requests_per_minute`)", body = ErrorBody)))]
pub async fn send_friend_request(
    auth: AuthUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<FriendRequestIn>,
) -> ApiResult<(StatusCode, AppJson<FriendRequestOut>)> {
    Ok(
        match requests::send_request(&state, auth.user_id, input).await? {
            Sent::Created(r) => (StatusCode::CREATED, AppJson(r)),
            Sent::Merged(r) | Sent::Accepted(r) => (StatusCode::OK, AppJson(r)),
        },
    )
}

/// Accept a friend request sent to me: we become friends, its greeting becomes the first
/// message of our direct chat, and both of us get `friend.accepted`.
#[utoipa::path(post, path = "/friend-requests/{id}/accept", tag = "social", security(("bearer" = [])),
    params(("id" = String, Path, description = "Friend request id")),
    responses(
        (status = 200, description = "My new friend (accepting again answers the same)", body = FriendOut),
        (status = 403, description = "`blocked`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such request to me", body = ErrorBody),
        (status = 409, description = "`request_not_pending`, `friend_limit`", body = ErrorBody)))]
pub async fn accept_friend_request(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<FriendRequestId>,
) -> ApiResult<AppJson<FriendOut>> {
    Ok(AppJson(requests::accept(&state, auth.user_id, id).await?))
}

/// Decline a friend request sent to me (the sender is not told).
#[utoipa::path(post, path = "/friend-requests/{id}/decline", tag = "social", security(("bearer" = [])),
    params(("id" = String, Path, description = "Friend request id")),
    responses(
        (status = 204, description = "Declined (or already was)"),
        (status = 404, description = "`not_found`: no such request to me", body = ErrorBody),
        (status = 409, description = "`request_not_pending`", body = ErrorBody)))]
pub async fn decline_friend_request(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<FriendRequestId>,
) -> ApiResult<StatusCode> {
    requests::decline(&state, auth.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cancel a friend request I sent.
#[utoipa::path(delete, path = "/friend-requests/{id}", tag = "social", security(("bearer" = [])),
    params(("id" = String, Path, description = "Friend request id")),
    responses(
        (status = 204, description = "Cancelled (or already was)"),
        (status = 404, description = "`not_found`: no such request of mine", body = ErrorBody),
        (status = 409, description = "`request_not_pending`", body = ErrorBody)))]
pub async fn cancel_friend_request(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<FriendRequestId>,
) -> ApiResult<StatusCode> {
    requests::cancel(&state, auth.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The users I block.
#[utoipa::path(get, path = "/blocks", tag = "social", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<BlockOut>), (status = 422, body = ErrorBody)))]
pub async fn list_blocks(
    auth: AuthUser,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<PageQuery>,
) -> ApiResult<AppJson<Page<BlockOut>>> {
    Ok(AppJson(blocks::list_blocks(&state, auth.user_id, q).await?))
}

/// Block a user: no friend requests, follows, direct messages or presence between us.
///
/// Pending requests either way end and follows either way are removed. A friendship is
/// kept but suspended until I unblock (see `docs/social.md`).
#[utoipa::path(put, path = "/blocks/{user_id}", tag = "social", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Blocked (or already was)"),
        (status = 404, body = ErrorBody),
        (status = 422, description = "`validation_failed`: that is me", body = ErrorBody)))]
pub async fn block_user(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
) -> ApiResult<StatusCode> {
    blocks::block(&state, auth.user_id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unblock a user (a suspended friendship works again).
#[utoipa::path(delete, path = "/blocks/{user_id}", tag = "social", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Not blocked any more (or never was)"),
        (status = 422, description = "`validation_failed`: that is me", body = ErrorBody)))]
pub async fn unblock_user(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
) -> ApiResult<StatusCode> {
    blocks::unblock(&state, auth.user_id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Follow a user.
#[utoipa::path(put, path = "/follows/{user_id}", tag = "social", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Following (or already was)"),
        (status = 403, description = "`blocked`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "`validation_failed`: that is me", body = ErrorBody)))]
pub async fn follow_user(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
) -> ApiResult<StatusCode> {
    follows::follow(&state, auth.user_id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unfollow a user.
#[utoipa::path(delete, path = "/follows/{user_id}", tag = "social", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Not following (or never was)"),
        (status = 422, description = "`validation_failed`: that is me", body = ErrorBody)))]
pub async fn unfollow_user(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
) -> ApiResult<StatusCode> {
    follows::unfollow(&state, auth.user_id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's followers, newest first (public, except across a block).
#[utoipa::path(get, path = "/users/{id}/followers", tag = "social", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id"), PageQuery),
    responses(
        (status = 200, body = Page<FollowOut>),
        (status = 404, description = "`not_found` (also when a block stands)", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_followers(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
    AppQuery(q): AppQuery<PageQuery>,
) -> ApiResult<AppJson<Page<FollowOut>>> {
    Ok(AppJson(
        follows::list_follows(&state, auth.user_id, user, true, q).await?,
    ))
}

/// Whom a user follows, newest first (public, except across a block).
#[utoipa::path(get, path = "/users/{id}/following", tag = "social", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id"), PageQuery),
    responses(
        (status = 200, body = Page<FollowOut>),
        (status = 404, description = "`not_found` (also when a block stands)", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_following(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
    AppQuery(q): AppQuery<PageQuery>,
) -> ApiResult<AppJson<Page<FollowOut>>> {
    Ok(AppJson(
        follows::list_follows(&state, auth.user_id, user, false, q).await?,
    ))
}

/// Who may find me by my exact username, email or phone in `GET /users?q=`.
#[utoipa::path(get, path = "/me/privacy", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = PrivacyOut)))]
pub async fn get_privacy(
    auth: AuthUser,
    State(state): State<AppState>,
) -> ApiResult<AppJson<PrivacyOut>> {
    Ok(AppJson(service::get_privacy(&state, auth.user_id).await?))
}

/// Change who may find me by my exact username, email or phone (absent fields stay).
#[utoipa::path(patch, path = "/me/privacy", tag = "me", security(("bearer" = [])), request_body = PrivacyPatch,
    responses((status = 200, body = PrivacyOut), (status = 422, body = ErrorBody)))]
pub async fn update_privacy(
    auth: AuthUser,
    State(state): State<AppState>,
    AppJson(p): AppJson<PrivacyPatch>,
) -> ApiResult<AppJson<PrivacyOut>> {
    Ok(AppJson(
        service::update_privacy(&state, auth.user_id, p).await?,
    ))
}
