//! Opening one input file: transparent gzip (with limits against decompression bombs) and
//! format sniffing from content, so a `.log` that is really EVTX or a `.txt` that is JSON lines
//! is read correctly.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;
use ww_parse::sniff::{Format, SNIFF_BYTES, is_gzip, sniff};

/// Limits on what one input file may expand to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest decompressed size of one gzip member stream.
    pub max_decompressed_bytes: u64,
    /// Largest ratio of decompressed to compressed bytes, checked once past `ratio_grace_bytes`.
    pub max_ratio: u64,
    pub ratio_grace_bytes: u64,
    /// Largest EVTX file (EVTX is read into memory whole so chunks can be parsed in parallel).
    pub max_evtx_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decompressed_bytes: 64 << 30,
            max_ratio: 200,
            ratio_grace_bytes: 64 << 20,
            max_evtx_bytes: 8 << 30,
        }
    }
}

/// An opened input, ready for its reader.
pub enum Opened {
    /// A whole EVTX file in memory.
    Evtx(Vec<u8>),
    /// A text or JSON stream positioned at its first byte.
    Stream(Format, Box<dyn BufRead + Send>),
    /// Content that matches no reader; the first bytes are kept for the message.
    Unknown(Vec<u8>),
}

/// Counts bytes read from the file itself (compressed bytes, for a gzip file): per file, for the
/// ratio limit, and across the hunt, for the progress bar.
struct CountingReader<R> {
    inner: R,
    file_bytes: Arc<AtomicU64>,
    total_bytes: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.file_bytes.fetch_add(n as u64, Ordering::Relaxed);
        self.total_bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Stops a decompressed stream that grows past the limits, with an error naming the limit.
struct BombGuard<R> {
    inner: R,
    compressed: Arc<AtomicU64>,
    produced: u64,
    limits: Limits,
}

impl<R: Read> Read for BombGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        if self.produced > self.limits.max_decompressed_bytes {
            return Err(io::Error::other(format!(
                "gzip stream expands past {} bytes (limit)",
                self.limits.max_decompressed_bytes
            )));
        }
        let compressed = self.compressed.load(Ordering::Relaxed).max(1);
        if self.produced > self.limits.ratio_grace_bytes && self.produced / compressed > self.limits.max_ratio {
            return Err(io::Error::other(format!(
                "gzip stream expands more than {}:1 (possible decompression bomb)",
                self.limits.max_ratio
            )));
        }
        Ok(n)
    }
}

/// Opens `path`, decompressing gzip if the content is gzip, and sniffs the format.
pub fn open(path: &Path, limits: Limits, total_bytes: Arc<AtomicU64>) -> io::Result<(Opened, bool)> {
    let file_bytes = Arc::new(AtomicU64::new(0));
    let raw = CountingReader { inner: File::open(path)?, file_bytes: file_bytes.clone(), total_bytes };
    let mut raw = BufReader::with_capacity(256 * 1024, raw);
    let gzip = is_gzip(raw.fill_buf()?);
    let mut reader: Box<dyn Read + Send> = if gzip {
        Box::new(BombGuard { inner: MultiGzDecoder::new(raw), compressed: file_bytes, produced: 0, limits })
    } else {
        Box::new(raw)
    };

    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut reader).take(SNIFF_BYTES as u64).read_to_end(&mut head)?;
    let opened = match sniff(&head) {
        Format::Evtx => {
            let mut data = head;
            let budget = limits.max_evtx_bytes.saturating_sub(data.len() as u64);
            reader.take(budget + 1).read_to_end(&mut data)?;
            if data.len() as u64 > limits.max_evtx_bytes {
                return Err(io::Error::other(format!("EVTX file larger than {} bytes (limit)", limits.max_evtx_bytes)));
            }
            Opened::Evtx(data)
        }
        Format::Unknown => Opened::Unknown(head),
        format => {
            let stream = Cursor::new(head).chain(reader);
            Opened::Stream(format, Box::new(BufReader::with_capacity(256 * 1024, stream)))
        }
    };
    Ok((opened, gzip))
}

/// A short, printable preview of unrecognised content for the diagnostic.
pub fn preview(head: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(&head[..head.len().min(40)])
        .chars()
        .map(|c| if c.is_control() { '.' } else { c })
        .collect();
    if head.is_empty() { "empty file".into() } else { format!("starts with \"{text}\"") }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn read_stream(opened: Opened) -> (Format, String) {
        match opened {
            Opened::Stream(f, mut r) => {
                let mut s = String::new();
                r.read_to_string(&mut s).unwrap();
                (f, s)
            }
            _ => panic!("expected a stream"),
        }
    }

    #[test]
    fn gzip_is_read_transparently_and_sniffed_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let body = "{\"a\":1}\n{\"a\":2}\n";
        let p = dir.path().join("weird-name.bin");
        std::fs::write(&p, gz(body.as_bytes())).unwrap();
        let (opened, was_gz) = open(&p, Limits::default(), Arc::default()).unwrap();
        assert!(was_gz);
        let (format, text) = read_stream(opened);
        assert_eq!(format, Format::Json);
        assert_eq!(text, body);
    }

    #[test]
    fn gzip_bomb_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bomb.gz");
        let mut data = b"{\"a\":1}\n".to_vec();
        data.resize(8 << 20, b' ');
        std::fs::write(&p, gz(&data)).unwrap();
        let limits = Limits { ratio_grace_bytes: 1 << 20, max_ratio: 50, ..Limits::default() };
        let (opened, _) = open(&p, limits, Arc::default()).unwrap();
        let Opened::Stream(_, mut r) = opened else { panic!("expected a stream") };
        let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
        assert!(err.to_string().contains("decompression bomb"), "{err}");
    }

    #[test]
    fn truncated_gzip_reports_an_error_after_the_good_part() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cut.gz");
        let body: String = (0..2000).map(|i| format!("{{\"n\":{i}}}\n")).collect();
        let z = gz(body.as_bytes());
        std::fs::write(&p, &z[..z.len() / 2]).unwrap();
        let (opened, _) = open(&p, Limits::default(), Arc::default()).unwrap();
        let Opened::Stream(_, mut r) = opened else { panic!("expected a stream") };
        let mut out = Vec::new();
        assert!(r.read_to_end(&mut out).is_err());
    }

    #[test]
    fn unknown_content_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, [0u8, 1, 2, 3, 255, 254]).unwrap();
        let (opened, _) = open(&p, Limits::default(), Arc::default()).unwrap();
        let Opened::Unknown(head) = opened else { panic!("expected unknown") };
        assert!(preview(&head).starts_with("starts with"));
        assert_eq!(preview(&[]), "empty file");
    }
}
