//! The JSON shapes of the API. Tenants appear by slug; store records are mapped here so the
//! wire format is defined (and documented) in one place.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use ww_store::{Alert, AlertDetail, AlertHistoryEntry, AuditRecord, StoredEvent, TenantId};

use crate::RuleInfo;

/// Tenant id → slug, loaded once per request.
pub(crate) struct Slugs(pub(crate) HashMap<TenantId, String>);

impl Slugs {
    pub(crate) fn of(&self, t: TenantId) -> String {
        self.0.get(&t).cloned().unwrap_or_else(|| t.to_string())
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub tenant: String,
    pub source: String,
    pub received_at: DateTime<Utc>,
    pub time: DateTime<Utc>,
    pub kind: String,
    pub host: Option<String>,
    pub src_ip: Option<String>,
    pub user: Option<String>,
    pub raw: String,
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
    pub parse_error: Option<String>,
}

impl EventView {
    pub(crate) fn new(e: StoredEvent, s: &Slugs) -> Self {
        EventView {
            id: e.id,
            tenant: s.of(e.tenant),
            source: e.source,
            received_at: e.received_at,
            time: e.time,
            kind: e.kind,
            host: e.host,
            src_ip: e.src_ip,
            user: e.user,
            raw: e.raw,
            fields: e.fields,
            parse_error: e.parse_error,
        }
    }
}

impl EventView {
    /// The raw line for a table cell: at most 280 characters.
    pub(crate) fn raw_short(&self) -> String {
        let mut out: String = self.raw.chars().take(280).collect();
        if out.len() < self.raw.len() {
            out.push('…');
        }
        out
    }

    /// The parsed fields, indented.
    pub(crate) fn fields_pretty(&self) -> String {
        serde_json::to_string_pretty(&self.fields).unwrap_or_default()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<EventView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    pub id: i64,
    pub tenant: String,
    pub rule_id: String,
    pub rule_title: String,
    pub level: String,
    /// source_ip, user, host or none.
    pub entity_kind: String,
    pub entity: String,
    pub host: Option<String>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub count: u64,
    pub score: u8,
    pub score_reasons: Vec<String>,
    pub novel: bool,
    /// new, acknowledged, escalated, closed.
    pub state: String,
    pub close_reason: Option<String>,
    pub state_by: Option<String>,
    pub state_at: Option<DateTime<Utc>>,
    /// The incident it is linked to, if any.
    pub incident_id: Option<i64>,
}

impl AlertView {
    pub(crate) fn new(a: Alert, s: &Slugs) -> Self {
        AlertView {
            id: a.id,
            tenant: s.of(a.tenant),
            rule_id: a.rule_id,
            rule_title: a.rule_title,
            level: a.level,
            entity_kind: a.entity_kind.as_str().into(),
            entity: a.entity,
            host: a.host,
            first_seen: a.first_seen,
            last_seen: a.last_seen,
            count: a.count,
            score: a.score,
            score_reasons: a.score_reasons,
            novel: a.novel,
            state: a.state.as_str().into(),
            close_reason: a.close_reason.map(|r| r.as_str().into()),
            state_by: a.state_by,
            state_at: a.state_at,
            incident_id: a.incident_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertPage {
    pub items: Vec<AlertView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertHistoryView {
    pub at: DateTime<Utc>,
    pub by: String,
    pub from: String,
    pub to: String,
    pub reason: Option<String>,
    pub note: Option<String>,
}

impl From<AlertHistoryEntry> for AlertHistoryView {
    fn from(h: AlertHistoryEntry) -> Self {
        AlertHistoryView {
            at: h.at,
            by: h.by,
            from: h.from.as_str().into(),
            to: h.to.as_str().into(),
            reason: h.reason.map(|r| r.as_str().into()),
            note: h.note,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDetailView {
    pub alert: AlertView,
    pub samples: Vec<EventView>,
    pub history: Vec<AlertHistoryView>,
}

impl AlertDetailView {
    pub(crate) fn new(d: AlertDetail, s: &Slugs) -> Self {
        AlertDetailView {
            alert: AlertView::new(d.alert, s),
            samples: d.samples.into_iter().map(|e| EventView::new(e, s)).collect(),
            history: d.history.into_iter().map(Into::into).collect(),
        }
    }
}

/// Body of `POST /api/v1/alerts/{id}/state`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateChangeRequest {
    /// acknowledged, escalated or closed.
    pub to: String,
    /// Required when closing: true_positive, false_positive or benign.
    pub reason: Option<String>,
    /// Free text, at most 2,000 characters.
    pub note: Option<String>,
}

/// Whether a rule runs for one tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleTenantFlag {
    pub tenant: String,
    pub enabled: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    #[serde(flatten)]
    pub rule: RuleInfo,
    /// One entry per tenant the caller can see.
    pub tenants: Vec<RuleTenantFlag>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleToggleView {
    pub rule_id: String,
    pub tenant: String,
    pub enabled: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// Absent for deployment-wide actions.
    pub tenant: Option<String>,
    pub action: String,
    pub target: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl AuditView {
    pub(crate) fn new(r: AuditRecord, s: &Slugs) -> Self {
        AuditView {
            id: r.id,
            at: r.entry.at,
            actor: r.entry.actor.name,
            tenant: r.entry.tenant.map(|t| s.of(t)),
            action: r.entry.action,
            target: r.entry.target,
            detail: r.entry.detail,
        }
    }
}

impl AuditView {
    /// The detail object as compact JSON, or empty when there is none.
    pub(crate) fn detail_text(&self) -> String {
        match &self.detail {
            serde_json::Value::Object(m) if m.is_empty() => String::new(),
            v => v.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditView>,
    /// Pass as `before` for the next (older) page.
    pub next_cursor: Option<String>,
}

/// Body of `POST /api/v1/login`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest").field("username", &self.username).finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipView {
    pub tenant: String,
    /// admin, analyst or read_only.
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub tenant: String,
    /// ingest or api.
    pub purpose: String,
    pub role: String,
}

/// Who the caller is.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    /// `user` or `token`.
    pub kind: String,
    pub username: Option<String>,
    /// service_admin or soc_analyst: rights in every tenant.
    pub service_role: Option<String>,
    pub memberships: Vec<MembershipView>,
    pub token: Option<TokenView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IngestResponse {
    pub accepted: usize,
}

/// What anonymous callers of `/api/v1/health` get.
#[derive(Debug, Serialize, ToSchema)]
pub struct Liveness {
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum HealthResponse {
    Full(crate::HealthView),
    Liveness(Liveness),
}
