//! Tuning aid: how many rules each synthetic event evaluates.
use std::path::PathBuf;
use ww_core::Event;

#[path = "../benches/mix/mod.rs"]
mod mix;
use mix::event;

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_default());
    let rs = ww_sigma::load_rules(&[dir], &ww_sigma::LoadOptions::default()).ruleset;
    let mut sc = rs.scratch();
    for i in 0..40 {
        let e = event(i);
        let (a, c) = rs.debug_counts(&e, &mut sc);
        println!("{i}: always {a} evaluated {c}");
    }
    for i in 0..40 {
        let e = event(i);
        let id = e.fields.get("EventID").map(|v| v.to_string()).unwrap_or_default();
        let fs: Vec<&(String, usize, usize, usize)> = Vec::new();
        let _ = fs;
        let fields = rs.debug_fields(&e, &mut sc);
        if std::env::var_os("FIELDS").is_some() {
            println!("{i} eid {id}: {fields:?}");
        }
        if std::env::var_os("CANDS").is_some() {
            for r in rs.debug_cands(&e, &mut sc) {
                let t = std::time::Instant::now();
                let one = ww_sigma::RuleSet::compile_from_str(
                    &std::fs::read_to_string(&rs.meta(ww_sigma::RuleIdx(r)).path).unwrap_or_default(),
                    &ww_sigma::LoadOptions::default(),
                );
                let _ = t;
                let ns = one.map(|o| {
                    let mut s2 = o.scratch();
                    let mut out = Vec::new();
                    let t = std::time::Instant::now();
                    for _ in 0..2000 {
                        out.clear();
                        o.matches(&e, &mut s2, &mut out);
                    }
                    t.elapsed().as_nanos() / 2000
                });
                println!("{i} eid {id}: cand {:?} {}", ns, rs.meta(ww_sigma::RuleIdx(r)).title);
            }
        }
    }
    let mut seen = std::collections::BTreeMap::new();
    for i in 0..40 {
        for r in rs.debug_always(&event(i), &mut sc) {
            *seen.entry(r).or_insert(0) += 1;
        }
    }
    for i in 0..40 {
        let e = event(i);
        let mut out = Vec::new();
        let t = std::time::Instant::now();
        for _ in 0..20000 {
            out.clear();
            rs.matches(&e, &mut sc, &mut out);
        }
        println!("type {i}: {:?} per event, {} hits", t.elapsed() / 20000, out.len());
    }
    let twice = ww_sigma::load_rules(
        &[
            PathBuf::from(std::env::args().nth(1).unwrap_or_default()),
            PathBuf::from(std::env::args().nth(1).unwrap_or_default()),
        ],
        &ww_sigma::LoadOptions::default(),
    )
    .ruleset;
    println!("events/s per CPU-second: all rules {:.0}, twice {:.0}", throughput(&rs), throughput(&twice));
    for (r, n) in seen.iter().take(if std::env::var_os("ALWAYS").is_some() { 100 } else { 0 }) {
        let m = rs.meta(ww_sigma::RuleIdx(*r));
        println!("  {n} {} {}", m.title, m.path.display());
    }
}

/// CPU seconds used by this process so far (user + system), from /proc.
pub fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

pub fn throughput(rs: &ww_sigma::RuleSet) -> f64 {
    let events: Vec<Event> = (0..5000).map(event).collect();
    let mut sc = rs.scratch();
    let mut out = Vec::new();
    let c0 = cpu_seconds();
    let mut n = 0usize;
    while cpu_seconds() - c0 < 3.0 {
        for e in &events {
            out.clear();
            rs.matches(e, &mut sc, &mut out);
        }
        n += events.len();
    }
    n as f64 / (cpu_seconds() - c0)
}
