//! Routes: `/auth/register`, `/auth/login`, `/auth/refresh`, `/auth/logout`,
//! `/auth/logout-all`, `/me…`, `/users…`.

use axum::http::{HeaderMap, StatusCode};
use confab_proto::ErrorBody;
use confab_proto::accounts::{
    DeleteMeIn, LoginIn, MeOut, MePatch, Page, PasswordChangeIn, RefreshIn, RegisterIn, SessionOut,
    TokenOut, UserOut, UserSearchQuery,
};
use confab_proto::ids::{SessionId, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::AuthUser;
use super::service::{self, Origin};
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::ratelimit::{ClientIp, user_agent};
use crate::state::AppState;

/// The accounts routes (mounted under `/api/v1`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(logout_all))
        .routes(routes!(get_me, update_me, delete_me))
        .routes(routes!(change_password))
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(get_user))
        .routes(routes!(search_users))
        .merge(super::codes_api::routes())
        .merge(super::oauth_api::routes())
}

fn origin(ip: ClientIp, headers: &HeaderMap, device: Option<String>) -> Origin {
    Origin {
        ip: ip.0,
        user_agent: user_agent(headers),
        device,
    }
}

/// Create an account with a username and password, and sign in.
///
/// An email or phone given here must come with its code (`POST /auth/codes`, purpose
/// `register`); config may require one.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterIn,
    responses(
        (status = 201, description = "Account created and signed in", body = TokenOut),
        (status = 403, description = "`registration_closed`, `invite_required`, `registration_invite_invalid` (`auth.registration`)", body = ErrorBody),
        (status = 409, description = "`username_taken`, `email_taken`, `phone_taken`", body = ErrorBody),
        (status = 422, description = "`validation_failed`, `weak_password`, `verification_required`, `code_invalid`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody)))]
pub async fn register(
    ip: ClientIp,
    headers: HeaderMap,
    axum::extract::State(state): axum::extract::State<AppState>,
    AppJson(input): AppJson<RegisterIn>,
) -> ApiResult<(StatusCode, AppJson<TokenOut>)> {
    let device = input.device.clone();
    let out = service::register(&state, input, origin(ip, &headers, device)).await?;
    Ok((StatusCode::CREATED, AppJson(out)))
}

/// Sign in with a username, email or phone and a password.
///
/// Unknown accounts and wrong passwords get the same `invalid_credentials` answer.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginIn,
    responses(
        (status = 200, description = "Signed in", body = TokenOut),
        (status = 401, description = "`invalid_credentials`", body = ErrorBody),
        (status = 403, description = "`account_disabled`", body = ErrorBody),
        (status = 422, description = "`captcha_required`, `captcha_invalid`: after `auth.captcha_after_failures` failures, solve `GET /auth/captcha` first", body = ErrorBody),
        (status = 429, description = "`too_many_attempts` (this account), `rate_limited` (this IP)", body = ErrorBody)))]
pub async fn login(
    ip: ClientIp,
    headers: HeaderMap,
    axum::extract::State(state): axum::extract::State<AppState>,
    AppJson(input): AppJson<LoginIn>,
) -> ApiResult<AppJson<TokenOut>> {
    let device = input.device.clone();
    Ok(AppJson(
        service::login(&state, input, origin(ip, &headers, device)).await?,
    ))
}

/// Exchange a refresh token for new tokens (the refresh token rotates).
///
/// Presenting an already-used refresh token signs the whole session out.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshIn,
    responses(
        (status = 200, description = "New tokens", body = TokenOut),
        (status = 401, description = "`refresh_token_invalid`", body = ErrorBody)))]
pub async fn refresh(
    ip: ClientIp,
    axum::extract::State(state): axum::extract::State<AppState>,
    AppJson(input): AppJson<RefreshIn>,
) -> ApiResult<AppJson<TokenOut>> {
    service::limit_ip(&state, "refresh", ip.0).await?;
    Ok(AppJson(
        service::refresh(&state, &input.refresh_token).await?,
    ))
}

