//! W3C: the stateful parser line by line, and the line driver on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ww_core::VecSink;
use ww_parse::lines::{LineFormat, LineOptions, read_lines_with};
use ww_parse::syslog::SyslogContext;
use ww_parse::w3c::W3cParser;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let mut p = W3cParser::new();
        for line in s.lines() {
            let _ = p.parse_line(line);
        }
    }
    let mut sink = VecSink::default();
    let opts = LineOptions {
        syslog: SyslogContext::with_year(2024),
        max_line: 512,
    };
    let stats = read_lines_with(LineFormat::W3c, &opts, "fuzz".into(), data, &mut sink)
        .expect("memory reader");
    let line_diags = sink
        .diagnostics
        .iter()
        .filter(|d| d.field.as_deref() != Some("encoding"));
    assert_eq!(line_diags.count() as u64, stats.errors);
    assert_eq!(stats.bytes, data.len() as u64);
});
