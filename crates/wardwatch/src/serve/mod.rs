//! `wardwatch serve`: wiring of intake, pipeline, store and HTTP. Each part lives in its own crate;
//! this module only builds them from the configuration, connects them and runs the housekeeping
//! loops (full-text indexing, retention, per-tenant rule switches, signals).

pub mod backend;
pub mod engine;
pub mod notify;
pub mod pipeline;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use arc_swap::ArcSwap;
use async_trait::async_trait;
use clap::Args;
use tokio::sync::watch;
use ww_detect::{Detector, DisabledRules};
use ww_ingest::{Intake, SourceInfo, StatusBoard};
use ww_metrics::Registry;
use ww_store::{Actor, AuditEntry, Retention, Store, StoreError, TenantId};

use crate::config::{Config, SourceType};
use backend::Backend;
use engine::Engine;

#[derive(Args, Clone, Default)]
pub struct ServeArgs {
    /// Configuration file (default: ./wardwatch.toml if present, else built-in defaults).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Data directory (overrides the configuration; default ./wardwatch-data).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// HTTP listen address (overrides the configuration; default 127.0.0.1:8080).
    #[arg(long)]
    pub http: Option<SocketAddr>,
    /// Extra Sigma rule files or directories (added to the configured ones).
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
}

impl ServeArgs {
    pub fn config(&self) -> anyhow::Result<Config> {
        let mut cfg = Config::load(self.config.as_deref())?;
        if let Some(d) = &self.data_dir {
            cfg.data_dir = d.clone();
        }
        if let Some(h) = self.http {
            cfg.http.listen = h;
        }
        cfg.rules.paths.extend(self.rules.iter().cloned());
        Ok(cfg)
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<u8> {
    let cfg = args.config()?;
    crate::logging::init();
    let rt = runtime()?;
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let running = start(cfg, handle).await?;
        running.wait_for_signals().await;
        running.shutdown().await;
        anyhow::Ok(())
    })?;
    Ok(0)
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_name("ww-io").enable_all().build()?)
}

/// Opens (creating and migrating) the configured store.
pub async fn open_store(cfg: &Config) -> anyhow::Result<Backend> {
    Backend::open(cfg).await
}

/// A started server: everything needed to stop it cleanly.
pub struct Running {
    pub http_addr: SocketAddr,
    pub store: Arc<dyn Store>,
    pub engine: Arc<Engine>,
    shutdown: watch::Sender<bool>,
    intake: Option<Intake>,
    pipeline: Option<pipeline::Pipeline>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Syslog/tailer listen addresses as bound (port 0 resolved), by source name.
    pub bound: Vec<(String, SocketAddr)>,
}

