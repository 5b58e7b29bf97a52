//! The line driver: splits a `BufRead` into lines and hands each to a per-format parser.
//!
//! Decisions an analyst should know:
//! - Lines end at `\n`; a `\r` before it is dropped. Blank lines are skipped (no event, no
//!   diagnostic). A UTF-8 byte-order mark on line 1 is dropped.
//! - Invalid UTF-8 is decoded lossily (U+FFFD) and the event kept: log lines often carry Latin-1
//!   user names or URLs. One warning per file says so, at the first such line.
//! - A line longer than [`MAX_LINE`] is skipped without being buffered, with one error.
//! - A line that does not parse gets exactly one diagnostic naming line, offset, field and
//!   reason. Syslog keeps such a line as an event whose only field is `message` (the whole line),
//!   so keyword rules still see it (continuation lines, foreign formats in a syslog stream); the
//!   diagnostic is then a warning. Access-log and W3C lines have fixed columns that rules rely on,
//!   so an unparseable one yields no event; its error quotes the start of the line.

use std::borrow::Cow;
use std::io::{BufRead, ErrorKind};
use std::sync::{Arc, LazyLock};

use ww_core::time::Timestamp;
use ww_core::{Diagnostic, Event, EventSink, Fields, Locator, SourceKind};

use crate::stats::ReadStats;
use crate::syslog::SyslogContext;
use crate::w3c::{W3cLine, W3cParser};
use crate::{access, syslog};

/// Longest line accepted, in bytes (without the newline).
pub const MAX_LINE: usize = 64 * 1024;

/// Why one line could not be parsed: the field (or construct) and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ParseError {
    pub field: &'static str,
    pub reason: Cow<'static, str>,
}

impl ParseError {
    pub fn new(field: &'static str, reason: impl Into<Cow<'static, str>>) -> Self {
        ParseError { field, reason: reason.into() }
    }
}

/// The line-based formats [`read_lines`] can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineFormat {
    Syslog,
    AccessLog,
    W3c,
}

impl LineFormat {
    pub fn source_kind(self) -> SourceKind {
        match self {
            LineFormat::Syslog => SourceKind::Syslog,
            LineFormat::AccessLog => SourceKind::AccessLog,
            LineFormat::W3c => SourceKind::W3c,
        }
    }
}

/// Settings for [`read_lines_with`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineOptions {
    /// Year and offset for yearless/zoneless syslog timestamps.
    pub syslog: SyslogContext,
    /// Longest line accepted (bytes); longer lines are skipped with an error.
    pub max_line: usize,
}

impl LineOptions {
    pub fn new(syslog: SyslogContext) -> Self {
        LineOptions { syslog, max_line: MAX_LINE }
    }
}

/// Reads a line-based log with defaults: syslog years are inferred relative to the current
/// time. Callers that know better (hunt knows the file's modification time) use
/// [`read_lines_with`].
pub fn read_lines<R: BufRead>(
    format: LineFormat,
    file: Arc<str>,
    reader: R,
    sink: &mut dyn EventSink,
) -> std::io::Result<ReadStats> {
    let opts = LineOptions::new(SyslogContext::with_now(chrono::Utc::now()));
    read_lines_with(format, &opts, file, reader, sink)
}

/// Reads a line-based log. Returns an error only when the reader fails; everything wrong with
/// the content goes to `sink` as diagnostics.
pub fn read_lines_with<R: BufRead>(
    format: LineFormat,
    opts: &LineOptions,
    file: Arc<str>,
    mut reader: R,
    sink: &mut dyn EventSink,
) -> std::io::Result<ReadStats> {
    let mut state = LineState {
        parser: match format {
            LineFormat::Syslog => FormatParser::Syslog(opts.syslog),
            LineFormat::AccessLog => FormatParser::Access,
            LineFormat::W3c => FormatParser::W3c(W3cParser::new()),
        },
        kind: format.source_kind(),
        file,
        stats: ReadStats::default(),
        warned_utf8: false,
    };
    let mut buf: Vec<u8> = Vec::with_capacity(512);
    let mut line_no: u64 = 0;
    let mut line_start: u64 = 0;
    let mut line_len: u64 = 0; // bytes seen for the current line (also when not buffered)
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            if line_len > 0 {
                line_no += 1;
                state.line(&buf, line_len, opts.max_line, line_no, line_start, sink);
                state.stats.bytes += line_len;
            }
            return Ok(state.stats);
        }
        let (take, complete) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        // Buffer only while within the limit (+1 for a `\r` that will be stripped).
        if (line_len as usize).saturating_add(take) <= opts.max_line.saturating_add(1) {
            buf.extend_from_slice(&chunk[..take]);
        }
        line_len += take as u64;
        let consumed = take + usize::from(complete);
        reader.consume(consumed);
        if complete {
            line_no += 1;
            state.line(&buf, line_len, opts.max_line, line_no, line_start, sink);
            line_start += line_len + 1;
            state.stats.bytes += line_len + 1;
            buf.clear();
            line_len = 0;
        }
    }
}

