//! The path from the intake queue to the store:
//!
//! ```text
//! Intake (bounded) ─▶ gather thread ─▶ N parse+match workers ─▶ writer thread ─▶ Store
//!                     (groups batches)  (pure CPU, no async)     (aggregation, one
//!                                                                 transaction, then acks)
//! ```
//!
//! CPU work runs on plain threads, never inside async tasks. Every queue between stages is
//! bounded, so a slow store backs up to the intake queue and from there to the senders (TCP stops
//! reading, HTTP answers 429/503): memory stays bounded however large the backlog. A batch is
//! acknowledged only after the transaction holding its events, the alerts they raised and any
//! tailing checkpoint has committed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, bounded};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use ww_core::alert::TenantId;
use ww_core::time::Timestamp;
use ww_detect::{Detector, DisabledRules, Promoted};
use ww_ingest::{Ack, AckError, IntakeBatch, SourceInfo};
use ww_metrics::{Counter, Histogram, LATENCY_BUCKETS, Registry};
use ww_parse::record::{RecordFormat, parse_record};
use ww_sigma::RuleIdx;
use ww_store::{Checkpoint, NewEvent, Store, WriteBatch};

use super::engine::{Compiled, Engine};

pub struct PipelineOptions {
    pub workers: usize,
    pub max_commit_events: usize,
}

/// Batches grouped for one worker.
struct Work {
    batches: Vec<IntakeBatch>,
}

/// What a batch's acknowledgement needs once its events are durable.
struct Pending {
    source: Arc<SourceInfo>,
    ack: Option<Ack>,
    checkpoint: Option<Checkpoint>,
    enqueued: Instant,
    events: usize,
    parse_failures: usize,
    /// Oldest receive time in the batch when its group raised alerts, for detection latency.
    received_at: Option<Timestamp>,
}

/// One rule match, located by index in `Processed::events`.
struct Hit {
    event: usize,
    rule: RuleIdx,
    promoted: Promoted,
}

/// A parsed and matched group of batches, waiting to be written.
struct Processed {
    pending: Vec<Pending>,
    events: Vec<NewEvent>,
    hits: Vec<Hit>,
    rules: Arc<Compiled>,
}

