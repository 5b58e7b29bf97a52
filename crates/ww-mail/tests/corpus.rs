//! Train on the deterministic train half of the development corpus, evaluate on the test half.
//! Asserts the floors this build reaches and prints the issue-3 targets beside them (the
//! rules-only targets are met; the with-model ham FPR target of 0.3 % is NOT yet met: see the
//! README). Skips when the corpus is absent.

#![allow(clippy::unwrap_used)] // test helpers: a failure here is a test failure

use std::path::PathBuf;

use ww_mail::metrics::{Confusion, is_train};
use ww_mail::{Analyser, Config, Model, bayes};

fn root() -> Option<PathBuf> {
    ww_core::corpora::dir("mail").filter(|p| p.join("labels.csv").exists())
}

#[test]
fn corpus_test_split_figures() {
    let Some(root) = root() else {
        eprintln!("skipping corpus test: ../shared/corpora/mail not found (set WARDWATCH_CORPORA)");
        return;
    };
    let mut rows = Vec::new();
    for rec in csv::Reader::from_path(root.join("labels.csv")).unwrap().records() {
        let rec = rec.unwrap();
        let label = bayes::CLASSES.iter().position(|c| *c == &rec[1]).unwrap();
        rows.push((rec[0].to_string(), label, std::fs::read(root.join(&rec[0])).unwrap()));
    }
    let cfg = Config::default_config().unwrap();
    let rules = Analyser::new(cfg.clone(), None).unwrap();
    let mut model = Model::new();
    for (p, l, b) in rows.iter().filter(|r| is_train(&r.0)) {
        let _ = p;
        let mail = ww_mail::parse::parse_rfc5322(b, &cfg.limits);
        model.learn(*l, &bayes::tokens(&rules.prepare(&mail)));
    }
    model.prune(2);
    let trained = Analyser::new(cfg, Some(model)).unwrap();
    let (mut cr, mut cm) = (Confusion::default(), Confusion::default());
    for (_, l, b) in rows.iter().filter(|r| !is_train(&r.0)) {
        let r = rules.analyse_bytes(b);
        cr.add(*l, r.verdict, r.reasons.iter().filter(|x| x.weight > 0.0).count());
        let m = trained.analyse_bytes(b);
        cm.add(*l, m.verdict, m.reasons.iter().filter(|x| x.weight > 0.0).count());
    }
    let (fr, fm) = (cr.figures(), cm.figures());
    eprintln!("rules only : {fr:?}\n  target phish_recall >= 0.80 with ham_fpr <= 0.005");
    eprintln!("with model : {fm:?}\n  target f1 >= 0.97, phish_recall >= 0.95, ham_fpr <= 0.003");
    assert_eq!(cr.flagged_without_reason, 0);
    assert_eq!(cm.flagged_without_reason, 0);
    // Floors reached by this build (regression guards), not the issue targets.
    assert!(fr.ham_fpr <= 0.0039 && fr.precision >= 0.99 && fr.phish_recall >= 0.80, "{fr:?}");
    assert!(fm.f1 >= 0.979 && fm.phish_recall >= 0.978 && fm.ham_fpr <= 0.0039, "{fm:?}");
}
