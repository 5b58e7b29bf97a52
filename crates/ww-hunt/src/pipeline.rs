//! The hunt itself: read every file in parallel, match every event, stream detections out.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, bounded};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ww_core::{Diagnostic, Event, EventSink, Locator, Severity, SourceKind};
use ww_parse::ReadStats;
use ww_parse::lines::{LineOptions, MAX_LINE, read_lines_with};
use ww_parse::syslog::SyslogContext;
use ww_sigma::{Level, RuleIdx, RuleSet, Scratch};

use crate::discover::{InputFile, discover};
use crate::open::{Limits, Opened, open, preview};
use crate::output::{Detection, DetectionWriter, OutputFormat, writer};
use crate::procstat;
use crate::summary::{RuleCount, Summary};
use crate::timefilter::TimeRange;

#[derive(Debug, thiserror::Error)]
pub enum HuntError {
    #[error("cannot create output file {path}: {source}")]
    Output { path: PathBuf, source: io::Error },
    #[error("cannot write detections: {0}")]
    Write(io::Error),
}

/// What to hunt through and how to report it.
#[derive(Debug, Clone)]
pub struct HuntOptions {
    pub inputs: Vec<PathBuf>,
    pub time_range: TimeRange,
    pub format: OutputFormat,
    /// Where detections go; standard output when `None`.
    pub output: Option<PathBuf>,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Draw a progress bar on standard error.
    pub progress: bool,
    /// Colour levels in the table (only for a terminal).
    pub color: bool,
    /// Width of the terminal the table goes to, if it goes to one.
    pub table_width: Option<usize>,
    pub limits: Limits,
    /// Diagnostics printed per file before the rest are only counted.
    pub max_diagnostics_per_file: u64,
    /// Year for syslog timestamps that carry none (RFC 3164). When `None`, each file's
    /// modification time stands for "now": a yearless line gets the latest year that does not
    /// put it after the file was last written.
    pub syslog_year: Option<i32>,
}

impl Default for HuntOptions {
    fn default() -> Self {
        HuntOptions {
            inputs: Vec::new(),
            time_range: TimeRange::default(),
            format: OutputFormat::Table,
            output: None,
            threads: 0,
            progress: false,
            color: false,
            table_width: None,
            limits: Limits::default(),
            max_diagnostics_per_file: 10,
            syslog_year: None,
        }
    }
}

/// Shared between the reading threads.
struct Shared<'a> {
    rules: &'a RuleSet,
    range: TimeRange,
    /// Set when output failed (e.g. the reader of a pipe went away): stop matching.
    stop: AtomicBool,
    events: AtomicU64,
    in_range: AtomicU64,
    errors: AtomicU64,
    warnings: AtomicU64,
    bytes: Arc<AtomicU64>,
    /// Diagnostics go here (standard error), one line each, through the progress bar if drawn.
    diag: Mutex<Box<dyn Write + Send>>,
    progress: Option<ProgressBar>,
    max_diag_per_file: u64,
}

impl Shared<'_> {
    fn report(&self, d: &Diagnostic) {
        let line = d.to_string();
        match &self.progress {
            Some(pb) => pb.suspend(|| self.write_diag(&line)),
            None => self.write_diag(&line),
        }
    }

    fn write_diag(&self, line: &str) {
        if let Ok(mut w) = self.diag.lock() {
            let _ = writeln!(w, "{line}");
        }
    }
}

/// Receives one file's events on its reading thread and matches them there.
struct MatchSink<'s, 'a> {
    shared: &'s Shared<'a>,
    tx: Sender<Vec<Detection>>,
    scratch: Scratch,
    hits: Vec<RuleIdx>,
    events: u64,
    in_range: u64,
    errors: u64,
    warnings: u64,
    printed: u64,
}

impl<'s, 'a> MatchSink<'s, 'a> {
    fn new(shared: &'s Shared<'a>, tx: Sender<Vec<Detection>>) -> Self {
        MatchSink {
            shared,
            tx,
            scratch: shared.rules.scratch(),
            hits: Vec::new(),
            events: 0,
            in_range: 0,
            errors: 0,
            warnings: 0,
            printed: 0,
        }
    }