enum FormatParser {
    Syslog(SyslogContext),
    Access,
    W3c(W3cParser),
}

struct LineState {
    parser: FormatParser,
    kind: SourceKind,
    file: Arc<str>,
    stats: ReadStats,
    warned_utf8: bool,
}

static LINE_FIELD: LazyLock<Arc<str>> = LazyLock::new(|| "message".into());

impl LineState {
    /// One complete line: `buf` holds its bytes unless it was over the limit.
    fn line(&mut self, buf: &[u8], len: u64, max: usize, line: u64, offset: u64, sink: &mut dyn EventSink) {
        let at = Locator::Line { line, offset };
        let mut bytes = buf;
        if let Some(b) = bytes.strip_suffix(b"\r") {
            bytes = b;
        }
        if bytes.len() > max || len as usize > max.saturating_add(1) {
            self.stats.errors += 1;
            sink.diagnostic(
                Diagnostic::error(
                    self.file.clone(),
                    at,
                    format!("line is {len} bytes, longer than the {max}-byte limit; skipped"),
                )
                .with_field("line"),
            );
            return;
        }
        if line == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let text = String::from_utf8_lossy(bytes);
        if matches!(text, Cow::Owned(_)) && !self.warned_utf8 {
            self.warned_utf8 = true;
            sink.diagnostic(
                Diagnostic::warning(
                    self.file.clone(),
                    at,
                    "invalid UTF-8 replaced by U+FFFD (first such line; later ones not reported)",
                )
                .with_field("encoding"),
            );
        }
        let parsed = match &mut self.parser {
            FormatParser::Syslog(ctx) => syslog::parse_syslog_line(&text, ctx),
            FormatParser::Access => access::parse_access_line(&text),
            FormatParser::W3c(p) => match p.parse_line(&text) {
                Ok(W3cLine::Directive) => return,
                Ok(W3cLine::Event(t, f)) => Ok((t, f)),
                Err(e) => Err(e),
            },
        };
        match parsed {
            Ok((time, fields)) => self.emit(at, time, fields, &text, sink),
            Err(e) => {
                self.stats.errors += 1;
                if let FormatParser::Syslog(_) = self.parser {
                    let reason = format!("not RFC 5424 or RFC 3164 ({}); kept as message only", e.reason);
                    sink.diagnostic(Diagnostic::warning(self.file.clone(), at, reason).with_field(e.field));
                    let mut fields = Fields::with_capacity(1);
                    fields.push(LINE_FIELD.clone(), &*text);
                    self.emit(at, None, fields, &text, sink);
                } else {
                    let reason = format!("{}; line starts {:?}", e.reason, excerpt(&text, 80));
                    sink.diagnostic(Diagnostic::error(self.file.clone(), at, reason).with_field(e.field));
                }
            }
        }
    }

    fn emit(&mut self, at: Locator, time: Option<Timestamp>, fields: Fields, text: &str, sink: &mut dyn EventSink) {
        let mut ev = Event::new(self.kind, self.file.clone(), at);
        ev.time = time;
        ev.fields = fields;
        ev.raw = Some(text.into());
        self.stats.events += 1;
        sink.event(ev);
    }
}

