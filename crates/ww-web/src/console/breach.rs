//! Personal-data breach pages: an incident's breach record per council
//! (`/console/incidents/{id}/breach?tenant=<slug>`), the ICO clock, the breach log
//! (`/console/breaches`), the regulator reports (`/console/incidents/{id}/reports/{ico|ncsc}`)
//! and the breach parts of the dashboard.
//!
//! ## The ICO clock as a banner on other pages
//!
//! `templates/breach_clock.html` renders every [`ClockBanner`] in a variable `clocks` of the
//! including template (askama includes share the parent's context). To show the clocks of an
//! incident on its page:
//!
//! ```ignore
//! // in the page struct
//! clocks: Vec<crate::console::breach::ClockBanner>,
//! // in the handler, from the IncidentDetail the page already loaded
//! let clocks = crate::console::breach::incident_clocks(&detail, &ctx.app.policy, Utc::now(), &s.slugs, &s.chrome);
//! // in the template
//! {% include "breach_clock.html" %}
//! ```
//!
//! Each banner says the state in words (Running / Warning: less than 24 hours left / Overdue /
//! Reported on time|late / Not reportable), the time left and the deadline in UK time, and links
//! to the council's breach record; running clocks carry `data-deadline` so `console.js` counts
//! down live.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use ww_core::incident::Breach;
use ww_core::time::{format_london, format_utc, to_london};
use ww_respond::{BreachPolicy, ClockState, QuestionKind};
use ww_store::{DashboardCounts, IncidentDetail, TenantId};

use super::*;
use crate::service::{self, can_triage};
use crate::service_breach::{self as sb, BreachCtx, BreachEdit, ContactInput, ReportKind};

// ---------------------------------------------------------------------------------------------
// The clock

/// One ICO clock as a banner: see the module docs.
#[derive(Debug, Clone)]
pub(crate) struct ClockBanner {
    /// CSS state: running, warning, overdue, reported, reported_late, not_reportable.
    pub(crate) state: &'static str,
    /// The state in words.
    pub(crate) words: String,
    /// "47 h 12 min left", "overdue by 3 h 5 min", "reported on time (...)".
    pub(crate) remaining: String,
    /// Counting down (running, warning or overdue): the page updates it live.
    pub(crate) live: bool,
    pub(crate) deadline_iso: String,
    pub(crate) deadline_uk: String,
    pub(crate) aware_uk: String,
    /// Words for the live script when the clock crosses into warning or overdue.
    pub(crate) warning_words: String,
    pub(crate) warning_hours: u32,
    /// The council the record belongs to.
    pub(crate) tenant: TenantId,
    pub(crate) council: String,
    /// "INC-12: Phishing at the libraries".
    pub(crate) incident: String,
    /// The council's breach record.
    pub(crate) href: String,
}

/// The banner for `b`'s clock, or `None` before the council is aware.
pub(crate) fn clock_banner(
    b: &Breach,
    policy: &BreachPolicy,
    now: DateTime<Utc>,
    council: &str,
    slug: &str,
    incident: String,
) -> Option<ClockBanner> {
    let c = ww_respond::clock(b, policy, now)?;
    let state = match c.state {
        ClockState::Running => "running",
        ClockState::Warning => "warning",
        ClockState::Overdue => "overdue",
        ClockState::Reported { on_time: true, .. } => "reported",
        ClockState::Reported { on_time: false, .. } => "reported_late",
        ClockState::NotReportable => "not_reportable",
    };
    Some(ClockBanner {
        state,
        words: sb::state_words(&c.state, policy),
        remaining: c.human_remaining(),
        live: matches!(c.state, ClockState::Running | ClockState::Warning | ClockState::Overdue),
        deadline_iso: format_utc(&c.deadline),
        deadline_uk: format_london(&c.deadline),
        aware_uk: format_london(&c.aware_at),
        warning_words: sb::state_words(&ClockState::Warning, policy),
        warning_hours: policy.warning_hours(),
        tenant: b.tenant,
        council: council.to_owned(),
        incident,
        href: breach_href(b.incident_id, slug),
    })
}

fn breach_href(id: i64, slug: &str) -> String {
    format!("/console/incidents/{id}/breach?{}", query_string(&[("tenant", slug)]))
}

