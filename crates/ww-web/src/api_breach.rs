//! The JSON API for personal-data breaches: an incident's breach record per council
//! (`GET`/`PUT /api/v1/incidents/{id}/breach`), the breach log (`GET /api/v1/breaches`) and the
//! regulator reports (`GET /api/v1/incidents/{id}/reports/{ico|ncsc}`).

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use ww_core::incident::Breach;
use ww_respond::{BreachPolicy, ClockState, Report};

use crate::Ctx;
use crate::auth::{Principal, Reader};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::service;
use crate::service_breach::{self as sb, BreachEdit, ContactInput, ReportKind};
use crate::views::Slugs;

type Pairs = Query<Vec<(String, String)>>;

/// The ICO clock (72 hours from awareness).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockView {
    pub aware_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    /// Seconds to the deadline; negative once it has passed.
    pub remaining_seconds: i64,
    /// running, warning, overdue, reported, not_reportable.
    pub state: String,
    /// For `reported`: whether the initial report was in time.
    pub reported_on_time: Option<bool>,
    /// The state in words ("Warning: less than 24 hours left").
    pub state_words: String,
    /// "47 h 12 min left", "overdue by 3 h 5 min", "reported on time (...)".
    pub remaining_words: String,
}

impl ClockView {
    pub(crate) fn of(b: &Breach, policy: &BreachPolicy, now: DateTime<Utc>) -> Option<ClockView> {
        let c = ww_respond::clock(b, policy, now)?;
        Some(ClockView {
            aware_at: c.aware_at,
            deadline: c.deadline,
            remaining_seconds: c.remaining.num_seconds(),
            state: c.state.as_str().into(),
            reported_on_time: match c.state {
                ClockState::Reported { on_time, .. } => Some(on_time),
                _ => None,
            },
            state_words: sb::state_words(&c.state, policy),
            remaining_words: c.human_remaining(),
        })
    }
}

/// Advice about an assessment answer (answers are saved regardless).
#[derive(Debug, Serialize, ToSchema)]
pub struct AdviceView {
    /// The question id.
    pub question: String,
    /// unknown_question, wrong_type, unknown_option, invalid, missing.
    pub kind: String,
    pub message: String,
}

/// One council's breach record for an incident, with its ICO clock and assessment advice.
#[derive(Debug, Serialize, ToSchema)]
pub struct BreachView {
    pub incident_id: i64,
    /// The council's slug.
    pub tenant: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
    pub aware_at: Option<DateTime<Utc>>,
    pub aware_decided_by: Option<String>,
    pub aware_reason: Option<String>,
    #[schema(value_type = Object)]
    pub answers: serde_json::Map<String, serde_json::Value>,
    pub risk: Option<String>,
    pub report_to_ico: Option<bool>,
    pub ico_decision_reason: Option<String>,
    /// Set by the server when the decision is recorded or changed.
    pub ico_decided_by: Option<String>,
    pub ico_decided_at: Option<DateTime<Utc>>,
    pub tell_individuals: Option<bool>,
    pub individuals_reason: Option<String>,
    pub ico_reported_at: Option<DateTime<Utc>>,
    pub ico_reference: Option<String>,
    pub ico_followup_at: Option<DateTime<Utc>>,
    pub late_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Absent until the council's awareness is recorded.
    pub clock: Option<ClockView>,
    pub advice: Vec<AdviceView>,
}

impl BreachView {
    pub(crate) fn new(b: Breach, policy: &BreachPolicy, slugs: &Slugs, now: DateTime<Utc>) -> BreachView {
        let clock = ClockView::of(&b, policy, now);
        let advice = policy
            .validate_answers(&b.answers)
            .into_iter()
            .map(|a| AdviceView { question: a.question, kind: a.kind.as_str().into(), message: a.message })
            .collect();
        BreachView {
            incident_id: b.incident_id,
            tenant: slugs.of(b.tenant),
            occurred_at: b.occurred_at,
            detected_at: b.detected_at,
            aware_at: b.aware_at,
            aware_decided_by: b.aware_decided_by,
            aware_reason: b.aware_reason,
            answers: b.answers,
            risk: b.risk,
            report_to_ico: b.report_to_ico,
            ico_decision_reason: b.ico_decision_reason,
            ico_decided_by: b.ico_decided_by,
            ico_decided_at: b.ico_decided_at,
            tell_individuals: b.tell_individuals,
            individuals_reason: b.individuals_reason,
            ico_reported_at: b.ico_reported_at,
            ico_reference: b.ico_reference,
            ico_followup_at: b.ico_followup_at,
            late_reason: b.late_reason,
            created_at: b.created_at,
            updated_at: b.updated_at,
            clock,
            advice,
        }
    }
}

