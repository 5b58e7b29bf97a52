//! The entities an event names — host, source IP, user — under the field names our readers
//! produce, and the one an alert aggregates on.
//!
//! Source IP, first that holds a valid address: `IpAddress` (Windows 4624/4625), `c-ip`
//! (access and W3C logs), `src_ip`, `source.ip`, `SourceIp`, `SourceAddress`, `client_ip`,
//! `client_addr`; then, in a syslog `message`: `SRC=` (iptables), `from <ip>` (sshd, webmail),
//! `rhost=` (PAM), `rip=` (Dovecot), `client_addr=`. Loopback and unspecified addresses (`::1`,
//! `127.0.0.1`, `0.0.0.0`) and `-` name nobody and are skipped.
//!
//! User: `TargetUserName`, `SubjectUserName` (machine accounts ending in `$` and `-` skipped),
//! `user.name`, `cs-username` (`-` skipped); then in a `message`: sshd's `for invalid user X`,
//! `invalid user X`, `for X from`, and `user=X` (`<X>` unwrapped).
//!
//! Host: [`ww_core::Event::host`].

use std::net::IpAddr;

use ww_core::Event;
use ww_core::alert::EntityKind;

/// Longest entity value kept (longer values are cut at a character boundary): entity names are
/// keys in memory and in the store, and input is untrusted.
pub const MAX_ENTITY_LEN: usize = 256;

/// What an event says about who and where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Promoted {
    pub host: Option<String>,
    pub src_ip: Option<String>,
    pub user: Option<String>,
}

const IP_FIELDS: &[&str] =
    &["IpAddress", "c-ip", "src_ip", "source.ip", "SourceIp", "SourceAddress", "client_ip", "client_addr"];
const IP_MARKERS: &[&str] = &["SRC=", "rhost=", "rip=", "client_addr="];

/// The entities `event` names.
pub fn promoted(event: &Event) -> Promoted {
    let f = &event.fields;
    let message = f.get_str("message");
    let src_ip = IP_FIELDS
        .iter()
        .find_map(|k| f.get(k).and_then(|v| v.as_text()).and_then(|s| valid_ip(&s)))
        .or_else(|| message.and_then(ip_in_message));
    let user = ["TargetUserName", "SubjectUserName", "user.name", "cs-username"]
        .iter()
        .find_map(|k| f.get_str(k).and_then(valid_user))
        .or_else(|| message.and_then(user_in_message));
    let host = event.host().map(clip);
    Promoted { host, src_ip, user }
}

/// The entity an alert aggregates on: the source IP, else the host, else the user, else none
/// (the empty string).
///
/// Host comes before user because the same activity on one machine is reported with different
/// user fields by different logs (Sysmon's `User` is absent where Security 4688 has
/// `SubjectUserName`): keyed on the user, one phished workstation split into two alerts per rule.
/// Attacks on accounts from outside carry a source IP and aggregate on it.
pub fn alert_entity(p: &Promoted) -> (EntityKind, String) {
    if let Some(ip) = &p.src_ip {
        (EntityKind::SourceIp, ip.clone())
    } else if let Some(h) = &p.host {
        (EntityKind::Host, h.clone())
    } else if let Some(u) = &p.user {
        (EntityKind::User, u.clone())
    } else {
        (EntityKind::None, String::new())
    }
}

/// The address in its canonical text form when `s` is a routable-looking IP.
fn valid_ip(s: &str) -> Option<String> {
    let ip: IpAddr = s.trim().parse().ok()?;
    if ip.is_loopback() || ip.is_unspecified() {
        return None;
    }
    Some(ip.to_string())
}

fn valid_user(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() || s == "-" || s.ends_with('$') {
        return None;
    }
    Some(clip(s))
}

fn clip(s: &str) -> String {
    if s.len() <= MAX_ENTITY_LEN {
        return s.to_owned();
    }
    let mut end = MAX_ENTITY_LEN;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// The token starting at `s` up to whitespace or a separator.
fn token(s: &str) -> &str {
    let end = s.find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ')' | '"' | '\'')).unwrap_or(s.len());
    &s[..end]
}

fn ip_in_message(m: &str) -> Option<String> {
    for marker in IP_MARKERS {
        for (i, _) in m.match_indices(marker) {
            let t = token(&m[i + marker.len()..]);
            if let Some(ip) = valid_ip(t.trim_start_matches('<').trim_end_matches('>')) {
                return Some(ip);
            }
        }
    }
    for (i, _) in m.match_indices(" from ") {
        if let Some(ip) = valid_ip(token(&m[i + 6..])) {
            return Some(ip);
        }
    }
    None
}

