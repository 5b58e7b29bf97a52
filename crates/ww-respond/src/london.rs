//! UK civil time for reports: Greenwich Mean Time in winter, British Summer Time (UTC+1) from
//! 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October (the rule
//! since 1996, shared with the EU). Implemented here rather than pulling a time-zone database:
//! reports are only ever rendered in Europe/London, and instants before 1996 do not occur in
//! incident records.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use ww_core::time::Timestamp;

/// 01:00 UTC on the last Sunday of `month` in `year`.
fn last_sunday_0100_utc(year: i32, month: u32) -> Option<Timestamp> {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = first_of_next.pred_opt()?;
    let back = last.weekday().num_days_from_sunday();
    let sunday = last - Duration::days(i64::from(back));
    debug_assert_eq!(sunday.weekday(), Weekday::Sun);
    Some(Utc.from_utc_datetime(&sunday.and_hms_opt(1, 0, 0)?))
}

/// Whether British Summer Time is in force at `t`.
pub fn is_bst(t: &Timestamp) -> bool {
    let year = t.year();
    match (last_sunday_0100_utc(year, 3), last_sunday_0100_utc(year, 10)) {
        (Some(start), Some(end)) => *t >= start && *t < end,
        _ => false,
    }
}

/// The UK wall-clock time at `t`, and "BST" or "GMT".
pub fn to_london(t: &Timestamp) -> (NaiveDateTime, &'static str) {
    if is_bst(t) { ((*t + Duration::hours(1)).naive_utc(), "BST") } else { (t.naive_utc(), "GMT") }
}

/// `t` as UK time for reports: "14 Mar 2025 09:30 GMT", "1 Jul 2025 10:30 BST".
pub fn format_london(t: &Timestamp) -> String {
    let (local, zone) = to_london(t);
    format!("{} {zone}", local.format("%-d %b %Y %H:%M"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Timestamp {
        ww_core::time::parse_utc(s).unwrap_or_else(|| panic!("bad test time {s}"))
    }

    #[test]
    fn spring_forward_2025_at_0100_utc_on_30_march() {
        assert_eq!(format_london(&utc("2025-03-30T00:59:59Z")), "30 Mar 2025 00:59 GMT");
        assert_eq!(format_london(&utc("2025-03-30T01:00:00Z")), "30 Mar 2025 02:00 BST");
        assert!(!is_bst(&utc("2025-03-30T00:59:59Z")));
        assert!(is_bst(&utc("2025-03-30T01:00:00Z")));
        // A week earlier is still winter.
        assert!(!is_bst(&utc("2025-03-23T12:00:00Z")));
    }

    #[test]
    fn fall_back_2025_at_0100_utc_on_26_october() {
        assert_eq!(format_london(&utc("2025-10-26T00:59:00Z")), "26 Oct 2025 01:59 BST");
        assert_eq!(format_london(&utc("2025-10-26T01:00:00Z")), "26 Oct 2025 01:00 GMT");
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
        assert_eq!(format_london(&utc("2025-01-05T23:30:00Z")), "5 Jan 2025 23:30 GMT");
        assert_eq!(format_london(&utc("2025-07-01T23:30:00Z")), "2 Jul 2025 00:30 BST");
        assert_eq!(format_london(&utc("2025-12-31T23:59:00Z")), "31 Dec 2025 23:59 GMT");
    }
}
