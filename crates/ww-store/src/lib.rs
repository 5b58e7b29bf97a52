//! Storage for `wardwatch serve`: the [`Store`] trait and its backends.
//!
//! This is the only crate that knows SQL. Everything a tenant owns carries its [`TenantId`] and
//! every read takes the set of tenants the caller may see ([`TenantScope`]), so a query cannot
//! forget the filter. Events are written in batches, one transaction per batch, together with the
//! alert changes and intake checkpoints they caused: a batch is either wholly durable or absent,
//! which is what lets the server acknowledge a batch only after [`Store::write_batch`] returns.

pub mod postgres;
mod query;
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

    // --- housekeeping ------------------------------------------------------------------------

    /// Deletes events older than `max_age` and, oldest first, until the events take at most
    /// `max_bytes`; returns how many were deleted. Alerts keep their counts and event ids.
    async fn apply_retention(&self, now: Timestamp, policy: &Retention) -> Result<u64>;
    async fn stats(&self) -> Result<StoreStats>;
}
