//! Syslog lines: RFC 5424 and RFC 3164 ("BSD") with the variants real files carry: no `<PRI>`
//! (`/var/log/auth.log`), ISO 8601 timestamps (rsyslog `RSYSLOG_FileFormat`), `Mmm  d` padding.
//!
//! Field names: `pri`, `facility`, `severity` (names, as `rsyslog` spells them), `host`,
//! `app_name`, `proc_id`, `msg_id`, structured data as `sd.<SD-ID>.<param>`, then `message`.
//! RFC 5424 NILVALUE (`-`) fields are left out rather than stored as `-`.

use std::sync::{Arc, LazyLock};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeDelta, Utc};
use ww_core::time::Timestamp;
use ww_core::{Fields, Value};

use crate::lines::ParseError;

/// What a yearless, zoneless RFC 3164 timestamp needs from outside the line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyslogContext {
    /// Year assumed for RFC 3164 timestamps, when `now` is not given.
    pub year: i32,
    /// When set, a yearless timestamp gets the latest year that does not put it more than a day
    /// after `now` (a December line read in January belongs to last year). Hunt passes the
    /// file's modification time; serve passes the receive time.
    pub now: Option<Timestamp>,
    /// Offset of timestamps written without one (RFC 3164, zoneless ISO). UTC unless told.
    pub tz: FixedOffset,
}

impl SyslogContext {
    /// A fixed year, UTC.
    pub fn with_year(year: i32) -> Self {
        SyslogContext { year, now: None, tz: utc_offset() }
    }

    /// Year inferred relative to `now`, UTC.
    pub fn with_now(now: Timestamp) -> Self {
        SyslogContext { year: now.year(), now: Some(now), tz: utc_offset() }
    }

    /// The same context with another offset for zoneless timestamps.
    pub fn in_tz(mut self, tz: FixedOffset) -> Self {
        self.tz = tz;
        self
    }
}

fn utc_offset() -> FixedOffset {
    Utc.fix()
}

const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp",
    "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];
const SEVERITIES: [&str; 8] = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

/// Field names shared by every event, so a field costs an atomic increment, not an allocation.
struct Names {
    pri: Arc<str>,
    facility: Arc<str>,
    severity: Arc<str>,
    host: Arc<str>,
    app_name: Arc<str>,
    proc_id: Arc<str>,
    msg_id: Arc<str>,
    message: Arc<str>,
    facilities: Vec<Value>,
    severities: Vec<Value>,
}

static NAMES: LazyLock<Names> = LazyLock::new(|| Names {
    pri: "pri".into(),
    facility: "facility".into(),
    severity: "severity".into(),
    host: "host".into(),
    app_name: "app_name".into(),
    proc_id: "proc_id".into(),
    msg_id: "msg_id".into(),
    message: "message".into(),
    facilities: FACILITIES.iter().map(|s| Value::from(*s)).collect(),
    severities: SEVERITIES.iter().map(|s| Value::from(*s)).collect(),
});

/// Limits from RFC 5424 §6 (hostname allowed longer: FQDNs and IPv6 literals in the wild).
const MAX_HOST: usize = 255;
const MAX_APP: usize = 48;
const MAX_PROCID: usize = 128;
const MAX_MSGID: usize = 32;
/// RFC 3164 tags are 32 characters on paper; real ones (`systemd-networkd-wait-online`) exceed it.
const MAX_TAG: usize = 128;

/// Parses one syslog line (RFC 5424 or RFC 3164 family). The line must not contain its newline.
pub fn parse_syslog_line(line: &str, ctx: &SyslogContext) -> Result<(Option<Timestamp>, Fields), ParseError> {
    let n = &*NAMES;
    let mut fields = Fields::with_capacity(8);
    let mut rest = line;
    if rest.starts_with('<') {
        let (pri, after) = parse_pri(rest)?;
        fields.push(n.pri.clone(), Value::Int(i64::from(pri)));
        fields.push(n.facility.clone(), n.facilities[usize::from(pri >> 3)].clone());
        fields.push(n.severity.clone(), n.severities[usize::from(pri & 7)].clone());
        rest = after;
        if let Some(after_version) = rest.strip_prefix("1 ") {
            let time = parse_5424(after_version, &mut fields)?;
            return Ok((time, fields));
        }
    }
    let time = parse_3164(rest, ctx, &mut fields)?;
    Ok((time, fields))
}

