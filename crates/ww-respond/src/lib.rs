//! Incident response for councils, as pure logic: what the data protection officer and the
//! incident lead need computed, with no I/O (beyond reading a policy file on request), no async,
//! no SQL, no HTTP and no clock reads (`now` is always an argument).
//!
//! The records are `ww_core::incident` (incidents, tasks, observables, evidence, notes, affected
//! services, breach records); `ww-store` persists them and `ww-web` shows them. This crate adds:
//!
//! - [`policy`]: the UK GDPR breach policy as data (`policy/uk-gdpr.toml`, embedded; a council can
//!   supply its own file): the 72-hour deadline and 24-hour warning, the assessment questions and
//!   which part of the ICO report each fills, the risk levels and what each obliges (report to the
//!   ICO under Art. 33, tell individuals under Art. 34), the NCSC national incident categories and
//!   a default list of council services. Answers are checked as advice, never refused.
//! - [`clock`](mod@clock): the ICO clock from the moment of awareness: deadline, time left (or overdue),
//!   warning, reported on time or late, or not reportable.
//! - [`report`]: the ICO personal data breach report (initial and follow-up) and the NCSC incident
//!   report, pre-filled from the records, with unanswered fields kept and marked, and plain text
//!   to paste into the regulators' web forms. One council per report: each is its own controller.
//! - [`timeline`](mod@timeline): every record of an incident merged into one time-ordered list.
//!
//! Times in reports are UK time via `ww_core::time::format_london_minutes`; everything else stays UTC.

pub mod clock;
pub mod policy;
pub mod report;
pub mod timeline;

pub use clock::{ClockState, IcoClock, clock};
pub use policy::{
    AnswerProblem, AnswerProblemKind, BreachPolicy, ChoiceOption, IcoField, NcscCategory, OptionTag, PolicyError,
    PolicyProblem, Question, QuestionKind, RiskOption,
};
pub use report::{
    ContactDetails, Field, IcoReportKind, Organisation, Report, ReportError, ReportInput, Section, ico_report,
    ncsc_report,
};
pub use timeline::{TimelineEntry, TimelineKind, incident_timeline, timeline};
