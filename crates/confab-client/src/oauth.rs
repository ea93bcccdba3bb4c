//! Third-party sign-in (OAuth2 / OpenID Connect) and linked identities.
//!
//! A browser app navigates to [`Client::oauth_start_url`] and reads the tokens from the
//! fragment of its own page afterwards. A program (or a test) drives the same flow with
//! [`Client::oauth_authorize_url`] and [`Client::oauth_callback`].

use confab_proto::accounts::TokenOut;
use confab_proto::oauth::{AuthorizeOut, IdentityOut};
use reqwest::{Method, StatusCode, header};
use url::Url;

use crate::{Client, ClientError, Result, decode};

/// How the server answered a provider's callback.
#[derive(Debug, Clone)]
pub enum OauthCallbackOut {
    /// Signed in; no client page was named at start.
    SignedIn(Box<TokenOut>),
    /// Linked (link mode); my identities now.
    Linked(Vec<IdentityOut>),
    /// 302 to the client page named at start (tokens, or `linked=…`, in the fragment).
    Redirect(Url),
}

impl Client {
    /// The URL a browser opens to start signing in with `provider` (the server answers 302
    /// to the provider). Link mode needs the bearer token, so use
    /// [`Client::oauth_authorize_url`] for it instead.
    pub fn oauth_start_url(&self, provider: &str, redirect_uri: Option<&str>) -> Result<Url> {
        let mut url = self.url(&format!("/api/v1/auth/oauth/{provider}/start"))?;
        if let Some(r) = redirect_uri {
            url.query_pairs_mut().append_pair("redirect_uri", r);
        }
        Ok(url)
    }

    /// `GET /api/v1/auth/oauth/{provider}/start` as JSON: the provider's authorization URL.
    /// With `link`, the provider account is linked to this (signed-in) client's user.
    pub async fn oauth_authorize_url(
        &self,
        provider: &str,
        redirect_uri: Option<&str>,
        link: bool,
    ) -> Result<Url> {
        let mut url = self.oauth_start_url(provider, redirect_uri)?;
        if link {
            url.query_pairs_mut().append_pair("link", "true");
        }
        let mut req = self
            .http
            .get(url)
            .header(header::ACCEPT, "application/json");
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        let out: AuthorizeOut = decode(req.send().await?).await?;
        Ok(Url::parse(&out.authorize_url)?)
    }

    /// Calls the server's callback URL (where the provider sent the browser back).
    pub async fn oauth_callback(&self, callback: &Url) -> Result<OauthCallbackOut> {
        let resp = self.http.get(callback.clone()).send().await?;
        let status = resp.status();
        if status == StatusCode::FOUND {
            let location = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| ClientError::Unexpected {
                    status: status.as_u16(),
                    detail: "302 without a Location".into(),
                })?;
            return Ok(OauthCallbackOut::Redirect(Url::parse(location)?));
        }
        let value: serde_json::Value = decode(resp).await?;
        let unexpected = |e: serde_json::Error| ClientError::Unexpected {
            status: status.as_u16(),
            detail: e.to_string(),
        };
        if value.is_array() {
            Ok(OauthCallbackOut::Linked(
                serde_json::from_value(value).map_err(unexpected)?,
            ))
        } else {
            Ok(OauthCallbackOut::SignedIn(Box::new(
                serde_json::from_value(value).map_err(unexpected)?,
            )))
        }
    }

    /// `GET /api/v1/me/identities`.
    pub async fn identities(&self) -> Result<Vec<IdentityOut>> {
        self.call::<(), _>(Method::GET, "/api/v1/me/identities", None)
            .await
    }

    /// `DELETE /api/v1/me/identities/{provider}`.
    pub async fn unlink_identity(&self, provider: &str) -> Result<()> {
        self.call::<(), ()>(
            Method::DELETE,
            &format!("/api/v1/me/identities/{provider}"),
            None,
        )
        .await
    }
}
