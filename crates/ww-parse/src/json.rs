//! JSON log exports → events: JSON Lines, top-level arrays, a single (pretty-printed) object,
//! and `{"Records":[..]}` wrappers (CloudTrail), each value flattened by [`crate::winjson`].
//!
//! * **JSON Lines** (the first non-blank byte is not `[`): one event per line, `raw` = the
//!   line, located by line number and byte offset. A line that is not JSON gives one error
//!   diagnostic and reading goes on with the next line. Lines longer than [`MAX_LINE_BYTES`] are
//!   reported and skipped without being buffered. Invalid UTF-8 is reported (warning) and the
//!   line is read with U+FFFD in place of the bad bytes, so the evidence is not lost.
//! * **Documents** (a top-level array, or a first line that is an unfinished JSON value, such as
//!   a pretty-printed object): streamed element by element, so a 2 GB array is never held in
//!   memory; each element is located by its index. JSON has no way to resynchronise inside a
//!   document, so an invalid element gives one error diagnostic and reading STOPS there; the
//!   elements before it are kept. One element (or a single object) may be at most
//!   [`MAX_ELEMENT_BYTES`].
//!
//! [`ReadStats::errors`] counts error diagnostics (input that produced no event); warnings are
//! not counted. [`ReadStats::bytes`] counts the bytes read, which in document mode ends where
//! reading stopped.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read};
use std::rc::Rc;
use std::sync::Arc;

use serde::Deserialize as _;
use serde::de::{DeserializeSeed, Deserializer as _, MapAccess, SeqAccess, Visitor};
use serde_json::Value as J;
use ww_core::{Diagnostic, Event, EventSink, Fields, Locator, SourceKind};

use crate::stats::ReadStats;
use crate::winjson;

/// Longest JSON line read; longer lines are reported and skipped.
pub const MAX_LINE_BYTES: usize = 4 << 20;
/// Largest array element or single top-level object read in document mode.
pub const MAX_ELEMENT_BYTES: u64 = 64 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads JSON Lines or a JSON document from `reader`, handing events and diagnostics to `sink`.
/// Only I/O errors of `reader` itself are returned; everything wrong with the content becomes a
/// diagnostic.
pub fn read_json<R: BufRead>(file: Arc<str>, mut reader: R, sink: &mut dyn EventSink) -> io::Result<ReadStats> {
    let mut stats = ReadStats::default();
    let skipped = skip_bom_and_space(&mut reader)?;
    stats.bytes += skipped;
    let first = reader.fill_buf()?.first().copied();
    if first == Some(b'[') {
        let mut doc = Document::new(file, sink, &mut stats);
        doc.run(reader, skipped);
        return Ok(stats);
    }
    read_lines(file, reader, sink, &mut stats, skipped)?;
    Ok(stats)
}

/// Skips a UTF-8 byte-order mark and leading whitespace; returns the bytes skipped.
fn skip_bom_and_space<R: BufRead>(reader: &mut R) -> io::Result<u64> {
    let mut skipped = 0u64;
    let mut at_start = true;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(skipped);
        }
        let mut n = 0;
        if at_start && buf.starts_with(BOM) {
            n = BOM.len();
        }
        at_start = false;
        n += buf[n..].iter().take_while(|b| b.is_ascii_whitespace()).count();
        let done = n < buf.len();
        reader.consume(n);
        skipped += n as u64;
        if done {
            return Ok(skipped);
        }
        if n == 0 {
            // A buffer shorter than the BOM: nothing to skip.
            return Ok(skipped);
        }
    }
}

