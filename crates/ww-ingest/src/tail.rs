//! Following log files for one source, durably.
//!
//! Each poll reads complete lines from where the last acknowledged batch ended and submits them
//! with a [`Checkpoint`] (`file:{source}:{path}` → `{dev, inode, offset, w3c_fields}`) inside the
//! batch; the position advances only once the batch is acknowledged, so the checkpoint is stored
//! with the events it covers and a restart neither loses nor repeats lines.
//!
//! - A last line without its newline waits for it (unless it grows past the line limit: then it
//!   is cut, counted as oversized and the rest of it skipped).
//! - Rotation by rename: the old file (still open) is read to its end, then the new file at the
//!   path is followed from its start. Copy-and-truncate: a file shorter than the position is read
//!   again from its start.
//! - W3C: `#Fields:`/`#Date:` directives are not records; they become the context carried by
//!   the following records (and are saved in the checkpoint).

use std::collections::HashMap;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::intake::{Checkpoint, Intake, RawRecord, SourceInfo};
use crate::stats::SourceStats;
use crate::{Shutdown, stopped};

/// Tailing settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TailOptions {
    /// How often files are checked for new lines and rotation.
    pub poll: Duration,
    /// Longest line kept, in bytes; longer ones are cut and counted (`oversized`).
    pub max_line: usize,
    /// Most records per batch.
    pub batch_records: usize,
    /// Most bytes read per batch.
    pub batch_bytes: usize,
}

impl Default for TailOptions {
    fn default() -> Self {
        TailOptions { poll: Duration::from_millis(250), max_line: 64 * 1024, batch_records: 5000, batch_bytes: 1 << 20 }
    }
}

/// The checkpoint key of `path` tailed for source `source_name`.
pub fn checkpoint_key(source_name: &str, path: &Path) -> String {
    format!("file:{source_name}:{}", path.display())
}

/// The saved position in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Saved {
    dev: u64,
    inode: u64,
    offset: u64,
    /// The W3C directives in force at `offset` (`#Date:` and `#Fields:` lines).
    w3c_fields: Option<String>,
    /// Inside an over-long line whose start was already submitted.
    #[serde(default)]
    skipping: bool,
}

/// W3C directive handling for a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Directives {
    /// Not W3C: `#` lines are records.
    None,
    /// `w3c`: every `#` line is a directive.
    All,
    /// `auto`: only the W3C directive names are.
    Known,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct W3cContext {
    date: Option<String>,
    fields: Option<String>,
    shared: Option<Arc<str>>,
}

impl W3cContext {
    fn from_saved(s: Option<&str>) -> Self {
        let mut c = W3cContext::default();
        for line in s.unwrap_or("").lines() {
            c.directive(line);
        }
        c
    }

    /// Updates the context from a directive line.
    fn directive(&mut self, line: &str) {
        let lower = line.get(..8).map(str::to_ascii_lowercase);
        match lower.as_deref() {
            Some("#fields:") => self.fields = Some(line.to_owned()),
            Some(p) if p.starts_with("#date:") => self.date = Some(line.to_owned()),
            _ => return,
        }
        let text: Vec<&str> = [self.date.as_deref(), self.fields.as_deref()].into_iter().flatten().collect();
        self.shared = Some(Arc::from(text.join("\n")));
    }

    fn text(&self) -> Option<String> {
        self.shared.as_deref().map(str::to_owned)
    }
}

struct OpenFile {
    file: Arc<std::fs::File>,
    dev: u64,
    ino: u64,
    offset: u64,
    skipping: bool,
    w3c: W3cContext,
}

struct TailFile {
    path: PathBuf,
    key: String,
    saved: Option<Saved>,
    open: Option<OpenFile>,
}

/// Why a poll stopped early.
enum Stop {
    /// Shutdown, or the intake is gone.
    Exit,
    /// Try again at the next poll (I/O error, batch not stored).
    Retry,
}

