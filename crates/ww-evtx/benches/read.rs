//! Reads every file of the evtx-dev corpus (skipped when absent) with 1 and 2 threads.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ww_core::{Diagnostic, Event, EventSink};

struct Count(u64);
impl EventSink for Count {
    fn event(&mut self, e: Event) {
        self.0 += e.fields.len() as u64;
    }
    fn diagnostic(&mut self, _: Diagnostic) {}
}

fn corpus() -> Vec<(Arc<str>, Vec<u8>)> {
    let Some(root) = ww_core::corpora::dir("evtx-dev") else { return Vec::new() };
    ww_core::corpora::files_with_extension(&root, "evtx")
        .into_iter()
        .filter_map(|p| Some((Arc::from(p.to_string_lossy().as_ref()), std::fs::read(&p).ok()?)))
        .collect()
}

fn bench(c: &mut Criterion) {
    let files = corpus();
    if files.is_empty() {
        eprintln!("evtx-dev corpus absent: nothing to measure");
        return;
    }
    let mut records = 0;
    for (name, data) in &files {
        records += ww_evtx::read_evtx(name.clone(), data.clone(), 1, &mut Count(0)).events;
    }
    eprintln!("{} files, {records} records", files.len());
    let mut g = c.benchmark_group("evtx-dev");
    g.sample_size(10);
    g.throughput(Throughput::Elements(records));
    for threads in [1, 2] {
        g.bench_function(format!("read_evtx/{threads}t"), |b| {
            b.iter(|| {
                let mut sink = Count(0);
                for (name, data) in &files {
                    ww_evtx::read_evtx(name.clone(), data.clone(), threads, &mut sink);
                }
                sink.0
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
