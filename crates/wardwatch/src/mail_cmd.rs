//! `wardwatch mail analyse|train|eval`: the command line over the `ww-mail` library.
//!
//! Exit codes, as for `hunt`: `analyse` returns 0 whatever the verdicts (a verdict is output, not
//! failure), 1 only when no message could be read at all, 2 on unreadable configuration or
//! model; `train` and `eval` return 0 on success.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use ww_mail::bayes::{self, Model};
use ww_mail::metrics::{Confusion, Figures, LABELS};
use ww_mail::{Analyser, Config, Input, Report};

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Analyse .eml, mbox, Maildir and Outlook .msg files (directories are walked).
    Analyse(AnalyseArgs),
    /// Train the content model from folders of ham, spam and phish (or a labels CSV split).
    Train(TrainArgs),
    /// Evaluate against a labels CSV (`path,label`; paths relative to the CSV's folder).
    Eval(EvalArgs),
}

#[derive(Debug, Args, Clone)]
pub struct Common {
    /// Override file for weights, thresholds, lists and limits (same shape as the defaults).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Model file written by `wardwatch mail train`.
    #[arg(long)]
    pub model: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Jsonl,
    Json,
}

#[derive(Debug, Args)]
pub struct AnalyseArgs {
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub common: Common,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// Which half of a labels CSV to use: a stable hash of the path decides, so the split is the
/// same on every machine and run.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Split {
    All,
    Train,
    Test,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[arg(long)]
    pub ham: Vec<PathBuf>,
    #[arg(long)]
    pub spam: Vec<PathBuf>,
    #[arg(long)]
    pub phish: Vec<PathBuf>,
    /// Train from a labels CSV instead of (or as well as) folders.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "train")]
    pub split: Split,
    /// Where to write the model.
    #[arg(long)]
    pub model: PathBuf,
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    #[arg(long)]
    pub labels: PathBuf,
    #[arg(long, value_enum, default_value = "all")]
    pub split: Split,
    #[command(flatten)]
    pub common: Common,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// How many of the slowest messages to list.
    #[arg(long, default_value_t = 5)]
    pub slowest: usize,
}

pub fn run(cmd: MailCommand) -> Result<i32> {
    match cmd {
        MailCommand::Analyse(a) => analyse(a),
        MailCommand::Train(t) => train(t),
        MailCommand::Eval(e) => eval(e),
    }
}

fn load_config(path: Option<&Path>) -> Result<Config> {
    Ok(match path {
        None => Config::default_config()?,
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading config {}", p.display()))?;
            Config::with_overrides(&p.display().to_string(), &text)?
        }
    })
}

fn analyser(c: &Common) -> Result<Analyser> {
    let cfg = load_config(c.config.as_deref())?;
    let model = match &c.model {
        None => None,
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading model {}", p.display()))?;
            Some(Model::from_json(&p.display().to_string(), &text)?)
        }
    };
    Ok(Analyser::new(cfg, model)?)
}

fn report_for(a: &Analyser, input: &Input) -> Option<(String, Report)> {
    match input {
        Input::Rfc5322 { origin, bytes } => Some((origin.clone(), a.analyse_bytes(bytes))),
        Input::Msg { origin, mail } => Some((origin.clone(), a.analyse_mail(mail))),
        Input::Problem(_) => None,
    }
}

fn analyse(args: AnalyseArgs) -> Result<i32> {
    let a = match analyser(&args.common) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(2);
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut analysed = 0u64;
    let mut out_err: Option<anyhow::Error> = None;
    ww_mail::read_inputs(&args.paths, &a.config().limits, &mut |input| {
        if let Input::Problem(d) = &input {
            eprintln!("warning: {d}");
            return;
        }
        if out_err.is_some() {
            return;
        }
        let Some((origin, r)) = report_for(&a, &input) else {
            return;
        };
        analysed += 1;
        let res: Result<()> = match args.format {
            Format::Jsonl | Format::Json => {
                jsonl_line(&origin, &r).and_then(|l| writeln!(out, "{l}").map_err(Into::into))
            }
            Format::Table => write_table(&mut out, &origin, &r).map_err(Into::into),
        };
        if let Err(e) = res {
            out_err = Some(e);
        }
    });
    if let Some(e) = out_err {
        // The reader of a pipe went away (`| head`): stop quietly, as other tools do.
        let broken_pipe =
            e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe);
        if !broken_pipe {
            bail!("writing output: {e}");
        }
    }
    if analysed == 0 {
        eprintln!("wardwatch mail analyse: no message could be read");
        return Ok(1);
    }
    Ok(0)
}

