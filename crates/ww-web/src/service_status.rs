//! Service functions for an incident's affected council services, the public service-status
//! page and a user's notification settings. The JSON API (`api_status.rs`) and the console
//! (`console/status.rs`) both call these: role checks, scope and validation live here once.
//! Service status changes are audited by the store; notification settings here.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use ww_core::incident::{AffectedService, NotificationPrefs, PublicServiceStatus, ServiceStatus};
use ww_store::{AuditEntry, TenantId, TenantScope};

use crate::Ctx;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::service::{audit, can_triage, slugs};
use crate::views::Slugs;

/// How far back the public page shows restored services.
pub(crate) const RESTORED_SHOWN_DAYS: i64 = 7;
/// How far ahead of the server clock an "as of" time may be (clock skew between machines).
const FUTURE_SLACK_MINUTES: i64 = 5;
/// Longest service name (the store's limit on names).
pub(crate) const MAX_SERVICE_NAME: usize = 200;

/// One status change in a service's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceChangeView {
    pub at: DateTime<Utc>,
    /// `down`, `degraded` or `restored`.
    pub status: String,
    /// Words for people: Unavailable, Partly available, Restored.
    pub status_label: String,
    /// Who recorded the change.
    pub by: String,
}

/// A council service an incident affects, in one tenant.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AffectedServiceView {
    pub id: i64,
    pub incident_id: i64,
    /// Tenant slug.
    pub tenant: String,
    pub service: String,
    /// `down`, `degraded` or `restored`.
    pub status: String,
    pub status_label: String,
    /// When it was first affected in this incident.
    pub affected_since: DateTime<Utc>,
    /// When the current status began.
    pub status_since: DateTime<Utc>,
    pub restored_at: Option<DateTime<Utc>>,
    /// Oldest first.
    pub history: Vec<ServiceChangeView>,
}

impl AffectedServiceView {
    pub(crate) fn new(s: AffectedService, slugs: &Slugs) -> Self {
        AffectedServiceView {
            id: s.id,
            incident_id: s.incident_id,
            tenant: slugs.of(s.tenant),
            service: s.service,
            status: s.status.as_str().into(),
            status_label: s.status.label().into(),
            affected_since: s.affected_since,
            status_since: s.status_since,
            restored_at: s.restored_at,
            history: s
                .history
                .into_iter()
                .map(|c| ServiceChangeView {
                    at: c.at,
                    status: c.status.as_str().into(),
                    status_label: c.status.label().into(),
                    by: c.by,
                })
                .collect(),
        }
    }
}

/// The affected services of an incident that the caller may see.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentServicesView {
    pub incident_id: i64,
    /// Slugs of the incident's tenants within the caller's scope.
    pub tenants: Vec<String>,
    /// Sorted by tenant, then service name.
    pub services: Vec<AffectedServiceView>,
}

/// A service status change to record.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ServiceStatusRequest {
    /// Tenant slug; may be left out when the incident has one tenant in your scope.
    pub tenant: Option<String>,
    /// The name residents know it by ("Council tax payments").
    pub service: String,
    /// `down`, `degraded` or `restored`.
    pub status: String,
    /// When the status began (RFC 3339); default now. Not in the future.
    pub at: Option<DateTime<Utc>>,
}

/// What the caller may see of one incident's services, and where they may change them.
pub(crate) struct IncidentServices {
    pub(crate) title: String,
    pub(crate) view: IncidentServicesView,
    /// (slug, name) of the incident's tenants in the caller's scope, sorted by name.
    pub(crate) tenants: Vec<(String, String)>,
    /// Slugs of those tenants where the caller may record service status.
    pub(crate) writable: Vec<String>,
}

