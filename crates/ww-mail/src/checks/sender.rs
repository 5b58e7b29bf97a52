//! Sender and recipient structure: malformed or self-addressed senders, the recipient's address
//! pasted into the subject, hidden recipient lists, senders on free hosting, free-mail replies
//! behind an organisation's From, and header words encoded only to hide them from filters.

use super::Ctx;
use super::links::host_matches;
use crate::domain::{is_ip, registrable};
use crate::reason::Reasons;

/// A From domain that cannot be a real mail domain (`noreply@bahn`, `a@'x.example`).
pub fn malformed(ctx: &Ctx, r: &mut Reasons) {
    let Some(from) = &ctx.mail.from else { return };
    let d = from.domain().trim_end_matches('.');
    let ok_chars = !d.is_empty() && d.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    if !ok_chars || !d.contains('.') || (is_ip(d) && !d.starts_with('[')) {
        r.add("FROM_MALFORMED", format!("sender domain {d:?} is not a mail domain"));
    }
}

/// Sender equal to a recipient: spoofed "you sent this to yourself" mail (sextortion, fake
/// quota notices). Also the recipient's address or mailbox name inside the subject, the
/// mail-merge personalisation of bulk phishing.
pub fn recipient(ctx: &Ctx, r: &mut Reasons) {
    let m = ctx.mail;
    if let Some(from) = &m.from
        && m.to.iter().any(|t| t.address == from.address)
    {
        r.add("FROM_IS_RECIPIENT", from.address.clone());
    }
    let subj = m.subject.to_lowercase();
    // A list's own name is routinely in its subjects (`[listname] ...`).
    let list_mail = m.has_list_headers();
    for t in m.to.iter().take(5) {
        let local = t.address.split('@').next().unwrap_or("");
        if subj.contains(t.address.as_str()) {
            r.add("SUBJECT_HAS_RECIPIENT", t.address.clone());
        } else if !list_mail
            && !list_own_address(m, &t.address, local)
            && local.len() >= 5
            && local.chars().any(char::is_alphabetic)
            && word_like(&subj, local)
        {
            r.add("SUBJECT_HAS_RECIPIENT", format!("{local} (mailbox name of {})", t.address));
        }
    }
    let hidden = m.to.is_empty()
        || m.header_values("To").any(|v| {
            let l = v.to_ascii_lowercase();
            l.contains("undisclosed") || l.contains("recipient list suppressed")
        });
    // With the recipients hidden, any address in the subject is the mail-merge recipient.
    if hidden
        && !m.has_header("List-Id")
        && let Some(a) = subj.split(|c: char| c.is_whitespace() || c == ',' || c == ':').find(|w| {
            w.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && !d.is_empty() && d.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-')
            })
        })
    {
        r.add("SUBJECT_HAS_RECIPIENT", format!("{a} (recipients hidden)"));
    }
    if hidden && m.from.is_some() && !m.has_header("List-Id") && !m.has_header("X-Wardwatch-Source-Msg") {
        r.add("UNDISCLOSED_RECIPIENTS", "no visible recipient");
    }
}

/// A recipient that is the sending list's own address, not a victim's mailbox: replies go back
/// to it, or the sender and envelope are its `-request`/`-owner` addresses (list digests and
/// announcements without `List-*` headers: `To: linux-announce@`, `From: linux-announce-request@`).
/// Such a list's name belongs in its subjects.
fn list_own_address(m: &crate::model::Mail, addr: &str, local: &str) -> bool {
    if local.is_empty() {
        return false;
    }
    let prefix = format!("{local}-");
    let starts = |a: &str| a.split('@').next().is_some_and(|l| l.starts_with(&prefix));
    m.reply_to.iter().any(|r| r.address == addr)
        || m.from.as_ref().is_some_and(|f| starts(&f.address))
        || m.return_path.as_deref().is_some_and(starts)
}

