//! The service functions both front ends call: the JSON API (`api.rs`) and the console pages
//! (`console/`). Each takes the authenticated caller and typed arguments, does the role check,
//! the store call (always with the caller's [`TenantScope`]) and the audit entry, and returns the
//! API's view types. Parsing requests and rendering answers stay in the front ends.

use std::collections::HashMap;

use chrono::Utc;
use ww_store::{
    Alert, AlertQuery, AlertState, AlertStateChange, AuditEntry, CloseReason, EventQuery, Role, TenantId, TenantScope,
    User,
};

use crate::auth::{Principal, secret_sha256};
use crate::error::{ApiError, ApiResult};
use crate::views::*;
use crate::{Ctx, ReloadReport, SourceStatusView};

pub(crate) const MAX_FILTERS: usize = 32;
pub(crate) const MAX_TEXT: usize = 1024;
pub(crate) const MAX_NOTE: usize = 2000;
/// Alerts scoring at least this are "serious" on the dashboard (a stable high rule scores 70).
pub(crate) const SERIOUS_SCORE: u8 = 60;

pub(crate) async fn slugs(ctx: &Ctx) -> ApiResult<Slugs> {
    let tenants = ctx.app.store.tenants().await?;
    Ok(Slugs(tenants.into_iter().map(|t| (t.id, t.slug)).collect()))
}

/// The tenant with this slug, if the caller may see it (else 404: foreign tenants don't exist).
pub(crate) fn tenant_in_scope(slug: &str, slugs: &Slugs, scope: &TenantScope) -> ApiResult<TenantId> {
    slugs
        .0
        .iter()
        .find(|(id, s)| s.as_str() == slug && scope.contains(**id))
        .map(|(id, _)| *id)
        .ok_or(ApiError::NotFound)
}

/// Narrows the scope to the wanted tenant slugs; unknown or foreign slugs drop out, so asking for
/// another tenant yields nothing rather than a hint it exists. No slugs: the whole scope.
pub(crate) fn narrow(scope: TenantScope, wanted: &[String], slugs: &Slugs) -> TenantScope {
    if wanted.is_empty() {
        return scope;
    }
    let ids: Vec<TenantId> =
        slugs.0.iter().filter(|(_, s)| wanted.iter().any(|w| w == *s)).map(|(id, _)| *id).collect();
    scope.narrow(&ids)
}

/// The scope the caller asked for: their own, narrowed to `tenants` (slugs) when given.
pub(crate) async fn scope_of(ctx: &Ctx, p: &Principal, tenants: &[String]) -> ApiResult<(TenantScope, Slugs)> {
    let slugs = slugs(ctx).await?;
    let scope = narrow(p.scope(&slugs), tenants, &slugs);
    Ok((scope, slugs))
}

pub(crate) async fn audit(ctx: &Ctx, entry: AuditEntry) {
    // The change itself has happened; a failed audit write is logged loudly rather than
    // reported as a failed change.
    if let Err(e) = ctx.app.store.audit(&entry).await {
        tracing::error!(error = %e, action = %entry.action, "audit write failed");
    }
}

