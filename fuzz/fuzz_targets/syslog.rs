//! Syslog: the per-line parser on arbitrary text, the line driver on arbitrary bytes (every
//! unparseable syslog line is still an event, with one diagnostic), and sniffing.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use ww_parse::lines::LineFormat;
use ww_parse::syslog::{SyslogContext, parse_syslog_line};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = parse_syslog_line(s, &SyslogContext::with_year(2024));
    }
    common::check_line_driver(LineFormat::Syslog, data, 256);
    let _ = ww_parse::sniff::sniff(data);
});
