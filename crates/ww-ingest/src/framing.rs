//! RFC 6587 syslog-over-TCP framing, detected per message.
//!
//! - Octet counting: `<len> <msg>` where `len` is 1–10 digits counting the bytes of `msg`, and
//!   `msg` starts with `<` (a PRI). Requiring the `<` keeps a non-transparent message that
//!   starts with a number (`2024-01-01 ...`, `404 ...`) from being misread as a count.
//! - Non-transparent framing: the message ends at LF or NUL; a CR before it is dropped.
//!
//! Empty messages (blank lines, repeated terminators) are skipped. A message longer than the
//! maximum is cut: its first `max` bytes become a record marked `truncated`, the rest is
//! discarded without being buffered, and framing resumes with the next message.

/// One framed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub bytes: Vec<u8>,
    /// The message was longer than the maximum and was cut.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Between messages; `head` holds the bytes read of the next one while undecided.
    Start,
    /// Octet counting: bytes of the message still to read.
    Counted { remaining: u64 },
    /// Octet counting, past the maximum: bytes still to discard.
    SkipCounted { remaining: u64 },
    /// Non-transparent framing, collecting.
    Line,
    /// Non-transparent framing, past the maximum: discarding to the terminator.
    SkipLine,
}

/// Incremental framer: feed it bytes as they arrive, in pieces of any size.
#[derive(Debug, Clone)]
pub struct Framer {
    max: usize,
    state: State,
    buf: Vec<u8>,
}

/// Longest count accepted (digits) for octet counting.
const MAX_DIGITS: usize = 10;

impl Framer {
    /// `max`: longest message kept, in bytes (at least 1).
    pub fn new(max: usize) -> Self {
        Framer { max: max.max(1), state: State::Start, buf: Vec::new() }
    }

    /// Whether part of a message has been read (used for the slow-sender timeout).
    pub fn has_partial(&self) -> bool {
        self.state != State::Start || !self.buf.is_empty()
    }

