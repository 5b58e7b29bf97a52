//! The reader over the evtx-dev corpus (skipped when absent) and over damaged copies of one of
//! its files, made in memory at test time.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ww_core::{Event, Locator, Severity, SourceKind, Value, VecSink};

/// The EVTX development corpus; a missing folder makes the corpus tests skip.
fn corpus_dir() -> PathBuf {
    ww_core::corpora::dir("evtx-dev").unwrap_or_else(|| PathBuf::from("absent: shared/corpora/evtx-dev"))
}

fn evtx_files(dir: &Path) -> Vec<PathBuf> {
    ww_core::corpora::files_with_extension(dir, "evtx")
}

fn read(name: &str, data: Vec<u8>, threads: usize) -> (VecSink, ww_evtx::ReadStats) {
    let mut sink = VecSink::default();
    let stats = ww_evtx::read_evtx(Arc::from(name), data, threads, &mut sink);
    (sink, stats)
}

/// A multi-chunk corpus file, or `None` (with the reason printed) when the corpus is absent.
fn sample() -> Option<Vec<u8>> {
    let p = corpus_dir()
        .join("EVTX-to-MITRE-Attack/TA0002-Execution/T1569.002-Service execution")
        .join("ID7000,7009,7045-Payload deployed via service - Tchopper.evtx");
    match std::fs::read(&p) {
        Ok(d) => Some(d),
        Err(e) => {
            eprintln!("skipped: {} unreadable ({e})", p.display());
            None
        }
    }
}

fn field<'a>(e: &'a Event, name: &str) -> Option<&'a Value> {
    e.fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
}

#[test]
fn whole_corpus_reads_and_counts_match_the_evtx_crate() {
    let dir = corpus_dir();
    let files = evtx_files(&dir);
    if files.is_empty() {
        eprintln!("skipped: no corpus at {}", dir.display());
        return;
    }
    let (mut ours, mut theirs, mut errors) = (0u64, 0u64, 0u64);
    let mut seen = std::collections::HashSet::new();
    for path in &files {
        let data = std::fs::read(path).unwrap_or_default();
        let name = path.to_string_lossy();
        let mut parser = match evtx::EvtxParser::from_buffer(data.clone()) {
            Ok(p) => p,
            Err(e) => panic!("{name}: evtx crate cannot open it: {e}"),
        };
        let expected = parser.records_json_value().filter(Result::is_ok).count() as u64;
        let (sink, stats) = read(&name, data, 2);
        assert_eq!(stats.events, expected, "{name}");
        assert_eq!(stats.events as usize, sink.events.len());
        ours += stats.events;
        theirs += expected;
        errors += stats.errors;
        for e in &sink.events {
            assert_eq!(e.kind, SourceKind::Evtx);
            assert!(e.time.is_some(), "{name}: record without time");
            assert!(matches!(e.origin.at, Locator::Record { .. }));
            assert!(e.raw.is_none());
            let channel = e.fields.get_str("Channel").unwrap_or_default().to_owned();
            if let Some(Value::Int(id)) = field(e, "EventID") {
                seen.insert((channel, *id));
                check_known(e, *id);
            } else {
                panic!("{name}: record without an integer EventID: {:?}", e.fields);
            }
        }
    }
    eprintln!("{} files, {ours} records, {errors} errors", files.len());
    assert_eq!(ours, theirs);
    for must in [
        ("Microsoft-Windows-Sysmon/Operational", 1),
        ("Security", 4624),
        ("System", 7045),
        ("Microsoft-Windows-PowerShell/Operational", 4104),
        ("Windows PowerShell", 800),
    ] {
        assert!(seen.contains(&(must.0.to_owned(), must.1)), "corpus has no {must:?}");
    }
}

/// Fields Sigma rules rely on, for the event types they are most written against.
fn check_known(e: &Event, id: i64) {
    let channel = e.fields.get_str("Channel").unwrap_or_default();
    let has = |names: &[&str]| {
        for n in names {
            assert!(field(e, n).is_some(), "{channel} {id} lacks {n}: {:?}", e.fields);
        }
    };
    has(&["Provider_Name", "Computer", "EventRecordID", "TimeCreated"]);
    match (channel, id) {
        ("Microsoft-Windows-Sysmon/Operational", 1) => has(&["Image", "CommandLine", "ParentImage", "User", "Hashes"]),
        ("Security", 4624) => {
            has(&["TargetUserName", "LogonType", "IpAddress"]);
            assert!(field(e, "LogonType").and_then(Value::as_i64).is_some());
        }
        ("Security", 4688) => has(&["NewProcessName", "CommandLine"]),
        ("System", 7045) => has(&["ServiceName", "ImagePath"]),
        ("Microsoft-Windows-PowerShell/Operational", 4104) => has(&["ScriptBlockText"]),
        ("Windows PowerShell", 400 | 800) => {
            let data = field(e, "Data");
            assert!(
                matches!(data, Some(Value::List(items)) if items.iter().any(|v| v.as_str().is_some_and(|s| s.contains("SequenceNumber=")))),
                "{id}: Data {data:?}"
            );
        }
        _ => {}
    }
}