/// The first `max` characters of `s`.
fn excerpt(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ww_core::{Severity, VecSink};

    fn run(format: LineFormat, input: &[u8]) -> (VecSink, ReadStats) {
        let mut sink = VecSink::default();
        let opts = LineOptions::new(SyslogContext::with_year(2024));
        let stats = read_lines_with(format, &opts, "t.log".into(), input, &mut sink).unwrap();
        (sink, stats)
    }

    const A1: &str = r#"10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "x""#;

    #[test]
    fn lines_offsets_crlf_and_blank() {
        let input = format!("{A1}\r\n\r\n\n{A1}\ngarbage\n{A1}");
        let (sink, stats) = run(LineFormat::AccessLog, input.as_bytes());
        assert_eq!(stats.events, 3);
        assert_eq!(stats.errors, 1);
        assert_eq!(stats.bytes, input.len() as u64);
        let locs: Vec<_> = sink.events.iter().map(|e| e.origin.at).collect();
        let l = A1.len() as u64;
        assert_eq!(
            locs,
            vec![
                Locator::Line { line: 1, offset: 0 },
                Locator::Line { line: 4, offset: l + 5 },
                Locator::Line { line: 6, offset: 2 * l + 6 + 8 },
            ]
        );
        assert_eq!(sink.events[0].raw.as_deref(), Some(A1));
        assert_eq!(sink.diagnostics.len(), 1);
        let d = &sink.diagnostics[0];
        assert_eq!(d.at, Locator::Line { line: 5, offset: l + 6 + l });
        assert_eq!(d.severity, Severity::Error);
        assert!(d.reason.contains("\"garbage\""), "{}", d.reason);
    }

    #[test]
    fn overlong_line_skipped_once() {
        let mut input = Vec::new();
        input.extend_from_slice(A1.as_bytes());
        input.push(b'\n');
        input.extend(std::iter::repeat_n(b'a', MAX_LINE + 10));
        input.push(b'\n');
        input.extend_from_slice(A1.as_bytes());
        // A tiny BufReader capacity forces the long line across many chunks.
        let reader = std::io::BufReader::with_capacity(64, &input[..]);
        let mut sink = VecSink::default();
        let opts = LineOptions::new(SyslogContext::with_year(2024));
        let stats = read_lines_with(LineFormat::AccessLog, &opts, "t".into(), reader, &mut sink).unwrap();
        assert_eq!(stats.events, 2);
        assert_eq!(stats.errors, 1);
        assert_eq!(sink.diagnostics.len(), 1);
        assert!(sink.diagnostics[0].reason.contains(&format!("{} bytes", MAX_LINE + 10)));
        assert_eq!(sink.events[1].origin.at, Locator::Line { line: 3, offset: (A1.len() + MAX_LINE + 12) as u64 });
    }

    #[test]
    fn line_at_exact_limit_with_crlf_is_kept() {
        let opts = LineOptions { syslog: SyslogContext::with_year(2024), max_line: A1.len() };
        let input = format!("{A1}\r\n{A1}x\n");
        let mut sink = VecSink::default();
        let stats = read_lines_with(LineFormat::AccessLog, &opts, "t".into(), input.as_bytes(), &mut sink).unwrap();
        assert_eq!((stats.events, stats.errors), (1, 1));
        assert_eq!(sink.diagnostics[0].field.as_deref(), Some("line"));
    }

    #[test]
    fn syslog_fallback_keeps_message() {
        let (sink, stats) = run(LineFormat::Syslog, b"Jan  1 00:00:00 h app: ok\n\tat java.lang.Thing\n");
        assert_eq!((stats.events, stats.errors), (2, 1));
        assert_eq!(sink.events[1].fields.get_str("message"), Some("\tat java.lang.Thing"));
        assert_eq!(sink.events[1].fields.len(), 1);
        assert_eq!(sink.events[1].time, None);
        assert_eq!(sink.diagnostics[0].severity, Severity::Warning);
        assert_eq!(sink.diagnostics[0].at, Locator::Line { line: 2, offset: 26 });
    }

    #[test]
    fn latin1_is_kept_with_one_warning() {
        let (sink, stats) =
            run(LineFormat::Syslog, b"Jan  1 00:00:00 h app: user J\xF6rg\nJan  1 00:00:01 h app: \xE9\n");
        assert_eq!((stats.events, stats.errors), (2, 0));
        assert_eq!(sink.events[0].fields.get_str("message"), Some("user J\u{fffd}rg"));
        assert_eq!(sink.diagnostics.len(), 1);
        assert_eq!(sink.diagnostics[0].field.as_deref(), Some("encoding"));
    }

    #[test]
    fn bom_and_empty_input() {
        let (sink, _) = run(LineFormat::Syslog, b"\xEF\xBB\xBFJan  1 00:00:00 h app: m");
        assert_eq!(sink.events.len(), 1);
        assert!(sink.diagnostics.is_empty());
        let (sink, stats) = run(LineFormat::W3c, b"");
        assert_eq!(stats, ReadStats::default());
        assert!(sink.events.is_empty());
    }

    #[test]
    fn w3c_directives_make_no_events() {
        let input = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n\
            #Fields: date time c-ip cs-method cs-uri-stem sc-status\n\
            2024-01-02 03:04:05 10.1.1.1 GET /a 200\n";
        let (sink, stats) = run(LineFormat::W3c, input.as_bytes());
        assert_eq!((stats.events, stats.errors), (1, 0));
        assert_eq!(sink.events[0].kind, SourceKind::W3c);
        assert_eq!(sink.events[0].origin.at, Locator::Line { line: 4, offset: 126 });
    }
}
