//! Time: every instant inside wardwatch is UTC. Local time (Europe/London) appears only when a
//! page or report is rendered.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};

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

/// The last Sunday of `month` in `year`, at 01:00 UTC: when UK clocks change (BST starts on the
/// last Sunday of March, ends on the last Sunday of October, both at 01:00 UTC).
fn uk_change(year: i32, month: u32) -> Option<Timestamp> {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = first_next.pred_opt()?;
    let back = last.weekday().num_days_from_sunday();
    let sunday = last - Duration::days(i64::from(back));
    Some(Utc.from_utc_datetime(&sunday.and_time(NaiveTime::from_hms_opt(1, 0, 0)?)))
}

/// Whether British Summer Time is in force at `t`.
pub fn is_bst(t: &Timestamp) -> bool {
    match (uk_change(t.year(), 3), uk_change(t.year(), 10)) {
        (Some(start), Some(end)) => *t >= start && *t < end,
        _ => false,
    }
}

/// Europe/London's offset from UTC at `t`, in seconds (0 in winter, 3,600 in summer).
pub fn london_offset_secs(t: &Timestamp) -> i32 {
    if is_bst(t) { 3600 } else { 0 }
}

/// `t` as Europe/London wall-clock time.
pub fn to_london(t: &Timestamp) -> NaiveDateTime {
    t.naive_utc() + Duration::seconds(i64::from(london_offset_secs(t)))
}

/// Formats an instant for people in the UK: `21 Nov 2026, 14:05:09 GMT` or `… BST`. The one
/// place the project turns UTC into local time (pages and reports).
pub fn format_london(t: &Timestamp) -> String {
    let zone = if is_bst(t) { "BST" } else { "GMT" };
    format!("{} {zone}", to_london(t).format("%-d %b %Y, %H:%M:%S"))
}

/// The same to the minute, for reports and messages: `14 Mar 2025 09:30 GMT`.
pub fn format_london_minutes(t: &Timestamp) -> String {
    let zone = if is_bst(t) { "BST" } else { "GMT" };
    format!("{} {zone}", to_london(t).format("%-d %b %Y %H:%M"))
}

/// A Europe/London wall-clock time as a UTC instant. In the spring gap (01:00–02:00 on the
/// March change day) the time is read as GMT; in the repeated autumn hour the first (BST) one is
/// meant.
pub fn london_to_utc(local: NaiveDateTime) -> Timestamp {
    let as_bst = Utc.from_utc_datetime(&(local - Duration::hours(1)));
    if is_bst(&as_bst) {
        return as_bst;
    }
    Utc.from_utc_datetime(&local)
}

/// Midnight (Europe/London) at the start of the local day holding `t`.
pub fn london_day_start(t: &Timestamp) -> Timestamp {
    london_to_utc(to_london(t).date().and_time(NaiveTime::MIN))
}

