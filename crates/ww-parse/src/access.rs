//! nginx/Apache access logs: common, combined, vhost-combined (`%v:%p` first) and combined with
//! extra trailing fields (request time, `X-Forwarded-For`, ...).
//!
//! Fields carry W3C names so Sigma `category: webserver` rules apply unchanged:
//! `c-ip`, `cs-host`/`s-port` (vhost prefix), `cs-username`, `cs-method`, `cs-uri-stem` (path),
//! `cs-uri-query`, `cs-uri-query-string`, `cs-version`, `sc-status`, `sc-bytes`, `cs-referer`,
//! `cs-user-agent`, `extra` (trailing fields, as a list).
//!
//! `cs-uri-query` is the FULL request target (path and query): SigmaHQ webserver rules look for
//! path fragments such as `/etc/passwd` or `/../` in `cs-uri-query`, so the path has to be in it.
//! The query alone (after `?`) is `cs-uri-query-string`, as in W3C logs.
//!
//! Quoted values are kept as the server logged them, except that `\"` and `\\` (the escapes that
//! protect the quoting itself) are undone; `\xHH` escapes stay as written because decoding them
//! could yield bytes that are not UTF-8. `-` means absent (no field), except `%b` where `-`
//! means zero bytes. A request line that is not `METHOD TARGET [VERSION]` (TLS handshakes sent
//! to a plain-HTTP port, scanners' junk) is kept whole in `request`; the event is still an event.

use std::borrow::Cow;
use std::sync::{Arc, LazyLock};

use chrono::{FixedOffset, NaiveDate};
use ww_core::time::Timestamp;
use ww_core::{Fields, Value};

use crate::lines::ParseError;
use crate::syslog::{SyslogContext, local_to_utc, month_from, parse_syslog_line};

struct Names {
    c_ip: Arc<str>,
    cs_host: Arc<str>,
    s_port: Arc<str>,
    ident: Arc<str>,
    cs_username: Arc<str>,
    cs_method: Arc<str>,
    cs_uri_stem: Arc<str>,
    cs_uri_query: Arc<str>,
    cs_uri_query_string: Arc<str>,
    cs_version: Arc<str>,
    request: Arc<str>,
    sc_status: Arc<str>,
    sc_bytes: Arc<str>,
    cs_referer: Arc<str>,
    cs_user_agent: Arc<str>,
    extra: Arc<str>,
}

static NAMES: LazyLock<Names> = LazyLock::new(|| Names {
    c_ip: "c-ip".into(),
    cs_host: "cs-host".into(),
    s_port: "s-port".into(),
    ident: "ident".into(),
    cs_username: "cs-username".into(),
    cs_method: "cs-method".into(),
    cs_uri_stem: "cs-uri-stem".into(),
    cs_uri_query: "cs-uri-query".into(),
    cs_uri_query_string: "cs-uri-query-string".into(),
    cs_version: "cs-version".into(),
    request: "request".into(),
    sc_status: "sc-status".into(),
    sc_bytes: "sc-bytes".into(),
    cs_referer: "cs-referer".into(),
    cs_user_agent: "cs-user-agent".into(),
    extra: "extra".into(),
});

/// Trailing fields kept at most; the rest of a longer line is ignored as one more item.
const MAX_EXTRA: usize = 32;

fn err(field: &'static str, reason: &'static str) -> ParseError {
    ParseError::new(field, reason)
}

/// Parses one access-log line (without its newline). A line that is a syslog header followed by
/// an access-log line (nginx `access_log syslog:...`, Apache piped to `logger`) is read too, with
/// the syslog `host` and `app_name` added.
pub fn parse_access_line(line: &str) -> Result<(Option<Timestamp>, Fields), ParseError> {
    match parse_plain(line) {
        Ok(r) => Ok(r),
        Err(e) => via_syslog(line).ok_or(e),
    }
}

fn via_syslog(line: &str) -> Option<(Option<Timestamp>, Fields)> {
    // Cheap check first: syslog starts with `<`, a month name or a digit (ISO).
    let first = *line.as_bytes().first()?;
    if !(first == b'<' || first.is_ascii_alphabetic() || first.is_ascii_digit()) {
        return None;
    }
    let ctx = SyslogContext::with_year(2000);
    let (_, outer) = parse_syslog_line(line, &ctx).ok()?;
    let message = outer.get_str("message")?;
    let (time, mut fields) = parse_plain(message).ok()?;
    for key in ["host", "app_name"] {
        if let Some(v) = outer.get_str(key) {
            fields.push(key, v);
        }
    }
    Some((time, fields))
}

