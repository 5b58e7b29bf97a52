//! `wardwatch demo`: a synthetic day at a council replayed through the real intake protocols
//! (syslog over TCP and the Elasticsearch `_bulk` API), into an embedded server it starts, or into
//! a running one (`--server`). The serious alerts are printed as they appear. The same replay is
//! the load generator of the server benchmark (`scripts/bench-serve.sh`).

use std::collections::HashSet;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use ww_demo::{DemoConfig, DemoRecord, Transport};
use ww_store::{AlertQuery, NewToken, Role, Store, TenantScope, TokenPurpose};

use crate::config::{Config, SourceConfig, SourceType, TenantConfig};

#[derive(Args, Clone)]
pub struct DemoArgs {
    /// Events to replay (a mid-size council sends 2-5 million a day).
    #[arg(long, default_value_t = 60_000)]
    pub events: u64,
    /// Events per second; 0 sends as fast as the server accepts.
    #[arg(long, default_value_t = 10_000)]
    pub rate: u64,
    /// Seed of the synthetic day (the same seed gives the same day).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Parallel syslog TCP connections.
    #[arg(long, default_value_t = 1)]
    pub connections: usize,
    /// Send the Windows events as JSON lines over syslog TCP too, instead of `_bulk`.
    #[arg(long)]
    pub syslog_only: bool,
    /// Replay into a running server at this base URL (e.g. http://127.0.0.1:8080) instead of
    /// starting one; needs --syslog and --token.
    #[arg(long)]
    pub server: Option<String>,
    /// Syslog TCP address of the running server.
    #[arg(long)]
    pub syslog: Option<SocketAddr>,
    /// Ingest token for the running server's `_bulk` endpoint.
    #[arg(long, env = "WARDWATCH_INGEST_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Data directory of the embedded server.
    #[arg(long, default_value = "wardwatch-demo")]
    pub data_dir: PathBuf,
    /// HTTP address of the embedded server.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub http: SocketAddr,
    /// Extra Sigma rules for the embedded server (e.g. SigmaHQ's rules/ folder).
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    /// Keep the embedded server running after the replay (stop with Ctrl-C).
    #[arg(long)]
    pub keep_serving: bool,
    /// Print replay statistics as JSON at the end.
    #[arg(long)]
    pub stats: bool,
}

const TENANT: &str = "wardshire";

pub fn run(args: DemoArgs) -> anyhow::Result<u8> {
    if args.server.is_some() {
        return run_external(&args);
    }
    crate::logging::init_quiet();
    let rt = crate::serve::runtime()?;
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let cfg = demo_config(&args);
        let running = crate::serve::start(cfg, handle).await?;
        let store: Arc<dyn Store> = running.store.clone();
        let tenant = store.tenant_by_slug(TENANT).await?;
        let (user_line, token) = demo_credentials(&*store, tenant.id, &args.data_dir).await?;
        let syslog = running.bound.iter().find(|(n, _)| n == "demo-syslog").map(|(_, a)| *a).context("syslog")?;
        let base = format!("http://{}", running.http_addr);
        println!("wardwatch demo: a synthetic day at Wardshire District Council");
        println!("  console {base}/console/   ({user_line})");
        println!("  server  {base}   (API: {base}/api/v1/openapi.json, metrics: {base}/metrics)");
        println!(
            "  replaying {} events at {}/s over syslog TCP and the _bulk API\n",
            args.events,
            rate_text(args.rate)
        );

        let done = Arc::new(AtomicBool::new(false));
        let watcher = tokio::spawn(watch_alerts(store.clone(), tenant.id, done.clone()));
        let replay_args = args.clone();
        let bulk_url = format!("{base}/_bulk");
        let stats = tokio::task::spawn_blocking(move || replay(&replay_args, syslog, &bulk_url, &token)).await??;
        wait_until_stored(&*store, tenant.id, stats.sent).await;
        done.store(true, Ordering::Relaxed);
        let _ = watcher.await;
        summary(&*store, tenant.id, &stats).await?;
        if args.stats {
            println!("{}", serde_json::to_string(&stats.json())?);
        }
        if args.keep_serving {
            println!("\nThe console is open at {base}/console/ ({user_line}); Ctrl-C stops the server.");
            running.wait_for_signals().await;
        }
        running.shutdown().await;
        anyhow::Ok(())
    })?;
    Ok(0)
}

fn rate_text(rate: u64) -> String {
    if rate == 0 { "full speed".into() } else { rate.to_string() }
}

fn demo_config(args: &DemoArgs) -> Config {
    let mut cfg = Config { data_dir: args.data_dir.clone(), ..Config::default() };
    cfg.http.listen = if port_free(args.http) {
        args.http
    } else {
        // Something (perhaps a real wardwatch) holds the port: take any free one, it is printed.
        SocketAddr::new(args.http.ip(), 0)
    };
    cfg.rules.paths = args.rules.clone();
    cfg.tenants.push(TenantConfig { slug: TENANT.into(), name: "Wardshire District Council".into() });
    cfg.sources.push(SourceConfig {
        name: "demo-syslog".into(),
        tenant: TENANT.into(),
        kind: SourceType::SyslogTcp,
        listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        format: "auto".into(),
        tls_cert: None,
        tls_key: None,
        paths: Vec::new(),
    });
    cfg
}

