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
//!   provider's 3xx) and reads at most [`http::MAX_BODY`] bytes. Tokens, codes and secrets are
//!   never logged.
//!
//! Layout: this file holds the flow (start, callback, the pending `state`); [`providers`]
//! talks to OIDC providers and GitHub; [`http`] is their HTTP client; [`redirect`] the
//! post-login allow-list; [`identities`] creates, links, lists and unlinks identities.

use std::time::Duration;

use confab_proto::accounts::TokenOut;
use confab_proto::ids::UserId;
use confab_proto::oauth::{IdentityOut, OauthCallbackQuery};
use openidconnect::{CsrfToken, Nonce, PkceCodeChallenge};
use serde::{Deserialize, Serialize};
use url::Url;

use super::auth::AuthUser;
use super::error::AccountsError;
use super::registration;
use super::service::{self, Origin};
use super::store;
use super::tokens::hash_secret;
use crate::config::OauthProviderConfig;
use crate::error::ApiError;
use crate::state::AppState;

mod http;
mod identities;
mod providers;
mod redirect;

pub use http::HttpError;
pub use identities::{list_identities, unlink};
pub use redirect::allowed_redirect;

/// How long a started sign-in may take at the provider.
pub const STATE_TTL: Duration = Duration::from_secs(600);

/// What `start` remembers for the callback (cached under the hash of `state`).
#[derive(Serialize, Deserialize)]
struct Pending {
    provider: String,
    pkce_verifier: String,
    nonce: String,
    redirect: Option<String>,
    link_user: Option<UserId>,
    /// The hash of the sign-up invite code given at start, if any (never the code).
    #[serde(default)]
    invite_hash: Option<String>,
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

/// The provider's answer was unusable. The cause is logged (it never holds a token: the
/// errors below are built from statuses and parse failures, not from request bodies).
fn failed(provider: &str, cause: impl std::fmt::Display) -> ApiError {
    tracing::warn!(provider, error = %cause, "oauth sign-in failed");
    AccountsError::OauthFailed.into()
}

fn provider<'a>(state: &'a AppState, name: &str) -> Result<&'a OauthProviderConfig, ApiError> {
    state
        .config
        .oauth
        .providers
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| AccountsError::ProviderUnknown.into())
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

/// Starts a flow: remembers a one-time `state` and returns the provider's authorize URL.
pub async fn start(
    state: &AppState,
    name: &str,
    redirect_uri: Option<&str>,
    link_user: Option<AuthUser>,
    invite: Option<&str>,
) -> Result<String, ApiError> {
    let p = provider(state, name)?;
    let invite_hash = invite
        .filter(|c| !c.trim().is_empty())
        .map(|c| super::invites::code_hash(c).ok_or(AccountsError::InviteInvalid))
        .transpose()?;
    let redirect = redirect_uri
        .map(|r| allowed_redirect(&state.config.oauth.redirect_allowlist, r))
        .transpose()?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let csrf = CsrfToken::new_random();
    let nonce = Nonce::new_random();
    let callback = callback_url(state, name);
    let url = providers::authorize_url(p, callback, challenge, &csrf, &nonce).await?;
    let pending = Pending {
        provider: name.to_owned(),
        pkce_verifier: verifier.secret().clone(),
        nonce: nonce.secret().clone(),
        redirect: redirect.map(String::from),
        link_user: link_user.map(|a| a.user_id),
        invite_hash,
    };
    let value = serde_json::to_vec(&pending).map_err(ApiError::internal)?;
    state
        .cache
        .set(&state_key(csrf.secret()), &value, STATE_TTL)
        .await?;
    Ok(url.into())
}

/// Finishes a flow: checks and consumes `state`, exchanges the code, and signs in, creates
/// an account, or links (link mode).
pub async fn callback(
    state: &AppState,
    name: &str,
    q: OauthCallbackQuery,
    origin: Origin,
) -> Result<Outcome, ApiError> {
    let p = provider(state, name)?;
    let pending = take_pending(state, name, q.state.as_deref()).await?;
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
    let profile = providers::fetch_profile(state, p, code, &pending).await?;
    let redirect = pending
        .redirect
        .as_deref()
        .map(|r| allowed_redirect(&state.config.oauth.redirect_allowlist, r))
        .transpose()?;
    if let Some(user) = pending.link_user {
        identities::link(state, name, user, &profile).await?;
        return Ok(Outcome::Linked {
            identities: list_identities(state, user).await?,
            redirect,
        });
    }
    let user = match store::find_identity(state.store.writer(), name, &profile.subject).await? {
        Some(id) => service::usable(store::find_user(state.store.writer(), id).await?)?,
        None => {
            // Only here is an account made: the registration policy decides.
            let admission = registration::admission_hashed(state, pending.invite_hash).await?;
            identities::create_account(state, name, &profile, &admission).await?
        }
    };
    tracing::info!(provider = name, user_id = %user.id, "signed in with a provider");
    let tokens = service::start_session(state, &user, origin).await?;
    Ok(Outcome::SignedIn {
        tokens: Box::new(tokens),
        redirect,
    })
}

/// Takes the flow's pending `state` out of the cache (so it works once) and checks that it
/// belongs to this provider.
async fn take_pending(
    state: &AppState,
    name: &str,
    given: Option<&str>,
) -> Result<Pending, ApiError> {
    let given = given
        .filter(|s| !s.is_empty() && s.len() <= 256)
        .ok_or(AccountsError::OauthStateInvalid)?;
    let bytes = state
        .cache
        .take(&state_key(given))
        .await?
        .ok_or(AccountsError::OauthStateInvalid)?;
    let pending: Pending =
        serde_json::from_slice(&bytes).map_err(|_| AccountsError::OauthStateInvalid)?;
    if pending.provider != name {
        return Err(AccountsError::OauthStateInvalid.into());
    }
    Ok(pending)
}