/// An incident's services within the caller's scope (another tenant's incident: 404).
pub(crate) async fn incident_services(ctx: &Ctx, p: &Principal, incident_id: i64) -> ApiResult<IncidentServices> {
    let all = ctx.app.store.tenants().await?;
    let slugs = Slugs(all.iter().map(|t| (t.id, t.slug.clone())).collect());
    let scope = p.scope(&slugs);
    let d = ctx.app.store.get_incident(&scope, incident_id).await?;
    let mut tenants: Vec<(String, String)> = all
        .iter()
        .filter(|t| scope.contains(t.id) && d.incident.tenants.contains(&t.id))
        .map(|t| (t.slug.clone(), t.name.clone()))
        .collect();
    tenants.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let writable = all
        .iter()
        .filter(|t| scope.contains(t.id) && d.incident.tenants.contains(&t.id) && can_triage(p, t.id))
        .map(|t| t.slug.clone())
        .collect();
    let mut services: Vec<AffectedServiceView> = d
        .services
        .into_iter()
        .filter(|s| scope.contains(s.tenant))
        .map(|s| AffectedServiceView::new(s, &slugs))
        .collect();
    services.sort_by(|a, b| a.tenant.cmp(&b.tenant).then_with(|| a.service.cmp(&b.service)));
    let view =
        IncidentServicesView { incident_id, tenants: tenants.iter().map(|(s, _)| s.clone()).collect(), services };
    Ok(IncidentServices { title: d.incident.title, view, tenants, writable })
}

/// A validated service status change.
#[derive(Debug, Clone)]
pub(crate) struct ServiceChangeInput {
    /// Tenant slug, if given.
    pub(crate) tenant: Option<String>,
    pub(crate) service: String,
    pub(crate) status: ServiceStatus,
    pub(crate) at: DateTime<Utc>,
}

/// Problems with a service form, by field name.
pub(crate) type FieldErrors = Vec<(&'static str, String)>;

/// Checks a service name, status and time; every problem, by field.
pub(crate) fn check_service_change(
    tenant: Option<&str>,
    service: &str,
    status: &str,
    at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<ServiceChangeInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let service = service.split_whitespace().collect::<Vec<_>>().join(" ");
    if service.is_empty() {
        errors.push(("service", "Enter the name of the service, such as Council tax payments.".into()));
    } else if service.len() > MAX_SERVICE_NAME {
        errors.push(("service", format!("The service name must be at most {MAX_SERVICE_NAME} characters.")));
    }
    let parsed = ServiceStatus::parse(status);
    if parsed.is_none() {
        errors.push(("status", "Choose Unavailable, Partly available or Restored.".into()));
    }
    let at = at.unwrap_or(now);
    if at > now + Duration::minutes(FUTURE_SLACK_MINUTES) {
        errors.push(("at", "The time cannot be in the future.".into()));
    }
    match parsed {
        Some(status) if errors.is_empty() => Ok(ServiceChangeInput {
            tenant: tenant.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned),
            service,
            status,
            at,
        }),
        _ => Err(errors),
    }
}

/// Joins field errors into one API message (`service: ...; at: ...`).
pub(crate) fn field_errors_message(errors: &FieldErrors) -> String {
    errors.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; ")
}

/// Records a service's status in one tenant of an incident: analysts and admins of that tenant
/// only. The store appends to the history and writes the audit entry.
pub(crate) async fn set_service_status(
    ctx: &Ctx,
    p: &Principal,
    incident_id: i64,
    change: ServiceChangeInput,
) -> ApiResult<AffectedServiceView> {
    let slugs = slugs(ctx).await?;
    let scope = p.scope(&slugs);
    let incident = ctx.app.store.get_incident(&scope, incident_id).await?.incident;
    let visible: Vec<TenantId> = incident.tenants.iter().copied().filter(|t| scope.contains(*t)).collect();
    let tenant = match change.tenant.as_deref() {
        Some(slug) => {
            let t = crate::service::tenant_in_scope(slug, &slugs, &scope)?;
            if !visible.contains(&t) {
                return Err(ApiError::NotFound);
            }
            t
        }
        None => match visible.as_slice() {
            [only] => *only,
            _ => return Err(ApiError::BadRequest("tenant: required (the incident spans several councils)".into())),
        },
    };
    if !can_triage(p, tenant) {
        return Err(ApiError::Forbidden("recording service status needs the analyst or admin role in that council"));
    }
    let s = ctx
        .app
        .store
        .set_service_status(
            &TenantScope::one(tenant),
            incident_id,
            tenant,
            &change.service,
            change.status,
            change.at,
            &p.actor(),
        )
        .await?;
    Ok(AffectedServiceView::new(s, &slugs))
}

// ---------------------------------------------------------------------------------------------
// The public status page