    fn finish(self, file: &str) {
        let s = self.shared;
        let suppressed = (self.errors + self.warnings).saturating_sub(self.printed);
        if suppressed > 0 {
            s.report(&Diagnostic::warning(
                file.into(),
                Locator::None,
                format!("{suppressed} more problems in this file not shown"),
            ));
        }
        s.events.fetch_add(self.events, Ordering::Relaxed);
        s.in_range.fetch_add(self.in_range, Ordering::Relaxed);
        s.errors.fetch_add(self.errors, Ordering::Relaxed);
        s.warnings.fetch_add(self.warnings, Ordering::Relaxed);
    }
}

impl EventSink for MatchSink<'_, '_> {
    fn event(&mut self, event: Event) {
        self.events += 1;
        let s = self.shared;
        if !s.range.contains(event.time.as_ref()) || s.stop.load(Ordering::Relaxed) {
            return;
        }
        self.in_range += 1;
        self.hits.clear();
        s.rules.matches(&event, &mut self.scratch, &mut self.hits);
        if self.hits.is_empty() {
            return;
        }
        let event = Arc::new(event);
        let batch: Vec<Detection> = self
            .hits
            .iter()
            .map(|&rule| Detection { matched: s.rules.explain(rule, &event), event: event.clone(), rule })
            .collect();
        if self.tx.send(batch).is_err() {
            s.stop.store(true, Ordering::Relaxed);
        }
    }

    fn diagnostic(&mut self, d: Diagnostic) {
        match d.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
        if self.printed < self.shared.max_diag_per_file {
            self.printed += 1;
            self.shared.report(&d);
        }
    }
}

/// What reading one file came to: the kind of its events (`None`: unreadable) and whether it was
/// gzip-compressed.
struct FileOutcome {
    kind: Option<SourceKind>,
    gzip: bool,
}

/// How yearless syslog timestamps in this file are dated.
fn syslog_context(input: &InputFile, year: Option<i32>) -> SyslogContext {
    if let Some(y) = year {
        return SyslogContext::with_year(y);
    }
    let modified = std::fs::metadata(&input.path).and_then(|m| m.modified()).ok();
    let now = modified.map(chrono::DateTime::<chrono::Utc>::from).unwrap_or_else(chrono::Utc::now);
    SyslogContext::with_now(now)
}

fn read_file(
    shared: &Shared<'_>,
    tx: Sender<Vec<Detection>>,
    input: &InputFile,
    limits: Limits,
    syslog_year: Option<i32>,
) -> FileOutcome {
    let name: Arc<str> = input.path.to_string_lossy().into();
    let mut sink = MatchSink::new(shared, tx);
    let unreadable = |sink: &mut MatchSink<'_, '_>, at: Locator, reason: String| {
        sink.diagnostic(Diagnostic::error(name.clone(), at, reason));
        FileOutcome { kind: None, gzip: false }
    };
    let outcome = match open(&input.path, limits, shared.bytes.clone()) {
        Err(e) => unreadable(&mut sink, Locator::None, format!("cannot read: {e}")),
        Ok((Opened::Unknown(head), gzip)) => {
            let what = if gzip { "gzip content" } else { "content" };
            let mut o = unreadable(
                &mut sink,
                Locator::None,
                format!("{what} is not a supported log format ({})", preview(&head)),
            );
            o.gzip = gzip;
            o
        }
        Ok((Opened::Evtx(data), gzip)) => {
            ww_evtx::read_evtx(name.clone(), data, 0, &mut sink);
            FileOutcome { kind: Some(SourceKind::Evtx), gzip }
        }
        Ok((Opened::Stream(format, reader), gzip)) => {
            let result: io::Result<ReadStats> = match format.line_format() {
                Some(lf) => {
                    let opts = LineOptions { syslog: syslog_context(input, syslog_year), max_line: MAX_LINE };
                    read_lines_with(lf, &opts, name.clone(), reader, &mut sink)
                }
                None => ww_parse::json::read_json(name.clone(), reader, &mut sink),
            };
            if let Err(e) = result {
                // A broken gzip stream or a read error part-way: what came before is kept.
                sink.diagnostic(Diagnostic::error(name.clone(), Locator::None, format!("reading stopped early: {e}")));
            }
            FileOutcome { kind: format.source_kind(), gzip }
        }
    };
    sink.finish(&name);
    outcome
}

