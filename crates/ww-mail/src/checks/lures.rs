//! Lure phrases (a small tunable list per theme) and image-only / QR-only bodies.

use aho_corasick::AhoCorasick;

use super::Ctx;
use crate::config::Lures;
use crate::reason::Reasons;

/// Compiled phrase lists: `(reason id, minimum distinct phrases, automaton, phrases)`.
pub struct LureSet {
    sets: Vec<(&'static str, usize, AhoCorasick, Vec<String>)>,
}

impl LureSet {
    pub fn new(l: &Lures) -> Result<LureSet, String> {
        let mut sets = Vec::new();
        for (id, min, list) in [
            ("LURE_URGENCY", 1, &l.urgency),
            ("LURE_PAYMENT_CHANGE", 1, &l.payment_change),
            ("LURE_PASSWORD", 1, &l.password),
            ("LURE_ACCOUNT", 1, &l.account),
            ("LURE_DOCUMENT_SHARE", 1, &l.document_share),
            ("LURE_VOICEMAIL", 1, &l.voicemail),
            ("LURE_DELIVERY", 1, &l.delivery),
            ("LURE_PRIZE", 2, &l.prize),
            ("SPAM_PHRASES", 3, &l.spam),
            ("QR", 1, &l.qr),
        ] {
            let phrases: Vec<String> = list.iter().map(|p| p.to_lowercase()).collect();
            let ac = AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::Standard)
                .build(&phrases)
                .map_err(|e| format!("{id}: {e}"))?;
            sets.push((id, min, ac, phrases));
        }
        Ok(LureSet { sets })
    }

    pub fn check(&self, ctx: &Ctx, r: &mut Reasons) {
        let mut qr = false;
        for (id, min, ac, phrases) in &self.sets {
            let mut seen: Vec<usize> = Vec::new();
            let t = ctx.text_lc.as_bytes();
            for m in ac.find_overlapping_iter(&ctx.text_lc) {
                // Whole words only: "pix" must not match "pixel", nor "cialis" "specialist".
                let before = m.start() == 0 || !t[m.start() - 1].is_ascii_alphanumeric();
                let after = m.end() >= t.len() || !t[m.end()].is_ascii_alphanumeric();
                if !(before && after) {
                    continue;
                }
                let p = m.pattern().as_usize();
                if !seen.contains(&p) {
                    seen.push(p);
                }
            }
            if seen.len() >= *min && !seen.is_empty() {
                if *id == "QR" {
                    qr = true;
                    continue;
                }
                let ev: Vec<&str> = seen.iter().take(3).map(|&i| phrases[i].as_str()).collect();
                r.add(id, ev.join(", "));
            }
        }
        image_only(ctx, r, qr);
    }
}

fn image_only(ctx: &Ctx, r: &mut Reasons, qr_words: bool) {
    let words = ctx.text_lc.split_whitespace().filter(|w| w.chars().any(char::is_alphabetic)).count();
    let html_images: usize = ctx.html.iter().map(|h| h.images).sum();
    let image_atts = ctx.mail.attachments.iter().filter(|a| a.content_type.starts_with("image/")).count();
    let images = html_images + image_atts;
    if images == 0 {
        return;
    }
    if qr_words && words < 150 {
        r.add("QR_CODE_LURE", format!("asks to scan a code; {images} image(s), {words} words"));
    } else if words < 8 && ctx.urls.len() <= 3 {
        r.add("IMAGE_ONLY_BODY", format!("{images} image(s), {words} words of text"));
    }
}
