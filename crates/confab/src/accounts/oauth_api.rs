//! Routes: `/auth/oauth/{provider}/start`, `/auth/oauth/{provider}/callback`,
//! `/me/identities…`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use confab_proto::ErrorBody;
use confab_proto::accounts::TokenOut;
use confab_proto::oauth::{
    AuthorizeOut, IdentityOut, OauthCallbackQuery, OauthProviderOut, OauthProvidersOut,
    OauthStartQuery,
};
use url::Url;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::AuthUser;
use super::oauth::{self, Outcome};
use super::service::{self, Origin};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::ratelimit::{ClientIp, user_agent};
use crate::state::AppState;

/// The OAuth and identity routes (merged into the accounts routes).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_providers))
        .routes(routes!(start_oauth))
        .routes(routes!(finish_oauth))
        .routes(routes!(list_identities))
        .routes(routes!(unlink_identity))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// A 302 that neither caches nor leaks its URL onwards.
fn found(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(loc) => (
            StatusCode::FOUND,
            [
                (header::LOCATION, loc),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                (
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                ),
            ],
        )
            .into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// `redirect` with `pairs` as its fragment (never the query: fragments stay in the browser).
fn with_fragment(mut redirect: Url, pairs: &[(&str, &str)]) -> String {
    let mut f = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        f.append_pair(k, v);
    }
    redirect.set_fragment(Some(&f.finish()));
    redirect.into()
}

/// The third-party sign-in providers configured on this server (names and kinds only), so
/// a client knows which sign-in buttons to show. Public; empty when none is configured.
#[utoipa::path(get, path = "/auth/oauth/providers", tag = "auth",
    responses((status = 200, body = OauthProvidersOut)))]
pub async fn list_providers(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> AppJson<OauthProvidersOut> {
    let providers = state
        .config
        .oauth
        .providers
        .iter()
        .map(|p| OauthProviderOut {
            name: p.name.clone(),
            kind: match p.kind {
                crate::config::OauthKind::Oidc => "oidc",
                crate::config::OauthKind::Github => "github",
            }
            .to_owned(),
        })
        .collect();
    AppJson(OauthProvidersOut { providers })
}

/// Start signing in (or, with `link=true`, linking) with a third-party provider.
///
/// Answers 302 to the provider's authorization page; with `Accept: application/json`, 200
/// with `{authorize_url}` instead (for single-page apps, and for link mode, where the
/// request must carry the bearer token a browser navigation cannot send).
#[utoipa::path(get, path = "/auth/oauth/{provider}/start", tag = "auth",
    params(("provider" = String, Path, description = "A configured provider name"), OauthStartQuery),
    responses(
        (status = 302, description = "To the provider's authorization page"),
        (status = 200, description = "With `Accept: application/json`", body = AuthorizeOut),
        (status = 401, description = "`unauthorized` (link mode needs a bearer token)", body = ErrorBody),
        (status = 403, description = "`registration_invite_invalid`: `invite` cannot be a code", body = ErrorBody),
        (status = 404, description = "`oauth_provider_unknown`", body = ErrorBody),
        (status = 422, description = "`validation_failed`: `redirect_uri` is not allow-listed", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody)))]
pub async fn start_oauth(
    ip: ClientIp,
    headers: HeaderMap,
    auth: Result<AuthUser, ApiError>,
    axum::extract::State(state): axum::extract::State<AppState>,
    AppPath(provider): AppPath<String>,
    AppQuery(q): AppQuery<OauthStartQuery>,
) -> ApiResult<Response> {
    service::limit_ip(&state, "oauth", ip.0).await?;
    let link_user = if q.link.unwrap_or(false) {
        Some(auth?)
    } else {
        None
    };
    let url = oauth::start(
        &state,
        &provider,
        q.redirect_uri.as_deref(),
        link_user,
        q.invite.as_deref(),
    )
    .await?;
    if wants_json(&headers) {
        return Ok(AppJson(AuthorizeOut { authorize_url: url }).into_response());
    }
    Ok(found(&url))
}

