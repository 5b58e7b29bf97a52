//! Header checks: authentication results, address mismatches, display-name impersonation,
//! Message-ID/Date hygiene and the Received chain.

use super::Ctx;
use crate::domain::registrable;
use crate::reason::Reasons;

/// Authentication results recorded by receiving servers (`Authentication-Results`,
/// `ARC-Authentication-Results`, `Received-SPF`). Offline we cannot re-verify; we read them.
pub fn auth(ctx: &Ctx, r: &mut Reasons) {
    let mut any = false;
    let mut pass = false;
    for name in ["Authentication-Results", "ARC-Authentication-Results", "X-MS-Exchange-Authentication-Results"] {
        for v in ctx.mail.header_values(name) {
            any = true;
            let l = v.to_ascii_lowercase();
            for (needle, id) in [
                ("spf=fail", "AUTH_SPF_FAIL"),
                ("spf=softfail", "AUTH_SPF_SOFTFAIL"),
                ("dkim=fail", "AUTH_DKIM_FAIL"),
                ("dmarc=fail", "AUTH_DMARC_FAIL"),
                ("arc=fail", "AUTH_ARC_FAIL"),
                ("dmarc=none", "AUTH_DMARC_NONE"),
            ] {
                if has_result(&l, needle) {
                    r.add(id, needle);
                }
            }
            if l.contains("spf=pass")
                || l.contains("dkim=pass")
                || l.contains("dmarc=pass")
                || l.contains("compauth=pass")
            {
                pass = true;
            }
        }
    }
    for v in ctx.mail.header_values("Received-SPF") {
        any = true;
        let l = v.trim_start().to_ascii_lowercase();
        if l.starts_with("fail") {
            r.add("AUTH_SPF_FAIL", "Received-SPF: fail");
        } else if l.starts_with("softfail") {
            r.add("AUTH_SPF_SOFTFAIL", "Received-SPF: softfail");
        } else if l.starts_with("pass") {
            pass = true;
        }
    }
    if any && !pass {
        r.add("AUTH_NO_PASS", "no spf/dkim/dmarc pass recorded");
    }
}

/// From vs Reply-To vs Return-Path.
pub fn addresses(ctx: &Ctx, r: &mut Reasons) {
    let from = &ctx.from_reg;
    if from.is_empty() {
        return;
    }
    let list_mail = is_list_mail(ctx.mail);
    if !list_mail {
        for rt in &ctx.mail.reply_to {
            let d = registrable(rt.domain());
            if !d.is_empty() && d != *from {
                r.add("FROM_REPLYTO_MISMATCH", format!("{} -> {}", from, rt.address));
            }
        }
    }
    if let Some(rp) = &ctx.mail.return_path
        && let Some((_, d)) = rp.rsplit_once('@')
    {
        let d = registrable(d);
        if !d.is_empty() && d != *from && !list_mail {
            r.add("RETURN_PATH_MISMATCH", format!("{from} vs {d}"));
        }
    }
}

/// Mail distributed by a list or group: the list headers, or replies set to go back to the
/// address the message was sent to (a group's own address). From, Reply-To and Return-Path
/// legitimately differ on such mail.
fn is_list_mail(m: &crate::model::Mail) -> bool {
    m.has_list_headers()
        || m.reply_to.iter().any(|rt| m.to.iter().any(|to| to.address.eq_ignore_ascii_case(&rt.address)))
}

/// `method=result` as a whole token (`arc=fail` must not match inside `dmarc=fail`).
fn has_result(l: &str, needle: &str) -> bool {
    l.match_indices(needle).any(|(i, _)| i == 0 || !l.as_bytes()[i - 1].is_ascii_alphanumeric())
}

