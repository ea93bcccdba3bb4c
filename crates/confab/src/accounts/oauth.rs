//! Third-party sign-in: the OAuth2 authorization-code flow with PKCE (S256) against a
//! generic OpenID Connect provider (by discovery) or GitHub, and linked identities.
//!
//! Invariants:
//! - Every flow starts with a one-time `state` kept in the cache for [`STATE_TTL`] with the
//!   PKCE verifier, the OIDC nonce, the provider, the client's post-login page and (link mode)
//!   the caller. The callback *takes* it atomically, so a replayed, forged, expired or
//!   cross-provider `state` is refused before any code is exchanged.
//! - An identity is `(provider, subject)`: the provider's stable id (OIDC `sub`, GitHub's
//!   numeric user id), never an email address or a login that can be renamed.
//! - A provider account is never attached to an existing local account because the email
//!   addresses match: only an explicit link by the signed-in owner does that. An unknown
//!   identity gets a new account, without the provider's email bound to it.
//! - Post-login redirects go only to `oauth.redirect_allowlist`; tokens travel in the URL
//!   fragment, which browsers do not send to servers or in `Referer`.
//! - Outbound calls use their own HTTP client that follows no redirects (no SSRF through a
//!   provider's 3xx) and reads at most [`MAX_BODY`] bytes. Tokens, codes and secrets are
//!   never logged.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use confab_proto::ErrorCode;
use confab_proto::accounts::TokenOut;
use confab_proto::ids::UserId;
use confab_proto::oauth::{IdentityOut, OauthCallbackQuery};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AsyncHttpClient, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest,
    HttpResponse, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse,
};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use url::Url;

use super::auth::AuthUser;
use super::model::{self, Role};
use super::service::{self, Origin};
use super::store::{self, NewUser, Taken, WriteError};
use super::tokens::hash_secret;
use crate::config::{OauthKind, OauthProviderConfig};
use crate::error::ApiError;
use crate::infra::store::StoreError;
use crate::state::AppState;

/// How long a started sign-in may take at the provider.
pub const STATE_TTL: Duration = Duration::from_secs(600);
/// The most the server reads from a provider's answer.
const MAX_BODY: usize = 1 << 20;
/// Per-request timeout for calls to a provider.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

const GITHUB_AUTH_URL: &str = "https://github.com/login/oauth/authorize";
const GITHUB_TOKEN_URL: &str = "https://github.com/login/oauth/access_token";
const GITHUB_API_URL: &str = "https://api.github.com";

/// What `start` remembers for the callback (cached under the hash of `state`).
#[derive(Serialize, Deserialize)]
struct Pending {
    provider: String,
    pkce_verifier: String,
    nonce: String,
    redirect: Option<String>,
    link_user: Option<UserId>,
}

/// How a successful callback ends.
pub enum Outcome {
    /// Signed in (an existing or a new account).
    SignedIn {
        /// The new session's tokens.
        tokens: Box<TokenOut>,
        /// The allow-listed client page to send them to, if the flow named one.
        redirect: Option<Url>,
    },
    /// Link mode: the identity now belongs to the caller.
    Linked {
        /// The caller's identities, the new one included.
        identities: Vec<IdentityOut>,
        /// The allow-listed client page, if the flow named one.
        redirect: Option<Url>,
    },
}

/// Who the provider says signed in.
#[derive(Debug, Default)]
struct Profile {
    subject: String,
    email: Option<String>,
    /// A login-like handle to derive a username from.
    login: Option<String>,
    /// A display name.
    name: Option<String>,
}

fn unknown_provider() -> ApiError {
    ApiError::new(
        ErrorCode::OauthProviderUnknown,
        "no such sign-in provider is configured",
    )
}

fn state_invalid() -> ApiError {
    ApiError::new(
        ErrorCode::OauthStateInvalid,
        "the sign-in state is missing, unknown, expired or already used; start again",
    )
}

/// The provider's answer was unusable. The cause is logged (it never holds a token: the
/// errors below are built from statuses and parse failures, not from request bodies).
fn failed(provider: &str, cause: impl std::fmt::Display) -> ApiError {
    tracing::warn!(provider, error = %cause, "oauth sign-in failed");
    ApiError::new(
        ErrorCode::OauthFailed,
        "the provider refused the sign-in or answered something unusable",
    )
}

