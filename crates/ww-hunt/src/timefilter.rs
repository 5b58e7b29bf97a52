//! `--from` / `--to`: which events a hunt looks at.

use chrono::NaiveDate;
use ww_core::time::{Timestamp, parse_utc};

/// A half-open UTC range `[from, to)`. Events with no timestamp are outside any bounded range:
/// a responder who asks for a window should not see undated noise in it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TimeRange {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

impl TimeRange {
    pub fn is_unbounded(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    pub fn contains(&self, t: Option<&Timestamp>) -> bool {
        if self.is_unbounded() {
            return true;
        }
        let Some(t) = t else { return false };
        self.from.is_none_or(|f| *t >= f) && self.to.is_none_or(|to| *t < to)
    }
}

/// Parses a bound: RFC 3339 (`2024-05-01T10:00:00Z`, offsets allowed) or a date (`2024-05-01`,
/// meaning midnight UTC at its start).
pub fn parse_bound(s: &str) -> Result<Timestamp, String> {
    if let Some(t) = parse_utc(s) {
        return Ok(t);
    }
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("'{s}' is not a date (YYYY-MM-DD) or an RFC 3339 time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_half_open_and_undated_events_fall_outside() {
        let r =
            TimeRange { from: Some(parse_bound("2024-05-01").unwrap()), to: Some(parse_bound("2024-05-02").unwrap()) };
        assert!(r.contains(Some(&parse_bound("2024-05-01T00:00:00Z").unwrap())));
        assert!(r.contains(Some(&parse_bound("2024-05-01T23:59:59Z").unwrap())));
        assert!(!r.contains(Some(&parse_bound("2024-05-02T00:00:00Z").unwrap())));
        assert!(!r.contains(Some(&parse_bound("2024-04-30T23:59:59+00:00").unwrap())));
        assert!(!r.contains(None));
        assert!(TimeRange::default().contains(None));
        assert!(parse_bound("last tuesday").is_err());
        assert_eq!(parse_bound("2024-05-01T01:00:00+01:00").unwrap(), parse_bound("2024-05-01").unwrap());
    }
}