pub fn word_in(hay: &str, needle: &str) -> bool {
    let mut start = 0;
    while let Some(p) = hay[start..].find(needle) {
        let a = start + p;
        let b = a + needle.len();
        let before_ok = a == 0 || !hay[..a].chars().next_back().is_some_and(char::is_alphanumeric);
        let after_ok = b >= hay.len() || !hay[b..].chars().next().is_some_and(char::is_alphanumeric);
        if before_ok && after_ok {
            return true;
        }
        start = a + needle.len().max(1);
        if start >= hay.len() {
            break;
        }
    }
    false
}

/// A protected person, protected domain or brand in the display name of mail from elsewhere.
pub fn display_name(ctx: &Ctx, r: &mut Reasons) {
    let Some(from) = &ctx.mail.from else { return };
    let Some(name) = &from.name else { return };
    let n = name.to_lowercase();
    let from_reg = &ctx.from_reg;
    let own = ctx.cfg.protected.domains.iter().any(|d| from_reg == d || from_reg.ends_with(&format!(".{d}")));
    if !own {
        for p in &ctx.cfg.protected.names {
            if word_in(&n, &p.to_lowercase()) {
                r.add("DISPLAY_NAME_IMPERSONATION", format!("\"{name}\" <{}>", from.address));
            }
        }
        for d in &ctx.cfg.protected.domains {
            if d.contains('.') && d.split('.').count() > 2 && n.contains(d.as_str()) {
                r.add("DISPLAY_NAME_IMPERSONATION", format!("\"{name}\" names {d}, sent from {from_reg}"));
            }
        }
    }
    for (brand, domains) in &ctx.cfg.brands {
        if word_in(&n, brand) && !domains.iter().any(|d| from_reg == d || from_reg.ends_with(&format!(".{d}"))) {
            r.add(
                "DISPLAY_NAME_IMPERSONATION",
                format!(
                    "\"{name}\" is not sent from {} but {from_reg}",
                    domains.first().map(String::as_str).unwrap_or(brand)
                ),
            );
            break;
        }
    }
    // "support@paypal.com" <x@evil.example>
    if let Some(at) = n.find('@') {
        let tail: String = n[at + 1..].chars().take_while(|c| c.is_alphanumeric() || *c == '.' || *c == '-').collect();
        let d = registrable(tail.trim_end_matches('.'));
        if d.contains('.') && d != *from_reg {
            r.add("DISPLAY_NAME_ADDRESS_MISMATCH", format!("\"{name}\" <{}>", from.address));
        }
    }
}

/// An organisation's or a function's name on mail from a free mailbox ("Banco do Brasil"
/// <someone@gmail.com>, "IT Helpdesk" <x@outlook.com>).
pub fn freemail_org(ctx: &Ctx, r: &mut Reasons) {
    let Some(from) = &ctx.mail.from else { return };
    let Some(name) = &from.name else { return };
    if !ctx.cfg.freemail.domains.contains(&ctx.from_reg) {
        return;
    }
    let n = name.to_lowercase();
    let brand = ctx.cfg.brands.keys().find(|b| word_in(&n, b));
    let word = ctx.cfg.freemail.org_words.iter().find(|w| word_in(&n, w));
    if let Some(w) = brand.or(word) {
        r.add("DISPLAY_NAME_FREEMAIL_ORG", format!("\"{name}\" ({w}) <{}>", from.address));
    }
}

/// Random-looking tokens in the subject, added to defeat duplicate detection
/// (`Fatura Ref. JlxIIM67eCcFfLk`).
pub fn subject_token(ctx: &Ctx, r: &mut Reasons) {
    for w in ctx.mail.subject.split(|c: char| !c.is_ascii_alphanumeric()) {
        if w.len() < 8 || w.len() > 40 {
            continue;
        }
        let up = w.bytes().filter(u8::is_ascii_uppercase).count();
        let lo = w.bytes().filter(u8::is_ascii_lowercase).count();
        let dg = w.bytes().filter(u8::is_ascii_digit).count();
        let switches = w
            .as_bytes()
            .windows(2)
            .filter(|p| {
                p[0].is_ascii_uppercase() != p[1].is_ascii_uppercase()
                    && p[0].is_ascii_alphabetic()
                    && p[1].is_ascii_alphabetic()
            })
            .count();
        let mixed = [up > 0, lo > 0, dg > 0].iter().filter(|x| **x).count();
        if (mixed == 3 && switches >= 3) || (up >= 2 && lo >= 2 && switches >= 5) {
            r.add("SUBJECT_HASH_BUSTER", w.to_string());
            return;
        }
    }
}