fn provider<'a>(state: &'a AppState, name: &str) -> Result<&'a OauthProviderConfig, ApiError> {
    state
        .config
        .oauth
        .providers
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(unknown_provider)
}

/// `{public_url}/api/v1/auth/oauth/{name}/callback` (the URL to register at the provider).
pub fn callback_url(state: &AppState, name: &str) -> String {
    let base = if state.config.oauth.public_url.is_empty() {
        format!("http://{}", state.config.listen)
    } else {
        state.config.oauth.public_url.clone()
    };
    format!(
        "{}/api/v1/auth/oauth/{name}/callback",
        base.trim_end_matches('/')
    )
}

fn state_key(state: &str) -> String {
    format!("oauth:state:{}", hash_secret(state))
}

// ---------------------------------------------------------------- redirect allow-list

fn redirect_refused() -> ApiError {
    ApiError::invalid(
        "redirect_uri",
        "redirect_uri: not an allowed client page (see oauth.redirect_allowlist)",
    )
}

/// Checks a client page against the allow-list. An entry without a path (`https://app.com`)
/// allows its whole origin; one with a path allows that path and below it, on the same
/// origin. Only absolute http(s) URLs without credentials or a fragment pass; `//host`,
/// `javascript:`, `data:`, backslashes, whitespace and control characters are refused before
/// parsing so no parser disagreement can widen a match.
pub fn allowed_redirect(allowlist: &[String], raw: &str) -> Result<Url, ApiError> {
    if raw.is_empty()
        || raw.len() > 2048
        || raw.contains('\\')
        || raw.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(redirect_refused());
    }
    let url = Url::parse(raw).map_err(|_| redirect_refused())?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.fragment().is_some()
    {
        return Err(redirect_refused());
    }
    let allowed = allowlist.iter().any(|entry| {
        let Ok(e) = Url::parse(entry) else {
            return false;
        };
        if e.origin() != url.origin() {
            return false;
        }
        let prefix = e.path();
        if prefix == "/" && e.query().is_none() {
            return true;
        }
        let path = url.path();
        path == prefix
            || (path.starts_with(prefix)
                && (prefix.ends_with('/') || path[prefix.len()..].starts_with('/')))
    });
    if allowed {
        Ok(url)
    } else {
        Err(redirect_refused())
    }
}

// ---------------------------------------------------------------- outbound HTTP

/// A transport failure talking to a provider.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The request failed.
    #[error("request failed: {0}")]
    Request(#[from] reqwest::Error),
    /// The answer was larger than [`MAX_BODY`].
    #[error("answer too large")]
    TooLarge,
    /// The answer could not be rebuilt as an `http::Response`.
    #[error("bad answer: {0}")]
    Http(#[from] openidconnect::http::Error),
}

/// The client for provider calls: no redirects followed, short timeouts, bounded bodies.
/// Built per flow: sign-ins are rare, and this keeps provider traffic out of `AppState`.
struct Http(reqwest::Client);

impl Http {
    fn new() -> Result<Self, ApiError> {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("confab/", env!("CARGO_PKG_VERSION")))
            .build()
            .map(Http)
            .map_err(ApiError::internal)
    }

    async fn read(resp: reqwest::Response) -> Result<(reqwest::StatusCode, Vec<u8>), HttpError> {
        let status = resp.status();
        let mut resp = resp;
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(HttpError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    }
}

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let resp = self
                .0
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await?;
            let headers = resp.headers().clone();
            let (status, body) = Self::read(resp).await?;
            let mut out = openidconnect::http::Response::builder().status(status);
            if let Some(h) = out.headers_mut() {
                *h = headers;
            }
            Ok(out.body(body)?)
        })
    }
}

// ---------------------------------------------------------------- start

