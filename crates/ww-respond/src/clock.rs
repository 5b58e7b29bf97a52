//! The ICO clock: how long is left to report a personal-data breach (UK GDPR Art. 33(1)).
//!
//! A pure function of the breach record, the policy and `now`. The clock starts when the council
//! became aware (`Breach::aware_at`); before that there is no clock.
//!
//! Boundaries, decided once here and pinned by tests:
//! - The deadline instant itself still counts as in time: a report made exactly 72 hours after
//!   awareness is on time, so the clock is `Overdue` only once `now` is *after* the deadline.
//! - `Warning` starts when `warning_hours` or fewer are left: exactly 24 hours left is `Warning`.
//! - A recorded initial report wins over everything (`Reported`, with whether it was on time);
//!   otherwise a recorded decision not to report gives `NotReportable`.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use ww_core::incident::Breach;
use ww_core::time::Timestamp;

use crate::policy::BreachPolicy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClockState {
    /// More than the warning hours left.
    Running,
    /// Warning hours or fewer left, deadline not yet passed.
    Warning,
    /// Past the deadline with no report and no decision not to report.
    Overdue,
    /// The initial report was made at `at`.
    Reported { at: Timestamp, on_time: bool },
    /// A decision not to report to the ICO is recorded (the breach stays in the breach log).
    NotReportable,
}

impl ClockState {
    pub fn as_str(&self) -> &'static str {
        match self {
            ClockState::Running => "running",
            ClockState::Warning => "warning",
            ClockState::Overdue => "overdue",
            ClockState::Reported { .. } => "reported",
            ClockState::NotReportable => "not_reportable",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IcoClock {
    pub aware_at: Timestamp,
    /// `aware_at` + the policy's deadline hours.
    pub deadline: Timestamp,
    /// `deadline - now`; negative once the deadline has passed.
    #[serde(with = "seconds")]
    pub remaining: Duration,
    /// Flattened: `"state": "reported", "at": ..., "on_time": true` in JSON.
    #[serde(flatten)]
    pub state: ClockState,
}

mod seconds {
    use chrono::Duration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_seconds())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        i64::deserialize(d).map(Duration::seconds)
    }
}

/// The clock for `breach` at `now`, or `None` before the council is aware.
pub fn clock(breach: &Breach, policy: &BreachPolicy, now: Timestamp) -> Option<IcoClock> {
    let aware_at = breach.aware_at?;
    let deadline = aware_at + Duration::hours(i64::from(policy.deadline_hours()));
    let remaining = deadline - now;
    let state = if let Some(at) = breach.ico_reported_at {
        ClockState::Reported { at, on_time: at <= deadline }
    } else if breach.report_to_ico == Some(false) {
        ClockState::NotReportable
    } else if remaining < Duration::zero() {
        ClockState::Overdue
    } else if remaining <= Duration::hours(i64::from(policy.warning_hours())) {
        ClockState::Warning
    } else {
        ClockState::Running
    };
    Some(IcoClock { aware_at, deadline, remaining, state })
}

/// "3 h 5 min", "0 h 0 min". Whole minutes, rounded down.
pub fn hours_minutes(d: Duration) -> String {
    let minutes = d.num_minutes().abs();
    format!("{} h {} min", minutes / 60, minutes % 60)
}

impl IcoClock {
    /// Words for the dashboard: "47 h 12 min left", "overdue by 3 h 5 min", "reported on time
    /// (5 h 2 min before the deadline)", "reported 2 h 0 min late", "not reportable".
    ///
    /// Time left is rounded down (never overstated); time overdue is rounded up, so the first
    /// late second already reads "overdue by 0 h 1 min".
    pub fn human_remaining(&self) -> String {
        match self.state {
            ClockState::Reported { at, on_time: true } => {
                format!("reported on time ({} before the deadline)", hours_minutes(self.deadline - at))
            }
            ClockState::Reported { at, on_time: false } => {
                format!("reported {} late", hours_minutes(round_up_minutes(at - self.deadline)))
            }
            ClockState::NotReportable => "not reportable (decision recorded)".into(),
            ClockState::Overdue => format!("overdue by {}", hours_minutes(round_up_minutes(-self.remaining))),
            ClockState::Running | ClockState::Warning => format!("{} left", hours_minutes(self.remaining)),
        }
    }
}

