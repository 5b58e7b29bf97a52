//! The JSON API under `/api/v1` (apart from ingest) and `/metrics`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use ww_store::{
    AlertQuery, AlertState, AlertStateChange, AuditEntry, CloseReason, EventQuery, FieldFilter, Role, TenantId,
    TenantScope,
};

use crate::auth::{MaybePrincipal, Peer, Principal, Reader, SESSION_COOKIE, csrf_ok, secret_sha256};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::views::*;
use crate::{Ctx, HealthView, ReloadReport, SourceStatusView};

/// Query strings are lists of pairs so parameters may repeat (`tenant=a&tenant=b`).
type Pairs = Query<Vec<(String, String)>>;

const MAX_FILTERS: usize = 32;
const MAX_TEXT: usize = 1024;
const MAX_NOTE: usize = 2000;

pub(crate) async fn slugs(ctx: &Ctx) -> ApiResult<Slugs> {
    let tenants = ctx.app.store.tenants().await?;
    Ok(Slugs(tenants.into_iter().map(|t| (t.id, t.slug)).collect()))
}

/// The tenant with this slug, if the caller may see it (else 404: foreign tenants don't exist).
fn tenant_in_scope(slug: &str, slugs: &Slugs, scope: &TenantScope) -> ApiResult<TenantId> {
    slugs
        .0
        .iter()
        .find(|(id, s)| s.as_str() == slug && scope.contains(**id))
        .map(|(id, _)| *id)
        .ok_or(ApiError::NotFound)
}

/// Narrows the scope to `tenant=` values (repeatable or comma-separated); unknown or foreign
/// slugs drop out, so asking for another tenant yields nothing rather than a hint it exists.
fn narrow(scope: TenantScope, wanted: &[String], slugs: &Slugs) -> TenantScope {
    if wanted.is_empty() {
        return scope;
    }
    let ids: Vec<TenantId> =
        slugs.0.iter().filter(|(_, s)| wanted.iter().any(|w| w == *s)).map(|(id, _)| *id).collect();
    scope.narrow(&ids)
}

fn list_values(out: &mut Vec<String>, v: &str) {
    out.extend(v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned));
}

fn time_param(name: &str, v: &str) -> ApiResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ApiError::BadRequest(format!("{name}: not an RFC 3339 time")))
}

fn limit_param(v: &str) -> ApiResult<u32> {
    match v.parse::<u32>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err(ApiError::BadRequest("limit: must be 1..=1000".into())),
    }
}

fn unknown(k: &str) -> ApiError {
    let k: String = k.chars().take(40).collect();
    ApiError::BadRequest(format!("unknown query parameter {k:?}"))
}

#[utoipa::path(get, path = "/api/v1/health", tag = "system",
    responses((status = 200, description = "Healthy. Anonymous callers get only `status`; authenticated ones the full view.", body = HealthResponse),
              (status = 503, description = "Not healthy", body = HealthResponse)))]
pub(crate) async fn health(State(ctx): State<Ctx>, MaybePrincipal(p): MaybePrincipal) -> Response {
    let h: HealthView = ctx.app.control.health();
    let code = if h.status == "ok" { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = match p {
        Some(p) if !p.is_ingest() => HealthResponse::Full(h),
        _ => HealthResponse::Liveness(Liveness { status: h.status }),
    };
    (code, Json(body)).into_response()
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system",
    responses((status = 200, description = "This document", content_type = "application/json")))]
pub(crate) async fn openapi_json() -> Response {
    match crate::openapi().to_json() {
        Ok(s) => ([(header::CONTENT_TYPE, "application/json")], s).into_response(),
        Err(_) => ApiError::Internal.into_response(),
    }
}

fn me_view(p: &Principal, slugs: &Slugs) -> MeView {
    match p {
        Principal::User(u) => MeView {
            kind: "user".into(),
            username: Some(u.username.clone()),
            service_role: u.service_role.map(|r| r.as_str().into()),
            memberships: u
                .memberships
                .iter()
                .map(|(t, r)| MembershipView { tenant: slugs.of(*t), role: r.as_str().into() })
                .collect(),
            token: None,
        },
        Principal::Token(t) => MeView {
            kind: "token".into(),
            username: None,
            service_role: None,
            memberships: Vec::new(),
            token: Some(TokenView {
                id: t.id,
                name: t.name.clone(),
                tenant: slugs.of(t.tenant),
                purpose: t.purpose.as_str().into(),
                role: t.role.as_str().into(),
            }),
        },
    }
}

