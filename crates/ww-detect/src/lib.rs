//! Streaming detection for `wardwatch serve`: the compiled Sigma rule set from `ww-sigma` applied
//! to each event, per-tenant rule enable/disable, alert aggregation (repeated matches of one rule
//! on one entity within a window become one alert) and triage scoring. Pure: no I/O, no async,
//! no clock reads (time comes from the events).
//!
//! - [`entity`]: the host, source IP and user an event names ([`Promoted`]), and which of them an
//!   alert aggregates on.
//! - [`assets`]: how critical the asset an event is about is, from configuration.
//! - [`triage`]: the 0..=100 score and its reasons.
//! - [`Detector`]: open aggregates, novelty, and the merged changes for the store.
//! - [`rules`]: per-tenant disabled rules.
//! - [`builtin`]: the rule pack that ships in the binary.

pub mod assets;
pub mod builtin;
mod detector;
pub mod entity;
pub mod rules;
pub mod triage;

pub use assets::{AssetEntry, AssetError, AssetList, Criticality};
pub use detector::{DetectConfig, Detector, rule_id};
pub use entity::{Promoted, alert_entity, promoted};
pub use rules::DisabledRules;
