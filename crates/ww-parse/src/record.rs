//! One received record (a syslog message, a log line, one JSON document) → one [`Event`].
//!
//! This is what `wardwatch serve` runs on every record its listeners and tailers hand in. Unlike
//! the file readers, a record is never dropped: the event always exists so that keyword rules and
//! the raw archive still see it. When the record does not parse, the event keeps the best-guess
//! kind, its fields hold at least `message` (the whole record), and [`ParsedRecord::error`] says
//! which field failed and why.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, LazyLock};

use serde_json::Value as J;
use ww_core::time::Timestamp;
use ww_core::{Event, Fields, Locator, SourceKind};

use crate::access::parse_access_line;
use crate::lines::ParseError;
use crate::syslog::{SyslogContext, parse_syslog_line};
use crate::w3c::{W3cLine, W3cParser};
use crate::winjson;

/// Largest record parsed, in bytes; longer ones are cut here and the cut is reported.
pub const MAX_RECORD: usize = 1 << 20;

/// How a source's records are to be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordFormat {
    /// Decided per record from its first bytes.
    Auto,
    Syslog,
    AccessLog,
    W3c,
    Json,
}

impl RecordFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordFormat::Auto => "auto",
            RecordFormat::Syslog => "syslog",
            RecordFormat::AccessLog => "access_log",
            RecordFormat::W3c => "w3c",
            RecordFormat::Json => "json",
        }
    }
}

impl fmt::Display for RecordFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that is not one of `auto`, `syslog`, `access_log`, `w3c`, `json`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown record format {0:?}: expected auto, syslog, access_log, w3c or json")]
pub struct UnknownFormat(pub String);

impl FromStr for RecordFormat {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "auto" => RecordFormat::Auto,
            "syslog" => RecordFormat::Syslog,
            "access_log" => RecordFormat::AccessLog,
            "w3c" => RecordFormat::W3c,
            "json" => RecordFormat::Json,
            other => return Err(UnknownFormat(other.chars().take(40).collect())),
        })
    }
}

/// The event made of one record, and why it is incomplete if it is.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRecord {
    pub event: Event,
    /// Set when the record did not parse (fully) in its format, or was cut at [`MAX_RECORD`].
    pub error: Option<String>,
}

static MESSAGE: LazyLock<Arc<str>> = LazyLock::new(|| "message".into());

/// Parses one record. Never fails and never panics: see the module documentation.
///
/// `context` is the parsing context some formats need, for W3C the file's `#Fields:` line (and
/// any `#Date:` line), one directive per line. `source_name` becomes the event's origin file.
pub fn parse_record(
    format: RecordFormat,
    bytes: &[u8],
    received_at: Timestamp,
    context: Option<&str>,
    source_name: &str,
) -> ParsedRecord {
    let mut errors: Vec<String> = Vec::new();
    let mut bytes = bytes;
    if bytes.len() > MAX_RECORD {
        errors.push(format!("record is {} bytes, cut at the {MAX_RECORD}-byte limit", bytes.len()));
        bytes = &bytes[..MAX_RECORD];
    }
    bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    while let Some((last, rest)) = bytes.split_last() {
        if matches!(last, b'\n' | b'\r' | b'\0') {
            bytes = rest;
        } else {
            break;
        }
    }
    let text = String::from_utf8_lossy(bytes);
    let format = match format {
        RecordFormat::Auto => sniff_record(&text, context),
        f => f,
    };
    let ctx = SyslogContext::with_now(received_at);
    let (kind, parsed) = if text.trim().is_empty() {
        (guess_kind(format), Err("record: empty".to_owned()))
    } else {
        match format {
            RecordFormat::Syslog => (SourceKind::Syslog, parse_syslog_line(&text, &ctx).map_err(|e| describe(&e))),
            RecordFormat::AccessLog => (SourceKind::AccessLog, parse_access_line(&text).map_err(|e| describe(&e))),
            RecordFormat::W3c => (SourceKind::W3c, parse_w3c(&text, context)),
            RecordFormat::Json => (SourceKind::Json, parse_json(&text, &mut errors)),
            // Nothing recognised the record: keep it whole, as syslog without a header would be.
            RecordFormat::Auto => (
                SourceKind::Syslog,
                Err("record: not JSON, syslog (RFC 5424/3164) or an access log; kept as message only".to_owned()),
            ),
        }
    };
    let mut event = Event::new(kind, Arc::from(source_name), Locator::None);
    match parsed {
        Ok((time, fields)) => {
            event.time = time;
            event.fields = fields;
        }
        Err(e) => {
            errors.insert(0, e);
            let mut fields = Fields::with_capacity(1);
            fields.push(MESSAGE.clone(), &*text);
            event.fields = fields;
        }
    }
    event.raw = Some(text.into_owned().into_boxed_str());
    let error = if errors.is_empty() { None } else { Some(errors.join("; ")) };
    ParsedRecord { event, error }
}