/// One service on a council's public status page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicServiceView {
    pub service: String,
    /// `down`, `degraded` or `restored`.
    pub status: String,
    /// Unavailable, Partly available or Restored.
    pub status_label: String,
    pub affected_since: DateTime<Utc>,
    /// When the current status began.
    pub status_since: DateTime<Utc>,
    pub restored_at: Option<DateTime<Utc>>,
}

impl From<PublicServiceStatus> for PublicServiceView {
    fn from(s: PublicServiceStatus) -> Self {
        PublicServiceView {
            service: s.service,
            status: s.status.as_str().into(),
            status_label: s.status.label().into(),
            affected_since: s.affected_since,
            status_since: s.status_since,
            restored_at: s.restored_at,
        }
    }
}

/// A council's public service status: only service names, statuses and times.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicStatusView {
    /// The council's name.
    pub council: String,
    /// No service is unavailable or partly available.
    pub all_running: bool,
    /// Services unavailable or partly available now, by name.
    pub affected: Vec<PublicServiceView>,
    /// Services restored in the last seven days, most recent first.
    pub restored: Vec<PublicServiceView>,
    pub generated_at: DateTime<Utc>,
}

/// The public status of the tenant with this slug (no login; an unknown slug is 404).
pub(crate) async fn public_status(ctx: &Ctx, slug: &str, now: DateTime<Utc>) -> ApiResult<PublicStatusView> {
    if slug.is_empty() || slug.len() > 64 {
        return Err(ApiError::NotFound);
    }
    let tenant = ctx.app.store.tenant_by_slug(slug).await?;
    let rows = ctx.app.store.public_service_status(tenant.id, now - Duration::days(RESTORED_SHOWN_DAYS)).await?;
    let (restored, affected): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.status == ServiceStatus::Restored);
    let mut restored: Vec<PublicServiceView> = restored.into_iter().map(PublicServiceView::from).collect();
    restored.sort_by(|a, b| b.restored_at.cmp(&a.restored_at).then_with(|| a.service.cmp(&b.service)));
    let affected: Vec<PublicServiceView> = affected.into_iter().map(PublicServiceView::from).collect();
    Ok(PublicStatusView {
        council: tenant.name,
        all_running: affected.is_empty(),
        affected,
        restored,
        generated_at: now,
    })
}

// ---------------------------------------------------------------------------------------------
// Notification settings

/// A user's notification settings. Nothing is sent until an email address or webhook is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationSettings {
    /// Where emails go (`name@council.gov.uk`); null or empty for none.
    #[serde(default)]
    pub email: Option<String>,
    /// An HTTPS URL (or plain HTTP to this machine) that receives a JSON POST per notification.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Alerts scoring as serious in your councils.
    #[serde(default)]
    pub serious_alerts: bool,
    /// An incident is assigned to you.
    #[serde(default)]
    pub incident_assigned: bool,
    /// Your incident tasks fall due.
    #[serde(default)]
    pub tasks_due: bool,
    /// ICO 72-hour reporting deadlines approach.
    #[serde(default)]
    pub ico_deadlines: bool,
}

impl NotificationSettings {
    fn from_prefs(p: NotificationPrefs) -> Self {
        NotificationSettings {
            email: p.email,
            webhook_url: p.webhook_url,
            serious_alerts: p.serious_alerts,
            incident_assigned: p.incident_assigned,
            tasks_due: p.tasks_due,
            ico_deadlines: p.ico_deadlines,
        }
    }

    /// Something is ticked but there is nowhere to send it.
    pub(crate) fn nowhere_to_send(&self) -> bool {
        let wanted = self.serious_alerts || self.incident_assigned || self.tasks_due || self.ico_deadlines;
        wanted && self.email.is_none() && self.webhook_url.is_none()
    }
}

pub(crate) fn settings_user(p: &Principal) -> ApiResult<i64> {
    match p {
        Principal::User(u) => Ok(u.id),
        Principal::Token(_) => Err(ApiError::Forbidden("notification settings belong to users; tokens have none")),
    }
}

pub(crate) async fn notification_settings(ctx: &Ctx, p: &Principal) -> ApiResult<NotificationSettings> {
    let id = settings_user(p)?;
    Ok(NotificationSettings::from_prefs(ctx.app.store.notification_prefs(id).await?))
}

