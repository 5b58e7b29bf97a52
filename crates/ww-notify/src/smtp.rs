//! Email over SMTP (lettre): implicit TLS, required STARTTLS, or plain for an internal relay.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Deserialize;

use crate::{Message, NotifyError};

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// TLS from the first byte (usually port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS, which must succeed (usually port 587).
    Starttls,
    /// No encryption: only for a relay on the same host or a trusted internal network.
    None,
}

/// SMTP settings. `password` is kept out of `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender address, e.g. `wardwatch <wardwatch@council.gov.uk>`.
    pub from: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .finish()
    }
}

/// Whether `addr` is a mailbox (`name <a@b>` or `a@b`), for config and settings forms.
pub fn check_address(addr: &str) -> Result<(), String> {
    addr.parse::<Mailbox>().map(|_| ()).map_err(|e| e.to_string())
}

/// A configured SMTP transport. Cheap to clone (connections are pooled inside lettre).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(cfg: SmtpConfig) -> Result<Self, NotifyError> {
        let from: Mailbox =
            cfg.from.parse().map_err(|e| NotifyError::Config(format!("notify.smtp.from is not an address: {e}")))?;
        let builder = match cfg.security {
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&cfg.host),
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&cfg.host),
            SmtpSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host)),
        }
        .map_err(|e| NotifyError::Config(format!("notify.smtp.host {:?}: {e}", cfg.host)))?;
        let mut builder = builder.port(cfg.port).timeout(Some(cfg.timeout));
        if let (Some(u), Some(p)) = (&cfg.username, &cfg.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(Mailer { transport: builder.build(), from })
    }

    pub async fn send(&self, to: &str, msg: &Message) -> Result<(), NotifyError> {
        let to: Mailbox = to.parse().map_err(|_| NotifyError::Config("a recipient address is not valid".into()))?;
        let mut body = msg.text.clone();
        if let Some(link) = &msg.link {
            body.push_str("\n\nOpen in wardwatch: ");
            body.push_str(link);
        }
        body.push_str("\n\n-- \nSent by wardwatch. Change what you receive under Settings > Notifications.\n");
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&msg.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| NotifyError::Smtp(format!("building the message: {e}")))?;
        // lettre's errors can quote the server's reply, which never holds our credentials.
        self.transport.send(email).await.map_err(|e| NotifyError::Smtp(e.to_string()))?;
        Ok(())
    }
}