fn port_free(addr: SocketAddr) -> bool {
    std::net::TcpListener::bind(addr).is_ok()
}

/// A `demo` analyst and an ingest token for the replay, created on first use. The analyst's
/// password is kept in `<data dir>/demo-password` (owner-only) so that later runs can show it.
async fn demo_credentials(
    store: &dyn Store,
    tenant: ww_store::TenantId,
    data_dir: &std::path::Path,
) -> anyhow::Result<(String, String)> {
    let saved = data_dir.join("demo-password");
    let line = match store.user_by_name("demo").await {
        Ok(_) => match std::fs::read_to_string(&saved) {
            Ok(p) => format!("sign in as demo / {}", p.trim()),
            Err(_) => "sign in as demo (password printed when the demo first ran)".to_owned(),
        },
        Err(ww_store::StoreError::NotFound) => {
            let password = ww_web::generate_secret();
            let u = store.create_user("demo", &ww_web::hash_password(&password), None).await?;
            store.set_membership(u.id, tenant, Some(Role::Analyst)).await?;
            crate::serve::write_private(&saved, &password)?;
            format!("sign in as demo / {password}")
        }
        Err(e) => return Err(e.into()),
    };
    let new = NewToken {
        tenant,
        name: "demo replay".into(),
        purpose: TokenPurpose::Ingest,
        role: Role::ReadOnly,
        source: Some("winlogbeat".into()),
        created_by: "system".into(),
        expires: None,
    };
    let (_, token) = ww_web::issue_token(store, &new).await?;
    Ok((line, token))
}

#[derive(Debug, Default)]
struct ReplayStats {
    sent: u64,
    syslog: u64,
    bulk: u64,
    elapsed: Duration,
}

impl ReplayStats {
    fn json(&self) -> serde_json::Value {
        let secs = self.elapsed.as_secs_f64();
        serde_json::json!({
            "sent": self.sent, "syslog": self.syslog, "bulk": self.bulk,
            "seconds": secs, "events_per_second": if secs > 0.0 { self.sent as f64 / secs } else { 0.0 },
        })
    }
}

fn run_external(args: &DemoArgs) -> anyhow::Result<u8> {
    let base = args.server.as_deref().unwrap_or_default().trim_end_matches('/');
    let syslog = args.syslog.context("--server needs --syslog HOST:PORT")?;
    let token = match (&args.token, args.syslog_only) {
        (Some(t), _) => t.clone(),
        (None, true) => String::new(),
        (None, false) => bail!("--server needs --token (an ingest token) unless --syslog-only"),
    };
    let stats = replay(args, syslog, &format!("{base}/_bulk"), &token)?;
    eprintln!(
        "sent {} events ({} syslog, {} bulk) in {:.1} s: {:.0} events/s",
        stats.sent,
        stats.syslog,
        stats.bulk,
        stats.elapsed.as_secs_f64(),
        stats.sent as f64 / stats.elapsed.as_secs_f64().max(1e-9)
    );
    if args.stats {
        println!("{}", serde_json::to_string(&stats.json())?);
    }
    Ok(0)
}

