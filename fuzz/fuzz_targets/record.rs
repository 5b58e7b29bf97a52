//! One received record (syslog, access log, W3C, JSON, auto-sniffed) → one event, whatever the
//! bytes: `serve` parses every socket message and HTTP document through this.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ww_parse::record::{RecordFormat, parse_record};

const FORMATS: [RecordFormat; 5] =
    [RecordFormat::Auto, RecordFormat::Syslog, RecordFormat::AccessLog, RecordFormat::W3c, RecordFormat::Json];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let format = FORMATS[usize::from(selector) % FORMATS.len()];
    // The second byte, when set, splits off a W3C directive context.
    let (context, bytes) = match rest.iter().position(|&b| b == 0xff) {
        Some(i) if selector & 0x80 != 0 => (Some(String::from_utf8_lossy(&rest[..i]).into_owned()), &rest[i + 1..]),
        _ => (None, rest),
    };
    let received = ww_core::time::parse_utc("2026-11-21T10:00:00Z").expect("constant time");
    let parsed = parse_record(format, bytes, received, context.as_deref(), "fuzz");
    // Every record yields an event that keeps the text; a record that failed to parse still has
    // its text as `message` (an empty JSON object `{}` is the one event with no fields).
    assert!(parsed.event.raw.is_some());
    if parsed.error.is_some() {
        assert!(!parsed.event.fields.is_empty(), "a record that failed to parse must keep its message");
    }
});
