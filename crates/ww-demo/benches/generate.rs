//! Generator throughput: records per second on one core (the serve benchmark needs >= 150k/s
//! and the generator must not be its bottleneck).

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ww_demo::{DemoConfig, generate};

const N: u64 = 200_000;

fn bench(c: &mut Criterion) {
    let start = Utc.with_ymd_and_hms(2025, 3, 5, 0, 0, 0).single().unwrap_or_default();
    let mut g = c.benchmark_group("demo");
    g.throughput(Throughput::Elements(N));
    g.sample_size(20);
    g.bench_function("generate_day", |b| {
        b.iter(|| {
            let mut bytes = 0usize;
            for r in generate(DemoConfig::new(7, start, N)) {
                bytes += r.bytes.len();
            }
            bytes
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