/// One line of the breach log (Art. 33(5)): every breach, reported or not.
#[derive(Debug, Serialize, ToSchema)]
pub struct BreachLogView {
    pub incident_title: String,
    /// open, contained, ... closed.
    pub incident_status: String,
    /// running, warning, overdue, reported on time/late, not reportable, or being assessed.
    pub status: String,
    pub breach: BreachView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportFieldView {
    pub label: String,
    /// Empty when `missing`.
    pub value: String,
    /// Not yet answered by the records.
    pub missing: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportSectionView {
    pub heading: String,
    pub fields: Vec<ReportFieldView>,
}

/// A report to a regulator, pre-filled from the records, plus plain text to paste into its form.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub title: String,
    pub generated_at: DateTime<Utc>,
    /// The council the report is from (slug).
    pub tenant: String,
    pub sections: Vec<ReportSectionView>,
    /// How many fields are not yet answered.
    pub missing: usize,
    pub text: String,
}

impl ReportView {
    pub(crate) fn new(r: Report, tenant: String) -> ReportView {
        let text = r.to_text();
        let missing = r.missing_fields().len();
        ReportView {
            title: r.title,
            generated_at: r.generated_at,
            tenant,
            sections: r
                .sections
                .into_iter()
                .map(|s| ReportSectionView {
                    heading: s.heading,
                    fields: s
                        .fields
                        .into_iter()
                        .map(|f| ReportFieldView { label: f.label, value: f.value, missing: f.missing })
                        .collect(),
                })
                .collect(),
            missing,
            text,
        }
    }
}

fn unknown(k: &str) -> ApiError {
    let k: String = k.chars().take(40).collect();
    ApiError::BadRequest(format!("unknown query parameter {k:?}"))
}

fn tenant_only(pairs: &[(String, String)]) -> ApiResult<Option<String>> {
    let mut tenant = None;
    for (k, v) in pairs {
        match k.as_str() {
            "tenant" => tenant = Some(v.clone()),
            other => return Err(unknown(other)),
        }
    }
    Ok(tenant)
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/breach", tag = "breaches",
    params(("id" = i64, Path, description = "Incident id"),
           ("tenant" = Option<String>, Query, description = "The council's slug (for incidents spanning several councils); default: the incident's owner if you can see it")),
    responses((status = 200, body = BreachView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, description = "No such incident or council for you, or no breach record for the council yet", body = ErrorBody)))]
pub(crate) async fn get_breach(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
    Query(pairs): Pairs,
) -> ApiResult<Json<BreachView>> {
    let tenant = tenant_only(&pairs)?;
    let b = sb::load(&ctx, &p, id, tenant.as_deref(), None).await?;
    let breach = b.breach.ok_or(ApiError::NotFound)?;
    Ok(Json(BreachView::new(breach, &ctx.app.policy, &b.slugs, Utc::now())))
}

