//! SMS adapters: [`LogSms`] (dev only), [`HttpSms`] (a generic JSON-over-HTTP provider).

use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderValue};

use super::{NotifyError, SmsSender};
use crate::config::SmsConfig;

/// How long the provider gets to accept a message.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Dev mode: writes each SMS, code included, to the log at WARN instead of sending it.
/// Production mode refuses this adapter.
pub struct LogSms;

#[async_trait]
impl SmsSender for LogSms {
    fn kind(&self) -> &'static str {
        "log"
    }
    async fn send(&self, to: &str, text: &str) -> Result<(), NotifyError> {
        tracing::warn!(
            dev_mode = true,
            to,
            text,
            "DEV MODE sms.provider = \"log\": SMS NOT sent, written here instead"
        );
        Ok(())
    }
}

/// POSTs `{"to": "+…", "text": "…"}` as JSON to `sms.http_url`, with `sms.http_authorization`
/// as the `Authorization` header when set. Any answer but 2xx is a failure.
pub struct HttpSms {
    http: reqwest::Client,
    url: reqwest::Url,
    authorization: Option<HeaderValue>,
}

impl HttpSms {
    /// A sender for the configured endpoint.
    pub fn new(cfg: &SmsConfig) -> anyhow::Result<Self> {
        let url = reqwest::Url::parse(&cfg.http_url).context("sms.http_url: not a URL")?;
        let authorization = if cfg.http_authorization.is_empty() {
            None
        } else {
            let mut v = HeaderValue::from_str(cfg.http_authorization.expose())
                .map_err(|_| anyhow::anyhow!("sms.http_authorization: not a valid header value"))?;
            v.set_sensitive(true);
            Some(v)
        };
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("cannot build the SMS HTTP client")?;
        Ok(Self {
            http,
            url,
            authorization,
        })
    }
}

#[derive(serde::Serialize)]
struct Payload<'a> {
    to: &'a str,
    text: &'a str,
}

#[async_trait]
impl SmsSender for HttpSms {
    fn kind(&self) -> &'static str {
        "http"
    }
    async fn send(&self, to: &str, text: &str) -> Result<(), NotifyError> {
        let mut req = self.http.post(self.url.clone()).json(&Payload { to, text });
        if let Some(auth) = &self.authorization {
            req = req.header(AUTHORIZATION, auth.clone());
        }
        // `without_url`: the URL may carry a provider key in its query.
        let resp = req
            .send()
            .await
            .map_err(|e| NotifyError::SmsTransport(e.without_url()))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(NotifyError::SmsStatus(status.as_u16()));
        }
        Ok(())
    }
}