pub(crate) fn me_view(p: &Principal, slugs: &Slugs) -> MeView {
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

/// A new session for `username` if `password` is right, with its secret (the cookie value).
/// Unknown users cost one argon2 verification too, so timing does not reveal who exists;
/// failures are counted and audited with the username only.
pub(crate) async fn login(ctx: &Ctx, username: &str, password: &str) -> ApiResult<(User, String)> {
    if username.len() > 256 || password.len() > 1024 {
        return Err(ApiError::BadLogin);
    }
    let store = &ctx.app.store;
    let record = match store.user_by_name(username).await {
        Ok(r) => Some(r),
        Err(ww_store::StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let hash = record.as_ref().map_or_else(|| ctx.dummy_hash.clone(), |r| r.password_hash.clone());
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || crate::verify_password(&password, &hash))
        .await
        .map_err(|_| ApiError::Internal)?;
    let user = match (record, ok) {
        (Some(r), true) => r.user,
        _ => {
            ctx.m.login_failures.inc();
            let entry = AuditEntry {
                at: Utc::now(),
                actor: ww_store::Actor::system(),
                tenant: None,
                action: "login.failed".into(),
                target: "login".into(),
                detail: serde_json::json!({ "username": username }),
            };
            audit(ctx, entry).await;
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
    audit(ctx, entry).await;
    Ok((user, secret))
}

/// Ends the session whose cookie value is `secret`.
pub(crate) async fn logout(ctx: &Ctx, secret: &str) -> ApiResult<()> {
    ctx.app.store.delete_session(&secret_sha256(secret)).await?;
    Ok(())
}

/// Events in `scope` matching `q`.
pub(crate) async fn search_events(
    ctx: &Ctx,
    scope: &TenantScope,
    slugs: &Slugs,
    q: &EventQuery,
) -> ApiResult<EventPage> {
    if q.fields.len() > MAX_FILTERS {
        return Err(ApiError::BadRequest(format!("at most {MAX_FILTERS} field filters")));
    }
    if q.text.as_ref().is_some_and(|t| t.len() > MAX_TEXT) {
        return Err(ApiError::BadRequest(format!("q: longer than {MAX_TEXT} bytes")));
    }
    if q.fields.iter().any(|f| f.field.is_empty() || f.field.len() > 256 || f.pattern.len() > MAX_TEXT) {
        return Err(ApiError::BadRequest("field filter: name empty or too long, or pattern too long".into()));
    }
    if scope.tenants().is_empty() {
        return Ok(EventPage { items: Vec::new(), next_cursor: None });
    }
    let page = ctx.app.store.search_events(scope, q).await?;
    Ok(EventPage {
        items: page.items.into_iter().map(|e| EventView::new(e, slugs)).collect(),
        next_cursor: page.next_cursor,
    })
}

pub(crate) async fn get_event(ctx: &Ctx, p: &Principal, id: i64) -> ApiResult<EventView> {
    let slugs = slugs(ctx).await?;
    let e = ctx.app.store.get_event(&p.scope(&slugs), id).await?;
    Ok(EventView::new(e, &slugs))
}

/// Alerts in `scope` matching `q`, most urgent (highest score) first.
pub(crate) async fn list_alerts(ctx: &Ctx, scope: &TenantScope, slugs: &Slugs, q: &AlertQuery) -> ApiResult<AlertPage> {
    if q.rule_id.as_ref().is_some_and(|r| r.len() > 256) || q.entity.as_ref().is_some_and(|e| e.len() > MAX_TEXT) {
        return Err(ApiError::BadRequest("rule or entity: too long".into()));
    }
    if scope.tenants().is_empty() {
        return Ok(AlertPage { items: Vec::new(), next_cursor: None });
    }
    let page = ctx.app.store.list_alerts(scope, q).await?;
    Ok(AlertPage {
        items: page.items.into_iter().map(|a| AlertView::new(a, slugs)).collect(),
        next_cursor: page.next_cursor,
    })
}

pub(crate) async fn get_alert(ctx: &Ctx, p: &Principal, id: i64) -> ApiResult<AlertDetailView> {
    let slugs = slugs(ctx).await?;
    let d = ctx.app.store.get_alert(&p.scope(&slugs), id).await?;
    Ok(AlertDetailView::new(d, &slugs))
}

/// Whether the caller may change alerts (or other analyst work) in tenant `t`.
pub(crate) fn can_triage(p: &Principal, t: TenantId) -> bool {
    p.role_in(t).is_some_and(|r| r >= Role::Analyst)
}

/// A requested alert state change, validated.
pub(crate) struct StateChange {
    pub(crate) to: AlertState,
    pub(crate) reason: Option<CloseReason>,
    pub(crate) note: Option<String>,
}

impl StateChange {
    /// Parses the wire names; `note` empty means none.
    pub(crate) fn parse(to: &str, reason: Option<&str>, note: Option<String>) -> ApiResult<StateChange> {
        let to = AlertState::parse(to)
            .ok_or_else(|| ApiError::BadRequest("to: expected acknowledged, escalated or closed".into()))?;
        let reason = match reason.filter(|r| !r.is_empty()) {
            None => None,
            Some(r) => Some(CloseReason::parse(r).ok_or_else(|| {
                ApiError::BadRequest("reason: expected true_positive, false_positive or benign".into())
            })?),
        };
        if (to == AlertState::Closed) != reason.is_some() {
            return Err(ApiError::BadRequest("reason: required when closing, and only then".into()));
        }
        let note = note.filter(|n| !n.trim().is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE) {
            return Err(ApiError::BadRequest(format!("note: longer than {MAX_NOTE} characters")));
        }
        Ok(StateChange { to, reason, note })
    }
}

/// Moves an alert to a new state: analysts and admins of the alert's tenant only; audited.
pub(crate) async fn set_alert_state(ctx: &Ctx, p: &Principal, id: i64, change: StateChange) -> ApiResult<AlertView> {
    let slugs = slugs(ctx).await?;
    let scope = p.scope(&slugs);
    let current: Alert = ctx.app.store.get_alert(&scope, id).await?.alert;
    if !can_triage(p, current.tenant) {
        return Err(ApiError::Forbidden("changing alerts needs the analyst or admin role in the alert's tenant"));
    }
    let StateChange { to, reason, note } = change;
    if !current.state.can_move_to(to) {
        return Err(ApiError::Conflict(format!(
            "cannot move an alert from {} to {}",
            current.state.as_str(),
            to.as_str()
        )));
    }
    let change = AlertStateChange { to, reason, note, actor: p.actor() };
    let alert = ctx.app.store.set_alert_state(&TenantScope::one(current.tenant), id, &change).await?;
    let entry = AuditEntry {
        at: Utc::now(),
        actor: p.actor(),
        tenant: Some(current.tenant),
        action: "alert.state".into(),
        target: format!("alert:{id}"),
        detail: serde_json::json!({ "from": current.state.as_str(), "to": to.as_str(), "reason": reason.map(|r| r.as_str()) }),
    };
    audit(ctx, entry).await;
    Ok(AlertView::new(alert, &slugs))
}

/// Every loaded rule with its on/off flag in each tenant of `scope`.
pub(crate) async fn list_rules(ctx: &Ctx, scope: &TenantScope, slugs: &Slugs) -> ApiResult<Vec<RuleView>> {
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
    Ok(views)
}

/// Turns a rule on or off for one tenant: admins of that tenant only; audited.
pub(crate) async fn set_rule_enabled(
    ctx: &Ctx,
    p: &Principal,
    rule_id: &str,
    tenant_slug: &str,
    enabled: bool,
) -> ApiResult<RuleToggleView> {
    let slugs = slugs(ctx).await?;
    let t = tenant_in_scope(tenant_slug, &slugs, &p.scope(&slugs))?;
    if p.role_in(t) != Some(Role::Admin) {
        return Err(ApiError::Forbidden("enabling or disabling rules needs the admin role in that tenant"));
    }
    if !ctx.app.control.rules().iter().any(|r| r.id == rule_id) {
        return Err(ApiError::NotFound);
    }
    ctx.app.store.set_rule_enabled(t, rule_id, enabled, &p.actor()).await?;
    let entry = AuditEntry {
        at: Utc::now(),
        actor: p.actor(),
        tenant: Some(t),
        action: if enabled { "rule.enable" } else { "rule.disable" }.into(),
        target: format!("rule:{rule_id}"),
        detail: serde_json::json!({}),
    };
    audit(ctx, entry).await;
    Ok(RuleToggleView { rule_id: rule_id.to_owned(), tenant: tenant_slug.to_owned(), enabled })
}

/// Reloads the rule files: service admins only; audited whether or not it worked.
pub(crate) async fn reload_rules(ctx: &Ctx, p: &Principal) -> ApiResult<ReloadReport> {
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
    audit(ctx, entry).await;
    result.map_err(ApiError::Unprocessable)
}

pub(crate) async fn list_sources(ctx: &Ctx, p: &Principal) -> ApiResult<Vec<SourceStatusView>> {
    let slugs = slugs(ctx).await?;
    let scope = p.scope(&slugs);
    let visible: Vec<&String> = scope.tenants().iter().filter_map(|t| slugs.0.get(t)).collect();
    Ok(ctx.app.control.sources().into_iter().filter(|s| visible.contains(&&s.tenant)).collect())
}

/// The tenants whose audit log the caller may read (those they administer).
pub(crate) fn audit_scope(p: &Principal, slugs: &Slugs) -> TenantScope {
    TenantScope::new(p.scope(slugs).tenants().iter().copied().filter(|t| p.role_in(*t) == Some(Role::Admin)).collect())
}

/// Whether the caller may read any audit log.
pub(crate) fn may_read_audit(p: &Principal, slugs: &Slugs) -> bool {
    p.is_service_admin() || !audit_scope(p, slugs).tenants().is_empty()
}

/// The audit log of the tenants the caller administers, narrowed to `tenants` (slugs).
pub(crate) async fn audit_log(
    ctx: &Ctx,
    p: &Principal,
    tenants: &[String],
    limit: u32,
    before: Option<i64>,
) -> ApiResult<AuditPage> {
    let slugs = slugs(ctx).await?;
    if !may_read_audit(p, &slugs) {
        return Err(ApiError::Forbidden("the audit log needs the admin role"));
    }
    let scope = narrow(audit_scope(p, &slugs), tenants, &slugs);
    if scope.tenants().is_empty() {
        return Ok(AuditPage { items: Vec::new(), next_cursor: None });
    }
    let page = ctx.app.store.audit_log(&scope, limit, before).await?;
    Ok(AuditPage {
        items: page.items.into_iter().map(|r| AuditView::new(r, &slugs)).collect(),
        next_cursor: page.next_cursor,
    })
}

/// Alert figures for one time window (alerts last seen in it).
#[derive(Debug, Default)]
pub(crate) struct WindowSummary {
    pub(crate) total: usize,
    pub(crate) open: usize,
    pub(crate) serious: usize,
    pub(crate) serious_open: usize,
    /// (level, count), most severe level first; every level present.
    pub(crate) by_level: Vec<(&'static str, usize)>,
    /// (rule id, title, alerts), most alerts first, at most five.
    pub(crate) top_rules: Vec<(String, String, usize)>,
    /// The window held more alerts than were read: the figures are lower bounds.
    pub(crate) truncated: bool,
}

/// What the dashboard shows.
#[derive(Debug)]
pub(crate) struct Dashboard {
    pub(crate) today: WindowSummary,
    pub(crate) week: WindowSummary,
    /// Serious alerts of the week, most recent first, at most ten.
    pub(crate) recent_serious: Vec<AlertView>,
}

pub(crate) const LEVELS: [&str; 5] = ["critical", "high", "medium", "low", "informational"];
/// Most alerts the dashboard reads per window.
const DASHBOARD_MAX_ALERTS: usize = 5000;

fn summarise(alerts: &[&Alert], truncated: bool) -> WindowSummary {
    let mut by_level: Vec<(&'static str, usize)> = LEVELS.iter().map(|l| (*l, 0)).collect();
    let mut rules: HashMap<&str, (&str, usize)> = HashMap::new();
    let mut s = WindowSummary { truncated, ..WindowSummary::default() };
    for a in alerts {
        s.total += 1;
        let open = a.state != AlertState::Closed;
        let serious = a.score >= SERIOUS_SCORE;
        s.open += usize::from(open);
        s.serious += usize::from(serious);
        s.serious_open += usize::from(open && serious);
        if let Some(slot) = by_level.iter_mut().find(|(l, _)| l.eq_ignore_ascii_case(&a.level)) {
            slot.1 += 1;
        }
        rules.entry(a.rule_id.as_str()).or_insert((a.rule_title.as_str(), 0)).1 += 1;
    }
    let mut top: Vec<(String, String, usize)> =
        rules.into_iter().map(|(id, (title, n))| (id.to_owned(), title.to_owned(), n)).collect();
    top.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    top.truncate(5);
    s.top_rules = top;
    s.by_level = by_level;
    s
}

/// Today's and this week's alerts (Europe/London days, weeks from Monday) in `scope`.
pub(crate) async fn dashboard(
    ctx: &Ctx,
    scope: &TenantScope,
    slugs: &Slugs,
    now: ww_core::time::Timestamp,
) -> ApiResult<Dashboard> {
    let day = ww_core::time::london_day_start(&now);
    let week = ww_core::time::london_week_start(&now);
    let mut alerts: Vec<Alert> = Vec::new();
    let mut truncated = false;
    if !scope.tenants().is_empty() {
        let mut q = AlertQuery {
            states: vec![AlertState::New, AlertState::Acknowledged, AlertState::Escalated, AlertState::Closed],
            from: Some(week.min(day)),
            limit: 1000,
            ..AlertQuery::default()
        };
        loop {
            let page = ctx.app.store.list_alerts(scope, &q).await?;
            alerts.extend(page.items);
            match page.next_cursor {
                Some(c) if alerts.len() < DASHBOARD_MAX_ALERTS => q.cursor = Some(c),
                Some(_) => {
                    truncated = true;
                    break;
                }
                None => break,
            }
        }
    }
    let today: Vec<&Alert> = alerts.iter().filter(|a| a.last_seen >= day).collect();
    let this_week: Vec<&Alert> = alerts.iter().filter(|a| a.last_seen >= week).collect();
    let mut recent: Vec<&Alert> = this_week.iter().copied().filter(|a| a.score >= SERIOUS_SCORE).collect();
    recent.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(b.id.cmp(&a.id)));
    recent.truncate(10);
    Ok(Dashboard {
        today: summarise(&today, truncated),
        week: summarise(&this_week, truncated),
        recent_serious: recent.into_iter().map(|a| AlertView::new(a.clone(), slugs)).collect(),
    })
}
