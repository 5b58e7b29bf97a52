//! Reasons and verdicts.

use serde::Serialize;

use crate::config::{Config, ReasonClass};

/// One check that fired, with the evidence an analyst can verify.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub id: String,
    pub weight: f64,
    pub class: ReasonClass,
    pub evidence: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Clean,
    Spam,
    Phish,
    Malicious,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Clean => "clean",
            Verdict::Spam => "spam",
            Verdict::Phish => "phish",
            Verdict::Malicious => "malicious",
        }
    }
}

/// Collects reasons: one entry per id (scored once, so 400 bad links do not score 400 times),
/// with up to three pieces of evidence.
pub struct Reasons<'c> {
    cfg: &'c Config,
    pub list: Vec<Reason>,
}

const MAX_EVIDENCE_PER_ID: usize = 3;

impl<'c> Reasons<'c> {
    pub fn new(cfg: &'c Config) -> Self {
        Reasons { cfg, list: Vec::new() }
    }

    /// Add a reason; repeated ids merge their evidence (up to three items) and score once.
    pub fn add(&mut self, id: &str, evidence: impl Into<String>) {
        let evidence = evidence.into();
        let evidence = crate::parse::floor_char(&evidence, 200).to_string();
        if let Some(r) = self.list.iter_mut().find(|r| r.id == id) {
            let n = r.evidence.matches("; ").count() + 1;
            if n < MAX_EVIDENCE_PER_ID && !r.evidence.split("; ").any(|e| e == evidence) {
                r.evidence.push_str("; ");
                r.evidence.push_str(&evidence);
            }
            return;
        }
        let spec = self.cfg.reason(id);
        self.list.push(Reason { id: id.to_string(), weight: spec.weight, class: spec.class, evidence });
    }

    /// Add with an explicit weight (used by the model, whose weight scales with confidence).
    pub fn add_weighted(&mut self, id: &str, weight: f64, evidence: impl Into<String>) {
        let spec = self.cfg.reason(id);
        self.list.push(Reason { id: id.to_string(), weight, class: spec.class, evidence: evidence.into() });
    }
}

/// Score and verdict from the reasons.
pub fn decide(cfg: &Config, reasons: &[Reason]) -> (f64, Verdict) {
    let score: f64 = reasons.iter().map(|r| r.weight).sum();
    if score < cfg.thresholds.flag || !reasons.iter().any(|r| r.weight > 0.0) {
        return (score, Verdict::Clean);
    }
    let mal = reasons.iter().any(|r| r.class == ReasonClass::Malicious && r.weight >= cfg.thresholds.malicious);
    if mal {
        return (score, Verdict::Malicious);
    }
    let sum = |c: ReasonClass| reasons.iter().filter(|r| r.class == c && r.weight > 0.0).map(|r| r.weight).sum::<f64>();
    let phish = sum(ReasonClass::Phish) + sum(ReasonClass::Malicious);
    let spam = sum(ReasonClass::Spam);
    (score, if phish >= spam { Verdict::Phish } else { Verdict::Spam })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_classes_and_threshold() {
        let cfg = Config::default_config().unwrap();
        let mut r = Reasons::new(&cfg);
        assert_eq!(decide(&cfg, &r.list).1, Verdict::Clean);
        r.add("URL_SHORTENER", "bit.ly");
        assert_eq!(decide(&cfg, &r.list).1, Verdict::Clean);
        r.add("LOOKALIKE_SENDER", "council-gov.uk ~ council.gov.uk");
        assert_eq!(decide(&cfg, &r.list).1, Verdict::Phish);
        r.add("ATTACHMENT_MACRO", "a.docm");
        assert_eq!(decide(&cfg, &r.list).1, Verdict::Malicious);
        let mut s = Reasons::new(&cfg);
        s.add("SPAM_PHRASES", "x");
        s.add("BAYES_SPAM", "p=1");
        assert_eq!(decide(&cfg, &s.list).1, Verdict::Spam);
    }

    #[test]
    fn repeated_id_scores_once_and_keeps_evidence() {
        let cfg = Config::default_config().unwrap();
        let mut r = Reasons::new(&cfg);
        for i in 0..10 {
            r.add("URL_IP_LITERAL", format!("10.0.0.{i}"));
        }
        assert_eq!(r.list.len(), 1);
        assert_eq!(r.list[0].evidence, "10.0.0.0; 10.0.0.1; 10.0.0.2");
    }
}
