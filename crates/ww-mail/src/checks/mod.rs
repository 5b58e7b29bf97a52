//! The checks. Each reads the prepared [`Ctx`] and adds named reasons; none does I/O.

pub mod attachments;
pub mod combos;
pub mod headers;
pub mod links;
pub mod lookalike;
pub mod lures;
pub mod sender;

use crate::config::Config;
use crate::html::HtmlInfo;
use crate::model::Mail;
use crate::urls::Url;

/// Everything the checks share, computed once per message.
pub struct Ctx<'a> {
    pub cfg: &'a Config,
    pub mail: &'a Mail,
    pub html: Vec<HtmlInfo>,
    /// Lower-cased subject + visible body text, bounded.
    pub text_lc: String,
    /// Distinct parsed URLs from all bodies.
    pub urls: Vec<Url>,
    /// Strings in URL positions that did not parse as http(s) (data:, javascript:, ...).
    pub other_links: Vec<String>,
    /// Registrable domain of the From address ("" when none).
    pub from_reg: String,
}
