//! Console pages for an incident's affected services and the user's notification settings, and
//! the public service-status page of a council (`/status/{slug}`, no login, its own template and
//! stylesheet: nothing of the console's layout, links or session).

use std::borrow::Borrow;
use std::sync::OnceLock;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use ww_core::incident::ServiceStatus;

use super::*;
use crate::service_status::{
    self as svc, AffectedServiceView, FieldErrors, NotificationSettings, PublicServiceView, PublicStatusView,
};

/// How long browsers and proxies may keep the public status page.
const PUBLIC_CACHE: &str = "public, max-age=30";

/// The council services offered when marking a service affected: the embedded breach policy's
/// starting list (free text is allowed too).
fn default_services() -> &'static [String] {
    static SERVICES: OnceLock<Vec<String>> = OnceLock::new();
    SERVICES.get_or_init(|| match ww_respond::BreachPolicy::embedded() {
        Ok(p) => p.default_services().to_vec(),
        Err(e) => {
            tracing::error!(error = %e, "the embedded breach policy does not load; no service suggestions");
            Vec::new()
        }
    })
}

/// A form's submitted values and its problems, by field.
#[derive(Debug, Default)]
pub(crate) struct FormState {
    values: Vec<(&'static str, String)>,
    errors: FieldErrors,
}

impl FormState {
    pub(crate) fn value(&self, field: &str) -> &str {
        self.values.iter().find(|(f, _)| *f == field).map_or("", |(_, v)| v.as_str())
    }
    pub(crate) fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }
    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    /// (field, message) for the error summary at the top of the form.
    pub(crate) fn errors(&self) -> &[(&'static str, String)] {
        &self.errors
    }
}

// ---------------------------------------------------------------------------------------------
// Affected services of an incident

/// One council's part of the services page.
pub(crate) struct TenantServices {
    pub(crate) slug: String,
    pub(crate) name: String,
    pub(crate) services: Vec<AffectedServiceView>,
    pub(crate) writable: bool,
}

#[derive(Template)]
#[template(path = "status_services.html")]
struct ServicesPage {
    chrome: Chrome,
    incident_id: i64,
    title: String,
    groups: Vec<TenantServices>,
    /// Councils where the user may record status: (slug, name).
    writable: Vec<(String, String)>,
    form: FormState,
    suggestions: &'static [String],
    statuses: &'static [ServiceStatus],
    saved: String,
}

impl ServicesPage {
    fn status_label(&self, s: &ServiceStatus) -> &'static str {
        s.label()
    }
    fn status_value(&self, s: &ServiceStatus) -> &'static str {
        s.as_str()
    }
    /// An instant to the minute in UK time (the table has six columns to fit).
    fn tm(&self, ts: impl Borrow<chrono::DateTime<Utc>>) -> String {
        ww_core::time::format_london_minutes(ts.borrow())
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct SavedQuery {
    #[serde(default)]
    saved: String,
}

pub(crate) async fn incident_services(
    State(ctx): State<Ctx>,
    s: Session,
    Path(id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let now = ww_core::time::to_london(&Utc::now()).format("%Y-%m-%dT%H:%M").to_string();
    let form = FormState { values: vec![("at", now), ("status", "down".into())], errors: Vec::new() };
    let saved: String = q.saved.chars().take(svc::MAX_SERVICE_NAME).collect();
    services_page(&ctx, s, id, form, saved, StatusCode::OK).await
}

async fn services_page(
    ctx: &Ctx,
    mut s: Session,
    id: i64,
    mut form: FormState,
    saved: String,
    status: StatusCode,
) -> PageResult {
    s.chrome.nav = "incidents";
    let d = svc::incident_services(ctx, &s.p, id).await?;
    let groups: Vec<TenantServices> = d
        .tenants
        .iter()
        .map(|(slug, name)| TenantServices {
            slug: slug.clone(),
            name: name.clone(),
            services: d.view.services.iter().filter(|v| &v.tenant == slug).cloned().collect(),
            writable: d.writable.contains(slug),
        })
        .collect();
    let writable: Vec<(String, String)> = d.tenants.iter().filter(|(s, _)| d.writable.contains(s)).cloned().collect();
    if form.value("tenant").is_empty()
        && let Some((slug, _)) = writable.first()
    {
        form.values.push(("tenant", slug.clone()));
    }
    let page = ServicesPage {
        chrome: s.chrome,
        incident_id: id,
        title: d.title,
        groups,
        writable,
        form,
        suggestions: default_services(),
        statuses: ServiceStatus::ALL,
        saved,
    };
    render(status, &page)
}

#[derive(Deserialize)]
pub(crate) struct ServiceForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    at: String,
}

pub(crate) async fn incident_services_submit(
    State(ctx): State<Ctx>,
    s: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<ServiceForm>,
) -> PageResult {
    s.check_csrf(&headers, f.csrf.as_deref())?;
    let now = Utc::now();
    let (at, at_error) = if f.at.trim().is_empty() {
        (None, None)
    } else {
        match local_time("As of", &f.at) {
            Ok(t) => (t, None),
            Err(_) => (None, Some("Enter the date and time as day, month, year, hours and minutes.".to_owned())),
        }
    };
    let tenant = Some(f.tenant.as_str()).filter(|t| !t.is_empty());
    let checked = svc::check_service_change(tenant, &f.service, &f.status, at, now);
    let errors: FieldErrors = match (&checked, at_error) {
        (Ok(_), None) => Vec::new(),
        (Ok(_), Some(e)) => vec![("at", e)],
        (Err(errs), at_error) => {
            let mut errs = errs.clone();
            if let Some(e) = at_error {
                errs.push(("at", e));
            }
            errs
        }
    };
    if !errors.is_empty() {
        // Read-only users get 403 whatever they sent.
        let d = svc::incident_services(&ctx, &s.p, id).await?;
        if d.writable.is_empty() {
            return Err(ApiError::Forbidden(
                "recording service status needs the analyst or admin role in that council",
            )
            .into());
        }
        let form = FormState {
            values: vec![("tenant", f.tenant), ("service", f.service), ("status", f.status), ("at", f.at)],
            errors,
        };
        return services_page(&ctx, s, id, form, String::new(), StatusCode::BAD_REQUEST).await;
    }
    let change = checked.map_err(|e| ApiError::BadRequest(svc::field_errors_message(&e)))?;
    let saved = svc::set_service_status(&ctx, &s.p, id, change).await?;
    Ok(see_other(&format!("/console/incidents/{id}/services?{}", query_string(&[("saved", &saved.service)]))))
}

// ---------------------------------------------------------------------------------------------
// Notification settings

#[derive(Template)]
#[template(path = "status_settings.html")]
struct SettingsPage {
    chrome: Chrome,
    form: FormState,
    s: NotificationSettings,
    saved: bool,
}

pub(crate) async fn settings(State(ctx): State<Ctx>, mut s: Session, Query(q): Query<SavedQuery>) -> PageResult {
    s.chrome.nav = "settings";
    let current = svc::notification_settings(&ctx, &s.p).await?;
    let form = FormState {
        values: vec![
            ("email", current.email.clone().unwrap_or_default()),
            ("webhook_url", current.webhook_url.clone().unwrap_or_default()),
        ],
        errors: Vec::new(),
    };
    let page = SettingsPage { chrome: s.chrome, form, s: current, saved: q.saved == "1" };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(crate) struct SettingsForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    webhook_url: String,
    serious_alerts: Option<String>,
    incident_assigned: Option<String>,
    tasks_due: Option<String>,
    ico_deadlines: Option<String>,
}

pub(crate) async fn settings_submit(
    State(ctx): State<Ctx>,
    mut s: Session,
    headers: HeaderMap,
    Form(f): Form<SettingsForm>,
) -> PageResult {
    s.check_csrf(&headers, f.csrf.as_deref())?;
    let wanted = NotificationSettings {
        email: Some(f.email.clone()),
        webhook_url: Some(f.webhook_url.clone()),
        serious_alerts: f.serious_alerts.is_some(),
        incident_assigned: f.incident_assigned.is_some(),
        tasks_due: f.tasks_due.is_some(),
        ico_deadlines: f.ico_deadlines.is_some(),
    };
    match svc::check_settings(wanted.clone()) {
        Ok(checked) => {
            svc::set_notification_settings(&ctx, &s.p, checked).await?;
            Ok(see_other("/console/settings?saved=1"))
        }
        Err(errors) => {
            s.chrome.nav = "settings";
            let form = FormState { values: vec![("email", f.email), ("webhook_url", f.webhook_url)], errors };
            let page = SettingsPage { chrome: s.chrome, form, s: wanted, saved: false };
            render(StatusCode::BAD_REQUEST, &page)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The public status page

#[derive(Template)]
#[template(path = "status_public.html")]
struct PublicPage {
    /// None: no council has this address (or, with `unavailable`, the store failed).
    v: Option<PublicStatusView>,
    json_path: String,
    unavailable: bool,
}

impl PublicPage {
    /// An instant for residents: `14 Mar 2026 09:30 GMT`.
    fn t(&self, ts: impl Borrow<chrono::DateTime<Utc>>) -> String {
        ww_core::time::format_london_minutes(ts.borrow())
    }
    fn iso(&self, ts: impl Borrow<chrono::DateTime<Utc>>) -> String {
        ww_core::time::format_utc(ts.borrow())
    }
    /// Whether the service was affected before its current status began (e.g. down, then
    /// partly back).
    fn earlier_start(&self, s: &PublicServiceView) -> bool {
        s.affected_since < s.status_since
    }
}

fn public_response(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut r = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(PUBLIC_CACHE));
    r
}

fn public_page(status: StatusCode, page: &PublicPage) -> Response {
    match page.render() {
        Ok(body) => public_response(status, "text/html; charset=utf-8", body),
        Err(e) => {
            tracing::error!(error = %e, "rendering the public status page failed");
            let mut r =
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong. Please try again later.").into_response();
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
    }
}

/// `GET /status/{slug}` (HTML) and `GET /status/{slug}.json`: a council's services that are
/// affected now and those restored in the last seven days. No login and no session lookup:
/// service names, statuses and times only.
pub(crate) async fn public_status(State(ctx): State<Ctx>, Path(slug): Path<String>) -> Response {
    let (slug, json) = match slug.strip_suffix(".json") {
        Some(s) => (s.to_owned(), true),
        None => (slug, false),
    };
    let result = svc::public_status(&ctx, &slug, Utc::now()).await;
    if json {
        let (status, body) = match result {
            Ok(v) => (StatusCode::OK, serde_json::to_string(&v)),
            Err(e) => (e.status(), serde_json::to_string(&crate::error::ErrorBody { error: e.to_string() })),
        };
        return match body {
            Ok(b) => public_response(status, "application/json", b),
            Err(_) => ApiError::Internal.into_response(),
        };
    }
    match result {
        Ok(v) => {
            let page = PublicPage { json_path: format!("/status/{slug}.json"), v: Some(v), unavailable: false };
            public_page(StatusCode::OK, &page)
        }
        Err(ApiError::NotFound) => {
            public_page(StatusCode::NOT_FOUND, &PublicPage { v: None, json_path: String::new(), unavailable: false })
        }
        Err(e) => {
            let page = PublicPage { v: None, json_path: String::new(), unavailable: true };
            let mut r = public_page(e.status(), &page);
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
    }
}
