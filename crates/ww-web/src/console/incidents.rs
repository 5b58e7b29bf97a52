//! Incident pages: the list, the new-incident form, escalation from an alert, and the incident
//! page with its tasks, observables, evidence, notes and timeline. Every change goes through
//! [`crate::service_incidents`], the same functions the JSON API calls.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use ww_core::incident::{IncidentCategory, IncidentOrigin, IncidentSeverity, IncidentStatus, ObservableKind};
use ww_store::TenantId;

use super::pages::{bad, local_time, render};
use super::*;
use crate::service_incidents::{self as svc, *};
use crate::views::AlertView;

/// (value, label) pairs of a stored enum, for selects.
fn choices<T: Copy>(
    all: &[T],
    v: fn(T) -> &'static str,
    l: fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|x| (v(*x), l(*x))).collect()
}

/// The select options every incident form uses.
struct Options {
    categories: Vec<(&'static str, &'static str)>,
    origins: Vec<(&'static str, &'static str)>,
    severities: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    ncsc: &'static [(u8, String)],
}

impl Options {
    fn new() -> Options {
        Options {
            categories: choices(IncidentCategory::ALL, IncidentCategory::as_str, IncidentCategory::label),
            origins: choices(IncidentOrigin::ALL, IncidentOrigin::as_str, IncidentOrigin::label),
            severities: choices(IncidentSeverity::ALL, IncidentSeverity::as_str, IncidentSeverity::label),
            statuses: choices(IncidentStatus::ALL, IncidentStatus::as_str, IncidentStatus::label),
            kinds: choices(ObservableKind::ALL, ObservableKind::as_str, ObservableKind::label),
            ncsc: NCSC_CATEGORIES.as_slice(),
        }
    }
}

fn back_to(id: i64, anchor: &str) -> Response {
    see_other(&format!("/console/incidents/{id}#{anchor}"))
}

