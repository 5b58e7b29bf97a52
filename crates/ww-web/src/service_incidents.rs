//! Incident response service functions shared by the console pages (`console/incidents.rs`) and
//! the JSON API (`api_incidents.rs`): role checks, store calls with the caller's scope, and the
//! views both front ends render. The store audits every incident-response change itself, so
//! nothing here writes audit entries (alert state changes go through [`service::set_alert_state`],
//! which audits its own).
//!
//! Rules: reading needs the incident to be visible (any of its tenants in scope, else 404);
//! changing anything needs the analyst or admin role in the tenant the change belongs to (the
//! child record's tenant; for the shared headline, any of the incident's tenants), else 403.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use ww_core::incident::{
    Evidence, Incident, IncidentCategory, IncidentOrigin, IncidentSeverity, IncidentStatus, IncidentUpdate,
    NewEvidence, NewIncident, NewObservable, NewTask, Note, Observable, ObservableKind, Task,
};
use ww_respond::timeline::{TimelineEntry, TimelineKind, incident_timeline};
use ww_store::{AlertState, IncidentQuery, TenantId, TenantScope};

use crate::Ctx;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::service::{self, StateChange, can_triage};
use crate::views::{AlertView, EventView, Slugs};

/// Largest evidence file accepted (the upload routes' body limit adds room for the form fields).
pub(crate) const MAX_EVIDENCE_BYTES: usize = 25 * 1024 * 1024;
/// Body limit of the evidence upload routes: one maximal file plus the multipart framing and fields.
pub(crate) const EVIDENCE_BODY_LIMIT: usize = MAX_EVIDENCE_BYTES + 64 * 1024;
const MAX_NOTE_BODY: usize = 20_000;

/// The NCSC national incident categories (number, name) of the embedded breach policy.
pub(crate) static NCSC_CATEGORIES: LazyLock<Vec<(u8, String)>> =
    LazyLock::new(|| match ww_respond::BreachPolicy::embedded() {
        Ok(p) => p.ncsc_categories().iter().map(|c| (c.number, c.name.clone())).collect(),
        Err(e) => {
            tracing::error!(error = %e, "the embedded breach policy does not load");
            Vec::new()
        }
    });

// ---------------------------------------------------------------------------------------------
// Views