/// Starts everything; returns once every listener is bound.
pub async fn start(cfg: Config, runtime: tokio::runtime::Handle) -> anyhow::Result<Running> {
    let backend = open_store(&cfg).await?;
    let dyn_store: Arc<dyn Store> = backend.store();
    let tenants = ensure_tenants(&*dyn_store, &cfg).await?;
    bootstrap_admin(&*dyn_store, &cfg).await?;
    let policy = Arc::new(cfg.respond.load_policy()?);

    let rules_cfg = cfg.rules.clone();
    let engine = tokio::task::spawn_blocking(move || {
        Engine::load(rules_cfg.paths, rules_cfg.builtin_rules, rules_cfg.logsource_maps)
    })
    .await??;
    let engine = Arc::new(engine);
    let compiled = engine.snapshot();
    tracing::info!(rules = compiled.rules.len(), skipped = compiled.skipped, "rules loaded");

    let metrics = Arc::new(Registry::new());
    let window = chrono::Duration::seconds(i64::try_from(cfg.detect.window_secs).unwrap_or(900));
    let state = dyn_store.detector_state(chrono::Utc::now() - window).await?;
    let detector = Detector::new(cfg.detect.clone(), state.open_alerts, state.novelty);
    let disabled = Arc::new(ArcSwap::from_pointee(load_disabled(&*dyn_store).await?));

    let depth = metrics.gauge("ww_intake_queue_depth", "Batches waiting in the intake queue", &[]);
    let (intake, rx) = Intake::new(cfg.pipeline.queue_batches, depth.clone());
    let workers = if cfg.pipeline.workers == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        cfg.pipeline.workers
    };
    let next_id = dyn_store.next_event_id().await?;
    let pipeline = pipeline::start(
        rx,
        depth,
        engine.clone(),
        disabled.clone(),
        dyn_store.clone(),
        detector,
        next_id,
        metrics.clone(),
        runtime,
        pipeline::PipelineOptions { workers, max_commit_events: cfg.pipeline.max_commit_events },
    )?;

    let (shutdown, shutdown_rx) = watch::channel(false);
    let board = StatusBoard::new();
    let mut tasks = Vec::new();
    let mut bound = Vec::new();
    let checkpoints: std::collections::HashMap<String, String> =
        dyn_store.checkpoints().await?.into_iter().map(|c| (c.key, c.value)).collect();
    for src in &cfg.sources {
        let tenant = tenants.iter().find(|t| t.slug == src.tenant).context("tenant of a source")?;
        let info = Arc::new(SourceInfo {
            tenant: tenant.id,
            tenant_slug: tenant.slug.clone(),
            name: src.name.clone(),
            format: src.format.clone(),
        });
        let (task, addr) = listeners::start_source(src, info, &intake, &metrics, &board, &checkpoints, &shutdown_rx)
            .await
            .with_context(|| format!("source {:?}", src.name))?;
        if let Some(a) = addr {
            bound.push((src.name.clone(), a));
        }
        tasks.push(task);
    }

    let store_ok = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let control = Arc::new(ServeControl {
        store_ok: store_ok.clone(),
        engine: engine.clone(),
        board: board.clone(),
        intake: intake.clone(),
        tenants: tenants.clone(),
        store: dyn_store.clone(),
    });
    let web_cfg = ww_web::WebConfig {
        tls: cfg.http.behind_tls,
        ingest_body_limit: cfg.http.max_body_bytes,
        metrics_public_on_loopback: cfg.http.metrics_public_on_loopback,
        ..ww_web::WebConfig::default()
    };
    let app = ww_web::AppState {
        store: dyn_store.clone(),
        intake: intake.clone(),
        metrics: metrics.clone(),
        control,
        config: web_cfg,
        policy: policy.clone(),
    };
    let listener = tokio::net::TcpListener::bind(cfg.http.listen)
        .await
        .with_context(|| format!("cannot listen for HTTP on {}", cfg.http.listen))?;
    let http_addr = listener.local_addr()?;
    let router = ww_web::router(app);
    let mut stop = shutdown_rx.clone();
    tasks.push(tokio::spawn(async move {
        let served = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "HTTP server failed");
        }
    }));
    tracing::info!(%http_addr, data_dir = %cfg.data_dir.display(), "wardwatch serve is up");

    if cfg.notify.enabled {
        let notifier = notify::Notifier::new(&cfg.notify, dyn_store.clone(), policy.clone(), &metrics)?;
        let every = Duration::from_secs(cfg.notify.interval_secs.max(1));
        tasks.push(tokio::spawn(notifier.run(every, shutdown_rx.clone())));
    }

    tasks.push(tokio::spawn(housekeeping(
        backend,
        store_ok,
        disabled,
        Retention { max_age_days: cfg.store.retention_days, max_bytes: (cfg.store.retention_max_gb * 1e9) as u64 },
        metrics.clone(),
        shutdown_rx.clone(),
    )));

    Ok(Running {
        http_addr,
        store: dyn_store,
        engine,
        shutdown,
        intake: Some(intake),
        pipeline: Some(pipeline),
        tasks,
        bound,
    })
}

impl Running {
    /// Waits for SIGINT/SIGTERM; SIGHUP reloads the rules meanwhile.
    pub async fn wait_for_signals(&self) {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut hup), Ok(mut term), Ok(mut int)) =
            (signal(SignalKind::hangup()), signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
        else {
            tracing::error!("cannot install signal handlers; stop with SIGKILL");
            std::future::pending::<()>().await;
            return;
        };
        loop {
            tokio::select! {
                _ = hup.recv() => {
                    let engine = self.engine.clone();
                    match tokio::task::spawn_blocking(move || engine.reload()).await {
                        Ok(Ok(c)) => tracing::info!(rules = c.rules.len(), skipped = c.skipped, "rules reloaded on SIGHUP"),
                        Ok(Err(e)) => tracing::error!(error = %e, "rule reload failed; the old rules stay"),
                        Err(e) => tracing::error!(error = %e, "rule reload panicked; the old rules stay"),
                    }
                }
                _ = term.recv() => return,
                _ = int.recv() => return,
            }
        }
    }

    /// Stops intake, lets the pipeline drain what was accepted, and waits for it.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
        drop(self.intake.take());
        if let Some(p) = self.pipeline.take() {
            let _ = tokio::task::spawn_blocking(move || p.join()).await;
        }
        tracing::info!("wardwatch serve stopped");
    }
}

mod listeners {
    use super::*;
    use std::collections::HashMap;