fn empty_none(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

// ---------------------------------------------------------------------------------------------
// List

#[derive(Deserialize, Default)]
pub(crate) struct IncidentFilter {
    #[serde(default)]
    status: String,
    #[serde(default)]
    cursor: String,
}

#[derive(Template)]
#[template(path = "incidents_list.html")]
struct ListPage {
    chrome: Chrome,
    items: Vec<IncidentView>,
    f: IncidentFilter,
    o: Options,
    next_page: String,
    first_page: String,
    /// Show which councils each incident spans (users of a shared service).
    show_tenants: bool,
    can_create: bool,
}

pub(crate) async fn list(State(ctx): State<Ctx>, mut s: Session, Query(f): Query<IncidentFilter>) -> PageResult {
    s.chrome.nav = "incidents";
    let statuses = match f.status.as_str() {
        "" | "open" => Vec::new(),
        "all" => IncidentStatus::ALL.to_vec(),
        other => vec![IncidentStatus::parse(other).ok_or_else(|| bad("Unknown incident status."))?],
    };
    let cursor = Some(f.cursor.clone()).filter(|c| !c.is_empty());
    let page = svc::list_incidents(&ctx, &s.scope, &s.slugs, statuses, 50, cursor).await?;
    let link = |c: &str| {
        let qs = query_string(&[("status", &f.status), ("cursor", c)]);
        if qs.is_empty() { "/console/incidents".to_owned() } else { format!("/console/incidents?{qs}") }
    };
    let next_page = page.next_cursor.as_deref().map(link).unwrap_or_default();
    let first_page = if f.cursor.is_empty() { String::new() } else { link("") };
    let show_tenants = s.chrome.tenants.len() > 1;
    let can_create = s.scope.tenants().iter().any(|t| crate::service::can_triage(&s.p, *t));
    let page = ListPage {
        chrome: s.chrome,
        items: page.items,
        f,
        o: Options::new(),
        next_page,
        first_page,
        show_tenants,
        can_create,
    };
    render(StatusCode::OK, &page)
}

// ---------------------------------------------------------------------------------------------
// New incident (blank, or from an alert)

#[derive(Template)]
#[template(path = "incidents_new.html")]
struct NewPage {
    chrome: Chrome,
    o: Options,
    /// (slug, name) of the councils the user may open incidents for.
    tenants: Vec<(String, String)>,
    users: Vec<String>,
    /// The alert being escalated, with open incidents it could join instead.
    alert: Option<AlertView>,
    open: Vec<IncidentView>,
    title: String,
    severity: String,
}

async fn new_page(ctx: &Ctx, s: Session, alert: Option<AlertView>) -> PageResult {
    let mut chrome = s.chrome;
    chrome.nav = "incidents";
    let writable: Vec<TenantId> = match &alert {
        Some(a) => s.slugs.0.iter().filter(|(_, slug)| **slug == a.tenant).map(|(id, _)| *id).collect(),
        None => s.scope.tenants().iter().copied().filter(|t| crate::service::can_triage(&s.p, *t)).collect(),
    };
    let writable: Vec<TenantId> = writable.into_iter().filter(|t| crate::service::can_triage(&s.p, *t)).collect();
    if writable.is_empty() {
        return Err(PageError::from(ApiError::Forbidden(
            "opening incidents needs the analyst or admin role in that council",
        )));
    }
    let users = svc::usernames(ctx, &writable).await?;
    let mut tenants: Vec<(String, String)> = writable
        .iter()
        .map(|t| {
            let slug = s.slugs.of(*t);
            let name = chrome.tenant_name(&slug).to_owned();
            (slug, name)
        })
        .collect();
    tenants.sort_by(|a, b| a.1.cmp(&b.1));
    let (title, severity, open) = match &alert {
        Some(a) => (
            format!("{}: {}", a.rule_title, a.entity),
            severity_of_level(&a.level).as_str().to_owned(),
            svc::open_incidents(ctx, &s.p).await?.into_iter().filter(|i| i.tenants.contains(&a.tenant)).collect(),
        ),
        None => (String::new(), "medium".to_owned(), Vec::new()),
    };
    render(StatusCode::OK, &NewPage { chrome, o: Options::new(), tenants, users, alert, open, title, severity })
}

pub(crate) async fn new_form(State(ctx): State<Ctx>, s: Session) -> PageResult {
    new_page(&ctx, s, None).await
}

/// "Escalate to an incident" for one alert: a new incident filled in from it, or an open one.
pub(crate) async fn alert_incident_form(State(ctx): State<Ctx>, s: Session, Path(id): Path<i64>) -> PageResult {
    let a = crate::service::get_alert(&ctx, &s.p, id).await?.alert;
    new_page(&ctx, s, Some(a)).await
}

#[derive(Deserialize)]
pub(crate) struct NewForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    tenant: Option<String>,
    title: Option<String>,
    #[serde(default)]
    summary: String,
    category: Option<String>,
    origin: Option<String>,
    severity: Option<String>,
    owner: Option<String>,
    from_alert: Option<String>,
}

pub(crate) async fn create(
    State(ctx): State<Ctx>,
    s: Session,
    headers: HeaderMap,
    Form(f): Form<NewForm>,
) -> PageResult {
    s.check_csrf(&headers, f.csrf.as_deref())?;
    let from_alert = match empty_none(f.from_alert) {
        Some(a) => Some(a.trim().parse::<i64>().map_err(|_| bad("from_alert: expected an alert number"))?),
        None => None,
    };
    let req = NewIncidentRequest {
        tenant: empty_none(f.tenant),
        title: empty_none(f.title),
        summary: f.summary,
        category: empty_none(f.category),
        origin: empty_none(f.origin),
        severity: empty_none(f.severity),
        owner: empty_none(f.owner),
        from_alert,
    };
    let inc = svc::create_incident(&ctx, &s.p, req).await?;
    Ok(see_other(&format!("/console/incidents/{}", inc.id)))
}

#[derive(Deserialize)]
pub(crate) struct AttachForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    incident: String,
}

/// Attaches an alert to an existing incident (and escalates it).
pub(crate) async fn attach_alert(
    State(ctx): State<Ctx>,
    s: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<AttachForm>,
) -> PageResult {
    s.check_csrf(&headers, f.csrf.as_deref())?;
    let incident = f.incident.trim().parse::<i64>().map_err(|_| bad("Choose an incident."))?;
    svc::link_alert(&ctx, &s.p, incident, id).await?;
    Ok(back_to(incident, "alerts"))
}

// ---------------------------------------------------------------------------------------------
// Incident page