fn read_lines<R: BufRead>(
    file: Arc<str>,
    mut reader: R,
    sink: &mut dyn EventSink,
    stats: &mut ReadStats,
    start: u64,
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(4096);
    let mut offset = start;
    // Leading blank lines were skipped: the first line read is line 1 plus those newlines.
    let mut line_no = 0u64;
    let mut seen_content = false;
    loop {
        buf.clear();
        let (consumed, overlong) = read_line_bounded(&mut reader, &mut buf, MAX_LINE_BYTES)?;
        if consumed == 0 {
            return Ok(());
        }
        line_no += 1;
        let at = Locator::Line { line: line_no, offset };
        let line_start = offset;
        offset += consumed as u64;
        stats.bytes += consumed as u64;
        if overlong {
            stats.errors += 1;
            sink.diagnostic(Diagnostic::error(
                file.clone(),
                at,
                format!("line longer than {MAX_LINE_BYTES} bytes ({consumed} bytes): skipped"),
            ));
            seen_content = true;
            continue;
        }
        let bytes = trim_line_end(&buf);
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(e) => {
                sink.diagnostic(Diagnostic::warning(
                    file.clone(),
                    at,
                    format!("invalid UTF-8 at byte {} of the line: read with U+FFFD in its place", e.valid_up_to()),
                ));
                String::from_utf8_lossy(bytes)
            }
        };
        match serde_json::from_str::<J>(&text) {
            Ok(value) => {
                seen_content = true;
                emit(&file, sink, stats, &value, at, Some(text.as_ref().into()));
            }
            Err(e)
                if !seen_content
                    && e.classify() == serde_json::error::Category::Eof
                    && matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'[')) =>
            {
                // The first line is the start of a multi-line document (pretty-printed).
                let head = io::Cursor::new(buf.clone());
                stats.bytes -= consumed as u64;
                let mut doc = Document::new(file.clone(), sink, stats);
                doc.line_base = line_no - 1;
                doc.run(head.chain(reader), line_start);
                return Ok(());
            }
            Err(e) => {
                seen_content = true;
                stats.errors += 1;
                sink.diagnostic(Diagnostic::error(file.clone(), at, format!("invalid JSON: {e}")));
            }
        }
    }
}

/// Reads up to and including the next `\n`, keeping at most `limit` bytes (plus the line end)
/// in `buf`; a longer line is consumed to its end but not kept. Returns the bytes consumed and
/// whether the line was too long.
fn read_line_bounded<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>, limit: usize) -> io::Result<(usize, bool)> {
    let mut consumed = 0;
    let mut overlong = false;
    loop {
        let avail = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok((consumed, overlong));
        }
        let (n, done) = match memchr::memchr(b'\n', avail) {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        if !overlong {
            let content = buf.len() + n - usize::from(done);
            if content > limit {
                overlong = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&avail[..n]);
            }
        }
        reader.consume(n);
        consumed += n;
        if done {
            return Ok((consumed, overlong));
        }
    }
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Flattens one JSON value and hands the event (and any warning about it) to the sink.
fn emit(
    file: &Arc<str>,
    sink: &mut dyn EventSink,
    stats: &mut ReadStats,
    value: &J,
    at: Locator,
    raw: Option<Box<str>>,
) {
    let mut event = Event::new(SourceKind::Json, file.clone(), at);
    event.fields = Fields::with_capacity(24);
    let flat = winjson::flatten_json(value, &mut event.fields);
    event.time = flat.time;
    event.raw = raw;
    if flat.truncated {
        sink.diagnostic(Diagnostic::warning(
            file.clone(),
            at,
            format!("nested deeper than {} levels: the deeper values are kept as JSON text", winjson::MAX_DEPTH),
        ));
    }
    if let Some(reason) = flat.fallback {
        sink.diagnostic(Diagnostic::warning(
            file.clone(),
            at,
            format!("looks like an EVTX record but {reason}: flattened as generic JSON"),
        ));
    }
    stats.events += 1;
    sink.event(event);
}

/// Counts bytes read, and fails once the current element has grown past its budget, so that one
/// huge element cannot exhaust memory.
struct Budgeted<R> {
    inner: R,
    used: Rc<Cell<u64>>,
    total: Rc<Cell<u64>>,
}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.used.get() > MAX_ELEMENT_BYTES {
            return Err(io::Error::other(format!("element larger than {MAX_ELEMENT_BYTES} bytes")));
        }
        let n = self.inner.read(out)?;
        self.used.set(self.used.get() + n as u64);
        self.total.set(self.total.get() + n as u64);
        Ok(n)
    }
}

