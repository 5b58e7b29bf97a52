//! How readers hand over what they read: events and diagnostics, one at a time, so that nothing
//! has to be held in memory and the caller decides batching, filtering and back-pressure.

use crate::diag::Diagnostic;
use crate::event::Event;

pub trait EventSink {
    fn event(&mut self, event: Event);
    fn diagnostic(&mut self, diagnostic: Diagnostic);
}

/// Collects everything; for tests and small inputs.
#[derive(Debug, Default)]
pub struct VecSink {
    pub events: Vec<Event>,
    pub diagnostics: Vec<Diagnostic>,
}

impl EventSink for VecSink {
    fn event(&mut self, event: Event) {
        self.events.push(event);
    }
    fn diagnostic(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}