#[derive(Template)]
#[template(path = "incidents_detail.html")]
struct DetailPage {
    chrome: Chrome,
    d: IncidentDetailView,
    o: Options,
    can_edit: bool,
    /// (slug, name) of the incident's councils the user may add records to.
    write_tenants: Vec<(String, String)>,
    /// (slug, name) of councils the user could add to the incident.
    addable: Vec<(String, String)>,
    /// Owner and assignee choices.
    users: Vec<String>,
    /// Label child records by council (more than one of the incident's councils in view).
    multi: bool,
    breach_link: String,
    services_link: String,
    /// The running ICO clocks of this incident's breach records in view (`breach_clock.html`).
    clocks: Vec<crate::console::breach::ClockBanner>,
}

impl DetailPage {
    fn can_write(&self, tenant: &str) -> bool {
        self.chrome.can_triage(tenant) && self.d.incident.tenants.iter().any(|t| t == tenant)
    }
    fn ncsc_selected(&self, n: &u8) -> bool {
        self.d.incident.ncsc_category == Some(*n)
    }
    fn ncsc_label(&self) -> Option<String> {
        let n = self.d.incident.ncsc_category?;
        self.o.ncsc.iter().find(|(num, _)| *num == n).map(|(num, name)| format!("{num}: {name}"))
    }
    fn owner_is(&self, u: &str) -> bool {
        self.d.incident.owner.as_deref() == Some(u)
    }
}

pub(crate) async fn detail(State(ctx): State<Ctx>, mut s: Session, Path(id): Path<i64>) -> PageResult {
    s.chrome.nav = "incidents";
    let d = svc::incident_detail(&ctx, &s.p, id, Utc::now()).await?;
    let full = s.full_scope();
    let inc_tenants: Vec<TenantId> =
        s.slugs.0.iter().filter(|(_, slug)| d.incident.tenants.contains(slug)).map(|(id, _)| *id).collect();
    let can_edit = svc::can_edit(&s.p, &inc_tenants, &full);
    let name = |slug: &String| (slug.clone(), s.chrome.tenant_name(slug).to_owned());
    let write_tenants: Vec<(String, String)> =
        d.incident.tenants.iter().filter(|t| s.chrome.can_triage(t)).map(name).collect();
    let addable: Vec<(String, String)> = if can_edit {
        s.chrome
            .tenants
            .iter()
            .filter(|(slug, _)| !d.incident.tenants.contains(slug) && s.chrome.can_triage(slug))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let users = svc::usernames(&ctx, &inc_tenants).await?;
    let multi = d.incident.tenants.len() > 1;
    // The clocks need the stored breach records; the view above has already checked access.
    let stored = ctx.app.store.get_incident(&full, id).await.map_err(ApiError::from)?;
    let clocks = crate::console::breach::incident_clocks(&stored, &ctx.app.policy, Utc::now(), &s.slugs, &s.chrome);
    let page = DetailPage {
        clocks,
        breach_link: format!("/console/incidents/{id}/breach"),
        services_link: format!("/console/incidents/{id}/services"),
        chrome: s.chrome,
        d,
        o: Options::new(),
        can_edit,
        write_tenants,
        addable,
        users,
        multi,
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(crate) struct UpdateForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    category: Option<String>,
    origin: Option<String>,
    severity: Option<String>,
    status: Option<String>,
    owner: Option<String>,
    ncsc_category: Option<String>,
}

pub(crate) async fn update(
    State(ctx): State<Ctx>,
    s: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<UpdateForm>,
) -> PageResult {
    s.check_csrf(&headers, f.csrf.as_deref())?;
    let ncsc_category = match f.ncsc_category.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(0),
        Some(n) => Some(n.parse::<u8>().map_err(|_| bad("NCSC category: 1 to 6, or not assessed"))?),
    };
    let req = UpdateIncidentRequest {
        title: f.title,
        summary: f.summary,
        category: f.category,
        origin: f.origin,
        severity: f.severity,
        status: f.status,
        owner: f.owner,
        ncsc_category,
    };
    svc::update_incident(&ctx, &s.p, id, req).await?;
    Ok(back_to(id, "headline"))
}

#[derive(Deserialize)]
pub(crate) struct TaskForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    title: String,
    assignee: Option<String>,
    /// UK local date and time (`datetime-local`).
    #[serde(default)]
    due: String,
    tenant: Option<String>,
}