/// `format: reason` from a line parser's error, with the format named.
fn describe(e: &ParseError) -> String {
    format!("{}: {}", e.field, e.reason)
}

fn guess_kind(format: RecordFormat) -> SourceKind {
    match format {
        RecordFormat::AccessLog => SourceKind::AccessLog,
        RecordFormat::W3c => SourceKind::W3c,
        RecordFormat::Json => SourceKind::Json,
        RecordFormat::Auto | RecordFormat::Syslog => SourceKind::Syslog,
    }
}

/// Picks a format for one record: `{` → JSON, `<digits>` → syslog, a W3C context → W3C, an
/// access-log line → access log, a syslog line without PRI → syslog; otherwise `Auto` (raw).
#[cfg(test)]
mod wrapped_access_tests {
    use super::*;

    #[test]
    fn nginx_access_line_inside_syslog_is_read_as_an_access_log() {
        let line = "<190>Nov 21 10:00:00 web01 nginx: 203.0.113.5 - - [21/Nov/2026:10:00:00 +0000] \"GET /appeals/10001 HTTP/1.1\" 200 512 \"-\" \"curl/8.0\"";
        let p = parse_record(
            RecordFormat::Auto,
            line.as_bytes(),
            ww_core::time::parse_utc("2026-11-21T10:00:01Z").expect("time"),
            None,
            "s",
        );
        assert_eq!(p.error, None);
        assert_eq!(p.event.kind, SourceKind::AccessLog);
        assert_eq!(p.event.fields.get_str("c-ip"), Some("203.0.113.5"));
    }
}

fn sniff_record(text: &str, context: Option<&str>) -> RecordFormat {
    let t = text.trim_start();
    let b = t.as_bytes();
    if b.first() == Some(&b'{') {
        return RecordFormat::Json;
    }
    if b.first() == Some(&b'<') && b.get(1).is_some_and(u8::is_ascii_digit) {
        // nginx `access_log syslog:` and Apache piped to `logger` wrap an access line in syslog;
        // web rules (`category: webserver`) only see it when read as an access log.
        if t.contains(" HTTP/") && parse_access_line(text).is_ok() {
            return RecordFormat::AccessLog;
        }
        return RecordFormat::Syslog;
    }
    if context.is_some() {
        return RecordFormat::W3c;
    }
    if parse_access_line(text).is_ok() {
        return RecordFormat::AccessLog;
    }
    // The year does not matter for sniffing; parsing uses the receive time.
    if parse_syslog_line(text, &SyslogContext::with_year(2000)).is_ok() {
        return RecordFormat::Syslog;
    }
    RecordFormat::Auto
}

fn parse_w3c(text: &str, context: Option<&str>) -> Result<(Option<Timestamp>, Fields), String> {
    let mut parser = W3cParser::new();
    for line in context.unwrap_or("").lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') {
            parser.parse_line(line).map_err(|e| format!("W3C context: {}", describe(&e)))?;
        }
    }
    match parser.parse_line(text) {
        Ok(W3cLine::Event(time, fields)) => Ok((time, fields)),
        Ok(W3cLine::Directive) => Err("record: a W3C directive, not an event".to_owned()),
        Err(e) => Err(describe(&e)),
    }
}

