//! Real logs from the CrowdSec hub tests (read-only, outside the repo): every line of the nginx,
//! Apache and syslog samples must parse or give a diagnostic, never panic. Prints parse rates.

use std::path::{Path, PathBuf};

use ww_core::{Severity, VecSink};
use ww_parse::lines::{LineFormat, LineOptions, read_lines_with};
use ww_parse::sniff::{Format, sniff};
use ww_parse::syslog::SyslogContext;

/// The CrowdSec hub test logs; a missing folder makes the corpus test skip.
fn corpus_dir() -> PathBuf {
    ww_core::corpora::dir("crowdsec-hub-tests")
        .unwrap_or_else(|| PathBuf::from("absent: shared/corpora/crowdsec-hub-tests"))
}

/// `log_file` and `log_type` from a test's config.yaml (two flat keys; no YAML parser needed).
fn config(dir: &Path) -> Option<(String, String)> {
    let text = std::fs::read_to_string(dir.join("config.yaml")).ok()?;
    let get = |key: &str| text.lines().find_map(|l| l.strip_prefix(key).map(|v| v.trim().trim_matches('"').to_owned()));
    Some((get("log_file:")?, get("log_type:")?))
}

#[derive(Default)]
struct Tally {
    files: usize,
    lines: u64,
    failed: u64,
    sniffed_right: usize,
}

#[test]
fn crowdsec_corpus_parses() {
    let root = corpus_dir();
    let Ok(entries) = std::fs::read_dir(&root) else {
        eprintln!("skipping: corpus folder {} is absent", root.display());
        return;
    };
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    dirs.sort();
    let mut access = Tally::default();
    let mut syslog = Tally::default();
    let opts = LineOptions::new(SyslogContext::with_year(2024));
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        let Some((log_file, log_type)) = config(dir) else {
            continue;
        };
        let (format, tally) = match log_type.as_str() {
            "nginx" | "apache2" => (LineFormat::AccessLog, &mut access),
            "syslog" => (LineFormat::Syslog, &mut syslog),
            _ => continue,
        };
        let path = dir.join(&log_file);
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let mut sink = VecSink::default();
        let name = path.display().to_string();
        let stats = read_lines_with(format, &opts, name.as_str().into(), &bytes[..], &mut sink)
            .expect("reading from memory cannot fail");
        let non_blank = bytes.split(|&b| b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count();
        let line_errors = sink.diagnostics.iter().filter(|d| d.field.as_deref() != Some("encoding")).count() as u64;
        assert_eq!(line_errors, stats.errors, "{name}: one diagnostic per bad line");
        // Syslog keeps bad lines as events; access logs do not.
        let expected_events = match format {
            LineFormat::Syslog => non_blank as u64,
            _ => non_blank as u64 - stats.errors,
        };
        assert_eq!(stats.events, expected_events, "{name}: no line lost");
        for d in &sink.diagnostics {
            if d.severity == Severity::Error || d.field.as_deref() != Some("encoding") {
                eprintln!("  {d}");
            }
        }
        tally.files += 1;
        tally.lines += non_blank as u64;
        tally.failed += stats.errors;
        let want = match format {
            LineFormat::AccessLog => Format::AccessLog,
            _ => Format::Syslog,
        };
        let got = sniff(&bytes);
        if got == want {
            tally.sniffed_right += 1;
        } else {
            eprintln!("  sniff({name}) = {got:?}, config says {log_type}");
        }
    }
    for (what, t) in [("access", &access), ("syslog", &syslog)] {
        let rate = if t.lines == 0 { 0.0 } else { 100.0 * (t.lines - t.failed) as f64 / t.lines as f64 };
        eprintln!(
            "{what}: {} files, {} lines, {} unparsed, parse rate {rate:.1}%, sniffed right {}/{}",
            t.files, t.lines, t.failed, t.sniffed_right, t.files
        );
    }
    assert!(access.files > 0 && syslog.files > 0, "corpus present but no usable files found");
    // The unparsed access lines are nginx/Apache *error* log lines and Nginx Proxy Manager's
    // custom formats that the hub files mix in; none is a combined/common access line.
    assert!(access.failed * 100 <= access.lines * 10, "access parse rate under 90%");
    assert_eq!(syslog.failed, 0, "every syslog sample line is RFC 3164/5424");
}
