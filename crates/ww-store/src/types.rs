//! The records a store reads and writes. Plain data: no SQL here.

use serde::{Deserialize, Serialize};

pub use ww_core::alert::{AlertKey, AlertUpsert, EntityKind, NoveltyKey, OpenAlert, TenantId};
pub use ww_core::incident::*;
pub use ww_core::time::Timestamp;

/// The tenants a caller may see. Built by authentication (a tenant user sees their tenants, a
/// service-wide role sees all); every tenant-owned read filters by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantScope {
    tenants: Vec<TenantId>,
}

impl TenantScope {
    pub fn new(mut tenants: Vec<TenantId>) -> Self {
        tenants.sort();
        tenants.dedup();
        TenantScope { tenants }
    }
    pub fn one(t: TenantId) -> Self {
        TenantScope { tenants: vec![t] }
    }
    pub fn tenants(&self) -> &[TenantId] {
        &self.tenants
    }
    pub fn contains(&self, t: TenantId) -> bool {
        self.tenants.binary_search(&t).is_ok()
    }
    /// Narrows to the requested tenants (unknown or foreign ones drop out silently).
    pub fn narrow(&self, wanted: &[TenantId]) -> TenantScope {
        TenantScope::new(wanted.iter().copied().filter(|t| self.contains(*t)).collect())
    }
}

/// One event to store. `id` comes from the pipeline (see `Store::next_event_id`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub id: i64,
    pub tenant: TenantId,
    /// The source's name from `wardwatch.toml` (e.g. `fw`, `winlogbeat`).
    pub source: String,
    pub received_at: Timestamp,
    /// When it happened per the event; the receive time when the event did not say.
    pub time: Timestamp,
    /// Reader that produced it (`syslog`, `json`, `access_log`, `w3c`, `evtx`) or `raw` when
    /// parsing failed.
    pub kind: String,
    /// Promoted for indexed search and alert entities.
    pub host: Option<String>,
    pub src_ip: Option<String>,
    pub user: Option<String>,
    /// The bytes as received (may be invalid UTF-8).
    pub raw: Vec<u8>,
    /// The parsed fields as a JSON object (`{}` when parsing failed).
    pub fields_json: String,
    /// Why parsing failed; the event is kept with its raw bytes.
    pub parse_error: Option<String>,
}

/// A stored event as search returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub id: i64,
    pub tenant: TenantId,
    pub source: String,
    pub received_at: Timestamp,
    pub time: Timestamp,
    pub kind: String,
    pub host: Option<String>,
    pub src_ip: Option<String>,
    pub user: Option<String>,
    /// Lossy UTF-8 of the raw bytes.
    pub raw: String,
    pub fields: serde_json::Value,
    pub parse_error: Option<String>,
}

/// A tailing position (or any other intake cursor), saved atomically with the events it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// e.g. `file:<source>:<path>`.
    pub key: String,
    /// Opaque to the store (the tailer's JSON).
    pub value: String,
}

/// Everything one pipeline batch changes, written in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteBatch {
    pub events: Vec<NewEvent>,
    pub alerts: Vec<AlertUpsert>,
    pub novelty: Vec<NoveltyKey>,
    pub checkpoints: Vec<Checkpoint>,
}

/// What the detector needs back after a restart.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetectorState {
    pub open_alerts: Vec<OpenAlert>,
    pub novelty: Vec<NoveltyKey>,
}

/// A field condition in an event search: `field=value`, where `value` may hold `*` and `?`
/// wildcards (`\*` for a literal star). Matching is case-insensitive, like Sigma's default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldFilter {
    pub field: String,
    pub pattern: String,
}

/// Event search. Results come newest first (by event time, then id) in pages; `cursor` is the
/// `next_cursor` of the previous page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventQuery {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Source names; empty means all.
    pub sources: Vec<String>,
    pub fields: Vec<FieldFilter>,
    /// Full text over the raw line: every whitespace-separated term must occur
    /// (case-insensitive substring semantics).
    pub text: Option<String>,
    /// 1..=1000; 0 means the default (100).
    pub limit: u32,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present when more results may follow.
    pub next_cursor: Option<String>,
}

/// Alert lifecycle: new → acknowledged → escalated or closed; escalated → closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    New,
    Acknowledged,
    Escalated,
    Closed,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::New => "new",
            AlertState::Acknowledged => "acknowledged",
            AlertState::Escalated => "escalated",
            AlertState::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "new" => AlertState::New,
            "acknowledged" => AlertState::Acknowledged,
            "escalated" => AlertState::Escalated,
            "closed" => AlertState::Closed,
            _ => return None,
        })
    }
    /// Whether `self → to` is a permitted transition. New alerts may be closed or escalated
    /// directly (an analyst need not acknowledge first); nothing leaves `closed`.
    pub fn can_move_to(self, to: AlertState) -> bool {
        use AlertState::*;
        matches!(
            (self, to),
            (New, Acknowledged)
                | (New, Escalated)
                | (New, Closed)
                | (Acknowledged, Escalated)
                | (Acknowledged, Closed)
                | (Escalated, Closed)
        )
    }
}

/// Why an alert was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    TruePositive,
    FalsePositive,
    Benign,
}

impl CloseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::TruePositive => "true_positive",
            CloseReason::FalsePositive => "false_positive",
            CloseReason::Benign => "benign",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "true_positive" => CloseReason::TruePositive,
            "false_positive" => CloseReason::FalsePositive,
            "benign" => CloseReason::Benign,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertStateChange {
    pub to: AlertState,
    /// Required when `to` is `closed`, otherwise absent.
    pub reason: Option<CloseReason>,
    pub note: Option<String>,
    pub actor: Actor,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: i64,
    pub tenant: TenantId,
    pub rule_id: String,
    pub rule_title: String,
    pub level: String,
    pub entity_kind: EntityKind,
    pub entity: String,
    pub host: Option<String>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub count: u64,
    pub score: u8,
    pub score_reasons: Vec<String>,
    pub novel: bool,
    pub state: AlertState,
    pub close_reason: Option<CloseReason>,
    /// Who made the last state change, and when.
    pub state_by: Option<String>,
    pub state_at: Option<Timestamp>,
    /// Username of whoever works the alert.
    pub assignee: Option<String>,
    /// The incident it is linked to.
    pub incident_id: Option<i64>,
}