/// Starts a flow: remembers a one-time `state` and returns the provider's authorize URL.
pub async fn start(
    state: &AppState,
    name: &str,
    redirect_uri: Option<&str>,
    link_user: Option<AuthUser>,
) -> Result<String, ApiError> {
    let p = provider(state, name)?;
    let redirect = redirect_uri
        .map(|r| allowed_redirect(&state.config.oauth.redirect_allowlist, r))
        .transpose()?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let csrf = CsrfToken::new_random();
    let nonce = Nonce::new_random();
    let callback = callback_url(state, name);
    let url = match p.kind {
        OauthKind::Oidc => {
            let http = Http::new()?;
            let meta = discover(&http, p).await?;
            let client = CoreClient::from_provider_metadata(
                meta,
                ClientId::new(p.client_id.clone()),
                secret(p),
            )
            .set_redirect_uri(RedirectUrl::new(callback).map_err(ApiError::internal)?);
            let (csrf2, nonce2) = (csrf.clone(), nonce.clone());
            let mut req = client
                .authorize_url(
                    CoreAuthenticationFlow::AuthorizationCode,
                    move || csrf2,
                    move || nonce2,
                )
                .add_scope(Scope::new("email".into()))
                .add_scope(Scope::new("profile".into()));
            for s in &p.scopes {
                req = req.add_scope(Scope::new(s.clone()));
            }
            req.set_pkce_challenge(challenge).url().0
        }
        OauthKind::Github => {
            let mut url =
                Url::parse(or(&p.auth_url, GITHUB_AUTH_URL)).map_err(ApiError::internal)?;
            let mut scopes = vec!["read:user".to_owned(), "user:email".to_owned()];
            scopes.extend(p.scopes.iter().cloned());
            url.query_pairs_mut()
                .append_pair("client_id", &p.client_id)
                .append_pair("redirect_uri", &callback)
                .append_pair("scope", &scopes.join(" "))
                .append_pair("state", csrf.secret())
                .append_pair("code_challenge", challenge.as_str())
                .append_pair("code_challenge_method", "S256");
            url
        }
    };
    let pending = Pending {
        provider: name.to_owned(),
        pkce_verifier: verifier.secret().clone(),
        nonce: nonce.secret().clone(),
        redirect: redirect.map(String::from),
        link_user: link_user.map(|a| a.user_id),
    };
    let value = serde_json::to_vec(&pending).map_err(ApiError::internal)?;
    state
        .cache
        .set(&state_key(csrf.secret()), &value, STATE_TTL)
        .await?;
    Ok(url.into())
}

fn or<'a>(v: &'a str, default: &'a str) -> &'a str {
    if v.is_empty() { default } else { v }
}

fn secret(p: &OauthProviderConfig) -> Option<ClientSecret> {
    let s = p.client_secret.expose();
    (!s.is_empty()).then(|| ClientSecret::new(s.to_owned()))
}

async fn discover(http: &Http, p: &OauthProviderConfig) -> Result<CoreProviderMetadata, ApiError> {
    let issuer = IssuerUrl::new(p.issuer_url.clone()).map_err(|e| failed(&p.name, e))?;
    CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|e| failed(&p.name, format!("discovery: {e}")))
}

// ---------------------------------------------------------------- callback

/// Finishes a flow: checks and consumes `state`, exchanges the code, and signs in, creates
/// an account, or links (link mode).
pub async fn callback(
    state: &AppState,
    name: &str,
    q: OauthCallbackQuery,
    origin: Origin,
) -> Result<Outcome, ApiError> {
    let p = provider(state, name)?;
    let given = q
        .state
        .as_deref()
        .filter(|s| !s.is_empty() && s.len() <= 256)
        .ok_or_else(state_invalid)?;
    let bytes = state
        .cache
        .take(&state_key(given))
        .await?
        .ok_or_else(state_invalid)?;
    let pending: Pending = serde_json::from_slice(&bytes).map_err(|_| state_invalid())?;
    if pending.provider != name {
        return Err(state_invalid());
    }
    if let Some(err) = &q.error {
        return Err(failed(
            name,
            format!("provider answered error={:.64}", err.escape_debug()),
        ));
    }
    let code = q
        .code
        .filter(|c| !c.is_empty() && c.len() <= 2048)
        .ok_or_else(|| failed(name, "no code in the callback"))?;
    let http = Http::new()?;
    let profile = match p.kind {
        OauthKind::Oidc => oidc_profile(state, &http, p, code, &pending).await?,
        OauthKind::Github => github_profile(state, &http, p, code, &pending).await?,
    };
    let redirect = pending
        .redirect
        .as_deref()
        .map(|r| allowed_redirect(&state.config.oauth.redirect_allowlist, r))
        .transpose()?;
    if let Some(user) = pending.link_user {
        link(state, name, user, &profile).await?;
        return Ok(Outcome::Linked {
            identities: list_identities(state, user).await?,
            redirect,
        });
    }
    let user = match store::find_identity(state.store.writer(), name, &profile.subject).await? {
        Some(id) => service::usable(store::find_user(state.store.writer(), id).await?)?,
        None => create_account(state, name, &profile).await?,
    };
    tracing::info!(provider = name, user_id = %user.id, "signed in with a provider");
    let tokens = service::start_session(state, &user, origin).await?;
    Ok(Outcome::SignedIn {
        tokens: Box::new(tokens),
        redirect,
    })
}

