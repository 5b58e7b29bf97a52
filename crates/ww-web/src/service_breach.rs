//! Personal-data breach handling (UK GDPR Art. 33/34), shared by the JSON API
//! (`api_breach.rs`) and the console (`console/breach.rs`): loading an incident's breach record
//! for one council, marking a possible breach, saving changes with the rules that keep the record
//! honest (who decided awareness and why, who recorded the ICO decision and when), the breach log
//! and the regulator reports.
//!
//! Role checks live here (analysts and admins of the record's council may change it; everyone in
//! scope may read it); the store checks the tenant scope and writes the audit entry itself.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use ww_core::incident::{Breach, BreachLogEntry, Incident};
use ww_respond::{BreachPolicy, ClockState, ContactDetails, IcoReportKind, Organisation, Report, ReportInput};
use ww_store::{IncidentDetail, TenantId, TenantScope};

use crate::Ctx;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::service::{self, can_triage, tenant_in_scope};
use crate::views::Slugs;

/// Times may be at most this far in the future (clock skew between a laptop and the server).
const FUTURE_SLACK_MINUTES: i64 = 5;
/// Longest free text on a breach record (the store allows more; reasons are short).
const MAX_REASON: usize = 10_000;

/// The person a principal is, for "decided by" fields: the username, or `token:<id>`.
pub(crate) fn person(p: &Principal) -> String {
    match p {
        Principal::User(u) => u.username.clone(),
        Principal::Token(t) => format!("token:{}", t.id),
    }
}

/// An incident as the caller sees it, the council whose breach record is in question, and that
/// record if there is one.
pub(crate) struct BreachCtx {
    pub(crate) detail: IncidentDetail,
    pub(crate) tenant: TenantId,
    pub(crate) breach: Option<Breach>,
    pub(crate) slugs: Slugs,
}

impl BreachCtx {
    /// The incident's councils the caller may see, in incident order.
    pub(crate) fn visible_tenants(&self, scope: &TenantScope) -> Vec<TenantId> {
        self.detail.incident.tenants.iter().copied().filter(|t| scope.contains(*t)).collect()
    }
}

/// Which council's record: the one asked for (`wanted`, already in scope), else the preferred
/// one (the console's current council) if the incident spans it, else the incident's owner if
/// visible, else the first visible council of the incident. A council outside the incident is 404.
pub(crate) fn pick_tenant(
    incident: &Incident,
    scope: &TenantScope,
    wanted: Option<TenantId>,
    preferred: Option<TenantId>,
) -> ApiResult<TenantId> {
    let spans = |t: TenantId| (incident.tenant == t || incident.tenants.contains(&t)) && scope.contains(t);
    if let Some(t) = wanted {
        return if spans(t) { Ok(t) } else { Err(ApiError::NotFound) };
    }
    if let Some(t) = preferred.filter(|t| spans(*t)) {
        return Ok(t);
    }
    if spans(incident.tenant) {
        return Ok(incident.tenant);
    }
    incident.tenants.iter().copied().find(|t| spans(*t)).ok_or(ApiError::NotFound)
}

/// Loads incident `id` in the caller's scope and picks the council (`tenant` slug, else
/// `preferred`); another council's incident or a council outside the caller's scope is 404.
pub(crate) async fn load(
    ctx: &Ctx,
    p: &Principal,
    id: i64,
    tenant: Option<&str>,
    preferred: Option<TenantId>,
) -> ApiResult<BreachCtx> {
    let slugs = service::slugs(ctx).await?;
    let scope = p.scope(&slugs);
    let wanted = match tenant.map(str::trim).filter(|s| !s.is_empty()) {
        Some(slug) => Some(tenant_in_scope(slug, &slugs, &scope)?),
        None => None,
    };
    let detail = ctx.app.store.get_incident(&scope, id).await?;
    let tenant = pick_tenant(&detail.incident, &scope, wanted, preferred)?;
    let breach = detail.breaches.iter().find(|b| b.tenant == tenant && b.incident_id == id).cloned();
    Ok(BreachCtx { detail, tenant, breach, slugs })
}

fn require_editor(p: &Principal, tenant: TenantId) -> ApiResult<()> {
    if can_triage(p, tenant) {
        Ok(())
    } else {
        Err(ApiError::Forbidden("changing a breach record needs the analyst or admin role in that council"))
    }
}

/// Records a possible personal-data breach for the council (nothing assessed yet). Marking an
/// incident that already has a record for the council returns that record unchanged.
pub(crate) async fn mark(ctx: &Ctx, p: &Principal, b: &BreachCtx) -> ApiResult<Breach> {
    require_editor(p, b.tenant)?;
    if let Some(existing) = &b.breach {
        return Ok(existing.clone());
    }
    let fresh = Breach::new(b.detail.incident.id, b.tenant, Utc::now());
    Ok(ctx.app.store.upsert_breach(&TenantScope::one(b.tenant), &fresh, &p.actor()).await?)
}

