//! Routes: `/admin/invites…`: sign-up invite codes for `auth.registration = "invite"`
//! (docs/accounts.md). The rules and the codes are accounts' ([`crate::accounts::invites`]);
//! here each administrative act is authorised and written to the audit log — never with
//! the code, which only the creation answer carries.

use axum::extract::State;
use axum::http::StatusCode;
use confab_proto::ErrorBody;
use confab_proto::admin::{
    PageQuery, SignupInviteDetailOut, SignupInviteIn, SignupInviteOut, SignupInvitePage,
};
use confab_proto::ids::SignupInviteId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::auth::AdminUser;
use crate::accounts::invites;
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::moderation::audit::audit;
use crate::state::AppState;

/// The invite routes (merged into [`super::api::routes`]).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_invites, create_invite))
        .routes(routes!(get_invite, revoke_invite))
}

/// Make a sign-up invite code, single- or multi-use, with an optional expiry (system
/// administrators). The answer's `code` is the only time the code is shown: the server
/// keeps a hash.
#[utoipa::path(post, path = "/admin/invites", tag = "admin", security(("bearer" = [])), request_body = SignupInviteIn,
    responses((status = 201, body = SignupInviteOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 422, description = "`validation_failed`: `max_uses`, `expires_at` or `note` out of bounds", body = ErrorBody)))]
pub async fn create_invite(
    AdminUser(admin): AdminUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<SignupInviteIn>,
) -> ApiResult<(StatusCode, AppJson<SignupInviteOut>)> {
    let out = invites::create(&state, admin.user_id, input).await?;
    let details = serde_json::json!({"max_uses": out.max_uses, "expires_at": out.expires_at, "note": out.note});
    audit(
        &state,
        admin.user_id,
        "invite.create",
        "signup_invite",
        out.id.to_string(),
        details,
    )
    .await?;
    Ok((StatusCode::CREATED, AppJson(out)))
}

/// Sign-up invites, newest first, with their use counts (system administrators). Codes are
/// never listed.
#[utoipa::path(get, path = "/admin/invites", tag = "admin", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = SignupInvitePage),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad cursor or limit", body = ErrorBody)))]
pub async fn list_invites(
    AdminUser(_admin): AdminUser,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<PageQuery>,
) -> ApiResult<AppJson<SignupInvitePage>> {
    Ok(AppJson(invites::list(&state, q).await?))
}

/// One sign-up invite and the accounts made with it (system administrators).
#[utoipa::path(get, path = "/admin/invites/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "Invite id")),
    responses((status = 200, body = SignupInviteDetailOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody)))]
pub async fn get_invite(
    AdminUser(_admin): AdminUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<SignupInviteId>,
) -> ApiResult<AppJson<SignupInviteDetailOut>> {
    Ok(AppJson(invites::detail(&state, id).await?))
}

/// Revoke a sign-up invite: it admits nobody from now on; accounts it made stay (system
/// administrators). Revoking again changes nothing.
#[utoipa::path(delete, path = "/admin/invites/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "Invite id")),
    responses((status = 200, body = SignupInviteOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody)))]
pub async fn revoke_invite(
    AdminUser(admin): AdminUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<SignupInviteId>,
) -> ApiResult<AppJson<SignupInviteOut>> {
    let out = invites::revoke(&state, admin.user_id, id).await?;
    audit(
        &state,
        admin.user_id,
        "invite.revoke",
        "signup_invite",
        id.to_string(),
        serde_json::json!({}),
    )
    .await?;
    Ok(AppJson(out))
}
