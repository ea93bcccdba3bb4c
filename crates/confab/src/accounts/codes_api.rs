//! Routes: `/auth/codes`, `/auth/captcha`, `/auth/login/code`, `/auth/password/reset`,
//! `/me/email`, `/me/phone`.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use confab_proto::ErrorBody;
use confab_proto::accounts::{MeOut, TokenOut};
use confab_proto::codes::{
    CaptchaOut, CodeLoginIn, CodeRequestIn, CodeSentOut, EmailBindIn, PasswordResetIn, PhoneBindIn,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{AuthUser, bearer};
use super::codes::Channel;
use super::service::{self, Origin};
use super::{captcha, codes_service};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::AppJson;
use crate::ratelimit::{ClientIp, user_agent};
use crate::state::AppState;

/// The verification-code routes (merged into [`super::api::routes`]).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_code))
        .routes(routes!(get_captcha))
        .routes(routes!(login_with_code))
        .routes(routes!(reset_password))
        .routes(routes!(bind_email, unbind_email))
        .routes(routes!(bind_phone, unbind_phone))
}

/// The caller when a bearer token is sent (it must then be valid), or nobody.
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl FromRequestParts<AppState> for MaybeAuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if bearer(parts).is_none() {
            return Ok(Self(None));
        }
        Ok(Self(Some(
            AuthUser::from_request_parts(parts, state).await?,
        )))
    }
}

/// Send a verification code by email or SMS.
///
/// `register` and `bind` need an address no other account holds; `change_password` and
/// `bind` need a signed-in caller, and `change_password` the account's own verified
/// address. For `login` and `reset_password` an unknown address gets the same answer but
/// no code. One code per target per `resend_after` seconds, a daily cap per target and per
/// IP; with `codes.captcha_required`, a solved captcha from `GET /auth/captcha`.
#[utoipa::path(post, path = "/auth/codes", tag = "auth", request_body = CodeRequestIn,
    security((), ("bearer" = [])),
    responses(
        (status = 202, description = "Accepted (sent, unless the target is unknown for `login` / `reset_password`)", body = CodeSentOut),
        (status = 401, description = "`unauthorized` (`bind` and `change_password` need a signed-in caller)", body = ErrorBody),
        (status = 403, description = "`registration_closed`: purpose `register` while sign-up is closed", body = ErrorBody),
        (status = 409, description = "`email_taken`, `phone_taken`", body = ErrorBody),
        (status = 422, description = "`validation_failed`, `verification_required`, `captcha_required`, `captcha_invalid`", body = ErrorBody),
        (status = 429, description = "`code_too_soon` (with `Retry-After`), `code_daily_limit`, `rate_limited`", body = ErrorBody),
        (status = 503, description = "`service_unavailable`: the mail or SMS provider failed", body = ErrorBody)))]
pub async fn request_code(
    ip: ClientIp,
    auth: MaybeAuthUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<CodeRequestIn>,
) -> ApiResult<(StatusCode, AppJson<CodeSentOut>)> {
    let out = codes_service::request_code(&state, auth.0, input, ip.0).await?;
    Ok((StatusCode::ACCEPTED, AppJson(out)))
}

/// Get an image captcha to solve before asking for a code.
///
/// Each captcha answers once (right or wrong) and expires after `expires_in` seconds.
#[utoipa::path(get, path = "/auth/captcha", tag = "auth",
    responses(
        (status = 200, description = "A new captcha", body = CaptchaOut),
        (status = 429, description = "`rate_limited`", body = ErrorBody)))]
pub async fn get_captcha(
    ip: ClientIp,
    State(state): State<AppState>,
) -> ApiResult<AppJson<CaptchaOut>> {
    service::limit_ip(&state, "captcha", ip.0).await?;
    Ok(AppJson(captcha::create(&state).await?))
}

