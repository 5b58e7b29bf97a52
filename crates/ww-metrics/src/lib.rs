//! Counters, gauges and histograms that every server component updates and `/metrics` renders
//! in the Prometheus text format (version 0.0.4).
//!
//! Hand-rolled on atomics instead of a metrics framework: the server needs a few dozen series,
//! label sets are known when a source or stage is created, and updates must cost one atomic add
//! on the hot path. A component registers its series once (getting an `Arc` handle it keeps) and
//! the registry only walks them when scraped.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A monotonically increasing count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down (queue depth, open connections).
#[derive(Debug, Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    pub fn set(&self, v: i64) {
        self.0.store(v, Ordering::Relaxed);
    }
    pub fn add(&self, n: i64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A histogram with fixed upper bounds (seconds for latencies). Observations cost one atomic
/// add per bucket search step plus the sum.
#[derive(Debug)]
pub struct Histogram {
    bounds: Vec<f64>,
    /// Per-bucket (non-cumulative) counts; the last slot is `+Inf`.
    buckets: Vec<AtomicU64>,
    /// Sum of observations in microunits, so it fits an integer atomic.
    sum_micros: AtomicU64,
    count: AtomicU64,
}

/// Latency buckets from 1 ms to 30 s.
pub const LATENCY_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

impl Histogram {
    pub fn new(bounds: &[f64]) -> Self {
        Histogram {
            bounds: bounds.to_vec(),
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, v: f64) {
        let i = self.bounds.iter().position(|b| v <= *b).unwrap_or(self.bounds.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        let micros = if v.is_finite() && v > 0.0 { (v * 1e6) as u64 } else { 0 };
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The smallest bucket bound below which at least `q` (0..=1) of observations fall;
    /// `None` when empty, `+Inf` when the quantile is beyond the last bound.
    pub fn quantile_bound(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let want = (q * total as f64).ceil() as u64;
        let mut seen = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            seen += b.load(Ordering::Relaxed);
            if seen >= want {
                return Some(self.bounds.get(i).copied().unwrap_or(f64::INFINITY));
            }
        }
        Some(f64::INFINITY)
    }
}

enum Series {
    Counter(Arc<Counter>),
    Gauge(Arc<Gauge>),
    Histogram(Arc<Histogram>),
}

struct Family {
    name: String,
    help: String,
    kind: &'static str,
    series: Vec<(Vec<(String, String)>, Series)>,
}

/// The set of all series, rendered on scrape.
#[derive(Default)]
pub struct Registry {
    families: Mutex<Vec<Family>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Registry")
    }
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    fn register(&self, name: &str, help: &str, kind: &'static str, labels: &[(&str, &str)], s: Series) {
        let labels: Vec<(String, String)> = labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let mut fams = self.families.lock().unwrap_or_else(|p| p.into_inner());
        let fam = match fams.iter_mut().position(|f| f.name == name) {
            Some(i) => &mut fams[i],
            None => {
                fams.push(Family { name: name.to_owned(), help: help.to_owned(), kind, series: Vec::new() });
                let last = fams.len() - 1;
                &mut fams[last]
            }
        };
        // Registering the same labels twice replaces the series (e.g. a source restarted).
        fam.series.retain(|(l, _)| *l != labels);
        fam.series.push((labels, s));
    }

    /// Registers (or re-registers) a counter and returns its handle.
    pub fn counter(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Arc<Counter> {
        let c = Arc::new(Counter::default());
        self.register(name, help, "counter", labels, Series::Counter(c.clone()));
        c
    }

    pub fn gauge(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Arc<Gauge> {
        let g = Arc::new(Gauge::default());
        self.register(name, help, "gauge", labels, Series::Gauge(g.clone()));
        g
    }

    pub fn histogram(&self, name: &str, help: &str, labels: &[(&str, &str)], bounds: &[f64]) -> Arc<Histogram> {
        let h = Arc::new(Histogram::new(bounds));
        self.register(name, help, "histogram", labels, Series::Histogram(h.clone()));
        h
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        let fams = self.families.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        for f in fams.iter() {
            let _ = writeln!(out, "# HELP {} {}", f.name, escape_help(&f.help));
            let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind);
            for (labels, s) in &f.series {
                match s {
                    Series::Counter(c) => {
                        let _ = writeln!(out, "{}{} {}", f.name, label_text(labels, None), c.get());
                    }
                    Series::Gauge(g) => {
                        let _ = writeln!(out, "{}{} {}", f.name, label_text(labels, None), g.get());
                    }
                    Series::Histogram(h) => {
                        let mut cum = 0;
                        for (i, b) in h.buckets.iter().enumerate() {
                            cum += b.load(Ordering::Relaxed);
                            let le = h.bounds.get(i).map_or_else(|| "+Inf".to_owned(), |b| format!("{b}"));
                            let _ = writeln!(out, "{}_bucket{} {}", f.name, label_text(labels, Some(("le", &le))), cum);
                        }
                        let sum = h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
                        let _ = writeln!(out, "{}_sum{} {}", f.name, label_text(labels, None), sum);
                        let _ = writeln!(out, "{}_count{} {}", f.name, label_text(labels, None), h.count());
                    }
                }
            }
        }
        out
    }
}

fn escape_help(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn label_text(labels: &[(String, String)], extra: Option<(&str, &str)>) -> String {
    if labels.is_empty() && extra.is_none() {
        return String::new();
    }
    let mut parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape_label(v))).collect();
    if let Some((k, v)) = extra {
        parts.push(format!("{k}=\"{}\"", escape_label(v)));
    }
    format!("{{{}}}", parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let r = Registry::new();
        let c = r.counter("ww_events_in_total", "Events received", &[("source", "fw\"1")]);
        c.add(3);
        let g = r.gauge("ww_queue_depth", "Batches waiting", &[]);
        g.set(2);
        let h = r.histogram("ww_latency_seconds", "Latency", &[], &[0.1, 1.0]);
        h.observe(0.05);
        h.observe(0.5);
        h.observe(5.0);
        let text = r.render();
        assert!(text.contains("# TYPE ww_events_in_total counter\nww_events_in_total{source=\"fw\\\"1\"} 3\n"));
        assert!(text.contains("ww_queue_depth 2\n"));
        assert!(text.contains("ww_latency_seconds_bucket{le=\"0.1\"} 1\n"));
        assert!(text.contains("ww_latency_seconds_bucket{le=\"1\"} 2\n"));
        assert!(text.contains("ww_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("ww_latency_seconds_count 3\n"));
    }

    #[test]
    fn quantile_bound_walks_buckets() {
        let h = Histogram::new(&[0.1, 1.0]);
        assert_eq!(h.quantile_bound(0.99), None);
        for _ in 0..99 {
            h.observe(0.05);
        }
        h.observe(2.0);
        assert_eq!(h.quantile_bound(0.99), Some(0.1));
        assert_eq!(h.quantile_bound(1.0), Some(f64::INFINITY));
    }

    #[test]
    fn re_registering_replaces_the_series() {
        let r = Registry::new();
        r.counter("c", "h", &[("s", "a")]).add(5);
        r.counter("c", "h", &[("s", "a")]).add(1);
        assert!(r.render().contains("c{s=\"a\"} 1\n"));
    }
}
