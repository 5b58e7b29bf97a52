//! The tailer against real files in a temporary directory.
#![allow(clippy::unwrap_used)] // test helpers: a failure here is a test failure

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{Received, pipeline, source, stats, wait_for};
use tokio::sync::watch;
use ww_ingest::Intake;
use ww_ingest::tail::{TailOptions, Tailer, checkpoint_key};
use ww_metrics::{Gauge, Registry};

struct Running {
    got: Arc<std::sync::Mutex<Received>>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    stats: Arc<ww_ingest::SourceStats>,
}

fn start(path: &Path, format: &str, checkpoints: HashMap<String, String>) -> Running {
    let (intake, rx) = Intake::new(8, Arc::new(Gauge::default()));
    let got = pipeline(rx);
    let reg = Registry::new();
    let src = source(format);
    let st = stats(&reg, &src);
    let opts = TailOptions { poll: Duration::from_millis(20), ..TailOptions::default() };
    let tailer = Tailer::new(src, vec![path.to_path_buf()], intake, st.clone(), opts, checkpoints);
    let (stop, sd) = watch::channel(false);
    let task = tokio::spawn(tailer.run(sd));
    Running { got, stop, task, stats: st }
}

impl Running {
    async fn stop(self) -> Received {
        self.stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(2), self.task).await.unwrap().unwrap();
        // Let the pipeline finish with what it has.
        tokio::time::sleep(Duration::from_millis(20)).await;
        std::mem::take(&mut *self.got.lock().unwrap())
    }

    async fn wait_texts(&self, want: &[&str]) {
        let got = self.got.clone();
        let n = want.len();
        wait_for(&format!("{n} records"), || got.lock().unwrap().records.len() >= n).await;
        tokio::time::sleep(Duration::from_millis(80)).await; // and no more
        assert_eq!(got.lock().unwrap().texts(), want);
    }
}

fn append(path: &Path, s: &str) {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    f.write_all(s.as_bytes()).unwrap();
}

#[tokio::test]
async fn resumes_from_checkpoint_without_duplicates_and_waits_for_partial_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    append(&path, "a\nb\nc\n");
    let run = start(&path, "syslog", HashMap::new());
    run.wait_texts(&["a", "b", "c"]).await;
    assert_eq!(run.stats.events.get(), 3);
    let first = run.stop().await;
    let key = checkpoint_key("src", &path);
    let saved: serde_json::Value = serde_json::from_str(&first.checkpoints[&key]).unwrap();
    assert_eq!(saved["offset"], 6);

    // Lines written while stopped, and a partial last line.
    append(&path, "d\ne\nf-part");
    let run = start(&path, "syslog", first.checkpoints.clone());
    run.wait_texts(&["d", "e"]).await;
    append(&path, "ial\n");
    run.wait_texts(&["d", "e", "f-partial"]).await;
    let second = run.stop().await;
    let saved: serde_json::Value = serde_json::from_str(&second.checkpoints[&key]).unwrap();
    assert_eq!(saved["offset"], 6 + 4 + 10);
}

#[tokio::test]
async fn rename_rotation_finishes_old_file_then_follows_new() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let rotated = dir.path().join("app.log.1");
    append(&path, "a\nb\n");
    let run = start(&path, "syslog", HashMap::new());
    run.wait_texts(&["a", "b"]).await;
    // The writer still has the old file open for a moment after the rename.
    let mut old = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    std::fs::rename(&path, &rotated).unwrap();
    old.write_all(b"c\n").unwrap();
    append(&path, "d\n");
    run.wait_texts(&["a", "b", "c", "d"]).await;
    append(&path, "e\n");
    run.wait_texts(&["a", "b", "c", "d", "e"]).await;
    let got = run.stop().await;
    let saved: serde_json::Value = serde_json::from_str(&got.checkpoints[&checkpoint_key("src", &path)]).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(saved["inode"], std::fs::metadata(&path).unwrap().ino());
    assert_eq!(saved["offset"], 4);
}

#[tokio::test]
async fn copytruncate_restarts_at_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    append(&path, "first line\nsecond line\n");
    let run = start(&path, "syslog", HashMap::new());
    run.wait_texts(&["first line", "second line"]).await;
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(0).unwrap();
    append(&path, "x\n");
    run.wait_texts(&["first line", "second line", "x"]).await;
    run.stop().await;
}

#[tokio::test]
async fn w3c_fields_travel_with_records_and_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u_ex.log");
    append(&path, "#Software: IIS\n#Fields: date time c-ip\n2024-01-01 00:00:00 10.0.0.1\n");
    let run = start(&path, "w3c", HashMap::new());
    run.wait_texts(&["2024-01-01 00:00:00 10.0.0.1"]).await;
    let first = run.stop().await;
    assert_eq!(first.records[0].context.as_deref(), Some("#Fields: date time c-ip"));
    // After a restart the context comes from the checkpoint.
    append(&path, "2024-01-01 00:00:01 10.0.0.2\n");
    let run = start(&path, "w3c", first.checkpoints);
    run.wait_texts(&["2024-01-01 00:00:01 10.0.0.2"]).await;
    let second = run.stop().await;
    assert_eq!(second.records[0].context.as_deref(), Some("#Fields: date time c-ip"));
    let ev = ww_parse::record::parse_record(
        ww_parse::record::RecordFormat::W3c,
        &second.records[0].bytes,
        second.records[0].received_at,
        second.records[0].context.as_deref(),
        "src",
    );
    assert_eq!(ev.error, None);
    assert_eq!(ev.event.fields.get_str("c-ip"), Some("10.0.0.2"));
}

#[tokio::test]
async fn missing_file_is_picked_up_when_it_appears() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("later.log");
    let run = start(&path, "syslog", HashMap::new());
    tokio::time::sleep(Duration::from_millis(60)).await;
    append(&path, "hello\n");
    run.wait_texts(&["hello"]).await;
    run.stop().await;
}