/// The clocks of every breach record in `detail` (one per council the caller sees) that has
/// started, for the incident page's banner.
pub(crate) fn incident_clocks(
    detail: &IncidentDetail,
    policy: &BreachPolicy,
    now: DateTime<Utc>,
    slugs: &Slugs,
    chrome: &Chrome,
) -> Vec<ClockBanner> {
    let i = &detail.incident;
    detail
        .breaches
        .iter()
        .filter_map(|b| {
            let slug = slugs.of(b.tenant);
            let council = chrome.tenant_name(&slug).to_owned();
            clock_banner(b, policy, now, &council, &slug, format!("INC-{}: {}", i.id, i.title))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Dashboard

/// The breach and incident-response parts of the dashboard.
pub(crate) struct DashboardExtras {
    /// ("Today", counts), ("This week", counts).
    pub(crate) windows: Vec<(&'static str, DashboardCounts)>,
    pub(crate) clocks: Vec<ClockBanner>,
}

pub(crate) async fn dashboard_extras(ctx: &Ctx, s: &Session, now: DateTime<Utc>) -> Result<DashboardExtras, PageError> {
    let (mut today, mut week) = (DashboardCounts::default(), DashboardCounts::default());
    let mut clocks = Vec::new();
    if !s.scope.tenants().is_empty() {
        let store = &ctx.app.store;
        let serious = service::SERIOUS_SCORE;
        today = store
            .dashboard_counts(&s.scope, ww_core::time::london_day_start(&now), serious)
            .await
            .map_err(ApiError::from)?;
        week = store
            .dashboard_counts(&s.scope, ww_core::time::london_week_start(&now), serious)
            .await
            .map_err(ApiError::from)?;
        for (b, title) in sb::running_clocks(ctx, &s.scope).await? {
            let slug = s.slugs.of(b.tenant);
            let council = s.chrome.tenant_name(&slug).to_owned();
            let incident = format!("INC-{}: {title}", b.incident_id);
            clocks.extend(clock_banner(&b, &ctx.app.policy, now, &council, &slug, incident));
        }
    }
    Ok(DashboardExtras { windows: vec![("Today", today), ("This week", week)], clocks })
}

// ---------------------------------------------------------------------------------------------
// The breach page

fn preferred(s: &Session) -> Option<TenantId> {
    let sel = s.chrome.selected.as_str();
    s.slugs.0.iter().find(|(_, slug)| !sel.is_empty() && slug.as_str() == sel).map(|(id, _)| *id)
}

/// A datetime-local input's value (UK wall-clock time).
fn local_input(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| to_london(&t).format("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default()
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    }
}

pub(crate) struct OptionView {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) checked: bool,
    /// "Special category data" or "Criminal offence data" for options that raise the risk.
    pub(crate) tag: String,
}

pub(crate) struct QuestionView {
    pub(crate) id: String,
    pub(crate) text: String,
    pub(crate) help: String,
    /// text, number, choice, multi_choice, datetime, yes_no.
    pub(crate) kind: &'static str,
    pub(crate) required: bool,
    pub(crate) cyber_only: bool,
    /// Text, number, datetime-local value or yes/no.
    pub(crate) value: String,
    pub(crate) options: Vec<OptionView>,
    /// The answer in words (read-only view), empty when unanswered.
    pub(crate) answer: String,
    /// Advice about this answer.
    pub(crate) problem: String,
}

pub(crate) struct RiskView {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) help: String,
    pub(crate) implies: String,
    pub(crate) checked: bool,
}

/// Every field as the form shows it.
#[derive(Default)]
pub(crate) struct BreachForm {
    pub(crate) occurred: String,
    pub(crate) detected: String,
    pub(crate) aware: String,
    pub(crate) aware_decided_by: String,
    pub(crate) aware_reason: String,
    pub(crate) report_to_ico: &'static str,
    pub(crate) ico_decision_reason: String,
    pub(crate) tell_individuals: &'static str,
    pub(crate) individuals_reason: String,
    pub(crate) ico_reported_at: String,
    pub(crate) ico_reference: String,
    pub(crate) ico_followup_at: String,
    pub(crate) late_reason: String,
}

impl BreachForm {
    fn of(b: &Breach, username: &str) -> BreachForm {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        BreachForm {
            occurred: local_input(b.occurred_at),
            detected: local_input(b.detected_at),
            aware: local_input(b.aware_at),
            aware_decided_by: b.aware_decided_by.clone().unwrap_or_else(|| username.to_owned()),
            aware_reason: s(&b.aware_reason),
            report_to_ico: yes_no(b.report_to_ico),
            ico_decision_reason: s(&b.ico_decision_reason),
            tell_individuals: yes_no(b.tell_individuals),
            individuals_reason: s(&b.individuals_reason),
            ico_reported_at: local_input(b.ico_reported_at),
            ico_reference: s(&b.ico_reference),
            ico_followup_at: local_input(b.ico_followup_at),
            late_reason: s(&b.late_reason),
        }
    }
}

/// (label, value) pairs for the summary everyone sees.
type Facts = Vec<(&'static str, String)>;

#[derive(Template)]
#[template(path = "breach_page.html")]
struct BreachPage {
    chrome: Chrome,
    incident_id: i64,
    incident_title: String,
    slug: String,
    council: String,
    /// (slug, name, current) of the incident's councils the caller sees, when more than one.
    councils: Vec<(String, String, bool)>,
    has_record: bool,
    can_edit: bool,
    clocks: Vec<ClockBanner>,
    clock_started: bool,
    deadline_hours: u32,
    facts: Facts,
    f: BreachForm,
    questions: Vec<QuestionView>,
    risks: Vec<RiskView>,
    risk_none: bool,
    advice: Vec<String>,
    late_prompt: bool,
    error: String,
    saved: String,
    report_qs: String,
}

fn facts(b: &Breach, policy: &BreachPolicy, now: DateTime<Utc>) -> Facts {
    let t = |v: Option<DateTime<Utc>>| v.map(|t| format_london(&t)).unwrap_or_else(|| "Not recorded".into());
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "Not recorded".into());
    let decision = |d: Option<bool>, why: &Option<String>| match d {
        None => "Not yet decided".to_owned(),
        Some(d) => format!("{}: {}", if d { "Yes" } else { "No" }, why.as_deref().unwrap_or("no reason given")),
    };
    let risk = b
        .risk
        .as_deref()
        .map(|r| policy.risk_option(r).map_or_else(|| r.to_owned(), |o| o.label.clone()))
        .unwrap_or_else(|| "Not yet assessed".into());
    let decided = match (&b.ico_decided_by, b.ico_decided_at) {
        (Some(by), Some(at)) => format!("{by}, {}", format_london(&at)),
        (Some(by), None) => by.clone(),
        _ => "Not recorded".into(),
    };
    vec![
        ("Status", sb::status_words(b, policy, now)),
        ("When it happened", t(b.occurred_at)),
        ("When it was detected", t(b.detected_at)),
        ("When the council became aware", t(b.aware_at)),
        (
            "Who decided, and why",
            match (&b.aware_decided_by, &b.aware_reason) {
                (Some(by), Some(why)) => format!("{by}: {why}"),
                _ => "Not recorded".into(),
            },
        ),
        ("Risk to people", risk),
        ("Report to the ICO", decision(b.report_to_ico, &b.ico_decision_reason)),
        ("ICO decision recorded by", decided),
        ("Tell the people affected", decision(b.tell_individuals, &b.individuals_reason)),
        ("Initial report sent to the ICO", t(b.ico_reported_at)),
        ("ICO case reference", text(&b.ico_reference)),
        ("Follow-up report sent", t(b.ico_followup_at)),
        ("Reasons for lateness", text(&b.late_reason)),
    ]
}

fn question_views(policy: &BreachPolicy, answers: &Map<String, Value>) -> Vec<QuestionView> {
    let problems = policy.validate_answers(answers);
    policy
        .questions()
        .iter()
        .map(|q| {
            let v = answers.get(&q.id);
            let value = match (q.kind, v) {
                (_, None | Some(Value::Null)) => String::new(),
                (QuestionKind::YesNo, Some(Value::Bool(b))) => yes_no(Some(*b)).to_owned(),
                (QuestionKind::Datetime, Some(Value::String(s))) => {
                    ww_core::time::parse_utc(s).map(|t| local_input(Some(t))).unwrap_or_else(|| s.clone())
                }
                (_, Some(Value::String(s))) => s.clone(),
                (_, Some(Value::Number(n))) => n.to_string(),
                (_, Some(other)) => other.to_string(),
            };
            let chosen: Vec<&str> = match v {
                Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
                Some(Value::String(s)) => vec![s.as_str()],
                _ => Vec::new(),
            };
            QuestionView {
                id: q.id.clone(),
                text: q.text.clone(),
                help: q.help.clone().unwrap_or_default(),
                kind: q.kind.as_str(),
                required: q.required,
                cyber_only: q.cyber_only,
                value,
                options: q
                    .options
                    .iter()
                    .map(|o| OptionView {
                        id: o.id.clone(),
                        label: o.label.clone(),
                        checked: chosen.contains(&o.id.as_str()),
                        tag: o.tag.map(|t| t.label().to_owned()).unwrap_or_default(),
                    })
                    .collect(),
                answer: policy.render_answer(q, answers).unwrap_or_default(),
                problem: problems
                    .iter()
                    .filter(|p| p.question == q.id)
                    .map(|p| p.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            }
        })
        .collect()
}

fn risk_views(policy: &BreachPolicy, chosen: Option<&str>) -> Vec<RiskView> {
    policy
        .risk_options()
        .iter()
        .map(|r| RiskView {
            id: r.id.clone(),
            label: r.label.clone(),
            help: r.help.clone().unwrap_or_default(),
            implies: format!(
                "{}; {}.",
                if r.report_to_ico { "Report to the ICO" } else { "No report to the ICO" },
                if r.tell_individuals {
                    "tell the people affected"
                } else {
                    "telling the people affected is not required"
                }
            ),
            checked: chosen == Some(r.id.as_str()),
        })
        .collect()
}

/// The page for `b`'s council; `shown` is what the forms show (the stored record, or an attempt
/// that was refused, with `error`).
fn breach_page(
    ctx: &Ctx,
    s: Session,
    b: &BreachCtx,
    shown: Option<&Breach>,
    error: String,
    saved: String,
) -> PageResult {
    let policy = &ctx.app.policy;
    let now = Utc::now();
    let slug = s.slugs.of(b.tenant);
    let council = s.chrome.tenant_name(&slug).to_owned();
    let scope = s.full_scope();
    let visible = b.visible_tenants(&scope);
    let councils = if visible.len() > 1 {
        visible
            .iter()
            .map(|t| {
                let sl = s.slugs.of(*t);
                (sl.clone(), s.chrome.tenant_name(&sl).to_owned(), *t == b.tenant)
            })
            .collect()
    } else {
        Vec::new()
    };
    let i = &b.detail.incident;
    let stored = b.breach.as_ref();
    let shown = shown.or(stored);
    let mut clocks = incident_clocks(&b.detail, policy, now, &s.slugs, &s.chrome);
    clocks.retain(|c| c.tenant == b.tenant);
    let late_prompt = stored.is_some_and(|r| {
        matches!(
            ww_respond::clock(r, policy, now).map(|c| c.state),
            Some(ClockState::Overdue | ClockState::Reported { on_time: false, .. })
        )
    }) || shown.is_some_and(|r| r.late_reason.is_some());
    let empty = Map::new();
    let answers = shown.map_or(&empty, |r| &r.answers);
    let page = BreachPage {
        incident_id: i.id,
        incident_title: i.title.clone(),
        councils,
        has_record: stored.is_some(),
        can_edit: can_triage(&s.p, b.tenant),
        clock_started: !clocks.is_empty(),
        clocks,
        deadline_hours: policy.deadline_hours(),
        facts: stored.map(|r| facts(r, policy, now)).unwrap_or_default(),
        f: shown.map(|r| BreachForm::of(r, &s.chrome.username)).unwrap_or_default(),
        questions: question_views(policy, answers),
        risks: risk_views(policy, shown.and_then(|r| r.risk.as_deref())),
        risk_none: shown.is_none_or(|r| r.risk.is_none()),
        advice: stored
            .map(|r| policy.validate_answers(&r.answers).into_iter().map(|p| p.message).collect())
            .unwrap_or_default(),
        late_prompt,
        error,
        saved,
        report_qs: query_string(&[("tenant", &slug)]),
        slug,
        council,
        chrome: s.chrome,
    };
    let status = if page.error.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    render(status, &page)
}

#[derive(Deserialize, Default)]
pub(crate) struct BreachQuery {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    saved: String,
}

pub(crate) async fn page(
    State(ctx): State<Ctx>,
    mut s: Session,
    Path(id): Path<i64>,
    Query(q): Query<BreachQuery>,
) -> PageResult {
    s.chrome.nav = "breaches";
    let b = sb::load(&ctx, &s.p, id, Some(&q.tenant), preferred(&s)).await?;
    let saved = match q.saved.as_str() {
        "mark" => "Breach record created. Record when the council became aware to start the ICO clock.",
        "timing" => "Timing saved.",
        "assessment" => "Assessment saved.",
        "decision" => "Decision saved.",
        "reporting" => "Reporting details saved.",
        _ => "",
    };
    breach_page(&ctx, s, &b, None, String::new(), saved.to_owned())
}

fn field<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
}

fn text(pairs: &[(String, String)], key: &str) -> Option<String> {
    Some(field(pairs, key).trim().to_owned()).filter(|s| !s.is_empty())
}

/// A time from the form. The form shows times to the minute, so a value the user left as shown
/// keeps the stored instant (its seconds), rather than moving the ICO deadline on every save.
fn when(
    pairs: &[(String, String)],
    key: &str,
    label: &str,
    stored: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, String> {
    let typed = field(pairs, key).trim();
    if stored.is_some() && typed == local_input(stored) {
        return Ok(stored);
    }
    local_time(label, typed).map_err(|e| e.message)
}

fn decision(pairs: &[(String, String)], key: &str, label: &str) -> Result<Option<bool>, String> {
    match field(pairs, key) {
        "" => Ok(None),
        "yes" => Ok(Some(true)),
        "no" => Ok(Some(false)),
        _ => Err(format!("{label}: choose yes or no")),
    }
}

/// One answer from the form, stored by the question's kind. Values that do not parse are kept as
/// typed, so the assessment's advice names them rather than the form losing them.
fn answer(kind: QuestionKind, values: &[&str]) -> Option<Value> {
    let first = values.first().map(|v| v.trim()).unwrap_or("");
    match kind {
        QuestionKind::MultiChoice => {
            let ids: Vec<Value> =
                values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).map(|v| Value::String(v.into())).collect();
            (!ids.is_empty()).then_some(Value::Array(ids))
        }
        _ if first.is_empty() => None,
        QuestionKind::Text | QuestionKind::Choice => Some(Value::String(first.into())),
        QuestionKind::Number => Some(
            first
                .replace(',', "")
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| first.parse::<f64>().map(Value::from))
                .unwrap_or_else(|_| Value::String(first.into())),
        ),
        QuestionKind::YesNo => match first {
            "yes" => Some(Value::Bool(true)),
            "no" => Some(Value::Bool(false)),
            other => Some(Value::String(other.into())),
        },
        QuestionKind::Datetime => Some(Value::String(
            NaiveDateTime::parse_from_str(first, "%Y-%m-%dT%H:%M")
                .map(|t| format_utc(&ww_core::time::london_to_utc(t)))
                .unwrap_or_else(|_| first.into()),
        )),
    }
}

/// Applies one section of the form to `edit`.
fn apply_section(
    edit: &mut BreachEdit,
    section: &str,
    pairs: &[(String, String)],
    policy: &BreachPolicy,
) -> Result<(), String> {
    match section {
        "timing" => {
            edit.occurred_at = when(pairs, "occurred", "When it happened", edit.occurred_at)?;
            edit.detected_at = when(pairs, "detected", "When it was detected", edit.detected_at)?;
            edit.aware_at = when(pairs, "aware", "When the council became aware", edit.aware_at)?;
            edit.aware_decided_by = text(pairs, "aware_decided_by");
            edit.aware_reason = text(pairs, "aware_reason");
        }
        "assessment" => {
            for q in policy.questions() {
                let key = format!("q.{}", q.id);
                let values: Vec<&str> = pairs.iter().filter(|(k, _)| *k == key).map(|(_, v)| v.as_str()).collect();
                match answer(q.kind, &values) {
                    Some(v) => edit.answers.insert(q.id.clone(), v),
                    None => edit.answers.remove(&q.id),
                };
            }
            edit.risk = text(pairs, "risk");
        }
        "decision" => {
            edit.report_to_ico = decision(pairs, "report_to_ico", "Report to the ICO")?;
            edit.ico_decision_reason = text(pairs, "ico_decision_reason");
            edit.tell_individuals = decision(pairs, "tell_individuals", "Tell the people affected")?;
            edit.individuals_reason = text(pairs, "individuals_reason");
        }
        "reporting" => {
            edit.ico_reported_at = when(pairs, "ico_reported_at", "Initial report sent", edit.ico_reported_at)?;
            edit.ico_reference = text(pairs, "ico_reference");
            edit.ico_followup_at = when(pairs, "ico_followup_at", "Follow-up sent", edit.ico_followup_at)?;
            edit.late_reason = text(pairs, "late_reason");
        }
        _ => return Err("Unknown part of the breach form.".into()),
    }
    Ok(())
}

pub(crate) async fn submit(
    State(ctx): State<Ctx>,
    mut s: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    s.check_csrf(&headers, pairs.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.as_str()))?;
    s.chrome.nav = "breaches";
    let b = sb::load(&ctx, &s.p, id, Some(field(&pairs, "tenant")), preferred(&s)).await?;
    let section = field(&pairs, "section");
    if section == "mark" {
        sb::mark(&ctx, &s.p, &b).await?;
    } else {
        let Some(current) = b.breach.clone() else {
            return Err(bad("There is no breach record for this council yet: mark the incident first."));
        };
        let mut edit = BreachEdit::of(&current);
        let attempt = apply_section(&mut edit, section, &pairs, &ctx.app.policy);
        let result = match attempt {
            Ok(()) => sb::save(&ctx, &s.p, &b, &edit).await.map(|_| ()),
            Err(msg) => Err(ApiError::BadRequest(msg)),
        };
        match result {
            Ok(()) => {}
            Err(ApiError::BadRequest(msg)) => {
                let shown = edit.apply(&current);
                return breach_page(&ctx, s, &b, Some(&shown), msg, String::new());
            }
            Err(e) => return Err(e.into()),
        }
    }
    let slug = b.slugs.of(b.tenant);
    let to = format!(
        "/console/incidents/{id}/breach?{}#{}",
        query_string(&[("tenant", &slug), ("saved", section)]),
        if section == "mark" { "timing" } else { section }
    );
    Ok(see_other(&to))
}

