//! Test wiring: a real SQLite store in a temp dir, the router served on 127.0.0.1:0, a
//! pipeline stand-in that drains the intake queue into the store and acknowledges, and a
//! small real `Control` holding a rule list.

#![allow(dead_code)]

mod browser;
#[allow(unused_imports)] // api.rs speaks JSON only
pub use browser::*;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use ww_ingest::{AckError, Intake, IntakeBatch};
use ww_store::sqlite::SqliteStore;
use ww_store::*;
use ww_web::*;

pub struct TestControl {
    pub rules: Vec<RuleInfo>,
    pub sources: Vec<SourceStatusView>,
    pub reloads: AtomicUsize,
}

#[async_trait]
impl Control for TestControl {
    fn rules(&self) -> Vec<RuleInfo> {
        self.rules.clone()
    }
    async fn reload_rules(&self) -> Result<ReloadReport, String> {
        self.reloads.fetch_add(1, Ordering::SeqCst);
        Ok(ReloadReport { loaded: self.rules.len(), skipped: 0 })
    }
    fn sources(&self) -> Vec<SourceStatusView> {
        self.sources.clone()
    }
    fn health(&self) -> HealthView {
        HealthView { status: "ok".into(), version: "test".into(), queue_depth: 0, store_ok: true }
    }
}

fn rule(id: &str) -> RuleInfo {
    RuleInfo {
        id: id.into(),
        title: format!("Rule {id}"),
        level: "high".into(),
        status: "stable".into(),
        tags: vec!["attack.t1110".into()],
        product: Some("linux".into()),
        category: None,
        service: Some("sshd".into()),
    }
}

fn source(tenant: &str, name: &str) -> SourceStatusView {
    SourceStatusView {
        tenant: tenant.into(),
        name: name.into(),
        kind: "syslog_udp".into(),
        listen: Some("0.0.0.0:514".into()),
        events_in: 10,
        dropped: 0,
        parse_failures: 1,
        connections: 0,
        last_event_at: None,
    }
}

/// One batch the pipeline stand-in received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub tenant_slug: String,
    pub source: String,
    pub docs: Vec<String>,
}

/// How the pipeline stand-in answers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Acking {
    Store,
    Fail,
}

pub struct Resp {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
}

#[derive(Clone)]
pub enum Auth {
    None,
    Bearer(String),
    Cookie(String),
    Header(&'static str, String),
}

/// Seeded identities and ids.
#[derive(Default)]
pub struct Fixture {
    pub a: Option<Tenant>,
    pub b: Option<Tenant>,
    pub ingest_a: String,
    pub ingest_b: String,
    pub api_a: String,
    pub event_a: i64,
    pub event_b: i64,
    pub alert_a: i64,
    pub alert_b: i64,
}

pub struct Harness {
    pub rt: Runtime,
    pub base: String,
    pub store: Arc<SqliteStore>,
    pub intake: Intake,
    pub control: Arc<TestControl>,
    rx: Mutex<Option<mpsc::Receiver<IntakeBatch>>>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub agent: ureq::Agent,
    pub fx: Fixture,
    _dir: tempfile::TempDir,
}

pub const PASSWORD: &str = "a long test passphrase";

impl Harness {
    pub fn new(config: WebConfig, queue: usize) -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(rt.block_on(SqliteStore::open_in(dir.path())).expect("open store"));
        let metrics = Arc::new(ww_metrics::Registry::new());
        let depth = metrics.gauge("wardwatch_intake_queue_depth", "Batches waiting", &[]);
        let (intake, rx) = Intake::new(queue, depth);
        let control = Arc::new(TestControl {
            rules: vec![rule("r-ssh"), rule("r-web")],
            sources: vec![source("council-a", "fw-a"), source("council-b", "fw-b")],
            reloads: AtomicUsize::new(0),
        });
        let policy = Arc::new(ww_respond::BreachPolicy::embedded().expect("embedded breach policy"));
        let state = AppState {
            store: store.clone(),
            intake: intake.clone(),
            metrics,
            control: control.clone(),
            config,
            policy,
        };
        let app = router(state);
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
        let addr = listener.local_addr().expect("addr");
        rt.spawn(async move {
            let _ = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await;
        });
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            // No pooling: after refusing an oversized upload the server closes the
            // connection without reading the body, and a reused pooled connection
            // then fails the next request with "Peer disconnected".
            .max_idle_connections(0)
            .build()
            .into();
        Harness {
            rt,
            base: format!("http://{addr}"),
            store,
            intake,
            control,
            rx: Mutex::new(Some(rx)),
            seen: Arc::new(Mutex::new(Vec::new())),
            agent,
            fx: Fixture::default(),
            _dir: dir,
        }
    }