fn parse_plain(line: &str) -> Result<(Option<Timestamp>, Fields), ParseError> {
    let n = &*NAMES;
    let open = memchr::memmem::find(line.as_bytes(), b" [")
        .ok_or_else(|| err("time", "no '[timestamp]' after 'client ident user'"))?;
    let mut prefix = [""; 4];
    let mut count = 0;
    for t in line[..open].split(' ') {
        if count == 4 {
            return Err(err("c-ip", "more than 4 fields before '[timestamp]'"));
        }
        prefix[count] = t;
        count += 1;
    }
    let (vhost, host, ident, user) = match count {
        3 => (None, prefix[0], prefix[1], prefix[2]),
        4 => (Some(prefix[0]), prefix[1], prefix[2], prefix[3]),
        _ => {
            return Err(err("c-ip", "expected 'client ident user' before '[timestamp]'"));
        }
    };
    if host.is_empty() || ident.is_empty() || user.is_empty() {
        return Err(err("c-ip", "empty field before '[timestamp]' (two spaces)"));
    }
    let rest = &line[open + 2..];
    let close = memchr::memchr(b']', rest.as_bytes()).ok_or_else(|| err("time", "'[timestamp' not closed by ']'"))?;
    let time = parse_clf_time(&rest[..close])?;
    let rest = rest[close + 1..]
        .strip_prefix(' ')
        .ok_or_else(|| err("request", "expected ' \"request\"' after the timestamp"))?;
    let (request, rest) = quoted(rest).ok_or_else(|| err("request", "request is not a closed quoted string"))?;
    let rest = rest.strip_prefix(' ').ok_or_else(|| err("sc-status", "no status after request"))?;
    let (status, rest) = split_space(rest);
    let status = match status {
        "-" => None,
        s if !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()) => s.parse::<i64>().ok(),
        _ => return Err(err("sc-status", "status is not a number")),
    };
    let (bytes, mut rest) = split_space(rest);
    let bytes = match bytes {
        "-" => 0,
        s => s.parse::<u64>().map_err(|_| err("sc-bytes", "byte count is not a number or '-'"))?,
    };

    let mut fields = Fields::with_capacity(14);
    fields.push(n.c_ip.clone(), host);
    if let Some(v) = vhost {
        match v.rsplit_once(':') {
            Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
                fields.push(n.cs_host.clone(), name);
                if let Ok(p) = port.parse::<i64>() {
                    fields.push(n.s_port.clone(), p);
                }
            }
            _ => fields.push(n.cs_host.clone(), v),
        }
    }
    if ident != "-" {
        fields.push(n.ident.clone(), ident);
    }
    if user != "-" {
        fields.push(n.cs_username.clone(), user);
    }
    push_request(&mut fields, &request);
    if let Some(s) = status {
        fields.push(n.sc_status.clone(), s);
    }
    fields.push(n.sc_bytes.clone(), i64::try_from(bytes).unwrap_or(i64::MAX));

    // Optional: "referer" "user-agent" then anything else.
    let mut position = 0;
    let mut extra: Vec<Value> = Vec::new();
    while !rest.is_empty() {
        let r = rest.trim_start_matches(' ');
        if r.is_empty() {
            break;
        }
        let (value, after, was_quoted) = match quoted(r) {
            Some((v, after)) => (v, after, true),
            None => {
                let (t, after) = split_space(r);
                (Cow::Borrowed(t), after, false)
            }
        };
        rest = after;
        match position {
            0 | 1 if was_quoted => {
                if value != "-" && !value.is_empty() {
                    let name = if position == 0 { &n.cs_referer } else { &n.cs_user_agent };
                    fields.push(name.clone(), value.into_owned());
                }
                position += 1;
            }
            _ => {
                position = 2;
                if extra.len() < MAX_EXTRA {
                    extra.push(value.into_owned().into());
                } else {
                    extra.push(Value::from(r));
                    break;
                }
            }
        }
    }
    if !extra.is_empty() {
        fields.push(n.extra.clone(), Value::List(extra));
    }
    Ok((Some(time), fields))
}

/// `METHOD TARGET VERSION` into W3C fields; anything else kept whole in `request`.
fn push_request(fields: &mut Fields, request: &str) {
    let n = &*NAMES;
    if request.is_empty() || request == "-" {
        return;
    }
    let parsed = request.split_once(' ').and_then(|(method, rest)| {
        let method_ok = !method.is_empty()
            && method.len() <= 32
            && method.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !method_ok {
            return None;
        }
        let (target, version) = match rest.rsplit_once(' ') {
            Some((t, v)) if v.starts_with("HTTP/") => (t, Some(v)),
            _ => (rest, None),
        };
        (!target.is_empty()).then_some((method, target, version))
    });
    let Some((method, target, version)) = parsed else {
        fields.push(n.request.clone(), request);
        return;
    };
    fields.push(n.cs_method.clone(), method);
    let (stem, query) = match target.split_once('?') {
        Some((s, q)) => (s, Some(q)),
        None => (target, None),
    };
    fields.push(n.cs_uri_stem.clone(), stem);
    fields.push(n.cs_uri_query.clone(), target);
    if let Some(q) = query {
        fields.push(n.cs_uri_query_string.clone(), q);
    }
    if let Some(v) = version {
        fields.push(n.cs_version.clone(), v);
    }
}

