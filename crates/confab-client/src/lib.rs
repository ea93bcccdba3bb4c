//! The Rust SDK for Confab: typed calls over REST (and, as the server grows, WebSocket).
//! The integration tests and the benchmark talk to the server only through it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), confab_client::ClientError> {
//! let client = confab_client::Client::new("http://127.0.0.1:8080")?;
//! let health = client.healthz().await?;
//! assert_eq!(health.status, "ok");
//! # Ok(()) }
//! ```

mod admin;
mod calls;
mod gifts;
pub use gifts::CatalogAnswer;
mod groups;
mod media;
mod messaging;
mod moments;
mod rooms;
pub use media::{Download, UploadMeta};
mod codes;
mod social;

use confab_proto::ErrorCode;
use confab_proto::accounts::{
    DeleteMeIn, LoginIn, MeOut, MePatch, Page, PasswordChangeIn, RefreshIn, RegisterIn, SessionOut,
    TokenOut, UserOut,
};
use confab_proto::health::{HealthOut, ReadyOut};
use confab_proto::ids::{SessionId, UserId};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

mod ws;
pub use ws::*;
pub mod oauth;

/// What a call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL or a path did not make a URL.
    #[error("invalid URL: {0}")]
    Url(#[from] url::ParseError),
    /// The request did not complete (connection refused, timeout…).
    #[error("transport: {0}")]
    Transport(#[from] reqwest::Error),
    /// The server answered with an error body.
    #[error("{status} {code}: {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The stable error code (as sent; may be newer than this SDK's catalogue).
        code: String,
        /// The human message.
        message: String,
        /// The offending field, for validation errors.
        field: Option<String>,
    },
    /// The server answered with something that is not what this SDK expects.
    #[error("unexpected response ({status}): {detail}")]
    Unexpected {
        /// HTTP status.
        status: u16,
        /// What was wrong.
        detail: String,
    },
}

impl ClientError {
    /// The error code, when the server sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The offending field, when the server named one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ClientError::Api { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// Whether this is the server's `code` error.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code() == Some(code.as_str())
    }

    /// The HTTP status, when there was a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } | ClientError::Unexpected { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }
}

/// A call's result.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// The answer of `/readyz`: its status and body (a 503 still carries the body).
#[derive(Debug, Clone)]
pub struct Readiness {
    /// 200 or 503.
    pub status: u16,
    /// Which backend answered.
    pub body: ReadyOut,
}

/// A connection to one Confab server, optionally signed in.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    token: Option<String>,
}