// ---------------------------------------------------------------------------------------------
// Breach log

pub(crate) struct LogRow {
    pub(crate) incident_id: i64,
    pub(crate) incident_title: String,
    pub(crate) incident_status: &'static str,
    pub(crate) council: String,
    /// (RFC 3339, UK time) when the council became aware.
    pub(crate) aware: Option<(String, String)>,
    pub(crate) risk: String,
    pub(crate) decision: String,
    pub(crate) individuals: String,
    pub(crate) reference: String,
    pub(crate) status: String,
    pub(crate) href: String,
}

#[derive(Template)]
#[template(path = "breach_log.html")]
struct BreachLogPage {
    chrome: Chrome,
    rows: Vec<LogRow>,
}

pub(crate) async fn breach_log(State(ctx): State<Ctx>, mut s: Session) -> PageResult {
    s.chrome.nav = "breaches";
    let policy = &ctx.app.policy;
    let now = Utc::now();
    let log = sb::breach_log(&ctx, &s.scope).await?;
    let decided = |d: Option<bool>, why: &Option<String>, yes: &str, no: &str| match d {
        None => "Not yet decided".to_owned(),
        Some(d) => format!("{}: {}", if d { yes } else { no }, why.as_deref().unwrap_or("no reason given")),
    };
    let rows = log
        .into_iter()
        .map(|e| {
            let b = &e.breach;
            let slug = s.slugs.of(b.tenant);
            LogRow {
                incident_id: b.incident_id,
                incident_title: e.incident_title.clone(),
                incident_status: e.incident_status.label(),
                council: s.chrome.tenant_name(&slug).to_owned(),
                aware: b.aware_at.map(|t| (format_utc(&t), format_london(&t))),
                risk: b
                    .risk
                    .as_deref()
                    .map(|r| policy.risk_option(r).map_or_else(|| r.to_owned(), |o| o.label.clone()))
                    .unwrap_or_else(|| "Not yet assessed".into()),
                decision: decided(b.report_to_ico, &b.ico_decision_reason, "Report", "Do not report"),
                individuals: decided(b.tell_individuals, &b.individuals_reason, "Tell them", "Do not tell them"),
                reference: b.ico_reference.clone().unwrap_or_default(),
                status: sb::status_words(b, policy, now),
                href: breach_href(b.incident_id, &slug),
            }
        })
        .collect();
    render(StatusCode::OK, &BreachLogPage { chrome: s.chrome, rows })
}

