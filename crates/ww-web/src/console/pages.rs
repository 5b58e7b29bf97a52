//! Console pages: one askama template per page, handlers that parse the form or query, call
//! [`crate::service`] and render.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Response};
use chrono::{NaiveDateTime, Utc};
use serde::Deserialize;
use ww_store::{AlertQuery, AlertState, EventQuery, FieldFilter};

use super::*;
use crate::auth::generate_secret;
use crate::service::{self, Dashboard, WindowSummary};
use crate::views::{AlertDetailView, AlertView, AuditView, EventView, RuleView};

fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

pub(crate) fn render<T: Template>(status: StatusCode, t: &T) -> PageResult {
    match t.render() {
        Ok(body) => Ok(html(status, body)),
        Err(e) => {
            tracing::error!(error = %e, "rendering a console page failed");
            Err(PageError::from(ApiError::Internal))
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    status: u16,
    title: &'a str,
    message: &'a str,
}

pub(crate) fn error_page(status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let page = ErrorPage { chrome: Chrome::default(), status: status.as_u16(), title, message };
    match page.render() {
        Ok(body) => html(status, body),
        Err(_) => (status, message.to_owned()).into_response(),
    }
}

fn cookie(name: &str, value: &str, max_age: Option<u64>, ctx: &Ctx) -> HeaderValue {
    let secure = if ctx.app.config.tls { "; Secure" } else { "" };
    let age = max_age.map(|a| format!("; Max-Age={a}")).unwrap_or_default();
    HeaderValue::from_str(&format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/{age}{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("ww_invalid=; Max-Age=0"))
}

// ---------------------------------------------------------------------------------------------
// Login and logout

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    username: String,
    error: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

pub(crate) async fn login_form(State(ctx): State<Ctx>, headers: HeaderMap, Query(q): Query<NextQuery>) -> PageResult {
    let next = safe_next(q.next.as_deref());
    if let Some(s) = session_secret(&headers)
        && session_user(&ctx, &s).await?.is_some()
    {
        return Ok(see_other(&next));
    }
    login_page(&ctx, StatusCode::OK, next, String::new(), String::new())
}

/// The login form with a fresh pre-session secret: the cookie holds it, the form its token.
fn login_page(ctx: &Ctx, status: StatusCode, next: String, username: String, error: String) -> PageResult {
    let secret = generate_secret();
    let chrome = Chrome { csrf: csrf_token(&secret), nav: "login", ..Chrome::default() };
    let mut r = render(status, &LoginPage { chrome, next, username, error })?;
    r.headers_mut().append(header::SET_COOKIE, cookie(LOGIN_COOKIE, &secret, Some(3600), ctx));
    Ok(r)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

pub(crate) async fn login_submit(State(ctx): State<Ctx>, headers: HeaderMap, Form(f): Form<LoginForm>) -> PageResult {
    if cross_origin(&headers) {
        return Err(PageError::new(StatusCode::FORBIDDEN, "Cross-site request refused."));
    }
    let next = safe_next(f.next.as_deref());
    let expected = cookie_value(&headers, LOGIN_COOKIE).map(|s| csrf_token(&s));
    let token_ok = match (expected, f.csrf.as_deref()) {
        (Some(e), Some(p)) => csrf_matches(&e, p),
        _ => false,
    };
    if !token_ok {
        let msg = "The login form expired. Please try again.".to_owned();
        return login_page(&ctx, StatusCode::FORBIDDEN, next, f.username, msg);
    }
    match service::login(&ctx, &f.username, &f.password).await {
        Ok((_, secret)) => {
            let session = crate::api::session_cookie(&ctx, &secret)?;
            let mut r = see_other(&next);
            r.headers_mut().append(header::SET_COOKIE, session);
            r.headers_mut().append(header::SET_COOKIE, cookie(LOGIN_COOKIE, "", Some(0), &ctx));
            Ok(r)
        }
        Err(ApiError::BadLogin) => {
            let msg = "The username or password is not right.".to_owned();
            login_page(&ctx, StatusCode::UNAUTHORIZED, next, f.username, msg)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

pub(crate) async fn logout(
    State(ctx): State<Ctx>,
    s: Session,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    s.check_csrf(&headers, f.csrf.as_deref())?;
    service::logout(&ctx, &s.secret).await?;
    let clear = crate::api::clear_session_cookie(&ctx)?;
    Ok((AppendHeaders([(header::SET_COOKIE, clear)]), see_other("/console/login")).into_response())
}

#[derive(Deserialize)]
pub(crate) struct TenantForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    tenant: String,
    next: Option<String>,
}

/// The tenant switcher: a slug outside the user's scope is 404 (it does not exist for them).
pub(crate) async fn switch_tenant(
    State(ctx): State<Ctx>,
    s: Session,
    headers: HeaderMap,
    Form(f): Form<TenantForm>,
) -> PageResult {
    s.check_csrf(&headers, f.csrf.as_deref())?;
    let value = if f.tenant.is_empty() {
        cookie(TENANT_COOKIE, "", Some(0), &ctx)
    } else {
        service::tenant_in_scope(&f.tenant, &s.slugs, &s.full_scope())?;
        cookie(TENANT_COOKIE, &f.tenant, None, &ctx)
    };
    Ok((AppendHeaders([(header::SET_COOKIE, value)]), see_other(&safe_next(f.next.as_deref()))).into_response())
}

// ---------------------------------------------------------------------------------------------
// Dashboard

struct WindowCard {
    title: &'static str,
    id: &'static str,
    since: String,
    s: WindowSummary,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    windows: Vec<WindowCard>,
    recent: Vec<AlertView>,
    serious_score: u8,
}

pub(crate) async fn dashboard(State(ctx): State<Ctx>, mut s: Session) -> PageResult {
    s.chrome.nav = "dashboard";
    let now = Utc::now();
    let Dashboard { today, week, recent_serious } = service::dashboard(&ctx, &s.scope, &s.slugs, now).await?;
    let windows = vec![
        WindowCard { title: "Today", id: "today", since: s.chrome.t(ww_core::time::london_day_start(&now)), s: today },
        WindowCard {
            title: "This week",
            id: "week",
            since: s.chrome.t(ww_core::time::london_week_start(&now)),
            s: week,
        },
    ];
    let page =
        DashboardPage { chrome: s.chrome, windows, recent: recent_serious, serious_score: service::SERIOUS_SCORE };
    render(StatusCode::OK, &page)
}

// ---------------------------------------------------------------------------------------------
// Alerts

#[derive(Deserialize, Default)]
pub(crate) struct AlertFilter {
    #[serde(default)]
    state: String,
    #[serde(default)]
    min_score: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    cursor: String,
}

impl AlertFilter {
    fn query(&self) -> Result<AlertQuery, PageError> {
        let mut q = AlertQuery { limit: 50, ..AlertQuery::default() };
        match self.state.as_str() {
            "" | "open" => {}
            "all" => {
                q.states = vec![AlertState::New, AlertState::Acknowledged, AlertState::Escalated, AlertState::Closed]
            }
            other => q.states = vec![AlertState::parse(other).ok_or_else(|| bad("Unknown alert state."))?],
        }
        if !self.min_score.is_empty() {
            match self.min_score.parse::<u8>() {
                Ok(n) if n <= 100 => q.min_score = Some(n),
                _ => return Err(bad("Minimum score must be a whole number from 0 to 100.")),
            }
        }
        q.rule_id = Some(self.rule.trim().to_owned()).filter(|s| !s.is_empty());
        q.entity = Some(self.entity.trim().to_owned()).filter(|s| !s.is_empty());
        q.cursor = Some(self.cursor.clone()).filter(|s| !s.is_empty());
        Ok(q)
    }

    fn link(&self, cursor: &str) -> String {
        let qs = query_string(&[
            ("state", &self.state),
            ("min_score", &self.min_score),
            ("rule", &self.rule),
            ("entity", &self.entity),
            ("cursor", cursor),
        ]);
        if qs.is_empty() { "/console/alerts".into() } else { format!("/console/alerts?{qs}") }
    }
}

fn bad(msg: &str) -> PageError {
    PageError::new(StatusCode::BAD_REQUEST, msg)
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    chrome: Chrome,
    items: Vec<AlertView>,
    f: AlertFilter,
    next_page: String,
    first_page: String,
    serious_score: u8,
}

pub(crate) async fn alerts(State(ctx): State<Ctx>, mut s: Session, Query(f): Query<AlertFilter>) -> PageResult {
    s.chrome.nav = "alerts";
    let q = f.query()?;
    let page = service::list_alerts(&ctx, &s.scope, &s.slugs, &q).await?;
    let next_page = page.next_cursor.as_deref().map(|c| f.link(c)).unwrap_or_default();
    let first_page = if f.cursor.is_empty() { String::new() } else { f.link("") };
    let page = AlertsPage {
        chrome: s.chrome,
        items: page.items,
        f,
        next_page,
        first_page,
        serious_score: service::SERIOUS_SCORE,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "alert.html")]
struct AlertPage {
    chrome: Chrome,
    d: AlertDetailView,
    serious_score: u8,
}

pub(crate) async fn alert(State(ctx): State<Ctx>, mut s: Session, Path(id): Path<i64>) -> PageResult {
    s.chrome.nav = "alerts";
    // Alerts of every tenant the user may see open by link, whatever the switcher says.
    let d = service::get_alert(&ctx, &s.p, id).await?;
    render(StatusCode::OK, &AlertPage { chrome: s.chrome, d, serious_score: service::SERIOUS_SCORE })
}

/// One queue row on its own, for htmx to swap after an action.
#[derive(Template)]
#[template(path = "alert_row.html")]
struct AlertRow {
    chrome: Chrome,
    a: AlertView,
    serious_score: u8,
}

#[derive(Deserialize)]
pub(crate) struct StateForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    to: String,
    reason: Option<String>,
    note: Option<String>,
    next: Option<String>,
}

pub(crate) async fn alert_state(
    State(ctx): State<Ctx>,
    s: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<StateForm>,
) -> PageResult {
    s.check_csrf(&headers, f.csrf.as_deref())?;
    let change = service::StateChange::parse(&f.to, f.reason.as_deref(), f.note)?;
    let alert = service::set_alert_state(&ctx, &s.p, id, change).await?;
    let target = headers.get("hx-target").and_then(|v| v.to_str().ok());
    if headers.contains_key("hx-request") && target == Some(format!("alert-{id}").as_str()) {
        let mut chrome = s.chrome;
        chrome.here = safe_next(f.next.as_deref());
        return render(StatusCode::OK, &AlertRow { chrome, a: alert, serious_score: service::SERIOUS_SCORE });
    }
    let fallback = format!("/console/alerts/{id}");
    Ok(see_other(&f.next.as_deref().map_or(fallback, |n| safe_next(Some(n)))))
}

// ---------------------------------------------------------------------------------------------
// Events

#[derive(Deserialize, Default)]
pub(crate) struct EventFilter {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    source: String,
    /// `field=value` per line (`*` and `?` wildcards).
    #[serde(default)]
    fields: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    cursor: String,
}

pub(crate) fn local_time(name: &str, v: &str) -> Result<Option<chrono::DateTime<Utc>>, PageError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let parsed = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| bad(&format!("{name}: expected a date and time such as 2026-11-21T09:30")))?;
    Ok(Some(ww_core::time::london_to_utc(parsed)))
}

impl EventFilter {
    fn query(&self) -> Result<EventQuery, PageError> {
        let mut q = EventQuery { limit: 50, ..EventQuery::default() };
        q.from = local_time("From", &self.from)?;
        q.to = local_time("To", &self.to)?;
        q.sources = self.source.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        for line in self.fields.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (field, pattern) =
                line.split_once('=').ok_or_else(|| bad("Field filters: write one field=value per line."))?;
            q.fields.push(FieldFilter { field: field.trim().into(), pattern: pattern.trim().into() });
        }
        q.text = Some(self.q.trim().to_owned()).filter(|s| !s.is_empty());
        q.cursor = Some(self.cursor.clone()).filter(|s| !s.is_empty());
        Ok(q)
    }

    fn link(&self, cursor: &str) -> String {
        let qs = query_string(&[
            ("from", &self.from),
            ("to", &self.to),
            ("source", &self.source),
            ("fields", &self.fields),
            ("q", &self.q),
            ("cursor", cursor),
        ]);
        if qs.is_empty() { "/console/events".into() } else { format!("/console/events?{qs}") }
    }
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage {
    chrome: Chrome,
    items: Vec<EventView>,
    f: EventFilter,
    next_page: String,
    first_page: String,
}

pub(crate) async fn events(State(ctx): State<Ctx>, mut s: Session, Query(f): Query<EventFilter>) -> PageResult {
    s.chrome.nav = "events";
    let q = f.query()?;
    let page = service::search_events(&ctx, &s.scope, &s.slugs, &q).await?;
    let next_page = page.next_cursor.as_deref().map(|c| f.link(c)).unwrap_or_default();
    let first_page = if f.cursor.is_empty() { String::new() } else { f.link("") };
    render(StatusCode::OK, &EventsPage { chrome: s.chrome, items: page.items, f, next_page, first_page })
}

// ---------------------------------------------------------------------------------------------
// Rules

#[derive(Deserialize, Default)]
pub(crate) struct RuleFilter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    level: String,
}

const MAX_RULES_SHOWN: usize = 300;

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage {
    chrome: Chrome,
    rows: Vec<RuleView>,
    f: RuleFilter,
    matching: usize,
    total: usize,
    tenants: Vec<String>,
    levels: [&'static str; 5],
}

pub(crate) async fn rules(State(ctx): State<Ctx>, mut s: Session, Query(f): Query<RuleFilter>) -> PageResult {
    s.chrome.nav = "rules";
    let all = service::list_rules(&ctx, &s.scope, &s.slugs).await?;
    let total = all.len();
    let needle = f.q.trim().to_lowercase();
    let mut rows: Vec<RuleView> = all
        .into_iter()
        .filter(|r| f.level.is_empty() || r.rule.level.eq_ignore_ascii_case(&f.level))
        .filter(|r| {
            needle.is_empty()
                || r.rule.title.to_lowercase().contains(&needle)
                || r.rule.id.to_lowercase().contains(&needle)
                || r.rule.tags.iter().any(|t| t.to_lowercase().contains(&needle))
        })
        .collect();
    rows.sort_by(|a, b| {
        level_rank(&a.rule.level).cmp(&level_rank(&b.rule.level)).then(a.rule.title.cmp(&b.rule.title))
    });
    let matching = rows.len();
    rows.truncate(MAX_RULES_SHOWN);
    let tenants = s.scope.tenants().iter().map(|t| s.slugs.of(*t)).collect();
    render(StatusCode::OK, &RulesPage { chrome: s.chrome, rows, f, matching, total, tenants, levels: service::LEVELS })
}

fn level_rank(level: &str) -> usize {
    service::LEVELS.iter().position(|l| l.eq_ignore_ascii_case(level)).unwrap_or(service::LEVELS.len())
}

#[derive(Deserialize)]
pub(crate) struct RuleToggleForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    enabled: String,
    next: Option<String>,
}

pub(crate) async fn rule_toggle(
    State(ctx): State<Ctx>,
    s: Session,
    headers: HeaderMap,
    Form(f): Form<RuleToggleForm>,
) -> PageResult {
    s.check_csrf(&headers, f.csrf.as_deref())?;
    let enabled = match f.enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(bad("enabled: expected true or false")),
    };
    service::set_rule_enabled(&ctx, &s.p, &f.rule, &f.tenant, enabled).await?;
    let fallback = "/console/rules".to_owned();
    Ok(see_other(&f.next.as_deref().map_or(fallback, |n| safe_next(Some(n)))))
}

// ---------------------------------------------------------------------------------------------
// Audit log

#[derive(Deserialize, Default)]
pub(crate) struct AuditFilter {
    #[serde(default)]
    before: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditLogPage {
    chrome: Chrome,
    items: Vec<AuditView>,
    next_page: String,
    first_page: String,
}

pub(crate) async fn audit(State(ctx): State<Ctx>, mut s: Session, Query(f): Query<AuditFilter>) -> PageResult {
    s.chrome.nav = "audit";
    let before = match f.before.as_str() {
        "" => None,
        b => Some(b.parse::<i64>().map_err(|_| bad("before: expected an entry id"))?),
    };
    let tenants: Vec<String> = if s.chrome.selected.is_empty() { Vec::new() } else { vec![s.chrome.selected.clone()] };
    let page = service::audit_log(&ctx, &s.p, &tenants, 100, before).await?;
    let next_page = page
        .next_cursor
        .as_deref()
        .map(|c| format!("/console/audit?{}", query_string(&[("before", c)])))
        .unwrap_or_default();
    let first_page = if before.is_some() { "/console/audit".to_owned() } else { String::new() };
    render(StatusCode::OK, &AuditLogPage { chrome: s.chrome, items: page.items, next_page, first_page })
}