/// Sign in with a code sent to the account's verified email or phone (purpose `login`).
///
/// An unknown address fails exactly like a wrong code.
#[utoipa::path(post, path = "/auth/login/code", tag = "auth", request_body = CodeLoginIn,
    responses(
        (status = 200, description = "Signed in", body = TokenOut),
        (status = 403, description = "`account_disabled`", body = ErrorBody),
        (status = 422, description = "`code_invalid`, `validation_failed`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody)))]
pub async fn login_with_code(
    ip: ClientIp,
    headers: HeaderMap,
    State(state): State<AppState>,
    AppJson(input): AppJson<CodeLoginIn>,
) -> ApiResult<AppJson<TokenOut>> {
    let origin = Origin {
        ip: ip.0,
        user_agent: user_agent(&headers),
        device: input.device.clone(),
    };
    Ok(AppJson(
        codes_service::login_with_code(&state, input, origin).await?,
    ))
}

/// Set a new password with a code (purpose `reset_password`); signs out every device.
#[utoipa::path(post, path = "/auth/password/reset", tag = "auth", request_body = PasswordResetIn,
    responses(
        (status = 204, description = "Password set; every session signed out"),
        (status = 422, description = "`code_invalid`, `weak_password`, `validation_failed`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody)))]
pub async fn reset_password(
    ip: ClientIp,
    State(state): State<AppState>,
    AppJson(input): AppJson<PasswordResetIn>,
) -> ApiResult<StatusCode> {
    codes_service::reset_password(&state, input, ip.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Bind an email address to my account, proved by a `bind` code sent to it.
#[utoipa::path(put, path = "/me/email", tag = "me", security(("bearer" = [])), request_body = EmailBindIn,
    responses(
        (status = 200, description = "Bound and verified", body = MeOut),
        (status = 409, description = "`email_taken`", body = ErrorBody),
        (status = 422, description = "`code_invalid`, `validation_failed`", body = ErrorBody)))]
pub async fn bind_email(
    ip: ClientIp,
    auth: AuthUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<EmailBindIn>,
) -> ApiResult<AppJson<MeOut>> {
    Ok(AppJson(
        codes_service::bind_email(&state, auth, input, ip.0).await?,
    ))
}

/// Remove the email address from my account.
#[utoipa::path(delete, path = "/me/email", tag = "me", security(("bearer" = [])),
    responses(
        (status = 200, description = "Removed", body = MeOut),
        (status = 409, description = "`last_sign_in_method`", body = ErrorBody)))]
pub async fn unbind_email(
    auth: AuthUser,
    State(state): State<AppState>,
) -> ApiResult<AppJson<MeOut>> {
    Ok(AppJson(
        codes_service::unbind(&state, auth, Channel::Email).await?,
    ))
}

/// Bind a phone number to my account, proved by a `bind` code sent to it.
#[utoipa::path(put, path = "/me/phone", tag = "me", security(("bearer" = [])), request_body = PhoneBindIn,
    responses(
        (status = 200, description = "Bound and verified", body = MeOut),
        (status = 409, description = "`phone_taken`", body = ErrorBody),
        (status = 422, description = "`code_invalid`, `validation_failed`", body = ErrorBody)))]
pub async fn bind_phone(
    ip: ClientIp,
    auth: AuthUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<PhoneBindIn>,
) -> ApiResult<AppJson<MeOut>> {
    Ok(AppJson(
        codes_service::bind_phone(&state, auth, input, ip.0).await?,
    ))
}

/// Remove the phone number from my account.
#[utoipa::path(delete, path = "/me/phone", tag = "me", security(("bearer" = [])),
    responses(
        (status = 200, description = "Removed", body = MeOut),
        (status = 409, description = "`last_sign_in_method`", body = ErrorBody)))]
pub async fn unbind_phone(
    auth: AuthUser,
    State(state): State<AppState>,
) -> ApiResult<AppJson<MeOut>> {
    Ok(AppJson(
        codes_service::unbind(&state, auth, Channel::Sms).await?,
    ))
}
