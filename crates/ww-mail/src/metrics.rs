//! Evaluation figures: confusion matrix, precision/recall/F1 (positives are spam, phish and
//! malicious verdicts against spam and phish labels), ham false-positive rate, per-class recall.

use serde::Serialize;

use crate::reason::Verdict;

pub const LABELS: [&str; 3] = ["ham", "spam", "phish"];
pub const VERDICTS: [Verdict; 4] = [Verdict::Clean, Verdict::Spam, Verdict::Phish, Verdict::Malicious];

/// Which half of a labelled set a path belongs to: FNV-1a of the path as written in the CSV,
/// even = train, odd = test. Stable on every machine and run.
pub fn is_train(path: &str) -> bool {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in path.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h.is_multiple_of(2)
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Confusion {
    /// `matrix[label][verdict]`, label in ham/spam/phish, verdict in clean/spam/phish/malicious.
    pub matrix: [[u64; 4]; 3],
    /// Flagged messages whose verdict named no reason (must stay 0).
    pub flagged_without_reason: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Figures {
    pub messages: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub ham_fpr: f64,
    pub ham_recall: f64,
    pub spam_recall: f64,
    pub phish_recall: f64,
    /// Share of phish labelled messages given exactly the verdict `phish` or `malicious`.
    pub phish_as_phish: f64,
}

fn div(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

impl Confusion {
    pub fn add(&mut self, label: usize, v: Verdict, reasons: usize) {
        let vi = VERDICTS.iter().position(|x| *x == v).unwrap_or(0);
        self.matrix[label][vi] += 1;
        if v != Verdict::Clean && reasons == 0 {
            self.flagged_without_reason += 1;
        }
    }

    pub fn figures(&self) -> Figures {
        let row = |l: usize| self.matrix[l].iter().sum::<u64>();
        let flagged = |l: usize| self.matrix[l][1..].iter().sum::<u64>();
        let tp = flagged(1) + flagged(2);
        let fp = flagged(0);
        let pos = row(1) + row(2);
        let precision = div(tp, tp + fp);
        let recall = div(tp, pos);
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        Figures {
            messages: (0..3).map(row).sum(),
            precision,
            recall,
            f1,
            ham_fpr: div(fp, row(0)),
            ham_recall: div(self.matrix[0][0], row(0)),
            spam_recall: div(flagged(1), row(1)),
            phish_recall: div(flagged(2), row(2)),
            phish_as_phish: div(self.matrix[2][2] + self.matrix[2][3], row(2)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_from_matrix() {
        let mut c = Confusion::default();
        for _ in 0..98 {
            c.add(0, Verdict::Clean, 0);
        }
        c.add(0, Verdict::Spam, 1);
        c.add(0, Verdict::Spam, 0);
        for _ in 0..9 {
            c.add(2, Verdict::Phish, 2);
        }
        c.add(2, Verdict::Clean, 0);
        let f = c.figures();
        assert_eq!(f.messages, 110);
        assert!((f.ham_fpr - 0.02).abs() < 1e-9);
        assert!((f.phish_recall - 0.9).abs() < 1e-9);
        assert!((f.precision - 9.0 / 11.0).abs() < 1e-9);
        assert_eq!(c.flagged_without_reason, 1);
        assert_eq!(f.spam_recall, 0.0);
    }
}