#[test]
fn threads_do_not_change_the_output() {
    let Some(data) = sample() else { return };
    let (one, s1) = read("s", data.clone(), 1);
    let (two, s2) = read("s", data, 2);
    assert_eq!(s1, s2);
    assert!(s1.events > 100);
    assert_eq!(one.events, two.events);
}

#[test]
fn truncated_file_keeps_what_it_holds() {
    let Some(data) = sample() else { return };
    let (whole, _) = read("w", data.clone(), 1);
    // Cut in the middle of the third chunk.
    let cut = 4096 + 2 * 65536 + 20_000;
    let (sink, stats) = read("w", data[..cut].to_vec(), 1);
    assert!(stats.events > 0 && stats.events < whole.events.len() as u64, "{stats:?}");
    // Same records, same order; the one cut by the end is reported.
    let n = sink.events.len();
    for (i, (a, b)) in sink.events[..n - 1].iter().zip(&whole.events).enumerate() {
        assert_eq!(a, b, "record {i} differs");
    }
    let cut_at = sink.diagnostics.iter().find(|d| d.reason.contains("record cut")).map(|d| d.at);
    assert_eq!(cut_at, Some(sink.events[n - 1].origin.at), "{:?}", sink.diagnostics);
    let warn = sink.diagnostics.iter().find(|d| d.reason.contains("ends inside a chunk"));
    assert_eq!(warn.map(|d| d.at), Some(Locator::Offset { offset: 4096 + 2 * 65536 }), "{:?}", sink.diagnostics);
    // More than the first two whole chunks: the partial chunk's records were read.
    let (two_chunks, _) = read("t2", data[..4096 + 2 * 65536].to_vec(), 1);
    assert!(sink.events.len() > two_chunks.events.len());
}

#[test]
fn damaged_chunk_is_reported_and_the_others_read() {
    let Some(mut data) = sample() else { return };
    let (whole, _) = read("w", data.clone(), 1);
    // Break the magic of chunk 1.
    let at = 4096 + 65536;
    data[at..at + 8].copy_from_slice(b"Garbage!");
    let (sink, stats) = read("c", data, 2);
    assert_eq!(stats.errors, 1, "{:?}", sink.diagnostics);
    let d = &sink.diagnostics[0];
    assert_eq!((d.at, d.severity), (Locator::Chunk { chunk: 1 }, Severity::Error));
    assert!(d.reason.contains("chunk"), "{}", d.reason);
    assert!(stats.events > 0 && (stats.events as usize) < whole.events.len());
}

#[test]
fn not_an_evtx_file() {
    for (name, data) in [("empty", Vec::new()), ("text", b"hello world".repeat(1000))] {
        let (sink, stats) = read(name, data.clone(), 1);
        assert_eq!((stats.events, stats.errors, stats.bytes), (0, 1, data.len() as u64));
        assert_eq!(sink.diagnostics[0].at, Locator::Offset { offset: 0 });
        assert!(sink.diagnostics[0].reason.contains("not a readable EVTX file"));
    }
    let Some(data) = sample() else { return };
    // A header and nothing else: no records, no panic.
    let (sink, stats) = read("h", data[..4096].to_vec(), 1);
    assert_eq!(stats.events, 0, "{:?}", sink.diagnostics);
}

#[test]
fn carving_is_opt_in_and_marked() {
    let Some(data) = sample() else { return };
    let mut sink = VecSink::default();
    let with = ww_evtx::read_evtx_with(Arc::from("r"), data.clone(), 1, true, &mut sink);
    let (_, without) = read("r", data, 1);
    assert!(with.events >= without.events);
    let carved = sink.events.iter().filter(|e| field(e, "Recovered") == Some(&Value::Bool(true)));
    assert_eq!(carved.count() as u64, with.events - without.events);
}

mod fuzzish {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
        /// Random damage to a real file never panics and every event still has a record locator.
        #[test]
        fn damaged_copies_never_panic(
            edits in prop::collection::vec((0usize..300_000, any::<u8>()), 1..64),
            cut in prop::option::of(4000usize..300_000),
        ) {
            let Some(mut data) = sample() else { return Ok(()) };
            for (at, b) in edits {
                if let Some(x) = data.get_mut(at) { *x = b; }
            }
            if let Some(cut) = cut { data.truncate(cut); }
            let (sink, stats) = read("f", data, 2);
            prop_assert_eq!(stats.events as usize, sink.events.len());
            let located = sink.events.iter().all(|e| matches!(e.origin.at, Locator::Record { .. }));
            prop_assert!(located);
        }
    }
}
