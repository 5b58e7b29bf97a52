//! Writing detections as they arrive: a terminal table, CSV or JSON lines.
//!
//! Writers see one detection at a time and keep nothing but column state, so output of any size
//! streams in constant memory.

use std::io::{self, Write};
use std::sync::Arc;

use serde::Serialize;
use ww_core::time::format_utc;
use ww_core::{Event, Fields, Locator};
use ww_sigma::{Level, RuleIdx, RuleMeta, RuleSet};

/// One rule matching one event.
#[derive(Debug, Clone)]
pub struct Detection {
    pub event: Arc<Event>,
    pub rule: RuleIdx,
    /// The fields (and values) that took part in the match, for display.
    pub matched: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Csv,
    Jsonl,
}

impl std::str::FromStr for OutputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "table" => Ok(OutputFormat::Table),
            "csv" => Ok(OutputFormat::Csv),
            "jsonl" | "ndjson" => Ok(OutputFormat::Jsonl),
            other => Err(format!("unknown format '{other}' (table, csv, jsonl)")),
        }
    }
}

pub trait DetectionWriter {
    fn write(&mut self, d: &Detection, rules: &RuleSet) -> io::Result<()>;
    fn finish(&mut self) -> io::Result<()>;
}

/// `width`: the terminal's width in columns, when the table goes to a terminal; the MATCHED
/// column is cut to fit so one detection stays one screen row.
pub fn writer(
    format: OutputFormat,
    out: Box<dyn Write + Send>,
    color: bool,
    width: Option<usize>,
) -> Box<dyn DetectionWriter + Send> {
    let matched_width = width.map_or(MATCHED_MAX, |w| w.saturating_sub(FIXED_W).max(MATCHED_MIN));
    match format {
        OutputFormat::Table => Box::new(TableWriter { out, color, rows: 0, matched_width }),
        OutputFormat::Csv => Box::new(CsvWriter { out: csv::Writer::from_writer(out), header_done: false }),
        OutputFormat::Jsonl => Box::new(JsonlWriter { out }),
    }
}

/// The compact form for the table: `file:23` for a line, `file#4711` for a record.
fn short_place(file: &str, at: &Locator) -> String {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    match at {
        Locator::Line { line, .. } => format!("{name}:{line}"),
        Locator::Record { record_id } => format!("{name}#{record_id}"),
        Locator::Element { index } => format!("{name}[{index}]"),
        Locator::Offset { offset } => format!("{name}@{offset}"),
        Locator::Chunk { chunk } => format!("{name} chunk {chunk}"),
        Locator::None => name.to_owned(),
    }
}

fn time_text(event: &Event) -> String {
    event.time.as_ref().map(format_utc).unwrap_or_else(|| "-".into())
}

fn matched_text(matched: &[(String, String)], max_value: usize) -> String {
    let mut s = String::new();
    for (i, (k, v)) in matched.iter().enumerate() {
        if i > 0 {
            s.push_str("; ");
        }
        s.push_str(k);
        s.push('=');
        s.push_str(&truncate(v, max_value));
    }
    s
}

/// Cuts to `max` characters, marking the cut, and folds control characters (newlines in
/// PowerShell script blocks) so one detection stays one row.
fn truncate(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if s.chars().nth(max).is_some() {
        out.pop();
        out.push('…');
    }
    out
}

fn pad(s: &str, width: usize) -> String {
    let t = truncate(s, width);
    let n = t.chars().count();
    format!("{t}{}", " ".repeat(width.saturating_sub(n)))
}

struct TableWriter {
    out: Box<dyn Write + Send>,
    color: bool,
    rows: u64,
    matched_width: usize,
}

const TIME_W: usize = 24;
const LEVEL_W: usize = 13;
const RULE_W: usize = 50;
const HOST_W: usize = 20;
const WHERE_W: usize = 32;
/// Columns before MATCHED, separators included.
const FIXED_W: usize = TIME_W + LEVEL_W + RULE_W + HOST_W + WHERE_W + 5;
const MATCHED_MAX: usize = 200;
const MATCHED_MIN: usize = 30;

fn level_color(level: Level) -> &'static str {
    match level {
        Level::Critical => "\x1b[1;31m",
        Level::High => "\x1b[31m",
        Level::Medium => "\x1b[33m",
        Level::Low => "\x1b[36m",
        Level::Informational => "\x1b[2m",
    }
}

