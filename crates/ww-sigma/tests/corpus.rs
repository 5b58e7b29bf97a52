//! Loads the SigmaHQ corpus (when present) and pins how many rules of `rules/` are unsupported.

use std::path::PathBuf;
use std::time::Instant;

use ww_sigma::{LoadOptions, SkipKind, load_rules};

/// Unsupported or invalid rules in `rules/` at the pinned corpus commit. May only go down.
const MAX_SKIPPED_RULES: usize = 0;

fn corpus() -> Option<PathBuf> {
    ww_core::corpora::dir("sigma")
}

#[test]
#[allow(clippy::absurd_extreme_comparisons)] // the pin is 0 today and may only stay there
fn corpus_rules_load() {
    let Some(root) = corpus() else {
        eprintln!("skipped: Sigma corpus not found next to the repository");
        return;
    };
    let opts = LoadOptions::default();
    for folder in ["rules", "rules-emerging-threats", "rules-threat-hunting", "rules-compliance", "rules-placeholder"] {
        let t = Instant::now();
        let rep = load_rules(&[root.join(folder)], &opts);
        eprintln!(
            "{folder}: files {} loaded {} skipped {} ({:?})",
            rep.files,
            rep.ruleset.len(),
            rep.skipped.len(),
            t.elapsed()
        );
        for s in &rep.skipped {
            eprintln!("  {s}");
        }
        if folder == "rules" {
            assert!(
                rep.skipped.len() <= MAX_SKIPPED_RULES,
                "{} rules skipped, pinned {MAX_SKIPPED_RULES}",
                rep.skipped.len()
            );
            let ratio = rep.ruleset.len() as f64 / rep.files as f64;
            assert!(ratio >= 0.995, "only {:.2}% of rules/ loaded", ratio * 100.0);
            assert!(
                rep.skipped.iter().all(|s| s.kind != SkipKind::Invalid || s.reason.contains("regex")),
                "invalid rules in rules/"
            );
        }
        if folder == "rules-placeholder" {
            assert!(rep.skipped.iter().any(|s| s.kind == SkipKind::MissingPlaceholder && s.reason.contains('%')));
        }
    }
}

#[path = "../benches/mix/mod.rs"]
mod mix;

/// The fast path (buckets, anchored/regex literal prefilter, twins) agrees with the reference
/// evaluator on every real rule over the benchmark's Windows event mix, with the rule folder
/// loaded twice so that every rule has an identical twin.
#[test]
fn corpus_fast_path_equals_reference_on_windows_mix() {
    let Some(root) = corpus() else {
        eprintln!("skipped: Sigma corpus not found next to the repository");
        return;
    };
    let rules = root.join("rules");
    let rs = load_rules(&[rules.clone(), rules], &LoadOptions::default()).ruleset;
    let n = if cfg!(debug_assertions) { 150 } else { 1500 };
    let mut sc = rs.scratch();
    let mut hits = 0;
    for i in 0..n {
        let e = mix::event(i);
        let mut fast = Vec::new();
        rs.matches(&e, &mut sc, &mut fast);
        let slow = rs.matches_reference(&e);
        assert_eq!(fast, slow, "event {i}: {e:?}");
        hits += fast.len();
    }
    eprintln!("{n} events, {hits} detections");
    assert!(hits > 0, "the mix's suspicious events should match some rules");
}