pub(crate) async fn add_task(
    State(ctx): State<Ctx>,
    s: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<TaskForm>,
) -> PageResult {
    s.check_csrf(&headers, f.csrf.as_deref())?;
    let due = local_time("Due", &f.due)?;
    let req = NewTaskRequest { title: f.title, assignee: empty_none(f.assignee), due, tenant: empty_none(f.tenant) };
    svc::add_task(&ctx, &s.p, id, req).await?;
    Ok(back_to(id, "tasks"))
}

#[derive(Deserialize)]
pub(crate) struct DoneForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    done: String,
}

pub(crate) async fn task_done(
    State(ctx): State<Ctx>,
    s: Session,
    headers: HeaderMap,
    Path((id, task_id)): Path<(i64, i64)>,
    Form(f): Form<DoneForm>,
) -> PageResult {
    s.check_csrf(&headers, f.csrf.as_deref())?;
    let done = match f.done.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(bad("done: expected true or false")),
    };
    svc::set_task_done(&ctx, &s.p, id, task_id, done).await?;
    Ok(back_to(id, "tasks"))
}

#[derive(Deserialize)]
pub(crate) struct ObservableForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
    note: Option<String>,
    tenant: Option<String>,
}

pub(crate) async fn add_observable(
    State(ctx): State<Ctx>,
    s: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<ObservableForm>,
) -> PageResult {
    s.check_csrf(&headers, f.csrf.as_deref())?;
    let req =
        NewObservableRequest { kind: f.kind, value: f.value, note: empty_none(f.note), tenant: empty_none(f.tenant) };
    svc::add_observable(&ctx, &s.p, id, req).await?;
    Ok(back_to(id, "observables"))
}

#[derive(Deserialize)]
pub(crate) struct NoteForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    body: String,
    tenant: Option<String>,
}

pub(crate) async fn add_note(
    State(ctx): State<Ctx>,
    s: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> PageResult {
    s.check_csrf(&headers, f.csrf.as_deref())?;
    svc::add_note(&ctx, &s.p, id, NewNoteRequest { body: f.body, tenant: empty_none(f.tenant) }).await?;
    Ok(back_to(id, "notes"))
}

#[derive(Deserialize)]
pub(crate) struct LinkForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    id: String,
}

fn number(what: &str, v: &str) -> Result<i64, PageError> {
    v.trim().trim_start_matches('#').parse::<i64>().map_err(|_| bad(&format!("{what}: expected a number")))
}

pub(crate) async fn link_alert(
    State(ctx): State<Ctx>,
    s: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<LinkForm>,
) -> PageResult {
    s.check_csrf(&headers, f.csrf.as_deref())?;
    svc::link_alert(&ctx, &s.p, id, number("Alert", &f.id)?).await?;
    Ok(back_to(id, "alerts"))
}

pub(crate) async fn link_event(
    State(ctx): State<Ctx>,
    s: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<LinkForm>,
) -> PageResult {
    s.check_csrf(&headers, f.csrf.as_deref())?;
    svc::link_event(&ctx, &s.p, id, number("Event", &f.id)?).await?;
    Ok(back_to(id, "events"))
}

#[derive(Deserialize)]
pub(crate) struct TenantAddForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    tenant: String,
}

pub(crate) async fn add_tenant(
    State(ctx): State<Ctx>,
    s: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<TenantAddForm>,
) -> PageResult {
    s.check_csrf(&headers, f.csrf.as_deref())?;
    svc::add_tenant(&ctx, &s.p, id, &f.tenant).await?;
    Ok(back_to(id, "headline"))
}

/// Evidence upload (multipart; the route's own body limit is 25 MiB plus the form fields).
pub(crate) async fn upload_evidence(
    State(ctx): State<Ctx>,
    s: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    m: Multipart,
) -> PageResult {
    // Before the body is read; the CSRF token is inside it, and checked once it is.
    svc::may_add_evidence(&ctx, &s.p, id).await?;
    let (up, extra) = crate::api_incidents::read_upload(m).await?;
    let csrf = extra.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.as_str());
    s.check_csrf(&headers, csrf)?;
    svc::add_evidence(&ctx, &s.p, id, up).await?;
    Ok(back_to(id, "evidence"))
}

/// An evidence file, only ever as a download.
pub(crate) async fn download_evidence(State(ctx): State<Ctx>, s: Session, Path(id): Path<i64>) -> PageResult {
    let (e, bytes) = svc::evidence_content(&ctx, &s.p, None, id).await?;
    Ok(crate::api_incidents::download(&e.filename, bytes))
}