    /// Frames `data`, appending complete messages to `out`.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<Frame>) {
        while !data.is_empty() {
            match self.state {
                State::Start => {
                    let b = data[0];
                    data = &data[1..];
                    self.start_byte(b, out);
                }
                State::Counted { remaining } => {
                    let take = (remaining.min(data.len() as u64)) as usize;
                    let room = self.max.saturating_sub(self.buf.len());
                    self.buf.extend_from_slice(&data[..take.min(room)]);
                    data = &data[take..];
                    let remaining = remaining - take as u64;
                    if remaining == 0 {
                        out.push(Frame { bytes: std::mem::take(&mut self.buf), truncated: take > room });
                        self.state = State::Start;
                    } else if self.buf.len() >= self.max {
                        out.push(Frame { bytes: std::mem::take(&mut self.buf), truncated: true });
                        self.state = State::SkipCounted { remaining };
                    } else {
                        self.state = State::Counted { remaining };
                    }
                }
                State::SkipCounted { remaining } => {
                    let take = remaining.min(data.len() as u64);
                    data = &data[take as usize..];
                    let remaining = remaining - take;
                    self.state = if remaining == 0 { State::Start } else { State::SkipCounted { remaining } };
                }
                State::Line => match memchr::memchr2(b'\n', 0, data) {
                    Some(i) => {
                        self.line_bytes(&data[..i], out);
                        data = &data[i + 1..];
                        if self.state == State::Line {
                            self.emit_line(out);
                        }
                        self.state = State::Start;
                    }
                    None => {
                        self.line_bytes(data, out);
                        data = &[];
                    }
                },
                State::SkipLine => match memchr::memchr2(b'\n', 0, data) {
                    Some(i) => {
                        data = &data[i + 1..];
                        self.state = State::Start;
                    }
                    None => data = &[],
                },
            }
        }
    }

    /// The peer closed: a final non-transparent message without its terminator is kept; an
    /// unfinished octet-counted message is returned cut (`truncated`).
    pub fn finish(&mut self, out: &mut Vec<Frame>) {
        match std::mem::replace(&mut self.state, State::Start) {
            State::Start | State::Line => self.emit_line(out),
            State::Counted { .. } => {
                if !self.buf.is_empty() {
                    out.push(Frame { bytes: std::mem::take(&mut self.buf), truncated: true });
                }
            }
            State::SkipCounted { .. } | State::SkipLine => {}
        }
        self.buf.clear();
    }

    /// Decides, byte by byte, how the next message is framed.
    fn start_byte(&mut self, b: u8, out: &mut Vec<Frame>) {
        let head = &self.buf;
        let digits = head.iter().take_while(|c| c.is_ascii_digit()).count();
        if head.is_empty() && matches!(b, b'\n' | 0 | b'\r') {
            return; // empty frame
        }
        if digits == head.len() && b.is_ascii_digit() && digits < MAX_DIGITS {
            self.buf.push(b);
            return;
        }
        if digits == head.len() && digits > 0 && b == b' ' {
            self.buf.push(b);
            return;
        }
        if digits > 0 && digits + 1 == head.len() && b == b'<' {
            let count = std::str::from_utf8(&head[..digits]).ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
            if count > 0 {
                self.buf.clear();
                self.state = State::Counted { remaining: count };
                self.push(b"<", out);
                return;
            }
        }
        // Not octet counting: everything so far starts a non-transparent message.
        self.state = State::Line;
        if b == b'\n' || b == 0 {
            self.emit_line(out);
            self.state = State::Start;
        } else {
            self.line_bytes(&[b], out);
        }
    }

    /// Adds bytes of a non-transparent message, cutting it at the maximum.
    fn line_bytes(&mut self, data: &[u8], out: &mut Vec<Frame>) {
        if self.state != State::Line {
            return;
        }
        let room = self.max.saturating_sub(self.buf.len());
        if data.len() <= room {
            self.buf.extend_from_slice(data);
            return;
        }
        // A CR just past the limit would be stripped anyway: the message still fits.
        if data.len() == room + 1 && data[room] == b'\r' {
            self.buf.extend_from_slice(data);
            return;
        }
        self.buf.extend_from_slice(&data[..room]);
        let mut bytes = std::mem::take(&mut self.buf);
        if bytes.len() > self.max {
            bytes.truncate(self.max);
        }
        out.push(Frame { bytes, truncated: true });
        self.state = State::SkipLine;
    }

    fn emit_line(&mut self, out: &mut Vec<Frame>) {
        let mut bytes = std::mem::take(&mut self.buf);
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        if bytes.len() > self.max {
            out.push(Frame { bytes: bytes[..self.max].to_vec(), truncated: true });
        } else if !bytes.iter().all(|b| matches!(b, b'\r' | b' ' | b'\t')) {
            out.push(Frame { bytes, truncated: false });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame_all(max: usize, pieces: &[&[u8]]) -> Vec<Frame> {
        let mut f = Framer::new(max);
        let mut out = Vec::new();
        for p in pieces {
            f.push(p, &mut out);
        }
        f.finish(&mut out);
        out
    }

    fn texts(frames: &[Frame]) -> Vec<String> {
        frames.iter().map(|f| String::from_utf8_lossy(&f.bytes).into_owned()).collect()
    }

    #[test]
    fn mixed_framing_split_anywhere() {
        let input = b"<13>a b\r\n9 <13>x\ny\nz\n\n\0<14>c\x0011 <13>no term";
        let want = vec!["<13>a b", "<13>x\ny\nz", "<14>c", "<13>no term"];
        for split in 0..input.len() {
            let out = frame_all(1024, &[&input[..split], &input[split..]]);
            assert_eq!(texts(&out), want, "split at {split}");
        }
        let bytewise: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(texts(&frame_all(1024, &bytewise)), want);
    }

    #[test]
    fn numbers_that_are_not_counts() {
        let out = frame_all(100, &[b"2024-01-01 host app: m\n404 not found\n12 x\n"]);
        assert_eq!(texts(&out), vec!["2024-01-01 host app: m", "404 not found", "12 x"]);
    }

    #[test]
    fn oversized_is_cut_and_framing_resumes() {
        let out = frame_all(5, &[b"abcdefghij\nok\n", b"20 <1234567890123456789", b"<1>x\n"]);
        assert_eq!(texts(&out), vec!["abcde", "ok", "<1234", "<1>x"]);
        assert_eq!(out.iter().map(|f| f.truncated).collect::<Vec<_>>(), vec![true, false, true, false]);
        // Octet-counted and cut.
        let out = frame_all(5, &[b"9 <1>abcdef<2>ok\n"]);
        assert_eq!(texts(&out), vec!["<1>ab", "<2>ok"]);
        assert!(out[0].truncated);
    }

    #[test]
    fn exact_limit_with_crlf_fits() {
        let out = frame_all(3, &[b"abc\r\nabcd\n"]);
        assert_eq!(texts(&out), vec!["abc", "abc"]);
        assert_eq!(out.iter().map(|f| f.truncated).collect::<Vec<_>>(), vec![false, true]);
    }

    #[test]
    fn unfinished_counted_message_at_eof_is_marked() {
        let out = frame_all(100, &[b"10 <1>ab"]);
        assert_eq!(texts(&out), vec!["<1>ab"]);
        assert!(out[0].truncated);
        let mut f = Framer::new(10);
        let mut out = Vec::new();
        f.push(b"12", &mut out);
        assert!(f.has_partial());
        f.push(b"3\n", &mut out);
        assert!(!f.has_partial());
        assert_eq!(texts(&out), vec!["123"]);
    }

    fn message() -> impl Strategy<Value = (bool, Vec<u8>)> {
        prop_oneof![
            // Octet counted: any bytes after the PRI, newlines and NULs included.
            prop::collection::vec(any::<u8>(), 0..60).prop_map(|mut v| {
                let mut m = b"<13>".to_vec();
                m.append(&mut v);
                (true, m)
            }),
            // Non-transparent: no terminators, not ending in CR, not all blank, not a count.
            "[a-zA-Z<][ -~]{0,60}[!-~]".prop_map(|s| (false, s.into_bytes())),
        ]
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), max in 1usize..50, cut in 0usize..400) {
            let cut = cut.min(bytes.len());
            let out = frame_all(max, &[&bytes[..cut], &bytes[cut..]]);
            for f in &out {
                prop_assert!(f.bytes.len() <= max);
                prop_assert!(!f.bytes.is_empty());
            }
        }

        #[test]
        fn concatenated_messages_reframe_exactly(msgs in prop::collection::vec(message(), 0..12), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6), lf in any::<bool>()) {
            let mut wire = Vec::new();
            for (counted, m) in &msgs {
                if *counted {
                    wire.extend_from_slice(format!("{} ", m.len()).as_bytes());
                    wire.extend_from_slice(m);
                } else {
                    wire.extend_from_slice(m);
                    wire.extend_from_slice(if lf { b"\n" } else { b"\0" });
                }
            }
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(wire.len() + 1)).collect();
            points.sort_unstable();
            let mut pieces = Vec::new();
            let mut prev = 0;
            for p in points {
                pieces.push(&wire[prev..p]);
                prev = p;
            }
            pieces.push(&wire[prev..]);
            let out = frame_all(1000, &pieces);
            let got: Vec<Vec<u8>> = out.into_iter().map(|f| f.bytes).collect();
            let want: Vec<Vec<u8>> = msgs.into_iter().map(|(_, m)| m).collect();
            prop_assert_eq!(got, want);
        }
    }
}