/// One state change in an alert's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertHistoryEntry {
    pub at: Timestamp,
    pub by: String,
    pub from: AlertState,
    pub to: AlertState,
    pub reason: Option<CloseReason>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertDetail {
    pub alert: Alert,
    pub samples: Vec<StoredEvent>,
    pub history: Vec<AlertHistoryEntry>,
}

/// Alert list filter. Default order: open first, then score descending, then last seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertQuery {
    /// Empty means new, acknowledged and escalated (the open ones).
    pub states: Vec<AlertState>,
    pub min_score: Option<u8>,
    pub rule_id: Option<String>,
    pub entity: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub limit: u32,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    /// Short name used in URLs and config (`council-a`).
    pub slug: String,
    pub name: String,
}

/// A user's role within one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    ReadOnly,
    Analyst,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ReadOnly => "read_only",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "read_only" | "read-only" | "readonly" => Role::ReadOnly,
            "analyst" => Role::Analyst,
            "admin" => Role::Admin,
            _ => return None,
        })
    }
}

/// A role over every tenant, for a shared service's SOC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceRole {
    /// Administers the deployment: tenants, users, rules for everyone.
    ServiceAdmin,
    /// Analyst in every tenant.
    SocAnalyst,
}

impl ServiceRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceRole::ServiceAdmin => "service_admin",
            ServiceRole::SocAnalyst => "soc_analyst",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "service_admin" => ServiceRole::ServiceAdmin,
            "soc_analyst" => ServiceRole::SocAnalyst,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub service_role: Option<ServiceRole>,
    pub memberships: Vec<(TenantId, Role)>,
}

/// A user with the stored password hash, for login only.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub user: User,
    pub password_hash: String,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord").field("user", &self.user).field("password_hash", &"<redacted>").finish()
    }
}

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    /// Send events (ingest, `_bulk`); cannot read anything.
    Ingest,
    /// Read the API with the given role's rights.
    Api,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Ingest => "ingest",
            TokenPurpose::Api => "api",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ingest" => TokenPurpose::Ingest,
            "api" => TokenPurpose::Api,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub tenant: TenantId,
    pub name: String,
    pub purpose: TokenPurpose,
    /// For `Api` tokens: the rights; ignored for ingest tokens.
    pub role: Role,
    /// For ingest tokens: the source name events are labelled with (default `http`).
    pub source: Option<String>,
    pub created_by: String,
    pub expires: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub tenant: TenantId,
    pub name: String,
    pub purpose: TokenPurpose,
    pub role: Role,
    pub source: Option<String>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub expires: Option<Timestamp>,
    pub revoked: bool,
}

/// Who did something: a user, a token, or the system itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// `user:alice`, `token:7`, `system`.
    pub name: String,
}

impl Actor {
    pub fn system() -> Self {
        Actor { name: "system".into() }
    }
    pub fn user(name: &str) -> Self {
        Actor { name: format!("user:{name}") }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub actor: Actor,
    /// None for deployment-wide actions (creating a tenant, reloading rules).
    pub tenant: Option<TenantId>,
    /// e.g. `alert.state`, `rule.disable`, `token.create`, `login`, `login.failed`.
    pub action: String,
    /// e.g. `alert:42`.
    pub target: String,
    /// Structured detail; never secrets or personal data beyond the actor's name.
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: i64,
    #[serde(flatten)]
    pub entry: AuditEntry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Events older than this many days go.
    pub max_age_days: u32,
    /// Then oldest events go until the event data is at most this size.
    pub max_bytes: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreStats {
    pub events: u64,
    pub alerts: u64,
    pub db_bytes: u64,
}

/// Everything about one incident that the caller's scope may see: the shared headline plus the
/// child records of the caller's tenants only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentDetail {
    pub incident: Incident,
    pub alerts: Vec<Alert>,
    pub events: Vec<StoredEvent>,
    pub tasks: Vec<Task>,
    pub observables: Vec<Observable>,
    pub evidence: Vec<Evidence>,
    pub notes: Vec<Note>,
    pub services: Vec<AffectedService>,
    pub breaches: Vec<Breach>,
}

/// Headline counts for the console's dashboard, over the caller's scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardCounts {
    /// Events since `since` whose `action`-like field says the traffic was denied or blocked
    /// (see the store's implementation for the field names it counts).
    pub blocked: u64,
    pub events: u64,
    /// Alerts first seen since `since` with score >= the serious threshold.
    pub serious_alerts: u64,
    pub open_alerts: u64,
    pub open_incidents: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_narrows_to_permitted_tenants() {
        let s = TenantScope::new(vec![TenantId(3), TenantId(1)]);
        assert!(s.contains(TenantId(1)) && !s.contains(TenantId(2)));
        assert_eq!(s.narrow(&[TenantId(2), TenantId(3)]).tenants(), &[TenantId(3)]);
    }

    #[test]
    fn alert_transitions() {
        assert!(AlertState::New.can_move_to(AlertState::Acknowledged));
        assert!(AlertState::Escalated.can_move_to(AlertState::Closed));
        assert!(!AlertState::Closed.can_move_to(AlertState::New));
        assert!(!AlertState::Escalated.can_move_to(AlertState::Acknowledged));
    }
}