fn word_like(hay: &str, needle: &str) -> bool {
    hay.match_indices(needle).any(|(i, _)| {
        let before = hay[..i].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after = hay[i + needle.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        before && after
    })
}

/// Mail sent from a free hosting / app platform domain (`noreply@x-1a2b.firebaseapp.com`).
pub fn free_hosting(ctx: &Ctx, r: &mut Reasons) {
    let Some(from) = &ctx.mail.from else { return };
    let d = from.domain();
    if host_matches(d, &ctx.cfg.urls.free_hosting) {
        r.add("SENDER_FREE_HOSTING", d.to_string());
    }
}

/// Replies steered to a free mailbox while the From is not one: the business-email-compromise
/// pattern (`accounts@supplier.example`, Reply-To `supplier.accounts@gmail.com`).
pub fn reply_to_freemail(ctx: &Ctx, r: &mut Reasons) {
    let free = &ctx.cfg.freemail.domains;
    if ctx.from_reg.is_empty() || free.contains(&ctx.from_reg) || ctx.mail.has_header("List-Id") {
        return;
    }
    for rt in &ctx.mail.reply_to {
        let d = registrable(rt.domain());
        if free.contains(&d) {
            r.add("REPLYTO_FREEMAIL", format!("From {} but replies go to {}", ctx.from_reg, rt.address));
        }
    }
}

/// RFC 2047 encoded words whose plain ASCII letters are needlessly hex-escaped
/// (`=?UTF-8?Q?=4B=61=75=66?=` for "Kauf"): done only to hide words from filters.
pub fn encoded_words(ctx: &Ctx, r: &mut Reasons) {
    for name in ["Subject", "From"] {
        for v in ctx.mail.header_values(name) {
            let n = escaped_alnum(v);
            if n >= 4 {
                r.add("ENCODED_WORD_OBFUSCATION", format!("{name}: {n} letters hex-escaped"));
            }
        }
    }
}

/// Count `=XX` escapes of ASCII letters and digits inside `?Q?` encoded words.
fn escaped_alnum(v: &str) -> usize {
    let mut n = 0;
    let lower = v.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(p) = rest.find("?q?") {
        let body = &rest[p + 3..];
        let end = body.find("?=").unwrap_or(body.len());
        let b = &body.as_bytes()[..end];
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'=' && i + 3 <= b.len() {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                if hex.is_some_and(|x| x.is_ascii_alphanumeric()) {
                    n += 1;
                }
                i += 3;
            } else {
                i += 1;
            }
        }
        rest = &body[end..];
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Analyser, Config};

    fn ids(raw: &str) -> Vec<String> {
        let a = Analyser::new(Config::default_config().unwrap(), None).unwrap();
        a.analyse_bytes(raw.as_bytes()).reasons.into_iter().map(|r| r.id).collect()
    }

    #[test]
    fn recipient_checks_fire_and_stay_quiet() {
        let bad =
            ids("From: jdoe@victim.example\r\nTo: jdoe@victim.example\r\nSubject: jdoe@victim.example quota\r\n\r\nx");
        assert!(bad.contains(&"FROM_IS_RECIPIENT".to_string()), "{bad:?}");
        assert!(bad.contains(&"SUBJECT_HAS_RECIPIENT".to_string()), "{bad:?}");
        let hidden = ids("From: a@x.example\r\nTo: undisclosed-recipients:;\r\nSubject: hi\r\n\r\nx");
        assert!(hidden.contains(&"UNDISCLOSED_RECIPIENTS".to_string()), "{hidden:?}");
        let good = ids("From: a@x.example\r\nTo: jdoe@victim.example\r\nSubject: minutes\r\n\r\nx");
        assert!(
            !good
                .iter()
                .any(|i| i.starts_with("SUBJECT_HAS") || i == "FROM_IS_RECIPIENT" || i == "UNDISCLOSED_RECIPIENTS"),
            "{good:?}"
        );
    }

    #[test]
    fn list_own_address_in_subject_is_not_personalisation() {
        let digest = ids(
            "From: Digestifier <Linux-Announce-Request@lists.example.edu>\r\nTo: Linux-Announce@lists.example.edu\r\n\
             Reply-To: Linux-Announce@lists.example.edu\r\nSubject: Linux-Announce Digest #180\r\n\r\nx",
        );
        assert!(!digest.contains(&"SUBJECT_HAS_RECIPIENT".to_string()), "{digest:?}");
        let owner = ids("From: news@lists.example.edu\r\nReturn-Path: <weekly-news-owner@lists.example.edu>\r\n\
             To: weekly-news@lists.example.edu\r\nSubject: weekly-news issue 12\r\n\r\nx");
        assert!(!owner.contains(&"SUBJECT_HAS_RECIPIENT".to_string()), "{owner:?}");
        // The victim's mailbox name merged into the subject still counts.
        let merge = ids("From: it@desk.example\r\nReply-To: it@desk.example\r\nTo: jsmith@victim.example\r\n\
             Subject: jsmith, your mailbox is full\r\n\r\nx");
        assert!(merge.contains(&"SUBJECT_HAS_RECIPIENT".to_string()), "{merge:?}");
    }

    #[test]
    fn free_hosting_sender_and_freemail_reply_to() {
        let r = ids("From: noreply@app-1a2b.firebaseapp.com\r\nReply-To: x@gmail.com\r\nTo: a@b.example\r\n\r\nx");
        assert!(r.contains(&"SENDER_FREE_HOSTING".to_string()) && r.contains(&"REPLYTO_FREEMAIL".to_string()), "{r:?}");
        let ok = ids("From: a@council.example\r\nReply-To: b@council.example\r\nTo: a@b.example\r\n\r\nx");
        assert!(!ok.iter().any(|i| i == "SENDER_FREE_HOSTING" || i == "REPLYTO_FREEMAIL"), "{ok:?}");
    }

    fn verdict(raw: &str) -> crate::Verdict {
        Analyser::new(Config::default_config().unwrap(), None).unwrap().analyse_bytes(raw.as_bytes()).verdict
    }

    #[test]
    fn dmarc_fail_and_disguised_text_suffice_alone() {
        let head = "From: billing@payments.example\r\nTo: a@b.example\r\nMessage-ID: <1@payments.example>\r\n\
                    Date: Mon, 2 Jun 2025 10:00:00 +0000\r\nReceived: from mx.payments.example by mx.b.example\r\n";
        let fail = format!(
            "{head}Authentication-Results: mx.b.example; spf=pass; dkim=none; dmarc=fail\r\nSubject: hi\r\n\r\nhello"
        );
        assert_eq!(verdict(&fail), crate::Verdict::Phish);
        let pass = fail.replace("dmarc=fail", "dmarc=pass");
        assert_eq!(verdict(&pass), crate::Verdict::Clean);
        let disguised = format!(
            "{head}Subject: Fa\u{337}lha na e\u{337}ntrega\r\n\r\nsua e\u{337}ntrega e\u{337}st\u{e1} pendente"
        );
        assert_eq!(verdict(&disguised), crate::Verdict::Phish);
        let plain = format!("{head}Subject: Falha na entrega\r\n\r\nsua entrega est\u{e1} pendente");
        assert_eq!(verdict(&plain), crate::Verdict::Clean);
    }

    #[test]
    fn hex_escaped_letters_counted() {
        assert_eq!(escaped_alnum("=?UTF-8?Q?=4B=61=75=66=6C=61=6E=64?="), 8);
        assert_eq!(escaped_alnum("=?UTF-8?Q?Caf=C3=A9_ol=C3=A9?="), 0);
        assert_eq!(escaped_alnum("plain subject =41=42"), 0);
        assert_eq!(escaped_alnum("=?utf-8?q?=4"), 0);
    }

    #[test]
    fn word_boundaries() {
        assert!(word_like("jsmith, your invoice", "jsmith"));
        assert!(!word_like("ajsmithb invoice", "jsmith"));
    }
}

