//! RFC 5322 / MIME bytes -> [`Mail`], through `mail-parser`, within configured limits.

use mail_parser::{MessageParser, MimeHeaders, PartType};

use crate::config::Limits;
use crate::model::{Attachment, Mail, Mailbox};

/// Parse one message. Never fails: a message that cannot be parsed at all comes back with an
/// `UNPARSEABLE_MESSAGE` problem and whatever could be recovered.
pub fn parse_rfc5322(bytes: &[u8], limits: &Limits) -> Mail {
    let mut mail = Mail::default();
    let mut input = bytes;
    // mbox files and SpamAssassin messages start with an envelope `From ` line.
    if input.starts_with(b"From ")
        && let Some(p) = memchr::memchr(b'\n', input)
    {
        input = &input[p + 1..];
    }
    if input.len() > limits.max_message_bytes {
        mail.problems.push((
            "MESSAGE_TOO_LARGE",
            format!(
                "{} bytes > limit {}; analysed the first {}",
                input.len(),
                limits.max_message_bytes,
                limits.max_message_bytes
            ),
        ));
        input = &input[..limits.max_message_bytes];
    }
    let parser = MessageParser::default();
    let Some(msg) = parser.parse(input) else {
        mail.problems.push(("UNPARSEABLE_MESSAGE", "no RFC 5322 header block found".into()));
        return mail;
    };
    if msg.headers().is_empty() {
        mail.problems.push(("UNPARSEABLE_MESSAGE", "no headers".into()));
    }
    for (name, value) in msg.headers_raw() {
        mail.headers.push((name.to_string(), unfold(value)));
    }
    if let Some(list) = msg.from() {
        // An unquoted comma in a display name (`Microsoft account team ,_<x@evil>`) splits the
        // header into several mailboxes, one without an address: take the first real address
        // and report the malformation, which hides the sender from naive filters.
        let boxes: Vec<Mailbox> = list.iter().filter_map(to_mailbox).collect();
        let entries = list.iter().count();
        if entries > 1 || boxes.is_empty() {
            let raw = msg.header_raw("From").map(unfold).unwrap_or_default();
            mail.problems.push(("FROM_MALFORMED", format!("{entries} mailbox(es) in From: {raw}")));
        }
        mail.from = boxes.into_iter().next();
    }
    for h in [msg.to(), msg.cc()].into_iter().flatten() {
        mail.to.extend(h.iter().filter_map(to_mailbox).take(100));
    }
    mail.reply_to = msg.reply_to().map(|a| a.iter().filter_map(to_mailbox).collect()).unwrap_or_default();
    mail.return_path = msg.return_address().map(|s| s.trim().trim_matches(['<', '>']).to_ascii_lowercase());
    mail.subject = msg.subject().unwrap_or("").to_string();
    mail.message_id = msg.header_raw("Message-ID").map(|s| s.trim().to_string());
    mail.date = msg.header_raw("Date").map(|s| s.trim().to_string());
    mail.date_valid = msg.date().is_some();

    if msg.parts.len() > limits.max_parts {
        mail.problems.push(("TOO_MANY_PARTS", format!("{} MIME parts > limit {}", msg.parts.len(), limits.max_parts)));
    }
    let mut html_budget = limits.max_html_bytes;
    for (i, part) in msg.parts.iter().enumerate().take(limits.max_parts) {
        if part.is_encoding_problem {
            let ct =
                part.content_type().map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or(""))).unwrap_or_default();
            mail.problems.push(("UNPARSEABLE_PART", format!("part {i} {ct}: bad transfer encoding or charset")));
        }
        let is_attachment = part.attachment_name().is_some()
            || part.content_disposition().is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"));
        match &part.body {
            PartType::Text(t) if !is_attachment => mail.text_bodies.push(t.to_string()),
            PartType::Html(h) if !is_attachment => {
                let take = floor_char(h, html_budget);
                html_budget -= take.len();
                mail.html_bodies.push(take.to_string());
            }
            PartType::Multipart(_) => {}
            PartType::Message(_) => {
                // Nested messages are flattened by mail-parser into the part list; note the container.
            }
            _ => {
                let data = part.contents();
                let ct = part
                    .content_type()
                    .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")).to_ascii_lowercase())
                    .unwrap_or_else(|| "application/octet-stream".into());
                let mut att =
                    Attachment { name: part.attachment_name().map(str::to_string), content_type: ct, data: Vec::new() };
                if data.len() > limits.max_attachment_bytes {
                    mail.problems.push((
                        "UNPARSEABLE_PART",
                        format!(
                            "attachment {} is {} bytes > limit {}; truncated",
                            att.name.as_deref().unwrap_or("?"),
                            data.len(),
                            limits.max_attachment_bytes
                        ),
                    ));
                    att.data = data[..limits.max_attachment_bytes].to_vec();
                } else {
                    att.data = data.to_vec();
                }
                mail.attachments.push(att);
            }
        }
    }
    if mail.text_bodies.is_empty() && mail.html_bodies.is_empty() && mail.attachments.is_empty() && msg.parts.len() <= 1
    {
        // mail-parser puts a body it cannot classify nowhere; keep the raw text so nothing is dropped.
        if let Some(root) = msg.parts.first()
            && let PartType::Binary(b) | PartType::InlineBinary(b) = &root.body
        {
            mail.text_bodies.push(String::from_utf8_lossy(b).into_owned());
        }
    }
    mail
}

