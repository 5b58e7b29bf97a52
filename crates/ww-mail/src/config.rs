//! Analysis configuration: weights, thresholds, lists and limits.
//!
//! Defaults live in `data/default.toml` (embedded) so that operators tune a data file, not code.
//! An override file has the same shape; every table it gives replaces or extends the default
//! one key by key, and unknown keys are rejected so a typo is not silently ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::MailError;

/// The embedded default configuration.
pub const DEFAULT_TOML: &str = include_str!("../data/default.toml");

/// Which verdict a reason argues for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasonClass {
    Spam,
    Phish,
    Malicious,
    None,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonSpec {
    pub weight: f64,
    pub class: ReasonClass,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub flag: f64,
    pub malicious: f64,
}

/// Bounds on work per message, so hostile input costs bounded memory and time.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub max_message_bytes: usize,
    pub max_parts: usize,
    pub max_attachment_bytes: usize,
    pub max_archive_entries: usize,
    pub max_unpacked_bytes: u64,
    pub max_ratio: u64,
    pub max_html_bytes: usize,
    pub max_urls: usize,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Protected {
    pub domains: Vec<String>,
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Freemail {
    pub domains: Vec<String>,
    pub org_words: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct UrlLists {
    pub shorteners: Vec<String>,
    pub redirectors: Vec<String>,
    pub redirect_params: Vec<String>,
    pub free_hosting: Vec<String>,
    pub abused_tlds: Vec<String>,
    pub many_domains: usize,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Lures {
    pub urgency: Vec<String>,
    pub payment_change: Vec<String>,
    pub password: Vec<String>,
    pub account: Vec<String>,
    pub document_share: Vec<String>,
    pub voicemail: Vec<String>,
    pub prize: Vec<String>,
    pub spam: Vec<String>,
    pub qr: Vec<String>,
    /// Parcel fees, failed deliveries, customs charges.
    #[serde(default)]
    pub delivery: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub version: u32,
    pub thresholds: Thresholds,
    pub limits: Limits,
    pub reasons: BTreeMap<String, ReasonSpec>,
    pub protected: Protected,
    pub freemail: Freemail,
    pub brands: BTreeMap<String, Vec<String>>,
    pub urls: UrlLists,
    pub lures: Lures,
}

/// An override file: every part optional.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Overlay {
    version: Option<u32>,
    thresholds: Option<Thresholds>,
    limits: Option<Limits>,
    #[serde(default)]
    reasons: BTreeMap<String, ReasonSpec>,
    protected: Option<Protected>,
    freemail: Option<Freemail>,
    #[serde(default)]
    brands: BTreeMap<String, Vec<String>>,
    urls: Option<UrlLists>,
    lures: Option<Lures>,
}

impl Config {
    /// The embedded defaults.
    pub fn default_config() -> Result<Config, MailError> {
        toml::from_str(DEFAULT_TOML)
            .map_err(|e| MailError::Config { file: "<embedded default.toml>".into(), reason: e.to_string() })
    }

    /// Defaults overlaid with an operator file's text (`file` names it in errors).
    pub fn with_overrides(file: &str, text: &str) -> Result<Config, MailError> {
        let mut cfg = Self::default_config()?;
        let o: Overlay =
            toml::from_str(text).map_err(|e| MailError::Config { file: file.into(), reason: e.to_string() })?;
        if let Some(v) = o.version
            && v != 1
        {
            return Err(MailError::Config {
                file: file.into(),
                reason: format!("unsupported config version {v} (expected 1)"),
            });
        }
        let unknown: Vec<&String> = o.reasons.keys().filter(|k| !cfg.reasons.contains_key(*k)).collect();
        if !unknown.is_empty() {
            return Err(MailError::Config {
                file: file.into(),
                reason: format!("unknown reason ids in [reasons]: {unknown:?}"),
            });
        }
        if let Some(t) = o.thresholds {
            cfg.thresholds = t;
        }
        if let Some(l) = o.limits {
            cfg.limits = l;
        }
        cfg.reasons.extend(o.reasons);
        if let Some(p) = o.protected {
            cfg.protected = p;
        }
        if let Some(f) = o.freemail {
            cfg.freemail = f;
        }
        cfg.brands.extend(o.brands);
        if let Some(u) = o.urls {
            cfg.urls = u;
        }
        if let Some(l) = o.lures {
            cfg.lures = l;
        }
        Ok(cfg)
    }

    /// Weight and class of a reason id; unknown ids weigh nothing (they are still reported).
    pub fn reason(&self, id: &str) -> ReasonSpec {
        self.reasons.get(id).copied().unwrap_or(ReasonSpec { weight: 0.0, class: ReasonClass::None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_have_weights() {
        let c = Config::default_config().unwrap();
        assert!(c.reason("LOOKALIKE_SENDER").weight > 0.0);
        assert_eq!(c.reason("ATTACHMENT_MACRO").class, ReasonClass::Malicious);
        assert!(c.protected.domains.iter().any(|d| d == "council.gov.uk"));
    }

    #[test]
    fn override_replaces_weight_and_rejects_unknown() {
        let c = Config::with_overrides("t.toml", "[reasons]\nURL_SHORTENER = { weight = 9.0, class = \"spam\" }\n")
            .unwrap();
        assert_eq!(c.reason("URL_SHORTENER").weight, 9.0);
        assert!(Config::with_overrides("t.toml", "[reasons]\nNOPE = { weight = 1.0, class = \"spam\" }").is_err());
        assert!(Config::with_overrides("t.toml", "bogus = 1").is_err());
        let p = Config::with_overrides("t.toml", "[protected]\ndomains=[\"mycouncil.gov.uk\"]\nnames=[]").unwrap();
        assert_eq!(p.protected.domains, vec!["mycouncil.gov.uk".to_string()]);
    }
}