    /// Starts the pipeline stand-in: each batch's documents become stored events, then the
    /// batch is acknowledged (or failed, per `acking`).
    pub fn run_pipeline(&self, acking: Acking) {
        let Some(mut rx) = self.rx.lock().expect("lock").take() else { return };
        let store = self.store.clone();
        let seen = self.seen.clone();
        let depth = self.intake.depth_gauge();
        self.rt.spawn(async move {
            while let Some(batch) = rx.recv().await {
                depth.add(-1);
                seen.lock().expect("lock").push(Seen {
                    tenant_slug: batch.source.tenant_slug.clone(),
                    source: batch.source.name.clone(),
                    docs: batch.records.iter().map(|r| String::from_utf8_lossy(&r.bytes).into_owned()).collect(),
                });
                let result = match acking {
                    Acking::Fail => Err(AckError::Store("disk full".into())),
                    Acking::Store => {
                        let first = store.next_event_id().await.expect("next id");
                        let events = batch
                            .records
                            .iter()
                            .enumerate()
                            .map(|(i, r)| NewEvent {
                                id: first + i as i64,
                                tenant: batch.source.tenant,
                                source: batch.source.name.clone(),
                                received_at: r.received_at,
                                time: r.received_at,
                                kind: "json".into(),
                                host: None,
                                src_ip: r.peer.map(|p| p.to_string()),
                                user: None,
                                raw: r.bytes.clone(),
                                fields_json: String::from_utf8_lossy(&r.bytes).into_owned(),
                                parse_error: None,
                            })
                            .collect();
                        let wb = WriteBatch { events, ..Default::default() };
                        store.write_batch(&wb).await.map_err(|e| AckError::Store(e.to_string()))
                    }
                };
                if let Some(ack) = batch.ack {
                    let _ = ack.send(result);
                }
            }
        });
    }

