//! Mail adapters: [`LogMailer`] (dev only), [`SmtpMailer`].

use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{Mail, Mailer, NotifyError};
use crate::config::{MailConfig, SmtpTls};

/// How long one SMTP conversation may take before the send fails.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

fn from_mailbox(cfg: &MailConfig) -> anyhow::Result<Mailbox> {
    cfg.from.parse::<Mailbox>().with_context(|| {
        format!(
            "mail.from = {:?} is not a mailbox (e.g. `Confab <no-reply@example.com>`)",
            cfg.from
        )
    })
}

/// Dev mode: writes each mail, code included, to the log at WARN instead of sending it.
/// The one place a code may reach a log; production mode refuses this adapter.
pub struct LogMailer {
    from: Mailbox,
}

impl LogMailer {
    /// A log mailer that shows `mail.from` as the sender.
    pub fn new(cfg: &MailConfig) -> anyhow::Result<Self> {
        Ok(Self {
            from: from_mailbox(cfg)?,
        })
    }
}

#[async_trait]
impl Mailer for LogMailer {
    fn kind(&self) -> &'static str {
        "log"
    }
    async fn send(&self, mail: &Mail) -> Result<(), NotifyError> {
        tracing::warn!(
            dev_mode = true,
            from = %self.from,
            to = %mail.to,
            subject = %mail.subject,
            body = %mail.body,
            "DEV MODE mail.provider = \"log\": mail NOT sent, written here instead"
        );
        Ok(())
    }
}

/// Sends plain-text mail over SMTP (STARTTLS, implicit TLS, or plain for a local relay).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// A pooled transport to `mail.smtp_host:smtp_port`, authenticating when
    /// `smtp_username` is set.
    pub fn new(cfg: &MailConfig) -> anyhow::Result<Self> {
        let builder = match cfg.smtp_tls {
            SmtpTls::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&cfg.smtp_host)
                    .context("mail.smtp_host: cannot set up STARTTLS")?
            }
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&cfg.smtp_host)
                .context("mail.smtp_host: cannot set up TLS")?,
            SmtpTls::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.smtp_host)
            }
        };
        let mut builder = builder.port(cfg.smtp_port).timeout(Some(SMTP_TIMEOUT));
        if !cfg.smtp_username.is_empty() {
            builder = builder.credentials(Credentials::new(
                cfg.smtp_username.clone(),
                cfg.smtp_password.expose().to_owned(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from: from_mailbox(cfg)?,
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    fn kind(&self) -> &'static str {
        "smtp"
    }
    async fn send(&self, mail: &Mail) -> Result<(), NotifyError> {
        let to = mail
            .to
            .parse::<Mailbox>()
            .map_err(NotifyError::BadRecipient)?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(NotifyError::Build)?;
        self.transport
            .send(message)
            .await
            .map_err(NotifyError::Smtp)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_from_stops_start_up() {
        let cfg = MailConfig {
            from: "not an address".into(),
            ..MailConfig::default()
        };
        assert!(LogMailer::new(&cfg).is_err());
        assert!(LogMailer::new(&MailConfig::default()).is_ok());
    }

    #[test]
    fn mail_debug_hides_the_body() {
        let m = Mail {
            to: "a@example.com".into(),
            subject: "s".into(),
            body: "your code is 123456".into(),
        };
        assert!(!format!("{m:?}").contains("123456"));
    }
}