/// Message-ID and Date presence and form.
pub fn hygiene(ctx: &Ctx, r: &mut Reasons) {
    match &ctx.mail.message_id {
        None => r.add("MISSING_MESSAGE_ID", "no Message-ID header"),
        Some(id) => {
            let t = id.trim();
            let ok = t.starts_with('<') && t.ends_with('>') && t.contains('@') && !t.contains(char::is_whitespace);
            if !ok {
                r.add("MALFORMED_MESSAGE_ID", t.to_string());
            }
        }
    }
    match &ctx.mail.date {
        None => r.add("MISSING_DATE", "no Date header"),
        Some(d) if !ctx.mail.date_valid => r.add("MALFORMED_DATE", d.clone()),
        _ => {}
    }
}

/// Received chain: absent, or longer than any real route.
pub fn received(ctx: &Ctx, r: &mut Reasons) {
    let n = ctx.mail.header_values("Received").count();
    if n == 0 && ctx.mail.from.is_some() && !ctx.mail.has_header("X-Wardwatch-Source-Msg") {
        r.add("RECEIVED_NONE", "no Received headers");
    } else if n > 30 {
        r.add("RECEIVED_IMPLAUSIBLE", format!("{n} Received headers (loop or forged)"));
    }
}

#[cfg(test)]
mod tests {
    use super::word_in;

    #[test]
    fn hash_buster_shapes() {
        let cfg = crate::config::Config::default_config().unwrap();
        let a = crate::Analyser::new(cfg.clone(), None).unwrap();
        for (subj, hit) in [
            ("Fatura Ref. JlxIIM67eCcFfLk", true),
            ("Invoice INV-2024-00123", false),
            ("Meeting on Tuesday", false),
            ("PayPal iPhone", false),
        ] {
            let m = crate::model::Mail { subject: subj.into(), ..Default::default() };
            let ctx = a.prepare(&m);
            let mut r = crate::reason::Reasons::new(&cfg);
            super::subject_token(&ctx, &mut r);
            assert_eq!(!r.list.is_empty(), hit, "{subj}");
        }
    }

    #[test]
    fn auth_results_are_whole_tokens() {
        assert!(super::has_result("mx; dmarc=fail header.from=x", "dmarc=fail"));
        assert!(!super::has_result("mx; dmarc=fail header.from=x", "arc=fail"));
        assert!(super::has_result("arc=fail (x)", "arc=fail"));
    }

    #[test]
    fn group_mail_replying_to_its_own_address_is_list_mail() {
        let cfg = crate::config::Config::default_config().unwrap();
        let a = crate::Analyser::new(cfg, None).unwrap();
        for (hdrs, mismatch) in [
            ("Reply-To: <Group@groups.example.com>\r\nTo: <group@groups.example.com>\r\n", false),
            ("Reply-To: <x@other.example>\r\nMailing-List: list x@other.example\r\nTo: <me@b.example>\r\n", false),
            ("Reply-To: <collect@other.example>\r\nTo: <me@b.example>\r\n", true),
        ] {
            let raw = format!("From: someone <someone@mail.example>\r\n{hdrs}Subject: s\r\n\r\nbody\r\n");
            let rep = a.analyse_bytes(raw.as_bytes());
            assert_eq!(rep.reasons.iter().any(|x| x.id == "FROM_REPLYTO_MISMATCH"), mismatch, "{hdrs}");
        }
    }

    #[test]
    fn words_are_bounded() {
        assert!(word_in("paypal service", "paypal"));
        assert!(!word_in("paypalish", "paypal"));
        assert!(word_in("the chief executive", "chief executive"));
    }
}