/// Trims the addresses (empty means none) and checks them: the email as a mailbox, the webhook
/// against the default webhook policy. Every problem, by field (`email`, `webhook_url`).
pub(crate) fn check_settings(mut s: NotificationSettings) -> Result<NotificationSettings, FieldErrors> {
    let mut errors = FieldErrors::new();
    s.email = s.email.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty());
    s.webhook_url = s.webhook_url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    if let Some(e) = &s.email {
        if e.len() > 254 {
            errors.push(("email", "The email address must be at most 254 characters.".into()));
        } else if ww_notify::smtp::check_address(e).is_err() || !e.contains('@') {
            errors.push(("email", "Enter an email address in the right format, like name@council.gov.uk.".into()));
        }
    }
    if let Some(u) = &s.webhook_url
        && let Err(why) = ww_notify::webhook::check_url(u, &ww_notify::webhook::WebhookPolicy::default())
    {
        errors.push(("webhook_url", format!("This webhook address cannot be used: {why}.")));
    }
    if errors.is_empty() { Ok(s) } else { Err(errors) }
}

/// Saves the caller's (already checked) settings and audits the change without the addresses.
pub(crate) async fn set_notification_settings(
    ctx: &Ctx,
    p: &Principal,
    s: NotificationSettings,
) -> ApiResult<NotificationSettings> {
    let user_id = settings_user(p)?;
    let prefs = NotificationPrefs {
        user_id,
        email: s.email.clone(),
        webhook_url: s.webhook_url.clone(),
        serious_alerts: s.serious_alerts,
        incident_assigned: s.incident_assigned,
        tasks_due: s.tasks_due,
        ico_deadlines: s.ico_deadlines,
    };
    ctx.app.store.set_notification_prefs(&prefs).await?;
    let entry = AuditEntry {
        at: Utc::now(),
        actor: p.actor(),
        tenant: None,
        action: "settings.notifications".into(),
        target: format!("user:{user_id}"),
        detail: serde_json::json!({
            "email": s.email.is_some(),
            "webhook": s.webhook_url.is_some(),
            "serious_alerts": s.serious_alerts,
            "incident_assigned": s.incident_assigned,
            "tasks_due": s.tasks_due,
            "ico_deadlines": s.ico_deadlines,
        }),
    };
    audit(ctx, entry).await;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        ww_core::time::parse_utc("2026-03-14T09:30:00Z").expect("time")
    }

    #[test]
    fn service_change_collects_every_problem() {
        let later = now() + Duration::hours(1);
        let errs = check_service_change(None, "  ", "broken", Some(later), now()).expect_err("invalid");
        let fields: Vec<&str> = errs.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["service", "status", "at"]);
        let ok =
            check_service_change(Some(" council-a "), " Council  tax\tpayments ", "down", None, now()).expect("valid");
        assert_eq!(ok.service, "Council tax payments");
        assert_eq!(ok.tenant.as_deref(), Some("council-a"));
        assert_eq!(ok.at, now());
        assert_eq!(ok.status, ServiceStatus::Down);
        // A few minutes of clock skew is allowed.
        assert!(check_service_change(None, "Bins", "restored", Some(now() + Duration::minutes(2)), now()).is_ok());
    }

    #[test]
    fn settings_check_addresses_and_keep_empty_as_none() {
        let s = NotificationSettings {
            email: Some("  ".into()),
            webhook_url: Some(String::new()),
            serious_alerts: true,
            ..Default::default()
        };
        let s = check_settings(s).expect("valid");
        assert_eq!((s.email, s.webhook_url), (None, None));
        let bad = NotificationSettings {
            email: Some("not an address".into()),
            webhook_url: Some("http://intranet.example/hook".into()),
            ..Default::default()
        };
        let errs = check_settings(bad).expect_err("invalid");
        assert_eq!(errs.iter().map(|(f, _)| *f).collect::<Vec<_>>(), ["email", "webhook_url"]);
        let good = NotificationSettings {
            email: Some("soc@council-a.gov.uk".into()),
            webhook_url: Some("https://hooks.example.org/ww".into()),
            ..Default::default()
        };
        assert!(check_settings(good).is_ok());
    }
}
