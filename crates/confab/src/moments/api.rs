//! Routes: `/moments…` — posting, the feed, users' pages, one moment, likes, comments,
//! the notification inbox, settings and hide lists.

use axum::extract::State;
use axum::http::StatusCode;
use confab_proto::ErrorBody;
use confab_proto::ids::{MomentCommentId, MomentId, UserId};
use confab_proto::moments::{
    CommentIn, CommentOut, CommentPage, LikePage, LikeStateOut, MomentOut, MomentPage,
    MomentSettingsOut, MomentSettingsPatch, MomentsQuery, NotificationPage, PostMomentIn,
    UserMomentsOut,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::HideKind;
use super::{feed, inbox, interact, post, settings};
use crate::accounts::auth::AuthUser;
use crate::accounts::model::Role;
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;

/// The moments routes (mounted under `/api/v1`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_moment))
        .routes(routes!(get_feed))
        .routes(routes!(get_moment, delete_moment))
        .routes(routes!(get_user_moments))
        .routes(routes!(like_moment, unlike_moment))
        .routes(routes!(list_moment_likes))
        .routes(routes!(comment_moment, list_moment_comments))
        .routes(routes!(delete_moment_comment))
        .routes(routes!(list_moment_notifications))
        .routes(routes!(read_moment_notifications))
        .routes(routes!(get_moment_settings, update_moment_settings))
        .routes(routes!(hide_moments_from, unhide_moments_from))
        .routes(routes!(mute_moments_of, unmute_moments_of))
}

/// Post a moment: text and/or up to 9 images or one video of my uploads, a visibility
/// (with its list for `only`/`except`), a place, friends to remind (`moment.mentioned`).
/// My friends who may see it get `moment.posted`.
#[utoipa::path(post, path = "/moments", tag = "moments", security(("bearer" = [])), request_body = PostMomentIn,
    responses((status = 201, body = MomentOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`not_friends` (`field`: mentions, audience.user_ids), `user_muted`", body = ErrorBody),
        (status = 422, description = "`validation_failed` (text, media, audience, location, mentions), `content_blocked`", body = ErrorBody)))]
pub async fn post_moment(
    auth: AuthUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<PostMomentIn>,
) -> ApiResult<(StatusCode, AppJson<MomentOut>)> {
    let out = post::post(&state, auth.user_id, input).await?;
    Ok((StatusCode::CREATED, AppJson(out)))
}

/// My feed: my moments and my friends' that I may see, newest first (keyset cursor, stable
/// while others post). Reading the first page clears the "new posts" dot.
#[utoipa::path(get, path = "/moments/feed", tag = "moments", security(("bearer" = [])), params(MomentsQuery),
    responses((status = 200, body = MomentPage), (status = 401, body = ErrorBody),
        (status = 422, description = "`validation_failed` (limit, cursor)", body = ErrorBody)))]
pub async fn get_feed(
    auth: AuthUser,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<MomentsQuery>,
) -> ApiResult<AppJson<MomentPage>> {
    Ok(AppJson(feed::feed(&state, auth.user_id, q).await?))
}

