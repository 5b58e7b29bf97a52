//! Development aid: for the TRAIN half of a labelled set only, one JSON line per message with
//! its model tokens, its rules-only reasons and candidate header-structure features, so that
//! classifier designs and thresholds can be compared by cross-validation inside the train half
//! without ever reading the test half.
//!
//! `cargo run --release -p ww-mail --example features -- LABELS.csv > train-features.jsonl`

use std::io::Write;
use std::path::Path;

use ww_mail::domain::registrable;
use ww_mail::metrics::is_train;
use ww_mail::{Analyser, Config, bayes};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let labels = std::env::args().nth(1).ok_or("usage: features LABELS.csv")?;
    let labels = Path::new(&labels);
    let root = labels.parent().ok_or("labels.csv has no folder")?;
    let cfg = Config::default_config()?;
    let a = Analyser::new(cfg.clone(), None)?;
    let out = std::io::stdout();
    let mut out = out.lock();
    for rec in csv::Reader::from_path(labels)?.records() {
        let rec = rec?;
        if !is_train(&rec[0]) {
            continue;
        }
        let b = std::fs::read(root.join(&rec[0]))?;
        let mail = ww_mail::parse::parse_rfc5322(&b, &cfg.limits);
        let ctx = a.prepare(&mail);
        let toks = bayes::tokens(&ctx);
        let r = a.analyse_mail(&mail);
        let from_reg = ctx.from_reg.clone();
        let rec_hosts: Vec<String> = mail.header_values("Received").map(|v| v.to_ascii_lowercase()).collect();
        let aligned = !from_reg.is_empty() && rec_hosts.iter().any(|v| v.contains(&from_reg));
        let rp = mail
            .return_path
            .as_deref()
            .map(|p| registrable(p.trim_matches(['<', '>']).rsplit_once('@').map(|x| x.1).unwrap_or("")));
        let mid = mail
            .message_id
            .as_deref()
            .map(|m| registrable(m.trim_matches(['<', '>']).rsplit_once('@').map(|x| x.1).unwrap_or("")));
        let names: Vec<String> = mail.headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
        let prec = mail.header_values("Precedence").next().unwrap_or("").to_ascii_lowercase();
        let v = serde_json::json!({
            "path": &rec[0], "label": &rec[1], "toks": toks,
            "reasons": r.reasons.iter().map(|x| serde_json::json!([x.id, x.weight, x.class])).collect::<Vec<_>>(),
            "from_reg": from_reg, "aligned": aligned, "rp": rp, "mid": mid, "hnames": names, "prec": prec,
            "nrecv": rec_hosts.len(), "recv": rec_hosts,
            "rt": mail.reply_to.iter().map(|m| m.address.to_ascii_lowercase()).collect::<Vec<_>>(),
            "to": mail.to.iter().map(|m| m.address.to_ascii_lowercase()).collect::<Vec<_>>(),
        });
        writeln!(out, "{v}")?;
    }
    Ok(())
}
