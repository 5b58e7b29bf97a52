//! Access logs: the per-line parser on arbitrary text, and the line driver on arbitrary bytes.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use ww_parse::access::parse_access_line;
use ww_parse::lines::LineFormat;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = parse_access_line(s);
    }
    common::check_line_driver(LineFormat::AccessLog, data, 512);
});