/// One JSON object per message: source, verdict, score, reasons, observables.
pub fn jsonl_line(origin: &str, r: &Report) -> Result<String> {
    Ok(r.to_jsonl(origin)?)
}

fn write_table(out: &mut impl Write, origin: &str, r: &Report) -> std::io::Result<()> {
    writeln!(out, "{origin}\n  verdict {:<9} score {:.2}", r.verdict.as_str(), r.score)?;
    for reason in &r.reasons {
        writeln!(out, "  {:>6.2}  {:<28} {}", reason.weight, reason.id, reason.evidence)?;
    }
    let o = &r.observables;
    writeln!(out, "  sender       {}", o.sender.as_deref().unwrap_or("-"))?;
    if !o.reply_to.is_empty() {
        writeln!(out, "  reply-to     {}", o.reply_to.join(", "))?;
    }
    writeln!(out, "  return-path  {}", o.return_path.as_deref().unwrap_or("-"))?;
    for u in &o.urls {
        writeln!(out, "  url          {}  [{}]", u.url, u.domain)?;
    }
    for at in &o.attachments {
        writeln!(
            out,
            "  attachment   {}  {}  {} bytes  sha256:{}",
            at.name.as_deref().unwrap_or("-"),
            at.content_type,
            at.size,
            at.sha256
        )?;
    }
    if !o.received_ips.is_empty() {
        writeln!(out, "  received-ips {}", o.received_ips.join(", "))?;
    }
    writeln!(out)
}

/// The deterministic train/test half of a CSV path (see `ww_mail::metrics::is_train`).
pub fn split_of(path: &str) -> Split {
    if ww_mail::metrics::is_train(path) { Split::Train } else { Split::Test }
}

/// `(path, label index)` rows of a labels CSV, resolved against its folder, filtered by split.
fn labelled(csv_path: &Path, split: Split) -> Result<Vec<(PathBuf, String, usize)>> {
    let base = csv_path.parent().unwrap_or(Path::new("."));
    let mut rdr = csv::Reader::from_path(csv_path).with_context(|| format!("reading {}", csv_path.display()))?;
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: row {}", csv_path.display(), i + 2))?;
        let (Some(p), Some(l)) = (rec.get(0), rec.get(1)) else {
            bail!("{}: row {}: expected path,label", csv_path.display(), i + 2);
        };
        let Some(li) = LABELS.iter().position(|x| *x == l.trim()) else {
            bail!("{}: row {}: unknown label {l:?} (ham, spam, phish)", csv_path.display(), i + 2);
        };
        if split != Split::All && split_of(p) != split {
            continue;
        }
        rows.push((base.join(p), p.to_string(), li));
    }
    Ok(rows)
}

fn train(args: TrainArgs) -> Result<i32> {
    let cfg = load_config(args.config.as_deref())?;
    let a = Analyser::new(cfg, None)?;
    let mut model = Model::new();
    let mut count = [0u64; 3];
    let mut learn = |input: Input, class: usize, model: &mut Model| match &input {
        Input::Problem(d) => eprintln!("warning: {d}"),
        Input::Rfc5322 { bytes, .. } => {
            let mail = ww_mail::parse::parse_rfc5322(bytes, &a.config().limits);
            model.learn(class, &bayes::tokens(&a.prepare(&mail)));
            count[class] += 1;
        }
        Input::Msg { mail, .. } => {
            model.learn(class, &bayes::tokens(&a.prepare(mail)));
            count[class] += 1;
        }
    };
    for (class, dirs) in [(0usize, &args.ham), (1, &args.spam), (2, &args.phish)] {
        ww_mail::read_inputs(dirs, &a.config().limits, &mut |i| learn(i, class, &mut model));
    }
    if let Some(l) = &args.labels {
        for (path, _, class) in labelled(l, args.split)? {
            ww_mail::sources::read_file(&path, &a.config().limits, &mut |i| learn(i, class, &mut model));
        }
    }
    if count.iter().sum::<u64>() == 0 {
        bail!("no training messages found");
    }
    model.prune(2);
    std::fs::write(&args.model, model.to_json()?).with_context(|| format!("writing {}", args.model.display()))?;
    eprintln!(
        "trained on {} ham, {} spam, {} phish; {} tokens -> {}",
        count[0],
        count[1],
        count[2],
        model.tokens.len(),
        args.model.display()
    );
    Ok(0)
}

