//! The HTTP client for calls to providers: no redirects followed (no SSRF through a
//! provider's 3xx), short timeouts, answers read up to [`MAX_BODY`] bytes.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

use crate::error::ApiError;

/// The most the server reads from a provider's answer.
pub(super) const MAX_BODY: usize = 1 << 20;
/// Per-request timeout for calls to a provider.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

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
pub(super) struct Http(pub(super) reqwest::Client);

impl Http {
    pub(super) fn new() -> Result<Self, ApiError> {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("confab/", env!("CARGO_PKG_VERSION")))
            .build()
            .map(Http)
            .map_err(ApiError::internal)
    }

    pub(super) async fn read(
        resp: reqwest::Response,
    ) -> Result<(reqwest::StatusCode, Vec<u8>), HttpError> {
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
