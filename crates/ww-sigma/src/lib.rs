//! The Sigma rule engine: load, validate, compile and match Sigma 2.x detection rules against
//! [`ww_core::Event`]s.
//!
//! Loading turns each YAML document into an AST ([`ast`]) with every modifier applied and
//! checked; anything unsupported is reported, never ignored. Compilation resolves each rule's
//! logsource once and builds fast matchers; matching dispatches an event to the rules of its
//! (kind, channel, event id) bucket and evaluates only those whose required literals occur
//! (one Aho-Corasick automaton per field). [`reference`] is a plain evaluator the fast path is
//! tested against.

pub mod ast;
pub mod condition;
pub mod detection;
mod load;
pub mod logsource;
mod matcher;
pub mod meta;
mod prefilter;
pub mod reference;
mod relit;
mod ruleset;
pub mod yaml;

pub use load::{LoadOptions, LoadReport, RuleFilter, SkipKind, SkippedRule, load_rules, load_rules_with_embedded};
pub use logsource::{LogsourceError, LogsourceMap};
pub use meta::{Level, RuleMeta, Status};
pub use ruleset::{RuleIdx, RuleSet, Scratch};
