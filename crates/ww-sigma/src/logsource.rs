//! Logsource mapping: which events a rule's `logsource` refers to. Data, not code: an embedded
//! default YAML that users can extend with their own files.

use rustc_hash::FxHashSet;
use ww_core::SourceKind;

use crate::ast::fold;
use crate::yaml::{Yaml, parse_documents};

const DEFAULT_MAP: &str = include_str!("../data/logsources.yml");

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LogsourceError {
    #[error("logsource map: YAML error at line {line:?}, column {column:?}: {message}")]
    Yaml { message: String, line: Option<usize>, column: Option<usize> },
    #[error("logsource map: entry {index}: {reason}")]
    Entry { index: usize, reason: String },
}

/// One entry: a (product, category, service) key and the events it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct LogsourceEntry {
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
    /// `None` = any kind.
    pub kinds: Option<Vec<SourceKind>>,
    /// OR of ANDs of (field, accepted folded values).
    pub when: Vec<Vec<(String, Vec<String>)>>,
}

/// The mapping used to resolve rule logsources.
#[derive(Debug, Clone, PartialEq)]
pub struct LogsourceMap {
    entries: Vec<LogsourceEntry>,
}

impl Default for LogsourceMap {
    /// The embedded default mapping.
    fn default() -> Self {
        match LogsourceMap::from_yaml_str(DEFAULT_MAP) {
            Ok(m) => m,
            // The embedded file is tested; an empty map is the safe fallback.
            Err(_) => LogsourceMap { entries: Vec::new() },
        }
    }
}

fn kind_from_str(s: &str) -> Option<SourceKind> {
    Some(match s.to_ascii_lowercase().as_str() {
        "evtx" => SourceKind::Evtx,
        "json" => SourceKind::Json,
        "syslog" => SourceKind::Syslog,
        "access_log" | "accesslog" => SourceKind::AccessLog,
        "w3c" => SourceKind::W3c,
        _ => return None,
    })
}

impl LogsourceMap {
    pub fn empty() -> Self {
        LogsourceMap { entries: Vec::new() }
    }

    pub fn entries(&self) -> &[LogsourceEntry] {
        &self.entries
    }

    /// Parses a mapping file (`logsources:` list, see `data/logsources.yml`).
    pub fn from_yaml_str(s: &str) -> Result<Self, LogsourceError> {
        let docs = parse_documents(s).map_err(|e| LogsourceError::Yaml {
            message: e.message,
            line: e.line,
            column: e.column,
        })?;
        let Some(doc) = docs.first() else {
            return Ok(LogsourceMap::empty());
        };
        let Some(Yaml::Seq(items)) = doc.get("logsources") else {
            return Err(LogsourceError::Yaml {
                message: "expected a top-level 'logsources:' list".into(),
                line: None,
                column: None,
            });
        };
        let mut entries = Vec::new();
        for (index, it) in items.iter().enumerate() {
            let err = |reason: String| LogsourceError::Entry { index, reason };
            let Yaml::Map(m) = it else {
                return Err(err("entry is not a map".into()));
            };
            let mut e = LogsourceEntry { product: None, category: None, service: None, kinds: None, when: Vec::new() };
            for (k, v) in m {
                match k.as_str() {
                    "product" | "category" | "service" => {
                        let s = v.scalar_text().ok_or_else(|| err(format!("'{k}' must be a string")))?;
                        let slot = match k.as_str() {
                            "product" => &mut e.product,
                            "category" => &mut e.category,
                            _ => &mut e.service,
                        };
                        *slot = Some(s.to_ascii_lowercase());
                    }
                    "kinds" => {
                        let Yaml::Seq(ks) = v else {
                            return Err(err("'kinds' must be a list".into()));
                        };
                        let mut kinds = Vec::new();
                        for k in ks {
                            let name = k.as_str().unwrap_or("");
                            kinds.push(kind_from_str(name).ok_or_else(|| err(format!("unknown kind '{name}'")))?);
                        }
                        e.kinds = Some(kinds);
                    }
                    "when" => {
                        let Yaml::Seq(alts) = v else {
                            return Err(err("'when' must be a list of maps".into()));
                        };
                        for a in alts {
                            let Yaml::Map(conds) = a else {
                                return Err(err("'when' items must be maps".into()));
                            };
                            let mut conj = Vec::new();
                            for (field, val) in conds {
                                let vals: Vec<String> = match val {
                                    Yaml::Seq(vs) => {
                                        vs.iter().filter_map(Yaml::scalar_text).map(|s| fold(&s)).collect()
                                    }
                                    other => other.scalar_text().map(|s| vec![fold(&s)]).unwrap_or_default(),
                                };
                                if vals.is_empty() {
                                    return Err(err(format!("condition on '{field}' has no value")));
                                }
                                conj.push((field.clone(), vals));
                            }
                            e.when.push(conj);
                        }
                    }
                    other => return Err(err(format!("unknown key '{other}'"))),
                }
            }
            if e.product.is_none() && e.category.is_none() && e.service.is_none() {
                return Err(err("entry names no product, category or service".into()));
            }
            entries.push(e);
        }
        Ok(LogsourceMap { entries })
    }