    pub fn take_seen(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().expect("lock"))
    }

    /// Two tenants, their users, tokens, one event and one alert each.
    pub fn seed(&mut self) {
        let store = self.store.clone();
        let fx = self.rt.block_on(async move {
            let a = store.create_tenant("council-a", "Council A").await.expect("tenant");
            let b = store.create_tenant("council-b", "Council B").await.expect("tenant");
            let hash = hash_password(PASSWORD);
            for (name, tenant, role) in [
                ("alice", Some(a.id), Some(Role::Admin)),
                ("anna", Some(a.id), Some(Role::Analyst)),
                ("rita", Some(a.id), Some(Role::ReadOnly)),
                ("bob", Some(b.id), Some(Role::Admin)),
                ("sam", None, None),
            ] {
                let svc = (name == "sam").then_some(ServiceRole::ServiceAdmin);
                let u = store.create_user(name, &hash, svc).await.expect("user");
                if let Some(t) = tenant {
                    store.set_membership(u.id, t, role).await.expect("membership");
                }
            }
            let token = |tenant: TenantId, purpose: TokenPurpose| NewToken {
                tenant,
                name: "t".into(),
                purpose,
                role: Role::Analyst,
                source: None,
                created_by: "test".into(),
                expires: None,
            };
            let (_, ingest_a) = issue_token(&*store, &token(a.id, TokenPurpose::Ingest)).await.expect("token");
            let (_, ingest_b) = issue_token(&*store, &token(b.id, TokenPurpose::Ingest)).await.expect("token");
            let (_, api_a) = issue_token(&*store, &token(a.id, TokenPurpose::Api)).await.expect("token");

            let first = store.next_event_id().await.expect("id");
            let now = chrono::Utc::now();
            let ev = |id: i64, t: TenantId, text: &str| NewEvent {
                id,
                tenant: t,
                source: "fw".into(),
                received_at: now,
                time: now,
                kind: "json".into(),
                host: Some("h1".into()),
                src_ip: Some("10.0.0.1".into()),
                user: None,
                raw: text.as_bytes().to_vec(),
                fields_json: format!("{{\"msg\":\"{text}\"}}"),
                parse_error: None,
            };
            let up = |t: TenantId, event: i64| AlertUpsert {
                key: AlertKey {
                    tenant: t,
                    rule_id: "r-ssh".into(),
                    entity_kind: EntityKind::SourceIp,
                    entity: "10.0.0.1".into(),
                    opened_by_event: event,
                },
                rule_title: "Rule r-ssh".into(),
                level: "high".into(),
                host: Some("h1".into()),
                first_seen: now,
                last_seen: now,
                count_delta: 1,
                samples: vec![event],
                score: 70,
                novel: true,
                score_reasons: vec!["level high".into()],
            };
            let wb = WriteBatch {
                events: vec![ev(first, a.id, "secret of council a"), ev(first + 1, b.id, "secret of council b")],
                alerts: vec![up(a.id, first), up(b.id, first + 1)],
                ..Default::default()
            };
            store.write_batch(&wb).await.expect("write");
            let alerts =
                store.list_alerts(&TenantScope::new(vec![a.id, b.id]), &AlertQuery::default()).await.expect("alerts");
            let alert_of = |t: TenantId| alerts.items.iter().find(|x| x.tenant == t).map(|x| x.id).expect("alert");
            Fixture {
                alert_a: alert_of(a.id),
                alert_b: alert_of(b.id),
                a: Some(a),
                b: Some(b),
                ingest_a,
                ingest_b,
                api_a,
                event_a: first,
                event_b: first + 1,
            }
        });
        self.fx = fx;
    }

    /// The response, or the transport error when the server closed the connection first (it
    /// may refuse an oversized body while the client is still sending it).
    pub fn try_request(
        &self,
        method: &str,
        path: &str,
        auth: &Auth,
        content_type: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<Resp, String> {
        let url = format!("{}{}", self.base, path);
        let mut req = ureq::http::Request::builder().method(method).uri(&url);
        match auth {
            Auth::None => {}
            Auth::Bearer(t) => req = req.header("Authorization", format!("Bearer {t}")),
            Auth::Cookie(c) => {
                req = req.header("Cookie", format!("ww_session={c}")).header("X-Requested-With", "wardwatch")
            }
            Auth::Header(k, v) => req = req.header(*k, v),
        }
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        let mut resp = match body {
            Some(b) => self.agent.run(req.body(b.to_vec()).expect("request")),
            None => self.agent.run(req.body(()).expect("request")),
        }
        .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = if method == "HEAD" { String::new() } else { resp.body_mut().read_to_string().unwrap_or_default() };
        Ok(Resp { status, headers, body })
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        auth: &Auth,
        content_type: Option<&str>,
        body: Option<&[u8]>,
    ) -> Resp {
        self.try_request(method, path, auth, content_type, body).expect("transport")
    }

    pub fn get(&self, path: &str, auth: &Auth) -> Resp {
        self.request("GET", path, auth, None, None)
    }

    pub fn post_json(&self, path: &str, auth: &Auth, body: serde_json::Value) -> Resp {
        let b = serde_json::to_vec(&body).expect("json");
        self.request("POST", path, auth, Some("application/json"), Some(&b))
    }

    /// Logs in and returns the session secret from the cookie.
    pub fn login(&self, user: &str) -> String {
        let r = self.request(
            "POST",
            "/api/v1/login",
            &Auth::Header("X-Requested-With", "wardwatch".into()),
            Some("application/json"),
            Some(serde_json::json!({"username": user, "password": PASSWORD}).to_string().as_bytes()),
        );
        assert_eq!(r.status, 200, "login {user}: {}", r.body);
        let cookie = r.header("set-cookie").expect("cookie");
        let v = cookie.split(';').next().and_then(|c| c.strip_prefix("ww_session=")).expect("session cookie");
        v.to_owned()
    }
}
