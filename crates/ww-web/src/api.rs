//! The JSON API under `/api/v1` (apart from ingest) and `/metrics`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use ww_store::{AlertQuery, AlertState, EventQuery, FieldFilter};

use crate::auth::{MaybePrincipal, Peer, Principal, Reader, SESSION_COOKIE, csrf_ok, session_secret};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::service;
use crate::views::*;
use crate::{Ctx, HealthView, ReloadReport, SourceStatusView};

/// Query strings are lists of pairs so parameters may repeat (`tenant=a&tenant=b`).
type Pairs = Query<Vec<(String, String)>>;

/// The `Set-Cookie` value starting a session (HttpOnly, SameSite=Strict, Secure behind TLS).
pub(crate) fn session_cookie(ctx: &Ctx, secret: &str) -> ApiResult<HeaderValue> {
    let secure = if ctx.app.config.tls { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        ctx.app.config.session_ttl.as_secs()
    );
    HeaderValue::from_str(&cookie).map_err(|_| ApiError::Internal)
}

/// The `Set-Cookie` value that clears the session cookie.
pub(crate) fn clear_session_cookie(ctx: &Ctx) -> ApiResult<HeaderValue> {
    let secure = if ctx.app.config.tls { "; Secure" } else { "" };
    let clear = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}");
    HeaderValue::from_str(&clear).map_err(|_| ApiError::Internal)
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
    let (user, secret) = service::login(&ctx, &req.username, &req.password).await?;
    let cookie = session_cookie(&ctx, &secret)?;
    let slugs = service::slugs(&ctx).await?;
    let view = service::me_view(&Principal::User(user), &slugs);
    Ok(([(header::SET_COOKIE, cookie)], Json(view)).into_response())
}

#[utoipa::path(post, path = "/api/v1/logout", tag = "auth",
    responses((status = 204, description = "Session ended; the cookie is cleared"),
              (status = 401, description = "Not logged in", body = ErrorBody)))]
pub(crate) async fn logout(State(ctx): State<Ctx>, Reader(p): Reader, headers: HeaderMap) -> ApiResult<Response> {
    if let Principal::User(_) = p
        && let Some(secret) = session_secret(&headers)
    {
        service::logout(&ctx, &secret).await?;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear_session_cookie(&ctx)?)]).into_response())
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn me(State(ctx): State<Ctx>, Reader(p): Reader) -> ApiResult<Json<MeView>> {
    let slugs = service::slugs(&ctx).await?;
    Ok(Json(service::me_view(&p, &slugs)))
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
                q.fields.push(FieldFilter { field: field.into(), pattern: pattern.into() });
            }
            "q" => q.text = Some(v.clone()),
            "limit" => q.limit = limit_param(v)?,
            "cursor" => q.cursor = Some(v.clone()),
            other => return Err(unknown(other)),
        }
    }
    let (scope, slugs) = service::scope_of(&ctx, &p, &tenants).await?;
    Ok(Json(service::search_events(&ctx, &scope, &slugs, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", params(("id" = i64, Path)),
    responses((status = 200, body = EventView), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn get_event(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
) -> ApiResult<Json<EventView>> {
    Ok(Json(service::get_event(&ctx, &p, id).await?))
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
            "rule" => q.rule_id = Some(v.clone()),
            "entity" => q.entity = Some(v.clone()),
            "from" => q.from = Some(time_param("from", v)?),
            "to" => q.to = Some(time_param("to", v)?),
            "limit" => q.limit = limit_param(v)?,
            "cursor" => q.cursor = Some(v.clone()),
            other => return Err(unknown(other)),
        }
    }
    let (scope, slugs) = service::scope_of(&ctx, &p, &tenants).await?;
    Ok(Json(service::list_alerts(&ctx, &scope, &slugs, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "alerts", params(("id" = i64, Path)),
    responses((status = 200, body = AlertDetailView), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn get_alert(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
) -> ApiResult<Json<AlertDetailView>> {
    Ok(Json(service::get_alert(&ctx, &p, id).await?))
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
    let change = service::StateChange::parse(&req.to, req.reason.as_deref(), req.note)?;
    Ok(Json(service::set_alert_state(&ctx, &p, id, change).await?))
}

#[utoipa::path(get, path = "/api/v1/rules", tag = "rules",
    responses((status = 200, body = Vec<RuleView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn list_rules(State(ctx): State<Ctx>, Reader(p): Reader) -> ApiResult<Json<Vec<RuleView>>> {
    let slugs = service::slugs(&ctx).await?;
    Ok(Json(service::list_rules(&ctx, &p.scope(&slugs), &slugs).await?))
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
    Ok(Json(service::set_rule_enabled(&ctx, &p, &id, &slug, enabled).await?))
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
    Ok(Json(service::reload_rules(&ctx, &p).await?))
}

#[utoipa::path(get, path = "/api/v1/sources", tag = "system",
    responses((status = 200, body = Vec<SourceStatusView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn list_sources(State(ctx): State<Ctx>, Reader(p): Reader) -> ApiResult<Json<Vec<SourceStatusView>>> {
    Ok(Json(service::list_sources(&ctx, &p).await?))
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
    Ok(Json(service::audit_log(&ctx, &p, &tenants, limit, before).await?))
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
