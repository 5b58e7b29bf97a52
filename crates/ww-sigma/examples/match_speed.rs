//! Tuning aid for noisy machines: the best of 40 passes over the matching mix (events/s),
//! cold (the 5,000 events in turn) and in cache (each event cloned first, as a reader would
//! have just written it; the clone alone subtracted). `TALLY=1` lists the rules evaluated most.
#[path = "../benches/mix/mod.rs"]
mod mix;

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_default());
    let rs = ww_sigma::load_rules(&[dir], &ww_sigma::LoadOptions::default()).ruleset;
    let events: Vec<ww_core::Event> = (0..5000).map(mix::event).collect();
    let mut sc = rs.scratch();
    let mut out = Vec::new();
    let mut best = f64::MAX;
    let mut hits = 0;
    for _ in 0..40 {
        let t = std::time::Instant::now();
        hits = 0;
        for e in &events {
            out.clear();
            rs.matches(e, &mut sc, &mut out);
            hits += out.len();
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    if std::env::var_os("TALLY").is_some() {
        tally(&rs, &events);
    }
    println!("{:.0} events/s (best of 40), {hits} hits/pass", events.len() as f64 / best);
    // The same with each event cloned first (as a parser would have just written it), minus
    // the clone alone.
    let (mut with, mut alone) = (f64::MAX, f64::MAX);
    for _ in 0..40 {
        let t = std::time::Instant::now();
        for e in &events {
            let c = e.clone();
            out.clear();
            rs.matches(&c, &mut sc, &mut out);
        }
        with = with.min(t.elapsed().as_secs_f64());
        let t = std::time::Instant::now();
        for e in &events {
            let c = std::hint::black_box(e.clone());
            drop(c);
        }
        alone = alone.min(t.elapsed().as_secs_f64());
    }
    println!(
        "hot: {:.0} events/s (clone+match {:.0} ns, clone {:.0} ns)",
        events.len() as f64 / (with - alone),
        with / events.len() as f64 * 1e9,
        alone / events.len() as f64 * 1e9
    );
}

/// With `TALLY=1`: the rules evaluated most often after the prefilter.
fn tally(rs: &ww_sigma::RuleSet, events: &[ww_core::Event]) {
    let mut sc = rs.scratch();
    let mut m = std::collections::HashMap::<u32, usize>::new();
    let mut kw = std::collections::HashMap::<u32, usize>::new();
    for e in events {
        for r in rs.debug_cands(e, &mut sc) {
            *m.entry(r).or_default() += 1;
        }
        for r in rs.debug_always(e, &mut sc) {
            *kw.entry(r).or_default() += 1;
        }
    }
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by_key(|x| std::cmp::Reverse(x.1));
    for (r, n) in v.iter().take(25) {
        println!("{n:6} {}", rs.meta(ww_sigma::RuleIdx(*r)).path.display());
    }
    println!("total cands {}", v.iter().map(|x| x.1).sum::<usize>());
}