fn round_up_minutes(d: Duration) -> Duration {
    let whole = Duration::minutes(d.num_minutes());
    if whole < d { whole + Duration::minutes(1) } else { whole }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ww_core::alert::TenantId;

    fn utc(s: &str) -> Timestamp {
        ww_core::time::parse_utc(s).unwrap_or_else(|| panic!("bad test time {s}"))
    }

    fn policy() -> BreachPolicy {
        BreachPolicy::embedded().unwrap_or_else(|e| panic!("{e}"))
    }

    fn aware_breach() -> Breach {
        let mut b = Breach::new(7, TenantId(1), utc("2025-03-10T08:00:00Z"));
        b.aware_at = Some(utc("2025-03-10T09:00:00Z"));
        b
    }

    fn at(b: &Breach, now: Timestamp) -> IcoClock {
        clock(b, &policy(), now).unwrap_or_else(|| panic!("no clock"))
    }

    #[test]
    fn no_clock_before_awareness() {
        let b = Breach::new(7, TenantId(1), utc("2025-03-10T08:00:00Z"));
        assert_eq!(clock(&b, &policy(), utc("2025-03-10T09:00:00Z")), None);
    }

    #[test]
    fn deadline_is_aware_plus_72_hours() {
        let c = at(&aware_breach(), utc("2025-03-10T09:48:00Z"));
        assert_eq!(c.deadline, utc("2025-03-13T09:00:00Z"));
        assert_eq!(c.state, ClockState::Running);
        assert_eq!(c.human_remaining(), "71 h 12 min left");
    }

    #[test]
    fn warning_starts_at_exactly_24_hours_left() {
        let b = aware_breach();
        let one_second_before = at(&b, utc("2025-03-12T08:59:59Z"));
        assert_eq!(one_second_before.state, ClockState::Running);
        assert_eq!(one_second_before.human_remaining(), "24 h 0 min left");
        let exactly = at(&b, utc("2025-03-12T09:00:00Z"));
        assert_eq!(exactly.remaining, Duration::hours(24));
        assert_eq!(exactly.state, ClockState::Warning);
        assert_eq!(exactly.human_remaining(), "24 h 0 min left");
    }

    #[test]
    fn the_deadline_instant_is_still_in_time_and_one_second_later_is_overdue() {
        let b = aware_breach();
        let exactly = at(&b, utc("2025-03-13T09:00:00Z"));
        assert_eq!(exactly.remaining, Duration::zero());
        assert_eq!(exactly.state, ClockState::Warning);
        assert_eq!(exactly.human_remaining(), "0 h 0 min left");
        let after = at(&b, utc("2025-03-13T09:00:01Z"));
        assert_eq!(after.state, ClockState::Overdue);
        assert_eq!(after.remaining, Duration::seconds(-1));
        assert_eq!(after.human_remaining(), "overdue by 0 h 1 min");
        let later = at(&b, utc("2025-03-13T12:05:00Z"));
        assert_eq!(later.human_remaining(), "overdue by 3 h 5 min");
    }

    #[test]
    fn reported_exactly_at_the_deadline_is_on_time() {
        let mut b = aware_breach();
        b.ico_reported_at = Some(utc("2025-03-13T09:00:00Z"));
        let c = at(&b, utc("2025-03-20T00:00:00Z"));
        assert_eq!(c.state, ClockState::Reported { at: utc("2025-03-13T09:00:00Z"), on_time: true });
        assert_eq!(c.human_remaining(), "reported on time (0 h 0 min before the deadline)");
        b.ico_reported_at = Some(utc("2025-03-13T11:00:30Z"));
        let c = at(&b, utc("2025-03-20T00:00:00Z"));
        assert_eq!(c.state, ClockState::Reported { at: utc("2025-03-13T11:00:30Z"), on_time: false });
        assert_eq!(c.human_remaining(), "reported 2 h 1 min late");
        b.ico_reported_at = Some(utc("2025-03-11T15:58:00Z"));
        assert_eq!(
            at(&b, utc("2025-03-12T00:00:00Z")).human_remaining(),
            "reported on time (41 h 2 min before the deadline)"
        );
    }

    #[test]
    fn a_decision_not_to_report_stops_the_clock_but_a_report_wins() {
        let mut b = aware_breach();
        b.report_to_ico = Some(false);
        let c = at(&b, utc("2025-03-20T00:00:00Z"));
        assert_eq!(c.state, ClockState::NotReportable);
        assert_eq!(c.human_remaining(), "not reportable (decision recorded)");
        b.ico_reported_at = Some(utc("2025-03-11T00:00:00Z"));
        assert!(matches!(at(&b, utc("2025-03-20T00:00:00Z")).state, ClockState::Reported { on_time: true, .. }));
        // Deciding to report does not stop the clock.
        let mut b = aware_breach();
        b.report_to_ico = Some(true);
        assert_eq!(at(&b, utc("2025-03-14T00:00:00Z")).state, ClockState::Overdue);
    }

    #[test]
    fn the_policy_sets_the_hours() {
        let text = crate::policy::EMBEDDED_POLICY
            .replace("deadline_hours = 72", "deadline_hours = 48")
            .replace("warning_hours = 24", "warning_hours = 12");
        let p = BreachPolicy::from_toml_str(&text, "test").unwrap_or_else(|e| panic!("{e}"));
        let c = clock(&aware_breach(), &p, utc("2025-03-11T21:00:00Z")).unwrap_or_else(|| panic!("no clock"));
        assert_eq!(c.deadline, utc("2025-03-12T09:00:00Z"));
        assert_eq!(c.state, ClockState::Warning);
    }

    #[test]
    fn clock_serialises_for_the_web_layer() {
        let c = at(&aware_breach(), utc("2025-03-13T10:00:00Z"));
        let v = serde_json::to_value(c).unwrap_or_default();
        assert_eq!(v["remaining"], serde_json::json!(-3600));
        assert_eq!(v["state"], serde_json::json!("overdue"));
        let mut b = aware_breach();
        b.ico_reported_at = Some(utc("2025-03-11T00:00:00Z"));
        let v = serde_json::to_value(at(&b, utc("2025-03-12T00:00:00Z"))).unwrap_or_default();
        assert_eq!((&v["state"], &v["on_time"]), (&serde_json::json!("reported"), &serde_json::json!(true)));
    }
}
