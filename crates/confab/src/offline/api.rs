//! Routes: `/me/push-settings`.

use axum::extract::State;
use confab_proto::ErrorBody;
use confab_proto::push::{PushSettingsOut, PushSettingsPatch};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::settings;
use crate::accounts::auth::AuthUser;
use crate::error::ApiResult;
use crate::http::extract::AppJson;
use crate::state::AppState;

/// The offline-push routes (mounted under `/api/v1`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_push_settings, update_push_settings))
}

/// My push settings: whether offline pushes (docs/push.md) show message text.
#[utoipa::path(get, path = "/me/push-settings", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = PushSettingsOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody)))]
pub async fn get_push_settings(
    auth: AuthUser,
    State(state): State<AppState>,
) -> ApiResult<AppJson<PushSettingsOut>> {
    Ok(AppJson(settings::get(&state, auth.user_id).await?))
}

/// Change my push settings: `private_previews: true` keeps message text out of pushes
/// (they still say who wrote where).
#[utoipa::path(patch, path = "/me/push-settings", tag = "me", security(("bearer" = [])), request_body = PushSettingsPatch,
    responses((status = 200, body = PushSettingsOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn update_push_settings(
    auth: AuthUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<PushSettingsPatch>,
) -> ApiResult<AppJson<PushSettingsOut>> {
    Ok(AppJson(settings::patch(&state, auth.user_id, input).await?))
}