async fn oidc_profile(
    state: &AppState,
    http: &Http,
    p: &OauthProviderConfig,
    code: String,
    pending: &Pending,
) -> Result<Profile, ApiError> {
    let meta = discover(http, p).await?;
    let client =
        CoreClient::from_provider_metadata(meta, ClientId::new(p.client_id.clone()), secret(p))
            .set_redirect_uri(
                RedirectUrl::new(callback_url(state, &p.name)).map_err(ApiError::internal)?,
            );
    let resp = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| failed(&p.name, e))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
        .request_async(http)
        .await
        .map_err(|e| failed(&p.name, format!("token exchange: {e}")))?;
    let id_token = resp
        .id_token()
        .ok_or_else(|| failed(&p.name, "no id_token in the token response"))?;
    // Signature (JWKS from discovery, RS256 and friends, never `none`), issuer, audience,
    // expiry and our nonce.
    let claims = id_token
        .claims(
            &client.id_token_verifier(),
            &Nonce::new(pending.nonce.clone()),
        )
        .map_err(|e| failed(&p.name, format!("id_token: {e}")))?;
    let mut profile = Profile {
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|e| e.as_str().to_owned()),
        login: claims.preferred_username().map(|u| u.as_str().to_owned()),
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned()),
    };
    // Many providers keep profile claims out of the ID token; ask the userinfo endpoint
    // (which must name the same subject) when it has none.
    if profile.login.is_none()
        && profile.name.is_none()
        && let Ok(req) =
            client.user_info(resp.access_token().clone(), Some(claims.subject().clone()))
    {
        let info: Result<CoreUserInfoClaims, _> = req.request_async(http).await;
        match info {
            Ok(info) => {
                profile.login = info.preferred_username().map(|u| u.as_str().to_owned());
                profile.name = info
                    .name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str().to_owned());
                if profile.email.is_none() {
                    profile.email = info.email().map(|e| e.as_str().to_owned());
                }
            }
            Err(e) => tracing::info!(provider = %p.name, error = %e, "userinfo unavailable"),
        }
    }
    Ok(profile)
}

#[derive(Deserialize)]
struct GithubToken {
    access_token: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct GithubUser {
    id: u64,
    login: String,
    name: Option<String>,
    email: Option<String>,
}

#[derive(Deserialize)]
struct GithubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

async fn github_profile(
    state: &AppState,
    http: &Http,
    p: &OauthProviderConfig,
    code: String,
    pending: &Pending,
) -> Result<Profile, ApiError> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &p.client_id)
        .append_pair("client_secret", p.client_secret.expose())
        .append_pair("code", &code)
        .append_pair("redirect_uri", &callback_url(state, &p.name))
        .append_pair("code_verifier", &pending.pkce_verifier)
        .finish();
    let resp = http
        .0
        .post(or(&p.token_url, GITHUB_TOKEN_URL))
        .header(reqwest::header::ACCEPT, "application/json")
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body)
        .send()
        .await
        .map_err(|e| failed(&p.name, HttpError::from(e)))?;
    let (status, bytes) = Http::read(resp).await.map_err(|e| failed(&p.name, e))?;
    // GitHub answers refusals with 200 and an `error` field.
    let token: GithubToken = serde_json::from_slice(&bytes)
        .map_err(|_| failed(&p.name, format!("token endpoint answered {status}")))?;
    let access = match (status.is_success(), token.access_token, token.error) {
        (true, Some(t), None) if !t.is_empty() => t,
        (_, _, err) => {
            return Err(failed(
                &p.name,
                format!(
                    "token endpoint answered {status}, error={:.64}",
                    err.unwrap_or_default().escape_debug()
                ),
            ));
        }
    };
    let api = or(&p.api_url, GITHUB_API_URL).trim_end_matches('/');
    let user: GithubUser = github_get(http, p, &access, &format!("{api}/user"))
        .await?
        .ok_or_else(|| failed(&p.name, "GET /user refused"))?;
    let mut email = user.email.clone();
    // The primary verified address, when the `user:email` scope was granted.
    if let Ok(Some(list)) =
        github_get::<Vec<GithubEmail>>(http, p, &access, &format!("{api}/user/emails")).await
        && let Some(e) = list.into_iter().find(|e| e.primary && e.verified)
    {
        email = Some(e.email);
    }
    Ok(Profile {
        subject: user.id.to_string(),
        email,
        login: Some(user.login),
        name: user.name,
    })
}