async fn audit(ctx: &Ctx, entry: AuditEntry) {
    // The change itself has happened; a failed audit write is logged loudly rather than
    // reported as a failed change.
    if let Err(e) = ctx.app.store.audit(&entry).await {
        tracing::error!(error = %e, action = %entry.action, "audit write failed");
    }
}

#[utoipa::path(post, path = "/api/v1/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "Logged in; sets the `ww_session` cookie", body = MeView),
              (status = 401, description = "Wrong username or password", body = ErrorBody),
              (status = 403, description = "Missing `X-Requested-With: wardwatch` and not same-origin", body = ErrorBody)))]
pub(crate) async fn login(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Response> {
    // Login CSRF: a cross-site form must not be able to log the victim into our account.
    if !csrf_ok(&headers) {
        return Err(ApiError::Forbidden("cross-site request refused: send X-Requested-With: wardwatch"));
    }
    if req.username.len() > 256 || req.password.len() > 1024 {
        return Err(ApiError::BadLogin);
    }
    let store = &ctx.app.store;
    let record = match store.user_by_name(&req.username).await {
        Ok(r) => Some(r),
        Err(ww_store::StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    // Unknown users still cost one argon2 verification, so timing does not reveal who exists.
    let hash = record.as_ref().map_or_else(|| ctx.dummy_hash.clone(), |r| r.password_hash.clone());
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || crate::verify_password(&password, &hash))
        .await
        .map_err(|_| ApiError::Internal)?;
    let user = match (record, ok) {
        (Some(r), true) => r.user,
        _ => {
            ctx.m.login_failures.inc();
            let detail = serde_json::json!({ "username": req.username });
            let at = Utc::now();
            let entry = AuditEntry {
                at,
                actor: ww_store::Actor::system(),
                tenant: None,
                action: "login.failed".into(),
                target: "login".into(),
                detail,
            };
            audit(&ctx, entry).await;
            return Err(ApiError::BadLogin);
        }
    };
    let secret = crate::generate_secret();
    let ttl = chrono::Duration::from_std(ctx.app.config.session_ttl).map_err(|_| ApiError::Internal)?;
    store.create_session(user.id, &secret_sha256(&secret), Utc::now() + ttl).await?;
    let entry = AuditEntry {
        at: Utc::now(),
        actor: ww_store::Actor::user(&user.username),
        tenant: None,
        action: "login".into(),
        target: format!("user:{}", user.id),
        detail: serde_json::json!({}),
    };
    audit(&ctx, entry).await;
    let secure = if ctx.app.config.tls { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        ctx.app.config.session_ttl.as_secs()
    );
    let cookie = HeaderValue::from_str(&cookie).map_err(|_| ApiError::Internal)?;
    let slugs = slugs(&ctx).await?;
    let view = me_view(&Principal::User(user), &slugs);
    Ok(([(header::SET_COOKIE, cookie)], Json(view)).into_response())
}

#[utoipa::path(post, path = "/api/v1/logout", tag = "auth",
    responses((status = 204, description = "Session ended; the cookie is cleared"),
              (status = 401, description = "Not logged in", body = ErrorBody)))]
pub(crate) async fn logout(State(ctx): State<Ctx>, Reader(p): Reader, headers: HeaderMap) -> ApiResult<Response> {
    if let Principal::User(_) = p {
        for v in headers.get_all(header::COOKIE) {
            let Ok(v) = v.to_str() else { continue };
            for part in v.split(';') {
                if let Some((k, val)) = part.trim().split_once('=')
                    && k == SESSION_COOKIE
                {
                    ctx.app.store.delete_session(&secret_sha256(val)).await?;
                }
            }
        }
    }
    let secure = if ctx.app.config.tls { "; Secure" } else { "" };
    let clear = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}");
    let clear = HeaderValue::from_str(&clear).map_err(|_| ApiError::Internal)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn me(State(ctx): State<Ctx>, Reader(p): Reader) -> ApiResult<Json<MeView>> {
    let slugs = slugs(&ctx).await?;
    Ok(Json(me_view(&p, &slugs)))
}