    /// Adds `other`'s entries; an entry with the same (product, category, service) replaces ours.
    pub fn merge(&mut self, other: LogsourceMap) {
        for e in other.entries {
            match self
                .entries
                .iter_mut()
                .find(|x| x.product == e.product && x.category == e.category && x.service == e.service)
            {
                Some(x) => *x = e,
                None => self.entries.push(e),
            }
        }
    }

    /// Resolves a rule's logsource once, at compile time.
    pub(crate) fn resolve(&self, product: Option<&str>, category: Option<&str>, service: Option<&str>) -> Resolved {
        let lc = |s: Option<&str>| s.map(str::to_ascii_lowercase);
        let (p, c, s) = (lc(product), lc(category), lc(service));
        if p.is_none() && c.is_none() && s.is_none() {
            return Resolved::Any;
        }
        let fits =
            |want: &Option<String>, have: &Option<String>| want.as_ref().is_none_or(|w| have.as_ref() == Some(w));
        let matching: Vec<&LogsourceEntry> = self
            .entries
            .iter()
            .filter(|e| fits(&e.product, &p) && fits(&e.category, &c) && fits(&e.service, &s))
            .collect();
        let covered = |have: &Option<String>, pick: fn(&LogsourceEntry) -> &Option<String>| {
            have.is_none() || matching.iter().any(|e| pick(e).is_some())
        };
        if !(covered(&p, |e| &e.product) && covered(&c, |e| &e.category) && covered(&s, |e| &e.service)) {
            return Resolved::Unmapped;
        }
        let mut kinds: Option<Vec<SourceKind>> = None;
        let mut groups = Vec::new();
        for e in matching {
            if let Some(ks) = &e.kinds {
                kinds = Some(match kinds {
                    None => ks.clone(),
                    Some(prev) => prev.into_iter().filter(|k| ks.contains(k)).collect(),
                });
            }
            if !e.when.is_empty() {
                groups.push(e.when.clone());
            }
        }
        Resolved::Mapped { kinds, groups }
    }

    /// Every field that some entry's condition reads: these make up the dispatch key.
    pub(crate) fn key_fields(&self) -> Vec<(String, FxHashSet<String>)> {
        let mut out: Vec<(String, FxHashSet<String>)> = Vec::new();
        for e in &self.entries {
            for conj in &e.when {
                for (f, vals) in conj {
                    let slot = match out.iter_mut().position(|(n, _)| n == f) {
                        Some(i) => &mut out[i].1,
                        None => {
                            out.push((f.clone(), FxHashSet::default()));
                            let last = out.len() - 1;
                            &mut out[last].1
                        }
                    };
                    slot.extend(vals.iter().cloned());
                }
            }
        }
        out
    }
}

/// One entry's alternatives: OR of ANDs of (field, accepted folded values).
pub(crate) type Alternatives = Vec<Vec<(String, Vec<String>)>>;

/// A rule's logsource after resolution.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    /// No logsource given: every event.
    Any,
    /// Not (fully) known to the map: generic JSON events only.
    Unmapped,
    /// `kinds` (None = any) and, for each matching entry, alternatives of field conditions.
    Mapped { kinds: Option<Vec<SourceKind>>, groups: Vec<Alternatives> },
}

