//! Third-party sign-in (OAuth2 / OpenID Connect) and linked identities.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `GET /auth/oauth/{provider}/start`
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OauthStartQuery {
    /// The client page to send the browser to afterwards; must match
    /// `oauth.redirect_allowlist`. Absent: the callback answers JSON.
    #[serde(default)]
    pub redirect_uri: Option<String>,
    /// `true`: link the provider account to the signed-in caller (needs a bearer token)
    /// instead of signing in.
    #[serde(default)]
    pub link: Option<bool>,
    /// A sign-up invite code, used only if this sign-in creates an account on a server
    /// whose `auth.registration` is `invite`.
    #[serde(default)]
    pub invite: Option<String>,
}

/// `GET /auth/oauth/{provider}/callback`: what the provider appends. Unknown parameters
/// (`iss`, `scope`, `session_state`…) are ignored.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OauthCallbackQuery {
    /// The authorization code.
    #[serde(default)]
    pub code: Option<String>,
    /// The one-time `state` issued by `start`.
    #[serde(default)]
    pub state: Option<String>,
    /// Set by the provider when the user or the provider refused.
    #[serde(default)]
    pub error: Option<String>,
    /// The provider's explanation of `error`.
    #[serde(default)]
    pub error_description: Option<String>,
}

/// `GET /auth/oauth/providers`: the providers configured on this server, so a client can
/// show a sign-in button for each (start one with `GET /auth/oauth/{name}/start`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct OauthProvidersOut {
    /// In configuration order; empty when none is configured.
    pub providers: Vec<OauthProviderOut>,
}

/// One configured provider (its name and protocol; never its client id or secret).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct OauthProviderOut {
    /// The provider's configured name, used in paths (`github`, `google`, `corp`…).
    pub name: String,
    /// `oidc` or `github`.
    pub kind: String,
}

/// `start` with `Accept: application/json`: where to send the browser.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuthorizeOut {
    /// The provider's authorization URL (with `state`, PKCE challenge and, for OIDC, nonce).
    pub authorize_url: String,
}

/// A provider account linked to mine.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IdentityOut {
    /// The provider's configured name (`github`, `google`…).
    pub provider: String,
    /// The email address the provider reported when it was linked (informational; never
    /// bound to the account automatically).
    pub email: Option<String>,
    /// When it was linked.
    pub linked_at: DateTime<Utc>,
}
