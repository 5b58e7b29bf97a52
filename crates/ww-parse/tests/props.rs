//! Property tests: parsers never panic; the line driver's diagnostics and locators are exact;
//! RFC 5424 messages survive format → parse.

use proptest::prelude::*;
use ww_core::time::format_utc;
use ww_core::{Locator, Value, VecSink};
use ww_parse::access::parse_access_line;
use ww_parse::lines::{LineFormat, LineOptions, read_lines_with};
use ww_parse::sniff::sniff;
use ww_parse::syslog::{SyslogContext, parse_syslog_line};
use ww_parse::w3c::W3cParser;

fn ctx() -> SyslogContext {
    SyslogContext::with_year(2024)
}

/// Text drawn from the characters these formats are made of, so inputs get deep into parsers.
fn logish() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[<>0-9 a-zA-Z:\\[\\]\"=\\\\/.+?#-]{0,120}",
        "<[0-9]{1,3}>1 [-0-9T:.Z+]{1,30} [ -~]{0,60}",
        "[0-9.:a-f]{1,20} [a-z-]{1,3} [a-z-]{1,3} \\[[0-9]{2}/[A-Za-z]{3}/[0-9]{4}:[0-9:]{8} [+-][0-9]{4}\\] \"[ -~]{0,30}\" [0-9-]{1,4} [0-9-]{1,5}( \"[ -~]{0,20}\"){0,4}",
        "[A-Z][a-z]{2} [ 0-9]{1,2} [0-9:.]{8,12} [ -~]{0,60}",
    ]
}

proptest! {
    #[test]
    fn parsers_never_panic(s in logish()) {
        let _ = parse_syslog_line(&s, &ctx());
        let _ = parse_access_line(&s);
        let mut w = W3cParser::new();
        let _ = w.parse_line(&s);
        let _ = w.parse_line("#Fields: date time cs-uri-stem cs-uri-query sc-status");
        let _ = w.parse_line(&s);
        let _ = sniff(s.as_bytes());
    }

    #[test]
    fn driver_never_panics_on_bytes(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        for format in [LineFormat::Syslog, LineFormat::AccessLog, LineFormat::W3c] {
            let mut sink = VecSink::default();
            let opts = LineOptions { syslog: ctx(), max_line: 64 };
            let stats = read_lines_with(format, &opts, "p".into(), &data[..], &mut sink).unwrap();
            prop_assert_eq!(stats.bytes, data.len() as u64);
        }
    }
}

#[derive(Debug, Clone)]
enum Line {
    Good(String),
    Bad(String),
    Blank(String),
}

fn access_line() -> impl Strategy<Value = String> {
    ("[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}", "/[a-z/?=&.]{0,30}", 100u16..600, 0u32..100000).prop_map(
        |(ip, path, status, bytes)| {
            format!("{ip} - - [01/Mar/2024:10:11:12 +0000] \"GET {path} HTTP/1.1\" {status} {bytes} \"-\" \"agent\"")
        },
    )
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        3 => access_line().prop_map(Line::Good),
        // No '[' at all: can never be an access line.
        2 => "[a-zA-Z0-9 ;:,é]{0,40}[a-z]".prop_map(Line::Bad),
        1 => "[ \t]{0,3}".prop_map(Line::Blank),
    ]
}

proptest! {
    #[test]
    fn one_diagnostic_per_bad_line_at_the_right_bytes(
        lines in proptest::collection::vec((line(), any::<bool>()), 0..30),
        last_newline in any::<bool>(),
    ) {
        let mut input = String::new();
        let mut want_events = Vec::new();
        let mut want_diags = Vec::new();
        for (i, (l, crlf)) in lines.iter().enumerate() {
            let at = Locator::Line { line: i as u64 + 1, offset: input.len() as u64 };
            let text = match l {
                Line::Good(t) => { want_events.push((at, t.clone())); t }
                Line::Bad(t) => { want_diags.push((at, t.clone())); t }
                Line::Blank(t) => t,
            };
            input.push_str(text);
            if i + 1 < lines.len() || last_newline {
                input.push_str(if *crlf { "\r\n" } else { "\n" });
            }
        }
        let mut sink = VecSink::default();
        let opts = LineOptions::new(ctx());
        let stats = read_lines_with(LineFormat::AccessLog, &opts, "p".into(), input.as_bytes(), &mut sink).unwrap();
        prop_assert_eq!(stats.errors, want_diags.len() as u64);
        prop_assert_eq!(stats.events, want_events.len() as u64);
        let got_diags: Vec<Locator> = sink.diagnostics.iter().map(|d| d.at).collect();
        let expected: Vec<Locator> = want_diags.iter().map(|(at, _)| *at).collect();
        prop_assert_eq!(got_diags, expected);
        for (e, (at, text)) in sink.events.iter().zip(&want_events) {
            prop_assert_eq!(e.origin.at, *at);
            prop_assert_eq!(e.raw.as_deref(), Some(text.as_str()));
            let Locator::Line { offset, .. } = *at else { unreachable!() };
            prop_assert!(input.as_bytes()[offset as usize..].starts_with(text.as_bytes()));
        }
        for (at, text) in &want_diags {
            let Locator::Line { offset, .. } = *at else { unreachable!() };
            prop_assert!(input.as_bytes()[offset as usize..].starts_with(text.as_bytes()));
        }
    }
}