// ---------------------------------------------------------------------------------------------
// Reports

#[derive(Deserialize, Default)]
pub(crate) struct ReportQuery {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    kind: String,
    /// `txt`: download the text instead of the page.
    #[serde(default)]
    format: String,
    #[serde(flatten)]
    contact: ContactInput,
}

#[derive(Template)]
#[template(path = "breach_report.html")]
struct ReportPage {
    chrome: Chrome,
    incident_id: i64,
    incident_title: String,
    council: String,
    slug: String,
    /// ico or ncsc.
    report: &'static str,
    /// initial or followup (ICO).
    kind: &'static str,
    r: ww_respond::Report,
    generated: String,
    missing: usize,
    text: String,
    contact: ContactInput,
    txt_href: String,
}

async fn report_page(ctx: Ctx, mut s: Session, id: i64, q: ReportQuery, kind: ReportKind) -> PageResult {
    s.chrome.nav = "breaches";
    let b = sb::load(&ctx, &s.p, id, Some(&q.tenant), preferred(&s)).await?;
    let contact = q.contact.details(&s.p)?;
    let r = sb::report(&ctx, &b, kind, &contact, Utc::now()).await?;
    let slug = b.slugs.of(b.tenant);
    let i = &b.detail.incident;
    if q.format == "txt" {
        let name = format!("INC-{}-{}-{}.txt", i.id, kind.slug(), slug);
        let name: String =
            name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect();
        let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
            .map_err(|_| PageError::from(ApiError::Internal))?;
        let mut resp = ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))], r.to_text())
            .into_response();
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, disposition);
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(resp);
    }
    let (report, kind_name) = match kind {
        ReportKind::Ico(ww_respond::IcoReportKind::Initial) => ("ico", "initial"),
        ReportKind::Ico(ww_respond::IcoReportKind::FollowUp) => ("ico", "followup"),
        ReportKind::Ncsc => ("ncsc", ""),
    };
    let c = &q.contact;
    let txt_href = format!(
        "/console/incidents/{}/reports/{report}?{}",
        i.id,
        query_string(&[
            ("tenant", &slug),
            ("kind", kind_name),
            ("contact_name", &c.contact_name),
            ("contact_role", &c.contact_role),
            ("contact_email", &c.contact_email),
            ("contact_phone", &c.contact_phone),
            ("format", "txt"),
        ])
    );
    let page = ReportPage {
        incident_id: i.id,
        incident_title: i.title.clone(),
        council: s.chrome.tenant_name(&slug).to_owned(),
        report,
        kind: kind_name,
        generated: format_london(&r.generated_at),
        missing: r.missing_fields().len(),
        text: r.to_text(),
        r,
        contact: q.contact,
        txt_href,
        slug,
        chrome: s.chrome,
    };
    render(StatusCode::OK, &page)
}

pub(crate) async fn ico_report(
    State(ctx): State<Ctx>,
    s: Session,
    Path(id): Path<i64>,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let kind = ReportKind::ico(&q.kind)?;
    report_page(ctx, s, id, q, kind).await
}

pub(crate) async fn ncsc_report(
    State(ctx): State<Ctx>,
    s: Session,
    Path(id): Path<i64>,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    report_page(ctx, s, id, q, ReportKind::Ncsc).await
}