fn split_space(s: &str) -> (&str, &str) {
    match memchr::memchr(b' ', s.as_bytes()) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    }
}

/// A `"..."` string at the start of `s`: returns the value and what follows the closing quote.
/// The closing quote is a `"` not escaped by `\` and followed by a space or the end of the line,
/// so stray unescaped quotes inside (old nginx, hand-made requests) do not cut the value short.
pub(crate) fn quoted(s: &str) -> Option<(Cow<'_, str>, &str)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    let mut escaped = false;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                escaped = true;
                i += 2;
                continue;
            }
            b'"' if matches!(b.get(i + 1), None | Some(b' ')) => {
                let inner = &s[1..i];
                let value = if escaped { unescape(inner) } else { Cow::Borrowed(inner) };
                return Some((value, &s[i + 1..]));
            }
            _ => i += 1,
        }
    }
    None
}

/// Undoes `\"` and `\\`; other escapes stay as logged.
fn unescape(s: &str) -> Cow<'_, str> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(c2 @ ('"' | '\\')) => out.push(c2),
                Some(c2) => {
                    out.push('\\');
                    out.push(c2);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `10/Oct/2000:13:55:36 -0700` → UTC.
pub(crate) fn parse_clf_time(s: &str) -> Result<Timestamp, ParseError> {
    let bad = || err("time", "expected 'dd/Mon/yyyy:hh:mm:ss +zzzz'");
    let b = s.as_bytes();
    if b.len() != 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[14] != b':' || b[17] != b':' || b[20] != b' '
    {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let d = &b[r];
        d.iter().all(u8::is_ascii_digit).then(|| d.iter().fold(0u32, |a, c| a * 10 + u32::from(c - b'0')))
    };
    let day = num(0..2).ok_or_else(bad)?;
    let month = month_from(&b[3..6]).ok_or_else(bad)?;
    let year = num(7..11).ok_or_else(bad)?;
    let (h, m, sec) = (num(12..14).ok_or_else(bad)?, num(15..17).ok_or_else(bad)?, num(18..20).ok_or_else(bad)?);
    let sign = match b[21] {
        b'+' => 1,
        b'-' => -1,
        _ => return Err(bad()),
    };
    let (oh, om) = (num(22..24).ok_or_else(bad)?, num(24..26).ok_or_else(bad)?);
    let tz = FixedOffset::east_opt(sign * (oh as i32 * 3600 + om as i32 * 60)).ok_or_else(bad)?;
    let year = i32::try_from(year).map_err(|_| bad())?;
    NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|d| d.and_hms_opt(h, m, sec))
        .and_then(|ndt| local_to_utc(ndt, tz))
        .ok_or_else(|| err("time", "no such date or time"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ww_core::time::format_utc;

    fn parse(line: &str) -> (String, Fields) {
        let (t, f) = parse_access_line(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        (t.map(|t| format_utc(&t)).unwrap_or_default(), f)
    }

    #[test]
    fn combined() {
        let (t, f) = parse(
            r#"203.0.113.9 - frank [10/Oct/2000:13:55:36 -0700] "GET /cgi-bin/x.cgi?file=../../etc/passwd HTTP/1.1" 404 209 "http://ref.example/" "Mozilla/5.0 (X11)""#,
        );
        assert_eq!(t, "2000-10-10T20:55:36.000Z");
        assert_eq!(f.get_str("c-ip"), Some("203.0.113.9"));
        assert_eq!(f.get_str("cs-username"), Some("frank"));
        assert_eq!(f.get_str("cs-method"), Some("GET"));
        assert_eq!(f.get_str("cs-uri-stem"), Some("/cgi-bin/x.cgi"));
        assert_eq!(f.get_str("cs-uri-query"), Some("/cgi-bin/x.cgi?file=../../etc/passwd"));
        assert_eq!(f.get_str("cs-uri-query-string"), Some("file=../../etc/passwd"));
        assert_eq!(f.get_str("cs-version"), Some("HTTP/1.1"));
        assert_eq!(f.get("sc-status"), Some(&Value::Int(404)));
        assert_eq!(f.get("sc-bytes"), Some(&Value::Int(209)));
        assert_eq!(f.get_str("cs-referer"), Some("http://ref.example/"));
        assert_eq!(f.get_str("cs-user-agent"), Some("Mozilla/5.0 (X11)"));
        assert_eq!(f.get("ident"), None);
        assert_eq!(f.get("extra"), None);
    }

    #[test]
    fn common_log_format_and_dashes() {
        let (_, f) = parse(r#"::1 - - [01/Jan/2024:00:00:00 +0000] "POST /login HTTP/1.0" 302 -"#);
        assert_eq!(f.get_str("c-ip"), Some("::1"));
        assert_eq!(f.get("cs-username"), None);
        assert_eq!(f.get("sc-bytes"), Some(&Value::Int(0)));
        assert_eq!(f.get("cs-referer"), None);
        assert_eq!(f.get_str("cs-uri-query"), Some("/login"));
        assert_eq!(f.get("cs-uri-query-string"), None);
    }

    #[test]
    fn ipv6_vhost_and_extra_fields() {
        let (_, f) = parse(
            r#"www.council.example:443 2001:db8::7 - - [01/Jan/2024:00:00:00 +0100] "GET / HTTP/2.0" 200 10 "-" "curl/8" 0.004 "10.0.0.1, 10.0.0.2""#,
        );
        assert_eq!(f.get_str("cs-host"), Some("www.council.example"));
        assert_eq!(f.get("s-port"), Some(&Value::Int(443)));
        assert_eq!(f.get_str("c-ip"), Some("2001:db8::7"));
        assert_eq!(f.get("extra"), Some(&Value::List(vec![Value::from("0.004"), Value::from("10.0.0.1, 10.0.0.2")])));
    }

    #[test]
    fn escaped_quotes_and_tls_junk() {
        let (_, f) = parse(
            r#"1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET /?q=\"x\" HTTP/1.1" 200 1 "-" "a \"quoted\" \\ agent \x22""#,
        );
        assert_eq!(f.get_str("cs-uri-query"), Some("/?q=\"x\""));
        assert_eq!(f.get_str("cs-user-agent"), Some(r#"a "quoted" \ agent \x22"#));
        let (_, f) =
            parse(r#"1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "\x16\x03\x01\x00\xA5\x01\x00\x00" 400 157 "-" "-""#);
        assert_eq!(f.get_str("request"), Some(r"\x16\x03\x01\x00\xA5\x01\x00\x00"));
        assert_eq!(f.get("cs-method"), None);
        assert_eq!(f.get("sc-status"), Some(&Value::Int(400)));
        // Unescaped quote inside the request (not followed by a space) does not end it.
        let (_, f) = parse(r#"1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET /a"b HTTP/1.1" 200 1"#);
        assert_eq!(f.get_str("cs-uri-stem"), Some("/a\"b"));
        // Empty request and a target with a space.
        let (_, f) = parse(r#"1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "" 400 0 "-" "-""#);
        assert_eq!(f.get("request"), None);
        let (_, f) = parse(r#"1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET /a b HTTP/1.1" 400 0"#);
        assert_eq!(f.get_str("cs-uri-stem"), Some("/a b"));
    }

    #[test]
    fn access_line_inside_syslog() {
        let (t, f) = parse(
            r#"Sep 15 16:13:46 web1 nginx[2869]: 81.2.3.4 - - [15/Sep/2021:16:13:46 +0000] "POST /wp-login.php HTTP/1.1" 200 5 "-" "ua""#,
        );
        assert_eq!(t, "2021-09-15T16:13:46.000Z");
        assert_eq!(f.get_str("c-ip"), Some("81.2.3.4"));
        assert_eq!(f.get_str("cs-uri-stem"), Some("/wp-login.php"));
        assert_eq!(f.get_str("host"), Some("web1"));
        assert_eq!(f.get_str("app_name"), Some("nginx"));
        // A syslog line whose message is not an access line is still an error.
        assert!(parse_access_line("Sep 15 16:13:46 web1 sshd[1]: Accepted key").is_err());
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "hello",
            "1.2.3.4 - - 01/Jan/2024:00:00:00 +0000 \"GET / HTTP/1.1\" 200 1",
            "1.2.3.4 - - [01/Jan/2024:00:00:00 +0000 \"GET / HTTP/1.1\" 200 1",
            "1.2.3.4 - - [01/Foo/2024:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1",
            "1.2.3.4 - - [31/Feb/2024:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1",
            "1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] GET / 200 1",
            "1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] \"GET / HTTP/1.1 200 1",
            "1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] \"GET / HTTP/1.1\" abc 1",
            "1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] \"GET / HTTP/1.1\" 200 x",
            "1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] \"GET / HTTP/1.1\"",
            "a b c d e [01/Jan/2024:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1",
            "1.2.3.4  - [01/Jan/2024:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1",
        ] {
            assert!(parse_access_line(bad).is_err(), "accepted {bad:?}");
        }
        let e = parse_access_line("1.2.3.4 - - [x] \"GET /\" 200 1").unwrap_err();
        assert_eq!(e.field, "time");
    }
}
