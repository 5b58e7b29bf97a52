//! Checks that combine earlier findings into the shape of an attack, so that each weak signal
//! can stay light on its own: a credential lure with one off-site link, a brand in the subject
//! of mail the brand did not send.

use rustc_hash::FxHashSet;

use super::Ctx;
use super::headers::word_in;
use crate::domain::registrable;
use crate::reason::Reasons;

const CREDENTIAL_LURES: [&str; 2] = ["LURE_ACCOUNT", "LURE_PASSWORD"];
const ANY_LURE: [&str; 6] =
    ["LURE_ACCOUNT", "LURE_PASSWORD", "LURE_PAYMENT_CHANGE", "LURE_DOCUMENT_SHARE", "LURE_VOICEMAIL", "LURE_DELIVERY"];

fn has(r: &Reasons, ids: &[&str]) -> Option<String> {
    r.list.iter().find(|x| ids.contains(&x.id.as_str())).map(|x| x.id.clone())
}

/// Account/password language plus few link destinations, none on the sender's own domain: the
/// "verify here" harvest page. Newsletters link to many places; this shape links to one or two.
pub fn credential_harvest(ctx: &Ctx, r: &mut Reasons) {
    let Some(lure) = has(r, &CREDENTIAL_LURES) else { return };
    let dests: FxHashSet<String> = ctx
        .html
        .iter()
        .flat_map(|h| h.links.iter())
        .filter_map(|(u, _)| crate::urls::parse(u))
        .chain(ctx.urls.iter().cloned())
        .map(|u| registrable(&u.host))
        .collect();
    if dests.is_empty() || dests.len() > 3 || dests.contains(&ctx.from_reg) {
        return;
    }
    let mut d: Vec<&String> = dests.iter().collect();
    d.sort();
    r.add("CREDENTIAL_HARVEST", format!("{lure} with links only to {}", d[0]));
}

/// A brand named in the subject of a lure it did not send (`Microsoft 365: password expiry`
/// from `x@random.example`).
pub fn brand_subject(ctx: &Ctx, r: &mut Reasons) {
    if has(r, &ANY_LURE).is_none() {
        return;
    }
    let subj = ctx.mail.subject.to_lowercase();
    for (brand, domains) in &ctx.cfg.brands {
        if word_in(&subj, brand)
            && !domains.iter().any(|d| ctx.from_reg == *d || ctx.from_reg.ends_with(&format!(".{d}")))
        {
            r.add("BRAND_SUBJECT_MISMATCH", format!("subject names {brand}, sent from {:?}", ctx.from_reg));
            return;
        }
    }
}
