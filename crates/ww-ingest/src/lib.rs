//! Intake: everything that receives events for `wardwatch serve` and hands them, in batches, to
//! the pipeline through one bounded queue ([`Intake`]).
//!
//! Durability contract: a producer submits an [`IntakeBatch`] and, for sources that can
//! acknowledge (TCP, HTTP, file tailing), waits for its [`AckReceiver`]. The pipeline completes
//! the ack only after the batch's events are committed to the store. TCP readers read no further
//! until then, HTTP answers 200 only then, and the tailer's checkpoint travels inside the batch,
//! so nothing acknowledged can be lost. When the queue is full, `submit` waits (TCP: the kernel
//! buffer fills and the sender slows) and `try_submit` fails (HTTP: 429/503; UDP: counted drop).
//!
//! Listeners: [`syslog::serve_udp`], [`syslog::serve_tcp`] (plain or TLS, see
//! [`tls::server_config`]) and [`tail::Tailer`]. Each stops when its [`Shutdown`] signal turns
//! `true` (or its sender is dropped) and updates a [`SourceStats`].

pub mod framing;
pub mod intake;
pub mod stats;
pub mod syslog;
pub mod tail;
pub mod tls;

pub use intake::{Ack, AckError, AckReceiver, Checkpoint, Intake, IntakeBatch, IntakeError, RawRecord, SourceInfo};
pub use stats::{SourceStats, SourceStatus, StatusBoard};
pub use syslog::Limits;

/// Shutdown signal for listeners: they stop once it is `true` or its sender is dropped.
pub type Shutdown = tokio::sync::watch::Receiver<bool>;

/// Waits until `shutdown` says stop. Cancel-safe.
pub(crate) async fn stopped(shutdown: &mut Shutdown) {
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

/// Why a listener stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("source {source_name}: reading the socket failed: {error}")]
    Socket { source_name: String, error: std::io::Error },
    #[error("TLS: reading {path}: {error}")]
    TlsFile { path: String, error: std::io::Error },
    #[error("TLS: {path}: {reason}")]
    TlsPem { path: String, reason: String },
    #[error("TLS: configuration refused: {0}")]
    Tls(String),
}
