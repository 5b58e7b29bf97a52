//! Reads the EVTX files under a folder and prints records, diagnostics and records/s:
//! `cargo run --release -p ww-evtx --example evtx_stats -- DIR [THREADS] [--recover]`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ww_core::{Diagnostic, Event, EventSink};

#[derive(Default)]
struct Tally {
    events: u64,
    fields: u64,
    diagnostics: Vec<Diagnostic>,
}

impl EventSink for Tally {
    fn event(&mut self, e: Event) {
        self.events += 1;
        self.fields += e.fields.len() as u64;
    }
    fn diagnostic(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = PathBuf::from(args.first().map_or(".", String::as_str));
    let threads = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    let recover = args.iter().any(|a| a == "--recover");
    let files: Vec<(Arc<str>, Vec<u8>)> = ww_core::corpora::files_with_extension(&root, "evtx")
        .into_iter()
        .filter_map(|p| Some((Arc::from(p.to_string_lossy().as_ref()), std::fs::read(&p).ok()?)))
        .collect();
    let bytes: usize = files.iter().map(|(_, d)| d.len()).sum();
    let mut sink = Tally::default();
    let start = Instant::now();
    for (name, data) in files.iter().cloned() {
        ww_evtx::read_evtx_with(name, data, threads, recover, &mut sink);
    }
    let secs = start.elapsed().as_secs_f64();
    for d in &sink.diagnostics {
        println!("{d}");
    }
    println!(
        "{} files, {} MB, {} records, {} fields, {} diagnostics, {:.3} s, {:.0} records/s ({threads} threads, recover={recover})",
        files.len(),
        bytes / 1_000_000,
        sink.events,
        sink.fields,
        sink.diagnostics.len(),
        secs,
        sink.events as f64 / secs
    );
}
