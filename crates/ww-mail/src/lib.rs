//! wardwatch mail analysis: RFC 5322/MIME, mbox, Maildir and Outlook `.msg` in; a verdict
//! (`clean`, `spam`, `phish`, `malicious`), a score, named reasons with evidence and the
//! observables out. A pure library: no network, no async, no clock reads, so the CLI, the
//! server, a milter and a mailbox poller can all call the same [`Analyser`].

pub mod analyse;
pub mod archive_headers;
pub mod bayes;
pub mod checks;
pub mod config;
pub mod domain;
pub mod error;
pub mod filetype;
pub mod html;
pub mod metrics;
pub mod model;
pub mod msg;
pub mod parse;
pub mod reason;
pub mod sources;
pub mod urls;

pub use analyse::{Analyser, Observables, Report};
pub use bayes::Model;
pub use config::Config;
pub use error::MailError;
pub use model::Mail;
pub use reason::{Reason, Verdict};
pub use sources::{Input, read_inputs};