/// Midnight (Europe/London) at the start of the local week (Monday) holding `t`.
pub fn london_week_start(t: &Timestamp) -> Timestamp {
    let d = to_london(t).date();
    let monday = d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
    debug_assert_eq!(monday.weekday(), Weekday::Mon);
    london_to_utc(monday.and_time(NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Timestamp {
        parse_utc(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn london_time_changes_at_both_transitions() {
        // 2026: BST from Sunday 29 March 01:00 UTC to Sunday 25 October 01:00 UTC.
        assert_eq!(format_london(&utc("2026-03-29T00:59:59Z")), "29 Mar 2026, 00:59:59 GMT");
        assert_eq!(format_london(&utc("2026-03-29T01:00:00Z")), "29 Mar 2026, 02:00:00 BST");
        assert_eq!(format_london(&utc("2026-10-25T00:59:59Z")), "25 Oct 2026, 01:59:59 BST");
        assert_eq!(format_london(&utc("2026-10-25T01:00:00Z")), "25 Oct 2026, 01:00:00 GMT");
        // 2024: last Sundays were 31 March and 27 October.
        assert!(!is_bst(&utc("2024-03-31T00:30:00Z")));
        assert!(is_bst(&utc("2024-03-31T01:30:00Z")));
        assert!(is_bst(&utc("2024-10-27T00:30:00Z")));
        assert!(!is_bst(&utc("2024-10-27T01:30:00Z")));
        assert_eq!(format_london(&utc("2026-01-05T09:03:04Z")), "5 Jan 2026, 09:03:04 GMT");
        assert_eq!(format_london(&utc("2026-07-01T23:30:00Z")), "2 Jul 2026, 00:30:00 BST");
    }

    #[test]
    fn london_wall_clock_back_to_utc_and_day_starts() {
        let local = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap_or_else(|_| panic!("{s}"));
        assert_eq!(london_to_utc(local("2026-07-01 12:00")), utc("2026-07-01T11:00:00Z"));
        assert_eq!(london_to_utc(local("2026-12-01 12:00")), utc("2026-12-01T12:00:00Z"));
        // The first 01:30 of the repeated autumn hour is BST.
        assert_eq!(london_to_utc(local("2026-10-25 01:30")), utc("2026-10-25T00:30:00Z"));
        assert_eq!(london_to_utc(local("2026-10-25 02:30")), utc("2026-10-25T02:30:00Z"));
        // Midnight BST is 23:00 UTC the day before.
        assert_eq!(london_day_start(&utc("2026-07-01T22:59:00Z")), utc("2026-06-30T23:00:00Z"));
        assert_eq!(london_day_start(&utc("2026-07-01T23:01:00Z")), utc("2026-07-01T23:00:00Z"));
        assert_eq!(london_day_start(&utc("2026-11-21T11:00:00Z")), utc("2026-11-21T00:00:00Z"));
        // Saturday 21 November 2026 belongs to the week of Monday 16 November.
        assert_eq!(london_week_start(&utc("2026-11-21T11:00:00Z")), utc("2026-11-16T00:00:00Z"));
        assert_eq!(london_week_start(&utc("2026-11-16T00:00:00Z")), utc("2026-11-16T00:00:00Z"));
    }

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

    // Minute-precision rendering for reports, at both 2025 changes and in other years.

    #[test]
    fn spring_forward_2025_at_0100_utc_on_30_march() {
        assert_eq!(format_london_minutes(&utc("2025-03-30T00:59:59Z")), "30 Mar 2025 00:59 GMT");
        assert_eq!(format_london_minutes(&utc("2025-03-30T01:00:00Z")), "30 Mar 2025 02:00 BST");
        assert!(!is_bst(&utc("2025-03-30T00:59:59Z")));
        assert!(is_bst(&utc("2025-03-30T01:00:00Z")));
        // A week earlier is still winter.
        assert!(!is_bst(&utc("2025-03-23T12:00:00Z")));
    }

    #[test]
    fn fall_back_2025_at_0100_utc_on_26_october() {
        assert_eq!(format_london_minutes(&utc("2025-10-26T00:59:00Z")), "26 Oct 2025 01:59 BST");
        assert_eq!(format_london_minutes(&utc("2025-10-26T01:00:00Z")), "26 Oct 2025 01:00 GMT");
        assert!(is_bst(&utc("2025-10-26T00:59:59Z")));
        assert!(!is_bst(&utc("2025-10-26T01:00:00Z")));
    }

    #[test]
    fn last_sundays_in_other_years() {
        // 2024: 31 March and 27 October; 2026: 29 March and 25 October; 2028 (leap): 26 March, 29 October.
        for (start, end) in [
            ("2024-03-31T01:00:00Z", "2024-10-27T01:00:00Z"),
            ("2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z"),
            ("2028-03-26T01:00:00Z", "2028-10-29T01:00:00Z"),
        ] {
            let (s, e) = (utc(start), utc(end));
            assert!(!is_bst(&(s - Duration::seconds(1))) && is_bst(&s), "{start}");
            assert!(is_bst(&(e - Duration::seconds(1))) && !is_bst(&e), "{end}");
        }
    }

    #[test]
    fn winter_and_summer_rendering() {
        assert_eq!(format_london_minutes(&utc("2025-01-05T23:30:00Z")), "5 Jan 2025 23:30 GMT");
        assert_eq!(format_london_minutes(&utc("2025-07-01T23:30:00Z")), "2 Jul 2025 00:30 BST");
        assert_eq!(format_london_minutes(&utc("2025-12-31T23:59:00Z")), "31 Dec 2025 23:59 GMT");
    }
}