fn user_in_message(m: &str) -> Option<String> {
    let lower_has = |needle: &str| m.find(needle);
    // sshd: "Failed password for invalid user X from", "Invalid user X from".
    for marker in ["for invalid user ", "Invalid user ", "invalid user "] {
        if let Some(i) = lower_has(marker)
            && let Some(u) = valid_user(token(&m[i + marker.len()..]))
        {
            return Some(u);
        }
    }
    // sshd and webmail: "... for X from <ip>".
    for (i, _) in m.match_indices(" for ") {
        let rest = &m[i + 5..];
        let t = token(rest);
        if rest[t.len()..].starts_with(" from ")
            && let Some(u) = valid_user(t)
        {
            return Some(u);
        }
    }
    // PAM and Dovecot: "user=X", "user=<X>"; not "ruser=".
    for (i, _) in m.match_indices("user=") {
        if i > 0 && m.as_bytes()[i - 1].is_ascii_alphanumeric() {
            continue;
        }
        let t = token(&m[i + 5..]);
        if let Some(u) = valid_user(t.trim_start_matches('<').trim_end_matches('>')) {
            return Some(u);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use ww_core::{Locator, SourceKind};

    fn ev(fields: &[(&str, &str)]) -> Event {
        let mut e = Event::new(SourceKind::Json, Arc::from("t"), Locator::None);
        for (k, v) in fields {
            e.fields.push(*k, *v);
        }
        e
    }

    #[test]
    fn windows_logon_fields() {
        let p = promoted(&ev(&[
            ("Computer", "WS-042.wardshire.gov.uk"),
            ("IpAddress", "10.1.2.3"),
            ("TargetUserName", "j.smith"),
        ]));
        assert_eq!(p.src_ip.as_deref(), Some("10.1.2.3"));
        assert_eq!(p.user.as_deref(), Some("j.smith"));
        assert_eq!(p.host.as_deref(), Some("WS-042.wardshire.gov.uk"));
        assert_eq!(alert_entity(&p), (EntityKind::SourceIp, "10.1.2.3".into()));
    }

    #[test]
    fn host_is_preferred_to_user_without_a_source_ip() {
        let p = promoted(&ev(&[("SubjectUserName", "k.morgan"), ("Computer", "WS-0142")]));
        assert_eq!(alert_entity(&p), (EntityKind::Host, "WS-0142".into()));
        let only_user = Promoted { user: Some("k.morgan".into()), ..Promoted::default() };
        assert_eq!(alert_entity(&only_user), (EntityKind::User, "k.morgan".into()));
    }

    #[test]
    fn placeholders_and_machine_accounts_are_skipped() {
        let p = promoted(&ev(&[
            ("IpAddress", "-"),
            ("TargetUserName", "WS-042$"),
            ("SubjectUserName", "-"),
            ("Computer", "WS-042"),
        ]));
        assert_eq!(p.src_ip, None);
        assert_eq!(p.user, None);
        assert_eq!(alert_entity(&p), (EntityKind::Host, "WS-042".into()));
        for lo in ["::1", "127.0.0.1", "0.0.0.0", "not-an-ip", "999.1.1.1"] {
            assert_eq!(promoted(&ev(&[("IpAddress", lo)])).src_ip, None, "{lo}");
        }
        let p = promoted(&ev(&[("SubjectUserName", "SYSTEM$"), ("TargetUserName", "-"), ("user.name", "alice")]));
        assert_eq!(p.user.as_deref(), Some("alice"));
    }

    #[test]
    fn web_fields() {
        let p = promoted(&ev(&[("c-ip", "2001:db8::7"), ("cs-username", "-")]));
        assert_eq!(p.src_ip.as_deref(), Some("2001:db8::7"));
        assert_eq!(p.user, None);
    }

    #[test]
    fn syslog_messages() {
        let cases = [
            (
                "Failed password for invalid user admin from 203.0.113.50 port 50122 ssh2",
                Some("203.0.113.50"),
                Some("admin"),
            ),
            ("Failed password for root from 198.51.100.4 port 22 ssh2", Some("198.51.100.4"), Some("root")),
            ("Invalid user oracle from 198.51.100.9 port 4444", Some("198.51.100.9"), Some("oracle")),
            ("[FW-DROP] IN=eth0 OUT= SRC=203.0.113.7 DST=198.51.100.10 PROTO=TCP", Some("203.0.113.7"), None),
            (
                "pam_unix(sshd:auth): authentication failure; ruser= rhost=192.0.2.8  user=bob",
                Some("192.0.2.8"),
                Some("bob"),
            ),
            (
                "imap-login: Disconnected (auth failed): user=<j.smith>, method=PLAIN, rip=192.0.2.9, lip=10.0.0.5",
                Some("192.0.2.9"),
                Some("j.smith"),
            ),
            ("connect client_addr=192.0.2.10 ok", Some("192.0.2.10"), None),
            ("Failed login for j.smith from 192.0.2.11 in session x", Some("192.0.2.11"), Some("j.smith")),
            ("nothing to see from here", None, None),
        ];
        for (m, ip, user) in cases {
            let p = promoted(&ev(&[("message", m)]));
            assert_eq!(p.src_ip.as_deref(), ip, "{m}");
            assert_eq!(p.user.as_deref(), user, "{m}");
        }
    }

    #[test]
    fn long_values_are_clipped() {
        let long = "é".repeat(300);
        let p = promoted(&ev(&[("TargetUserName", &long)]));
        let u = p.user.unwrap_or_default();
        assert!(u.len() <= MAX_ENTITY_LEN && !u.is_empty());
    }

    #[test]
    fn nothing_named_is_none() {
        assert_eq!(alert_entity(&Promoted::default()), (EntityKind::None, String::new()));
    }
}
