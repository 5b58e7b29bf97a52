//! Per-source counters: exported at `/metrics` through a [`ww_metrics::Registry`], and read back
//! as a [`SourceStatus`] snapshot for the web API's source list.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use ww_core::alert::TenantId;
use ww_core::time::Timestamp;
use ww_metrics::{Counter, Gauge, Registry};

use crate::intake::SourceInfo;

/// What the web API shows about one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceStatus {
    pub tenant: TenantId,
    pub name: String,
    /// `syslog_udp`, `syslog_tcp`, `syslog_tls` or `file`.
    pub kind: String,
    /// The listen address, or the tailed paths.
    pub listen: Option<String>,
    /// Records accepted into the intake queue.
    pub events_in: u64,
    /// Records refused because the queue was full (UDP only).
    pub dropped: u64,
    /// Open connections (TCP/TLS).
    pub connections: i64,
    pub last_event_at: Option<Timestamp>,
}

/// The live counters of one source. Listeners update it; [`SourceStats::status`] reads it.
#[derive(Debug)]
pub struct SourceStats {
    tenant: TenantId,
    name: String,
    kind: String,
    listen: Option<String>,
    /// Records accepted into the intake queue.
    pub events: Arc<Counter>,
    /// Bytes of those records.
    pub bytes: Arc<Counter>,
    pub connections: Arc<Gauge>,
    /// Messages cut at the size limit.
    pub oversized: Arc<Counter>,
    /// Records dropped because the queue was full.
    pub dropped: Arc<Counter>,
    /// Connections refused (over the connection limit, failed TLS handshakes).
    pub rejected: Arc<Counter>,
    /// Unix time in microseconds of the last accepted record; 0 before the first.
    last_event_us: AtomicI64,
}

impl SourceStats {
    /// Registers this source's series (`ww_ingest_events_total`, `ww_ingest_bytes_total`,
    /// `ww_ingest_connections`, `ww_ingest_oversized_total`, `ww_udp_dropped_total`,
    /// `ww_ingest_rejected_connections_total`, labelled `tenant` and `source`).
    pub fn register(registry: &Registry, source: &SourceInfo, kind: &str, listen: Option<String>) -> Arc<SourceStats> {
        let labels: [(&str, &str); 2] = [("tenant", &source.tenant_slug), ("source", &source.name)];
        Arc::new(SourceStats {
            tenant: source.tenant,
            name: source.name.clone(),
            kind: kind.to_owned(),
            listen,
            events: registry.counter("ww_ingest_events_total", "Records accepted into the intake queue", &labels),
            bytes: registry.counter(
                "ww_ingest_bytes_total",
                "Bytes of records accepted into the intake queue",
                &labels,
            ),
            connections: registry.gauge("ww_ingest_connections", "Open TCP/TLS connections", &labels),
            oversized: registry.counter(
                "ww_ingest_oversized_total",
                "Messages cut at the maximum message size",
                &labels,
            ),
            dropped: registry.counter(
                "ww_udp_dropped_total",
                "Records dropped because the intake queue was full",
                &labels,
            ),
            rejected: registry.counter(
                "ww_ingest_rejected_connections_total",
                "Connections refused: over the connection limit or failed TLS handshake",
                &labels,
            ),
            last_event_us: AtomicI64::new(0),
        })
    }

    /// Counts `records` accepted records of `bytes` bytes, received at `at`.
    pub fn accepted(&self, records: usize, bytes: usize, at: Timestamp) {
        self.events.add(records as u64);
        self.bytes.add(bytes as u64);
        self.last_event_us.fetch_max(at.timestamp_micros(), Ordering::Relaxed);
    }

    pub fn status(&self) -> SourceStatus {
        let us = self.last_event_us.load(Ordering::Relaxed);
        SourceStatus {
            tenant: self.tenant,
            name: self.name.clone(),
            kind: self.kind.clone(),
            listen: self.listen.clone(),
            events_in: self.events.get(),
            dropped: self.dropped.get(),
            connections: self.connections.get(),
            last_event_at: if us == 0 { None } else { chrono::DateTime::from_timestamp_micros(us) },
        }
    }
}

/// Every running source's stats, for listing. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct StatusBoard(Arc<Mutex<Vec<Arc<SourceStats>>>>);

impl StatusBoard {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a source; one with the same tenant and name is replaced (a restarted source).
    pub fn add(&self, stats: Arc<SourceStats>) {
        let mut v = self.0.lock().unwrap_or_else(|p| p.into_inner());
        v.retain(|s| !(s.tenant == stats.tenant && s.name == stats.name));
        v.push(stats);
    }

    /// Status of every source, of one tenant when given.
    pub fn list(&self, tenant: Option<TenantId>) -> Vec<SourceStatus> {
        let v = self.0.lock().unwrap_or_else(|p| p.into_inner());
        v.iter().filter(|s| tenant.is_none_or(|t| s.tenant == t)).map(|s| s.status()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_reflects_counters_and_metrics_render() {
        let reg = Registry::new();
        let src = SourceInfo { tenant: TenantId(3), tenant_slug: "t".into(), name: "fw".into(), format: "auto".into() };
        let s = SourceStats::register(&reg, &src, "syslog_udp", Some("0.0.0.0:514".into()));
        let board = StatusBoard::new();
        board.add(s.clone());
        assert_eq!(board.list(None)[0].last_event_at, None);
        let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        s.accepted(3, 30, at);
        s.dropped.add(2);
        let st = &board.list(Some(TenantId(3)))[0];
        assert_eq!((st.events_in, st.dropped, st.last_event_at), (3, 2, Some(at)));
        assert!(board.list(Some(TenantId(4))).is_empty());
        let text = reg.render();
        assert!(text.contains("ww_udp_dropped_total{tenant=\"t\",source=\"fw\"} 2"), "{text}");
    }
}