/// The editable fields of a breach record. Who recorded the ICO decision and when are set by the
/// server; `created_at` and `updated_at` by the store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreachEdit {
    /// When the breach happened (or began), if known.
    #[serde(default)]
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub detected_at: Option<DateTime<Utc>>,
    /// When the council became aware: the ICO's 72-hour clock starts here. Needs
    /// `aware_decided_by` and `aware_reason`.
    #[serde(default)]
    pub aware_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub aware_decided_by: Option<String>,
    #[serde(default)]
    pub aware_reason: Option<String>,
    /// Answers to the breach policy's questions, keyed by question id. Saved as given; problems
    /// come back as `advice`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    /// A risk option id of the breach policy (e.g. `unlikely`, `risk`, `high`).
    #[serde(default)]
    pub risk: Option<String>,
    /// The decision whether to report to the ICO; needs `ico_decision_reason`.
    #[serde(default)]
    pub report_to_ico: Option<bool>,
    #[serde(default)]
    pub ico_decision_reason: Option<String>,
    /// The decision whether to tell the people affected (Art. 34); needs `individuals_reason`.
    #[serde(default)]
    pub tell_individuals: Option<bool>,
    #[serde(default)]
    pub individuals_reason: Option<String>,
    /// When the initial report went to the ICO.
    #[serde(default)]
    pub ico_reported_at: Option<DateTime<Utc>>,
    /// The ICO's case reference.
    #[serde(default)]
    pub ico_reference: Option<String>,
    /// When the follow-up report went to the ICO (needs `ico_reported_at`).
    #[serde(default)]
    pub ico_followup_at: Option<DateTime<Utc>>,
    /// Why the report is (or was) later than the deadline.
    #[serde(default)]
    pub late_reason: Option<String>,
}

impl BreachEdit {
    pub(crate) fn of(b: &Breach) -> BreachEdit {
        BreachEdit {
            occurred_at: b.occurred_at,
            detected_at: b.detected_at,
            aware_at: b.aware_at,
            aware_decided_by: b.aware_decided_by.clone(),
            aware_reason: b.aware_reason.clone(),
            answers: b.answers.clone(),
            risk: b.risk.clone(),
            report_to_ico: b.report_to_ico,
            ico_decision_reason: b.ico_decision_reason.clone(),
            tell_individuals: b.tell_individuals,
            individuals_reason: b.individuals_reason.clone(),
            ico_reported_at: b.ico_reported_at,
            ico_reference: b.ico_reference.clone(),
            ico_followup_at: b.ico_followup_at,
            late_reason: b.late_reason.clone(),
        }
    }

    /// `previous` with these fields applied (the decision's who and when not yet set).
    pub(crate) fn apply(&self, previous: &Breach) -> Breach {
        let clean = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        Breach {
            occurred_at: self.occurred_at,
            detected_at: self.detected_at,
            aware_at: self.aware_at,
            aware_decided_by: clean(&self.aware_decided_by),
            aware_reason: clean(&self.aware_reason),
            answers: self.answers.clone(),
            risk: clean(&self.risk),
            report_to_ico: self.report_to_ico,
            ico_decision_reason: clean(&self.ico_decision_reason),
            tell_individuals: self.tell_individuals,
            individuals_reason: clean(&self.individuals_reason),
            ico_reported_at: self.ico_reported_at,
            ico_reference: clean(&self.ico_reference),
            ico_followup_at: self.ico_followup_at,
            late_reason: clean(&self.late_reason),
            ..previous.clone()
        }
    }
}

