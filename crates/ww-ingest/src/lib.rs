//! Intake: everything that receives events for `wardwatch serve` and hands them, in batches, to
//! the pipeline through one bounded queue ([`Intake`]).
//!
//! Durability contract: a producer submits an [`IntakeBatch`] and, for sources that can
//! acknowledge (TCP, HTTP, file tailing), waits for its [`AckReceiver`]. The pipeline completes
//! the ack only after the batch's events are committed to the store. TCP readers read no further
//! until then, HTTP answers 200 only then, and the tailer's checkpoint travels inside the batch,
//! so nothing acknowledged can be lost. When the queue is full, `submit` waits (TCP: the kernel
//! buffer fills and the sender slows) and `try_submit` fails (HTTP: 429/503; UDP: counted drop).

pub mod intake;

pub use intake::{Ack, AckError, AckReceiver, Checkpoint, Intake, IntakeBatch, IntakeError, RawRecord, SourceInfo};
