//! Throughput of `Analyser::analyse_bytes` over the development corpus (rules only and with a
//! model trained on the train half). Skips with a message when the corpus is absent.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ww_mail::{Analyser, Config, Model, bayes, metrics::is_train};

fn corpus() -> Option<Vec<(String, String, Vec<u8>)>> {
    let root = ww_core::corpora::dir("mail")?;
    let mut rdr = csv::Reader::from_path(root.join("labels.csv")).ok()?;
    let mut out = Vec::new();
    for rec in rdr.records().flatten() {
        let (p, l) = (rec.get(0)?.to_string(), rec.get(1)?.to_string());
        let b = std::fs::read(root.join(&p)).ok()?;
        out.push((p, l, b));
    }
    Some(out)
}

fn bench(c: &mut Criterion) {
    let Some(msgs) = corpus() else {
        eprintln!("skipping mail bench: ../shared/corpora/mail not found");
        return;
    };
    let cfg = Config::default_config().expect("default config");
    let rules = Analyser::new(cfg.clone(), None).expect("analyser");
    let mut model = Model::new();
    for (p, l, b) in msgs.iter().filter(|m| is_train(&m.0)) {
        let class = bayes::CLASSES.iter().position(|c| c == l).unwrap_or(0);
        let mail = ww_mail::parse::parse_rfc5322(b, &cfg.limits);
        model.learn(class, &bayes::tokens(&rules.prepare(&mail)));
        let _ = p;
    }
    model.prune(2);
    let trained = Analyser::new(cfg, Some(model)).expect("analyser");
    let test: Vec<&Vec<u8>> = msgs.iter().filter(|m| !is_train(&m.0)).map(|m| &m.2).collect();
    let mut g = c.benchmark_group("mail");
    g.throughput(Throughput::Elements(test.len() as u64));
    g.sample_size(10);
    g.bench_function("analyse_test_split_rules", |b| {
        b.iter(|| test.iter().map(|m| rules.analyse_bytes(m).score).sum::<f64>())
    });
    g.bench_function("analyse_test_split_model", |b| {
        b.iter(|| test.iter().map(|m| trained.analyse_bytes(m).score).sum::<f64>())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
