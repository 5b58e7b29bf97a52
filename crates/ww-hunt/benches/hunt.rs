//! End-to-end hunt throughput: every loadable SigmaHQ rule of `rules/` over the whole EVTX
//! development corpus, read, matched and written (JSON lines to a sink). Needs `../shared`.
//!
//! `cargo bench -p ww-hunt --bench hunt`

use std::io;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ww_hunt::{HuntOptions, OutputFormat};

fn corpora() -> Option<PathBuf> {
    ww_core::corpora::dir("").filter(|p| p.join("sigma/rules").is_dir())
}

fn bench(c: &mut Criterion) {
    let Some(corpora) = corpora() else {
        eprintln!("skipping the hunt benchmark: ../shared/corpora is absent");
        return;
    };
    let t = Instant::now();
    let report = ww_sigma::load_rules(&[corpora.join("sigma/rules")], &ww_sigma::LoadOptions::default());
    eprintln!("loaded {} rules in {:.3} s", report.ruleset.len(), t.elapsed().as_secs_f64());
    let dev_null = std::env::temp_dir().join("wardwatch-bench-detections.jsonl");
    let opts = HuntOptions {
        inputs: vec![corpora.join("evtx-dev")],
        format: OutputFormat::Jsonl,
        output: Some(dev_null),
        ..HuntOptions::default()
    };
    let events = ww_hunt::hunt(&report.ruleset, &opts, Box::new(io::sink())).map(|s| s.events).unwrap_or(0);
    let mut group = c.benchmark_group("hunt");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events));
    group.bench_function("evtx-dev x sigma rules/", |b| {
        b.iter(|| ww_hunt::hunt(&report.ruleset, &opts, Box::new(io::sink())).map(|s| s.detections))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
