//! The only crate that knows HTTP: the JSON API under `/api/v1`, the server-rendered console
//! under `/console/` (with its assets under `/assets/`), the ingest endpoints (JSON, NDJSON and
//! the Elasticsearch `_bulk` protocol), `/metrics`, and authentication. The API and the console
//! call the same functions in `service`: role checks, store calls and audit live there once.
//!
//! The binary builds an [`AppState`] and serves [`router`] with
//! `axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())`:
//! the peer address is used for loopback-only `/metrics` and to label ingested records. Without
//! connect info, the peer is treated as unknown (never loopback).
//!
//! Authentication: a session cookie (`ww_session`, from `POST /api/v1/login`) or an API token
//! (`ww_<id>_<secret>`) sent as `Authorization: Bearer`, as the password of `Basic`, or inside
//! `ApiKey base64(id:token)`. Ingest tokens may only ingest. Every tenant-owned read goes through
//! the store with the caller's [`ww_store::TenantScope`]; another tenant's id answers 404.

mod api;
mod api_breach;
mod api_incidents;
mod api_status;
mod auth;
mod console;
mod error;
mod es;
mod ingest;
mod openapi;
mod service;
mod service_breach;
mod service_incidents;
mod service_status;
mod views;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::routing::MethodRouter;
use serde::{Deserialize, Serialize};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::ToSchema;

pub use auth::{format_token, generate_secret, hash_password, issue_token, secret_sha256, verify_password};
pub use error::{ApiError, ErrorBody};
pub use openapi::openapi;
pub use views::*;

/// One Sigma rule as the API lists it (the binary fills these from its compiled rule set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    /// informational, low, medium, high, critical.
    pub level: String,
    /// Sigma status: stable, test, experimental...
    pub status: String,
    pub tags: Vec<String>,
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
}

/// The outcome of a rule reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReloadReport {
    pub loaded: usize,
    pub skipped: usize,
}

