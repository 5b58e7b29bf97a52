//! Errors of the mail crate. Problems inside a message are reasons, not errors; these are for
//! configuration, model files and input that cannot be opened at all.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum MailError {
    #[error("config {file}: {reason}")]
    Config { file: String, reason: String },
    #[error("model {file}: {reason}")]
    Model { file: String, reason: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: not an Outlook .msg file: {reason}")]
    Msg { path: String, reason: String },
}
