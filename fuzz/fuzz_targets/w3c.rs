//! W3C: the stateful parser line by line, and the line driver on arbitrary bytes.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use ww_parse::lines::LineFormat;
use ww_parse::w3c::W3cParser;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let mut p = W3cParser::new();
        for line in s.lines() {
            let _ = p.parse_line(line);
        }
    }
    common::check_line_driver(LineFormat::W3c, data, 512);
});