/// An incident's shared headline. `tenants` lists only the tenants the caller may see.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentView {
    pub id: i64,
    /// `INC-<id>`.
    pub reference: String,
    /// The tenant that opened it.
    pub tenant: String,
    pub tenants: Vec<String>,
    pub title: String,
    pub summary: String,
    /// phishing, malware, ransomware, account_compromise, unauthorised_access, denial_of_service,
    /// web_attack, data_exposure, misdirected_data, lost_device, insider_misuse, system_failure, other.
    pub category: String,
    /// malicious, accidental, unknown.
    pub origin: String,
    /// low, medium, high, critical.
    pub severity: String,
    /// open, investigating, contained, recovering, closed.
    pub status: String,
    pub owner: Option<String>,
    /// NCSC national incident category 1 (national emergency) to 6 (localised), when assessed.
    pub ncsc_category: Option<u8>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl IncidentView {
    pub(crate) fn new(i: Incident, scope: &TenantScope, s: &Slugs) -> Self {
        IncidentView {
            id: i.id,
            reference: format!("INC-{}", i.id),
            tenant: s.of(i.tenant),
            tenants: i.tenants.iter().filter(|t| scope.contains(**t)).map(|t| s.of(*t)).collect(),
            title: i.title,
            summary: i.summary,
            category: i.category.as_str().into(),
            origin: i.origin.as_str().into(),
            severity: i.severity.as_str().into(),
            status: i.status.as_str().into(),
            owner: i.owner,
            ncsc_category: i.ncsc_category,
            created_at: i.created_at,
            created_by: i.created_by,
            updated_at: i.updated_at,
            closed_at: i.closed_at,
        }
    }

    pub(crate) fn category_label(&self) -> &'static str {
        IncidentCategory::parse(&self.category).map_or("Other", |c| c.label())
    }
    pub(crate) fn origin_label(&self) -> &'static str {
        IncidentOrigin::parse(&self.origin).map_or("Not yet known", |c| c.label())
    }
    pub(crate) fn severity_label(&self) -> &'static str {
        IncidentSeverity::parse(&self.severity).map_or("", |c| c.label())
    }
    pub(crate) fn status_label(&self) -> &'static str {
        IncidentStatus::parse(&self.status).map_or("", |c| c.label())
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentPage {
    pub items: Vec<IncidentView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskView {
    pub id: i64,
    pub incident_id: i64,
    pub tenant: String,
    pub title: String,
    pub assignee: Option<String>,
    pub due: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    /// Not done and past its due time.
    pub overdue: bool,
}

impl TaskView {
    pub(crate) fn new(t: Task, s: &Slugs, now: DateTime<Utc>) -> Self {
        TaskView {
            overdue: t.done_at.is_none() && t.due.is_some_and(|d| d < now),
            id: t.id,
            incident_id: t.incident_id,
            tenant: s.of(t.tenant),
            title: t.title,
            assignee: t.assignee,
            due: t.due,
            done_at: t.done_at,
            done_by: t.done_by,
            created_at: t.created_at,
            created_by: t.created_by,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObservableView {
    pub id: i64,
    pub tenant: String,
    /// ip, domain, url, email, hash, account, host, other.
    pub kind: String,
    pub value: String,
    pub note: Option<String>,
    pub added_at: DateTime<Utc>,
    pub added_by: String,
}

impl ObservableView {
    fn new(o: Observable, s: &Slugs) -> Self {
        ObservableView {
            id: o.id,
            tenant: s.of(o.tenant),
            kind: o.kind.as_str().into(),
            value: o.value,
            note: o.note,
            added_at: o.added_at,
            added_by: o.added_by,
        }
    }
    pub(crate) fn kind_label(&self) -> &'static str {
        ObservableKind::parse(&self.kind).map_or("Other", |k| k.label())
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceView {
    pub id: i64,
    pub incident_id: i64,
    pub tenant: String,
    pub filename: String,
    /// What the uploader's browser said; downloads are always `application/octet-stream`.
    pub content_type: String,
    pub size: u64,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
    pub description: Option<String>,
    pub uploaded_at: DateTime<Utc>,
    pub uploaded_by: String,
}

impl EvidenceView {
    pub(crate) fn new(e: Evidence, s: &Slugs) -> Self {
        EvidenceView {
            id: e.id,
            incident_id: e.incident_id,
            tenant: s.of(e.tenant),
            filename: e.filename,
            content_type: e.content_type,
            size: e.size,
            sha256: e.sha256,
            description: e.description,
            uploaded_at: e.uploaded_at,
            uploaded_by: e.uploaded_by,
        }
    }
    /// The size for people: bytes, KiB or MiB.
    pub(crate) fn size_text(&self) -> String {
        let b = self.size;
        if b < 1024 {
            format!("{b} bytes")
        } else if b < 1024 * 1024 {
            format!("{:.1} KiB", b as f64 / 1024.0)
        } else {
            format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoteView {
    pub id: i64,
    pub tenant: String,
    pub body: String,
    pub author: String,
    pub at: DateTime<Utc>,
}

impl NoteView {
    fn new(n: Note, s: &Slugs) -> Self {
        NoteView { id: n.id, tenant: s.of(n.tenant), body: n.body, author: n.author, at: n.at }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineView {
    pub at: DateTime<Utc>,
    /// incident_created, status_changed, incident_closed, task_created, task_done, observable_added,
    /// evidence_uploaded, note, service_changed, breach_*, ico_*, alert, event.
    pub kind: String,
    pub kind_label: String,
    pub title: String,
    pub detail: Option<String>,
    pub tenant: String,
}

/// One incident with everything linked to it that the caller may see, and its timeline
/// (oldest first).
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentDetailView {
    pub incident: IncidentView,
    pub alerts: Vec<AlertView>,
    pub events: Vec<EventView>,
    pub tasks: Vec<TaskView>,
    pub observables: Vec<ObservableView>,
    pub evidence: Vec<EvidenceView>,
    pub notes: Vec<NoteView>,
    pub timeline: Vec<TimelineView>,
}

// ---------------------------------------------------------------------------------------------
// Requests (the JSON API's bodies; the console builds the same)

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncidentRequest {
    /// Owning tenant's slug. Default: the alert's tenant with `from_alert`, else your only tenant.
    pub tenant: Option<String>,
    /// Default with `from_alert`: the rule title and the alert's entity.
    pub title: Option<String>,
    #[serde(default)]
    pub summary: String,
    /// Default: other.
    pub category: Option<String>,
    /// Default: unknown.
    pub origin: Option<String>,
    /// Default with `from_alert`: from the alert's level; else medium.
    pub severity: Option<String>,
    /// Username of the incident lead: a user of the tenant.
    pub owner: Option<String>,
    /// Open the incident from this alert: it is linked and moved to `escalated`.
    pub from_alert: Option<i64>,
}

/// A partial update; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIncidentRequest {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub category: Option<String>,
    pub origin: Option<String>,
    pub severity: Option<String>,
    pub status: Option<String>,
    /// A username of one of the incident's tenants; an empty string clears the owner.
    pub owner: Option<String>,
    /// 1 to 6; 0 clears it.
    pub ncsc_category: Option<u8>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTaskRequest {
    pub title: String,
    /// A username of the task's tenant.
    pub assignee: Option<String>,
    /// RFC 3339.
    pub due: Option<DateTime<Utc>>,
    /// The tenant the task belongs to (slug). Default: the incident's owner if you may write
    /// there, else the first of its tenants you may write in.
    pub tenant: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskDoneRequest {
    /// true: done; false: not done after all.
    pub done: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewObservableRequest {
    /// ip, domain, url, email, hash, account, host, other.
    pub kind: String,
    pub value: String,
    pub note: Option<String>,
    pub tenant: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNoteRequest {
    pub body: String,
    pub tenant: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkAlertRequest {
    pub alert: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkEventRequest {
    pub event: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddTenantRequest {
    /// The slug of the tenant (council) to add.
    pub tenant: String,
}

/// An uploaded evidence file, as either front end read it from the multipart body.
pub(crate) struct Upload {
    pub(crate) filename: String,
    pub(crate) content_type: String,
    pub(crate) description: Option<String>,
    pub(crate) tenant: Option<String>,
    pub(crate) bytes: Vec<u8>,
}

// ---------------------------------------------------------------------------------------------
// Parsing helpers

fn parse_enum<T>(
    what: &str,
    v: &str,
    parse: fn(&str) -> Option<T>,
    all: &[T],
    name: fn(&T) -> &'static str,
) -> ApiResult<T> {
    parse(v).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(name).collect();
        ApiError::BadRequest(format!("{what}: expected one of {}", names.join(", ")))
    })
}

pub(crate) fn parse_category(v: &str) -> ApiResult<IncidentCategory> {
    parse_enum("category", v, IncidentCategory::parse, IncidentCategory::ALL, |c| c.as_str())
}
pub(crate) fn parse_origin(v: &str) -> ApiResult<IncidentOrigin> {
    parse_enum("origin", v, IncidentOrigin::parse, IncidentOrigin::ALL, |c| c.as_str())
}
pub(crate) fn parse_severity(v: &str) -> ApiResult<IncidentSeverity> {
    parse_enum("severity", v, IncidentSeverity::parse, IncidentSeverity::ALL, |c| c.as_str())
}
pub(crate) fn parse_status(v: &str) -> ApiResult<IncidentStatus> {
    parse_enum("status", v, IncidentStatus::parse, IncidentStatus::ALL, |c| c.as_str())
}
fn parse_kind(v: &str) -> ApiResult<ObservableKind> {
    parse_enum("kind", v, ObservableKind::parse, ObservableKind::ALL, |c| c.as_str())
}

/// An alert's Sigma level as an incident severity.
pub(crate) fn severity_of_level(level: &str) -> IncidentSeverity {
    match level.to_ascii_lowercase().as_str() {
        "critical" => IncidentSeverity::Critical,
        "high" => IncidentSeverity::High,
        "medium" => IncidentSeverity::Medium,
        _ => IncidentSeverity::Low,
    }
}

fn required(what: &str, v: &str) -> ApiResult<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(ApiError::BadRequest(format!("{what}: required")));
    }
    Ok(v.to_owned())
}

fn optional(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------------------------
// Scope and role helpers

/// The caller's whole scope and the slug table.
async fn whole_scope(ctx: &Ctx, p: &Principal) -> ApiResult<(TenantScope, Slugs)> {
    let slugs = service::slugs(ctx).await?;
    let scope = p.scope(&slugs);
    Ok((scope, slugs))
}

fn forbidden() -> ApiError {
    ApiError::Forbidden("changing incidents needs the analyst or admin role in that council")
}

/// The tenant a child record goes to: the named one (it must be one of the incident's tenants
/// in scope, else 404), or by default the owner if the caller may write there, else the first
/// incident tenant they may write in. The caller must be an analyst or admin there (else 403).
fn child_tenant(
    p: &Principal,
    inc: &Incident,
    scope: &TenantScope,
    slugs: &Slugs,
    named: Option<&str>,
) -> ApiResult<TenantId> {
    let t = match named.map(str::trim).filter(|s| !s.is_empty()) {
        Some(slug) => {
            let t = service::tenant_in_scope(slug, slugs, scope)?;
            if !inc.tenants.contains(&t) {
                return Err(ApiError::NotFound);
            }
            t
        }
        None => {
            let visible: Vec<TenantId> = inc.tenants.iter().copied().filter(|t| scope.contains(*t)).collect();
            let writable = visible.iter().copied().filter(|t| can_triage(p, *t));
            let preferred =
                if visible.contains(&inc.tenant) && can_triage(p, inc.tenant) { Some(inc.tenant) } else { None };
            match preferred.or_else(|| writable.clone().next()) {
                Some(t) => t,
                None => return Err(forbidden()),
            }
        }
    };
    if !can_triage(p, t) {
        return Err(forbidden());
    }
    Ok(t)
}

/// Whether the caller may change the incident's shared headline.
pub(crate) fn can_edit(p: &Principal, inc_tenants: &[TenantId], scope: &TenantScope) -> bool {
    inc_tenants.iter().any(|t| scope.contains(*t) && can_triage(p, *t))
}

/// Usernames of the given tenants' users (members and service-wide users), sorted, unique.
pub(crate) async fn usernames(ctx: &Ctx, tenants: &[TenantId]) -> ApiResult<Vec<String>> {
    let mut out = Vec::new();
    for t in tenants {
        out.extend(ctx.app.store.users_for_tenant(*t).await?.into_iter().map(|u| u.username));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

async fn check_user_of(ctx: &Ctx, what: &str, name: &str, tenants: &[TenantId]) -> ApiResult<()> {
    if usernames(ctx, tenants).await?.iter().any(|u| u == name) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!("{what}: not a user of this council")))
    }
}

// ---------------------------------------------------------------------------------------------
// Incidents

/// Incidents with any tenant in `scope`; `statuses` empty means the open ones.
pub(crate) async fn list_incidents(
    ctx: &Ctx,
    scope: &TenantScope,
    slugs: &Slugs,
    statuses: Vec<IncidentStatus>,
    limit: u32,
    cursor: Option<String>,
) -> ApiResult<IncidentPage> {
    if scope.tenants().is_empty() {
        return Ok(IncidentPage { items: Vec::new(), next_cursor: None });
    }
    let q = IncidentQuery { statuses, breach_only: false, limit, cursor };
    let page = ctx.app.store.list_incidents(scope, &q).await?;
    Ok(IncidentPage {
        items: page.items.into_iter().map(|i| IncidentView::new(i, scope, slugs)).collect(),
        next_cursor: page.next_cursor,
    })
}

/// Every open incident the caller may see (for "attach to existing incident"), newest first.
pub(crate) async fn open_incidents(ctx: &Ctx, p: &Principal) -> ApiResult<Vec<IncidentView>> {
    let (scope, slugs) = whole_scope(ctx, p).await?;
    Ok(list_incidents(ctx, &scope, &slugs, Vec::new(), 200, None).await?.items)
}

/// Opens an incident. With `from_alert`, the alert fills in what was not given (tenant, title,
/// severity), is linked, and moves to `escalated` (when its state allows).
pub(crate) async fn create_incident(ctx: &Ctx, p: &Principal, req: NewIncidentRequest) -> ApiResult<IncidentView> {
    let (scope, slugs) = whole_scope(ctx, p).await?;
    let alert = match req.from_alert {
        Some(id) => Some(ctx.app.store.get_alert(&scope, id).await?.alert),
        None => None,
    };
    let tenant = match (optional(req.tenant), &alert) {
        (Some(slug), _) => service::tenant_in_scope(&slug, &slugs, &scope)?,
        (None, Some(a)) => a.tenant,
        (None, None) => match scope.tenants() {
            [only] => *only,
            _ => return Err(ApiError::BadRequest("tenant: required (you work for several councils)".into())),
        },
    };
    if !can_triage(p, tenant) || alert.as_ref().is_some_and(|a| !can_triage(p, a.tenant)) {
        return Err(forbidden());
    }
    let title = match (optional(req.title), &alert) {
        (Some(t), _) => t,
        (None, Some(a)) => format!("{}: {}", a.rule_title, a.entity),
        (None, None) => return Err(ApiError::BadRequest("title: required".into())),
    };
    let severity = match (optional(req.severity), &alert) {
        (Some(s), _) => parse_severity(&s)?,
        (None, Some(a)) => severity_of_level(&a.level),
        (None, None) => IncidentSeverity::Medium,
    };
    let category = optional(req.category).map_or(Ok(IncidentCategory::Other), |c| parse_category(&c))?;
    let origin = optional(req.origin).map_or(Ok(IncidentOrigin::Unknown), |o| parse_origin(&o))?;
    let owner = optional(req.owner);
    if let Some(o) = &owner {
        check_user_of(ctx, "owner", o, &[tenant]).await?;
    }
    let new = NewIncident { tenant, title, summary: req.summary.trim().to_owned(), category, origin, severity, owner };
    let inc = ctx.app.store.create_incident(&new, &p.actor()).await?;
    if let Some(a) = alert {
        attach_alert(ctx, p, &scope, inc.id, a.id, a.state).await?;
    }
    let inc = ctx.app.store.get_incident(&scope, inc.id).await?.incident;
    Ok(IncidentView::new(inc, &scope, &slugs))
}

/// Links the alert and escalates it when it can still move to `escalated`.
async fn attach_alert(
    ctx: &Ctx,
    p: &Principal,
    scope: &TenantScope,
    incident: i64,
    alert: i64,
    state: AlertState,
) -> ApiResult<()> {
    ctx.app.store.link_alert(scope, incident, alert, &p.actor()).await?;
    if state.can_move_to(AlertState::Escalated) {
        let note = Some(format!("Linked to incident INC-{incident}"));
        let change = StateChange::parse(AlertState::Escalated.as_str(), None, note)?;
        service::set_alert_state(ctx, p, alert, change).await?;
    }
    Ok(())
}

/// Links an existing alert to an incident (and escalates it); the caller needs the analyst role
/// in the alert's tenant.
pub(crate) async fn link_alert(ctx: &Ctx, p: &Principal, incident: i64, alert: i64) -> ApiResult<()> {
    let (scope, _) = whole_scope(ctx, p).await?;
    ctx.app.store.get_incident(&scope, incident).await?;
    let a = ctx.app.store.get_alert(&scope, alert).await?.alert;
    if !can_triage(p, a.tenant) {
        return Err(forbidden());
    }
    attach_alert(ctx, p, &scope, incident, alert, a.state).await
}

pub(crate) async fn link_event(ctx: &Ctx, p: &Principal, incident: i64, event: i64) -> ApiResult<()> {
    let (scope, _) = whole_scope(ctx, p).await?;
    ctx.app.store.get_incident(&scope, incident).await?;
    let e = ctx.app.store.get_event(&scope, event).await?;
    if !can_triage(p, e.tenant) {
        return Err(forbidden());
    }
    ctx.app.store.link_event(&scope, incident, event, &p.actor()).await?;
    Ok(())
}

/// Extends the incident to another council the caller may work for.
pub(crate) async fn add_tenant(ctx: &Ctx, p: &Principal, incident: i64, slug: &str) -> ApiResult<IncidentView> {
    let (scope, slugs) = whole_scope(ctx, p).await?;
    let inc = ctx.app.store.get_incident(&scope, incident).await?.incident;
    let t = service::tenant_in_scope(slug.trim(), &slugs, &scope)?;
    if !can_triage(p, t) || !can_edit(p, &inc.tenants, &scope) {
        return Err(forbidden());
    }
    let inc = ctx.app.store.add_incident_tenant(&scope, incident, t, &p.actor()).await?;
    Ok(IncidentView::new(inc, &scope, &slugs))
}

pub(crate) async fn update_incident(
    ctx: &Ctx,
    p: &Principal,
    id: i64,
    req: UpdateIncidentRequest,
) -> ApiResult<IncidentView> {
    let (scope, slugs) = whole_scope(ctx, p).await?;
    let inc = ctx.app.store.get_incident(&scope, id).await?.incident;
    if !can_edit(p, &inc.tenants, &scope) {
        return Err(forbidden());
    }
    let mut u = IncidentUpdate {
        title: match req.title {
            Some(t) => Some(required("title", &t)?),
            None => None,
        },
        summary: req.summary.map(|s| s.trim().to_owned()),
        ..IncidentUpdate::default()
    };
    u.category = req.category.as_deref().map(parse_category).transpose()?;
    u.origin = req.origin.as_deref().map(parse_origin).transpose()?;
    u.severity = req.severity.as_deref().map(parse_severity).transpose()?;
    u.status = req.status.as_deref().map(parse_status).transpose()?;
    if let Some(o) = req.owner {
        let o = o.trim().to_owned();
        if o.is_empty() {
            u.owner = Some(None);
        } else {
            if inc.owner.as_deref() != Some(o.as_str()) {
                let visible: Vec<TenantId> = inc.tenants.iter().copied().filter(|t| scope.contains(*t)).collect();
                check_user_of(ctx, "owner", &o, &visible).await?;
            }
            u.owner = Some(Some(o));
        }
    }
    if let Some(c) = req.ncsc_category {
        if c > 6 {
            return Err(ApiError::BadRequest("ncsc_category: 1 to 6, or 0 to clear".into()));
        }
        u.ncsc_category = Some((c != 0).then_some(c));
    }
    let inc = ctx.app.store.update_incident(&scope, id, &u, &p.actor()).await?;
    Ok(IncidentView::new(inc, &scope, &slugs))
}

/// The incident with its linked records and timeline, as far as the caller may see them.
pub(crate) async fn incident_detail(
    ctx: &Ctx,
    p: &Principal,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<IncidentDetailView> {
    let (scope, slugs) = whole_scope(ctx, p).await?;
    let d = ctx.app.store.get_incident(&scope, id).await?;
    let mut extra = Vec::new();
    for a in &d.alerts {
        extra.push(
            TimelineEntry::new(
                a.first_seen,
                TimelineKind::Alert,
                a.tenant,
                format!("Alert {}: {}", a.id, a.rule_title),
            )
            .with_detail(format!(
                "{} {} · level {} · score {}",
                a.entity_kind.as_str(),
                a.entity,
                a.level,
                a.score
            )),
        );
    }
    for e in &d.events {
        let mut raw: String = e.raw.chars().take(200).collect();
        if raw.len() < e.raw.len() {
            raw.push('…');
        }
        extra.push(
            TimelineEntry::new(e.time, TimelineKind::Event, e.tenant, format!("Event {} from {}", e.id, e.source))
                .with_detail(raw),
        );
    }
    let entries = incident_timeline(
        &d.incident,
        &d.tasks,
        &d.observables,
        &d.evidence,
        &d.notes,
        &d.services,
        &d.breaches,
        extra,
    );
    let timeline = entries
        .into_iter()
        .map(|e| TimelineView {
            at: e.at,
            kind: e.kind.as_str().into(),
            kind_label: e.kind.label().into(),
            title: e.title,
            detail: e.detail,
            tenant: slugs.of(e.tenant),
        })
        .collect();
    Ok(IncidentDetailView {
        incident: IncidentView::new(d.incident, &scope, &slugs),
        alerts: d.alerts.into_iter().map(|a| AlertView::new(a, &slugs)).collect(),
        events: d.events.into_iter().map(|e| EventView::new(e, &slugs)).collect(),
        tasks: d.tasks.into_iter().map(|t| TaskView::new(t, &slugs, now)).collect(),
        observables: d.observables.into_iter().map(|o| ObservableView::new(o, &slugs)).collect(),
        evidence: d.evidence.into_iter().map(|e| EvidenceView::new(e, &slugs)).collect(),
        notes: d.notes.into_iter().map(|n| NoteView::new(n, &slugs)).collect(),
        timeline,
    })
}

// ---------------------------------------------------------------------------------------------
// Child records

pub(crate) async fn add_task(ctx: &Ctx, p: &Principal, incident: i64, req: NewTaskRequest) -> ApiResult<TaskView> {
    let (scope, slugs) = whole_scope(ctx, p).await?;
    let inc = ctx.app.store.get_incident(&scope, incident).await?.incident;
    let tenant = child_tenant(p, &inc, &scope, &slugs, req.tenant.as_deref())?;
    let title = required("title", &req.title)?;
    let assignee = optional(req.assignee);
    if let Some(a) = &assignee {
        check_user_of(ctx, "assignee", a, &[tenant]).await?;
    }
    let t = NewTask { tenant, title, assignee, due: req.due };
    let task = ctx.app.store.add_task(&scope, incident, &t, &p.actor()).await?;
    Ok(TaskView::new(task, &slugs, Utc::now()))
}

pub(crate) async fn set_task_done(
    ctx: &Ctx,
    p: &Principal,
    incident: i64,
    task: i64,
    done: bool,
) -> ApiResult<TaskView> {
    let (scope, slugs) = whole_scope(ctx, p).await?;
    let d = ctx.app.store.get_incident(&scope, incident).await?;
    let t = d.tasks.iter().find(|t| t.id == task).ok_or(ApiError::NotFound)?;
    if !can_triage(p, t.tenant) {
        return Err(forbidden());
    }
    let task = ctx.app.store.set_task_done(&TenantScope::one(t.tenant), task, done, &p.actor()).await?;
    Ok(TaskView::new(task, &slugs, Utc::now()))
}

pub(crate) async fn add_observable(
    ctx: &Ctx,
    p: &Principal,
    incident: i64,
    req: NewObservableRequest,
) -> ApiResult<ObservableView> {
    let (scope, slugs) = whole_scope(ctx, p).await?;
    let inc = ctx.app.store.get_incident(&scope, incident).await?.incident;
    let tenant = child_tenant(p, &inc, &scope, &slugs, req.tenant.as_deref())?;
    let o = NewObservable {
        tenant,
        kind: parse_kind(req.kind.trim())?,
        value: required("value", &req.value)?,
        note: optional(req.note),
    };
    let o = ctx.app.store.add_observable(&scope, incident, &o, &p.actor()).await?;
    Ok(ObservableView::new(o, &slugs))
}

pub(crate) async fn add_note(ctx: &Ctx, p: &Principal, incident: i64, req: NewNoteRequest) -> ApiResult<NoteView> {
    let (scope, slugs) = whole_scope(ctx, p).await?;
    let inc = ctx.app.store.get_incident(&scope, incident).await?.incident;
    let tenant = child_tenant(p, &inc, &scope, &slugs, req.tenant.as_deref())?;
    let body = required("body", &req.body)?;
    if body.len() > MAX_NOTE_BODY {
        return Err(ApiError::BadRequest(format!("body: longer than {MAX_NOTE_BODY} bytes")));
    }
    let n = ctx.app.store.add_note(&scope, incident, tenant, &body, &p.actor()).await?;
    Ok(NoteView::new(n, &slugs))
}

/// Checked before an upload's body is read, so that a caller who may not add evidence to the
/// incident cannot make the server buffer up to 25 MiB first: the incident must be visible
/// (else 404) and the caller an analyst or admin in one of its tenants (else 403).
/// `add_evidence` still decides the tenant and checks it.
pub(crate) async fn may_add_evidence(ctx: &Ctx, p: &Principal, incident: i64) -> ApiResult<()> {
    let (scope, _) = whole_scope(ctx, p).await?;
    let inc = ctx.app.store.get_incident(&scope, incident).await?.incident;
    if can_edit(p, &inc.tenants, &scope) { Ok(()) } else { Err(forbidden()) }
}

pub(crate) async fn add_evidence(ctx: &Ctx, p: &Principal, incident: i64, up: Upload) -> ApiResult<EvidenceView> {
    let (scope, slugs) = whole_scope(ctx, p).await?;
    let inc = ctx.app.store.get_incident(&scope, incident).await?.incident;
    let tenant = child_tenant(p, &inc, &scope, &slugs, up.tenant.as_deref())?;
    if up.bytes.len() > MAX_EVIDENCE_BYTES {
        return Err(ApiError::TooLarge(format!("file: larger than {MAX_EVIDENCE_BYTES} bytes")));
    }
    if up.bytes.is_empty() {
        return Err(ApiError::BadRequest("file: required (and not empty)".into()));
    }
    let content_type: String = up.content_type.chars().filter(|c| !c.is_control()).take(255).collect();
    let e = NewEvidence {
        tenant,
        filename: up.filename,
        content_type: if content_type.is_empty() { "application/octet-stream".into() } else { content_type },
        description: optional(up.description),
        bytes: up.bytes,
    };
    let e = ctx.app.store.add_evidence(&scope, incident, &e, &p.actor()).await?;
    Ok(EvidenceView::new(e, &slugs))
}

/// An evidence file and its bytes; `incident`, when given, must be the one it belongs to.
pub(crate) async fn evidence_content(
    ctx: &Ctx,
    p: &Principal,
    incident: Option<i64>,
    id: i64,
) -> ApiResult<(EvidenceView, Vec<u8>)> {
    let (scope, slugs) = whole_scope(ctx, p).await?;
    let (e, bytes) = ctx.app.store.evidence_content(&scope, id).await?;
    if incident.is_some_and(|i| i != e.incident_id) {
        return Err(ApiError::NotFound);
    }
    Ok((EvidenceView::new(e, &slugs), bytes))
}

/// The response headers of an evidence download: always an attachment, never rendered.
pub(crate) fn download_headers(filename: &str, len: usize) -> Vec<(axum::http::HeaderName, String)> {
    use axum::http::header;
    vec![
        (header::CONTENT_TYPE, "application/octet-stream".into()),
        (header::CONTENT_DISPOSITION, content_disposition(filename)),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        (header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'".into()),
        (header::CACHE_CONTROL, "no-store".into()),
        (header::CONTENT_LENGTH, len.to_string()),
    ]
}

/// `attachment; filename*=UTF-8''<name>` (RFC 5987/6266): the name without control characters,
/// path separators, quotes or leading dots, percent-encoded outside the attr-char set.
pub(crate) fn content_disposition(filename: &str) -> String {
    let base = filename.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control() && *c != '"').collect();
    let clean = clean.trim().trim_start_matches(['.', ' ']);
    let clean = if clean.is_empty() { "evidence" } else { clean };
    let mut out = String::from("attachment; filename*=UTF-8''");
    for b in clean.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_is_rfc5987_and_sanitised() {
        assert_eq!(content_disposition("report.pdf"), "attachment; filename*=UTF-8''report.pdf");
        assert_eq!(content_disposition("a b\"c.txt"), "attachment; filename*=UTF-8''a%20bc.txt");
        assert_eq!(content_disposition("../../etc/passwd"), "attachment; filename*=UTF-8''passwd");
        assert_eq!(content_disposition("C:\\x\\é.txt"), "attachment; filename*=UTF-8''%C3%A9.txt");
        assert_eq!(content_disposition("x\r\nSet-Cookie: a=b"), "attachment; filename*=UTF-8''xSet-Cookie%3A%20a%3Db");
        assert_eq!(content_disposition("..."), "attachment; filename*=UTF-8''evidence");
    }

    #[test]
    fn alert_levels_map_to_severities() {
        assert_eq!(severity_of_level("critical"), IncidentSeverity::Critical);
        assert_eq!(severity_of_level("High"), IncidentSeverity::High);
        assert_eq!(severity_of_level("medium"), IncidentSeverity::Medium);
        assert_eq!(severity_of_level("informational"), IncidentSeverity::Low);
    }

    #[test]
    fn ncsc_categories_come_from_the_policy() {
        let numbers: Vec<u8> = NCSC_CATEGORIES.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, vec![1, 2, 3, 4, 5, 6]);
    }
}
