//! Lookalike senders and link hosts against protected domains and brands.

use super::Ctx;
use crate::domain::{lookalike, mixed_script, punycode_unicode, registrable};
use crate::reason::Reasons;

/// Is `reg` one of the genuine domains (protected or a brand's)?
fn genuine(ctx: &Ctx, reg: &str) -> bool {
    ctx.cfg.protected.domains.iter().any(|d| d == reg) || ctx.cfg.brands.values().any(|ds| ds.iter().any(|d| d == reg))
}

/// The first protected domain or brand domain that `host` imitates, with how.
pub fn imitates(ctx: &Ctx, host: &str) -> Option<(String, String, &'static str)> {
    let uni = punycode_unicode(host);
    let h = uni.as_deref().unwrap_or(host);
    let reg = registrable(h);
    if genuine(ctx, &reg) {
        return None;
    }
    for p in &ctx.cfg.protected.domains {
        if let Some(how) = lookalike(&reg, p, true) {
            return Some((reg, p.clone(), how));
        }
    }
    for ds in ctx.cfg.brands.values() {
        for p in ds {
            if let Some(how) = lookalike(&reg, p, false) {
                return Some((reg, p.clone(), how));
            }
        }
    }
    // A genuine domain used as a sub-domain label: `paypal.com.secure-login.example`.
    let sub = h.strip_suffix(reg.as_str()).unwrap_or("");
    if !sub.is_empty() {
        let sub_reg = registrable(sub.trim_end_matches('.'));
        for p in &ctx.cfg.protected.domains {
            if let Some(how) = lookalike(&sub_reg, p, true)
                && how != "swapped TLD"
            {
                return Some((h.to_string(), p.clone(), "lookalike in sub-domain"));
            }
        }
        for p in ctx.cfg.protected.domains.iter().chain(ctx.cfg.brands.values().flatten()) {
            if p.len() >= 6
                && (sub.starts_with(&format!("{p}."))
                    || sub.contains(&format!(".{p}."))
                    || sub.contains(&format!("{p}-")))
            {
                return Some((h.to_string(), p.clone(), "genuine name in sub-domain"));
            }
        }
    }
    None
}

pub fn sender(ctx: &Ctx, r: &mut Reasons) {
    let Some(from) = &ctx.mail.from else { return };
    let dom = from.domain();
    if dom.is_empty() {
        return;
    }
    if let Some((reg, p, how)) = imitates(ctx, dom) {
        r.add("LOOKALIKE_SENDER", format!("{reg} ~ {p} ({how})"));
    }
    if let Some(u) = punycode_unicode(dom) {
        r.add("PUNYCODE_SENDER", format!("{dom} = {u}"));
    } else if !dom.is_ascii() && mixed_script(dom) {
        r.add("PUNYCODE_SENDER", format!("{dom} mixes scripts"));
    }
}

/// Mail that claims a brand (sender domain, or the brand named in the display name) but whose
/// links mostly lead elsewhere: the classic spoofed-bank pattern.
pub fn brand_links(ctx: &Ctx, r: &mut Reasons) {
    let name = ctx.mail.from.as_ref().and_then(|f| f.name.as_deref()).unwrap_or("").to_lowercase();
    let claimed = ctx.cfg.brands.iter().find(|(b, ds)| {
        ds.contains(&ctx.from_reg)
            || (!name.is_empty() && name.split(|c: char| !c.is_alphanumeric()).any(|w| w == b.as_str()))
    });
    let Some((brand, domains)) = claimed else {
        return;
    };
    let link_hosts: Vec<String> = ctx
        .html
        .iter()
        .flat_map(|h| h.links.iter())
        .filter_map(|(u, _)| crate::urls::parse(u))
        .map(|u| registrable(&u.host))
        .collect();
    if link_hosts.is_empty() {
        return;
    }
    let on = link_hosts.iter().filter(|h| domains.iter().any(|d| d == *h)).count();
    let off: Vec<&String> = link_hosts.iter().filter(|h| !domains.iter().any(|d| d == *h)).collect();
    if off.len() > on {
        r.add(
            "BRAND_LINK_MISMATCH",
            format!("claims {brand}; {} of {} links go to {}", off.len(), link_hosts.len(), off[0]),
        );
    }
}

pub fn links(ctx: &Ctx, r: &mut Reasons) {
    // Newsletters link to one or two hosts dozens of times; the verdict depends on the host only.
    let mut seen = rustc_hash::FxHashSet::default();
    for u in ctx.urls.iter().filter(|u| seen.insert(u.host.as_str())) {
        if let Some((reg, p, how)) = imitates(ctx, &u.host) {
            r.add("LOOKALIKE_URL", format!("{reg} ~ {p} ({how})"));
        }
    }
}
