//! `wardwatch hunt`: the command line around `ww_hunt::hunt`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use ww_hunt::timefilter::parse_bound;
use ww_hunt::{HuntOptions, OutputFormat, TimeRange};
use ww_sigma::{Level, LoadOptions, LogsourceMap, RuleFilter, Status};

/// Which rules to use; shared by `hunt` and `rules check`.
#[derive(Args, Debug, Clone, Default)]
pub struct RuleSelection {
    /// Only rules of at least this level (informational, low, medium, high, critical).
    #[arg(long, value_name = "LEVEL")]
    pub min_level: Option<Level>,
    /// Only rules with this status (stable, test, experimental, deprecated, unsupported); repeatable.
    #[arg(long = "status", value_name = "STATUS")]
    pub statuses: Vec<Status>,
    /// Only rules with this tag or ATT&CK id (e.g. attack.t1059 or T1059, sub-techniques included); repeatable.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only this rule (id, file name or part of the title); repeatable.
    #[arg(long = "rule", value_name = "RULE")]
    pub only_rules: Vec<String>,
    /// Extra logsource mappings (YAML), merged over the built-in ones; repeatable.
    #[arg(long = "logsource-map", value_name = "FILE")]
    pub logsource_maps: Vec<PathBuf>,
    /// Values for `%placeholder%`s used with the `expand` modifier (YAML: name: [values]).
    #[arg(long, value_name = "FILE")]
    pub placeholders: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct HuntArgs {
    /// Sigma rule files or directories (searched recursively); repeatable.
    #[arg(short, long = "rules", value_name = "PATH", required = true)]
    pub rules: Vec<PathBuf>,
    /// Log files or directories (searched recursively; gzip read transparently).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub selection: RuleSelection,
    /// Output format: table, csv or jsonl.
    #[arg(short, long, default_value = "table")]
    pub format: OutputFormat,
    /// Write detections to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only events at or after this time (RFC 3339, or a date meaning midnight UTC).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Only events before this time.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Year for syslog lines that carry none (classic RFC 3164). Default: the latest year that
    /// does not put a line after its file was last modified.
    #[arg(long, value_name = "YEAR")]
    pub year: Option<i32>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Write the end-of-run summary as one JSON object to this file.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Print timing and resource figures (start-up, CPU time, records per CPU-second, peak memory).
    #[arg(long)]
    pub stats: bool,
    /// List every skipped rule with its reason (otherwise only counted).
    #[arg(long)]
    pub list_skipped: bool,
    /// No progress bar and no summary on standard error.
    #[arg(short, long)]
    pub quiet: bool,
    /// Never draw the progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// Builds load options from the rule selection flags; errors are usage errors.
pub fn load_options(sel: &RuleSelection) -> anyhow::Result<LoadOptions> {
    let mut opts = LoadOptions {
        filter: RuleFilter {
            min_level: sel.min_level,
            statuses: sel.statuses.clone(),
            tags: sel.tags.clone(),
            rules: sel.only_rules.clone(),
        },
        ..LoadOptions::default()
    };
    for path in &sel.logsource_maps {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let extra = LogsourceMap::from_yaml_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        opts.logsources.merge(extra);
    }
    if let Some(path) = &sel.placeholders {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let map: HashMap<String, PlaceholderValues> =
            serde_saphyr::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        opts.placeholders = map.into_iter().map(|(k, v)| (k, v.into_vec())).collect();
    }
    Ok(opts)
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum PlaceholderValues {
    One(String),
    Many(Vec<String>),
}

impl PlaceholderValues {
    fn into_vec(self) -> Vec<String> {
        match self {
            PlaceholderValues::One(s) => vec![s],
            PlaceholderValues::Many(v) => v,
        }
    }
}

fn usage(msg: impl std::fmt::Display) -> anyhow::Result<u8> {
    eprintln!("wardwatch hunt: {msg}");
    Ok(2)
}

pub fn run(args: HuntArgs) -> anyhow::Result<u8> {
    let started = Instant::now();
    for p in &args.rules {
        if !p.exists() {
            return usage(format_args!("rule path {} does not exist", p.display()));
        }
    }
    let mut range = TimeRange::default();
    if let Some(f) = &args.from {
        range.from = Some(match parse_bound(f) {
            Ok(t) => t,
            Err(e) => return usage(format_args!("--from: {e}")),
        });
    }
    if let Some(t) = &args.to {
        range.to = Some(match parse_bound(t) {
            Ok(t) => t,
            Err(e) => return usage(format_args!("--to: {e}")),
        });
    }
    let opts = match load_options(&args.selection) {
        Ok(o) => o,
        Err(e) => return usage(format_args!("{e:#}")),
    };

    let report = ww_sigma::load_rules(&args.rules, &opts);
    let startup = started.elapsed().as_secs_f64();
    if args.list_skipped {
        for s in &report.skipped {
            eprintln!("skipped {s}");
        }
    }
    if !args.quiet {
        eprintln!(
            "rules: {} loaded, {} skipped{}, {} filtered out ({:.2} s)",
            report.ruleset.len(),
            report.skipped.len(),
            if report.skipped.is_empty() || args.list_skipped {
                ""
            } else {
                " (--list-skipped or `wardwatch rules check` says why)"
            },
            report.filtered_out,
            startup
        );
    }

    let stderr_tty = std::io::stderr().is_terminal();
    let hunt_opts = HuntOptions {
        inputs: args.paths.clone(),
        time_range: range,
        format: args.format,
        output: args.output.clone(),
        threads: args.threads,
        progress: stderr_tty && !args.quiet && !args.no_progress,
        color: std::io::stdout().is_terminal(),
        table_width: console::Term::stdout().size_checked().map(|(_rows, cols)| usize::from(cols)),
        syslog_year: args.year,
        ..HuntOptions::default()
    };
    let mut summary = ww_hunt::hunt(&report.ruleset, &hunt_opts, Box::new(std::io::stderr()))?;
    summary.rules_loaded = report.ruleset.len() as u64;
    summary.rules_skipped = report.skipped.len() as u64;
    summary.rules_filtered_out = report.filtered_out as u64;
    summary.startup_seconds = startup;
    summary.elapsed_seconds = started.elapsed().as_secs_f64();

    if !args.quiet {
        eprint!("{}", summary.render());
    }
    if args.stats {
        eprintln!("── stats ──");
        eprintln!("start-up (load + compile {} rules): {:.3} s", summary.rules_loaded, startup);
        if let Some(cpu) = summary.cpu_seconds {
            let rate = if cpu > 0.0 { summary.events as f64 / cpu } else { 0.0 };
            eprintln!("cpu time: {cpu:.2} s, {rate:.0} events per CPU-second");
        }
        eprintln!(
            "wall time: {:.2} s, {:.0} events/s",
            summary.elapsed_seconds,
            summary.events as f64 / summary.elapsed_seconds.max(1e-9)
        );
        if let Some(rss) = summary.peak_rss_bytes {
            eprintln!("peak memory (RSS): {:.1} MB", rss as f64 / 1e6);
        }
    }
    if let Some(path) = &args.summary_json {
        let json = serde_json::to_string_pretty(&summary)?;
        std::fs::write(path, json + "\n").with_context(|| format!("cannot write {}", path.display()))?;
    }
    // The process ends next: freeing thousands of compiled rules one allocation at a time
    // would take longer than the hunt's last file did.
    std::mem::forget(report);
    let nothing_read = summary.files == 0 || summary.files == summary.files_unreadable;
    if nothing_read {
        eprintln!("wardwatch hunt: no input could be read");
        return Ok(1);
    }
    Ok(0)
}