fn to_mailbox(a: &mail_parser::Addr<'_>) -> Option<Mailbox> {
    let address = a.address()?.trim().to_ascii_lowercase();
    let name = a.name().map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    Some(Mailbox { name, address })
}

/// Unfold a raw header value (CRLF + WSP -> one space) and trim it.
pub fn unfold(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut last_space = false;
    for c in v.chars() {
        if c == '\r' || c == '\n' || c == '\t' || c == ' ' {
            if !last_space && !out.is_empty() {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char boundary.
pub fn floor_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut i = max;
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    &s[..i]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn limits() -> Limits {
        Config::default_config().unwrap().limits
    }

    #[test]
    fn parses_headers_bodies_and_attachment() {
        let raw = b"From: \"Alice\" <Alice@Example.org>\r\nReply-To: bob@other.net\r\nSubject: hi\r\nMessage-ID: <a@b>\r\nDate: Tue, 1 Jul 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XX\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--XX--\r\n";
        let m = parse_rfc5322(raw, &limits());
        assert_eq!(m.from.as_ref().unwrap().address, "alice@example.org");
        assert_eq!(m.from.as_ref().unwrap().name.as_deref(), Some("Alice"));
        assert_eq!(m.reply_to[0].domain(), "other.net");
        assert!(m.date_valid);
        assert_eq!(m.text_bodies[0].trim(), "hello");
        assert_eq!(m.attachments[0].data, b"%PDF-");
        assert!(m.problems.is_empty(), "{:?}", m.problems);
    }

    #[test]
    fn oversize_message_is_truncated_with_problem() {
        let mut l = limits();
        l.max_message_bytes = 64;
        let raw = format!("From: a@b.c\r\nSubject: x\r\n\r\n{}", "y".repeat(1000));
        let m = parse_rfc5322(raw.as_bytes(), &l);
        assert!(m.problems.iter().any(|(id, _)| *id == "MESSAGE_TOO_LARGE"));
    }

    #[test]
    fn comma_in_display_name_keeps_address_and_reports() {
        let raw =
            b"From: Microsoft account team ,_<no-reply@evil.example>\r\nTo: a@b.example\r\nSubject: x\r\n\r\nbody";
        let m = parse_rfc5322(raw, &limits());
        assert_eq!(m.from.as_ref().unwrap().address, "no-reply@evil.example");
        assert!(m.problems.iter().any(|(id, _)| *id == "FROM_MALFORMED"), "{:?}", m.problems);
        assert_eq!(m.to[0].address, "a@b.example");
        let ok = parse_rfc5322(b"From: \"Team, IT\" <it@b.example>\r\n\r\nx", &limits());
        assert!(ok.problems.is_empty(), "{:?}", ok.problems);
    }

    #[test]
    fn unfold_joins_continuations() {
        assert_eq!(unfold(" a\r\n\tb  c \r\n"), "a b c");
    }
}