/// Document mode: one top-level JSON value read with serde, arrays streamed element by element.
struct Document<'a> {
    file: Arc<str>,
    sink: &'a mut dyn EventSink,
    stats: &'a mut ReadStats,
    used: Rc<Cell<u64>>,
    /// Index of the array element being read, while inside an array.
    element: Option<u64>,
    /// Lines before the document starts, added to serde's line numbers.
    line_base: u64,
}

impl<'a> Document<'a> {
    fn new(file: Arc<str>, sink: &'a mut dyn EventSink, stats: &'a mut ReadStats) -> Self {
        Document { file, sink, stats, used: Rc::new(Cell::new(0)), element: None, line_base: 0 }
    }

    fn run<R: Read>(&mut self, reader: R, start: u64) {
        let total = Rc::new(Cell::new(0));
        let reader = Budgeted { inner: reader, used: self.used.clone(), total: total.clone() };
        // serde_json pulls bytes one at a time: buffer above the budget check so that it runs
        // once per block, not once per byte.
        let mut de = serde_json::Deserializer::from_reader(io::BufReader::new(reader));
        let result = de.deserialize_any(TopVisitor { doc: self }).and_then(|()| de.end());
        if let Err(e) = result {
            let at = match self.element {
                Some(index) => Locator::Element { index },
                None => Locator::Offset { offset: start },
            };
            let place = format!("line {}, column {}", e.line() as u64 + self.line_base, e.column());
            let reason = if self.element.is_some() {
                format!("invalid JSON in array element ({place}): {e}; reading stopped here")
            } else {
                format!("invalid JSON document ({place}): {e}; reading stopped here")
            };
            self.stats.errors += 1;
            self.sink.diagnostic(Diagnostic::error(self.file.clone(), at, reason));
        }
        self.stats.bytes += total.get();
    }

    fn emit(&mut self, value: &J, at: Locator) {
        emit(&self.file, self.sink, self.stats, value, at, None);
    }

    /// Streams the elements of an array.
    fn elements<'de, A: SeqAccess<'de>>(&mut self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0u64;
        loop {
            self.element = Some(index);
            self.used.set(0);
            match seq.next_element::<J>()? {
                Some(value) => self.emit(&value, Locator::Element { index }),
                None => break,
            }
            index += 1;
        }
        self.element = None;
        Ok(())
    }
}

struct TopVisitor<'d, 'a> {
    doc: &'d mut Document<'a>,
}

impl<'de> Visitor<'de> for TopVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array or object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.doc.elements(seq)
    }

    /// A single object, or a wrapper whose `records`/`Records` array holds the events.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut rest = serde_json::Map::new();
        let mut streamed = false;
        while let Some(key) = map.next_key::<String>()? {
            if key.eq_ignore_ascii_case("records") && !streamed {
                match map.next_value_seed(RecordsSeed { doc: self.doc })? {
                    Some(value) => {
                        rest.insert(key, value);
                    }
                    None => streamed = true,
                }
            } else {
                let value = map.next_value::<J>()?;
                rest.insert(key, value);
            }
        }
        if !streamed {
            let value = J::Object(rest);
            self.doc.emit(&value, Locator::Element { index: 0 });
        } else if !rest.is_empty() {
            let keys: Vec<&str> = rest.keys().map(String::as_str).collect();
            let reason = format!("top-level keys beside the records array not read as events: {}", keys.join(", "));
            self.doc.sink.diagnostic(Diagnostic::warning(self.doc.file.clone(), Locator::None, reason));
        }
        Ok(())
    }
}