/// Checks a breach record about to be saved; the first problem as words for people.
pub(crate) fn check(b: &Breach, policy: &BreachPolicy, now: DateTime<Utc>) -> ApiResult<()> {
    let bad = |m: &str| Err(ApiError::BadRequest(m.to_owned()));
    let limit = now + Duration::minutes(FUTURE_SLACK_MINUTES);
    for (what, t) in [
        ("When it happened", b.occurred_at),
        ("When it was detected", b.detected_at),
        ("When the council became aware", b.aware_at),
        ("When the initial report was sent", b.ico_reported_at),
        ("When the follow-up was sent", b.ico_followup_at),
    ] {
        if t.is_some_and(|t| t > limit) {
            return Err(ApiError::BadRequest(format!("{what}: cannot be in the future")));
        }
    }
    for (what, s) in [
        ("Who decided", &b.aware_decided_by),
        ("Why the council is aware", &b.aware_reason),
        ("Reason for the ICO decision", &b.ico_decision_reason),
        ("Reason for the decision about telling people", &b.individuals_reason),
        ("ICO case reference", &b.ico_reference),
        ("Reasons for lateness", &b.late_reason),
    ] {
        if s.as_ref().is_some_and(|s| s.chars().count() > MAX_REASON || s.contains('\0')) {
            return Err(ApiError::BadRequest(format!("{what}: at most {MAX_REASON} characters")));
        }
    }
    if b.aware_at.is_some() && (b.aware_decided_by.is_none() || b.aware_reason.is_none()) {
        return bad("When the council became aware: say who decided the council was aware, and why");
    }
    if let Some(r) = &b.risk
        && policy.risk_option(r).is_none()
    {
        let ids: Vec<&str> = policy.risk_options().iter().map(|o| o.id.as_str()).collect();
        return Err(ApiError::BadRequest(format!("risk: expected one of {}", ids.join(", "))));
    }
    if b.report_to_ico.is_some() && b.ico_decision_reason.is_none() {
        return bad("Report to the ICO: give the reason for the decision (Art. 33(5))");
    }
    if b.tell_individuals.is_some() && b.individuals_reason.is_none() {
        return bad("Tell the people affected: give the reason for the decision");
    }
    if b.ico_reported_at.is_some() && b.report_to_ico == Some(false) {
        return bad("Initial report sent: the recorded decision is not to report; change the decision first");
    }
    if b.ico_followup_at.is_some() && b.ico_reported_at.is_none() {
        return bad("Follow-up sent: record when the initial report was sent first");
    }
    if let (Some(initial), Some(follow)) = (b.ico_reported_at, b.ico_followup_at)
        && follow < initial
    {
        return bad("Follow-up sent: cannot be before the initial report");
    }
    if b.answers.len() > 200 {
        return bad("answers: too many");
    }
    Ok(())
}

/// Saves `edit` over the council's record (creating it if needed). A changed ICO decision records
/// who made it and when; clearing the decision clears them.
pub(crate) async fn save(ctx: &Ctx, p: &Principal, b: &BreachCtx, edit: &BreachEdit) -> ApiResult<Breach> {
    require_editor(p, b.tenant)?;
    let now = Utc::now();
    let previous = b.breach.clone().unwrap_or_else(|| Breach::new(b.detail.incident.id, b.tenant, now));
    let mut next = edit.apply(&previous);
    check(&next, &ctx.app.policy, now)?;
    if next.report_to_ico.is_none() {
        next.ico_decided_by = None;
        next.ico_decided_at = None;
    } else if next.report_to_ico != previous.report_to_ico
        || next.ico_decision_reason != previous.ico_decision_reason
        || previous.ico_decided_at.is_none()
    {
        next.ico_decided_by = Some(person(p));
        next.ico_decided_at = Some(now);
    }
    Ok(ctx.app.store.upsert_breach(&TenantScope::one(b.tenant), &next, &p.actor()).await?)
}

/// Every breach record of the scope's councils, newest first (Art. 33(5)).
pub(crate) async fn breach_log(ctx: &Ctx, scope: &TenantScope) -> ApiResult<Vec<BreachLogEntry>> {
    if scope.tenants().is_empty() {
        return Ok(Vec::new());
    }
    Ok(ctx.app.store.breach_log(scope).await?)
}

/// Running ICO clocks (aware, not reported, not decided "don't report") of the scope's
/// councils, with their incident titles, soonest deadline first.
pub(crate) async fn running_clocks(ctx: &Ctx, scope: &TenantScope) -> ApiResult<Vec<(Breach, String)>> {
    let mut running: Vec<Breach> =
        ctx.app.store.running_breach_clocks().await?.into_iter().filter(|b| scope.contains(b.tenant)).collect();
    if running.is_empty() {
        return Ok(Vec::new());
    }
    running.sort_by_key(|b| (b.aware_at, b.incident_id));
    let log = ctx.app.store.breach_log(scope).await?;
    Ok(running
        .into_iter()
        .map(|b| {
            let title = log
                .iter()
                .find(|e| e.breach.incident_id == b.incident_id && e.breach.tenant == b.tenant)
                .map(|e| e.incident_title.clone())
                .unwrap_or_default();
            (b, title)
        })
        .collect())
}

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReportKind {
    Ico(IcoReportKind),
    Ncsc,
}