#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(
        ("tenant" = Option<Vec<String>>, Query, description = "Tenant slug(s); repeatable or comma-separated. Default: every tenant you can see."),
        ("from" = Option<String>, Query, description = "RFC 3339, inclusive"),
        ("to" = Option<String>, Query, description = "RFC 3339, exclusive"),
        ("source" = Option<Vec<String>>, Query, description = "Source name(s); repeatable or comma-separated"),
        ("f" = Option<Vec<String>>, Query, description = "`field:pattern`, repeatable; `*` and `?` wildcards, case-insensitive"),
        ("q" = Option<String>, Query, description = "Full text over the raw line: every term must occur"),
        ("limit" = Option<u32>, Query, description = "1..=1000, default 100"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses((status = 200, body = EventPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn list_events(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Query(pairs): Pairs,
) -> ApiResult<Json<EventPage>> {
    let mut q = EventQuery::default();
    let mut tenants = Vec::new();
    for (k, v) in &pairs {
        match k.as_str() {
            "tenant" => list_values(&mut tenants, v),
            "from" => q.from = Some(time_param("from", v)?),
            "to" => q.to = Some(time_param("to", v)?),
            "source" => list_values(&mut q.sources, v),
            "f" => {
                let (field, pattern) =
                    v.split_once(':').ok_or_else(|| ApiError::BadRequest("f: expected field:pattern".into()))?;
                if field.is_empty() || field.len() > 256 || pattern.len() > MAX_TEXT {
                    return Err(ApiError::BadRequest("f: field name or pattern empty or too long".into()));
                }
                q.fields.push(FieldFilter { field: field.into(), pattern: pattern.into() });
            }
            "q" if v.len() <= MAX_TEXT => q.text = Some(v.clone()),
            "q" => return Err(ApiError::BadRequest(format!("q: longer than {MAX_TEXT} bytes"))),
            "limit" => q.limit = limit_param(v)?,
            "cursor" => q.cursor = Some(v.clone()),
            other => return Err(unknown(other)),
        }
    }
    if q.fields.len() > MAX_FILTERS {
        return Err(ApiError::BadRequest(format!("at most {MAX_FILTERS} field filters")));
    }
    let slugs = slugs(&ctx).await?;
    let scope = narrow(p.scope(&slugs), &tenants, &slugs);
    if scope.tenants().is_empty() {
        return Ok(Json(EventPage { items: Vec::new(), next_cursor: None }));
    }
    let page = ctx.app.store.search_events(&scope, &q).await?;
    Ok(Json(EventPage {
        items: page.items.into_iter().map(|e| EventView::new(e, &slugs)).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", params(("id" = i64, Path)),
    responses((status = 200, body = EventView), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn get_event(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
) -> ApiResult<Json<EventView>> {
    let slugs = slugs(&ctx).await?;
    let e = ctx.app.store.get_event(&p.scope(&slugs), id).await?;
    Ok(Json(EventView::new(e, &slugs)))
}

#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts",
    params(
        ("tenant" = Option<Vec<String>>, Query, description = "Tenant slug(s); repeatable or comma-separated"),
        ("state" = Option<Vec<String>>, Query, description = "new, acknowledged, escalated, closed; default: the open ones"),
        ("min_score" = Option<u8>, Query, description = "0..=100"),
        ("rule" = Option<String>, Query, description = "Rule id"),
        ("entity" = Option<String>, Query, description = "Entity value (IP, user or host)"),
        ("from" = Option<String>, Query, description = "RFC 3339: last seen at or after"),
        ("to" = Option<String>, Query, description = "RFC 3339: last seen before"),
        ("limit" = Option<u32>, Query, description = "1..=1000, default 100"),
        ("cursor" = Option<String>, Query),
    ),
    responses((status = 200, body = AlertPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn list_alerts(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Query(pairs): Pairs,
) -> ApiResult<Json<AlertPage>> {
    let mut q = AlertQuery::default();
    let mut tenants = Vec::new();
    for (k, v) in &pairs {
        match k.as_str() {
            "tenant" => list_values(&mut tenants, v),
            "state" => {
                let mut names = Vec::new();
                list_values(&mut names, v);
                for n in names {
                    let s = AlertState::parse(&n).ok_or_else(|| {
                        ApiError::BadRequest("state: expected new, acknowledged, escalated or closed".into())
                    })?;
                    q.states.push(s);
                }
            }
            "min_score" => match v.parse::<u8>() {
                Ok(n) if n <= 100 => q.min_score = Some(n),
                _ => return Err(ApiError::BadRequest("min_score: must be 0..=100".into())),
            },
            "rule" if v.len() <= 256 => q.rule_id = Some(v.clone()),
            "entity" if v.len() <= MAX_TEXT => q.entity = Some(v.clone()),
            "rule" | "entity" => return Err(ApiError::BadRequest(format!("{k}: too long"))),
            "from" => q.from = Some(time_param("from", v)?),
            "to" => q.to = Some(time_param("to", v)?),
            "limit" => q.limit = limit_param(v)?,
            "cursor" => q.cursor = Some(v.clone()),
            other => return Err(unknown(other)),
        }
    }
    let slugs = slugs(&ctx).await?;
    let scope = narrow(p.scope(&slugs), &tenants, &slugs);
    if scope.tenants().is_empty() {
        return Ok(Json(AlertPage { items: Vec::new(), next_cursor: None }));
    }
    let page = ctx.app.store.list_alerts(&scope, &q).await?;
    Ok(Json(AlertPage {
        items: page.items.into_iter().map(|a| AlertView::new(a, &slugs)).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "alerts", params(("id" = i64, Path)),
    responses((status = 200, body = AlertDetailView), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn get_alert(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
) -> ApiResult<Json<AlertDetailView>> {
    let slugs = slugs(&ctx).await?;
    let d = ctx.app.store.get_alert(&p.scope(&slugs), id).await?;
    Ok(Json(AlertDetailView::new(d, &slugs)))
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/state", tag = "alerts", params(("id" = i64, Path)),
    request_body = StateChangeRequest,
    responses((status = 200, description = "The alert after the change", body = AlertView),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "Read-only in this tenant, or an ingest token", body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, description = "Transition not allowed from the current state", body = ErrorBody)))]
pub(crate) async fn set_alert_state(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
    Json(req): Json<StateChangeRequest>,
) -> ApiResult<Json<AlertView>> {
    let to = AlertState::parse(&req.to)
        .ok_or_else(|| ApiError::BadRequest("to: expected acknowledged, escalated or closed".into()))?;
    let reason =
        match req.reason.as_deref() {
            None => None,
            Some(r) => Some(CloseReason::parse(r).ok_or_else(|| {
                ApiError::BadRequest("reason: expected true_positive, false_positive or benign".into())
            })?),
        };
    if (to == AlertState::Closed) != reason.is_some() {
        return Err(ApiError::BadRequest("reason: required when closing, and only then".into()));
    }
    if req.note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE) {
        return Err(ApiError::BadRequest(format!("note: longer than {MAX_NOTE} characters")));
    }
    let slugs = slugs(&ctx).await?;
    let scope = p.scope(&slugs);
    let current = ctx.app.store.get_alert(&scope, id).await?.alert;
    if p.role_in(current.tenant).is_none_or(|r| r < Role::Analyst) {
        return Err(ApiError::Forbidden("changing alerts needs the analyst or admin role in the alert's tenant"));
    }
    if !current.state.can_move_to(to) {
        return Err(ApiError::Conflict(format!(
            "cannot move an alert from {} to {}",
            current.state.as_str(),
            to.as_str()
        )));
    }
    let change = AlertStateChange { to, reason, note: req.note, actor: p.actor() };
    let alert = ctx.app.store.set_alert_state(&TenantScope::one(current.tenant), id, &change).await?;
    let entry = AuditEntry {
        at: Utc::now(),
        actor: p.actor(),
        tenant: Some(current.tenant),
        action: "alert.state".into(),
        target: format!("alert:{id}"),
        detail: serde_json::json!({ "from": current.state.as_str(), "to": to.as_str(), "reason": reason.map(|r| r.as_str()) }),
    };
    audit(&ctx, entry).await;
    Ok(Json(AlertView::new(alert, &slugs)))
}

#[utoipa::path(get, path = "/api/v1/rules", tag = "rules",
    responses((status = 200, body = Vec<RuleView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn list_rules(State(ctx): State<Ctx>, Reader(p): Reader) -> ApiResult<Json<Vec<RuleView>>> {
    let slugs = slugs(&ctx).await?;
    let scope = p.scope(&slugs);
    let mut disabled: HashMap<&str, Vec<TenantId>> = HashMap::new();
    let off = ctx.app.store.disabled_rules().await?;
    for (t, r) in &off {
        if scope.contains(*t) {
            disabled.entry(r.as_str()).or_default().push(*t);
        }
    }
    let views = ctx
        .app
        .control
        .rules()
        .into_iter()
        .map(|rule| {
            let off = disabled.get(rule.id.as_str());
            let tenants = scope
                .tenants()
                .iter()
                .map(|t| RuleTenantFlag { tenant: slugs.of(*t), enabled: !off.is_some_and(|o| o.contains(t)) })
                .collect();
            RuleView { rule, tenants }
        })
        .collect();
    Ok(Json(views))
}

async fn toggle_rule(
    ctx: Ctx,
    p: Principal,
    id: String,
    pairs: Vec<(String, String)>,
    enabled: bool,
) -> ApiResult<Json<RuleToggleView>> {
    let mut tenant = None;
    for (k, v) in pairs {
        match k.as_str() {
            "tenant" => tenant = Some(v),
            other => return Err(unknown(other)),
        }
    }
    let slug = tenant.ok_or_else(|| ApiError::BadRequest("tenant: required (the tenant slug)".into()))?;
    let slugs = slugs(&ctx).await?;
    let t = tenant_in_scope(&slug, &slugs, &p.scope(&slugs))?;
    if p.role_in(t) != Some(Role::Admin) {
        return Err(ApiError::Forbidden("enabling or disabling rules needs the admin role in that tenant"));
    }
    if !ctx.app.control.rules().iter().any(|r| r.id == id) {
        return Err(ApiError::NotFound);
    }
    ctx.app.store.set_rule_enabled(t, &id, enabled, &p.actor()).await?;
    let entry = AuditEntry {
        at: Utc::now(),
        actor: p.actor(),
        tenant: Some(t),
        action: if enabled { "rule.enable" } else { "rule.disable" }.into(),
        target: format!("rule:{id}"),
        detail: serde_json::json!({}),
    };
    audit(&ctx, entry).await;
    Ok(Json(RuleToggleView { rule_id: id, tenant: slug, enabled }))
}

#[utoipa::path(post, path = "/api/v1/rules/{id}/enable", tag = "rules",
    params(("id" = String, Path, description = "Rule id"), ("tenant" = String, Query, description = "Tenant slug")),
    responses((status = 200, body = RuleToggleView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "Not an admin of the tenant", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn enable_rule(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<String>,
    Query(q): Pairs,
) -> ApiResult<Json<RuleToggleView>> {
    toggle_rule(ctx, p, id, q, true).await
}

#[utoipa::path(post, path = "/api/v1/rules/{id}/disable", tag = "rules",
    params(("id" = String, Path, description = "Rule id"), ("tenant" = String, Query, description = "Tenant slug")),
    responses((status = 200, body = RuleToggleView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "Not an admin of the tenant", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn disable_rule(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<String>,
    Query(q): Pairs,
) -> ApiResult<Json<RuleToggleView>> {
    toggle_rule(ctx, p, id, q, false).await
}

#[utoipa::path(post, path = "/api/v1/rules/reload", tag = "rules",
    responses((status = 200, body = ReloadReport), (status = 401, body = ErrorBody),
              (status = 403, description = "Service admins only", body = ErrorBody),
              (status = 422, description = "The rules could not be loaded; the old set stays", body = ErrorBody)))]
pub(crate) async fn reload_rules(State(ctx): State<Ctx>, Reader(p): Reader) -> ApiResult<Json<ReloadReport>> {
    if !p.is_service_admin() {
        return Err(ApiError::Forbidden("reloading rules needs the service_admin role"));
    }
    let result = ctx.app.control.reload_rules().await;
    let detail = match &result {
        Ok(r) => serde_json::json!({ "loaded": r.loaded, "skipped": r.skipped }),
        Err(_) => serde_json::json!({ "failed": true }),
    };
    let entry = AuditEntry {
        at: Utc::now(),
        actor: p.actor(),
        tenant: None,
        action: "rule.reload".into(),
        target: "rules".into(),
        detail,
    };
    audit(&ctx, entry).await;
    result.map(Json).map_err(ApiError::Unprocessable)
}

#[utoipa::path(get, path = "/api/v1/sources", tag = "system",
    responses((status = 200, body = Vec<SourceStatusView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn list_sources(State(ctx): State<Ctx>, Reader(p): Reader) -> ApiResult<Json<Vec<SourceStatusView>>> {
    let slugs = slugs(&ctx).await?;
    let scope = p.scope(&slugs);
    let visible: Vec<&String> = scope.tenants().iter().filter_map(|t| slugs.0.get(t)).collect();
    let sources = ctx.app.control.sources().into_iter().filter(|s| visible.contains(&&s.tenant)).collect();
    Ok(Json(sources))
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "system",
    params(("tenant" = Option<Vec<String>>, Query, description = "Tenant slug(s)"),
           ("limit" = Option<u32>, Query, description = "1..=1000, default 100"),
           ("before" = Option<i64>, Query, description = "Entries with a smaller id (the previous page's `next_cursor`)")),
    responses((status = 200, body = AuditPage), (status = 401, body = ErrorBody),
              (status = 403, description = "Admins only", body = ErrorBody)))]
pub(crate) async fn audit_log(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Query(pairs): Pairs,
) -> ApiResult<Json<AuditPage>> {
    let (mut tenants, mut limit, mut before) = (Vec::new(), 100, None);
    for (k, v) in &pairs {
        match k.as_str() {
            "tenant" => list_values(&mut tenants, v),
            "limit" => limit = limit_param(v)?,
            "before" => {
                before =
                    Some(v.parse::<i64>().map_err(|_| ApiError::BadRequest("before: expected an entry id".into()))?)
            }
            other => return Err(unknown(other)),
        }
    }
    let slugs = slugs(&ctx).await?;
    let admin_of: Vec<TenantId> =
        p.scope(&slugs).tenants().iter().copied().filter(|t| p.role_in(*t) == Some(Role::Admin)).collect();
    if admin_of.is_empty() && !p.is_service_admin() {
        return Err(ApiError::Forbidden("the audit log needs the admin role"));
    }
    let scope = narrow(TenantScope::new(admin_of), &tenants, &slugs);
    if scope.tenants().is_empty() {
        return Ok(Json(AuditPage { items: Vec::new(), next_cursor: None }));
    }
    let page = ctx.app.store.audit_log(&scope, limit, before).await?;
    Ok(Json(AuditPage {
        items: page.items.into_iter().map(|r| AuditView::new(r, &slugs)).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/metrics", tag = "system",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain"),
              (status = 401, body = ErrorBody),
              (status = 403, description = "Needs an API token or a service_admin session", body = ErrorBody)))]
pub(crate) async fn metrics(
    State(ctx): State<Ctx>,
    Peer(peer): Peer,
    MaybePrincipal(p): MaybePrincipal,
) -> ApiResult<Response> {
    let allowed = match &p {
        Some(Principal::Token(t)) => t.purpose == ww_store::TokenPurpose::Api,
        Some(p @ Principal::User(_)) => p.is_service_admin(),
        None => false,
    };
    let loopback = ctx.app.config.metrics_public_on_loopback && peer.is_some_and(|a| a.ip().is_loopback());
    if !allowed && !loopback {
        return Err(match p {
            None => ApiError::Unauthorized,
            Some(_) => ApiError::Forbidden("metrics need an API token or a service_admin session"),
        });
    }
    let body = ctx.app.metrics.render();
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response())
}
