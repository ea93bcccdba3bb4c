//! The two kinds of provider: a generic OpenID Connect provider (by discovery; the ID token's
//! signature, issuer, audience, expiry and nonce checked) and GitHub (OAuth2 and its REST
//! API). Each builds the authorize URL of a new flow and turns a callback's code into a
//! [`Profile`].

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse,
};
use serde::Deserialize;
use url::Url;

use super::http::{Http, HttpError};
use super::{Pending, Profile, callback_url, failed};
use crate::config::{OauthKind, OauthProviderConfig};
use crate::error::ApiError;
use crate::state::AppState;

const GITHUB_AUTH_URL: &str = "https://github.com/login/oauth/authorize";
const GITHUB_TOKEN_URL: &str = "https://github.com/login/oauth/access_token";
const GITHUB_API_URL: &str = "https://api.github.com";

/// The provider's authorize URL for a new flow: PKCE (S256), our `state` and, for OIDC,
/// our nonce.
pub(super) async fn authorize_url(
    p: &OauthProviderConfig,
    callback: String,
    challenge: PkceCodeChallenge,
    csrf: &CsrfToken,
    nonce: &Nonce,
) -> Result<Url, ApiError> {
    Ok(match p.kind {
        OauthKind::Oidc => {
            let http = Http::new()?;
            let client = oidc_client(&http, p, callback).await?;
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
    })
}

/// Exchanges a callback's code and says who signed in.
pub(super) async fn fetch_profile(
    state: &AppState,
    p: &OauthProviderConfig,
    code: String,
    pending: &Pending,
) -> Result<Profile, ApiError> {
    let http = Http::new()?;
    match p.kind {
        OauthKind::Oidc => oidc_profile(state, &http, p, code, pending).await,
        OauthKind::Github => github_profile(state, &http, p, code, pending).await,
    }
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

/// An OIDC client as the discovery document describes it (authorize URL set; token and
/// userinfo URLs if the provider has them).
type OidcClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Discovers the provider and builds its client, calling back to `callback`.
async fn oidc_client(
    http: &Http,
    p: &OauthProviderConfig,
    callback: String,
) -> Result<OidcClient, ApiError> {
    let meta = discover(http, p).await?;
    Ok(
        CoreClient::from_provider_metadata(meta, ClientId::new(p.client_id.clone()), secret(p))
            .set_redirect_uri(RedirectUrl::new(callback).map_err(ApiError::internal)?),
    )
}

/// The OIDC code exchange: the ID token verified (signature from the discovered JWKS,
/// issuer, audience, expiry, our nonce), then the userinfo endpoint if the token has no
/// profile claims.
async fn oidc_profile(
    state: &AppState,
    http: &Http,
    p: &OauthProviderConfig,
    code: String,
    pending: &Pending,
) -> Result<Profile, ApiError> {
    let client = oidc_client(http, p, callback_url(state, &p.name)).await?;
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

/// GitHub's code exchange (a refusal comes as 200 with an `error`), then `/user` and the
/// primary verified address from `/user/emails`.
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