/// The value of a `records` key: streamed when it is an array (returns `None`), kept otherwise.
struct RecordsSeed<'d, 'a> {
    doc: &'d mut Document<'a>,
}

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_, '_> {
    type Value = Option<J>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<J>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_, '_> {
    type Value = Option<J>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<J>, A::Error> {
        self.doc.elements(seq).map(|()| None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<J>, A::Error> {
        let v = J::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(Some(v))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Option<J>, E> {
        Ok(Some(J::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Option<J>, E> {
        Ok(Some(J::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Option<J>, E> {
        Ok(Some(J::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Option<J>, E> {
        Ok(Some(J::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Option<J>, E> {
        Ok(Some(J::from(v)))
    }
    fn visit_unit<E>(self) -> Result<Option<J>, E> {
        Ok(Some(J::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ww_core::{Severity, Value, VecSink};

    fn read(bytes: &[u8]) -> (VecSink, ReadStats) {
        let mut sink = VecSink::default();
        let stats = read_json(Arc::from("t.json"), bytes, &mut sink);
        let stats = stats.unwrap_or_else(|e| panic!("io error on a slice: {e}"));
        (sink, stats)
    }

    #[test]
    fn ndjson_bad_line_is_reported_and_reading_goes_on() {
        let input = b"\xEF\xBB\xBF{\"a\":1}\r\n\n{bad}\n{\"a\":3,\"timestamp\":\"2024-01-01T00:00:00Z\"}";
        let (sink, stats) = read(input);
        assert_eq!(stats, ReadStats { events: 2, errors: 1, bytes: input.len() as u64 });
        assert_eq!(sink.events[0].origin.at, Locator::Line { line: 1, offset: 3 });
        assert_eq!(sink.events[0].raw.as_deref(), Some("{\"a\":1}"));
        assert_eq!(sink.events[0].kind, SourceKind::Json);
        assert_eq!(sink.events[1].origin.at, Locator::Line { line: 4, offset: 19 });
        assert!(sink.events[1].time.is_some());
        assert_eq!(sink.diagnostics.len(), 1);
        let d = &sink.diagnostics[0];
        assert_eq!(d.at, Locator::Line { line: 3, offset: 13 });
        assert_eq!(d.severity, Severity::Error);
        assert!(d.reason.contains("invalid JSON"), "{}", d.reason);
    }

    #[test]
    fn array_is_streamed_with_element_locators() {
        let (sink, stats) = read(b"  [ {\"EventID\":4624,\"Channel\":\"Security\"},\n {\"x\":[1,2]}, 3 ]\n");
        assert_eq!((stats.events, stats.errors), (3, 0));
        assert_eq!(sink.events[1].origin.at, Locator::Element { index: 1 });
        assert_eq!(sink.events[0].fields.get("EventID"), Some(&Value::Int(4624)));
        assert_eq!(sink.events[2].fields.get("value"), Some(&Value::Int(3)));
        assert!(sink.events.iter().all(|e| e.raw.is_none()));
    }

    #[test]
    fn bad_array_element_stops_with_one_diagnostic() {
        let (sink, stats) = read(b"[{\"a\":1},\n{\"a\":}, {\"a\":3}]");
        assert_eq!((stats.events, stats.errors), (1, 1));
        let d = &sink.diagnostics[0];
        assert_eq!(d.at, Locator::Element { index: 1 });
        assert!(d.reason.contains("line 2") && d.reason.contains("stopped"), "{}", d.reason);
        let (sink, stats) = read(b"[{\"a\":1}");
        assert_eq!((stats.events, stats.errors, sink.diagnostics.len()), (1, 1, 1));
        let (sink, _) = read(b"[1] x");
        assert!(sink.diagnostics[0].reason.contains("trailing"), "{}", sink.diagnostics[0].reason);
    }

    #[test]
    fn pretty_object_and_records_wrapper() {
        let (sink, stats) = read(b"\n{\n  \"a\": {\"b\": 1},\n  \"c\": \"d\"\n}\n");
        assert_eq!((stats.events, stats.errors), (1, 0));
        assert_eq!(sink.events[0].fields.get("a.b"), Some(&Value::Int(1)));
        assert_eq!(stats.bytes, 33);
        let cloudtrail = b"{\"Records\": [\n {\"eventTime\":\"2024-01-01T00:00:00Z\",\"eventName\":\"ConsoleLogin\"},\n {\"eventName\":\"GetObject\"}\n], \"x\": 1}";
        let (sink, stats) = read(cloudtrail);
        assert_eq!((stats.events, stats.errors), (2, 0));
        assert_eq!(sink.events[1].fields.get_str("eventName"), Some("GetObject"));
        assert!(sink.events[0].time.is_some());
        assert_eq!(sink.diagnostics.len(), 1, "the ignored key is reported");
        assert!(sink.diagnostics[0].reason.contains('x'));
        let (sink, _) = read(b"{\"records\": 5}");
        assert_eq!(sink.events[0].fields.get("records"), Some(&Value::Int(5)));
    }

    #[test]
    fn overlong_line_is_skipped_not_buffered() {
        let mut input = Vec::with_capacity(MAX_LINE_BYTES + 64);
        input.extend_from_slice(b"{\"a\":\"");
        input.resize(MAX_LINE_BYTES + 10, b'x');
        input.extend_from_slice(b"\"}\n{\"ok\":true}\n");
        let (sink, stats) = read(&input);
        assert_eq!((stats.events, stats.errors), (1, 1));
        assert!(sink.diagnostics[0].reason.contains("longer than"));
        assert_eq!(sink.events[0].origin.at, Locator::Line { line: 2, offset: (MAX_LINE_BYTES + 13) as u64 });
    }

    #[test]
    fn invalid_utf8_is_reported_and_kept_lossy() {
        let (sink, stats) = read(b"{\"u\":\"a\xFFb\"}\n");
        assert_eq!((stats.events, stats.errors), (1, 0));
        assert_eq!(sink.diagnostics[0].severity, Severity::Warning);
        assert_eq!(sink.events[0].fields.get_str("u"), Some("a\u{FFFD}b"));
    }

    #[test]
    fn empty_and_blank_input() {
        for input in [&b""[..], b"\n\n  \r\n", b"\xEF\xBB\xBF"] {
            let (sink, stats) = read(input);
            assert_eq!((stats.events, stats.errors), (0, 0));
            assert!(sink.diagnostics.is_empty());
        }
    }

    #[test]
    fn evtx_dump_lines_get_sigma_names() {
        let line = br##"{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","TimeCreated":{"#attributes":{"SystemTime":"2024-01-01T00:00:00.1234567Z"}}},"EventData":{"Image":"C:\\a.exe","CommandLine":"a"}}}"##;
        let (sink, _) = read(line);
        let e = &sink.events[0];
        assert_eq!(e.fields.get_str("Image"), Some("C:\\a.exe"));
        assert_eq!(e.fields.get("EventID"), Some(&Value::Int(1)));
        assert!(e.time.is_some());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let (sink, stats) = read(&bytes);
            prop_assert_eq!(stats.events as usize, sink.events.len());
            prop_assert!(stats.errors as usize <= sink.diagnostics.len());
            // Document mode stops reading at the first error.
            prop_assert!(stats.bytes <= bytes.len() as u64);
        }

        #[test]
        fn one_diagnostic_per_invalid_line(lines in prop::collection::vec(
            prop_oneof![
                (any::<i64>(), "[a-z ]{0,8}").prop_map(|(n, s)| format!("{{\"n\":{n},\"s\":\"{s}\"}}")),
                "x[^\n]{0,20}".prop_map(|s| s),
            ], 1..20)) {
            let input = lines.join("\n");
            let (sink, stats) = read(input.as_bytes());
            let bad = lines.iter().filter(|l| l.starts_with('x')).count();
            prop_assert_eq!(stats.errors as usize, bad);
            prop_assert_eq!(stats.events as usize, lines.len() - bad);
            let errors = sink.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
            prop_assert_eq!(errors, bad);
        }
    }
}