/// Counts the writer keeps while it writes.
struct WriteTally {
    detections: u64,
    per_rule: Vec<u64>,
    error: Option<io::Error>,
}

fn write_all(rx: Receiver<Vec<Detection>>, mut out: Box<dyn DetectionWriter + Send>, rules: &RuleSet) -> WriteTally {
    let mut tally = WriteTally { detections: 0, per_rule: vec![0; rules.len()], error: None };
    for batch in rx {
        for d in &batch {
            tally.detections += 1;
            if let Some(c) = tally.per_rule.get_mut(d.rule.0 as usize) {
                *c += 1;
            }
            if tally.error.is_none()
                && let Err(e) = out.write(d, rules)
            {
                tally.error = Some(e);
            }
        }
        if tally.error.is_some() {
            // Dropping the receiver tells the readers to stop.
            break;
        }
    }
    if tally.error.is_none()
        && let Err(e) = out.finish()
    {
        tally.error = Some(e);
    }
    tally
}

/// Runs a hunt with already-compiled rules. Diagnostics go to `diag` (standard error in the
/// binary); detections to the output. The rule counts of the summary are left for the caller,
/// which did the loading.
pub fn hunt(rules: &RuleSet, opts: &HuntOptions, diag: Box<dyn Write + Send>) -> Result<Summary, HuntError> {
    let started = Instant::now();
    let (mut files, missing) = discover(&opts.inputs);
    // Largest first, so one big file does not start last and run alone.
    files.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.path.cmp(&b.path)));
    let total_bytes: u64 = files.iter().map(|f| f.size).sum();

    let out: Box<dyn Write + Send> = match &opts.output {
        Some(p) => Box::new(io::BufWriter::with_capacity(
            1 << 16,
            std::fs::File::create(p).map_err(|source| HuntError::Output { path: p.clone(), source })?,
        )),
        None => Box::new(io::BufWriter::with_capacity(1 << 16, io::stdout())),
    };
    let to_terminal = opts.output.is_none();
    let out = writer(opts.format, out, opts.color && to_terminal, opts.table_width.filter(|_| to_terminal));

    let progress = opts.progress.then(|| {
        let pb = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr_with_hz(5));
        pb.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} ({eta}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        pb
    });

    let (tx, rx) = bounded::<Vec<Detection>>(4096);
    let shared = Shared {
        rules,
        range: opts.time_range,
        stop: AtomicBool::new(false),
        events: AtomicU64::new(0),
        in_range: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        warnings: AtomicU64::new(0),
        bytes: Arc::new(AtomicU64::new(0)),
        diag: Mutex::new(diag),
        progress: progress.clone(),
        max_diag_per_file: opts.max_diagnostics_per_file,
    };
    for m in &missing {
        shared.report(&Diagnostic::error(m.path.to_string_lossy().into(), Locator::None, m.reason.clone()));
    }

    // File-level parallelism runs on plain threads pulling from a shared queue; EVTX chunks are
    // parsed on rayon's global pool. Keeping the two apart means a thread waiting for its
    // chunks never holds up the pool that parses them.
    let workers = if opts.threads == 0 {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
    } else {
        opts.threads
    }
    .min(files.len().max(1));
    let next_file = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let read_started = Instant::now();
    let limits = opts.limits;
    let syslog_year = opts.syslog_year;

    let (outcomes, tally) = std::thread::scope(|scope| {
        let writer_thread = scope.spawn(|| write_all(rx, out, rules));
        if let Some(pb) = &progress {
            let shared = &shared;
            let done = &done;
            scope.spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    pb.set_position(shared.bytes.load(Ordering::Relaxed));
                    pb.set_message(format!("{} events", shared.events.load(Ordering::Relaxed)));
                    std::thread::sleep(Duration::from_millis(200));
                }
            });
        }
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let tx = tx.clone();
                let (shared, files, next_file) = (&shared, &files, &next_file);
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let i = next_file.fetch_add(1, Ordering::Relaxed);
                        let Some(f) = files.get(i) else { break };
                        if shared.stop.load(Ordering::Relaxed) {
                            break;
                        }
                        // A reader bug must cost one file, not the hunt.
                        let read = || read_file(shared, tx.clone(), f, limits, syslog_year);
                        done.push(std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
                            shared.errors.fetch_add(1, Ordering::Relaxed);
                            shared.report(&Diagnostic::error(
                                f.path.to_string_lossy().into(),
                                Locator::None,
                                "internal error while reading this file (please report it); the hunt carried on",
                            ));
                            FileOutcome { kind: None, gzip: false }
                        }));
                    }
                    done
                })
            })
            .collect();
        let mut outcomes: Vec<FileOutcome> = Vec::with_capacity(files.len());
        for h in handles {
            if let Ok(o) = h.join() {
                outcomes.extend(o);
            }
        }
        done.store(true, Ordering::Relaxed);
        // The last sender goes, so the writer drains the channel and finishes.
        drop(tx);
        let tally = writer_thread.join().unwrap_or_else(|_| WriteTally {
            detections: 0,
            per_rule: Vec::new(),
            error: Some(io::Error::other("the output writer failed")),
        });
        (outcomes, tally)
    });

    if let Some(pb) = &progress {
        pb.finish_and_clear();
    }
    if let Some(e) = tally.error
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        return Err(HuntError::Write(e));
    }

    let read_secs = read_started.elapsed().as_secs_f64();
    let mut summary = Summary {
        files: (files.len() + missing.len()) as u64,
        files_unreadable: missing.len() as u64 + outcomes.iter().filter(|o| o.kind.is_none()).count() as u64,
        bytes: shared.bytes.load(Ordering::Relaxed),
        events: shared.events.load(Ordering::Relaxed),
        events_in_range: shared.in_range.load(Ordering::Relaxed),
        parse_errors: shared.errors.load(Ordering::Relaxed),
        parse_warnings: shared.warnings.load(Ordering::Relaxed),
        detections: tally.detections,
        elapsed_seconds: started.elapsed().as_secs_f64(),
        ..Summary::default()
    };
    for o in &outcomes {
        if let Some(kind) = o.kind {
            *summary.formats.entry(kind.name().into()).or_default() += 1;
        }
        if o.gzip {
            *summary.formats.entry("gzip".into()).or_default() += 1;
        }
    }
    summary.events_per_second = if read_secs > 0.0 { summary.events as f64 / read_secs } else { 0.0 };
    for level in [Level::Informational, Level::Low, Level::Medium, Level::High, Level::Critical] {
        summary.detections_by_level.insert(level.to_string(), 0);
    }
    let mut top: Vec<(usize, u64)> = tally.per_rule.iter().copied().enumerate().filter(|(_, c)| *c > 0).collect();
    for &(i, c) in &top {
        let meta = rules.meta(RuleIdx(i as u32));
        *summary.detections_by_level.entry(meta.level.to_string()).or_default() += c;
    }
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    summary.top_rules = top
        .iter()
        .take(20)
        .map(|&(i, count)| {
            let m = rules.meta(RuleIdx(i as u32));
            RuleCount { id: m.id.clone(), title: m.title.clone(), level: m.level.to_string(), count }
        })
        .collect();
    summary.cpu_seconds = procstat::cpu_seconds();
    summary.peak_rss_bytes = procstat::peak_rss_bytes();
    Ok(summary)
}
