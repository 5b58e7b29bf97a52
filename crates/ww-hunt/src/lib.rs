//! `wardwatch hunt`: run Sigma rules over a pile of log files, streaming detections out.
//!
//! The pipeline: [`discover`] the input files; read them in parallel (one rayon task per file,
//! EVTX chunks in parallel inside a file); [`open`] each one transparently through gzip and sniff
//! its format from content; hand every event to the compiled [`ww_sigma::RuleSet`] on the reading
//! thread; send detections over a bounded channel to one writer thread ([`output`]), so nothing
//! is held in memory and a slow writer pushes back on the readers. The end-of-run [`summary`]
//! counts files, events, parse errors and detections.

pub mod discover;
pub mod open;
pub mod output;
pub mod pipeline;
pub mod procstat;
pub mod summary;
pub mod timefilter;

pub use output::OutputFormat;
pub use pipeline::{HuntError, HuntOptions, hunt};
pub use summary::Summary;
pub use timefilter::TimeRange;
