//! Format detection from content, never from file names: logs collected after an incident are
//! renamed, rotated (`.1`, `.gz`) and copied off machines with whatever name was handy.

use crate::access::parse_access_line;
use crate::lines::LineFormat;
use crate::syslog::{SyslogContext, parse_syslog_line};
use crate::w3c::{W3cLine, W3cParser};
use ww_core::SourceKind;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Evtx,
    Json,
    Syslog,
    AccessLog,
    W3c,
    Unknown,
}

impl Format {
    /// The line reader for this format, when it is line-based.
    pub fn line_format(self) -> Option<LineFormat> {
        match self {
            Format::Syslog => Some(LineFormat::Syslog),
            Format::AccessLog => Some(LineFormat::AccessLog),
            Format::W3c => Some(LineFormat::W3c),
            Format::Evtx | Format::Json | Format::Unknown => None,
        }
    }

    /// The kind of events this format's reader produces; `None` for unrecognised content.
    pub fn source_kind(self) -> Option<SourceKind> {
        match self {
            Format::Evtx => Some(SourceKind::Evtx),
            Format::Json => Some(SourceKind::Json),
            Format::Unknown => None,
            line => line.line_format().map(LineFormat::source_kind),
        }
    }
}

/// How much of the head is looked at.
pub const SNIFF_BYTES: usize = 8 * 1024;
/// How many non-blank lines are tried against each text format.
const SNIFF_LINES: usize = 16;

/// gzip magic (RFC 1952): the caller decompresses and sniffs the decompressed head.
pub fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// Guesses the format of a file from its first bytes (up to [`SNIFF_BYTES`] are used).
///
/// Text formats are decided by parsing the first lines with each line parser and taking the one
/// that parses most of them (at least half); W3C directives decide at once.
pub fn sniff(head: &[u8]) -> Format {
    if head.starts_with(b"ElfFile\0") {
        return Format::Evtx;
    }
    let head = &head[..head.len().min(SNIFF_BYTES)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if looks_binary(head) {
        return Format::Unknown;
    }
    let first = head.iter().position(|b| !b.is_ascii_whitespace());
    let Some(first) = first else {
        return Format::Unknown;
    };
    let body = &head[first..];
    if matches!(body[0], b'{' | b'[') && looks_json(body) {
        return Format::Json;
    }
    let text = String::from_utf8_lossy(body);
    let mut lines: Vec<&str> = text.split('\n').collect();
    // The last piece may be cut off by the head limit; drop it unless it is the only line.
    if lines.len() > 1 && !text.ends_with('\n') {
        lines.pop();
    }
    let lines: Vec<&str> = lines
        .into_iter()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.trim().is_empty())
        .take(SNIFF_LINES)
        .collect();
    if lines.iter().any(|l| ["#Software:", "#Version:", "#Fields:"].iter().any(|d| l.starts_with(d))) {
        return Format::W3c;
    }
    let ctx = SyslogContext::with_year(2000);
    let access = lines.iter().filter(|l| parse_access_line(l).is_ok()).count();
    let syslog = lines.iter().filter(|l| parse_syslog_line(l, &ctx).is_ok()).count();
    let w3c = lines.iter().filter(|l| matches!(W3cParser::new().parse_line(l), Ok(W3cLine::Event(..)))).count();
    // Ties go to the more specific format.
    let best = [(access, Format::AccessLog), (w3c, Format::W3c), (syslog, Format::Syslog)]
        .into_iter()
        .fold((0, Format::Unknown), |best, c| if c.0 > best.0 { c } else { best });
    if best.0 > 0 && best.0 * 2 >= lines.len() { best.1 } else { Format::Unknown }
}

/// NUL bytes, or many control characters, mean not a text log.
fn looks_binary(head: &[u8]) -> bool {
    if memchr::memchr(0, head).is_some() {
        return true;
    }
    let control = head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x1b)).count();
    control * 20 > head.len()
}

