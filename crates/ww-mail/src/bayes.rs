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

/// What the model says about one message (see [`Model::score`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Scores<'t> {
    pub posterior: Posterior,
    /// Unnormalised naive Bayes log scores (ham, spam, phish).
    pub log_scores: [f64; 3],
    /// Tokens the model knew.
    pub known: usize,
    /// SpamBayes-style chi-squared score in [0, 1]: 0 ham, 1 bad, 0.5 unsure. The larger of two
    /// classifiers read from the same counts: ham against spam + phish, and ham against spam
    /// alone (the latter keeps the phish-heavy "bad" class from drowning the spam tokens).
    pub badness: f64,
    /// Up to three of the strongest tokens pulling towards bad, for the reason's evidence.
    pub top: Vec<&'t str>,
}

/// Robinson's smoothing: strength `S` towards the unknown-word probability `X`.
const ROBINSON_S: f64 = 0.45;
const ROBINSON_X: f64 = 0.5;
/// Tokens closer to 0.5 than this carry no evidence (SpamBayes `minimum_prob_strength`).
const MIN_STRENGTH: f64 = 0.1;
/// At most this many of the strongest tokens are combined (SpamBayes `max_discriminators`).
const MAX_CLUES: usize = 150;

/// The smoothed probability that a token marks the bad class, from document counts; `None` when
/// the token never occurs in either class or carries too little evidence.
fn robinson(ham: u32, nham: u64, bad: u32, nbad: u64) -> Option<f64> {
    let n = f64::from(ham) + f64::from(bad);
    if n == 0.0 || nham == 0 || nbad == 0 {
        return None;
    }
    let hr = f64::from(ham) / nham as f64;
    let br = f64::from(bad) / nbad as f64;
    let p = br / (hr + br);
    let f = (ROBINSON_S * ROBINSON_X + n * p) / (ROBINSON_S + n);
    ((f - 0.5).abs() >= MIN_STRENGTH).then_some(f)
}

/// Fisher/Robinson chi-squared combining of the strongest clues (reordered in place):
/// 0 = ham, 1 = bad, 0.5 = no evidence or evidence both ways. Which of several equally strong
/// clues is kept at the cut does not matter: they have the same probability.
fn chi2_combine(clues: &mut [f64]) -> f64 {
    if clues.is_empty() {
        return 0.5;
    }
    let n = clues.len().min(MAX_CLUES);
    if clues.len() > MAX_CLUES {
        clues.select_nth_unstable_by(MAX_CLUES - 1, |a, b| (b - 0.5).abs().total_cmp(&(a - 0.5).abs()));
    }
    let (mut ln_s, mut ln_h) = (0.0f64, 0.0f64);
    for p in &clues[..n] {
        ln_s += (1.0 - p).ln();
        ln_h += p.ln();
    }
    let s = 1.0 - chi2q(-2.0 * ln_s, 2 * n);
    let h = 1.0 - chi2q(-2.0 * ln_h, 2 * n);
    (s - h + 1.0) / 2.0
}

/// The three strongest clues towards bad seen so far (highest probability, then token order).
#[derive(Default)]
struct Top3<'t>([Option<(f64, &'t str)>; 3]);

impl<'t> Top3<'t> {
    fn offer(&mut self, p: f64, t: &'t str) {
        if p <= 0.5 {
            return;
        }
        let better = |x: &Option<(f64, &str)>| match x {
            None => true,
            Some((q, u)) => p > *q || (p == *q && t < *u),
        };
        if let Some(i) = self.0.iter().position(better) {
            self.0[i..].rotate_right(1);
            self.0[i] = Some((p, t));
        }
    }

    fn tokens(&self) -> Vec<&'t str> {
        self.0.iter().flatten().map(|(_, t)| *t).collect()
    }
}

/// P(chi-squared with `v` (even) degrees of freedom >= `x2`).
fn chi2q(x2: f64, v: usize) -> f64 {
    let m = x2 / 2.0;
    let mut term = (-m).exp();
    let mut sum = term;
    for i in 1..v / 2 {
        term *= m / i as f64;
        sum += term;
    }
    sum.min(1.0)
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
        self.score(tokens).posterior
    }

    /// Unnormalised log scores per class (prior + clipped per-token log-likelihoods) and how
    /// many tokens the model knew.
    pub fn evidence(&self, tokens: &[String]) -> ([f64; 3], usize) {
        let s = self.score(tokens);
        (s.log_scores, s.known)
    }

    /// Everything the analyser needs from one look-up pass over the message's tokens: the naive
    /// Bayes posteriors (which name the class, spam or phish) and the chi-squared "badness"
    /// (how far the message is from ham, calibrated for the decision).
    pub fn score<'t>(&self, tokens: &'t [String]) -> Scores<'t> {
        let total: u64 = self.docs.iter().sum();
        let mut lp: [f64; 3] = std::array::from_fn(|c| ((self.docs[c] as f64 + 1.0) / (total as f64 + 3.0)).ln());
        let mut known = 0;
        // Per known token with evidence, its probability of being bad (spam or phish), and of
        // being spam against ham alone.
        let (mut bad, mut spam) = (Vec::with_capacity(tokens.len()), Vec::with_capacity(tokens.len()));
        let (mut bad_top, mut spam_top) = (Top3::default(), Top3::default());
        for t in tokens {
            let Some(c) = self.tokens.get(t) else {
                continue;
            };
            known += 1;
            let l: [f64; 3] = std::array::from_fn(|k| ((c[k] as f64 + 0.5) / (self.docs[k] as f64 + 1.0)).ln());
            let m = l.iter().cloned().fold(f64::MIN, f64::max);
            for (acc, lc) in lp.iter_mut().zip(l) {
                *acc += (lc - m).max(-4.0);
            }
            let h = c[0];
            if let Some(p) = robinson(h, self.docs[0], c[1] + c[2], self.docs[1] + self.docs[2]) {
                bad.push(p);
                bad_top.offer(p, t);
            }
            if let Some(p) = robinson(h, self.docs[0], c[1], self.docs[1]) {
                spam.push(p);
                spam_top.offer(p, t);
            }
        }
        let posterior = if total == 0 {
            Posterior([1.0, 0.0, 0.0])
        } else {
            let m = lp.iter().cloned().fold(f64::MIN, f64::max);
            let e: [f64; 3] = std::array::from_fn(|c| (lp[c] - m).exp());
            let s: f64 = e.iter().sum();
            Posterior([e[0] / s, e[1] / s, e[2] / s])
        };
        let (b, s) = (chi2_combine(&mut bad), chi2_combine(&mut spam));
        let (badness, top) = if b >= s { (b, bad_top.tokens()) } else { (s, spam_top.tokens()) };
        Scores { posterior, log_scores: lp, known, badness, top }
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
