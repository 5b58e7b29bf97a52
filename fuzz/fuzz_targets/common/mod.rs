//! What every line-format fuzz target checks of the line driver on arbitrary bytes.

use ww_core::VecSink;
use ww_parse::lines::{LineFormat, LineOptions, read_lines_with};
use ww_parse::syslog::SyslogContext;

/// Runs the driver over `data` and asserts its accounting: one diagnostic per line that failed
/// (encoding warnings aside), every byte consumed, every event counted.
pub fn check_line_driver(format: LineFormat, data: &[u8], max_line: usize) {
    let mut sink = VecSink::default();
    let opts = LineOptions { syslog: SyslogContext::with_year(2024), max_line };
    let stats = read_lines_with(format, &opts, "fuzz".into(), data, &mut sink).expect("memory reader");
    let line_diags = sink.diagnostics.iter().filter(|d| d.field.as_deref() != Some("encoding"));
    assert_eq!(line_diags.count() as u64, stats.errors);
    assert_eq!(stats.bytes, data.len() as u64);
    assert_eq!(stats.events, sink.events.len() as u64);
}