fn err(field: &'static str, reason: impl Into<std::borrow::Cow<'static, str>>) -> ParseError {
    ParseError::new(field, reason)
}

/// `<PRI>` with 1–3 digits, at most 191 (facility 23, severity 7).
fn parse_pri(s: &str) -> Result<(u8, &str), ParseError> {
    let close = s.as_bytes().iter().take(5).position(|&b| b == b'>');
    let close = close.ok_or_else(|| err("pri", "'<' not closed by '>' within 3 digits"))?;
    let digits = &s[1..close];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("pri", "PRI is not 1-3 digits"));
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(err("pri", "PRI has a leading zero"));
    }
    match digits.parse::<u8>() {
        Ok(v) if v <= 191 => Ok((v, &s[close + 1..])),
        _ => Err(err("pri", "PRI above 191")),
    }
}

/// Splits at the first space: (token, rest after the space). No space: the whole string.
fn token(s: &str) -> (&str, &str) {
    match memchr::memchr(b' ', s.as_bytes()) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    }
}

fn parse_5424(s: &str, fields: &mut Fields) -> Result<Option<Timestamp>, ParseError> {
    let n = &*NAMES;
    let (ts, s) = token(s);
    let time = if ts == "-" {
        None
    } else {
        let t = DateTime::parse_from_rfc3339(ts).map_err(|_| err("timestamp", "RFC 5424 timestamp is not RFC 3339"))?;
        Some(t.with_timezone(&Utc))
    };
    let (host, s) = header_field(s, "host", MAX_HOST)?;
    let (app, s) = header_field(s, "app_name", MAX_APP)?;
    let (procid, s) = header_field(s, "proc_id", MAX_PROCID)?;
    let (msgid, s) = header_field(s, "msg_id", MAX_MSGID)?;
    for (name, v) in [(&n.host, host), (&n.app_name, app), (&n.proc_id, procid), (&n.msg_id, msgid)] {
        if let Some(v) = v {
            fields.push(name.clone(), v);
        }
    }
    let rest = parse_sd(s, fields)?;
    if rest.is_empty() {
        return Ok(time);
    }
    let msg = rest.strip_prefix(' ').ok_or_else(|| err("structured_data", "expected a space after structured data"))?;
    let msg = msg.strip_prefix('\u{feff}').unwrap_or(msg);
    fields.push(n.message.clone(), msg);
    Ok(time)
}

/// One space-terminated RFC 5424 header field: printable US-ASCII, `-` for nil.
fn header_field<'a>(s: &'a str, field: &'static str, max: usize) -> Result<(Option<&'a str>, &'a str), ParseError> {
    let i =
        memchr::memchr(b' ', s.as_bytes()).ok_or_else(|| err(field, "header ends early (missing field or space)"))?;
    let v = &s[..i];
    if v.is_empty() {
        return Err(err(field, "empty header field (two spaces)"));
    }
    if v.len() > max {
        return Err(err(field, format!("longer than {max} characters")));
    }
    if !v.bytes().all(|b| (33..=126).contains(&b)) {
        return Err(err(field, "non-printable or non-ASCII character in header"));
    }
    Ok(((v != "-").then_some(v), &s[i + 1..]))
}

/// Structured data: `-` or one or more `[SD-ID name="value" ...]`; returns what follows.
fn parse_sd<'a>(s: &'a str, fields: &mut Fields) -> Result<&'a str, ParseError> {
    if let Some(rest) = s.strip_prefix('-') {
        return Ok(rest);
    }
    if !s.starts_with('[') {
        return Err(err("structured_data", "expected '-' or '['"));
    }
    let mut s = s;
    while let Some(elem) = s.strip_prefix('[') {
        let end = elem
            .bytes()
            .position(|b| b == b' ' || b == b']')
            .ok_or_else(|| err("structured_data", "SD element not closed by ']'"))?;
        let id = &elem[..end];
        if !is_sd_name(id, 32) {
            return Err(err("structured_data", "invalid SD-ID"));
        }
        s = &elem[end..];
        let mut any_param = false;
        while let Some(p) = s.strip_prefix(' ') {
            let eq =
                p.bytes().position(|b| b == b'=').ok_or_else(|| err("structured_data", "SD parameter without '='"))?;
            let name = &p[..eq];
            if !is_sd_name(name, 32) {
                return Err(err("structured_data", "invalid SD parameter name"));
            }
            let v =
                p[eq + 1..].strip_prefix('"').ok_or_else(|| err("structured_data", "SD parameter value not quoted"))?;
            let (value, after) = sd_value(v)?;
            fields.push(format!("sd.{id}.{name}"), value);
            any_param = true;
            s = after;
        }
        s = s.strip_prefix(']').ok_or_else(|| err("structured_data", "SD element not closed by ']'"))?;
        if !any_param {
            // Keep the element's presence visible (`[origin]` alone still says something).
            fields.push(format!("sd.{id}"), "");
        }
    }
    Ok(s)
}

