//! URL and HTML-body checks.

use rustc_hash::FxHashSet;

use super::Ctx;
use crate::domain::{is_ip, punycode_unicode, registrable};
use crate::reason::Reasons;
use crate::urls::{host_in_text, parse};

pub fn host_matches(host: &str, list: &[String]) -> bool {
    list.iter().any(|d| {
        host == d
            || (host.len() > d.len() && host.ends_with(d.as_str()) && host.as_bytes()[host.len() - d.len() - 1] == b'.')
    })
}

pub fn urls(ctx: &Ctx, r: &mut Reasons) {
    let lists = &ctx.cfg.urls;
    let mut regs: FxHashSet<String> = FxHashSet::default();
    for u in &ctx.urls {
        let reg = registrable(&u.host);
        if is_ip(&u.host) {
            r.add("URL_IP_LITERAL", u.host.clone());
        }
        if host_matches(&u.host, &lists.shorteners) {
            r.add("URL_SHORTENER", format!("{}{}", u.host, crate::parse::floor_char(&u.rest, 40)));
        }
        if host_matches(&u.host, &lists.redirectors) {
            let q = u.rest.to_ascii_lowercase();
            if lists.redirect_params.iter().any(|p| q.contains(&format!("?{p}")) || q.contains(&format!("&{p}"))) {
                r.add("URL_REDIRECTOR", format!("{}{}", u.host, crate::parse::floor_char(&u.rest, 60)));
            }
        }
        if let Some(uni) = punycode_unicode(&u.host) {
            r.add("URL_PUNYCODE", format!("{} = {uni}", u.host));
        }
        if let Some(ui) = &u.userinfo
            && ui.contains('.')
        {
            r.add("URL_USERINFO", format!("{ui}@{}", u.host));
        }
        if host_matches(&u.host, &lists.free_hosting) {
            r.add("URL_FREE_HOSTING", u.host.clone());
        }
        if let Some(tld) = u.host.rsplit('.').next()
            && !is_ip(&u.host)
            && lists.abused_tlds.iter().any(|t| t == tld)
        {
            r.add("URL_ABUSED_TLD", u.host.clone());
        }
        regs.insert(reg);
    }
    if regs.len() >= lists.many_domains && lists.many_domains > 0 {
        r.add("URL_MANY_DOMAINS", format!("{} distinct domains", regs.len()));
    }
    for o in &ctx.other_links {
        let l = o.trim_start().to_ascii_lowercase();
        if l.starts_with("data:") && !l.starts_with("data:image/") {
            r.add("URL_DATA_URI", crate::parse::floor_char(o.trim(), 40).to_string());
        }
    }
}

/// Link text that names one host while the link goes to another.
pub fn text_mismatch(ctx: &Ctx, r: &mut Reasons) {
    for h in &ctx.html {
        for (href, text) in &h.links {
            let Some(shown) = host_in_text(text) else {
                continue;
            };
            let Some(target) = parse(href) else { continue };
            let (a, b) = (registrable(&shown), registrable(&target.host));
            if a != b {
                r.add("URL_TEXT_MISMATCH", format!("{shown} -> {}", target.host));
            }
        }
    }
}

/// Forms, password fields, scripts and hidden text in HTML bodies.
pub fn html_body(ctx: &Ctx, r: &mut Reasons) {
    for h in &ctx.html {
        if h.password_inputs > 0 {
            r.add("HTML_CREDENTIAL_FORM", format!("{} password field(s) in the message body", h.password_inputs));
        }
        for a in &h.form_actions {
            if let Some(u) = parse(a)
                && registrable(&u.host) != ctx.from_reg
            {
                r.add("HTML_FORM_EXTERNAL_ACTION", format!("form posts to {}", u.host));
            }
        }
        if h.scripts > 0 {
            r.add("HTML_SCRIPT", format!("{} <script> element(s)", h.scripts));
        }
        if h.hidden_text {
            r.add("HTML_HIDDEN_TEXT", "text styled invisible");
        }
    }
}

/// Zero-width characters inside words (used to break up phrases that filters look for).
pub fn zero_width(ctx: &Ctx, r: &mut Reasons) {
    let mut n = 0;
    let mut prev_alpha = false;
    let mut pending = false;
    for c in ctx.mail.subject.chars().chain(ctx.text_lc.chars()) {
        // Zero-width and invisible direction marks (LRM/RLM, embeddings, invisible operators).
        let zw = matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}');
        if zw {
            pending = prev_alpha;
            continue;
        }
        let alpha = c.is_alphabetic();
        if pending && alpha {
            n += 1;
        }
        pending = false;
        prev_alpha = alpha;
    }
    if n >= 2 {
        r.add("ZERO_WIDTH_CHARS", format!("{n} zero-width characters inside words"));
    }
}