/// Words that mix Latin with Cyrillic or Greek letters (`Yоur аccоunt`, Cyrillic о and а), or
/// carry overlay combining marks (`e̷ntrega`): both read normally and defeat phrase filters.
pub fn disguised_text(ctx: &Ctx, r: &mut Reasons) {
    let subject = ctx.mail.subject.as_str();
    let body = crate::parse::floor_char(&ctx.text_lc, 64 * 1024);
    let mut hits = 0usize;
    let mut example = String::new();
    for w in subject.split_whitespace().chain(body.split_whitespace()) {
        if disguised_word(w) {
            hits += 1;
            if example.is_empty() {
                example = crate::parse::floor_char(w, 40).to_string();
            }
        }
    }
    if hits >= 2 {
        r.add("DISGUISED_TEXT", format!("{hits} words mix scripts or overlay marks, e.g. {example:?}"));
    }
}

fn disguised_word(w: &str) -> bool {
    let (mut latin, mut other, mut overlay) = (false, false, false);
    for c in w.chars() {
        match c {
            'a'..='z' | 'A'..='Z' => latin = true,
            '\u{0370}'..='\u{03FF}' | '\u{0400}'..='\u{04FF}' => other = true,
            '\u{0334}'..='\u{0338}' | '\u{20D2}'..='\u{20D3}' => overlay = true,
            _ => {}
        }
    }
    latin && (other || overlay)
}

