//! The analysis entry point: bytes (or a parsed [`Mail`]) + configuration in, [`Report`] out.

use rustc_hash::FxHashSet;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::bayes::{self, Model};
use crate::checks::{self, Ctx, lures::LureSet};
use crate::config::Config;
use crate::domain::registrable;
use crate::error::MailError;
use crate::html;
use crate::model::Mail;
use crate::parse::{floor_char, parse_rfc5322};
use crate::reason::{Reason, Reasons, Verdict, decide};
use crate::urls;

/// What an analyst pivots on. Recipients are deliberately absent: they are victims, not
/// indicators.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Observables {
    pub sender: Option<String>,
    pub reply_to: Vec<String>,
    pub return_path: Option<String>,
    pub subject: String,
    pub urls: Vec<UrlObs>,
    pub attachments: Vec<AttachmentObs>,
    pub received_ips: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UrlObs {
    pub url: String,
    pub domain: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AttachmentObs {
    pub name: Option<String>,
    pub content_type: String,
    pub size: usize,
    pub sha256: String,
}

/// The verdict on one message.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub verdict: Verdict,
    pub score: f64,
    pub reasons: Vec<Reason>,
    pub observables: Observables,
    /// Model posteriors (ham, spam, phish) when a model was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<[f64; 3]>,
}

impl Report {
    /// One JSON line: `source` first, then verdict, score, reasons, observables (and model).
    pub fn to_jsonl(&self, source: &str) -> Result<String, serde_json::Error> {
        let mut v = serde_json::to_value(self)?;
        if let serde_json::Value::Object(m) = &mut v {
            let mut o = serde_json::Map::new();
            o.insert("source".into(), source.into());
            o.extend(std::mem::take(m));
            v = serde_json::Value::Object(o);
        }
        serde_json::to_string(&v)
    }
}

/// A configured analyser. Build once, share across threads (`&self` only).
pub struct Analyser {
    cfg: Config,
    lures: LureSet,
    model: Option<Model>,
}

const TEXT_BUDGET: usize = 256 * 1024;
/// Mean per-token log-likelihood ratio below which the model adds nothing.
const MODEL_MARGIN: f64 = 0.05;
/// Log-odds per token over the margin at which the model's reason reaches its full weight.
const MODEL_RAMP: f64 = 0.24;

