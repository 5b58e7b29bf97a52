//! Matching throughput over a realistic Windows event mix (see `mix/mod.rs`) with every rule of the
//! SigmaHQ `rules/` folder, and with that folder loaded twice.

mod mix;

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ww_core::Event;
use ww_sigma::{LoadOptions, RuleSet, load_rules};

fn corpus() -> Option<PathBuf> {
    ww_core::corpora::dir("sigma/rules")
}

fn bench(c: &mut Criterion) {
    let Some(dir) = corpus() else {
        eprintln!("skipping matching bench: Sigma corpus not found");
        return;
    };
    let events: Vec<Event> = (0..5000).map(mix::event).collect();
    let opts = LoadOptions::default();
    let once = load_rules(std::slice::from_ref(&dir), &opts).ruleset;
    let twice = load_rules(&[dir.clone(), dir], &opts).ruleset;
    // In a hunt each event is matched right after its reader wrote it, so it is in cache; the
    // 5,000 events are not (several MB, read in turn). Cloning an event first touches every
    // field as a reader would: matching in cache = (clone + match) - (clone alone).
    let run = |rs: &RuleSet, clone_first: bool| {
        let mut sc = rs.scratch();
        let mut out = Vec::new();
        let mut hits = 0usize;
        for e in &events {
            let fresh;
            let e = if clone_first {
                fresh = e.clone();
                &fresh
            } else {
                e
            };
            out.clear();
            rs.matches(e, &mut sc, &mut out);
            hits += out.len();
        }
        hits
    };
    eprintln!(
        "rules {} / {}; detections per pass: {} / {}",
        once.len(),
        twice.len(),
        run(&once, false),
        run(&twice, false)
    );
    let mut g = c.benchmark_group("matching");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("all_rules", |b| b.iter(|| black_box(run(&once, false))));
    g.bench_function("rules_twice", |b| b.iter(|| black_box(run(&twice, false))));
    g.bench_function("clone_then_all_rules", |b| b.iter(|| black_box(run(&once, true))));
    g.bench_function("clone_only", |b| {
        b.iter(|| events.iter().map(|e| black_box(e.clone()).fields.len()).sum::<usize>())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