impl DetectionWriter for TableWriter {
    fn write(&mut self, d: &Detection, rules: &RuleSet) -> io::Result<()> {
        if self.rows == 0 {
            writeln!(
                self.out,
                "{} {} {} {} {} MATCHED",
                pad("TIME (UTC)", TIME_W),
                pad("LEVEL", LEVEL_W),
                pad("RULE", RULE_W),
                pad("HOST", HOST_W),
                pad("WHERE", WHERE_W)
            )?;
        }
        self.rows += 1;
        let meta = rules.meta(d.rule);
        let place = short_place(&d.event.origin.file, &d.event.origin.at);
        let level = pad(&meta.level.to_string(), LEVEL_W);
        let level = if self.color { format!("{}{level}\x1b[0m", level_color(meta.level)) } else { level };
        writeln!(
            self.out,
            "{} {level} {} {} {} {}",
            pad(&time_text(&d.event), TIME_W),
            pad(&meta.title, RULE_W),
            pad(d.event.host().unwrap_or("-"), HOST_W),
            pad(&place, WHERE_W),
            truncate(&matched_text(&d.matched, 80), self.matched_width)
        )
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

struct CsvWriter {
    out: csv::Writer<Box<dyn Write + Send>>,
    header_done: bool,
}

const CSV_HEADER: [&str; 13] = [
    "time",
    "level",
    "rule_id",
    "rule_title",
    "status",
    "tags",
    "attack_ids",
    "host",
    "file",
    "location",
    "matched",
    "event",
    "raw",
];

impl DetectionWriter for CsvWriter {
    fn write(&mut self, d: &Detection, rules: &RuleSet) -> io::Result<()> {
        if !self.header_done {
            self.out.write_record(CSV_HEADER)?;
            self.header_done = true;
        }
        let m = rules.meta(d.rule);
        let event_json = serde_json::to_string(&d.event.fields).map_err(io::Error::other)?;
        let status = m.status.map(|s| s.to_string()).unwrap_or_default();
        self.out.write_record([
            time_text(&d.event).as_str(),
            &m.level.to_string(),
            m.id.as_deref().unwrap_or(""),
            &m.title,
            &status,
            &m.tags.join(";"),
            &m.attack_ids.join(";"),
            d.event.host().unwrap_or(""),
            &d.event.origin.file,
            &d.event.origin.at.to_string(),
            &matched_text(&d.matched, usize::MAX),
            &event_json,
            d.event.raw.as_deref().unwrap_or(""),
        ])?;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

struct JsonlWriter {
    out: Box<dyn Write + Send>,
}

#[derive(Serialize)]
struct RuleOut<'a> {
    id: Option<&'a str>,
    title: &'a str,
    level: String,
    status: Option<String>,
    tags: &'a [String],
    attack_ids: &'a [String],
    path: String,
}

#[derive(Serialize)]
struct JsonDetection<'a> {
    time: Option<String>,
    rule: RuleOut<'a>,
    host: Option<&'a str>,
    file: &'a str,
    location: &'a Locator,
    source_kind: &'static str,
    matched: serde_json::Map<String, serde_json::Value>,
    event: &'a Fields,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<&'a str>,
}

fn rule_out(m: &RuleMeta) -> RuleOut<'_> {
    RuleOut {
        id: m.id.as_deref(),
        title: &m.title,
        level: m.level.to_string(),
        status: m.status.map(|s| s.to_string()),
        tags: &m.tags,
        attack_ids: &m.attack_ids,
        path: m.path.display().to_string(),
    }
}

impl DetectionWriter for JsonlWriter {
    fn write(&mut self, d: &Detection, rules: &RuleSet) -> io::Result<()> {
        let e = &d.event;
        let rec = JsonDetection {
            time: e.time.as_ref().map(format_utc),
            rule: rule_out(rules.meta(d.rule)),
            host: e.host(),
            file: &e.origin.file,
            location: &e.origin.at,
            source_kind: e.kind.name(),
            matched: d.matched.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect(),
            event: &e.fields,
            raw: e.raw.as_deref(),
        };
        serde_json::to_writer(&mut self.out, &rec).map_err(io::Error::other)?;
        self.out.write_all(b"\n")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_marks_the_cut_and_folds_newlines() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("a\nb", 5), "a b");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(matched_text(&[("A".into(), "1".into()), ("B".into(), "xyz".into())], 2), "A=1; B=x…");
    }

    #[test]
    fn table_places_are_compact() {
        assert_eq!(short_place("/x/auth.log", &Locator::Line { line: 3, offset: 99 }), "auth.log:3");
        assert_eq!(short_place("C:\\logs\\Security.evtx", &Locator::Record { record_id: 7 }), "Security.evtx#7");
    }

    #[test]
    fn formats_parse() {
        assert_eq!("JSONL".parse::<OutputFormat>(), Ok(OutputFormat::Jsonl));
        assert!("xml".parse::<OutputFormat>().is_err());
    }
}
