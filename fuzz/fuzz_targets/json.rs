//! `read_json` on arbitrary bytes: must not panic, and must account for every event it hands
//! over.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use ww_core::VecSink;

fuzz_target!(|data: &[u8]| {
    let mut sink = VecSink::default();
    if let Ok(stats) = ww_parse::json::read_json(Arc::from("fuzz"), data, &mut sink) {
        assert_eq!(stats.events as usize, sink.events.len());
        assert!(stats.bytes <= data.len() as u64);
    }
});