impl Resolved {
    /// Does the rule apply to an event of `kind` whose key fields have these folded values
    /// (`None` = absent)?
    pub(crate) fn applies<'v>(&self, kind: SourceKind, value: &dyn Fn(&str) -> Option<&'v str>) -> bool {
        match self {
            Resolved::Any => true,
            // A logsource the map does not know (zeek, aws, cisco...) may be any JSON export, but
            // not a Windows event shipped as JSON (Winlogbeat, evtx_dump), which has a
            // `Channel`: giving those the rules of every other product raised false alerts on
            // each one (a Zeek rule written as `not <private source range>`, say).
            Resolved::Unmapped => kind == SourceKind::Json && value("Channel").is_none(),
            Resolved::Mapped { kinds, groups } => {
                kinds.as_ref().is_none_or(|ks| ks.contains(&kind))
                    && groups.iter().all(|alts| {
                        alts.iter().any(|conj| {
                            conj.iter().all(|(f, vals)| value(f).is_some_and(|v| vals.iter().any(|x| x == v)))
                        })
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_map_parses_and_resolves() {
        let m = LogsourceMap::from_yaml_str(DEFAULT_MAP).unwrap();
        assert!(m.entries().len() > 50);
        let r = m.resolve(Some("windows"), Some("process_creation"), None);
        // Key values arrive folded, as the dispatch key holds them.
        let vals = |ch: &'static str, id: &'static str| {
            let ch: &'static str = Box::leak(fold(ch).into_boxed_str());
            move |f: &str| match f {
                "Channel" => Some(ch),
                "EventID" => Some(id),
                _ => None,
            }
        };
        assert!(r.applies(SourceKind::Evtx, &vals("Microsoft-Windows-Sysmon/Operational", "1")));
        assert!(r.applies(SourceKind::Evtx, &vals("Security", "4688")));
        assert!(!r.applies(SourceKind::Evtx, &vals("Security", "1")));
        assert!(!r.applies(SourceKind::Syslog, &vals("Security", "4688")));
        assert_eq!(m.resolve(Some("aws"), None, Some("cloudtrail")), Resolved::Unmapped);
        assert!(Resolved::Unmapped.applies(SourceKind::Json, &|_| None));
        assert!(!Resolved::Unmapped.applies(SourceKind::Json, &vals("Security", "4624")), "Windows JSON");
        assert!(!Resolved::Unmapped.applies(SourceKind::Syslog, &|_| None));
        assert_eq!(m.resolve(Some("windows"), Some("no_such_category"), None), Resolved::Unmapped);
        assert_eq!(m.resolve(None, None, None), Resolved::Any);
        let web = m.resolve(None, Some("webserver"), None);
        assert!(web.applies(SourceKind::AccessLog, &|_| None));
        assert!(web.applies(SourceKind::W3c, &|_| None));
        assert!(!web.applies(SourceKind::Json, &|_| None));
        let sshd = m.resolve(Some("linux"), None, Some("sshd"));
        assert!(sshd.applies(SourceKind::Syslog, &|f| { (f == "app_name").then_some("sshd") }));
        assert!(!sshd.applies(SourceKind::Syslog, &|f| { (f == "app_name").then_some("cron") }));
        assert!(!sshd.applies(SourceKind::Evtx, &|f| { (f == "app_name").then_some("sshd") }));
    }

    #[test]
    fn user_map_merges_over_default() {
        let mut m = LogsourceMap::default();
        let extra = LogsourceMap::from_yaml_str(
            "logsources:\n  - { product: aws, service: cloudtrail, kinds: [json], when: [{eventSource: x}] }\n  - { product: windows, service: security, when: [{Channel: MySecurity}] }\n",
        )
        .unwrap();
        m.merge(extra);
        let r = m.resolve(Some("aws"), None, Some("cloudtrail"));
        assert!(r.applies(SourceKind::Json, &|f| { (f == "eventSource").then_some("x") }));
        assert!(!r.applies(SourceKind::Json, &|_| None));
        let s = m.resolve(Some("windows"), None, Some("security"));
        assert!(s.applies(SourceKind::Evtx, &|f| { (f == "Channel").then_some("mysecurity") }));
        assert!(!s.applies(SourceKind::Evtx, &|f| { (f == "Channel").then_some("security") }));
        assert!(LogsourceMap::from_yaml_str("logsources:\n  - { kinds: [evtx] }\n").is_err());
        assert!(LogsourceMap::from_yaml_str("logsources:\n  - { product: x, kinds: [tape] }\n").is_err());
    }
}