/// One moment I may see.
#[utoipa::path(get, path = "/moments/{id}", tag = "moments", security(("bearer" = [])),
    params(("id" = String, Path, description = "Moment id")),
    responses((status = 200, body = MomentOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_moment(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<MomentId>,
) -> ApiResult<AppJson<MomentOut>> {
    Ok(AppJson(post::get(&state, auth.user_id, id).await?))
}

/// Delete a moment with its likes, comments, mentions, notifications and media references:
/// its author, or a system administrator (audited).
#[utoipa::path(delete, path = "/moments/{id}", tag = "moments", security(("bearer" = [])),
    params(("id" = String, Path, description = "Moment id")),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`: not the author", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_moment(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<MomentId>,
) -> ApiResult<StatusCode> {
    post::delete(&state, auth.user_id, auth.role == Role::Admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's page: their cover and the moments I may see of theirs, newest first (a
/// stranger sees public moments within the user's `stranger_range`).
#[utoipa::path(get, path = "/moments/users/{user_id}", tag = "moments", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id"), MomentsQuery),
    responses((status = 200, body = UserMomentsOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "`validation_failed` (limit, cursor)", body = ErrorBody)))]
pub async fn get_user_moments(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
    AppQuery(q): AppQuery<MomentsQuery>,
) -> ApiResult<AppJson<UserMomentsOut>> {
    Ok(AppJson(
        feed::user_page(&state, auth.user_id, user, q).await?,
    ))
}

/// Like a moment I may see (idempotent; the author gets `moment.liked`).
#[utoipa::path(put, path = "/moments/{id}/like", tag = "moments", security(("bearer" = [])),
    params(("id" = String, Path, description = "Moment id")),
    responses((status = 200, body = LikeStateOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn like_moment(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<MomentId>,
) -> ApiResult<AppJson<LikeStateOut>> {
    Ok(AppJson(interact::like(&state, auth.user_id, id).await?))
}

/// Take my like back (idempotent).
#[utoipa::path(delete, path = "/moments/{id}/like", tag = "moments", security(("bearer" = [])),
    params(("id" = String, Path, description = "Moment id")),
    responses((status = 200, body = LikeStateOut), (status = 401, body = ErrorBody)))]
pub async fn unlike_moment(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<MomentId>,
) -> ApiResult<AppJson<LikeStateOut>> {
    Ok(AppJson(interact::unlike(&state, auth.user_id, id).await?))
}

/// The likes I may see on a moment I may see (mine and my friends'; all on my own).
#[utoipa::path(get, path = "/moments/{id}/likes", tag = "moments", security(("bearer" = [])),
    params(("id" = String, Path, description = "Moment id"), MomentsQuery),
    responses((status = 200, body = LikePage), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "`validation_failed` (limit, cursor)", body = ErrorBody)))]
pub async fn list_moment_likes(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<MomentId>,
    AppQuery(q): AppQuery<MomentsQuery>,
) -> ApiResult<AppJson<LikePage>> {
    Ok(AppJson(interact::likes(&state, auth.user_id, id, q).await?))
}

/// Comment on a moment I may see, or answer a comment I may see on it (`reply_to`). The
/// author (and the answered commenter) get `moment.commented`.
#[utoipa::path(post, path = "/moments/{id}/comments", tag = "moments", security(("bearer" = [])),
    params(("id" = String, Path, description = "Moment id")), request_body = CommentIn,
    responses((status = 201, body = CommentOut), (status = 401, body = ErrorBody),
        (status = 403, description = "`user_muted`", body = ErrorBody),
        (status = 404, description = "`not_found` (the moment, or `reply_to`)", body = ErrorBody),
        (status = 422, description = "`validation_failed` (text), `content_blocked`", body = ErrorBody)))]
pub async fn comment_moment(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<MomentId>,
    AppJson(input): AppJson<CommentIn>,
) -> ApiResult<(StatusCode, AppJson<CommentOut>)> {
    let out = interact::comment(&state, auth.user_id, id, input).await?;
    Ok((StatusCode::CREATED, AppJson(out)))
}

/// The comments I may see on a moment I may see, oldest first.
#[utoipa::path(get, path = "/moments/{id}/comments", tag = "moments", security(("bearer" = [])),
    params(("id" = String, Path, description = "Moment id"), MomentsQuery),
    responses((status = 200, body = CommentPage), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "`validation_failed` (limit, cursor)", body = ErrorBody)))]
pub async fn list_moment_comments(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<MomentId>,
    AppQuery(q): AppQuery<MomentsQuery>,
) -> ApiResult<AppJson<CommentPage>> {
    Ok(AppJson(
        interact::comments(&state, auth.user_id, id, q).await?,
    ))
}

/// Delete a comment: mine, or any on my moment.
#[utoipa::path(delete, path = "/moments/comments/{id}", tag = "moments", security(("bearer" = [])),
    params(("id" = String, Path, description = "Comment id")),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_moment_comment(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<MomentCommentId>,
) -> ApiResult<StatusCode> {
    interact::delete_comment(&state, auth.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// My notification inbox (likes, comments, replies, mentions I may still see), newest
/// first. A page may be short; follow `next_cursor` until it is absent.
#[utoipa::path(get, path = "/moments/notifications", tag = "moments", security(("bearer" = [])), params(MomentsQuery),
    responses((status = 200, body = NotificationPage), (status = 401, body = ErrorBody),
        (status = 422, description = "`validation_failed` (limit, cursor)", body = ErrorBody)))]
pub async fn list_moment_notifications(
    auth: AuthUser,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<MomentsQuery>,
) -> ApiResult<AppJson<NotificationPage>> {
    Ok(AppJson(inbox::list(&state, auth.user_id, q).await?))
}

/// Mark my whole inbox read (clears `unread_notifications` in sync).
#[utoipa::path(post, path = "/moments/notifications/read", tag = "moments", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn read_moment_notifications(
    auth: AuthUser,
    State(state): State<AppState>,
) -> ApiResult<StatusCode> {
    inbox::mark_read(&state, auth.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// My moments settings and hide lists.
#[utoipa::path(get, path = "/moments/settings", tag = "moments", security(("bearer" = [])),
    responses((status = 200, body = MomentSettingsOut), (status = 401, body = ErrorBody)))]
pub async fn get_moment_settings(
    auth: AuthUser,
    State(state): State<AppState>,
) -> ApiResult<AppJson<MomentSettingsOut>> {
    Ok(AppJson(settings::get(&state, auth.user_id).await?))
}

/// Change my stranger range and/or cover image.
#[utoipa::path(patch, path = "/moments/settings", tag = "moments", security(("bearer" = [])), request_body = MomentSettingsPatch,
    responses((status = 200, body = MomentSettingsOut), (status = 401, body = ErrorBody),
        (status = 422, description = "`validation_failed` (cover)", body = ErrorBody)))]
pub async fn update_moment_settings(
    auth: AuthUser,
    State(state): State<AppState>,
    AppJson(p): AppJson<MomentSettingsPatch>,
) -> ApiResult<AppJson<MomentSettingsOut>> {
    Ok(AppJson(settings::patch(&state, auth.user_id, p).await?))
}

/// Hide my moments from a user (a friend keeps the friendship, sees none of my moments).
#[utoipa::path(put, path = "/moments/hidden-from/{user_id}", tag = "moments", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id")),
    responses((status = 200, body = MomentSettingsOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "`cannot_target_self`, `validation_failed` (list full)", body = ErrorBody)))]
pub async fn hide_moments_from(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
) -> ApiResult<AppJson<MomentSettingsOut>> {
    Ok(AppJson(
        settings::hide(&state, auth.user_id, HideKind::From, user).await?,
    ))
}

/// Stop hiding my moments from a user.
#[utoipa::path(delete, path = "/moments/hidden-from/{user_id}", tag = "moments", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id")),
    responses((status = 200, body = MomentSettingsOut), (status = 401, body = ErrorBody)))]
pub async fn unhide_moments_from(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
) -> ApiResult<AppJson<MomentSettingsOut>> {
    Ok(AppJson(
        settings::unhide(&state, auth.user_id, HideKind::From, user).await?,
    ))
}

/// Leave a user's moments out of my feed.
#[utoipa::path(put, path = "/moments/muted/{user_id}", tag = "moments", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id")),
    responses((status = 200, body = MomentSettingsOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "`cannot_target_self`, `validation_failed` (list full)", body = ErrorBody)))]
pub async fn mute_moments_of(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
) -> ApiResult<AppJson<MomentSettingsOut>> {
    Ok(AppJson(
        settings::hide(&state, auth.user_id, HideKind::Mute, user).await?,
    ))
}

/// Show a user's moments in my feed again.
#[utoipa::path(delete, path = "/moments/muted/{user_id}", tag = "moments", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id")),
    responses((status = 200, body = MomentSettingsOut), (status = 401, body = ErrorBody)))]
pub async fn unmute_moments_of(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
) -> ApiResult<AppJson<MomentSettingsOut>> {
    Ok(AppJson(
        settings::unhide(&state, auth.user_id, HideKind::Mute, user).await?,
    ))
}
