//! Golden tests: each fixture read with the line driver, every event and diagnostic serialised
//! as one JSON line and compared with `<fixture>.golden.jsonl`. `UPDATE_GOLDEN=1` rewrites them.

use std::path::PathBuf;

use serde_json::json;
use ww_core::time::format_utc;
use ww_core::{Event, VecSink};
use ww_parse::lines::{LineFormat, LineOptions, read_lines_with};
use ww_parse::sniff::{Format, sniff};
use ww_parse::syslog::SyslogContext;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(name)
}

fn event_json(e: &Event) -> serde_json::Value {
    json!({
        "at": e.origin.at,
        "kind": e.kind,
        "time": e.time.as_ref().map(format_utc),
        "fields": e.fields,
        "raw": e.raw,
    })
}

fn check(name: &str, format: LineFormat, sniffed: Format) {
    let input = std::fs::read(fixture(name)).expect("fixture exists");
    assert_eq!(sniff(&input), sniffed, "sniff({name})");
    let mut sink = VecSink::default();
    // A fixed year keeps yearless syslog timestamps stable.
    let opts = LineOptions::new(SyslogContext::with_year(2024));
    let stats =
        read_lines_with(format, &opts, name.into(), &input[..], &mut sink).expect("reading from memory cannot fail");
    let mut out = String::new();
    for e in &sink.events {
        out.push_str(&event_json(e).to_string());
        out.push('\n');
    }
    for d in &sink.diagnostics {
        out.push_str(&json!({ "diagnostic": d }).to_string());
        out.push('\n');
    }
    out.push_str(
        &json!({ "stats": { "events": stats.events, "errors": stats.errors, "bytes": stats.bytes } }).to_string(),
    );
    out.push('\n');
    let golden = fixture(&format!("{name}.golden.jsonl"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &out).expect("write golden");
        return;
    }
    let want = std::fs::read_to_string(&golden)
        .unwrap_or_else(|_| panic!("{} missing: run with UPDATE_GOLDEN=1", golden.display()));
    for (i, (got, want)) in out.lines().zip(want.lines()).enumerate() {
        assert_eq!(got, want, "{name}: golden line {}", i + 1);
    }
    assert_eq!(out.lines().count(), want.lines().count(), "{name}: number of golden lines");
}

#[test]
fn auth_log() {
    check("auth.log", LineFormat::Syslog, Format::Syslog);
}

#[test]
fn nginx_access_log() {
    check("access.log", LineFormat::AccessLog, Format::AccessLog);
}

#[test]
fn iis_w3c_log() {
    check("iis.log", LineFormat::W3c, Format::W3c);
}
