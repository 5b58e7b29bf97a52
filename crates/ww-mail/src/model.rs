//! The message as the checks see it, whatever format it came in (RFC 5322 or Outlook `.msg`).

/// One mailbox from an address header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mailbox {
    /// Display name, decoded (RFC 2047) where the source encoded it.
    pub name: Option<String>,
    /// Address, lower-cased.
    pub address: String,
}

impl Mailbox {
    /// The part after the last `@`, lower-cased (empty when there is none).
    pub fn domain(&self) -> &str {
        self.address.rsplit_once('@').map(|(_, d)| d.trim_end_matches('>')).unwrap_or("")
    }
}

/// One attachment (or non-text body part), decoded.
#[derive(Debug, Clone, Default)]
pub struct Attachment {
    pub name: Option<String>,
    /// Declared MIME type, lower-cased (`application/octet-stream` when none was given).
    pub content_type: String,
    pub data: Vec<u8>,
}

/// A parsed message. Built by [`crate::parse`] or [`crate::msg`]; every check reads only this.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    /// Top-level headers in order: name as written, value unfolded and trimmed.
    pub headers: Vec<(String, String)>,
    pub from: Option<Mailbox>,
    pub reply_to: Vec<Mailbox>,
    /// `To` and `Cc` recipients. Never reported as indicators; only compared with the sender
    /// and the subject (self-addressed spoofs, `you@example.org, your invoice`).
    pub to: Vec<Mailbox>,
    pub return_path: Option<String>,
    pub subject: String,
    pub message_id: Option<String>,
    /// Raw `Date` header value, and whether it parsed.
    pub date: Option<String>,
    pub date_valid: bool,
    pub text_bodies: Vec<String>,
    pub html_bodies: Vec<String>,
    pub attachments: Vec<Attachment>,
    /// Problems met while parsing (become `UNPARSEABLE_PART` etc. reasons).
    pub problems: Vec<(&'static str, String)>,
}

impl Mail {
    /// All values of a header, case-insensitive name.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.header_values(name).next().is_some()
    }

    /// Whether a mailing list's headers are present (`List-Id`, `List-Post`, `Mailing-List`).
    pub fn has_list_headers(&self) -> bool {
        ["List-Id", "List-Post", "Mailing-List"].iter().any(|h| self.has_header(h))
    }
}