impl Analyser {
    pub fn new(cfg: Config, model: Option<Model>) -> Result<Analyser, MailError> {
        let lures = LureSet::new(&cfg.lures).map_err(|reason| MailError::Config { file: "lures".into(), reason })?;
        Ok(Analyser { cfg, lures, model })
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The trained model, when one was given.
    pub fn model(&self) -> Option<&Model> {
        self.model.as_ref()
    }

    pub fn has_model(&self) -> bool {
        self.model.is_some()
    }

    /// Analyse RFC 5322 bytes (an `.eml`, one mbox message or one Maildir file).
    pub fn analyse_bytes(&self, bytes: &[u8]) -> Report {
        let mail = parse_rfc5322(bytes, &self.cfg.limits);
        self.analyse_mail(&mail)
    }

    /// Analyse a parsed message (e.g. from an Outlook `.msg`).
    pub fn analyse_mail(&self, mail: &Mail) -> Report {
        let ctx = self.prepare(mail);
        let mut r = Reasons::new(&self.cfg);
        for (id, ev) in &mail.problems {
            r.add(id, ev.clone());
        }
        checks::headers::auth(&ctx, &mut r);
        checks::headers::addresses(&ctx, &mut r);
        checks::headers::display_name(&ctx, &mut r);
        checks::headers::freemail_org(&ctx, &mut r);
        checks::headers::subject_token(&ctx, &mut r);
        checks::headers::hygiene(&ctx, &mut r);
        checks::headers::received(&ctx, &mut r);
        checks::lookalike::sender(&ctx, &mut r);
        checks::lookalike::links(&ctx, &mut r);
        checks::lookalike::brand_links(&ctx, &mut r);
        checks::links::urls(&ctx, &mut r);
        checks::links::text_mismatch(&ctx, &mut r);
        checks::links::html_body(&ctx, &mut r);
        checks::links::zero_width(&ctx, &mut r);
        checks::attachments::attachments(&ctx, &mut r);
        checks::sender::malformed(&ctx, &mut r);
        checks::sender::recipient(&ctx, &mut r);
        checks::sender::free_hosting(&ctx, &mut r);
        checks::sender::reply_to_freemail(&ctx, &mut r);
        checks::sender::encoded_words(&ctx, &mut r);
        checks::sender::disguised_text(&ctx, &mut r);
        checks::sender::random_local(&ctx, &mut r);
        self.lures.check(&ctx, &mut r);
        checks::combos::credential_harvest(&ctx, &mut r);
        checks::combos::brand_subject(&ctx, &mut r);
        checks::combos::brand_sender_spoof(&ctx, &mut r);
        let posterior = self.model.as_ref().map(|m| self.model_reasons(m, &bayes::tokens(&ctx), &mut r));
        let (score, verdict) = decide(&self.cfg, &r.list);
        Report {
            verdict,
            score: (score * 100.0).round() / 100.0,
            reasons: r.list,
            observables: observables(&ctx),
            model: posterior,
        }
    }

    /// Model evidence scales with the mean log-likelihood ratio per known token, not with the
    /// posterior: naive Bayes posteriors saturate at 0 or 1 on any long message (solicited
    /// newsletters read as spam with p = 1.0), while the per-token mean stays calibrated.
    /// Nothing below [`MODEL_MARGIN`], the full weight at `MODEL_MARGIN + MODEL_RAMP`; both
    /// tuned on a train-only cross-validation fold (`examples/dump.rs ... cv|cv2`).
    fn model_reasons(&self, m: &Model, tokens: &[String], r: &mut Reasons) -> [f64; 3] {
        let p = m.classify(tokens);
        let (lp, known) = m.evidence(tokens);
        let bad = lp[1].max(lp[2]);
        let mean = (bad - lp[0]) / known.max(1) as f64;
        let scale = |d: f64| ((d - MODEL_MARGIN) / MODEL_RAMP).clamp(0.0, 1.0);
        if mean > 0.0 {
            let (id, pc) = if lp[2] >= lp[1] { ("BAYES_PHISH", p.0[2]) } else { ("BAYES_SPAM", p.0[1]) };
            let w = self.cfg.reason(id).weight * scale(mean);
            if w > 0.0 {
                r.add_weighted(
                    id,
                    (w * 100.0).round() / 100.0,
                    format!("model log-odds/token {mean:.3}, p({})={pc:.4}", &id[6..].to_ascii_lowercase()),
                );
            }
        } else {
            let w = self.cfg.reason("BAYES_HAM").weight * scale(-mean);
            if w < 0.0 {
                r.add_weighted(
                    "BAYES_HAM",
                    (w * 100.0).round() / 100.0,
                    format!("model log-odds/token {:.3}, p(ham)={:.4}", -mean, p.0[0]),
                );
            }
        }
        p.0
    }

    /// Parse once what every check needs: HTML scans, visible text, URLs.
    pub fn prepare<'a>(&'a self, mail: &'a Mail) -> Ctx<'a> {
        let lim = &self.cfg.limits;
        let html: Vec<html::HtmlInfo> = mail.html_bodies.iter().map(|h| html::scan(h)).collect();
        let mut text = String::with_capacity(4096);
        text.push_str(&mail.subject.to_lowercase());
        text.push(' ');
        for t in &mail.text_bodies {
            if text.len() >= TEXT_BUDGET {
                break;
            }
            text.push_str(&floor_char(t, TEXT_BUDGET - text.len().min(TEXT_BUDGET)).to_lowercase());
            text.push(' ');
        }
        for h in &html {
            if text.len() >= TEXT_BUDGET {
                break;
            }
            text.push_str(&floor_char(&h.text, TEXT_BUDGET - text.len().min(TEXT_BUDGET)).to_lowercase());
            text.push(' ');
        }
        let mut raw_urls: Vec<String> = Vec::new();
        let mut other = Vec::new();
        for h in &html {
            for u in h.links.iter().map(|(u, _)| u).chain(h.other_urls.iter()).chain(h.form_actions.iter()) {
                if raw_urls.len() >= lim.max_urls {
                    break;
                }
                if urls::parse(u).is_some() {
                    raw_urls.push(u.clone());
                } else if !u.is_empty() {
                    other.push(u.clone());
                }
            }
        }
        for t in &mail.text_bodies {
            urls::find_in_text(floor_char(t, TEXT_BUDGET), lim.max_urls, &mut raw_urls);
        }
        for h in &html {
            urls::find_in_text(floor_char(&h.text, TEXT_BUDGET), lim.max_urls, &mut raw_urls);
        }
        let mut seen = FxHashSet::default();
        let parsed: Vec<urls::Url> = raw_urls
            .iter()
            .filter_map(|u| urls::parse(u))
            .filter(|u| u.host.contains('.') || crate::domain::is_ip(&u.host))
            .filter(|u| seen.insert(u.raw.clone()))
            .take(lim.max_urls)
            .collect();
        let from_reg = mail.from.as_ref().map(|f| registrable(f.domain())).unwrap_or_default();
        Ctx { cfg: &self.cfg, mail, html, text_lc: text, urls: parsed, other_links: other, from_reg }
    }
}

fn observables(ctx: &Ctx) -> Observables {
    let m = ctx.mail;
    let mut ips = Vec::new();
    for v in m.header_values("Received") {
        for ip in ips_in(v) {
            if !ips.contains(&ip) {
                ips.push(ip);
            }
        }
    }
    Observables {
        sender: m.from.as_ref().map(|f| f.address.clone()),
        reply_to: m.reply_to.iter().map(|r| r.address.clone()).collect(),
        return_path: m.return_path.clone(),
        subject: m.subject.clone(),
        urls: ctx.urls.iter().take(100).map(|u| UrlObs { url: u.raw.clone(), domain: registrable(&u.host) }).collect(),
        attachments: m
            .attachments
            .iter()
            .map(|a| AttachmentObs {
                name: a.name.clone(),
                content_type: a.content_type.clone(),
                size: a.data.len(),
                sha256: hex(&Sha256::digest(&a.data)),
            })
            .collect(),
        received_ips: ips,
    }
}

fn hex(b: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(H[(x >> 4) as usize] as char);
        s.push(H[(x & 15) as usize] as char);
    }
    s
}

