//! Checks that combine earlier findings into the shape of an attack, so that each weak signal
//! can stay light on its own: a credential lure with one off-site link, a brand in the subject
//! of mail the brand did not send.

use rustc_hash::FxHashSet;

use super::Ctx;
use super::headers::word_in;
use crate::domain::{is_ip, registrable};
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

/// Mail whose From is a brand's own domain (`service@paypal.com`) but which shows what the
/// brand's own systems never do: an envelope sender (Return-Path) outside the brand's domains
/// with no passing DKIM or DMARC recorded (the From was forged onto mail sent from elsewhere),
/// or links to bare IP addresses. Free mailbox providers are left out: anyone can hold an address
/// there, and list mail re-sent by a group server keeps the member's From.
pub fn brand_sender_spoof(ctx: &Ctx, r: &mut Reasons) {
    let from = &ctx.from_reg;
    if from.is_empty() || ctx.cfg.freemail.domains.contains(from) {
        return;
    }
    let Some((brand, domains)) = ctx.cfg.brands.iter().find(|(_, ds)| ds.contains(from)) else {
        return;
    };
    let aligned_pass = ["Authentication-Results", "ARC-Authentication-Results"].iter().any(|h| {
        ctx.mail.header_values(h).any(|v| {
            let l = v.to_ascii_lowercase();
            l.contains("dkim=pass") || l.contains("dmarc=pass") || l.contains("compauth=pass")
        })
    });
    if !aligned_pass
        && let Some(rp) = &ctx.mail.return_path
        && let Some((_, d)) = rp.rsplit_once('@')
    {
        let env = registrable(d);
        if !env.is_empty() && !domains.contains(&env) {
            r.add("BRAND_SENDER_SPOOFED", format!("From {from} ({brand}) but envelope sender is at {env}"));
            return;
        }
    }
    if let Some(u) = ctx.urls.iter().find(|u| is_ip(&u.host)) {
        r.add("BRAND_SENDER_SPOOFED", format!("From {from} ({brand}) but links to the bare address {}", u.host));
    }
}

#[cfg(test)]
mod tests {
    use crate::{Analyser, Config};

    fn ids(raw: &str) -> Vec<String> {
        let a = Analyser::new(Config::default_config().unwrap(), None).unwrap();
        a.analyse_bytes(raw.as_bytes()).reasons.into_iter().map(|r| r.id).collect()
    }

    #[test]
    fn brand_from_with_foreign_envelope_or_ip_link() {
        let spoof = ids("Return-Path: <nobody@host123.hosting.example>\r\nFrom: PayPal <service@paypal.com>\r\n\
                         To: a@b.example\r\nSubject: Flagged account\r\n\r\nPlease confirm your details.");
        assert!(spoof.contains(&"BRAND_SENDER_SPOOFED".to_string()), "{spoof:?}");
        let ip = ids("Return-Path: <aw-confirm@ebay.com>\r\nFrom: aw-confirm@ebay.com\r\nTo: a@b.example\r\n\
                      Subject: Account review\r\n\r\nSign in at http://192.0.2.10/ebay/signin today.");
        assert!(ip.contains(&"BRAND_SENDER_SPOOFED".to_string()), "{ip:?}");
    }

    #[test]
    fn genuine_brand_mail_and_freemail_stay_quiet() {
        // Sent through an outside service but signed for the brand: DKIM/DMARC pass recorded.
        let esp = ids("Return-Path: <0102abc@eu-west-1.amazonses.com>\r\nFrom: PayPal <service@paypal.com>\r\n\
                       Authentication-Results: mx.b.example; spf=pass; dkim=pass header.d=paypal.com; dmarc=pass\r\n\
                       To: a@b.example\r\nSubject: Your receipt\r\n\r\nSee https://www.paypal.com/activity");
        assert!(!esp.contains(&"BRAND_SENDER_SPOOFED".to_string()), "{esp:?}");
        let own = ids("Return-Path: <bounces@paypal.com>\r\nFrom: service@paypal.com\r\nTo: a@b.example\r\n\
                       Subject: Your receipt\r\n\r\nSee https://www.paypal.com/activity");
        assert!(!own.contains(&"BRAND_SENDER_SPOOFED".to_string()), "{own:?}");
        // A hotmail member's post re-sent by a group server.
        let list = ids("Return-Path: <group-owner@groups.example>\r\nFrom: someone@hotmail.com\r\n\
                        To: group@groups.example\r\nSubject: hello\r\n\r\nhi all");
        assert!(!list.contains(&"BRAND_SENDER_SPOOFED".to_string()), "{list:?}");
    }
}
