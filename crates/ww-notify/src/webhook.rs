//! Webhooks: one JSON POST per message, to an HTTPS URL (or plain HTTP on loopback, for local
//! relays and tests). Other targets are refused so that a user-supplied URL cannot make the
//! server talk to arbitrary plain-HTTP services on the council's network.

use std::time::Duration;

use crate::{Message, NotifyError};

/// Which webhook URLs are allowed and how long a delivery may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookPolicy {
    /// Allow `http://` to loopback hosts (127.0.0.0/8, ::1, localhost). Default true.
    pub allow_loopback_http: bool,
    pub timeout: Duration,
}

impl Default for WebhookPolicy {
    fn default() -> Self {
        WebhookPolicy { allow_loopback_http: true, timeout: Duration::from_secs(10) }
    }
}

/// Checks a webhook URL against the policy; the error says why, for the settings form.
pub fn check_url(url: &str, policy: &WebhookPolicy) -> Result<(), String> {
    let url = url.trim();
    if url.len() > 2048 {
        return Err("the URL is longer than 2,048 characters".into());
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the URL contains spaces or control characters".into());
    }
    let (scheme, rest) = url.split_once("://").ok_or("the URL must start with https://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err("the URL must not contain credentials".into());
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    if host.is_empty() {
        return Err("the URL has no host".into());
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if policy.allow_loopback_http && is_loopback(host) => Ok(()),
        "http" => Err("plain http is only allowed to this machine (use https)".into()),
        _ => Err("the URL must start with https://".into()),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Posts messages as JSON: `{kind, key, subject, text, link, data}`.
#[derive(Clone)]
pub struct WebhookClient {
    policy: WebhookPolicy,
    agent: ureq::Agent,
}

impl WebhookClient {
    pub fn new(policy: WebhookPolicy) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(policy.timeout))
            // Redirects could lead past the URL check.
            .max_redirects(0)
            .http_status_as_error(false)
            .build()
            .new_agent();
        WebhookClient { policy, agent }
    }

    pub async fn post(&self, url: &str, msg: &Message) -> Result<(), NotifyError> {
        check_url(url, &self.policy).map_err(NotifyError::Webhook)?;
        let body = serde_json::to_vec(msg).map_err(|e| NotifyError::Webhook(format!("encoding: {e}")))?;
        let agent = self.agent.clone();
        let url = url.trim().to_owned();
        // ureq is blocking; deliveries are rare, so a blocking task is simplest.
        let status = tokio::task::spawn_blocking(move || {
            agent
                .post(&url)
                .header("content-type", "application/json")
                .header("user-agent", concat!("wardwatch/", env!("CARGO_PKG_VERSION")))
                .send(&body[..])
                .map(|r| r.status().as_u16())
        })
        .await
        .map_err(|e| NotifyError::Webhook(format!("delivery task failed: {e}")))?
        .map_err(|e| NotifyError::Webhook(e.to_string()))?;
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(NotifyError::Webhook(format!("the receiver answered HTTP {status}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_policy() {
        let p = WebhookPolicy::default();
        assert!(check_url("https://hooks.slack.example/services/x", &p).is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook", &p).is_ok());
        assert!(check_url("http://[::1]:9000/hook", &p).is_ok());
        assert!(check_url("http://localhost/hook", &p).is_ok());
        assert!(check_url("http://10.0.0.5/hook", &p).is_err());
        assert!(check_url("ftp://example.org/x", &p).is_err());
        assert!(check_url("https://user:pw@example.org/x", &p).is_err());
        assert!(check_url("https:///x", &p).is_err());
        assert!(check_url("example.org/x", &p).is_err());
        let strict = WebhookPolicy { allow_loopback_http: false, ..p };
        assert!(check_url("http://127.0.0.1/hook", &strict).is_err());
    }
}
