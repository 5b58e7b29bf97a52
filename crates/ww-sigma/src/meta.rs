//! Rule metadata: what an analyst sees beside a detection, and what rule selection filters on.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Serialize;

/// Sigma `level`, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "informational" | "info" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            other => {
                return Err(format!("unknown level '{other}' (expected informational, low, medium, high or critical)"));
            }
        })
    }
}

/// Sigma `status`: how mature a rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Stable,
    Test,
    Experimental,
    Deprecated,
    Unsupported,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Stable => "stable",
            Status::Test => "test",
            Status::Experimental => "experimental",
            Status::Deprecated => "deprecated",
            Status::Unsupported => "unsupported",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "stable" => Status::Stable,
            "test" => Status::Test,
            "experimental" => Status::Experimental,
            "deprecated" => Status::Deprecated,
            "unsupported" => Status::Unsupported,
            other => {
                return Err(format!(
                    "unknown status '{other}' (expected stable, test, experimental, deprecated or unsupported)"
                ));
            }
        })
    }
}

/// Everything about a rule except its detection logic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleMeta {
    pub id: Option<String>,
    pub title: String,
    /// `medium` when the rule gives none (the Sigma default used by most tools).
    pub level: Level,
    pub status: Option<Status>,
    pub tags: Vec<String>,
    /// ATT&CK technique ids from `attack.tNNNN[.NNN]` tags, upper-cased (`T1059.001`).
    pub attack_ids: Vec<String>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub date: Option<String>,
    pub modified: Option<String>,
    pub references: Vec<String>,
    pub falsepositives: Vec<String>,
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
    pub path: PathBuf,
}

/// `attack.t1059.001` → `T1059.001`; other tags → `None`.
pub fn attack_id(tag: &str) -> Option<String> {
    let rest = tag.strip_prefix("attack.")?;
    let mut chars = rest.chars();
    if !matches!(chars.next(), Some('t' | 'T')) {
        return None;
    }
    let body = &rest[1..];
    let (main, sub) = match body.split_once('.') {
        Some((m, s)) => (m, Some(s)),
        None => (body, None),
    };
    if main.len() != 4 || !main.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match sub {
        None => Some(format!("T{main}")),
        Some(s) if s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) => Some(format!("T{main}.{s}")),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_parse_and_display() {
        assert!(Level::Informational < Level::Low && Level::Low < Level::Medium);
        assert!(Level::High < Level::Critical);
        assert_eq!("HIGH".parse::<Level>(), Ok(Level::High));
        assert!("severe".parse::<Level>().is_err());
        assert_eq!(Level::Critical.to_string(), "critical");
        assert_eq!("test".parse::<Status>(), Ok(Status::Test));
        assert!("beta".parse::<Status>().is_err());
    }

    #[test]
    fn attack_ids_from_tags() {
        assert_eq!(attack_id("attack.t1059.001").as_deref(), Some("T1059.001"));
        assert_eq!(attack_id("attack.t1059").as_deref(), Some("T1059"));
        assert_eq!(attack_id("attack.execution"), None);
        assert_eq!(attack_id("attack.g0016"), None);
        assert_eq!(attack_id("cve.2021-44228"), None);
        assert_eq!(attack_id("attack.t10"), None);
    }
}
