//! Log formats → [`ww_core::Event`]s.
//!
//! Readers take a `std::io::BufRead` they are given and hand events and diagnostics to a
//! [`ww_core::EventSink`]; they never open files and never block on anything but that reader, so
//! the same per-line parsers serve `wardwatch hunt` (files) and `wardwatch serve` (sockets).

pub mod access;
pub mod json;
pub mod lines;
pub mod record;
pub mod sniff;
pub mod stats;
pub mod syslog;
pub mod w3c;
pub mod winjson;

pub use lines::{LineFormat, ParseError, read_lines};
pub use sniff::{Format, is_gzip, sniff};
pub use stats::ReadStats;
