//! Development aid: one JSON line per labelled message of one half of the corpus, with the
//! verdict, reasons and (when a model is trained on the train half) posteriors, so misses and
//! false positives can be studied and weights tuned on the train half only.
//!
//! `cargo run --release -p ww-mail --example dump -- LABELS.csv train|test [model|cv|cv2]`
//! (`cv` and `cv2` are the two halves of a train-only fold; pool them for twice the ham).

use std::io::Write;
use std::path::Path;

use ww_mail::metrics::is_train;
use ww_mail::{Analyser, Config, Model, bayes};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let labels = Path::new(args.get(1).ok_or("usage: dump LABELS.csv train|test [model]")?);
    let want_train = args.get(2).map(String::as_str) != Some("test");
    let mode = args.get(3).map(String::as_str).unwrap_or("");
    let with_model = mode == "model" || mode == "cv" || mode == "cv2";
    // `cv`: a model trained on one half of the chosen half, figures on the other, so that
    // thresholds are tuned on messages the model has not seen without touching the test half.
    let cv = mode == "cv" || mode == "cv2";
    let flip = mode == "cv2";
    // FNV-1a's lowest bit is what `is_train` uses; a higher bit gives an independent fold.
    let fold = |p: &str| {
        let h = p.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
        ((h >> 17) & 1 == 0) != flip
    };
    let root = labels.parent().ok_or("labels.csv has no folder")?;
    let mut rows = Vec::new();
    for rec in csv::Reader::from_path(labels)?.records() {
        let rec = rec?;
        let label = bayes::CLASSES.iter().position(|c| *c == &rec[1]).ok_or("bad label")?;
        rows.push((rec[0].to_string(), label, std::fs::read(root.join(&rec[0]))?));
    }
    let cfg = Config::default_config()?;
    let cfg0 = cfg.clone();
    let rules = Analyser::new(cfg.clone(), None)?;
    let a = if with_model {
        let mut m = Model::new();
        for (_, l, b) in rows.iter().filter(|r| is_train(&r.0) && (!cv || fold(&r.0))) {
            let mail = ww_mail::parse::parse_rfc5322(b, &cfg.limits);
            m.learn(*l, &bayes::tokens(&rules.prepare(&mail)));
        }
        m.prune(2);
        Analyser::new(cfg.clone(), Some(m))?
    } else {
        rules
    };
    let model = with_model.then(|| a.model().cloned()).flatten();
    let out = std::io::stdout();
    let mut out = out.lock();
    for (p, l, b) in rows.iter().filter(|r| is_train(&r.0) == want_train && (!cv || !fold(&r.0))) {
        let r = a.analyse_bytes(b);
        let ev = model.as_ref().map(|m| {
            let mail = ww_mail::parse::parse_rfc5322(b, &cfg0.limits);
            m.evidence(&bayes::tokens(&a.prepare(&mail)))
        });
        let v = serde_json::json!({
            "path": p, "label": bayes::CLASSES[*l], "verdict": r.verdict, "score": r.score,
            "reasons": r.reasons.iter().map(|x| serde_json::json!([x.id, x.weight, x.evidence])).collect::<Vec<_>>(),
            "subject": r.observables.subject, "from": r.observables.sender, "model": r.model,
            "nurls": r.observables.urls.len(), "ev": ev,
            "hdr": hdrs(b),
        });
        writeln!(out, "{v}")?;
    }
    Ok(())
}

/// Which legitimate-bulk headers a message carries (for studying false positives).
fn hdrs(b: &[u8]) -> Vec<&'static str> {
    let head = String::from_utf8_lossy(&b[..b.len().min(64 * 1024)]).to_ascii_lowercase();
    let head = head.split("\n\n").next().unwrap_or("").to_string();
    [
        "\nlist-unsubscribe:",
        "\nlist-id:",
        "\ndkim-signature:",
        "\nprecedence: bulk",
        "\nprecedence: list",
        "\nauthentication-results:",
    ]
    .into_iter()
    .filter(|h| head.contains(h))
    .collect()
}
