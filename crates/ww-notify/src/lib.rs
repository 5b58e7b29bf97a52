//! Notifications: what wardwatch tells people, and how it reaches them.
//!
//! Four things are worth interrupting someone for: a new serious alert, an incident assigned to
//! them, a task of theirs falling due, and an ICO deadline approaching or passed. [`compose`]
//! turns each into a [`Message`] (subject, plain text, a console link and a JSON payload);
//! [`Sender`] delivers it by email over SMTP ([`smtp`]) or as a JSON POST to a webhook
//! ([`webhook`]). Deciding *when* to notify (polling the store, deduplicating across restarts)
//! is the server's job; this crate has no store and no clock of its own.
//!
//! Messages carry as little personal data as does the job: rule titles, scores, hosts, incident
//! references and deadlines, and a link into the console where access is checked. Alert
//! entities (user names, addresses) and evidence never leave in a notification.

pub mod compose;
pub mod smtp;
pub mod webhook;

use serde::Serialize;

ww_core::str_enum! {
    /// Why someone is being told something; each is a per-user preference.
    pub enum NotificationKind {
        SeriousAlert = ("serious_alert", "New serious alert"),
        IncidentAssigned = ("incident_assigned", "Incident assigned to you"),
        TaskDue = ("task_due", "Task due"),
        IcoDeadline = ("ico_deadline", "ICO deadline"),
    }
}

impl NotificationKind {
    /// Whether `prefs` asks for this kind.
    pub fn wanted_by(self, prefs: &ww_core::incident::NotificationPrefs) -> bool {
        match self {
            NotificationKind::SeriousAlert => prefs.serious_alerts,
            NotificationKind::IncidentAssigned => prefs.incident_assigned,
            NotificationKind::TaskDue => prefs.tasks_due,
            NotificationKind::IcoDeadline => prefs.ico_deadlines,
        }
    }
}

/// One notification, ready for any channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub kind: NotificationKind,
    /// Identifies what this is about, for de-duplication: the same key is sent at most once
    /// per recipient and channel (e.g. `alert:42`, `ico-24h:7:3`).
    pub key: String,
    pub subject: String,
    /// Plain text body for email.
    pub text: String,
    /// Absolute console URL of the thing, when the server knows its public address.
    pub link: Option<String>,
    /// Structured fields for webhooks.
    pub data: serde_json::Value,
}

/// Errors from delivering a message. They name the channel and the failing step, never the
/// credentials or the message body.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("invalid notification setting: {0}")]
    Config(String),
    #[error("email delivery failed: {0}")]
    Smtp(String),
    #[error("webhook delivery failed: {0}")]
    Webhook(String),
}

/// Where one message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Email(String),
    Webhook(String),
}

impl Destination {
    /// A short channel name for de-duplication keys and metrics.
    pub fn channel(&self) -> &'static str {
        match self {
            Destination::Email(_) => "email",
            Destination::Webhook(_) => "webhook",
        }
    }
}

/// Delivers messages. Email needs SMTP settings; without them, email destinations fail with a
/// clear error (webhooks still work).
#[derive(Clone)]
pub struct Sender {
    mailer: Option<smtp::Mailer>,
    webhooks: webhook::WebhookClient,
}

impl Sender {
    pub fn new(smtp: Option<smtp::SmtpConfig>, webhook: webhook::WebhookPolicy) -> Result<Self, NotifyError> {
        let mailer = smtp.map(smtp::Mailer::new).transpose()?;
        Ok(Sender { mailer, webhooks: webhook::WebhookClient::new(webhook) })
    }

    pub fn email_configured(&self) -> bool {
        self.mailer.is_some()
    }

    pub async fn send(&self, to: &Destination, msg: &Message) -> Result<(), NotifyError> {
        match to {
            Destination::Email(addr) => match &self.mailer {
                Some(m) => m.send(addr, msg).await,
                None => Err(NotifyError::Config("no [notify.smtp] settings, so email cannot be sent".into())),
            },
            Destination::Webhook(url) => self.webhooks.post(url, msg).await,
        }
    }
}

/// The destinations a user's preferences give for `kind`: none unless they asked for it.
pub fn destinations(prefs: &ww_core::incident::NotificationPrefs, kind: NotificationKind) -> Vec<Destination> {
    if !kind.wanted_by(prefs) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(e) = prefs.email.as_deref().filter(|e| !e.trim().is_empty()) {
        out.push(Destination::Email(e.trim().to_owned()));
    }
    if let Some(w) = prefs.webhook_url.as_deref().filter(|w| !w.trim().is_empty()) {
        out.push(Destination::Webhook(w.trim().to_owned()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ww_core::incident::NotificationPrefs;

    #[test]
    fn destinations_follow_preferences() {
        let mut p = NotificationPrefs {
            user_id: 1,
            email: Some("dpo@council.example".into()),
            webhook_url: Some("https://hooks.example/x".into()),
            ico_deadlines: true,
            ..Default::default()
        };
        assert_eq!(destinations(&p, NotificationKind::IcoDeadline).len(), 2);
        assert!(destinations(&p, NotificationKind::SeriousAlert).is_empty());
        p.email = Some("  ".into());
        assert_eq!(
            destinations(&p, NotificationKind::IcoDeadline),
            vec![Destination::Webhook("https://hooks.example/x".into())]
        );
    }
}
