//! Diagnostics: what a reader or loader says about input it could not fully use.
//!
//! Parsers never panic and never drop input silently: each problem becomes a [`Diagnostic`] that
//! names the file, the place in it and the reason, and the caller carries on with the rest.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::event::Locator;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Input was read, but something in it was odd (e.g. an unknown W3C field).
    Warning,
    /// A piece of input (a line, a record, a chunk, a rule) could not be used.
    Error,
}

/// One problem with one piece of input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The file (or other source name) the problem is in.
    pub file: Arc<str>,
    /// Where in the file: byte offset, line, record or chunk.
    pub at: Locator,
    /// The field or construct concerned, when there is one (e.g. `timestamp`, `detection.sel`).
    pub field: Option<String>,
    /// What is wrong, in words an analyst can act on. Never contains secrets.
    pub reason: String,
}

impl Diagnostic {
    pub fn error(file: Arc<str>, at: Locator, reason: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, file, at, field: None, reason: reason.into() }
    }

    pub fn warning(file: Arc<str>, at: Locator, reason: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, file, at, field: None, reason: reason.into() }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{sev}: {}", self.file)?;
        if !matches!(self.at, Locator::None) {
            write!(f, " ({})", self.at)?;
        }
        if let Some(field) = &self.field {
            write!(f, " field {field}")?;
        }
        write!(f, ": {}", self.reason)
    }
}