/// Follows a fixed list of files for one source.
pub struct Tailer {
    source: Arc<SourceInfo>,
    intake: Intake,
    stats: Arc<SourceStats>,
    opts: TailOptions,
    directives: Directives,
    files: Vec<TailFile>,
}

impl Tailer {
    /// `checkpoints`: the saved values by key (see [`checkpoint_key`]); keys of other files are
    /// ignored, and an unreadable value means starting that file from its beginning.
    pub fn new(
        source: Arc<SourceInfo>,
        paths: Vec<PathBuf>,
        intake: Intake,
        stats: Arc<SourceStats>,
        opts: TailOptions,
        checkpoints: HashMap<String, String>,
    ) -> Tailer {
        let directives = match source.format.as_str() {
            "w3c" => Directives::All,
            "auto" => Directives::Known,
            _ => Directives::None,
        };
        let files = paths
            .into_iter()
            .map(|path| {
                let key = checkpoint_key(&source.name, &path);
                let saved = checkpoints.get(&key).and_then(|v| match serde_json::from_str::<Saved>(v) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        tracing::warn!(source = %source.name, key, error = %e, "unreadable tail checkpoint: file read from its start");
                        None
                    }
                });
                TailFile { path, key, saved, open: None }
            })
            .collect();
        let opts = TailOptions { max_line: opts.max_line.max(1), batch_records: opts.batch_records.max(1), ..opts };
        Tailer { source, intake, stats, opts, directives, files }
    }

    /// Polls the files until shutdown (or until the intake closes).
    pub async fn run(mut self, mut shutdown: Shutdown) {
        loop {
            for i in 0..self.files.len() {
                if *shutdown.borrow() {
                    return;
                }
                if let Err(Stop::Exit) = self.poll_file(i, &shutdown).await {
                    return;
                }
            }
            tokio::select! {
                biased;
                () = stopped(&mut shutdown) => return,
                () = tokio::time::sleep(self.opts.poll) => {}
            }
        }
    }

    async fn poll_file(&mut self, i: usize, shutdown: &Shutdown) -> Result<(), Stop> {
        // Stat the path before draining the open file: what was written to the old file before
        // a rename is then read before switching.
        let path = self.files[i].path.clone();
        let at_path = blocking(move || std::fs::metadata(&path)).await.ok().map(|m| (m.dev(), m.ino()));
        if self.files[i].open.is_none() {
            if at_path.is_none() {
                return Ok(());
            }
            self.open(i).await?;
        }
        self.drain(i, shutdown).await?;
        let tf = &mut self.files[i];
        if let (Some(now), Some(open)) = (at_path, &tf.open)
            && now != (open.dev, open.ino)
        {
            tracing::info!(source = %self.source.name, path = %tf.path.display(), "file rotated: following the new file");
            tf.open = None;
            tf.saved = None;
            self.open(i).await?;
            self.drain(i, shutdown).await?;
        }
        Ok(())
    }

    async fn open(&mut self, i: usize) -> Result<(), Stop> {
        let tf = &mut self.files[i];
        let path = tf.path.clone();
        let opened = blocking(move || {
            let f = std::fs::File::open(&path)?;
            let m = f.metadata()?;
            Ok((f, m.dev(), m.ino()))
        })
        .await;
        let (file, dev, ino) = match opened {
            Ok(x) => x,
            Err(e) => {
                tracing::debug!(source = %self.source.name, path = %tf.path.display(), error = %e, "cannot open file yet");
                return Err(Stop::Retry);
            }
        };
        let (offset, w3c, skipping) = match tf.saved.take() {
            Some(s) if s.dev == dev && s.inode == ino => {
                (s.offset, W3cContext::from_saved(s.w3c_fields.as_deref()), s.skipping)
            }
            _ => (0, W3cContext::default(), false),
        };
        tf.open = Some(OpenFile { file: Arc::new(file), dev, ino, offset, skipping, w3c });
        Ok(())
    }

    /// Reads the open file to its end, batch by batch, each acknowledged before the next.
    async fn drain(&mut self, i: usize, shutdown: &Shutdown) -> Result<(), Stop> {
        let read_max = self.opts.batch_bytes.max(self.opts.max_line + 2) as u64;
        loop {
            if *shutdown.borrow() {
                return Err(Stop::Exit);
            }
            let tf = &mut self.files[i];
            let Some(open) = tf.open.as_mut() else { return Ok(()) };
            let file = open.file.clone();
            let offset = open.offset;
            let read = blocking(move || {
                let size = file.metadata()?.len();
                if size <= offset {
                    return Ok((size, Vec::new()));
                }
                let want = (size - offset).min(read_max) as usize;
                let mut buf = vec![0u8; want];
                let mut got = 0;
                while got < want {
                    let n = file.read_at(&mut buf[got..], offset + got as u64)?;
                    if n == 0 {
                        break;
                    }
                    got += n;
                }
                buf.truncate(got);
                Ok((size, buf))
            })
            .await;
            let (size, chunk) = match read {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(source = %self.source.name, path = %tf.path.display(), error = %e, "reading failed");
                    return Err(Stop::Retry);
                }
            };
            if size < offset {
                tracing::info!(source = %self.source.name, path = %tf.path.display(), "file truncated: reading it again from its start");
                open.offset = 0;
                open.skipping = false;
                open.w3c = W3cContext::default();
                continue;
            }
            if chunk.is_empty() {
                return Ok(());
            }
            let mut split = Split {
                max_line: self.opts.max_line,
                max_records: self.opts.batch_records,
                directives: self.directives,
                skipping: open.skipping,
                w3c: open.w3c.clone(),
                records: Vec::new(),
                bytes: 0,
                oversized: 0,
            };
            let consumed = split.run(&chunk);
            if consumed == 0 {
                return Ok(()); // only a partial line: wait for its newline
            }
            let new_offset = offset + consumed as u64;
            let (n, bytes) = (split.records.len(), split.bytes);
            let last = split.records.last().map(|r| r.received_at);
            if n > 0 {
                let saved = Saved {
                    dev: open.dev,
                    inode: open.ino,
                    offset: new_offset,
                    w3c_fields: split.w3c.text(),
                    skipping: split.skipping,
                };
                let value = serde_json::to_string(&saved).map_err(|_| Stop::Retry)?;
                let checkpoint = Checkpoint { key: tf.key.clone(), value };
                let ack = self.intake.submit(self.source.clone(), split.records, Some(checkpoint)).await;
                let ack = ack.map_err(|_| Stop::Exit)?;
                match ack.await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(source = %self.source.name, error = %e, "batch not stored: retrying at the next poll");
                        return Err(Stop::Retry);
                    }
                    Err(_) => return Err(Stop::Exit),
                }
                self.stats.accepted(n, bytes, last.unwrap_or_else(Utc::now));
            }
            self.stats.oversized.add(split.oversized);
            open.offset = new_offset;
            open.skipping = split.skipping;
            open.w3c = split.w3c;
        }
    }
}