#[cfg(test)]
mod disguise_tests {
    use super::disguised_word;

    #[test]
    fn mixed_scripts_and_overlays() {
        assert!(disguised_word("Yоur")); // Cyrillic о
        assert!(disguised_word("e\u{337}ntrega"));
        assert!(!disguised_word("Your"));
        assert!(!disguised_word("Москва"));
        assert!(!disguised_word("café"));
    }
}

/// A machine-made sender mailbox (`kghgfdfdfmvbdg@`, `k3hd513reagvbx6gomyi-2cybu@`): runs of
/// consonants no language writes, or long letter/digit soup. People and role mailboxes do not
/// look like this; throwaway bulk senders do.
pub fn random_local(ctx: &Ctx, r: &mut Reasons) {
    let Some(from) = &ctx.mail.from else { return };
    let local = from.address.split('@').next().unwrap_or("");
    if random_looking(local) {
        r.add("FROM_RANDOM_LOCAL", from.address.clone());
    }
}

fn random_looking(local: &str) -> bool {
    let l = local.to_ascii_lowercase();
    // Sub-addressing and VERP bounce tags (`list+tag`, `news#3.1234`) are machine-made but
    // legitimate; they are not what this looks for.
    if l.len() < 8 || l.contains(['+', '#', '=', '.']) {
        return false;
    }
    let (mut run, mut best) = (0usize, 0usize);
    for c in l.chars() {
        if c.is_ascii_alphabetic() && !"aeiouy".contains(c) {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    let digits = l.bytes().filter(u8::is_ascii_digit).count();
    let switches = l.as_bytes().windows(2).filter(|p| p[0].is_ascii_digit() != p[1].is_ascii_digit()).count();
    best >= 6 || (l.len() >= 16 && digits >= 4 && switches >= 6)
}

#[cfg(test)]
mod random_tests {
    use super::random_looking;

    #[test]
    fn machine_made_mailboxes() {
        assert!(random_looking("kghgfdfdfmvbdg"));
        assert!(random_looking("k3hd513reagvbx6gomyi-2cybutg0qwr4uop4kzpk"));
        assert!(!random_looking("john.smith"));
        assert!(!random_looking("customer.services"));
        assert!(!random_looking("noreply"));
        assert!(!random_looking("invoices2024"));
        assert!(!random_looking("news#3.19586.b5-9w0blztbvhpdzdrr.1"));
    }
}