/// The provider sends the browser back here; finishes signing in or linking.
///
/// With a `redirect_uri` given at start: 302 there, with the tokens in the URL fragment
/// (`#access_token=…&token_type=Bearer&expires_in=…&refresh_token=…&session_id=…`), or
/// `#linked=<provider>` in link mode. Without one: the tokens as JSON (link mode: my
/// identities). Errors are always JSON.
#[utoipa::path(get, path = "/auth/oauth/{provider}/callback", tag = "auth",
    params(("provider" = String, Path, description = "A configured provider name"), OauthCallbackQuery),
    responses(
        (status = 200, description = "Signed in (or, link mode, my identities)", body = TokenOut),
        (status = 302, description = "To the client page, tokens in the fragment"),
        (status = 400, description = "`oauth_state_invalid`, `oauth_failed`", body = ErrorBody),
        (status = 403, description = "`account_disabled`; for a first sign-in that would create an account: `registration_closed`, `invite_required`, `registration_invite_invalid`", body = ErrorBody),
        (status = 404, description = "`oauth_provider_unknown`", body = ErrorBody),
        (status = 409, description = "`identity_linked` (link mode)", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody)))]
pub async fn finish_oauth(
    ip: ClientIp,
    headers: HeaderMap,
    axum::extract::State(state): axum::extract::State<AppState>,
    AppPath(provider): AppPath<String>,
    AppQuery(q): AppQuery<OauthCallbackQuery>,
) -> ApiResult<Response> {
    service::limit_ip(&state, "oauth", ip.0).await?;
    let origin = Origin {
        ip: ip.0,
        user_agent: user_agent(&headers),
        device: None,
    };
    let no_store = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    Ok(match oauth::callback(&state, &provider, q, origin).await? {
        Outcome::SignedIn {
            tokens,
            redirect: Some(to),
        } => found(&with_fragment(
            to,
            &[
                ("access_token", &tokens.access_token),
                ("token_type", &tokens.token_type),
                ("expires_in", &tokens.expires_in.to_string()),
                ("refresh_token", &tokens.refresh_token),
                ("session_id", &tokens.session_id.to_string()),
            ],
        )),
        Outcome::SignedIn {
            tokens,
            redirect: None,
        } => (no_store, AppJson(tokens)).into_response(),
        Outcome::Linked {
            redirect: Some(to), ..
        } => found(&with_fragment(to, &[("linked", &provider)])),
        Outcome::Linked {
            identities,
            redirect: None,
        } => (no_store, AppJson(identities)).into_response(),
    })
}

/// My linked third-party identities.
#[utoipa::path(get, path = "/me/identities", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = Vec<IdentityOut>), (status = 401, body = ErrorBody)))]
pub async fn list_identities(
    auth: AuthUser,
    axum::extract::State(state): axum::extract::State<AppState>,
) -> ApiResult<AppJson<Vec<IdentityOut>>> {
    Ok(AppJson(oauth::list_identities(&state, auth.user_id).await?))
}

/// Unlink a third-party identity from my account.
///
/// Refused with `last_sign_in_method` when the account has no password and no other
/// identity (a verified email or phone does not count).
#[utoipa::path(delete, path = "/me/identities/{provider}", tag = "me", security(("bearer" = [])),
    params(("provider" = String, Path, description = "The provider name")),
    responses(
        (status = 204, description = "Unlinked"),
        (status = 404, description = "`not_found`: no identity of that provider", body = ErrorBody),
        (status = 409, description = "`last_sign_in_method`", body = ErrorBody)))]
pub async fn unlink_identity(
    auth: AuthUser,
    axum::extract::State(state): axum::extract::State<AppState>,
    AppPath(provider): AppPath<String>,
) -> ApiResult<StatusCode> {
    oauth::unlink(&state, auth, &provider).await?;
    Ok(StatusCode::NO_CONTENT)
}