/// A GitHub API GET: `Ok(None)` on a non-success status.
async fn github_get<T: serde::de::DeserializeOwned>(
    http: &Http,
    p: &OauthProviderConfig,
    access: &str,
    url: &str,
) -> Result<Option<T>, ApiError> {
    let resp = http
        .0
        .get(url)
        .bearer_auth(access)
        .header(reqwest::header::ACCEPT, "application/vnd.github+json")
        .send()
        .await
        .map_err(|e| failed(&p.name, HttpError::from(e)))?;
    let (status, bytes) = Http::read(resp).await.map_err(|e| failed(&p.name, e))?;
    if !status.is_success() {
        return Ok(None);
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| failed(&p.name, format!("GitHub API answer: {e}")))
}

// ---------------------------------------------------------------- accounts and identities

/// A username candidate from a provider handle: lower-cased, other characters as `_`,
/// at most 24 characters (room for a suffix); `None` when too little is left.
fn username_base(raw: &str) -> Option<String> {
    let mut out = String::new();
    for c in raw.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '_'
        };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
        if out.len() >= 24 {
            break;
        }
    }
    let out = out.trim_matches('_').to_owned();
    model::normalize_username(&out).ok()
}

/// Creates an account for an unknown identity and links it, in one transaction. The
/// provider's email is not bound (and never matched against existing accounts).
async fn create_account(
    state: &AppState,
    name: &str,
    profile: &Profile,
) -> Result<model::User, ApiError> {
    let base = [
        profile.login.as_deref(),
        profile.name.as_deref(),
        profile.email.as_deref().and_then(|e| e.split('@').next()),
    ]
    .into_iter()
    .flatten()
    .find_map(username_base)
    .unwrap_or_else(|| "user".to_owned());
    let nickname = profile
        .name
        .as_deref()
        .or(profile.login.as_deref())
        .and_then(|n| model::display_text("nickname", n, 1, 64).ok())
        // The provider's display name is screened like any nickname; one the filter
        // refuses falls back to the username (sign-in must not fail over it).
        .and_then(|n| crate::moderation::filter::check(state, "nickname", &n).ok())
        .map(|c| c.text);
    let now = state.clock.now();
    for attempt in 0..8 {
        let username = if attempt == 0 {
            base.clone()
        } else {
            let n: u32 = rand::random_range(1000..1_000_000);
            format!("{base}_{n}")
        };
        if store::find_user_by(state.store.writer(), Taken::Username, &username)
            .await?
            .is_some()
        {
            continue;
        }
        let id = UserId(state.ids.next_id());
        let txn = state
            .store
            .writer()
            .begin()
            .await
            .map_err(StoreError::from)?;
        let made = store::create_user(
            &txn,
            NewUser {
                id,
                username: &username,
                email: None,
                email_verified: false,
                phone: None,
                phone_verified: false,
                password_hash: None,
                nickname: nickname.as_deref().unwrap_or(&username),
                role: Role::User,
                now,
            },
        )
        .await;
        match made {
            Ok(()) => {}
            Err(WriteError::Taken(Taken::Username)) => continue,
            Err(e) => return Err(e.into()),
        }
        match store::create_identity(
            &txn,
            name,
            &profile.subject,
            id,
            profile.email.as_deref(),
            now,
        )
        .await
        {
            Ok(()) => {}
            // The same provider account finished a concurrent first sign-in: use that.
            Err(WriteError::Taken(Taken::Identity)) => {
                drop(txn);
                let other = store::find_identity(state.store.writer(), name, &profile.subject)
                    .await?
                    .ok_or_else(|| failed(name, "identity vanished during sign-up"))?;
                return service::usable(store::find_user(state.store.writer(), other).await?);
            }
            Err(e) => return Err(e.into()),
        }
        txn.commit().await.map_err(StoreError::from)?;
        tracing::info!(provider = name, user_id = %id, "account created through a provider");
        return service::get_user(state, id).await;
    }
    Err(ApiError::internal(anyhow::anyhow!(
        "no free username for a provider sign-up"
    )))
}

