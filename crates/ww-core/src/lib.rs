//! The event model every other wardwatch crate speaks.
//!
//! An [`Event`] is a flat, ordered list of named [`Value`]s plus an [`Origin`] that says exactly
//! where it came from (file and byte offset, line or record id), so that any detection can be
//! traced back to the bytes. Readers flatten nested input (EVTX `EventData`, ECS JSON) into the
//! field names Sigma rules use; dotted paths (`winlog.event_data.Image`) are kept for nested JSON
//! that has no Sigma name.
//!
//! This crate does no I/O and has no async: it is shared by the parsers, the Sigma engine, the
//! hunt pipeline and (later) the server.

pub mod alert;
pub mod corpora;
pub mod diag;
pub mod event;
pub mod incident;
pub mod names;
pub mod sink;
pub mod time;

pub use diag::{Diagnostic, Severity};
pub use event::{Event, Fields, Locator, Origin, SourceKind, Value};
pub use names::intern;
pub use sink::{EventSink, VecSink};
