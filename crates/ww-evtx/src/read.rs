//! The reader: one EVTX file in memory → events and diagnostics.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use evtx::{EvtxParser, ParserSettings, SerializedEvtxRecord};
use ww_core::{Diagnostic, Event, EventSink, Fields, Locator, SourceKind, Value};
use ww_parse::ReadStats;
use ww_parse::winjson;

use crate::locate;

/// Reads every record of the EVTX file held in `data` (chunks parsed on `threads` threads, `0`
/// = as many as the machine has) and hands events and diagnostics to `sink`. Only the file's
/// live records are read, as `evtx_dump` and Windows show them.
pub fn read_evtx(file: Arc<str>, data: Vec<u8>, threads: usize, sink: &mut dyn EventSink) -> ReadStats {
    read_evtx_with(file, data, threads, false, sink)
}

/// [`read_evtx`], choosing whether records carved from slack space (cleared chunks, deleted
/// records) are read too. Carved records are handed over after the live ones, only when no live
/// record has the same record id (slack often holds stale copies of live records), and carry the
/// field `Recovered: true`.
pub fn read_evtx_with(
    file: Arc<str>,
    data: Vec<u8>,
    threads: usize,
    recover: bool,
    sink: &mut dyn EventSink,
) -> ReadStats {
    let mut stats = ReadStats { bytes: data.len() as u64, ..ReadStats::default() };
    let (data, cut_record) = pad_partial_chunk(&file, data, sink);
    let parser = match EvtxParser::from_buffer(data) {
        Ok(p) => p,
        Err(e) => {
            stats.errors += 1;
            sink.diagnostic(Diagnostic::error(
                file,
                Locator::Offset { offset: 0 },
                format!("not a readable EVTX file: {}", locate::reason(&e)),
            ));
            return stats;
        }
    };
    // The evtx crate parses chunks with `rayon::spawn` and then blocks on a channel for them.
    // Inside a rayon worker that spawn lands on the caller's own pool, and when every worker of
    // that pool is blocked so, nothing runs the chunks: a deadlock. From a rayon worker, parse
    // on this thread; from any other thread the chunks go to rayon's global pool.
    let threads = if rayon::current_thread_index().is_some() { 1 } else { threads };
    let settings = ParserSettings::new()
        .num_threads(threads)
        .validate_checksums(false)
        .separate_json_attributes(false)
        .indent(false)
        .recover_records(recover);
    let mut parser = parser.with_configuration(settings);
    let mut last_record = None;
    let mut live_ids = std::collections::HashSet::new();
    let mut carved = Vec::new();
    // The evtx crate has guards of its own, but hostile input must not take the hunt down.
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        for record in parser.records_json_value() {
            match record {
                Ok(record) if record.recovered => carved.push(record),
                Ok(record) => {
                    if cut_record == Some(record.event_record_id) {
                        sink.diagnostic(Diagnostic::warning(
                            file.clone(),
                            Locator::Record { record_id: record.event_record_id },
                            "record cut by the end of the file: values past the cut are missing",
                        ));
                    }
                    last_record = Some(record.event_record_id);
                    live_ids.insert(record.event_record_id);
                    emit(&file, sink, &mut stats, record);
                }
                Err(e) => {
                    stats.errors += 1;
                    sink.diagnostic(Diagnostic::error(file.clone(), locate::locator(&e), locate::reason(&e)));
                }
            }
        }
    }));
    for record in carved {
        if !live_ids.contains(&record.event_record_id) {
            emit(&file, sink, &mut stats, record);
        }
    }
    if let Err(panic) = outcome {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        let at = match last_record {
            Some(record_id) => Locator::Record { record_id },
            None => Locator::None,
        };
        stats.errors += 1;
        sink.diagnostic(Diagnostic::error(
            file,
            at,
            format!("the EVTX parser failed ({what}); the rest of this file was not read"),
        ));
    }
    stats
}

/// The evtx crate silently ignores a partial chunk at the end of a file (a truncated copy, a
/// file still being written). Padding it with zeros to a whole chunk lets the records it does
/// hold be read; the ones cut off become record diagnostics.
/// Also returns the id of the record cut by the end of the data, if one is: its values past the
/// cut render as empty, so the caller warns about it.
fn pad_partial_chunk(file: &Arc<str>, mut data: Vec<u8>, sink: &mut dyn EventSink) -> (Vec<u8>, Option<u64>) {
    let header = locate::FILE_HEADER as usize;
    let chunk = locate::CHUNK as usize;
    if data.len() <= header || !data.starts_with(b"ElfFile\0") {
        return (data, None);
    }
    let partial = (data.len() - header) % chunk;
    let mut cut = None;
    if partial != 0 {
        cut = cut_record(&data[data.len() - partial..]);
        sink.diagnostic(Diagnostic::warning(
            file.clone(),
            Locator::Offset { offset: (data.len() - partial) as u64 },
            format!(
                "file ends inside a chunk ({partial} of {chunk} bytes; truncated copy?): \
                 reading the records it holds"
            ),
        ));
        data.resize(data.len() + chunk - partial, 0);
    }
    (data, cut)
}

/// Walks the record headers of a partial chunk (magic `**\0\0`, size, record id, from byte
/// 512) and returns the id of the record that runs past its end.
fn cut_record(chunk: &[u8]) -> Option<u64> {
    let mut at = 512usize;
    loop {
        let head = chunk.get(at..at.checked_add(16)?)?;
        if head[..4] != *b"**\0\0" {
            return None;
        }
        let size = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let id = u64::from_le_bytes([head[8], head[9], head[10], head[11], head[12], head[13], head[14], head[15]]);
        if size < 24 {
            return None;
        }
        match at.checked_add(size) {
            Some(end) if end <= chunk.len() => at = end,
            _ => return Some(id),
        }
    }
}

fn emit(
    file: &Arc<str>,
    sink: &mut dyn EventSink,
    stats: &mut ReadStats,
    record: SerializedEvtxRecord<serde_json::Value>,
) {
    let at = Locator::Record { record_id: record.event_record_id };
    let mut event = Event::new(SourceKind::Evtx, file.clone(), at);
    event.fields = Fields::with_capacity(40);
    let time = match winjson::flatten_evtx_json(&record.data, &mut event.fields) {
        Ok(time) => time,
        Err(reason) if record.recovered => {
            sink.diagnostic(Diagnostic::warning(
                file.clone(),
                at,
                format!("carved record is not a whole event ({reason}): skipped"),
            ));
            return;
        }
        Err(reason) => {
            sink.diagnostic(Diagnostic::warning(
                file.clone(),
                at,
                format!("record has an unexpected layout ({reason}): flattened as generic JSON"),
            ));
            winjson::flatten_generic(&record.data, &mut event.fields).0
        }
    };
    // The record header's time, when the XML has none (or none that parses).
    event.time = time.or_else(|| {
        let ts = record.timestamp;
        chrono::DateTime::from_timestamp(ts.as_second(), ts.subsec_nanosecond().max(0) as u32)
    });
    if record.recovered {
        event.fields.push("Recovered", Value::Bool(true));
    }
    stats.events += 1;
    sink.event(event);
}
