//! The test acts as the pipeline: it takes batches from the intake receiver, keeps what it got,
//! and acknowledges them (storing checkpoints the way the store would).
#![allow(dead_code, clippy::unwrap_used)] // shared test helpers; a failure here is a test failure

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use ww_core::alert::TenantId;
use ww_ingest::{IntakeBatch, RawRecord, SourceInfo, SourceStats};
use ww_metrics::Registry;

pub fn source(format: &str) -> Arc<SourceInfo> {
    Arc::new(SourceInfo { tenant: TenantId(1), tenant_slug: "t1".into(), name: "src".into(), format: format.into() })
}

pub fn stats(reg: &Registry, src: &SourceInfo) -> Arc<SourceStats> {
    SourceStats::register(reg, src, "test", None)
}

#[derive(Default)]
pub struct Received {
    pub batches: Vec<usize>,
    pub records: Vec<RawRecord>,
    pub checkpoints: HashMap<String, String>,
}

impl Received {
    pub fn texts(&self) -> Vec<String> {
        self.records.iter().map(|r| String::from_utf8_lossy(&r.bytes).into_owned()).collect()
    }
}

/// Drains and acknowledges every batch.
pub fn pipeline(mut rx: mpsc::Receiver<IntakeBatch>) -> Arc<Mutex<Received>> {
    let got = Arc::new(Mutex::new(Received::default()));
    let g = got.clone();
    tokio::spawn(async move {
        while let Some(b) = rx.recv().await {
            {
                let mut g = g.lock().unwrap();
                g.batches.push(b.records.len());
                g.records.extend(b.records);
                if let Some(c) = b.checkpoint {
                    g.checkpoints.insert(c.key, c.value);
                }
            }
            if let Some(ack) = b.ack {
                let _ = ack.send(Ok(()));
            }
        }
    });
    got
}

/// Waits until `cond` holds (polling), failing after 5 s.
pub async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(start.elapsed() < Duration::from_secs(5), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
