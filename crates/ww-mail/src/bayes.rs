//! A trainable naive Bayes classifier over content tokens (ham / spam / phish).
//!
//! Tokens are what the sender wrote or linked: subject and body words, display-name words, the
//! From domain, link domains and attachment extensions. Dates, Received hops, mailer names and
//! other transport headers are left out on purpose: in the public corpora they identify the era
//! and the source, not the attack, and a model that learned them would not transfer.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::checks::Ctx;
use crate::domain::registrable;
use crate::error::MailError;

pub const CLASSES: [&str; 3] = ["ham", "spam", "phish"];
const MAX_TOKENS: usize = 3000;

/// A trained model: per-token document counts per class.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Model {
    pub format: String,
    /// Documents per class (ham, spam, phish).
    pub docs: [u64; 3],
    pub tokens: HashMap<String, [u32; 3]>,
}

/// Posterior probabilities (ham, spam, phish).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Posterior(pub [f64; 3]);

impl Model {
    pub const FORMAT: &'static str = "wardwatch-mail-bayes-1";

    pub fn new() -> Model {
        Model { format: Self::FORMAT.into(), ..Default::default() }
    }

    /// Count one document's distinct tokens for class index `c`.
    pub fn learn(&mut self, c: usize, tokens: &[String]) {
        self.docs[c] += 1;
        for t in tokens {
            self.tokens.entry(t.clone()).or_insert([0; 3])[c] += 1;
        }
    }

    /// Drop tokens seen in fewer than `min` documents: they carry noise and bloat the file.
    pub fn prune(&mut self, min: u32) {
        self.tokens.retain(|_, v| v.iter().sum::<u32>() >= min);
    }

    /// Bernoulli-style naive Bayes over the tokens present, with Laplace smoothing, and each
    /// token's log-likelihood ratio clipped so that no single word decides.
    pub fn classify(&self, tokens: &[String]) -> Posterior {
        let total: u64 = self.docs.iter().sum();
        if total == 0 {
            return Posterior([1.0, 0.0, 0.0]);
        }
        let (lp, _) = self.evidence(tokens);
        let m = lp.iter().cloned().fold(f64::MIN, f64::max);
        let e: Vec<f64> = lp.iter().map(|x| (x - m).exp()).collect();
        let s: f64 = e.iter().sum();
        Posterior([e[0] / s, e[1] / s, e[2] / s])
    }

    /// Unnormalised log scores per class (prior + clipped per-token log-likelihoods) and how
    /// many tokens the model knew.
    pub fn evidence(&self, tokens: &[String]) -> ([f64; 3], usize) {
        let total: u64 = self.docs.iter().sum();
        let mut lp: [f64; 3] = std::array::from_fn(|c| ((self.docs[c] as f64 + 1.0) / (total as f64 + 3.0)).ln());
        let mut known = 0;
        for t in tokens {
            let Some(counts) = self.tokens.get(t) else {
                continue;
            };
            known += 1;
            let l: [f64; 3] = std::array::from_fn(|c| ((counts[c] as f64 + 0.5) / (self.docs[c] as f64 + 1.0)).ln());
            let m = l.iter().cloned().fold(f64::MIN, f64::max);
            for (acc, lc) in lp.iter_mut().zip(l) {
                *acc += (lc - m).max(-4.0);
            }
        }
        (lp, known)
    }

    pub fn to_json(&self) -> Result<String, MailError> {
        serde_json::to_string(self).map_err(|e| MailError::Model { file: String::new(), reason: e.to_string() })
    }

    pub fn from_json(file: &str, text: &str) -> Result<Model, MailError> {
        let m: Model =
            serde_json::from_str(text).map_err(|e| MailError::Model { file: file.into(), reason: e.to_string() })?;
        if m.format != Self::FORMAT {
            return Err(MailError::Model {
                file: file.into(),
                reason: format!("format {:?}, expected {:?}", m.format, Self::FORMAT),
            });
        }
        Ok(m)
    }
}

fn push_words(out: &mut Vec<String>, prefix: &str, text: &str) {
    let mut w = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_alphabetic() || c == '\'' {
            for l in c.to_lowercase() {
                w.push(l);
            }
        } else {
            let t = w.trim_matches('\'');
            let n = t.chars().count();
            if (3..=20).contains(&n) {
                out.push(format!("{prefix}{t}"));
            }
            w.clear();
        }
        if out.len() >= MAX_TOKENS {
            return;
        }
    }
}

/// The distinct tokens of a prepared message.
pub fn tokens(ctx: &Ctx) -> Vec<String> {
    let mut out = Vec::with_capacity(512);
    push_words(&mut out, "s:", &ctx.mail.subject);
    if let Some(f) = &ctx.mail.from {
        if let Some(n) = &f.name {
            push_words(&mut out, "n:", n);
        }
        out.push(format!("fd:{}", ctx.from_reg));
    }
    for u in ctx.urls.iter().take(50) {
        out.push(format!("u:{}", registrable(&u.host)));
    }
    for a in &ctx.mail.attachments {
        if let Some(n) = &a.name {
            out.push(format!("a:{}", crate::filetype::ext(n)));
        }
        out.push(format!("ct:{}", a.content_type));
    }
    // body text: skip the subject already at the front of text_lc
    let body = ctx.text_lc.get(ctx.mail.subject.len().min(ctx.text_lc.len())..).unwrap_or(&ctx.text_lc);
    push_words(&mut out, "", crate::parse::floor_char(body, 64 * 1024));
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        let mut v = Vec::new();
        push_words(&mut v, "", s);
        v.sort();
        v.dedup();
        v
    }

    #[test]
    fn learns_and_separates() {
        let mut m = Model::new();
        for _ in 0..20 {
            m.learn(0, &toks("meeting agenda minutes for the committee"));
            m.learn(1, &toks("cheap pills discount offer buy"));
            m.learn(2, &toks("verify your password account suspended"));
        }
        let p = m.classify(&toks("please verify your account password"));
        assert!(p.0[2] > 0.9, "{p:?}");
        let h = m.classify(&toks("committee meeting agenda"));
        assert!(h.0[0] > 0.9, "{h:?}");
        let rt = Model::from_json("m", &m.to_json().unwrap()).unwrap();
        assert_eq!(rt.docs, m.docs);
        assert!(Model::from_json("m", "{\"format\":\"x\",\"docs\":[0,0,0],\"tokens\":{}}").is_err());
    }

    #[test]
    fn digits_and_short_words_are_not_tokens() {
        assert_eq!(toks("2002 at 10:30 ok Hello"), vec!["hello".to_string()]);
    }
}