/// Splits a chunk read at the current position into records.
struct Split {
    max_line: usize,
    max_records: usize,
    directives: Directives,
    skipping: bool,
    w3c: W3cContext,
    records: Vec<RawRecord>,
    bytes: usize,
    oversized: u64,
}

impl Split {
    /// Returns the bytes consumed: whole lines, plus an over-long partial line.
    fn run(&mut self, chunk: &[u8]) -> usize {
        let received_at = Utc::now();
        let mut pos = 0;
        while pos < chunk.len() && self.records.len() < self.max_records {
            let rest = &chunk[pos..];
            let Some(nl) = memchr::memchr(b'\n', rest) else {
                if self.skipping {
                    return chunk.len();
                }
                if rest.len() > self.max_line {
                    self.record(&rest[..self.max_line], received_at);
                    self.oversized += 1;
                    self.skipping = true;
                    return chunk.len();
                }
                return pos; // partial line: wait
            };
            let line = &rest[..nl];
            pos += nl + 1;
            if self.skipping {
                self.skipping = false;
                continue;
            }
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.len() > self.max_line {
                self.record(&line[..self.max_line], received_at);
                self.oversized += 1;
                continue;
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if self.is_directive(line) {
                self.w3c.directive(&String::from_utf8_lossy(line));
                continue;
            }
            self.record(line, received_at);
        }
        pos
    }

    fn is_directive(&self, line: &[u8]) -> bool {
        let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        match self.directives {
            Directives::None => false,
            Directives::All => line.first() == Some(&b'#'),
            Directives::Known => {
                ["#Fields:", "#Date:", "#Software:", "#Version:", "#Remark:", "#Start-Date:", "#End-Date:"]
                    .iter()
                    .any(|d| line.len() >= d.len() && line[..d.len()].eq_ignore_ascii_case(d.as_bytes()))
            }
        }
    }

    fn record(&mut self, line: &[u8], received_at: chrono::DateTime<Utc>) {
        self.bytes += line.len();
        self.records.push(RawRecord {
            received_at,
            bytes: line.to_vec(),
            peer: None,
            context: self.w3c.shared.clone(),
        });
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> std::io::Result<T> + Send + 'static) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(std::io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(directives: Directives, chunk: &[u8], max_line: usize) -> (Split, usize) {
        let mut s = Split {
            max_line,
            max_records: 100,
            directives,
            skipping: false,
            w3c: W3cContext::default(),
            records: Vec::new(),
            bytes: 0,
            oversized: 0,
        };
        let n = s.run(chunk);
        (s, n)
    }

    fn texts(s: &Split) -> Vec<String> {
        s.records.iter().map(|r| String::from_utf8_lossy(&r.bytes).into_owned()).collect()
    }

    #[test]
    fn partial_line_waits_and_crlf_blank_skipped() {
        let (s, n) = split(Directives::None, b"a\r\n\n  \nb\nparti", 100);
        assert_eq!(texts(&s), vec!["a", "b"]);
        assert_eq!(n, 9);
    }

    #[test]
    fn overlong_partial_line_is_cut_then_skipped() {
        let (s, n) = split(Directives::None, b"ok\n0123456789", 4);
        assert_eq!(texts(&s), vec!["ok", "0123"]);
        assert_eq!((n, s.skipping, s.oversized), (13, true, 1));
        let mut s2 = Split { skipping: true, records: Vec::new(), ..s };
        let n = s2.run(b"rest\nnext\n");
        assert_eq!((texts(&s2), n, s2.skipping), (vec!["next".to_owned()], 10, false));
    }

    #[test]
    fn w3c_directives_become_context() {
        let input = b"#Software: IIS\n#Date: 2024-01-01 00:00:00\n#Fields: time c-ip\n01:00:00 1.1.1.1\n#Fields: c-ip\n2.2.2.2\n";
        let (s, _) = split(Directives::All, input, 100);
        assert_eq!(texts(&s), vec!["01:00:00 1.1.1.1", "2.2.2.2"]);
        assert_eq!(s.records[0].context.as_deref(), Some("#Date: 2024-01-01 00:00:00\n#Fields: time c-ip"));
        assert_eq!(s.records[1].context.as_deref(), Some("#Date: 2024-01-01 00:00:00\n#Fields: c-ip"));
        // auto: only W3C directive names; syslog: none.
        let (s, _) = split(Directives::Known, b"#Fields: a\n# comment\n", 100);
        assert_eq!(texts(&s), vec!["# comment"]);
        let (s, _) = split(Directives::None, b"#Fields: a\n", 100);
        assert_eq!(texts(&s), vec!["#Fields: a"]);
        assert_eq!(W3cContext::from_saved(Some("#Fields: a")).shared.as_deref(), Some("#Fields: a"));
    }
}