impl ReportKind {
    /// `initial`, `followup` (or `follow_up`); empty means initial.
    pub(crate) fn ico(kind: &str) -> ApiResult<ReportKind> {
        match kind {
            "" | "initial" => Ok(ReportKind::Ico(IcoReportKind::Initial)),
            "followup" | "follow_up" => Ok(ReportKind::Ico(IcoReportKind::FollowUp)),
            _ => Err(ApiError::BadRequest("kind: expected initial or followup".into())),
        }
    }
    /// For file names: `ico-initial`, `ico-followup`, `ncsc`.
    pub(crate) fn slug(self) -> &'static str {
        match self {
            ReportKind::Ico(IcoReportKind::Initial) => "ico-initial",
            ReportKind::Ico(IcoReportKind::FollowUp) => "ico-followup",
            ReportKind::Ncsc => "ncsc",
        }
    }
}

/// Contact details typed on the report page (not stored; they only fill the report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct ContactInput {
    #[serde(default)]
    pub(crate) contact_name: String,
    #[serde(default)]
    pub(crate) contact_role: String,
    #[serde(default)]
    pub(crate) contact_email: String,
    #[serde(default)]
    pub(crate) contact_phone: String,
}

impl ContactInput {
    /// The typed details, the caller's username standing in for a missing name.
    pub(crate) fn details(&self, p: &Principal) -> ApiResult<ContactDetails> {
        let one = |what: &str, s: &str| -> ApiResult<Option<String>> {
            let s = s.trim();
            if s.chars().count() > 200 || s.chars().any(char::is_control) {
                return Err(ApiError::BadRequest(format!("{what}: at most 200 characters on one line")));
            }
            Ok(Some(s.to_owned()).filter(|s| !s.is_empty()))
        };
        Ok(ContactDetails {
            name: one("Contact name", &self.contact_name)?.unwrap_or_else(|| person(p)),
            role: one("Job title", &self.contact_role)?.unwrap_or_default(),
            email: one("Email", &self.contact_email)?,
            phone: one("Telephone", &self.contact_phone)?,
        })
    }
}

/// The report for the council's part of the incident, as it stands `now`. Organisation: the
/// council's name and "Local government"; what the records do not hold (address, ICO
/// registration number, data protection officer) is left marked as not yet answered.
pub(crate) async fn report(
    ctx: &Ctx,
    b: &BreachCtx,
    kind: ReportKind,
    contact: &ContactDetails,
    now: DateTime<Utc>,
) -> ApiResult<Report> {
    let tenants = ctx.app.store.tenants().await?;
    let name = tenants.iter().find(|t| t.id == b.tenant).map(|t| t.name.clone()).ok_or(ApiError::NotFound)?;
    let organisation = Organisation { name, sector: "Local government".into(), ..Organisation::default() };
    let d = &b.detail;
    let input = ReportInput {
        policy: &ctx.app.policy,
        incident: &d.incident,
        tenant: b.tenant,
        organisation: &organisation,
        contact,
        services: &d.services,
        tasks: &d.tasks,
        notes: &d.notes,
        observables: &d.observables,
        breach: b.breach.as_ref(),
        generated_at: now,
    };
    let r = match kind {
        ReportKind::Ico(k) => ww_respond::ico_report(k, &input),
        ReportKind::Ncsc => ww_respond::ncsc_report(&input),
    };
    r.map_err(|e| {
        match e {
        ww_respond::ReportError::NoBreach { .. } => ApiError::Conflict(
            "there is no breach record for this council yet: mark the incident as a possible personal-data breach first"
                .into(),
        ),
        other => {
            tracing::error!(error = %other, "building a report failed");
            ApiError::Internal
        }
    }
    })
}

/// The clock's state in words for people: "Running", "Warning: less than 24 hours left",
/// "Overdue", "Reported on time", "Reported late", "Not reportable".
pub(crate) fn state_words(state: &ClockState, policy: &BreachPolicy) -> String {
    match state {
        ClockState::Running => "Running".into(),
        ClockState::Warning => format!("Warning: less than {} hours left", policy.warning_hours()),
        ClockState::Overdue => "Overdue".into(),
        ClockState::Reported { on_time: true, .. } => "Reported on time".into(),
        ClockState::Reported { on_time: false, .. } => "Reported late".into(),
        ClockState::NotReportable => "Not reportable".into(),
    }
}

/// A short status for the breach log: the clock's state, or where the assessment stands.
pub(crate) fn status_words(b: &Breach, policy: &BreachPolicy, now: DateTime<Utc>) -> String {
    match ww_respond::clock(b, policy, now) {
        Some(c) => state_words(&c.state, policy),
        None if b.report_to_ico == Some(false) => "Not reportable".into(),
        None => "Being assessed (awareness not yet recorded)".into(),
    }
}
