//! What detection hands to storage: alert aggregates and novelty keys.
//!
//! Plain data shared by `ww-detect` (which computes it, with no I/O) and `ww-store` (which
//! persists it), so neither depends on the other.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// A tenant (a council) of a wardwatch deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(pub i64);

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What an alert is about: repeated matches of one rule on one entity become one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    SourceIp,
    User,
    Host,
    /// The event named none of the above: matches of the rule aggregate per tenant.
    None,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::SourceIp => "source_ip",
            EntityKind::User => "user",
            EntityKind::Host => "host",
            EntityKind::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "source_ip" => EntityKind::SourceIp,
            "user" => EntityKind::User,
            "host" => EntityKind::Host,
            "none" => EntityKind::None,
            _ => return None,
        })
    }
}

/// The identity of one alert: tenant, rule, entity, and the id of the event that opened it
/// (a later burst after the window closed opens a new alert with a new opening event).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AlertKey {
    pub tenant: TenantId,
    pub rule_id: String,
    pub entity_kind: EntityKind,
    /// Empty for [`EntityKind::None`].
    pub entity: String,
    pub opened_by_event: i64,
}

/// Create-or-update of one alert. Applying the same upsert twice is not idempotent (counts
/// add), so the pipeline writes each in the same transaction as the events that caused it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertUpsert {
    pub key: AlertKey,
    pub rule_title: String,
    /// Sigma level name: informational, low, medium, high, critical.
    pub level: String,
    pub host: Option<String>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Matches added by this upsert.
    pub count_delta: u64,
    /// Sample event ids to add (the store keeps at most the configured number per alert).
    pub samples: Vec<i64>,
    /// Triage score 0..=100 after this update.
    pub score: u8,
    /// True when this rule had never fired for this entity before the alert opened.
    pub novel: bool,
    /// Human-readable parts of the score ("level high 70", "asset critical ×1.4", ...).
    pub score_reasons: Vec<String>,
}

/// "This rule has fired for this entity": novelty is true only the first time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NoveltyKey {
    pub tenant: TenantId,
    pub rule_id: String,
    pub entity_kind: EntityKind,
    pub entity: String,
}

/// An alert still open for aggregation, as reloaded at start-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenAlert {
    pub key: AlertKey,
    pub rule_title: String,
    pub level: String,
    pub host: Option<String>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub count: u64,
    pub samples: u32,
    pub novel: bool,
}
