//! Time: every instant inside wardwatch is UTC. Local time (Europe/London) appears only when a
//! page or report is rendered.

use chrono::{DateTime, NaiveDateTime, Utc};

pub type Timestamp = DateTime<Utc>;

/// Parses the timestamp shapes readers meet most: RFC 3339 / ISO 8601 with an offset or `Z`
/// (any fraction), and ISO-like UTC without an offset (`2024-01-02 03:04:05.123`, EVTX
/// `SystemTime` with 7-digit fractions). Returns `None` rather than guessing.
pub fn parse_utc(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // RFC 3339 with a space instead of `T`.
    if s.len() > 10 && s.as_bytes()[10] == b' ' {
        let mut t = s.to_owned();
        t.replace_range(10..11, "T");
        if let Ok(t) = DateTime::parse_from_rfc3339(&t) {
            return Some(t.with_timezone(&Utc));
        }
    }
    let naive = s.strip_suffix('Z').unwrap_or(s);
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(t.and_utc());
        }
    }
    None
}

/// Formats as RFC 3339 in UTC with millisecond precision, the form used in every output.
pub fn format_utc(t: &Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_shapes() {
        for s in [
            "2024-03-01T10:20:30Z",
            "2024-03-01T10:20:30.1234567Z",
            "2024-03-01T11:20:30+01:00",
            "2024-03-01 10:20:30",
            "2024-03-01 10:20:30.123",
            "2024-03-01T10:20:30.123456",
        ] {
            let t = parse_utc(s).unwrap_or_else(|| panic!("{s} did not parse"));
            assert_eq!(format_utc(&t).get(..19), Some("2024-03-01T10:20:30"), "{s}");
        }
        assert!(parse_utc("yesterday").is_none());
        assert!(parse_utc("").is_none());
    }
}