/// Sign out this device.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "Signed out; its tokens and sockets stop working")))]
pub async fn logout(
    auth: AuthUser,
    axum::extract::State(state): axum::extract::State<AppState>,
) -> ApiResult<StatusCode> {
    service::logout(&state, auth).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign out every device, this one included.
#[utoipa::path(post, path = "/auth/logout-all", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "Every session signed out")))]
pub async fn logout_all(
    auth: AuthUser,
    axum::extract::State(state): axum::extract::State<AppState>,
) -> ApiResult<StatusCode> {
    service::logout_all(&state, auth).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// My account.
#[utoipa::path(get, path = "/me", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = MeOut), (status = 401, body = ErrorBody)))]
pub async fn get_me(
    auth: AuthUser,
    axum::extract::State(state): axum::extract::State<AppState>,
) -> ApiResult<AppJson<MeOut>> {
    Ok(AppJson(service::me(&state, auth).await?))
}

/// Edit my profile (nickname, avatar, bio, gender, tags); absent fields do not change.
#[utoipa::path(patch, path = "/me", tag = "me", security(("bearer" = [])), request_body = MePatch,
    responses((status = 200, body = MeOut), (status = 422, body = ErrorBody)))]
pub async fn update_me(
    auth: AuthUser,
    axum::extract::State(state): axum::extract::State<AppState>,
    AppJson(patch): AppJson<MePatch>,
) -> ApiResult<AppJson<MeOut>> {
    Ok(AppJson(service::update_me(&state, auth, patch).await?))
}

/// Delete my account (personal data is scrubbed; every session signed out).
#[utoipa::path(delete, path = "/me", tag = "me", security(("bearer" = [])), request_body = DeleteMeIn,
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody)))]
pub async fn delete_me(
    auth: AuthUser,
    axum::extract::State(state): axum::extract::State<AppState>,
    AppJson(input): AppJson<DeleteMeIn>,
) -> ApiResult<StatusCode> {
    service::delete_me(&state, auth, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change my password (with the old one, or a `change_password` code); signs out my other
/// devices.
#[utoipa::path(put, path = "/me/password", tag = "me", security(("bearer" = [])), request_body = PasswordChangeIn,
    responses((status = 204, description = "Changed"), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    auth: AuthUser,
    axum::extract::State(state): axum::extract::State<AppState>,
    AppJson(input): AppJson<PasswordChangeIn>,
) -> ApiResult<StatusCode> {
    service::change_password(&state, auth, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// My signed-in devices.
#[utoipa::path(get, path = "/me/sessions", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = Vec<SessionOut>)))]
pub async fn list_sessions(
    auth: AuthUser,
    axum::extract::State(state): axum::extract::State<AppState>,
) -> ApiResult<AppJson<Vec<SessionOut>>> {
    Ok(AppJson(service::list_sessions(&state, auth).await?))
}

/// Sign out one of my devices.
#[utoipa::path(delete, path = "/me/sessions/{id}", tag = "me", security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id")),
    responses((status = 204, description = "Signed out"), (status = 404, body = ErrorBody)))]
pub async fn revoke_session(
    auth: AuthUser,
    axum::extract::State(state): axum::extract::State<AppState>,
    AppPath(id): AppPath<SessionId>,
) -> ApiResult<StatusCode> {
    service::revoke_session(&state, auth, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's public profile, with follower/following counts and how I relate to them.
#[utoipa::path(get, path = "/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserOut), (status = 404, body = ErrorBody)))]
pub async fn get_user(
    auth: AuthUser,
    axum::extract::State(state): axum::extract::State<AppState>,
    AppPath(id): AppPath<UserId>,
) -> ApiResult<AppJson<UserOut>> {
    let mut user = service::public_user(&state, id).await?;
    crate::accounts::hooks::discovery(&state)?
        .decorate(&state, auth.user_id, &mut user)
        .await?;
    Ok(AppJson(user))
}

/// Find users by id, exact username / email / phone, or part of a nickname.
///
/// An exact username, email or phone finds a user only if they allow it (`/me/privacy`);
/// users who block me are never found. Each result carries my `relation` to it.
#[utoipa::path(get, path = "/users", tag = "users", security(("bearer" = [])), params(UserSearchQuery),
    responses((status = 200, body = Page<UserOut>), (status = 422, body = ErrorBody)))]
pub async fn search_users(
    auth: AuthUser,
    axum::extract::State(state): axum::extract::State<AppState>,
    AppQuery(q): AppQuery<UserSearchQuery>,
) -> ApiResult<AppJson<Page<UserOut>>> {
    Ok(AppJson(service::search(&state, auth.user_id, q).await?))
}