fn identity_linked(msg: &'static str) -> ApiError {
    ApiError::new(ErrorCode::IdentityLinked, msg)
}

/// Link mode: attaches the identity to `user` (idempotent when it already is).
async fn link(
    state: &AppState,
    name: &str,
    user: UserId,
    profile: &Profile,
) -> Result<(), ApiError> {
    service::usable(store::find_user(state.store.writer(), user).await?)?;
    match store::find_identity(state.store.writer(), name, &profile.subject).await? {
        Some(owner) if owner == user => return Ok(()),
        Some(_) => {
            return Err(identity_linked(
                "that provider account is linked to another user",
            ));
        }
        None => {}
    }
    let mine = store::list_identities(state.store.writer(), user).await?;
    if mine.iter().any(|(p, _, _)| p == name) {
        return Err(identity_linked(
            "another account of this provider is already linked; unlink it first",
        ));
    }
    store::create_identity(
        state.store.writer(),
        name,
        &profile.subject,
        user,
        profile.email.as_deref(),
        state.clock.now(),
    )
    .await?;
    tracing::info!(provider = name, user_id = %user, "identity linked");
    Ok(())
}

/// The caller's linked identities.
pub async fn list_identities(state: &AppState, user: UserId) -> Result<Vec<IdentityOut>, ApiError> {
    Ok(store::list_identities(state.store.reader(), user)
        .await?
        .into_iter()
        .map(|(provider, email, linked_at)| IdentityOut {
            provider,
            email,
            linked_at,
        })
        .collect())
}

/// Unlinks one of the caller's identities, unless it is their last way to sign in: an
/// account keeps a password or at least one other identity. (A verified email or phone
/// does not count: code sign-in may be turned off, and it is not a credential the user set.)
pub async fn unlink(state: &AppState, auth: AuthUser, name: &str) -> Result<(), ApiError> {
    let user = service::get_user(state, auth.user_id).await?;
    let mine = store::list_identities(state.store.writer(), auth.user_id).await?;
    if !mine.iter().any(|(p, _, _)| p == name) {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            "no identity of that provider is linked",
        ));
    }
    if user.password_hash.is_none() && mine.len() <= 1 {
        return Err(ApiError::new(
            ErrorCode::LastSignInMethod,
            "this is the account's only way to sign in; set a password or link another provider first",
        ));
    }
    store::delete_identity(state.store.writer(), auth.user_id, name).await?;
    tracing::info!(provider = name, user_id = %auth.user_id, "identity unlinked");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> Vec<String> {
        vec![
            "https://app.example.com".into(),
            "http://127.0.0.1:5173/auth/".into(),
            "https://web.example.org/login".into(),
        ]
    }

    #[test]
    fn allow_list_accepts_origins_and_prefixes() {
        for ok in [
            "https://app.example.com",
            "https://app.example.com/",
            "https://app.example.com/any/page?x=1",
            "http://127.0.0.1:5173/auth/done",
            "https://web.example.org/login",
            "https://web.example.org/login/cb",
        ] {
            assert!(allowed_redirect(&list(), ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn allow_list_refuses_tricks() {
        for bad in [
            "//evil.com",
            "//app.example.com",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "https://app.example.com@evil.com",
            "https://user:pw@app.example.com/",
            "https://app.example.com.evil.com/",
            "https://evil.com/https://app.example.com",
            "https:\\\\evil.com",
            "https://app.example.com\\@evil.com",
            "http://app.example.com/",
            "https://app.example.com:8443/",
            "http://127.0.0.1:5173/authx",
            "http://127.0.0.1:5173/auth",
            "https://web.example.org/loginevil",
            "https://web.example.org/other",
            "https://app.example.com/#frag",
            " https://app.example.com/",
            "https://app.example.com/\r\nx",
            "",
            "/relative",
        ] {
            assert!(allowed_redirect(&list(), bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames_from_provider_handles() {
        assert_eq!(username_base("Octo-Cat").as_deref(), Some("octo_cat"));
        assert_eq!(
            username_base("Jane Q. Public").as_deref(),
            Some("jane_q_public")
        );
        assert_eq!(username_base("李雷").as_deref(), None);
        assert_eq!(username_base("ab").as_deref(), None);
        assert_eq!(
            username_base("a-very-long-login-name-that-goes-on").map(|u| u.len()),
            Some(24)
        );
    }
}
