//! Triage score: how urgently an analyst should look at an alert, 0..=100.
//!
//! ```text
//! score = clamp(0, 100, round( base(level) × asset(criticality) × confidence(status)
//!                              + (novel ? 10 : 0)
//!                              + min(10, 2 × log2(count)) ))
//! base:        informational 5, low 20, medium 45, high 70, critical 90
//! asset:       low ×0.8, normal ×1.0, high ×1.2, critical ×1.4
//! confidence:  stable ×1.0, test ×0.95, experimental ×0.85, deprecated or unsupported ×0.7,
//!              no status ×0.9
//! ```
//!
//! So a stable high rule on a normal asset, seen once, for an entity it has fired for before,
//! scores 70; the same alert on a critical asset, new, repeated 32 times scores 100. Each part
//! is given back as a human-readable reason.

use ww_sigma::{Level, Status};

use crate::assets::Criticality;

pub fn base(level: Level) -> f64 {
    match level {
        Level::Informational => 5.0,
        Level::Low => 20.0,
        Level::Medium => 45.0,
        Level::High => 70.0,
        Level::Critical => 90.0,
    }
}

pub fn asset_factor(c: Criticality) -> f64 {
    match c {
        Criticality::Low => 0.8,
        Criticality::Normal => 1.0,
        Criticality::High => 1.2,
        Criticality::Critical => 1.4,
    }
}

pub fn confidence(status: Option<Status>) -> f64 {
    match status {
        Some(Status::Stable) => 1.0,
        Some(Status::Test) => 0.95,
        Some(Status::Experimental) => 0.85,
        Some(Status::Deprecated | Status::Unsupported) => 0.7,
        None => 0.9,
    }
}

/// Bonus for repetition: `min(10, 2 × log2(count))`, 0 for one match or none.
pub fn repetition(count: u64) -> f64 {
    if count <= 1 { 0.0 } else { (2.0 * (count as f64).log2()).min(10.0) }
}

/// The score and its reasons (see the module documentation for the formula).
pub fn score(
    level: Level,
    status: Option<Status>,
    criticality: Criticality,
    novel: bool,
    count: u64,
) -> (u8, Vec<String>) {
    let b = base(level);
    let a = asset_factor(criticality);
    let c = confidence(status);
    let n = if novel { 10.0 } else { 0.0 };
    let r = repetition(count);
    let total = (b * a * c + n + r).round().clamp(0.0, 100.0);
    let mut reasons = vec![format!("level {} {b}", level.as_str())];
    if a != 1.0 {
        reasons.push(format!("asset {criticality} ×{a}"));
    }
    match status {
        Some(s) if c != 1.0 => reasons.push(format!("status {s} ×{c}")),
        None => reasons.push(format!("no status ×{c}")),
        Some(_) => {}
    }
    if novel {
        reasons.push("first time for this entity +10".to_owned());
    }
    if r > 0.0 {
        reasons.push(format!("{count} matches +{:.1}", r));
    }
    (total as u8, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        use Criticality as C;
        use Level as L;
        type Case = (L, Option<Status>, C, bool, u64, u8);
        let cases: &[Case] = &[
            (L::Informational, Some(Status::Stable), C::Normal, false, 1, 5),
            (L::Low, Some(Status::Stable), C::Normal, false, 1, 20),
            (L::Medium, Some(Status::Stable), C::Normal, false, 1, 45),
            (L::High, Some(Status::Stable), C::Normal, false, 1, 70),
            (L::Critical, Some(Status::Stable), C::Normal, false, 1, 90),
            (L::High, Some(Status::Stable), C::Low, false, 1, 56),
            (L::High, Some(Status::Stable), C::High, false, 1, 84),
            (L::High, Some(Status::Stable), C::Critical, false, 1, 98),
            (L::High, Some(Status::Test), C::Normal, false, 1, 67), // 66.5 rounds up
            (L::High, Some(Status::Experimental), C::Normal, false, 1, 60), // 59.5
            (L::High, Some(Status::Deprecated), C::Normal, false, 1, 49),
            (L::High, None, C::Normal, false, 1, 63),
            (L::Medium, Some(Status::Stable), C::Normal, true, 1, 55),
            (L::Medium, Some(Status::Stable), C::Normal, false, 2, 47),
            (L::Medium, Some(Status::Stable), C::Normal, false, 32, 55),
            (L::Medium, Some(Status::Stable), C::Normal, false, 1_000_000, 55),
            (L::Critical, Some(Status::Stable), C::Critical, true, 1000, 100),
            (L::Low, Some(Status::Stable), C::Normal, false, 0, 20),
        ];
        for &(l, s, c, n, count, want) in cases {
            assert_eq!(score(l, s, c, n, count).0, want, "{l} {s:?} {c} novel={n} count={count}");
        }
    }

    #[test]
    fn reasons_name_each_part() {
        let (_, r) = score(Level::High, Some(Status::Test), Criticality::Critical, true, 8);
        assert_eq!(
            r,
            vec![
                "level high 70",
                "asset critical ×1.4",
                "status test ×0.95",
                "first time for this entity +10",
                "8 matches +6.0"
            ]
        );
        let (_, r) = score(Level::Low, Some(Status::Stable), Criticality::Normal, false, 1);
        assert_eq!(r, vec!["level low 20"]);
    }
}