/// SD-NAME: 1–32 printable ASCII characters except `=`, space, `]`, `"`.
fn is_sd_name(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| (33..=126).contains(&b) && !matches!(b, b'=' | b']' | b'"'))
}

/// A PARAM-VALUE after its opening quote: unescapes `\"`, `\\`, `\]`; other backslashes stay.
fn sd_value(s: &str) -> Result<(String, &str), ParseError> {
    let bytes = s.as_bytes();
    let mut out = String::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if matches!(bytes.get(i + 1), Some(b'"' | b'\\' | b']')) => {
                out.push_str(&s[start..i]);
                start = i + 1;
                i += 2;
            }
            b'"' => {
                out.push_str(&s[start..i]);
                return Ok((out, &s[i + 1..]));
            }
            _ => i += 1,
        }
    }
    Err(err("structured_data", "SD parameter value not closed by '\"'"))
}

fn parse_3164(s: &str, ctx: &SyslogContext, fields: &mut Fields) -> Result<Option<Timestamp>, ParseError> {
    let n = &*NAMES;
    let (time, s) = if s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let (ts, rest) = token(s);
        (parse_iso(ts, ctx.tz)?, rest)
    } else {
        let (ndt, rest) = parse_bsd_time(s, ctx)?;
        (ndt, rest)
    };
    let s = s.trim_start_matches(' ');
    let (host_tok, after_host) = token(s);
    if host_tok.is_empty() {
        return Err(err("host", "no host after the timestamp"));
    }
    let (host, tag_and_msg) = if is_tag(host_tok) {
        // `Mmm dd hh:mm:ss app[pid]: msg` (no host, as some local writers produce).
        (None, s)
    } else {
        (Some(host_tok), after_host)
    };
    if let Some(h) = host {
        if h.len() > MAX_HOST {
            return Err(err("host", format!("longer than {MAX_HOST} characters")));
        }
        fields.push(n.host.clone(), h);
    }
    let (tag_tok, after_tag) = token(tag_and_msg);
    let message = if is_tag(tag_tok) {
        let tag = &tag_tok[..tag_tok.len() - 1];
        match tag.strip_suffix(']').and_then(|t| t.split_once('[')) {
            Some((app, pid)) if !app.is_empty() => {
                fields.push(n.app_name.clone(), app);
                fields.push(n.proc_id.clone(), pid);
            }
            _ => fields.push(n.app_name.clone(), tag),
        }
        after_tag
    } else {
        tag_and_msg
    };
    fields.push(n.message.clone(), message);
    Ok(Some(time))
}

/// A TAG token: `app:` or `app[pid]:`, no quotes or brackets elsewhere, bounded length.
fn is_tag(t: &str) -> bool {
    let Some(tag) = t.strip_suffix(':') else {
        return false;
    };
    if tag.is_empty() || tag.len() > MAX_TAG {
        return false;
    }
    let name = match tag.strip_suffix(']').and_then(|x| x.split_once('[')) {
        Some((name, pid)) => {
            if pid.contains(['[', ']']) {
                return false;
            }
            name
        }
        None => tag,
    };
    !name.is_empty() && name.bytes().all(|b| b > 32 && b != b'[' && b != b']' && b != b':')
}