    /// Binds and starts one configured source; returns its task and bound address.
    pub async fn start_source(
        src: &crate::config::SourceConfig,
        info: Arc<SourceInfo>,
        intake: &Intake,
        metrics: &Arc<Registry>,
        board: &StatusBoard,
        checkpoints: &HashMap<String, String>,
        shutdown: &watch::Receiver<bool>,
    ) -> anyhow::Result<(tokio::task::JoinHandle<()>, Option<SocketAddr>)> {
        let limits = ww_ingest::Limits::default();
        match src.kind {
            SourceType::SyslogUdp => {
                let addr = src.listen.context("listen")?;
                let socket =
                    tokio::net::UdpSocket::bind(addr).await.with_context(|| format!("cannot bind UDP {addr}"))?;
                let local = socket.local_addr()?;
                let stats = ww_ingest::SourceStats::register(metrics, &info, "syslog_udp", Some(local.to_string()));
                board.add(stats.clone());
                let fut = ww_ingest::syslog::serve_udp(socket, info, intake.clone(), limits, stats, shutdown.clone());
                let task = tokio::spawn(log_end(src.name.clone(), fut));
                Ok((task, Some(local)))
            }
            SourceType::SyslogTcp | SourceType::SyslogTls => {
                let addr = src.listen.context("listen")?;
                let tls = match (&src.tls_cert, &src.tls_key) {
                    (Some(c), Some(k)) if src.kind == SourceType::SyslogTls => {
                        Some(ww_ingest::tls::server_config(c, k).context("TLS certificate or key")?)
                    }
                    _ => None,
                };
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on TCP {addr}"))?;
                let local = listener.local_addr()?;
                let kind = if tls.is_some() { "syslog_tls" } else { "syslog_tcp" };
                let stats = ww_ingest::SourceStats::register(metrics, &info, kind, Some(local.to_string()));
                board.add(stats.clone());
                let fut =
                    ww_ingest::syslog::serve_tcp(listener, tls, info, intake.clone(), limits, stats, shutdown.clone());
                let task = tokio::spawn(log_end(src.name.clone(), fut));
                Ok((task, Some(local)))
            }
            SourceType::File => {
                let stats = ww_ingest::SourceStats::register(
                    metrics,
                    &info,
                    "file",
                    Some(src.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")),
                );
                board.add(stats.clone());
                let tailer = ww_ingest::tail::Tailer::new(
                    info,
                    src.paths.clone(),
                    intake.clone(),
                    stats,
                    ww_ingest::tail::TailOptions::default(),
                    checkpoints.clone(),
                );
                let task = tokio::spawn(tailer.run(shutdown.clone()));
                Ok((task, None))
            }
        }
    }
}

/// Runs a listener to its end and logs why it ended, if it failed.
async fn log_end<E: std::fmt::Display>(source: String, fut: impl std::future::Future<Output = Result<(), E>>) {
    if let Err(e) = fut.await {
        tracing::error!(source, error = %e, "listener stopped");
    }
}

async fn ensure_tenants(store: &dyn Store, cfg: &Config) -> anyhow::Result<Vec<ww_store::Tenant>> {
    for t in &cfg.tenants {
        match store.tenant_by_slug(&t.slug).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                let created = store.create_tenant(&t.slug, &t.name).await?;
                store
                    .audit(&AuditEntry {
                        at: chrono::Utc::now(),
                        actor: Actor::system(),
                        tenant: Some(created.id),
                        action: "tenant.create".into(),
                        target: format!("tenant:{}", created.slug),
                        detail: serde_json::json!({"via": "config"}),
                    })
                    .await?;
                tracing::info!(tenant = %t.slug, "tenant created from configuration");
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(store.tenants().await?)
}

/// On first start there is nobody to log in as: create `admin` (service admin) with a random
/// password written to `<data_dir>/initial-admin-password` (mode 0600), never to the log.
async fn bootstrap_admin(store: &dyn Store, cfg: &Config) -> anyhow::Result<()> {
    match store.user_by_name("admin").await {
        Ok(_) => return Ok(()),
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    let password = ww_web::generate_secret();
    let hash = ww_web::hash_password(&password);
    // The file first: an admin whose password was never written down could not log in.
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("cannot create data directory {}", cfg.data_dir.display()))?;
    let path = cfg.data_dir.join("initial-admin-password");
    write_private(&path, &format!("{password}\n"))?;
    store.create_user("admin", &hash, Some(ww_store::ServiceRole::ServiceAdmin)).await?;
    store
        .audit(&AuditEntry {
            at: chrono::Utc::now(),
            actor: Actor::system(),
            tenant: None,
            action: "user.create".into(),
            target: "user:admin".into(),
            detail: serde_json::json!({"via": "first start"}),
        })
        .await?;
    tracing::info!(path = %path.display(), "created user admin; its password is in this file");
    Ok(())
}

/// Writes a file only its owner can read (passwords for the first admin and the demo user).
pub(crate) fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

async fn load_disabled(store: &dyn Store) -> anyhow::Result<DisabledRules> {
    let mut d = DisabledRules::new();
    for (tenant, rule) in store.disabled_rules().await? {
        d.disable(tenant, &rule);
    }
    Ok(d)
}

/// Background upkeep: pick up per-tenant rule switches made through the API, probe the store
/// for health, and apply retention hourly.
async fn housekeeping(
    store: Backend,
    store_ok: Arc<std::sync::atomic::AtomicBool>,
    disabled: Arc<ArcSwap<DisabledRules>>,
    retention: Retention,
    metrics: Arc<Registry>,
    mut shutdown: watch::Receiver<bool>,
) {
    let retained = metrics.counter("ww_retention_deleted_total", "Events deleted by retention", &[]);
    let mut last_retention = std::time::Instant::now() - Duration::from_secs(3600);
    let mut last_rules = std::time::Instant::now();
    loop {
        if *shutdown.borrow() {
            return;
        }
        if last_rules.elapsed() >= Duration::from_secs(2) {
            last_rules = std::time::Instant::now();
            match load_disabled(&*store.store()).await {
                Ok(d) => disabled.store(Arc::new(d)),
                Err(e) => tracing::warn!(error = %e, "cannot refresh disabled rules"),
            }
            // A cheap probe (not `stats()`, whose counts scan the events table); health reports
            // what it last saw.
            match store.probe().await {
                Ok(()) => store_ok.store(true, std::sync::atomic::Ordering::Relaxed),
                Err(e) => {
                    tracing::warn!(error = %e, "store health probe failed");
                    store_ok.store(false, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
        if last_retention.elapsed() >= Duration::from_secs(3600) {
            last_retention = std::time::Instant::now();
            match store.store().apply_retention(chrono::Utc::now(), &retention).await {
                Ok(n) => retained.add(n),
                Err(e) => tracing::warn!(error = %e, "retention failed; will retry"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// What the web layer asks of the running server.
struct ServeControl {
    store_ok: Arc<std::sync::atomic::AtomicBool>,
    engine: Arc<Engine>,
    board: StatusBoard,
    intake: Intake,
    tenants: Vec<ww_store::Tenant>,
    store: Arc<dyn Store>,
}

#[async_trait]
impl ww_web::Control for ServeControl {
    fn rules(&self) -> Vec<ww_web::RuleInfo> {
        let c = self.engine.snapshot();
        c.rules
            .metas()
            .iter()
            .zip(&c.ids)
            .map(|(m, id)| ww_web::RuleInfo {
                id: id.clone(),
                title: m.title.clone(),
                level: m.level.as_str().into(),
                status: m.status.map_or("", |s| s.as_str()).into(),
                tags: m.tags.clone(),
                product: m.product.clone(),
                category: m.category.clone(),
                service: m.service.clone(),
            })
            .collect()
    }

    async fn reload_rules(&self) -> Result<ww_web::ReloadReport, String> {
        let engine = self.engine.clone();
        match tokio::task::spawn_blocking(move || engine.reload()).await {
            Ok(Ok(c)) => {
                let _ = self
                    .store
                    .audit(&AuditEntry {
                        at: chrono::Utc::now(),
                        actor: Actor::system(),
                        tenant: None,
                        action: "rules.reloaded".into(),
                        target: format!("rules:{}", c.rules.len()),
                        detail: serde_json::json!({"loaded": c.rules.len(), "skipped": c.skipped}),
                    })
                    .await;
                Ok(ww_web::ReloadReport { loaded: c.rules.len(), skipped: c.skipped })
            }
            Ok(Err(e)) => Err(format!("{e:#}")),
            Err(_) => Err("rule reload failed".into()),
        }
    }

    fn sources(&self) -> Vec<ww_web::SourceStatusView> {
        self.board
            .list(None)
            .into_iter()
            .map(|s| ww_web::SourceStatusView {
                tenant: self.slug(s.tenant),
                name: s.name,
                kind: s.kind,
                listen: s.listen,
                events_in: s.events_in,
                dropped: s.dropped,
                parse_failures: 0,
                connections: u64::try_from(s.connections).unwrap_or(0),
                last_event_at: s.last_event_at,
            })
            .collect()
    }

    fn health(&self) -> ww_web::HealthView {
        let store_ok = self.store_ok.load(std::sync::atomic::Ordering::Relaxed);
        ww_web::HealthView {
            status: if store_ok { "ok" } else { "degraded: the store is not answering" }.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            queue_depth: self.intake.depth(),
            store_ok,
        }
    }
}

impl ServeControl {
    fn slug(&self, t: TenantId) -> String {
        self.tenants.iter().find(|x| x.id == t).map_or_else(|| t.to_string(), |x| x.slug.clone())
    }
}
