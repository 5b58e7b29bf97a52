//! The bounded queue between producers (listeners, HTTP, tailers) and the pipeline.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};
use ww_core::alert::TenantId;
use ww_core::time::Timestamp;

/// Where a batch came from: its tenant and its source as named in `wardwatch.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    pub tenant: TenantId,
    pub tenant_slug: String,
    pub name: String,
    /// How to parse its records: `auto`, `syslog`, `access_log`, `w3c`, `json`
    /// (see `ww_parse::record::RecordFormat`).
    pub format: String,
}

/// One received record: a syslog message, a log line, or one JSON document, as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub received_at: Timestamp,
    pub bytes: Vec<u8>,
    /// The sending peer, when there is one (syslog, HTTP).
    pub peer: Option<IpAddr>,
    /// Parsing context some formats need (a W3C `#Fields:` line), shared by many records.
    pub context: Option<Arc<str>>,
}

/// A tailing position to save in the same transaction as the batch's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub key: String,
    pub value: String,
}

/// Completes when the batch is durable (or failed to be stored).
pub type AckReceiver = oneshot::Receiver<Result<(), AckError>>;
pub type Ack = oneshot::Sender<Result<(), AckError>>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    #[error("storing the batch failed: {0}")]
    Store(String),
    #[error("the server is shutting down")]
    Shutdown,
}

#[derive(Debug)]
pub struct IntakeBatch {
    pub source: Arc<SourceInfo>,
    pub records: Vec<RawRecord>,
    pub checkpoint: Option<Checkpoint>,
    /// `None` for sources that cannot be acknowledged (UDP).
    pub ack: Option<Ack>,
    /// When the batch entered the queue, for latency metrics.
    pub enqueued: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    #[error("intake queue is full")]
    Full,
    #[error("intake is closed")]
    Closed,
}

/// The producer side of the intake queue. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Intake {
    tx: mpsc::Sender<IntakeBatch>,
    depth: Arc<ww_metrics::Gauge>,
}

impl Intake {
    /// A queue holding at most `capacity` batches; the receiver goes to the pipeline.
    pub fn new(capacity: usize, depth: Arc<ww_metrics::Gauge>) -> (Intake, mpsc::Receiver<IntakeBatch>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (Intake { tx, depth }, rx)
    }

    fn make(
        source: Arc<SourceInfo>,
        records: Vec<RawRecord>,
        checkpoint: Option<Checkpoint>,
        ackable: bool,
    ) -> (IntakeBatch, Option<AckReceiver>) {
        let (ack, rx) = if ackable {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        (IntakeBatch { source, records, checkpoint, ack, enqueued: Instant::now() }, rx)
    }

    /// Queues a batch, waiting while the queue is full (backpressure), and returns the receiver
    /// that completes once the batch is durable.
    pub async fn submit(
        &self,
        source: Arc<SourceInfo>,
        records: Vec<RawRecord>,
        checkpoint: Option<Checkpoint>,
    ) -> Result<AckReceiver, IntakeError> {
        let (batch, rx) = Self::make(source, records, checkpoint, true);
        self.tx.send(batch).await.map_err(|_| IntakeError::Closed)?;
        self.depth.add(1);
        rx.ok_or(IntakeError::Closed)
    }

    /// Queues a batch only if there is room now.
    pub fn try_submit(
        &self,
        source: Arc<SourceInfo>,
        records: Vec<RawRecord>,
        ackable: bool,
    ) -> Result<Option<AckReceiver>, IntakeError> {
        let (batch, rx) = Self::make(source, records, None, ackable);
        match self.tx.try_send(batch) {
            Ok(()) => {
                self.depth.add(1);
                Ok(rx)
            }
            Err(mpsc::error::TrySendError::Full(_)) => Err(IntakeError::Full),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(IntakeError::Closed),
        }
    }

    /// Batches waiting in the queue (approximate).
    pub fn depth(&self) -> i64 {
        self.depth.get()
    }

    /// The gauge the consumer decrements as it takes batches.
    pub fn depth_gauge(&self) -> Arc<ww_metrics::Gauge> {
        self.depth.clone()
    }

    /// Remaining room in the queue, in batches.
    pub fn capacity_left(&self) -> usize {
        self.tx.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> Arc<SourceInfo> {
        Arc::new(SourceInfo { tenant: TenantId(1), tenant_slug: "t".into(), name: "s".into(), format: "auto".into() })
    }

    #[tokio::test]
    async fn full_queue_refuses_try_submit_and_acks_flow_back() {
        let (intake, mut rx) = Intake::new(1, Arc::new(ww_metrics::Gauge::default()));
        let ack = intake.submit(src(), vec![], None).await.expect("room");
        assert_eq!(intake.try_submit(src(), vec![], true).err(), Some(IntakeError::Full));
        let batch = rx.recv().await.expect("batch");
        batch.ack.expect("ackable").send(Ok(())).expect("receiver alive");
        assert_eq!(ack.await.expect("sent"), Ok(()));
    }
}