#[utoipa::path(put, path = "/api/v1/incidents/{id}/breach", tag = "breaches",
    params(("id" = i64, Path, description = "Incident id"),
           ("tenant" = Option<String>, Query, description = "The council's slug; default: the incident's owner if you can see it")),
    request_body(content = BreachEdit, description = "Replaces every editable field of the council's breach record, creating the record if needed: omitted fields are cleared, so GET, change and PUT back. Who recorded the ICO decision, and when, are set by the server."),
    responses((status = 200, description = "The record as stored", body = BreachView),
              (status = 400, description = "A rule was broken (for example awareness without who decided and why)", body = ErrorBody),
              (status = 401, body = ErrorBody),
              (status = 403, description = "Read-only in the council, or a cookie request without X-Requested-With", body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub(crate) async fn put_breach(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
    Query(pairs): Pairs,
    Json(edit): Json<BreachEdit>,
) -> ApiResult<Json<BreachView>> {
    let tenant = tenant_only(&pairs)?;
    let b = sb::load(&ctx, &p, id, tenant.as_deref(), None).await?;
    let saved = sb::save(&ctx, &p, &b, &edit).await?;
    Ok(Json(BreachView::new(saved, &ctx.app.policy, &b.slugs, Utc::now())))
}

#[utoipa::path(get, path = "/api/v1/breaches", tag = "breaches",
    params(("tenant" = Option<Vec<String>>, Query, description = "Council slug(s); repeatable or comma-separated. Default: every council you can see.")),
    responses((status = 200, description = "The breach log (Art. 33(5)): every breach record, reported or not, newest first", body = Vec<BreachLogView>),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn list_breaches(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Query(pairs): Pairs,
) -> ApiResult<Json<Vec<BreachLogView>>> {
    let mut tenants = Vec::new();
    for (k, v) in &pairs {
        match k.as_str() {
            "tenant" => tenants.extend(v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)),
            other => return Err(unknown(other)),
        }
    }
    let (scope, slugs) = service::scope_of(&ctx, &p, &tenants).await?;
    let now = Utc::now();
    let policy = &ctx.app.policy;
    let log = sb::breach_log(&ctx, &scope).await?;
    Ok(Json(
        log.into_iter()
            .map(|e| BreachLogView {
                incident_title: e.incident_title,
                incident_status: e.incident_status.as_str().into(),
                status: sb::status_words(&e.breach, policy, now),
                breach: BreachView::new(e.breach, policy, &slugs, now),
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/reports/{report}", tag = "breaches",
    params(("id" = i64, Path, description = "Incident id"),
           ("report" = String, Path, description = "`ico` (personal data breach report) or `ncsc` (incident report)"),
           ("tenant" = Option<String>, Query, description = "The council the report is from (slug); default: the incident's owner if you can see it"),
           ("kind" = Option<String>, Query, description = "ICO only: `initial` (default) or `followup`"),
           ("contact_name" = Option<String>, Query, description = "Contact for the regulator; default: your username"),
           ("contact_role" = Option<String>, Query, description = "The contact's job title"),
           ("contact_email" = Option<String>, Query),
           ("contact_phone" = Option<String>, Query)),
    responses((status = 200, description = "The report as sections of fields (unanswered ones marked) plus `text` to paste", body = ReportView),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, description = "ICO report asked for, but the council has no breach record", body = ErrorBody)))]
pub(crate) async fn get_report(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path((id, report)): Path<(i64, String)>,
    Query(pairs): Pairs,
) -> ApiResult<Json<ReportView>> {
    let (mut tenant, mut kind, mut contact) = (None, String::new(), ContactInput::default());
    for (k, v) in pairs {
        match k.as_str() {
            "tenant" => tenant = Some(v),
            "kind" => kind = v,
            "contact_name" => contact.contact_name = v,
            "contact_role" => contact.contact_role = v,
            "contact_email" => contact.contact_email = v,
            "contact_phone" => contact.contact_phone = v,
            other => return Err(unknown(other)),
        }
    }
    let kind = match report.as_str() {
        "ico" => ReportKind::ico(&kind)?,
        "ncsc" if kind.is_empty() => ReportKind::Ncsc,
        "ncsc" => return Err(ApiError::BadRequest("kind: only for ICO reports".into())),
        _ => return Err(ApiError::NotFound),
    };
    Ok(Json(report_view(&ctx, &p, id, tenant.as_deref(), kind, &contact).await?))
}

async fn report_view(
    ctx: &Ctx,
    p: &Principal,
    id: i64,
    tenant: Option<&str>,
    kind: ReportKind,
    contact: &ContactInput,
) -> ApiResult<ReportView> {
    let b = sb::load(ctx, p, id, tenant, None).await?;
    let details = contact.details(p)?;
    let r = sb::report(ctx, &b, kind, &details, Utc::now()).await?;
    Ok(ReportView::new(r, b.slugs.of(b.tenant)))
}