/// `body` starts with `{` or `[`: JSON when its first line parses, or (a document larger than
/// the head, or pretty-printed) when what follows the bracket is what JSON allows there.
fn looks_json(body: &[u8]) -> bool {
    let first_line = body.split(|&b| b == b'\n').next().unwrap_or(body);
    if serde_json::from_slice::<serde_json::Value>(first_line).is_ok() {
        return true;
    }
    let next = body[1..].iter().find(|b| !b.is_ascii_whitespace());
    matches!((body[0], next), (b'{', Some(b'"' | b'}')) | (b'[', Some(b'{' | b'[' | b'"' | b']')))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCESS: &str = "1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"x\"\n";

    #[test]
    fn each_format_names_the_kind_its_reader_produces() {
        assert_eq!(Format::Evtx.source_kind(), Some(SourceKind::Evtx));
        assert_eq!(Format::Json.source_kind(), Some(SourceKind::Json));
        assert_eq!(Format::Syslog.source_kind(), Some(SourceKind::Syslog));
        assert_eq!(Format::AccessLog.source_kind(), Some(SourceKind::AccessLog));
        assert_eq!(Format::W3c.source_kind(), Some(SourceKind::W3c));
        assert_eq!(Format::Unknown.source_kind(), None);
    }

    #[test]
    fn detects_each_format() {
        assert_eq!(sniff(b"ElfFile\0\x01\x02"), Format::Evtx);
        assert_eq!(sniff(b"{\"a\":1}\n{\"a\":2}\n"), Format::Json);
        assert_eq!(sniff(b"  [\n  {\"a\": 1},"), Format::Json);
        assert_eq!(sniff(b"{\n  \"winlog\": {"), Format::Json);
        assert_eq!(sniff(ACCESS.repeat(3).as_bytes()), Format::AccessLog);
        assert_eq!(sniff(b"Jan  1 00:00:00 h sshd[1]: a\nJan  1 00:00:01 h sshd[1]: b\n"), Format::Syslog);
        assert_eq!(sniff(b"<34>1 - h a p m - msg\n"), Format::Syslog);
        assert_eq!(sniff(b"#Software: Microsoft Internet Information Services 10.0\n"), Format::W3c);
        assert_eq!(sniff(b"2024-05-06 07:08:09 10.0.0.5 GET / - 443 - 1.1.1.1 UA - 200 0 0 15\n"), Format::W3c);
        assert_eq!(sniff(b"\xEF\xBB\xBF#Fields: date time\n"), Format::W3c);
    }

    #[test]
    fn unknown_for_binary_and_prose() {
        assert_eq!(sniff(b""), Format::Unknown);
        assert_eq!(sniff(b"   \n\n"), Format::Unknown);
        assert_eq!(sniff(b"PK\x03\x04\x00\x00binary"), Format::Unknown);
        assert_eq!(sniff(b"\x01\x02\x03\x04\x05abc"), Format::Unknown);
        assert_eq!(sniff(b"Dear council,\nplease find attached\n"), Format::Unknown);
        assert_eq!(sniff(b"[2024-01-01 10:00:00] app.INFO: started\n"), Format::Unknown);
        // gzip is binary here: the caller must decompress first.
        assert!(is_gzip(b"\x1f\x8b\x08\x00"));
        assert!(!is_gzip(b"\x1f"));
        assert_eq!(sniff(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"), Format::Unknown);
    }

    #[test]
    fn majority_wins_and_cut_line_ignored() {
        // Two access lines and one syslog line: access log.
        let mut s = ACCESS.repeat(2);
        s.push_str("Jan  1 00:00:00 h sshd[1]: a\n");
        assert_eq!(sniff(s.as_bytes()), Format::AccessLog);
        // One good line plus a truncated tail (no newline): the tail is not counted.
        let mut s = ACCESS.to_owned();
        s.push_str("1.2.3.4 - - [01/Ja");
        assert_eq!(sniff(s.as_bytes()), Format::AccessLog);
        // Mostly prose with one syslog line: under half, unknown.
        let s = "a\nb\nc\nJan  1 00:00:00 h sshd[1]: a\n";
        assert_eq!(sniff(s.as_bytes()), Format::Unknown);
    }
}
