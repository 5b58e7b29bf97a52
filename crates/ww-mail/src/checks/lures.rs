//! Lure phrases (a small tunable list per theme) and image-only / QR-only bodies.

use aho_corasick::AhoCorasick;

use super::Ctx;
use crate::config::Lures;
use crate::reason::Reasons;

/// The phrase lists compiled into one automaton, so the text is scanned once for all of them.
pub struct LureSet {
    /// `(reason id, minimum distinct phrases, phrases)` per list.
    sets: Vec<(&'static str, usize, Vec<String>)>,
    /// Every distinct phrase of every list.
    ac: AhoCorasick,
    /// For each automaton pattern, the `(list, phrase index)` pairs it stands for (a phrase may
    /// sit in more than one list).
    owners: Vec<Vec<(usize, usize)>>,
}

impl LureSet {
    pub fn new(l: &Lures) -> Result<LureSet, String> {
        let mut sets = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<(usize, usize)>> = Vec::new();
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
            for (i, p) in phrases.iter().enumerate() {
                if p.is_empty() {
                    return Err(format!("{id}: empty phrase"));
                }
                match patterns.iter().position(|q| q == p) {
                    Some(k) => owners[k].push((sets.len(), i)),
                    None => {
                        patterns.push(p.clone());
                        owners.push(vec![(sets.len(), i)]);
                    }
                }
            }
            sets.push((id, min, phrases));
        }
        let ac = AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| format!("lures: {e}"))?;
        Ok(LureSet { sets, ac, owners })
    }

    pub fn check(&self, ctx: &Ctx, r: &mut Reasons) {
        // Distinct phrases seen per list, in the order they first appear in the text.
        let mut seen: Vec<Vec<usize>> = vec![Vec::new(); self.sets.len()];
        let t = ctx.text_lc.as_bytes();
        for m in self.ac.find_overlapping_iter(&ctx.text_lc) {
            // Whole words only: "pix" must not match "pixel", nor "cialis" "specialist".
            let before = m.start() == 0 || !t[m.start() - 1].is_ascii_alphanumeric();
            let after = m.end() >= t.len() || !t[m.end()].is_ascii_alphanumeric();
            if !(before && after) {
                continue;
            }
            for &(set, i) in &self.owners[m.pattern().as_usize()] {
                if !seen[set].contains(&i) {
                    seen[set].push(i);
                }
            }
        }
        let mut qr = false;
        for ((id, min, phrases), seen) in self.sets.iter().zip(&seen) {
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
