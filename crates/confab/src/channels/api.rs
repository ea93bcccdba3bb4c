//! Routes: `/channels/world`, `/admin/channels/world/mutes…`.

use axum::extract::State;
use axum::http::StatusCode;
use confab_proto::ErrorBody;
use confab_proto::admin::{ChannelMuteIn, ChannelMuteOut, WorldChannelOut};
use confab_proto::ids::UserId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service;
use crate::accounts::auth::{AdminUser, AuthUser};
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath};
use crate::state::AppState;

/// The channel routes (mounted under `/api/v1`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_world_channel))
        .routes(routes!(mute_in_world_channel))
        .routes(routes!(unmute_in_world_channel))
}

/// The world channel: its conversation (read and post with the conversation endpoints) and
/// whether I may post. Opening it makes me a member, so it appears in my sync.
#[utoipa::path(get, path = "/channels/world", tag = "channels", security(("bearer" = [])),
    responses((status = 200, body = WorldChannelOut), (status = 401, body = ErrorBody)))]
pub async fn get_world_channel(
    auth: AuthUser,
    State(state): State<AppState>,
) -> ApiResult<AppJson<WorldChannelOut>> {
    Ok(AppJson(service::world(&state, auth.user_id).await?))
}

/// Mute a user in the world channel, until a time or permanently (system administrators).
#[utoipa::path(post, path = "/admin/channels/world/mutes", tag = "admin", security(("bearer" = [])),
    request_body = ChannelMuteIn,
    responses((status = 200, body = ChannelMuteOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 404, description = "`not_found`: no such user", body = ErrorBody),
        (status = 422, description = "`validation_failed` (until not in the future), `cannot_target_self`", body = ErrorBody)))]
pub async fn mute_in_world_channel(
    AdminUser(admin): AdminUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<ChannelMuteIn>,
) -> ApiResult<AppJson<ChannelMuteOut>> {
    Ok(AppJson(service::mute(&state, admin.user_id, input).await?))
}

/// Lift a user's world-channel mute (system administrators).
#[utoipa::path(delete, path = "/admin/channels/world/mutes/{user_id}", tag = "admin", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id")),
    responses((status = 204),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 404, description = "`not_found`: not muted there", body = ErrorBody)))]
pub async fn unmute_in_world_channel(
    AdminUser(admin): AdminUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
) -> ApiResult<StatusCode> {
    service::unmute(&state, admin.user_id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}