/// IPv4 and bracketed IPv6 literals in a Received header.
pub fn ips_in(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tok in v.split(|c: char| !(c.is_ascii_hexdigit() || c == '.' || c == ':')) {
        let t = tok.trim_matches(['.', ':']);
        if t.len() < 7 {
            continue;
        }
        if let Ok(ip) = t.parse::<std::net::IpAddr>()
            && (t.contains('.') || t.matches(':').count() >= 2)
        {
            out.push(ip.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        let mut v: Vec<String> = s.split_whitespace().map(str::to_string).collect();
        v.sort();
        v.dedup();
        v
    }

    /// A long message whose posterior saturates but whose tokens are only mildly spammy gets
    /// little or no model weight; a message made of strongly spammy tokens gets the full weight.
    #[test]
    fn model_weight_follows_mean_log_odds_not_posterior() {
        let mut m = Model::new();
        let shared = "offer newsletter subscribe deals today price";
        for i in 0..40 {
            m.learn(0, &words(&format!("{shared} meeting agenda minutes h{i}")));
            m.learn(1, &words(&format!("{shared} viagra casino lottery s{i}")));
        }
        // A spam token added to each message, so the shared words lean slightly spam.
        for _ in 0..10 {
            m.learn(1, &words(shared));
        }
        let a = Analyser::new(Config::default_config().unwrap(), Some(m.clone())).unwrap();
        let cfg = a.config().clone();
        let bayes_w = |toks: &[String]| {
            let mut r = Reasons::new(&cfg);
            let p = a.model_reasons(&m, toks, &mut r);
            (p, r.list.iter().find(|x| x.id.starts_with("BAYES")).map(|x| (x.id.clone(), x.weight)))
        };
        let (p, w) = bayes_w(&words(shared));
        assert!(p[1] > 0.5, "{p:?}");
        assert!(w.as_ref().is_none_or(|(_, w)| *w < cfg.reason("BAYES_SPAM").weight), "{w:?}");
        let (_, w) = bayes_w(&words("viagra casino lottery"));
        assert_eq!(w, Some(("BAYES_SPAM".to_string(), cfg.reason("BAYES_SPAM").weight)));
        let (_, w) = bayes_w(&words("meeting agenda minutes"));
        assert_eq!(w, Some(("BAYES_HAM".to_string(), cfg.reason("BAYES_HAM").weight)));
    }

    #[test]
    fn received_ips_extracted() {
        assert_eq!(
            ips_in("from mx.example ([192.0.2.7]) by a.b (2001:db8::5) with SMTP; 1 Jan"),
            vec!["192.0.2.7", "2001:db8::5"]
        );
        assert!(ips_in("from localhost by x with local").is_empty());
    }
}
