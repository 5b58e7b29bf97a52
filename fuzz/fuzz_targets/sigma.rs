//! The Sigma loader on arbitrary text: loading must never panic, and a rule set that loads must
//! match an event without panicking (every compiled matcher runs against real values).
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use ww_core::{Event, Locator, SourceKind, Value};
use ww_sigma::{LoadOptions, RuleSet};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(rules) = RuleSet::compile_from_str(text, &LoadOptions::default()) else { return };
    let mut event = Event::new(SourceKind::Json, Arc::from("fuzz"), Locator::None);
    event.fields.push("EventID", Value::Int(1));
    event.fields.push("Channel", "Microsoft-Windows-Sysmon/Operational");
    event.fields.push("CommandLine", "powershell.exe -enc SQBFAFgA C:\\Windows\\Temp\\a.exe");
    event.fields.push("Image", "C:\\Windows\\System32\\cmd.exe");
    event.fields.push("IpAddress", "10.1.2.3");
    event.fields.push("a", text);
    let mut scratch = rules.scratch();
    let mut out = Vec::new();
    rules.matches(&event, &mut scratch, &mut out);
    for &r in &out {
        let _ = rules.explain(r, &event);
    }
});