/// Sends the generated day: syslog records round-robin over `connections` TCP connections
/// (octet-counted framing), Windows documents in `_bulk` requests of 500, paced to `rate`.
fn replay(args: &DemoArgs, syslog: SocketAddr, bulk_url: &str, token: &str) -> anyhow::Result<ReplayStats> {
    // The day ends now, so the replayed events read as the last 24 hours.
    let cfg = DemoConfig::new(args.seed, chrono::Utc::now() - chrono::Duration::hours(24), args.events);
    let conns = args.connections.max(1);
    let mut senders = Vec::with_capacity(conns);
    for _ in 0..conns {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(64);
        let mut stream = TcpStream::connect(syslog).with_context(|| format!("cannot connect to syslog {syslog}"))?;
        stream.set_nodelay(true)?;
        let handle = std::thread::spawn(move || -> std::io::Result<()> {
            for chunk in rx {
                stream.write_all(&chunk)?;
            }
            stream.flush()?;
            Ok(())
        });
        senders.push((tx, handle));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let started = Instant::now();
    let mut stats = ReplayStats::default();
    let mut chunks: Vec<Vec<u8>> = vec![Vec::with_capacity(256 * 1024); conns];
    let mut bulk = String::new();
    let mut bulk_docs = 0;
    let mut next_conn = 0;
    for DemoRecord { channel, bytes, .. } in ww_demo::generate(cfg) {
        let via_bulk = channel.transport() == Transport::Bulk && !args.syslog_only;
        if via_bulk {
            bulk.push_str("{\"index\":{\"_index\":\"winlogbeat-8.11.0\"}}\n");
            bulk.push_str(&String::from_utf8_lossy(&bytes));
            bulk.push('\n');
            bulk_docs += 1;
            stats.bulk += 1;
            if bulk_docs == 500 {
                post_bulk(&agent, bulk_url, token, &bulk)?;
                bulk.clear();
                bulk_docs = 0;
            }
        } else {
            let chunk = &mut chunks[next_conn];
            if bytes.first() == Some(&b'<') {
                // RFC 6587 octet counting: "<length> <message>".
                write!(chunk, "{} ", bytes.len())?;
                chunk.extend_from_slice(&bytes);
            } else {
                // A PRI-less record (a Windows JSON document with --syslog-only): receivers take
                // a count as octet counting only before a `<`, so send it newline-framed.
                chunk.extend(bytes.iter().map(|&b| if b == b'\n' { b' ' } else { b }));
                chunk.push(b'\n');
            }
            stats.syslog += 1;
            if chunk.len() >= 128 * 1024 {
                let full = std::mem::replace(chunk, Vec::with_capacity(256 * 1024));
                senders[next_conn].0.send(full).context("syslog connection closed")?;
                next_conn = (next_conn + 1) % conns;
            }
        }
        stats.sent += 1;
        if args.rate > 0 && stats.sent % 500 == 0 {
            let due = Duration::from_secs_f64(stats.sent as f64 / args.rate as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                // Flush what is pending so that paced events arrive when they are "sent".
                for (i, c) in chunks.iter_mut().enumerate() {
                    if !c.is_empty() {
                        senders[i].0.send(std::mem::take(c)).context("syslog connection closed")?;
                    }
                }
                std::thread::sleep(wait);
            }
        }
    }
    if bulk_docs > 0 {
        post_bulk(&agent, bulk_url, token, &bulk)?;
    }
    for (i, c) in chunks.into_iter().enumerate() {
        if !c.is_empty() {
            senders[i].0.send(c).context("syslog connection closed")?;
        }
    }
    for (tx, handle) in senders {
        drop(tx);
        match handle.join() {
            Ok(r) => r.context("syslog connection")?,
            Err(_) => bail!("a syslog sender thread panicked"),
        }
    }
    stats.elapsed = started.elapsed();
    Ok(stats)
}

fn post_bulk(agent: &ureq::Agent, url: &str, token: &str, body: &str) -> anyhow::Result<()> {
    loop {
        let resp = agent
            .post(url)
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/x-ndjson")
            .send(body.as_bytes())
            .with_context(|| format!("POST {url}"))?;
        match resp.status().as_u16() {
            200 => return Ok(()),
            429 | 503 => std::thread::sleep(Duration::from_millis(200)),
            s => bail!("the server refused a _bulk request: HTTP {s}"),
        }
    }
}

async fn wait_until_stored(store: &dyn Store, tenant: ww_store::TenantId, sent: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let _ = tenant;
    while Instant::now() < deadline {
        if let Ok(s) = store.stats().await
            && s.events >= sent
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Prints each serious alert (score 60+) once, as it appears.
async fn watch_alerts(store: Arc<dyn Store>, tenant: ww_store::TenantId, done: Arc<AtomicBool>) {
    let scope = TenantScope::one(tenant);
    let mut shown = HashSet::new();
    loop {
        let finished = done.load(Ordering::Relaxed);
        let q = AlertQuery { min_score: Some(60), limit: 200, ..AlertQuery::default() };
        if let Ok(page) = store.list_alerts(&scope, &q).await {
            let mut fresh: Vec<_> = page.items.into_iter().filter(|a| !shown.contains(&a.id)).collect();
            fresh.sort_by_key(|a| a.first_seen);
            for a in fresh {
                shown.insert(a.id);
                println!(
                    "  ALERT  score {:>3}  {:<13} {:<55} {} {}",
                    a.score,
                    a.level,
                    truncate(&a.rule_title, 55),
                    a.entity_kind.as_str(),
                    if a.entity.is_empty() { "-" } else { &a.entity }
                );
            }
        }
        if finished {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { s.chars().take(n - 1).chain(['…']).collect() }
}

async fn summary(store: &dyn Store, tenant: ww_store::TenantId, stats: &ReplayStats) -> anyhow::Result<()> {
    let scope = TenantScope::one(tenant);
    let mut alerts = Vec::new();
    let mut q = AlertQuery { limit: 1000, ..AlertQuery::default() };
    loop {
        let page = store.list_alerts(&scope, &q).await?;
        alerts.extend(page.items);
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    let s = store.stats().await?;
    let serious = alerts.iter().filter(|a| a.score >= 60).count();
    let matches: u64 = alerts.iter().map(|a| a.count).sum();
    println!(
        "\nReplayed {} events in {:.1} s ({} over syslog, {} over _bulk); {} stored.",
        stats.sent,
        stats.elapsed.as_secs_f64(),
        stats.syslog,
        stats.bulk,
        s.events
    );
    println!(
        "{} rule matches became {} open alerts, of which {} are serious (score 60 or more).",
        matches,
        alerts.len(),
        serious
    );
    Ok(())
}