#[derive(Debug, Clone)]
struct Msg5424 {
    pri: u8,
    time: Option<(i64, u32)>,
    host: Option<String>,
    app: Option<String>,
    procid: Option<String>,
    msgid: Option<String>,
    sd: Vec<(String, Vec<(String, String)>)>,
    msg: Option<String>,
}

fn token(re: &'static str) -> impl Strategy<Value = Option<String>> {
    proptest::option::of(re)
}

fn msg5424() -> impl Strategy<Value = Msg5424> {
    let sd_name = "[a-zA-Z0-9@._-]{1,32}";
    let sd = proptest::collection::vec(
        (sd_name, proptest::collection::vec((sd_name, "[ -~é€\\]\\\\\"]{0,20}"), 1..4)),
        0..3,
    );
    (
        0u8..=191,
        proptest::option::of((0i64..4_000_000_000, 0u32..1000)),
        (
            token("[a-zA-Z0-9][!-~]{0,59}"),
            token("[a-zA-Z0-9][!-~]{0,47}"),
            token("[a-zA-Z0-9][!-~]{0,29}"),
            token("[a-zA-Z0-9][!-~]{0,31}"),
        ),
        sd,
        proptest::option::of("[ -~é]{0,40}"),
    )
        .prop_map(|(pri, time, (host, app, procid, msgid), sd, msg)| Msg5424 {
            pri,
            time,
            host,
            app,
            procid,
            msgid,
            sd,
            msg,
        })
}

fn nil(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

fn format5424(m: &Msg5424) -> String {
    let ts = m
        .time
        .and_then(|(s, ms)| chrono::DateTime::from_timestamp(s, ms * 1_000_000))
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
    let mut line = format!(
        "<{}>1 {} {} {} {} {} ",
        m.pri,
        ts.as_deref().unwrap_or("-"),
        nil(&m.host),
        nil(&m.app),
        nil(&m.procid),
        nil(&m.msgid)
    );
    if m.sd.is_empty() {
        line.push('-');
    }
    for (id, params) in &m.sd {
        line.push('[');
        line.push_str(id);
        for (k, v) in params {
            let esc = v.replace('\\', "\\\\").replace('"', "\\\"").replace(']', "\\]");
            line.push_str(&format!(" {k}=\"{esc}\""));
        }
        line.push(']');
    }
    if let Some(msg) = &m.msg {
        line.push(' ');
        line.push_str(msg);
    }
    line
}

proptest! {
    #[test]
    fn rfc5424_round_trip(m in msg5424()) {
        let line = format5424(&m);
        let (time, fields) = parse_syslog_line(&line, &ctx()).map_err(|e| TestCaseError::fail(format!("{line}: {e}")))?;
        let want_time = m.time.and_then(|(s, ms)| chrono::DateTime::from_timestamp(s, ms * 1_000_000));
        prop_assert_eq!(time.map(|t| format_utc(&t)), want_time.map(|t| format_utc(&t)));
        let mut want: Vec<(String, Value)> = vec![
            ("pri".into(), Value::Int(i64::from(m.pri))),
        ];
        let fac = fields.get_str("facility").unwrap_or_default().to_owned();
        let sev = fields.get_str("severity").unwrap_or_default().to_owned();
        want.push(("facility".into(), Value::from(fac)));
        want.push(("severity".into(), Value::from(sev)));
        for (k, v) in [("host", &m.host), ("app_name", &m.app), ("proc_id", &m.procid), ("msg_id", &m.msgid)] {
            if let Some(v) = v { want.push((k.into(), Value::from(v.as_str()))); }
        }
        for (id, params) in &m.sd {
            for (k, v) in params {
                want.push((format!("sd.{id}.{k}"), Value::from(v.as_str())));
            }
        }
        if let Some(msg) = &m.msg { want.push(("message".into(), Value::from(msg.as_str()))); }
        let got: Vec<(String, Value)> = fields.iter().map(|(k, v)| (k.to_owned(), v.clone())).collect();
        prop_assert_eq!(got, want, "{}", line);
        // Facility and severity names follow from PRI.
        const SEV: [&str; 8] = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];
        prop_assert_eq!(fields.get_str("severity"), Some(SEV[usize::from(m.pri & 7)]));
    }
}
