//! Delivery ports for verification codes: a [`Mailer`] for email and an [`SmsSender`] for
//! text messages, each with a dev-only log adapter, a real one (SMTP; a generic HTTP SMS
//! provider) and a disabled one. Which adapter runs is chosen once at start-up from
//! `[mail]` / `[sms]` ([`Notifier::from_config`]); production mode refuses the log adapters
//! (`Config::dev_only_settings`).
//!
//! Invariant: message bodies carry codes, so they are never logged, printed by `Debug`, or
//! put into an error — except by the dev-mode log adapters, whose whole job is to show them.
//!
//! Calls: infra only (config). Accounts composes the messages and decides when to send.

pub mod mail;
pub mod sms;

use std::sync::Arc;

use async_trait::async_trait;

use crate::config::{Config, MailProvider, SmsProvider};

/// Why a message did not leave.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// This channel is turned off in config.
    #[error("{0} delivery is disabled on this server")]
    Disabled(&'static str),
    /// The recipient does not parse as an address.
    #[error("invalid recipient address")]
    BadRecipient(#[source] lettre::address::AddressError),
    /// The mail could not be built (a header did not parse).
    #[error("mail could not be built")]
    Build(#[source] lettre::error::Error),
    /// The SMTP server was unreachable or refused the mail.
    #[error("SMTP delivery failed")]
    Smtp(#[source] lettre::transport::smtp::Error),
    /// The SMS provider was unreachable or timed out.
    #[error("SMS provider unreachable")]
    SmsTransport(#[source] reqwest::Error),
    /// The SMS provider answered something other than 2xx.
    #[error("SMS provider answered HTTP {0}")]
    SmsStatus(u16),
}

/// One plain-text mail. `Debug` hides the body (it carries a code).
#[derive(Clone)]
pub struct Mail {
    /// The recipient address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("body", &"<hidden>")
            .finish()
    }
}

/// Sends mail.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// `log`, `smtp` or `disabled`.
    fn kind(&self) -> &'static str;
    /// Whether mails can be sent at all (false for `disabled`).
    fn enabled(&self) -> bool {
        true
    }
    /// Sends one mail; returns once the server accepted it.
    async fn send(&self, mail: &Mail) -> Result<(), NotifyError>;
}

/// Sends text messages.
#[async_trait]
pub trait SmsSender: Send + Sync {
    /// `log`, `http` or `disabled`.
    fn kind(&self) -> &'static str;
    /// Whether messages can be sent at all (false for `disabled`).
    fn enabled(&self) -> bool {
        true
    }
    /// Sends `text` to the E.164 number `to`; returns once the provider accepted it.
    async fn send(&self, to: &str, text: &str) -> Result<(), NotifyError>;
}

/// The adapter for a channel turned off: sends nothing, says so.
#[derive(Debug, Clone, Copy, Default)]
pub struct Disabled;

#[async_trait]
impl Mailer for Disabled {
    fn kind(&self) -> &'static str {
        "disabled"
    }
    fn enabled(&self) -> bool {
        false
    }
    async fn send(&self, _: &Mail) -> Result<(), NotifyError> {
        Err(NotifyError::Disabled("email"))
    }
}

#[async_trait]
impl SmsSender for Disabled {
    fn kind(&self) -> &'static str {
        "disabled"
    }
    fn enabled(&self) -> bool {
        false
    }
    async fn send(&self, _: &str, _: &str) -> Result<(), NotifyError> {
        Err(NotifyError::Disabled("SMS"))
    }
}

/// The delivery adapters of this node.
#[derive(Clone)]
pub struct Notifier {
    /// Email.
    pub mail: Arc<dyn Mailer>,
    /// SMS.
    pub sms: Arc<dyn SmsSender>,
}

impl Notifier {
    /// Builds the adapters `[mail]` and `[sms]` name. Fails on settings that only show up
    /// when used (an unparsable `mail.from`), so a bad config stops start-up instead of the
    /// first sign-up.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let mail: Arc<dyn Mailer> = match config.mail.provider {
            MailProvider::Log => Arc::new(mail::LogMailer::new(&config.mail)?),
            MailProvider::Smtp => Arc::new(mail::SmtpMailer::new(&config.mail)?),
            MailProvider::Disabled => Arc::new(Disabled),
        };
        let sms: Arc<dyn SmsSender> = match config.sms.provider {
            SmsProvider::Log => Arc::new(sms::LogSms),
            SmsProvider::Http => Arc::new(sms::HttpSms::new(&config.sms)?),
            SmsProvider::Disabled => Arc::new(Disabled),
        };
        Ok(Self { mail, sms })
    }
}