/// Live status of one configured intake source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SourceStatusView {
    /// The owning tenant's slug; the API shows a source only to that tenant's users.
    pub tenant: String,
    pub name: String,
    /// `syslog_udp`, `syslog_tcp`, `file`, `http`...
    pub kind: String,
    /// Listen address or path, when the source has one.
    pub listen: Option<String>,
    pub events_in: u64,
    pub dropped: u64,
    pub parse_failures: u64,
    pub connections: u64,
    pub last_event_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Server health for authenticated callers (anonymous callers see only `status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HealthView {
    /// `ok`, or a short reason such as `degraded`; anything but `ok` answers 503.
    pub status: String,
    pub version: String,
    /// Batches waiting in the intake queue.
    pub queue_depth: i64,
    pub store_ok: bool,
}

/// What the web layer needs from the running server that is not in the store: the rule
/// engine and the listeners. Implemented by the binary.
#[async_trait]
pub trait Control: Send + Sync {
    fn rules(&self) -> Vec<RuleInfo>;
    async fn reload_rules(&self) -> Result<ReloadReport, String>;
    fn sources(&self) -> Vec<SourceStatusView>;
    fn health(&self) -> HealthView;
}

/// HTTP settings. `Default` gives the documented defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebConfig {
    /// The server is reached over TLS: session cookies get `Secure`. Default false.
    pub tls: bool,
    /// How long a login session lasts. Default 12 h.
    pub session_ttl: Duration,
    /// Largest ingest or `_bulk` body, after gzip decoding. Default 10 MiB.
    pub ingest_body_limit: usize,
    /// Most documents in one ingest or `_bulk` request. Default 10,000.
    pub ingest_max_docs: usize,
    /// Largest body of any other request. Default 64 KiB.
    pub api_body_limit: usize,
    /// How long an ingest request waits for room in the intake queue before 429. Default 1 s.
    pub queue_wait: Duration,
    /// Whole-request time limit (503 after it). Default 30 s.
    pub request_timeout: Duration,
    /// Requests served at once; more wait (within the timeout). Default 256.
    pub concurrency_limit: usize,
    /// Serve `/metrics` without credentials to loopback peers (127.0.0.0/8, ::1). Default false.
    pub metrics_public_on_loopback: bool,
    /// The Elasticsearch version the compatibility endpoints claim. Beats refuse a server older
    /// than themselves, so raise it to match newer shippers. Default "8.11.0".
    pub es_version: String,
    /// Name shown as node and cluster name on the Elasticsearch endpoints. Default "wardwatch".
    pub es_cluster_name: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            tls: false,
            session_ttl: Duration::from_secs(12 * 3600),
            ingest_body_limit: 10 * 1024 * 1024,
            ingest_max_docs: 10_000,
            api_body_limit: 64 * 1024,
            queue_wait: Duration::from_secs(1),
            request_timeout: Duration::from_secs(30),
            concurrency_limit: 256,
            metrics_public_on_loopback: false,
            es_version: "8.11.0".into(),
            es_cluster_name: "wardwatch".into(),
        }
    }
}

/// Everything the handlers use. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn ww_store::Store>,
    pub intake: ww_ingest::Intake,
    pub metrics: Arc<ww_metrics::Registry>,
    pub control: Arc<dyn Control>,
    pub config: WebConfig,
    /// The UK GDPR breach policy: assessment questions, risk options, the ICO deadline.
    pub policy: Arc<ww_respond::BreachPolicy>,
}

/// Counters this crate adds to the registry.
struct WebMetrics {
    ingest_docs: Arc<ww_metrics::Counter>,
    ingest_queue_full: Arc<ww_metrics::Counter>,
    login_failures: Arc<ww_metrics::Counter>,
}

pub(crate) struct Inner {
    pub(crate) app: AppState,
    /// A real argon2 hash verified when the username is unknown, so failures take the same time.
    pub(crate) dummy_hash: String,
    m: WebMetrics,
}

/// The axum state: the app state plus what the router derives from it.
pub(crate) type Ctx = Arc<Inner>;

/// Which part of the server a route belongs to; sets its body limit and headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Api,
    Ingest,
    Elastic,
    /// The server-rendered console (`/console/...`): HTML, not in the OpenAPI document.
    Console,
    /// Static files under `/assets/`: not in the OpenAPI document.
    Assets,
    /// Evidence upload and download in the API: a body limit of their own (25 MiB files).
    EvidenceApi,
    /// Evidence upload and download in the console: the same limit; downloads set their own
    /// headers (an attachment with a sandboxing CSP), so the console headers only fill gaps.
    EvidenceConsole,
}

impl Group {
    /// Whether the OpenAPI document describes the group's routes.
    fn documented(self) -> bool {
        matches!(self, Group::Api | Group::Ingest | Group::Elastic | Group::EvidenceApi)
    }
}

/// Every route the server answers: (path, group, handlers). The OpenAPI test walks this table
/// against the document, so the two cannot drift apart.
fn route_table() -> Vec<(&'static str, Group, MethodRouter<Ctx>)> {
    use axum::routing::{get, post};
    vec![
        ("/api/v1/health", Group::Api, get(api::health)),
        ("/api/v1/openapi.json", Group::Api, get(api::openapi_json)),
        ("/api/v1/login", Group::Api, post(api::login)),
        ("/api/v1/logout", Group::Api, post(api::logout)),
        ("/api/v1/me", Group::Api, get(api::me)),
        ("/api/v1/events", Group::Api, get(api::list_events)),
        ("/api/v1/events/{id}", Group::Api, get(api::get_event)),
        ("/api/v1/alerts", Group::Api, get(api::list_alerts)),
        ("/api/v1/alerts/{id}", Group::Api, get(api::get_alert)),
        ("/api/v1/alerts/{id}/state", Group::Api, post(api::set_alert_state)),
        ("/api/v1/rules", Group::Api, get(api::list_rules)),
        ("/api/v1/rules/reload", Group::Api, post(api::reload_rules)),
        ("/api/v1/rules/{id}/enable", Group::Api, post(api::enable_rule)),
        ("/api/v1/rules/{id}/disable", Group::Api, post(api::disable_rule)),
        ("/api/v1/sources", Group::Api, get(api::list_sources)),
        ("/api/v1/audit", Group::Api, get(api::audit_log)),
        ("/metrics", Group::Api, get(api::metrics)),
        ("/api/v1/incidents/{id}/breach", Group::Api, get(api_breach::get_breach).put(api_breach::put_breach)),
        ("/api/v1/breaches", Group::Api, get(api_breach::list_breaches)),
        ("/api/v1/incidents/{id}/reports/{report}", Group::Api, get(api_breach::get_report)),
        ("/api/v1/ingest", Group::Ingest, post(ingest::ingest)),
        ("/", Group::Elastic, get(es::info)),
        ("/_bulk", Group::Elastic, post(es::bulk).put(es::bulk)),
        ("/{index}/_bulk", Group::Elastic, post(es::bulk_index).put(es::bulk_index)),
        ("/{index}/{doc_type}/_bulk", Group::Elastic, post(es::bulk_index_type).put(es::bulk_index_type)),
        ("/_cluster/health", Group::Elastic, get(es::cluster_health)),
        ("/_license", Group::Elastic, get(es::license)),
        ("/_xpack", Group::Elastic, get(es::xpack)),
        ("/_index_template/{name}", Group::Elastic, get(es::get_index_template).put(es::put_acknowledged)),
        ("/_template/{name}", Group::Elastic, get(es::get_template).put(es::put_acknowledged)),
        ("/_ilm/policy/{name}", Group::Elastic, get(es::get_ilm_policy).put(es::put_acknowledged)),
        ("/_nodes", Group::Elastic, get(es::nodes)),
        ("/_nodes/{*rest}", Group::Elastic, get(es::nodes)),
        ("/console", Group::Console, get(|| async { console::see_other("/console/") })),
        ("/console/", Group::Console, get(console::dashboard)),
        ("/console/login", Group::Console, get(console::login_form).post(console::login_submit)),
        ("/console/logout", Group::Console, post(console::logout)),
        ("/console/tenant", Group::Console, post(console::switch_tenant)),
        ("/console/alerts", Group::Console, get(console::alerts)),
        ("/console/alerts/{id}", Group::Console, get(console::alert)),
        ("/console/alerts/{id}/state", Group::Console, post(console::alert_state)),
        ("/console/events", Group::Console, get(console::events)),
        ("/console/rules", Group::Console, get(console::rules)),
        ("/console/rules/toggle", Group::Console, post(console::rule_toggle)),
        ("/console/audit", Group::Console, get(console::audit)),
        ("/console/breaches", Group::Console, get(console::breach::breach_log)),
        ("/console/incidents/{id}/breach", Group::Console, get(console::breach::page).post(console::breach::submit)),
        ("/console/incidents/{id}/reports/ico", Group::Console, get(console::breach::ico_report)),
        ("/console/incidents/{id}/reports/ncsc", Group::Console, get(console::breach::ncsc_report)),
        (console::assets::HTMX_PATH, Group::Assets, get(console::assets::htmx)),
        ("/assets/console.js", Group::Assets, get(console::assets::console_js)),
        ("/assets/console.css", Group::Assets, get(console::assets::console_css)),
        ("/assets/favicon.svg", Group::Assets, get(console::assets::favicon)),
        // --- incidents
        ("/api/v1/incidents", Group::Api, get(api_incidents::list).post(api_incidents::create)),
        ("/api/v1/incidents/{id}", Group::Api, get(api_incidents::get).patch(api_incidents::update)),
        ("/api/v1/incidents/{id}/tasks", Group::Api, post(api_incidents::add_task)),
        ("/api/v1/incidents/{id}/tasks/{task_id}/done", Group::Api, post(api_incidents::task_done)),
        ("/api/v1/incidents/{id}/observables", Group::Api, post(api_incidents::add_observable)),
        ("/api/v1/incidents/{id}/notes", Group::Api, post(api_incidents::add_note)),
        ("/api/v1/incidents/{id}/alerts", Group::Api, post(api_incidents::link_alert)),
        ("/api/v1/incidents/{id}/events", Group::Api, post(api_incidents::link_event)),
        ("/api/v1/incidents/{id}/tenants", Group::Api, post(api_incidents::add_tenant)),
        ("/api/v1/incidents/{id}/evidence", Group::EvidenceApi, post(api_incidents::upload_evidence)),
        ("/api/v1/incidents/{id}/evidence/{evidence_id}", Group::EvidenceApi, get(api_incidents::download_evidence)),
        ("/console/incidents", Group::Console, get(console::incidents::list).post(console::incidents::create)),
        ("/console/incidents/new", Group::Console, get(console::incidents::new_form)),
        ("/console/incidents/{id}", Group::Console, get(console::incidents::detail).post(console::incidents::update)),
        ("/console/incidents/{id}/tasks", Group::Console, post(console::incidents::add_task)),
        ("/console/incidents/{id}/tasks/{task_id}/done", Group::Console, post(console::incidents::task_done)),
        ("/console/incidents/{id}/observables", Group::Console, post(console::incidents::add_observable)),
        ("/console/incidents/{id}/notes", Group::Console, post(console::incidents::add_note)),
        ("/console/incidents/{id}/alerts", Group::Console, post(console::incidents::link_alert)),
        ("/console/incidents/{id}/events", Group::Console, post(console::incidents::link_event)),
        ("/console/incidents/{id}/tenants", Group::Console, post(console::incidents::add_tenant)),
        (
            "/console/alerts/{id}/incident",
            Group::Console,
            get(console::incidents::alert_incident_form).post(console::incidents::attach_alert),
        ),
        ("/console/incidents/{id}/evidence", Group::EvidenceConsole, post(console::incidents::upload_evidence)),
        ("/console/evidence/{id}", Group::EvidenceConsole, get(console::incidents::download_evidence)),
        // Affected services, the public status page and notification settings (feat/status).
        ("/api/v1/incidents/{id}/services", Group::Api, get(api_status::list_services).post(api_status::set_service)),
        ("/api/v1/me/notifications", Group::Api, get(api_status::get_notifications).put(api_status::put_notifications)),
        (
            "/console/incidents/{id}/services",
            Group::Console,
            get(console::status::incident_services).post(console::status::incident_services_submit),
        ),
        ("/console/settings", Group::Console, get(console::status::settings).post(console::status::settings_submit)),
        ("/status/{tenant_slug}", Group::Console, get(console::status::public_status)),
        ("/assets/status.css", Group::Assets, get(console::assets::status_css)),
    ]
}

/// The paths [`router`] serves that the OpenAPI document describes (all but the console pages
/// and assets), for tests that compare the two.
#[doc(hidden)]
pub fn route_paths() -> Vec<&'static str> {
    route_table().into_iter().filter(|(_, g, _)| g.documented()).map(|(p, _, _)| p).collect()
}

/// The console's page and asset paths, for tests.
#[doc(hidden)]
pub fn console_paths() -> Vec<&'static str> {
    route_table().into_iter().filter(|(_, g, _)| !g.documented()).map(|(p, _, _)| p).collect()
}

/// The whole HTTP surface of `wardwatch serve`. Serve it with connect info (see the crate docs).
pub fn router(state: AppState) -> Router {
    let m = WebMetrics {
        ingest_docs: state.metrics.counter(
            "wardwatch_http_ingest_documents_total",
            "Documents accepted by the HTTP ingest and _bulk endpoints",
            &[],
        ),
        ingest_queue_full: state.metrics.counter(
            "wardwatch_http_ingest_queue_full_total",
            "HTTP ingest requests refused with 429 because the intake queue stayed full",
            &[],
        ),
        login_failures: state.metrics.counter("wardwatch_login_failures_total", "Failed login attempts", &[]),
    };
    let cfg = state.config.clone();
    let ctx: Ctx = Arc::new(Inner { dummy_hash: hash_password("wardwatch-dummy-password"), app: state, m });

    let (mut api, mut ingest, mut elastic) = (Router::new(), Router::new(), Router::new());
    let (mut pages, mut assets) = (Router::new(), Router::new());
    let (mut evidence_api, mut evidence_console) = (Router::new(), Router::new());
    for (path, group, handlers) in route_table() {
        match group {
            Group::Api => api = api.route(path, handlers),
            Group::Ingest => ingest = ingest.route(path, handlers),
            Group::Elastic => elastic = elastic.route(path, handlers),
            Group::Console => pages = pages.route(path, handlers),
            Group::Assets => assets = assets.route(path, handlers),
            Group::EvidenceApi => evidence_api = evidence_api.route(path, handlers),
            Group::EvidenceConsole => evidence_console = evidence_console.route(path, handlers),
        }
    }
    for (name, value) in console::security_headers() {
        pages = pages.layer(SetResponseHeaderLayer::overriding(name, value));
    }
    for (name, value) in console::security_headers() {
        evidence_console = evidence_console.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    let evidence = evidence_api.merge(evidence_console);
    let elastic = elastic.layer(SetResponseHeaderLayer::overriding(
        HeaderName::from_static("x-elastic-product"),
        HeaderValue::from_static("Elasticsearch"),
    ));
    // Ingest bodies may be gzip: the limit applies to the wire bytes here and to the decoded
    // bytes again when they are inflated.
    let big = cfg.ingest_body_limit;
    Router::new()
        .merge(api.merge(pages).merge(assets).layer(DefaultBodyLimit::max(cfg.api_body_limit)))
        .merge(ingest.merge(elastic).layer(DefaultBodyLimit::max(big)))
        .merge(evidence.layer(DefaultBodyLimit::max(service_incidents::EVIDENCE_BODY_LIMIT)))
        .fallback(|| async { ApiError::NotFound })
        .with_state(ctx)
        .layer(tower::limit::ConcurrencyLimitLayer::new(cfg.concurrency_limit.max(1)))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            cfg.request_timeout,
        ))
}