fn eval(args: EvalArgs) -> Result<i32> {
    let a = analyser(&args.common)?;
    let rows = labelled(&args.labels, args.split)?;
    let mut conf = Confusion::default();
    let mut times: Vec<(f64, String)> = Vec::new();
    let mut reasons_hit: BTreeMap<String, [u64; 3]> = BTreeMap::new();
    let mut busy = 0.0f64;
    for (path, rel, label) in &rows {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let t = Instant::now();
        let r = if ww_mail::msg::is_ole(&bytes) {
            match ww_mail::msg::parse_msg(rel, &bytes, &a.config().limits) {
                Ok(m) => a.analyse_mail(&m),
                Err(e) => {
                    eprintln!("warning: {e}");
                    continue;
                }
            }
        } else {
            a.analyse_bytes(&bytes)
        };
        let dt = t.elapsed().as_secs_f64();
        busy += dt;
        times.push((dt, rel.clone()));
        conf.add(*label, r.verdict, r.reasons.iter().filter(|x| x.weight > 0.0).count());
        for reason in &r.reasons {
            reasons_hit.entry(reason.id.clone()).or_default()[*label] += 1;
        }
    }
    let f = conf.figures();
    let mps = if busy > 0.0 { rows.len() as f64 / busy } else { 0.0 };
    times.sort_by(|x, y| y.0.total_cmp(&x.0));
    times.truncate(args.slowest);
    if args.format == Format::Table {
        print_eval(&f, &conf, mps, &times, &reasons_hit, a.has_model());
    } else {
        let v = serde_json::json!({
            "messages": f.messages,
            "model": a.has_model(),
            "precision": f.precision,
            "recall": f.recall,
            "f1": f.f1,
            "ham_fpr": f.ham_fpr,
            "ham_recall": f.ham_recall,
            "spam_recall": f.spam_recall,
            "phish_recall": f.phish_recall,
            "phish_as_phish": f.phish_as_phish,
            "messages_per_second": mps,
            "flagged_without_reason": conf.flagged_without_reason,
            "confusion": {
                "rows": LABELS, "columns": ["clean", "spam", "phish", "malicious"], "matrix": conf.matrix
            },
            "slowest": times.iter().map(|(t, p)| serde_json::json!({"path": p, "ms": t * 1000.0})).collect::<Vec<_>>(),
            "reasons": reasons_hit,
        });
        println!("{}", serde_json::to_string(&v)?);
    }
    Ok(0)
}

fn print_eval(
    f: &Figures,
    c: &Confusion,
    mps: f64,
    slow: &[(f64, String)],
    hits: &BTreeMap<String, [u64; 3]>,
    model: bool,
) {
    println!("messages {}   model {}", f.messages, if model { "yes" } else { "no (rules only)" });
    println!("precision {:.4}  recall {:.4}  F1 {:.4}  ham FPR {:.4}", f.precision, f.recall, f.f1, f.ham_fpr);
    println!(
        "recall per class: ham(clean) {:.4}  spam {:.4}  phish {:.4}  (phish given phish/malicious {:.4})",
        f.ham_recall, f.spam_recall, f.phish_recall, f.phish_as_phish
    );
    println!("flagged without a reason: {}", c.flagged_without_reason);
    println!("\n{:<8}{:>8}{:>8}{:>8}{:>10}", "label", "clean", "spam", "phish", "malicious");
    for (i, l) in LABELS.iter().enumerate() {
        let m = c.matrix[i];
        println!("{:<8}{:>8}{:>8}{:>8}{:>10}", l, m[0], m[1], m[2], m[3]);
    }
    println!("\nmessages/s (one core, analysis only): {mps:.0}");
    println!("slowest:");
    for (t, p) in slow {
        println!("  {:>8.2} ms  {p}", t * 1000.0);
    }
    println!("\nreasons fired (ham / spam / phish):");
    for (id, n) in hits {
        println!("  {id:<28} {:>6} {:>6} {:>6}", n[0], n[1], n[2]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_stable_and_roughly_even() {
        assert_eq!(split_of("ham/a.eml"), split_of("ham/a.eml"));
        let train = (0..1000).filter(|i| split_of(&format!("x/{i}.eml")) == Split::Train).count();
        assert!((400..600).contains(&train), "{train}");
    }
}