/// ISO 8601 / RFC 3339 timestamp; without an offset it is taken in `tz`.
fn parse_iso(ts: &str, tz: FixedOffset) -> Result<Timestamp, ParseError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(ts) {
        return Ok(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(ndt) = NaiveDateTime::parse_from_str(ts, fmt) {
            return local_to_utc(ndt, tz).ok_or_else(|| err("timestamp", "timestamp out of range"));
        }
    }
    Err(err("timestamp", "not an ISO 8601 timestamp"))
}

pub(crate) fn local_to_utc(ndt: NaiveDateTime, tz: FixedOffset) -> Option<Timestamp> {
    ndt.checked_sub_signed(TimeDelta::seconds(i64::from(tz.local_minus_utc()))).map(|t| t.and_utc())
}

pub(crate) fn month_from(b: &[u8]) -> Option<u32> {
    let m = [b.first()?.to_ascii_lowercase(), b.get(1)?.to_ascii_lowercase(), b.get(2)?.to_ascii_lowercase()];
    Some(match &m {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

fn two_digits(b: &[u8], at: usize) -> Option<u32> {
    let (h, l) = (*b.get(at)?, *b.get(at + 1)?);
    (h.is_ascii_digit() && l.is_ascii_digit()).then(|| u32::from(h - b'0') * 10 + u32::from(l - b'0'))
}

/// `Mmm dd hh:mm:ss[.frac]` with `dd` as `d`, ` d` or `dd`; returns the time and the rest.
fn parse_bsd_time<'a>(s: &'a str, ctx: &SyslogContext) -> Result<(Timestamp, &'a str), ParseError> {
    let b = s.as_bytes();
    let bad = || err("timestamp", "expected 'Mmm dd hh:mm:ss' or an ISO 8601 timestamp");
    let month = month_from(b).ok_or_else(bad)?;
    if b.get(3) != Some(&b' ') {
        return Err(bad());
    }
    let mut i = 4;
    if b.get(i) == Some(&b' ') {
        i += 1;
    }
    let d1 = b.get(i).filter(|c| c.is_ascii_digit()).ok_or_else(bad)?;
    let mut day = u32::from(d1 - b'0');
    i += 1;
    if let Some(d2) = b.get(i).filter(|c| c.is_ascii_digit()) {
        day = day * 10 + u32::from(d2 - b'0');
        i += 1;
    }
    if b.get(i) != Some(&b' ') {
        return Err(bad());
    }
    i += 1;
    let h = two_digits(b, i).ok_or_else(bad)?;
    let m = two_digits(b, i + 3).ok_or_else(bad)?;
    let sec = two_digits(b, i + 6).ok_or_else(bad)?;
    if b.get(i + 2) != Some(&b':') || b.get(i + 5) != Some(&b':') {
        return Err(bad());
    }
    i += 8;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let mut digits = 0;
        while let Some(d) = b.get(i).filter(|c| c.is_ascii_digit()) {
            if digits < 9 {
                nanos = nanos * 10 + u32::from(d - b'0');
                digits += 1;
            }
            i += 1;
        }
        if digits == 0 {
            return Err(bad());
        }
        nanos *= 10u32.pow(9 - digits);
    }
    match b.get(i) {
        Some(b' ') => {}
        _ => return Err(bad()),
    }
    let rest = &s[i + 1..];
    let make = |year: i32| -> Option<Timestamp> {
        let date = NaiveDate::from_ymd_opt(year, month, day)?;
        local_to_utc(date.and_hms_nano_opt(h, m, sec, nanos)?, ctx.tz)
    };
    let time = match ctx.now {
        None => make(ctx.year),
        Some(now) => {
            let year = now.with_timezone(&ctx.tz).year();
            let limit = now + TimeDelta::days(1);
            // Latest year not after now + 1 day; Feb 29 may need a step back of up to 8 years.
            (0..=8).filter_map(|back| make(year - back)).find(|t| *t <= limit)
        }
    };
    let time = time.ok_or_else(|| err("timestamp", "no such date or time (e.g. day 31 of a 30-day month)"))?;
    Ok((time, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ww_core::time::format_utc;

    fn ctx() -> SyslogContext {
        SyslogContext::with_year(2024)
    }

    fn parse(line: &str) -> (Option<String>, Fields) {
        let (t, f) = parse_syslog_line(line, &ctx()).unwrap_or_else(|e| panic!("{line}: {e}"));
        (t.map(|t| format_utc(&t)), f)
    }

    fn s<'a>(f: &'a Fields, k: &str) -> Option<&'a str> {
        f.get_str(k)
    }

    #[test]
    fn rfc3164_with_pri() {
        let (t, f) = parse("<38>Mar  3 22:14:15 gateway sshd[4721]: Accepted password for ops");
        assert_eq!(t.as_deref(), Some("2024-03-03T22:14:15.000Z"));
        assert_eq!(f.get("pri"), Some(&Value::Int(38)));
        assert_eq!(s(&f, "facility"), Some("auth"));
        assert_eq!(s(&f, "severity"), Some("info"));
        assert_eq!(s(&f, "host"), Some("gateway"));
        assert_eq!(s(&f, "app_name"), Some("sshd"));
        assert_eq!(s(&f, "proc_id"), Some("4721"));
        assert_eq!(s(&f, "message"), Some("Accepted password for ops"));
    }

    #[test]
    fn rfc3164_auth_log_without_pri() {
        let (t, f) = parse("Nov 19 07:02:11 web01 sudo: alice : TTY=pts/0 ; COMMAND=/bin/sh");
        assert_eq!(t.as_deref(), Some("2024-11-19T07:02:11.000Z"));
        assert_eq!(f.get("pri"), None);
        assert_eq!(s(&f, "host"), Some("web01"));
        assert_eq!(s(&f, "app_name"), Some("sudo"));
        assert_eq!(s(&f, "proc_id"), None);
        assert_eq!(s(&f, "message"), Some("alice : TTY=pts/0 ; COMMAND=/bin/sh"));
    }

    #[test]
    fn rfc3164_single_digit_day_and_fraction() {
        let (t, _) = parse("Feb 2 01:02:03 h app: x");
        assert_eq!(t.as_deref(), Some("2024-02-02T01:02:03.000Z"));
        let (t, _) = parse("Feb 12 01:02:03.250 h app: x");
        assert_eq!(t.as_deref(), Some("2024-02-12T01:02:03.250Z"));
    }

    #[test]
    fn rfc3164_no_tag_keeps_whole_message() {
        let (_, f) = parse("Jan  5 10:00:00 fw01 last message repeated 3 times");
        assert_eq!(s(&f, "host"), Some("fw01"));
        assert_eq!(s(&f, "app_name"), None);
        assert_eq!(s(&f, "message"), Some("last message repeated 3 times"));
    }

    #[test]
    fn rfc3164_tag_without_host() {
        let (_, f) = parse("Jan  5 10:00:00 CRON[99]: (root) CMD (run-parts)");
        assert_eq!(s(&f, "host"), None);
        assert_eq!(s(&f, "app_name"), Some("CRON"));
        assert_eq!(s(&f, "proc_id"), Some("99"));
    }

    #[test]
    fn rsyslog_file_format_iso_timestamp() {
        let (t, f) = parse("2024-06-01T12:30:45.123456+01:00 mail1 postfix/smtpd[12]: connect from x");
        assert_eq!(t.as_deref(), Some("2024-06-01T11:30:45.123Z"));
        assert_eq!(s(&f, "app_name"), Some("postfix/smtpd"));
        let (t, _) = parse("<13>2024-06-01T12:30:45 mail1 app: zoneless is UTC by default");
        assert_eq!(t.as_deref(), Some("2024-06-01T12:30:45.000Z"));
    }

    #[test]
    fn context_tz_and_year_inference() {
        let tz = FixedOffset::east_opt(3600).unwrap();
        let c = SyslogContext::with_year(2023).in_tz(tz);
        let (t, _) = parse_syslog_line("Jul  1 10:00:00 h a: m", &c).unwrap();
        assert_eq!(t.map(|t| format_utc(&t)).as_deref(), Some("2023-07-01T09:00:00.000Z"));

        let now = parse_utc_t("2025-01-03T00:00:00Z");
        let c = SyslogContext::with_now(now);
        let (t, _) = parse_syslog_line("Dec 31 23:59:59 h a: m", &c).unwrap();
        assert_eq!(t.map(|t| format_utc(&t)).as_deref(), Some("2024-12-31T23:59:59.000Z"));
        let (t, _) = parse_syslog_line("Jan  2 08:00:00 h a: m", &c).unwrap();
        assert_eq!(t.map(|t| format_utc(&t)).as_deref(), Some("2025-01-02T08:00:00.000Z"));
        // Feb 29 read in a non-leap year goes back to the last leap year.
        let (t, _) = parse_syslog_line("Feb 29 08:00:00 h a: m", &c).unwrap();
        assert_eq!(t.map(|t| format_utc(&t)).as_deref(), Some("2024-02-29T08:00:00.000Z"));
        // With a fixed year that has no Feb 29, the line is refused rather than guessed.
        assert!(parse_syslog_line("Feb 29 08:00:00 h a: m", &SyslogContext::with_year(2023)).is_err());
    }

    fn parse_utc_t(s: &str) -> Timestamp {
        ww_core::time::parse_utc(s).unwrap()
    }

    #[test]
    fn rfc5424_full() {
        let line = "<165>1 2023-10-11T22:14:15.003Z web7.council.example evntslog - ID47 \
            [exampleSDID@32473 iut=\"3\" eventSource=\"App \\\"x\\\" \\]\\\\\"][meta seq=\"1\"] \u{feff}An event";
        let (t, f) = parse(line);
        assert_eq!(t.as_deref(), Some("2023-10-11T22:14:15.003Z"));
        assert_eq!(s(&f, "facility"), Some("local4"));
        assert_eq!(s(&f, "severity"), Some("notice"));
        assert_eq!(s(&f, "host"), Some("web7.council.example"));
        assert_eq!(s(&f, "app_name"), Some("evntslog"));
        assert_eq!(s(&f, "proc_id"), None);
        assert_eq!(s(&f, "msg_id"), Some("ID47"));
        assert_eq!(s(&f, "sd.exampleSDID@32473.iut"), Some("3"));
        assert_eq!(s(&f, "sd.exampleSDID@32473.eventSource"), Some("App \"x\" ]\\"));
        assert_eq!(s(&f, "sd.meta.seq"), Some("1"));
        assert_eq!(s(&f, "message"), Some("An event"));
    }

    #[test]
    fn rfc5424_nil_everything() {
        let (t, f) = parse("<34>1 - - - - - -");
        assert_eq!(t, None);
        assert_eq!(s(&f, "facility"), Some("auth"));
        assert_eq!(s(&f, "severity"), Some("crit"));
        assert_eq!(f.len(), 3);
        let (_, f) = parse("<34>1 2003-08-24T05:14:15.000003-07:00 host su - - - 'su root' failed");
        assert_eq!(s(&f, "message"), Some("'su root' failed"));
        assert_eq!(s(&f, "app_name"), Some("su"));
        let (_, f) = parse("<34>1 - h a p m [x]");
        assert_eq!(s(&f, "sd.x"), Some(""));
    }

    #[test]
    fn rejects_malformed() {
        let c = ctx();
        for bad in [
            "",
            "hello world",
            "<192>Jan  1 00:00:00 h a: m",
            "<1a>Jan  1 00:00:00 h a: m",
            "<>Jan  1 00:00:00 h a: m",
            "<01>Jan  1 00:00:00 h a: m",
            "<13",
            "Foo  1 00:00:00 h a: m",
            "Jan 32 00:00:00 h a: m",
            "Jan  1 25:00:00 h a: m",
            "Jan  1 00:00:00",
            "Jan  1 00:00:00 ",
            "2024-13-01T00:00:00Z h a: m",
            "<34>1 notatime h a p m -",
            "<34>1 - h a p m",
            "<34>1 - h a p m [id",
            "<34>1 - h a p m [id a=\"b]",
            "<34>1 - h a p m [id a=b]",
            "<34>1 - h a p m [id a=\"b\"]x",
            "<34>1 - h  a p m -",
            "<34>1 - h a p toolongmsgid-toolongmsgid-toolong -",
        ] {
            assert!(parse_syslog_line(bad, &c).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn error_names_the_field() {
        let e = parse_syslog_line("<34>1 - h a p m [id a=b]", &ctx()).unwrap_err();
        assert_eq!(e.field, "structured_data");
        let e = parse_syslog_line("Jan 1 xx", &ctx()).unwrap_err();
        assert_eq!(e.field, "timestamp");
    }
}
