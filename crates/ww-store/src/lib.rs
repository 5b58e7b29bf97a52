//! Storage for `wardwatch serve`: the [`Store`] trait and its backends.
//!
//! This is the only crate that knows SQL. Everything a tenant owns carries its [`TenantId`] and
//! every read takes the set of tenants the caller may see ([`TenantScope`]), so a query cannot
//! forget the filter. Events are written in batches, one transaction per batch, together with the
//! alert changes and intake checkpoints they caused: a batch is either wholly durable or absent,
//! which is what lets the server acknowledge a batch only after [`Store::write_batch`] returns.

mod bloom;
pub mod postgres;
mod query;
mod respond;
pub mod sqlite;
pub mod types;

pub use types::*;

use async_trait::async_trait;

/// Errors from a store. Messages name the operation, never the data or secrets.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error during {op}: {source}")]
    Db {
        op: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// One storage backend. Implementations: `sqlite::SqliteStore` (embedded default) and
/// `postgres::PgStore` (shared deployments).
///
/// Reads that return tenant-owned data take a [`TenantScope`]; rows outside it are invisible
/// (a detail lookup of another tenant's id is `NotFound`, not "forbidden", so ids leak nothing).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    // --- events, alerts and checkpoints: the write path --------------------------------------

    /// The first event id not yet used; the pipeline assigns ids from here (ids are dense and
    /// increasing, so search can page by id and alerts can cite sample events before they land).
    async fn next_event_id(&self) -> Result<i64>;

    /// Writes events, alert upserts and checkpoints in one transaction. Returns only once the
    /// transaction is durable (committed; fsync per the configured synchronous level).
    async fn write_batch(&self, batch: &WriteBatch) -> Result<()>;

    /// Intake checkpoints (file tailing offsets) saved by earlier batches.
    async fn checkpoints(&self) -> Result<Vec<Checkpoint>>;

    /// Open alert aggregates (last seen within `since`), so aggregation windows survive restarts,
    /// and the novelty keys already seen, so "first time" stays true across restarts.
    async fn detector_state(&self, since: Timestamp) -> Result<DetectorState>;

    // --- events: the read path ---------------------------------------------------------------

    async fn search_events(&self, scope: &TenantScope, q: &EventQuery) -> Result<Page<StoredEvent>>;
    async fn get_event(&self, scope: &TenantScope, id: i64) -> Result<StoredEvent>;

    // --- alerts ------------------------------------------------------------------------------

    async fn list_alerts(&self, scope: &TenantScope, q: &AlertQuery) -> Result<Page<Alert>>;
    async fn get_alert(&self, scope: &TenantScope, id: i64) -> Result<AlertDetail>;
    /// Moves an alert to a new state if the transition is allowed; records who and when.
    async fn set_alert_state(&self, scope: &TenantScope, id: i64, change: &AlertStateChange) -> Result<Alert>;

    // --- rules (per-tenant enable/disable overlay over the one compiled rule set) ------------

    async fn disabled_rules(&self) -> Result<Vec<(TenantId, String)>>;
    async fn set_rule_enabled(&self, tenant: TenantId, rule_id: &str, enabled: bool, actor: &Actor) -> Result<()>;

    // --- tenants, users, sessions, tokens ----------------------------------------------------

    async fn create_tenant(&self, slug: &str, name: &str) -> Result<Tenant>;
    async fn tenants(&self) -> Result<Vec<Tenant>>;
    async fn tenant_by_slug(&self, slug: &str) -> Result<Tenant>;

    /// `password_hash` is an argon2 PHC string made by the caller; the store never sees passwords.
    async fn create_user(&self, username: &str, password_hash: &str, service_role: Option<ServiceRole>)
    -> Result<User>;
    async fn user_by_name(&self, username: &str) -> Result<UserRecord>;
    async fn user(&self, id: i64) -> Result<User>;
    async fn set_membership(&self, user: i64, tenant: TenantId, role: Option<Role>) -> Result<()>;

    /// Sessions and API tokens are stored by the SHA-256 of their secret only.
    async fn create_session(&self, user: i64, secret_sha256: &[u8; 32], expires: Timestamp) -> Result<()>;
    async fn session_user(&self, secret_sha256: &[u8; 32], now: Timestamp) -> Result<User>;
    async fn delete_session(&self, secret_sha256: &[u8; 32]) -> Result<()>;

    async fn create_token(&self, new: &NewToken, secret_sha256: &[u8; 32]) -> Result<ApiToken>;
    async fn token_by_secret(&self, secret_sha256: &[u8; 32]) -> Result<ApiToken>;
    async fn list_tokens(&self, scope: &TenantScope) -> Result<Vec<ApiToken>>;
    async fn revoke_token(&self, scope: &TenantScope, id: i64) -> Result<()>;

    // --- audit (append-only) -----------------------------------------------------------------

    async fn audit(&self, entry: &AuditEntry) -> Result<()>;
    async fn audit_log(&self, scope: &TenantScope, limit: u32, before_id: Option<i64>) -> Result<Page<AuditRecord>>;

    // --- incident response ---------------------------------------------------------------
    //
    // Every mutation appends its audit entry in the same transaction (target `incident:<id>`,
    // or `alert:<id>` for assignment; the detail names changed fields, never their text or file
    // contents). An incident is visible when any of its tenants is in scope; its child records
    // (tasks, observables, evidence, notes, services, breaches, linked alerts and events) each
    // carry a tenant and are shown and changed only within the caller's scope. A child's tenant
    // must be in scope and one of the incident's tenants, else NotFound.

    /// Sets or clears who works an alert.
    async fn assign_alert(&self, scope: &TenantScope, id: i64, assignee: Option<&str>, actor: &Actor) -> Result<Alert>;
    /// Opens an incident owned by `new.tenant` (its only tenant so far); `created_by` is the
    /// actor's name. Takes no scope: the caller has checked the actor may write for `new.tenant`
    /// (an unknown tenant is NotFound).
    async fn create_incident(&self, new: &NewIncident, actor: &Actor) -> Result<Incident>;
    /// Incidents with any tenant in scope, newest first (created, then id), cursor paged.
    async fn list_incidents(&self, scope: &TenantScope, q: &IncidentQuery) -> Result<Page<Incident>>;
    async fn get_incident(&self, scope: &TenantScope, id: i64) -> Result<IncidentDetail>;
    /// Changes the shared headline; `closed_at` is set when the status becomes closed and
    /// cleared when reopened.
    async fn update_incident(
        &self,
        scope: &TenantScope,
        id: i64,
        u: &IncidentUpdate,
        actor: &Actor,
    ) -> Result<Incident>;
    /// Extends the incident to another tenant; the caller must see both.
    async fn add_incident_tenant(
        &self,
        scope: &TenantScope,
        id: i64,
        tenant: TenantId,
        actor: &Actor,
    ) -> Result<Incident>;
    /// Links an alert (sets its `incident_id`); the alert's tenant joins the incident if new.
    async fn link_alert(&self, scope: &TenantScope, incident_id: i64, alert_id: i64, actor: &Actor) -> Result<()>;
    /// Links an event; as with alerts, the event's tenant joins the incident if new.
    async fn link_event(&self, scope: &TenantScope, incident_id: i64, event_id: i64, actor: &Actor) -> Result<()>;
    async fn add_task(&self, scope: &TenantScope, incident_id: i64, t: &NewTask, actor: &Actor) -> Result<Task>;
    async fn set_task_done(&self, scope: &TenantScope, task_id: i64, done: bool, actor: &Actor) -> Result<Task>;
    /// Open tasks due before `before`, every tenant (for the notifier).
    async fn tasks_due(&self, before: Timestamp) -> Result<Vec<Task>>;
    async fn add_observable(
        &self,
        scope: &TenantScope,
        incident_id: i64,
        o: &NewObservable,
        actor: &Actor,
    ) -> Result<Observable>;
    /// Stores an evidence file: the store computes its SHA-256 and sanitises the file name.
    async fn add_evidence(
        &self,
        scope: &TenantScope,
        incident_id: i64,
        e: &NewEvidence,
        actor: &Actor,
    ) -> Result<Evidence>;
    async fn evidence_content(&self, scope: &TenantScope, evidence_id: i64) -> Result<(Evidence, Vec<u8>)>;
    async fn add_note(
        &self,
        scope: &TenantScope,
        incident_id: i64,
        tenant: TenantId,
        body: &str,
        actor: &Actor,
    ) -> Result<Note>;
    /// Upserts the (incident, tenant, service name) row and appends to its history;
    /// `restored_at` is set on Restored and cleared when the service goes down again.
    #[allow(clippy::too_many_arguments)]
    async fn set_service_status(
        &self,
        scope: &TenantScope,
        incident_id: i64,
        tenant: TenantId,
        service: &str,
        status: ServiceStatus,
        at: Timestamp,
        actor: &Actor,
    ) -> Result<AffectedService>;
    /// The public status page (no login, so no scope): the tenant's services that are down or
    /// degraded in an incident that is not closed, plus those restored at or after
    /// `restored_since`; one row per service name, the worst status winning.
    async fn public_service_status(
        &self,
        tenant: TenantId,
        restored_since: Timestamp,
    ) -> Result<Vec<PublicServiceStatus>>;
    /// Inserts or replaces the breach record of (incident, tenant); `created_at` stays that of the
    /// first insert, `updated_at` is now. Returns the stored record.
    async fn upsert_breach(&self, scope: &TenantScope, b: &Breach, actor: &Actor) -> Result<Breach>;
    /// Every breach record of the scope's tenants, newest first (Art. 33(5) log).
    async fn breach_log(&self, scope: &TenantScope) -> Result<Vec<BreachLogEntry>>;
    /// Breaches whose 72-hour clock runs: aware, not reported to the ICO and not decided
    /// "don't report"; every tenant.
    async fn running_breach_clocks(&self) -> Result<Vec<Breach>>;
    /// Headline counts since `since` over the scope.
    ///
    /// `blocked` counts events since `since` whose parsed fields say traffic was stopped: a
    /// top-level `action` (JSON firewall logs, `key=value` formats) or `act` (CEF) field whose
    /// lower-cased value is deny/denied/drop/dropped/block/blocked/reject/rejected, or a netfilter
    /// syslog `message` (as `ww-demo` and the firewall-deny rule see them: `[FW-DROP] ... SRC=...
    /// DST=... PROTO=...`) holding `SRC=`, `PROTO=` and one of `DROP`, `REJECT`, `DENY`. The
    /// query walks the (tenant, time) index from `since`, so its cost grows with the events in
    /// the window, not the table: callers pass a short window (the dashboard's 24 hours).
    async fn dashboard_counts(
        &self,
        scope: &TenantScope,
        since: Timestamp,
        serious_score: u8,
    ) -> Result<DashboardCounts>;

    // --- notifications -----------------------------------------------------------------------

    /// A user's settings; the default (all off, no addresses) when never set.
    async fn notification_prefs(&self, user_id: i64) -> Result<NotificationPrefs>;
    async fn set_notification_prefs(&self, p: &NotificationPrefs) -> Result<()>;
    /// Members of `tenant` plus service-wide users.
    async fn users_for_tenant(&self, tenant: TenantId) -> Result<Vec<User>>;
    /// Records that notification `key` (e.g. "ico-24h:12:3:alice") was sent; false if it already
    /// was (dedupe across restarts).
    async fn claim_notification(&self, key: &str, at: Timestamp) -> Result<bool>;
    /// Forgets a claim whose delivery failed, so that the next round tries again.
    async fn release_notification(&self, key: &str) -> Result<()>;

    // --- housekeeping ------------------------------------------------------------------------

    /// Deletes events older than `max_age` and, oldest first, until the events take at most
    /// `max_bytes`; returns how many were deleted. Alerts keep their counts and event ids.
    async fn apply_retention(&self, now: Timestamp, policy: &Retention) -> Result<u64>;
    async fn stats(&self) -> Result<StoreStats>;
}

/// The source id of each event, from the batch's resolved `(tenant, name) -> id` map.
pub(crate) fn source_ids(
    events: &[NewEvent],
    sources: &std::collections::HashMap<(i64, String), i64>,
) -> Result<Vec<i64>> {
    // Consecutive events mostly share a source: look it up (a key with an owned name) on change.
    let mut last: Option<(i64, &str, i64)> = None;
    events
        .iter()
        .map(|e| match last {
            Some((t, name, id)) if t == e.tenant.0 && name == e.source => Ok(id),
            _ => {
                let id = sources
                    .get(&(e.tenant.0, e.source.clone()))
                    .copied()
                    .ok_or_else(|| StoreError::Invalid("event source was not resolved".into()))?;
                last = Some((e.tenant.0, e.source.as_str(), id));
                Ok(id)
            }
        })
        .collect()
}
