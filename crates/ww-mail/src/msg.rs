//! Outlook `.msg` (OLE compound file, MS-OXMSG) -> [`Mail`].
//!
//! Properties live in streams named `__substg1.0_TTTTYYYY` (tag, type). We read the transport
//! headers (when the message came in over SMTP, they hold From/Received/Authentication-Results),
//! subject, sender, plain and HTML bodies, and attachments (`__attach_version1.0_#N`).

use std::io::{Cursor, Read};

use crate::config::Limits;
use crate::error::MailError;
use crate::model::{Attachment, Mail, Mailbox};
use crate::parse::parse_rfc5322;

type Cf<'a> = cfb::CompoundFile<Cursor<&'a [u8]>>;

fn read_stream(cf: &mut Cf, path: &str, max: usize) -> Option<Vec<u8>> {
    let mut s = cf.open_stream(path).ok()?;
    let mut buf = Vec::new();
    (&mut s).take(max as u64).read_to_end(&mut buf).ok()?;
    Some(buf)
}

fn utf16(b: &[u8]) -> String {
    let u: Vec<u16> = b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    String::from_utf16_lossy(&u).trim_end_matches('\0').to_string()
}

/// A string property (`001F` Unicode or `001E` 8-bit) under `dir`.
fn prop_str(cf: &mut Cf, dir: &str, tag: &str, max: usize) -> Option<String> {
    if let Some(b) = read_stream(cf, &format!("{dir}/__substg1.0_{tag}001F"), max) {
        return Some(utf16(&b));
    }
    read_stream(cf, &format!("{dir}/__substg1.0_{tag}001E"), max)
        .map(|b| String::from_utf8_lossy(&b).trim_end_matches('\0').to_string())
}

fn prop_bin(cf: &mut Cf, dir: &str, tag: &str, max: usize) -> Option<Vec<u8>> {
    read_stream(cf, &format!("{dir}/__substg1.0_{tag}0102"), max)
}

/// Is this an OLE compound file (the `.msg` container)?
pub fn is_ole(data: &[u8]) -> bool {
    data.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
}

/// Read a `.msg`. Errors only when the container itself is unreadable.
pub fn parse_msg(path: &str, data: &[u8], limits: &Limits) -> Result<Mail, MailError> {
    let mut cf = cfb::CompoundFile::open(Cursor::new(data))
        .map_err(|e| MailError::Msg { path: path.into(), reason: e.to_string() })?;
    let max = limits.max_message_bytes;
    let headers = prop_str(&mut cf, "/", "007D", max).unwrap_or_default();
    let mut mail = if headers.trim().is_empty() {
        Mail::default()
    } else {
        let mut h = headers.replace("\r\n", "\n").trim_end().replace('\n', "\r\n");
        h.push_str("\r\n\r\n");
        let mut m = parse_rfc5322(h.as_bytes(), limits);
        m.text_bodies.clear();
        m.html_bodies.clear();
        m.attachments.clear();
        m
    };
    mail.headers.push(("X-Wardwatch-Source-Msg".into(), path.into()));
    if mail.subject.is_empty() {
        mail.subject = prop_str(&mut cf, "/", "0037", 64 * 1024).unwrap_or_default();
    }
    if mail.from.is_none() {
        let addr = prop_str(&mut cf, "/", "5D01", 1024)
            .or_else(|| prop_str(&mut cf, "/", "0C1F", 1024))
            .or_else(|| prop_str(&mut cf, "/", "0065", 1024));
        let name = prop_str(&mut cf, "/", "0C1A", 1024).or_else(|| prop_str(&mut cf, "/", "0042", 1024));
        if let Some(a) = addr {
            mail.from = Some(Mailbox { name: name.filter(|n| !n.is_empty()), address: a.trim().to_ascii_lowercase() });
        }
    }
    if let Some(t) = prop_str(&mut cf, "/", "1000", max) {
        mail.text_bodies.push(t);
    }
    if let Some(h) = prop_bin(&mut cf, "/", "1013", limits.max_html_bytes)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .or_else(|| prop_str(&mut cf, "/", "1013", limits.max_html_bytes))
    {
        mail.html_bodies.push(h);
    }
    let dirs: Vec<String> = cf
        .walk()
        .filter(|e| e.is_storage() && e.name().starts_with("__attach_version1.0_"))
        .map(|e| e.path().to_string_lossy().into_owned())
        .take(limits.max_parts)
        .collect();
    for d in dirs {
        let name = prop_str(&mut cf, &d, "3707", 1024).or_else(|| prop_str(&mut cf, &d, "3704", 1024));
        let ctype = prop_str(&mut cf, &d, "370E", 256)
            .unwrap_or_else(|| "application/octet-stream".into())
            .to_ascii_lowercase();
        match prop_bin(&mut cf, &d, "3701", limits.max_attachment_bytes) {
            Some(data) => mail.attachments.push(Attachment { name, content_type: ctype, data }),
            None => mail.problems.push((
                "UNPARSEABLE_PART",
                format!("{d}: attachment without readable data (embedded message or OLE object not read)"),
            )),
        }
    }
    mail.date_valid = mail.date.is_some() && mail.date_valid;
    Ok(mail)
}

/// Build a minimal `.msg` (used by tests and fuzz seeds): subject, sender, body, transport
/// headers and attachments `(name, bytes)`.
pub fn build_msg(
    subject: &str,
    sender: &str,
    body: &str,
    headers: &str,
    attachments: &[(&str, &[u8])],
) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new()))?;
    let enc = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect() };
    for (tag, val) in [("0037", subject), ("0C1F", sender), ("1000", body), ("007D", headers)] {
        if !val.is_empty() {
            cf.create_stream(format!("/__substg1.0_{tag}001F"))?.write_all(&enc(val))?;
        }
    }
    for (i, (name, data)) in attachments.iter().enumerate() {
        let d = format!("/__attach_version1.0_#{i:08X}");
        cf.create_storage(&d)?;
        cf.create_stream(format!("{d}/__substg1.0_3707001F"))?.write_all(&enc(name))?;
        cf.create_stream(format!("{d}/__substg1.0_37010102"))?.write_all(data)?;
    }
    cf.flush()?;
    Ok(cf.into_inner().into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn reads_built_msg() {
        let l = Config::default_config().unwrap().limits;
        let hdr = "From: \"IT Desk\" <it@council-gov.uk>\r\nSubject: Password expiry\r\nMessage-ID: <1@x>\r\nReceived: from a ([203.0.113.9]) by b; Tue, 1 Jul 2025 10:00:00 +0000\r\n";
        let b = build_msg(
            "Password expiry",
            "it@council-gov.uk",
            "Your password will expire today.",
            hdr,
            &[("a.txt", b"hi")],
        )
        .unwrap();
        assert!(is_ole(&b));
        let m = parse_msg("t.msg", &b, &l).unwrap();
        assert_eq!(m.subject, "Password expiry");
        assert_eq!(m.from.as_ref().unwrap().address, "it@council-gov.uk");
        assert!(m.text_bodies[0].contains("expire"));
        assert_eq!(m.attachments[0].name.as_deref(), Some("a.txt"));
        assert_eq!(m.header_values("Received").count(), 1);
    }

    #[test]
    fn not_ole_is_error() {
        let l = Config::default_config().unwrap().limits;
        assert!(parse_msg("x.msg", b"not ole", &l).is_err());
    }
}