/// Running pipeline threads; dropping the intake senders drains and stops them.
pub struct Pipeline {
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Pipeline {
    /// Waits until every stage has drained and stopped (after all intake senders are gone).
    pub fn join(self) {
        for t in self.threads {
            let _ = t.join();
        }
    }
}

struct Metrics {
    registry: Arc<Registry>,
    commit_seconds: Arc<Histogram>,
    ack_latency: Arc<Histogram>,
    detection_latency: Arc<Histogram>,
    alerts_written: Arc<Counter>,
    store_errors: Arc<Counter>,
    per_source: HashMap<(TenantId, String), (Arc<Counter>, Arc<Counter>)>,
}

impl Metrics {
    fn source(&mut self, src: &SourceInfo) -> &(Arc<Counter>, Arc<Counter>) {
        let registry = &self.registry;
        self.per_source.entry((src.tenant, src.name.clone())).or_insert_with(|| {
            let labels = [("tenant", src.tenant_slug.as_str()), ("source", src.name.as_str())];
            (
                registry.counter("ww_events_stored_total", "Events durably stored, per source", &labels),
                registry.counter("ww_parse_failures_total", "Records kept raw because they did not parse", &labels),
            )
        })
    }
}

#[allow(clippy::too_many_arguments)]
pub fn start(
    rx: mpsc::Receiver<IntakeBatch>,
    depth: Arc<ww_metrics::Gauge>,
    engine: Arc<Engine>,
    disabled: Arc<arc_swap::ArcSwap<DisabledRules>>,
    store: Arc<dyn Store>,
    detector: Detector,
    next_id: i64,
    registry: Arc<Registry>,
    runtime: Handle,
    opts: PipelineOptions,
) -> anyhow::Result<Pipeline> {
    let workers = opts.workers.max(1);
    let (work_tx, work_rx) = bounded::<Work>(workers * 2);
    let (done_tx, done_rx) = bounded::<Processed>(workers * 2);
    let metrics = Metrics {
        commit_seconds: registry.histogram(
            "ww_store_commit_seconds",
            "Time to commit one batch transaction",
            &[],
            LATENCY_BUCKETS,
        ),
        ack_latency: registry.histogram(
            "ww_ingest_ack_latency_seconds",
            "From entering the intake queue to durable acknowledgement",
            &[],
            LATENCY_BUCKETS,
        ),
        detection_latency: registry.histogram(
            "ww_detection_latency_seconds",
            "From receiving an event to its alert being stored",
            &[],
            LATENCY_BUCKETS,
        ),
        alerts_written: registry.counter("ww_alert_updates_total", "Alert creations and updates stored", &[]),
        store_errors: registry.counter("ww_store_errors_total", "Batches the store failed to write", &[]),
        per_source: HashMap::new(),
        registry,
    };
    let mut threads = Vec::new();
    let max_events = opts.max_commit_events.max(1);
    threads.push(
        std::thread::Builder::new().name("ww-gather".into()).spawn(move || gather(rx, depth, work_tx, max_events))?,
    );
    for i in 0..workers {
        let work_rx = work_rx.clone();
        let done_tx = done_tx.clone();
        let engine = engine.clone();
        let disabled = disabled.clone();
        threads.push(
            std::thread::Builder::new()
                .name(format!("ww-match-{i}"))
                .spawn(move || worker(work_rx, done_tx, engine, disabled))?,
        );
    }
    drop(done_tx);
    threads.push(std::thread::Builder::new().name("ww-writer".into()).spawn(move || {
        writer(done_rx, store, detector, next_id, metrics, runtime, max_events);
    })?);
    Ok(Pipeline { threads })
}

/// Takes batches off the intake queue and groups what is already waiting, so that one worker
/// call (and later one transaction) covers many small batches.
fn gather(mut rx: mpsc::Receiver<IntakeBatch>, depth: Arc<ww_metrics::Gauge>, out: Sender<Work>, max_events: usize) {
    while let Some(first) = rx.blocking_recv() {
        let mut n = first.records.len();
        let mut batches = vec![first];
        while n < max_events / 4 {
            match rx.try_recv() {
                Ok(b) => {
                    n += b.records.len();
                    batches.push(b);
                }
                Err(_) => break,
            }
        }
        depth.add(-(batches.len() as i64));
        if out.send(Work { batches }).is_err() {
            return;
        }
    }
}

fn worker(
    rx: Receiver<Work>,
    out: Sender<Processed>,
    engine: Arc<Engine>,
    disabled: Arc<arc_swap::ArcSwap<DisabledRules>>,
) {
    let mut scratch_for: Option<(u64, ww_sigma::Scratch)> = None;
    let mut matched = Vec::new();
    while let Ok(work) = rx.recv() {
        let rules = engine.snapshot();
        let disabled = disabled.load();
        let scratch = match &mut scratch_for {
            Some((g, s)) if *g == rules.generation => s,
            _ => &mut scratch_for.insert((rules.generation, rules.rules.scratch())).1,
        };
        let total: usize = work.batches.iter().map(|b| b.records.len()).sum();
        let mut events = Vec::with_capacity(total);
        let mut hits = Vec::new();
        let mut pending = Vec::with_capacity(work.batches.len());
        for batch in work.batches {
            let format = batch.source.format.parse::<RecordFormat>().unwrap_or(RecordFormat::Auto);
            let mut failures = 0;
            let mut oldest: Option<Timestamp> = None;
            let n_records = batch.records.len();
            for rec in batch.records {
                oldest = Some(oldest.map_or(rec.received_at, |o| o.min(rec.received_at)));
                let parsed =
                    parse_record(format, &rec.bytes, rec.received_at, rec.context.as_deref(), &batch.source.name);
                let event = parsed.event;
                if parsed.error.is_some() {
                    failures += 1;
                }
                let promoted = ww_detect::entity::promoted(&event);
                matched.clear();
                rules.rules.matches(&event, scratch, &mut matched);
                let idx = events.len();
                for &rule in &matched {
                    // Sigma: informational rules enrich events and must not raise alerts.
                    if rules.rules.meta(rule).level == ww_sigma::Level::Informational {
                        continue;
                    }
                    if disabled.is_enabled(batch.source.tenant, &rules.ids[rule.0 as usize]) {
                        hits.push(Hit { event: idx, rule, promoted: promoted.clone() });
                    }
                }
                let fields_json = serde_json::to_string(&event.fields).unwrap_or_else(|_| "{}".into());
                events.push(NewEvent {
                    id: 0,
                    tenant: batch.source.tenant,
                    source: batch.source.name.clone(),
                    received_at: rec.received_at,
                    time: event.time.unwrap_or(rec.received_at),
                    kind: if parsed.error.is_some() && event.fields.is_empty() {
                        "raw".into()
                    } else {
                        event.kind.name().into()
                    },
                    host: promoted.host,
                    src_ip: promoted.src_ip,
                    user: promoted.user,
                    // Moved, not copied: the record is not needed once parsed.
                    raw: rec.bytes,
                    fields_json,
                    parse_error: parsed.error,
                });
            }
            pending.push(Pending {
                source: batch.source,
                ack: batch.ack,
                checkpoint: batch.checkpoint.map(|c| Checkpoint { key: c.key, value: c.value }),
                enqueued: batch.enqueued,
                events: n_records,
                parse_failures: failures,
                received_at: oldest,
            });
        }
        if out.send(Processed { pending, events, hits, rules: rules.clone() }).is_err() {
            return;
        }
    }
}

fn writer(
    rx: Receiver<Processed>,
    store: Arc<dyn Store>,
    mut detector: Detector,
    mut next_id: i64,
    mut metrics: Metrics,
    runtime: Handle,
    max_events: usize,
) {
    while let Ok(first) = rx.recv() {
        // Group commit: everything already processed goes into one transaction.
        let mut group = vec![first];
        let mut n = group[0].events.len();
        while n < max_events {
            match rx.try_recv() {
                Ok(p) => {
                    n += p.events.len();
                    group.push(p);
                }
                Err(_) => break,
            }
        }
        let mut batch = WriteBatch::default();
        let mut pending = Vec::new();
        let mut latest: Option<Timestamp> = None;
        for p in group {
            let offset = batch.events.len();
            for mut e in p.events {
                e.id = next_id;
                next_id += 1;
                latest = Some(latest.map_or(e.time, |l| l.max(e.time)));
                batch.events.push(e);
            }
            for hit in &p.hits {
                let e = &batch.events[offset + hit.event];
                let meta = p.rules.rules.meta(hit.rule);
                detector.observe(e.tenant, e.id, e.time, &hit.promoted, &p.rules.ids[hit.rule.0 as usize], meta);
            }
            let had_hits = !p.hits.is_empty();
            for mut pd in p.pending {
                if let Some(c) = &pd.checkpoint {
                    batch.checkpoints.push(c.clone());
                }
                if !had_hits {
                    pd.received_at = None;
                }
                pending.push(pd);
            }
        }
        let (alerts, novelty) = detector.take_changes();
        batch.alerts = alerts;
        batch.novelty = novelty;
        let started = Instant::now();
        let result = runtime.block_on(store.write_batch(&batch));
        metrics.commit_seconds.observe(started.elapsed().as_secs_f64());
        let now = chrono::Utc::now();
        match result {
            Ok(()) => {
                metrics.alerts_written.add(batch.alerts.len() as u64);
                for pd in pending {
                    let (stored, failures) = metrics.source(&pd.source).clone();
                    stored.add(pd.events as u64);
                    failures.add(pd.parse_failures as u64);
                    metrics.ack_latency.observe(pd.enqueued.elapsed().as_secs_f64());
                    if let Some(r) = pd.received_at {
                        let secs = (now - r).to_std().unwrap_or(Duration::ZERO).as_secs_f64();
                        metrics.detection_latency.observe(secs);
                    }
                    if let Some(ack) = pd.ack {
                        let _ = ack.send(Ok(()));
                    }
                }
            }
            Err(e) => {
                metrics.store_errors.inc();
                tracing::error!(error = %e, events = batch.events.len(), "store write failed; batch not acknowledged");
                for pd in pending {
                    if let Some(ack) = pd.ack {
                        let _ = ack.send(Err(AckError::Store("the store could not write the batch".into())));
                    }
                }
            }
        }
        if let Some(t) = latest {
            detector.expire(t);
        }
    }
}
