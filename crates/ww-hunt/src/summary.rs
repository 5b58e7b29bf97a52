//! The end-of-run summary: what was read, what failed, what was found, how fast.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

/// One rule's detection count, for the "most frequent detections" list.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleCount {
    pub id: Option<String>,
    pub title: String,
    pub level: String,
    pub count: u64,
}

/// Everything `--summary-json` writes. Keys are stable: automation depends on them.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    /// Files found under the input paths.
    pub files: u64,
    /// Files that could not be opened or whose format was not recognised.
    pub files_unreadable: u64,
    /// Files per detected format (`evtx`, `json`, `syslog`, `access_log`, `w3c`), with `gzip`
    /// counting compressed ones on top.
    pub formats: BTreeMap<String, u64>,
    /// Bytes read from disk (compressed size for gzip files).
    pub bytes: u64,
    /// Events read.
    pub events: u64,
    /// Events inside `--from`/`--to` (all events when no range is given).
    pub events_in_range: u64,
    /// Pieces of input that could not be used (lines, records, chunks, elements, files).
    pub parse_errors: u64,
    pub parse_warnings: u64,
    pub rules_loaded: u64,
    pub rules_skipped: u64,
    pub rules_filtered_out: u64,
    pub detections: u64,
    /// Detections per rule level; every level is present, zero or not.
    pub detections_by_level: BTreeMap<String, u64>,
    /// The rules with most detections, most first (at most 20).
    pub top_rules: Vec<RuleCount>,
    /// Loading and compiling rules.
    pub startup_seconds: f64,
    /// The whole run, start-up included.
    pub elapsed_seconds: f64,
    /// Events per second of the reading-and-matching phase.
    pub events_per_second: f64,
    pub cpu_seconds: Option<f64>,
    pub peak_rss_bytes: Option<u64>,
}

impl Summary {
    /// The human summary printed at the end of a hunt.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "── hunt summary ──────────────────────────────────────────");
        let formats: Vec<String> = self.formats.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(
            s,
            "files        {} read, {} unreadable ({})",
            self.files - self.files_unreadable,
            self.files_unreadable,
            if formats.is_empty() { "none".into() } else { formats.join(", ") }
        );
        let _ = writeln!(
            s,
            "events       {} ({} in range), {} parse errors, {} warnings",
            self.events, self.events_in_range, self.parse_errors, self.parse_warnings
        );
        let _ = writeln!(
            s,
            "rules        {} loaded, {} skipped, {} filtered out",
            self.rules_loaded, self.rules_skipped, self.rules_filtered_out
        );
        let levels: Vec<String> = ["critical", "high", "medium", "low", "informational"]
            .iter()
            .map(|l| format!("{l} {}", self.detections_by_level.get(*l).copied().unwrap_or(0)))
            .collect();
        let _ = writeln!(s, "detections   {} ({})", self.detections, levels.join(", "));
        for r in self.top_rules.iter().take(5) {
            let _ = writeln!(s, "             {:>7}  {:<8} {}", r.count, r.level, r.title);
        }
        let _ = writeln!(
            s,
            "time         {:.2} s ({:.2} s start-up), {:.0} events/s, {:.1} MB read",
            self.elapsed_seconds,
            self.startup_seconds,
            self.events_per_second,
            self.bytes as f64 / 1e6
        );
        s
    }
}