impl Client {
    /// A client for the server at `base_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base_url: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            http,
            base: Url::parse(base_url)?,
            token: None,
        })
    }

    /// The same server, with an access token sent on every call.
    pub fn with_token(&self, token: impl Into<String>) -> Self {
        Self {
            token: Some(token.into()),
            ..self.clone()
        }
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// An absolute URL for a path on this server.
    pub fn url(&self, path: &str) -> Result<Url> {
        Ok(self.base.join(path)?)
    }

    /// The underlying HTTP client, for requests the SDK has no method for (tests of bad input).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `GET /healthz`.
    pub async fn healthz(&self) -> Result<HealthOut> {
        self.call(Method::GET, "/healthz", None::<&()>).await
    }

    /// `GET /readyz`, returning the body on 503 too.
    pub async fn readyz(&self) -> Result<Readiness> {
        let resp = self.http.get(self.url("/readyz")?).send().await?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await?;
        let body = serde_json::from_slice(&bytes).map_err(|e| ClientError::Unexpected {
            status,
            detail: e.to_string(),
        })?;
        Ok(Readiness { status, body })
    }

    /// `GET /metrics` (Prometheus text).
    pub async fn metrics(&self) -> Result<String> {
        let resp = self.http.get(self.url("/metrics")?).send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        if status != StatusCode::OK {
            return Err(ClientError::Unexpected {
                status: status.as_u16(),
                detail: text,
            });
        }
        Ok(text)
    }

    /// `GET /api/v1/openapi.json`.
    pub async fn openapi(&self) -> Result<serde_json::Value> {
        self.call(Method::GET, "/api/v1/openapi.json", None::<&()>)
            .await
    }

    /// The access token this client sends, if signed in.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// `POST /api/v1/auth/register`.
    pub async fn register(&self, input: &RegisterIn) -> Result<TokenOut> {
        self.call(Method::POST, "/api/v1/auth/register", Some(input))
            .await
    }

    /// Registers `username` with `password` and no email or phone; a shortcut for tests and
    /// tools.
    pub async fn register_simple(&self, username: &str, password: &str) -> Result<TokenOut> {
        self.register(&RegisterIn {
            username: username.into(),
            password: password.into(),
            nickname: None,
            email: None,
            email_code: None,
            phone: None,
            phone_code: None,
            device: None,
            invite_code: None,
        })
        .await
    }

    /// `POST /api/v1/auth/login` with a username, email or phone.
    pub async fn login(&self, login: &str, password: &str) -> Result<TokenOut> {
        let body = LoginIn {
            login: login.into(),
            password: password.into(),
            device: None,
            captcha_id: None,
            captcha_answer: None,
        };
        self.call(Method::POST, "/api/v1/auth/login", Some(&body))
            .await
    }

    /// `POST /api/v1/auth/refresh`.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenOut> {
        let body = RefreshIn {
            refresh_token: refresh_token.into(),
        };
        self.call(Method::POST, "/api/v1/auth/refresh", Some(&body))
            .await
    }

    /// A client signed in with these tokens.
    pub fn signed_in(&self, tokens: &TokenOut) -> Self {
        self.with_token(tokens.access_token.clone())
    }

    /// `POST /api/v1/auth/logout`.
    pub async fn logout(&self) -> Result<()> {
        self.call::<(), ()>(Method::POST, "/api/v1/auth/logout", None)
            .await
    }

    /// `POST /api/v1/auth/logout-all`.
    pub async fn logout_all(&self) -> Result<()> {
        self.call::<(), ()>(Method::POST, "/api/v1/auth/logout-all", None)
            .await
    }

    /// `GET /api/v1/me`.
    pub async fn me(&self) -> Result<MeOut> {
        self.call::<(), _>(Method::GET, "/api/v1/me", None).await
    }

    /// `PATCH /api/v1/me`.
    pub async fn update_me(&self, patch: &MePatch) -> Result<MeOut> {
        self.call(Method::PATCH, "/api/v1/me", Some(patch)).await
    }

    /// `DELETE /api/v1/me`.
    pub async fn delete_me(&self, password: Option<&str>) -> Result<()> {
        let body = DeleteMeIn {
            password: password.map(str::to_owned),
        };
        self.call(Method::DELETE, "/api/v1/me", Some(&body)).await
    }

    /// `PUT /api/v1/me/password` with the old password.
    pub async fn change_password(&self, old: &str, new: &str) -> Result<()> {
        let body = PasswordChangeIn {
            old_password: Some(old.into()),
            code_channel: None,
            code: None,
            new_password: new.into(),
        };
        self.call(Method::PUT, "/api/v1/me/password", Some(&body))
            .await
    }

    /// `GET /api/v1/me/sessions`.
    pub async fn sessions(&self) -> Result<Vec<SessionOut>> {
        self.call::<(), _>(Method::GET, "/api/v1/me/sessions", None)
            .await
    }

    /// `DELETE /api/v1/me/sessions/{id}`.
    pub async fn revoke_session(&self, id: SessionId) -> Result<()> {
        self.call::<(), ()>(Method::DELETE, &format!("/api/v1/me/sessions/{id}"), None)
            .await
    }

    /// `GET /api/v1/users/{id}`.
    pub async fn user(&self, id: UserId) -> Result<UserOut> {
        self.call::<(), _>(Method::GET, &format!("/api/v1/users/{id}"), None)
            .await
    }

    /// `GET /api/v1/users?q=`.
    pub async fn search_users(
        &self,
        q: &str,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<UserOut>> {
        let mut url = self.url("/api/v1/users")?;
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("q", q);
            if let Some(c) = cursor {
                pairs.append_pair("cursor", c);
            }
            if let Some(l) = limit {
                pairs.append_pair("limit", &l.to_string());
            }
        }
        let mut req = self.http.get(url);
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        decode(req.send().await?).await
    }

    /// `GET path?query` (pairs percent-encoded; `None` values left out), decoded as JSON.
    pub async fn get_query<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, Option<&str>)],
    ) -> Result<T> {
        let mut url = self.url(path)?;
        url.query_pairs_mut()
            .extend_pairs(query.iter().filter_map(|(k, v)| v.map(|v| (k, v))));
        let path = format!("{}?{}", url.path(), url.query().unwrap_or_default());
        self.call::<(), _>(Method::GET, &path, None).await
    }

    /// Sends a JSON request and decodes a JSON answer, turning error bodies into
    /// [`ClientError::Api`].
    pub async fn call<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T> {
        let mut req = self.http.request(method, self.url(path)?);
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await?;
        decode(resp).await
    }
}

/// Decodes a response: the JSON body on success, the error body as [`ClientError::Api`].
pub async fn decode<T: DeserializeOwned>(resp: reqwest::Response) -> Result<T> {
    let status = resp.status();
    let bytes = resp.bytes().await?;
    if status.is_success() {
        let bytes = if bytes.is_empty() {
            &b"null"[..]
        } else {
            &bytes[..]
        };
        return serde_json::from_slice(bytes).map_err(|e| ClientError::Unexpected {
            status: status.as_u16(),
            detail: e.to_string(),
        });
    }
    #[derive(serde::Deserialize)]
    struct Body {
        error: Info,
    }
    #[derive(serde::Deserialize)]
    struct Info {
        code: String,
        message: String,
        #[serde(default)]
        field: Option<String>,
    }
    match serde_json::from_slice::<Body>(&bytes) {
        Ok(b) => Err(ClientError::Api {
            status: status.as_u16(),
            code: b.error.code,
            message: b.error.message,
            field: b.error.field,
        }),
        Err(_) => Err(ClientError::Unexpected {
            status: status.as_u16(),
            detail: String::from_utf8_lossy(&bytes).chars().take(300).collect(),
        }),
    }
}