/// One JSON document, flattened exactly as `hunt` flattens a JSON line (winlogbeat/ECS, EVTX
/// dumps and flat Windows JSON get Sigma's field names).
fn parse_json(text: &str, notes: &mut Vec<String>) -> Result<(Option<Timestamp>, Fields), String> {
    let value: J = serde_json::from_str(text).map_err(|e| format!("json: invalid JSON: {e}"))?;
    let mut fields = Fields::with_capacity(24);
    let flat = winjson::flatten_json(&value, &mut fields);
    if flat.truncated {
        notes.push(format!(
            "json: nested deeper than {} levels: the deeper values are kept as JSON text",
            winjson::MAX_DEPTH
        ));
    }
    if let Some(reason) = flat.fallback {
        notes.push(format!("json: looks like an EVTX record but {reason}: flattened as generic JSON"));
    }
    Ok((flat.time, fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use ww_core::Value;

    fn now() -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).single().unwrap()
    }

    fn parse(format: RecordFormat, bytes: &[u8]) -> ParsedRecord {
        parse_record(format, bytes, now(), None, "src")
    }

    const ACCESS: &str = r#"10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "GET /x HTTP/1.1" 200 5 "-" "curl""#;

    #[test]
    fn names_round_trip() {
        for f in
            [RecordFormat::Auto, RecordFormat::Syslog, RecordFormat::AccessLog, RecordFormat::W3c, RecordFormat::Json]
        {
            assert_eq!(f.as_str().parse::<RecordFormat>(), Ok(f));
        }
        assert!("csv".parse::<RecordFormat>().unwrap_err().to_string().contains("\"csv\""));
    }

    #[test]
    fn syslog_5424_with_structured_data() {
        let r = parse(
            RecordFormat::Syslog,
            b"<165>1 2024-01-02T03:04:05.000Z host1 app 42 ID47 [exampleSDID@32473 iut=\"3\"] hello\n",
        );
        assert_eq!(r.error, None);
        let e = &r.event;
        assert_eq!(e.kind, SourceKind::Syslog);
        assert_eq!(e.origin.file.as_ref(), "src");
        assert_eq!(e.origin.at, Locator::None);
        assert_eq!(e.fields.get_str("host"), Some("host1"));
        assert_eq!(e.fields.get_str("sd.exampleSDID@32473.iut"), Some("3"));
        assert_eq!(e.fields.get_str("message"), Some("hello"));
        assert_eq!(e.time, Some(now()));
        assert_eq!(e.raw.as_deref().map(|r| r.ends_with("hello")), Some(true));
    }

    #[test]
    fn syslog_3164_year_from_receive_time() {
        // A December message received on 2 January belongs to the previous year.
        let r = parse(RecordFormat::Syslog, b"<34>Dec 31 23:59:00 mymachine su: 'su root' failed\r\n");
        assert_eq!(r.error, None);
        let t = r.event.time.unwrap();
        assert_eq!(t, chrono::Utc.with_ymd_and_hms(2023, 12, 31, 23, 59, 0).single().unwrap());
        assert_eq!(r.event.fields.get_str("app_name"), Some("su"));
    }

    #[test]
    fn syslog_failure_keeps_message_and_says_why() {
        let r = parse(RecordFormat::Syslog, b"<999>garbage");
        assert_eq!(r.event.kind, SourceKind::Syslog);
        assert_eq!(r.event.fields.get_str("message"), Some("<999>garbage"));
        assert!(r.error.as_deref().unwrap().starts_with("pri"), "{:?}", r.error);
    }

    #[test]
    fn access_line_and_failure() {
        let r = parse(RecordFormat::AccessLog, ACCESS.as_bytes());
        assert_eq!(r.error, None);
        assert_eq!(r.event.kind, SourceKind::AccessLog);
        assert_eq!(r.event.fields.get("sc-status"), Some(&Value::Int(200)));
        let r = parse(RecordFormat::AccessLog, b"not an access line");
        assert_eq!(r.event.kind, SourceKind::AccessLog);
        assert_eq!(r.event.fields.get_str("message"), Some("not an access line"));
        assert!(r.error.is_some());
    }

    #[test]
    fn w3c_uses_context() {
        let ctx = "#Date: 2024-01-02 00:00:00\n#Fields: time c-ip cs-method cs-uri-stem sc-status";
        let r = parse_record(RecordFormat::W3c, b"03:04:05 10.1.1.1 GET /a 404", now(), Some(ctx), "iis");
        assert_eq!(r.error, None);
        assert_eq!(r.event.kind, SourceKind::W3c);
        assert_eq!(r.event.time, Some(now()));
        assert_eq!(r.event.fields.get_str("cs-method"), Some("GET"));
        // Without context the columns fit no default.
        let r = parse_record(RecordFormat::W3c, b"03:04:05 10.1.1.1 GET /a 404", now(), None, "iis");
        assert!(r.error.as_deref().unwrap().contains("#Fields"), "{:?}", r.error);
        assert_eq!(r.event.fields.get_str("message"), Some("03:04:05 10.1.1.1 GET /a 404"));
    }

    #[test]
    fn winlogbeat_doc_gets_sigma_names() {
        let doc = br#"{"@timestamp":"2024-01-02T03:04:05Z","winlog":{"channel":"Security","event_id":4625,"computer_name":"DC1","event_data":{"TargetUserName":"bob","LogonType":"3"}},"host":{"name":"dc1"}}"#;
        let r = parse(RecordFormat::Json, doc);
        assert_eq!(r.error, None);
        let e = &r.event;
        assert_eq!(e.kind, SourceKind::Json);
        assert_eq!(e.fields.get("EventID"), Some(&Value::Int(4625)));
        assert_eq!(e.fields.get_str("Channel"), Some("Security"));
        assert_eq!(e.fields.get_str("TargetUserName"), Some("bob"));
        assert_eq!(e.time, Some(now()));
        // The same flattening as hunt's JSON reader.
        let mut sink = ww_core::VecSink::default();
        crate::json::read_json("f".into(), &doc[..], &mut sink).unwrap();
        assert_eq!(sink.events[0].fields, e.fields);
    }

    #[test]
    fn bad_json_names_position() {
        let r = parse(RecordFormat::Json, b"{\"a\": }");
        assert_eq!(r.event.kind, SourceKind::Json);
        assert_eq!(r.event.fields.get_str("message"), Some("{\"a\": }"));
        assert!(r.error.as_deref().unwrap().contains("column"), "{:?}", r.error);
    }

    #[test]
    fn auto_sniffs_each_record() {
        let cases: [(&[u8], SourceKind, bool); 6] = [
            (b"{\"a\":1}", SourceKind::Json, true),
            (b"<13>Jan  1 00:00:00 h app: m", SourceKind::Syslog, true),
            (ACCESS.as_bytes(), SourceKind::AccessLog, true),
            (b"Jan  1 00:00:00 h sshd[1]: Accepted", SourceKind::Syslog, true),
            (b"just some words", SourceKind::Syslog, false),
            (b"", SourceKind::Syslog, false),
        ];
        for (input, kind, ok) in cases {
            let r = parse(RecordFormat::Auto, input);
            assert_eq!(r.event.kind, kind, "{input:?}");
            assert_eq!(r.error.is_none(), ok, "{input:?}: {:?}", r.error);
            assert!(r.event.fields.get_str("message").is_some() || kind != SourceKind::Syslog);
        }
        let r = parse(RecordFormat::Auto, b"just some words");
        assert!(r.error.as_deref().unwrap().contains("kept as message"));
    }

    #[test]
    fn oversized_record_is_cut_and_noted() {
        let mut big = b"<13>Jan  1 00:00:00 h app: ".to_vec();
        big.resize(MAX_RECORD + 100, b'a');
        let r = parse(RecordFormat::Auto, &big);
        assert_eq!(r.event.raw.as_ref().map(|s| s.len()), Some(MAX_RECORD));
        assert!(r.error.as_deref().unwrap().contains("cut at"), "{:?}", r.error);
        assert_eq!(r.event.fields.get_str("host"), Some("h"));
    }

    #[test]
    fn invalid_utf8_is_kept_lossy() {
        let r = parse(RecordFormat::Syslog, b"<13>Jan  1 00:00:00 h app: J\xF6rg");
        assert_eq!(r.event.fields.get_str("message"), Some("J\u{fffd}rg"));
    }

    /// Records per second per format. Run with
    /// `cargo test -p ww-parse --release --lib -- --ignored --nocapture record_throughput`.
    #[test]
    #[ignore = "measurement, not a check"]
    fn record_throughput() {
        let doc = r#"{"@timestamp":"2024-01-02T03:04:05Z","winlog":{"channel":"Security","event_id":4625,"computer_name":"DC1","event_data":{"TargetUserName":"bob","LogonType":"3","IpAddress":"10.0.0.9"}},"host":{"name":"dc1"}}"#;
        let cases: [(&str, &[u8]); 4] = [
            ("syslog 3164", b"<38>Jan  2 03:04:05 host1 sshd[123]: Failed password for invalid user admin from 10.0.0.9 port 22 ssh2"),
            ("syslog 5424", b"<165>1 2024-01-02T03:04:05.000Z host1 app 42 ID47 [ex@32473 iut=\"3\"] message text"),
            ("access log", ACCESS.as_bytes()),
            ("winlogbeat json", doc.as_bytes()),
        ];
        for (name, rec) in cases {
            let n = 200_000;
            let start = std::time::Instant::now();
            for _ in 0..n {
                std::hint::black_box(parse(RecordFormat::Auto, rec));
            }
            let secs = start.elapsed().as_secs_f64();
            println!("{name}: {:.0} records/s ({} bytes each)", n as f64 / secs, rec.len());
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_always_yield_an_event(bytes in prop::collection::vec(any::<u8>(), 0..600), f in 0usize..5) {
            let format = [RecordFormat::Auto, RecordFormat::Syslog, RecordFormat::AccessLog, RecordFormat::W3c, RecordFormat::Json][f];
            let r = parse_record(format, &bytes, now(), Some("#Fields: date time c-ip"), "p");
            prop_assert!(r.event.raw.is_some());
            prop_assert!(!r.event.fields.is_empty() || r.error.is_none());
            if r.error.is_some() {
                prop_assert!(r.event.fields.get("message").is_some() || r.error.as_deref().is_some_and(|e| e.starts_with("json: nested") || e.contains("EVTX")));
            }
        }

        #[test]
        fn syslog_shaped_bytes_never_panic(s in "<[0-9]{1,3}>[ -~]{0,80}") {
            let r = parse(RecordFormat::Auto, s.as_bytes());
            prop_assert_eq!(r.event.kind, SourceKind::Syslog);
        }
    }
}
