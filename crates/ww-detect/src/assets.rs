//! Asset criticality from configuration: a list of entries matched against an event's host
//! (glob, case-insensitive, `*` and `?`) and source IP (CIDR or a single address).
//!
//! ```toml
//! [[assets]]
//! name = "Domain controllers"
//! match_host = "dc*.wardshire.gov.uk"
//! criticality = "critical"
//!
//! [[assets]]
//! name = "Payments network"
//! match_ip = "10.20.0.0/16"
//! criticality = "high"
//! ```
//!
//! An entry matches when every matcher it names matches; the most critical matching entry
//! wins; no match is `normal`.

use std::fmt;

use ipnet::IpNet;
use serde::Deserialize;

use crate::entity::Promoted;

/// How much an asset matters; scales the triage score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Criticality {
    Low,
    #[default]
    Normal,
    High,
    Critical,
}

impl Criticality {
    pub fn as_str(self) -> &'static str {
        match self {
            Criticality::Low => "low",
            Criticality::Normal => "normal",
            Criticality::High => "high",
            Criticality::Critical => "critical",
        }
    }
}

impl fmt::Display for Criticality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an asset entry was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssetError {
    #[error("asset '{name}': match_ip '{value}' is neither a CIDR network nor an IP address")]
    BadIp { name: String, value: String },
    #[error("asset '{name}': needs match_host or match_ip")]
    NoMatcher { name: String },
    #[error("asset '{name}': match_host is longer than {max} characters")]
    GlobTooLong { name: String, max: usize },
}

const MAX_GLOB: usize = 255;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    name: String,
    match_host: Option<String>,
    match_ip: Option<String>,
    criticality: Criticality,
}

/// One configured asset (or group of assets).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawEntry")]
pub struct AssetEntry {
    pub name: String,
    /// Lower-cased glob.
    pub match_host: Option<String>,
    pub match_ip: Option<IpNet>,
    pub criticality: Criticality,
}

impl TryFrom<RawEntry> for AssetEntry {
    type Error = AssetError;
    fn try_from(r: RawEntry) -> Result<Self, AssetError> {
        AssetEntry::new(r.name, r.match_host.as_deref(), r.match_ip.as_deref(), r.criticality)
    }
}

impl AssetEntry {
    /// Validates and builds an entry: at least one matcher; `match_ip` a CIDR or an address.
    pub fn new(
        name: String,
        match_host: Option<&str>,
        match_ip: Option<&str>,
        criticality: Criticality,
    ) -> Result<Self, AssetError> {
        if match_host.is_none() && match_ip.is_none() {
            return Err(AssetError::NoMatcher { name });
        }
        if match_host.is_some_and(|g| g.chars().count() > MAX_GLOB) {
            return Err(AssetError::GlobTooLong { name, max: MAX_GLOB });
        }
        let match_ip = match match_ip {
            None => None,
            Some(s) => {
                let s = s.trim();
                let net = s.parse::<IpNet>().ok().or_else(|| s.parse::<std::net::IpAddr>().ok().map(IpNet::from));
                match net {
                    Some(n) => Some(n),
                    None => return Err(AssetError::BadIp { name, value: s.to_owned() }),
                }
            }
        };
        Ok(AssetEntry { name, match_host: match_host.map(|g| g.trim().to_lowercase()), match_ip, criticality })
    }

    fn matches(&self, p: &Promoted) -> bool {
        if let Some(glob) = &self.match_host {
            match &p.host {
                Some(h) if glob_match(glob, &h.to_lowercase()) => {}
                _ => return false,
            }
        }
        if let Some(net) = &self.match_ip {
            match p.src_ip.as_deref().and_then(|s| s.parse::<std::net::IpAddr>().ok()) {
                Some(ip) if net.contains(&ip) => {}
                _ => return false,
            }
        }
        true
    }
}

/// The configured assets (a TOML array of tables).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct AssetList {
    pub entries: Vec<AssetEntry>,
}

impl AssetList {
    pub fn new(entries: Vec<AssetEntry>) -> Self {
        AssetList { entries }
    }

    /// The criticality of the most critical entry matching `p`; `normal` when none does.
    pub fn criticality_of(&self, p: &Promoted) -> Criticality {
        self.entries.iter().filter(|e| e.matches(p)).map(|e| e.criticality).max().unwrap_or_default()
    }
}

/// `*` any run, `?` any one character; iterative with one backtrack point, so linear-ish and
/// never recursive on hostile input.
fn glob_match(glob: &str, text: &str) -> bool {
    let g: Vec<char> = glob.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut gi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if gi < g.len() && (g[gi] == '?' || g[gi] == t[ti]) {
            gi += 1;
            ti += 1;
        } else if gi < g.len() && g[gi] == '*' {
            star = Some((gi, ti));
            gi += 1;
        } else if let Some((sg, st)) = star {
            gi = sg + 1;
            ti = st + 1;
            star = Some((sg, st + 1));
        } else {
            return false;
        }
    }
    g[gi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(host: Option<&str>, ip: Option<&str>) -> Promoted {
        Promoted { host: host.map(Into::into), src_ip: ip.map(Into::into), user: None }
    }

    #[test]
    fn globs() {
        assert!(glob_match("dc*.wardshire.gov.uk", "dc01.wardshire.gov.uk"));
        assert!(glob_match("ws-0??", "ws-042"));
        assert!(!glob_match("ws-0??", "ws-0421"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
    }

    #[test]
    fn from_toml_and_most_critical_wins() {
        #[derive(Deserialize)]
        struct Cfg {
            assets: AssetList,
        }
        let cfg: Cfg = toml::from_str(
            r#"
            [[assets]]
            name = "DCs"
            match_host = "DC*.wardshire.gov.uk"
            criticality = "critical"
            [[assets]]
            name = "Servers"
            match_ip = "10.20.0.0/16"
            criticality = "high"
            [[assets]]
            name = "Kiosk"
            match_ip = "10.30.0.7"
            criticality = "low"
            [[assets]]
            name = "Both"
            match_host = "pay*"
            match_ip = "10.20.0.0/16"
            criticality = "critical"
            "#,
        )
        .expect("valid config");
        let a = cfg.assets;
        assert_eq!(a.criticality_of(&p(Some("dc01.wardshire.gov.uk"), None)), Criticality::Critical);
        assert_eq!(a.criticality_of(&p(None, Some("10.20.3.4"))), Criticality::High);
        assert_eq!(a.criticality_of(&p(Some("pay01"), Some("10.20.3.4"))), Criticality::Critical);
        assert_eq!(a.criticality_of(&p(Some("pay01"), Some("10.21.3.4"))), Criticality::Normal);
        assert_eq!(a.criticality_of(&p(None, Some("10.30.0.7"))), Criticality::Low);
        assert_eq!(a.criticality_of(&p(Some("ws-1"), None)), Criticality::Normal);
    }

    #[test]
    fn bad_entries_are_rejected() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Cfg {
            assets: AssetList,
        }
        for bad in [
            "[[assets]]\nname='x'\ncriticality='high'",
            "[[assets]]\nname='x'\nmatch_ip='10.0.0.0/99'\ncriticality='high'",
            "[[assets]]\nname='x'\nmatch_ip='10.0.0.0/8'\ncriticality='severe'",
            "[[assets]]\nname='x'\nmatch_ip='10.0.0.0/8'\ncriticality='high'\ncolour='red'",
        ] {
            assert!(toml::from_str::<Cfg>(bad).is_err(), "{bad}");
        }
    }
}
