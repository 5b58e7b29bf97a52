//! Domain helpers: registrable domain (public suffix list), punycode, and lookalike tests
//! against protected domains (homoglyphs, edit distance, inserted words, swapped TLDs).

use std::net::IpAddr;

/// The registrable domain (`www.mail.council.gov.uk` -> `council.gov.uk`); IP literals and names
/// without a known suffix are returned as given.
pub fn registrable(host: &str) -> String {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    if is_ip(&h) {
        return h;
    }
    match psl::domain_str(&h) {
        Some(d) => d.to_string(),
        None => h,
    }
}

pub fn is_ip(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.parse::<IpAddr>().is_ok() || is_obfuscated_ipv4(h)
}

/// Decimal or hex single-number IPv4 hosts (`http://3232235777/`) are IP literals too.
fn is_obfuscated_ipv4(h: &str) -> bool {
    (!h.is_empty()
        && h.len() <= 10
        && h.bytes().all(|b| b.is_ascii_digit())
        && h.parse::<u64>().is_ok_and(|n| n > 16_777_216 && n <= u32::MAX as u64))
        || (h.starts_with("0x") && h.len() > 2 && h.len() <= 10 && h[2..].bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `(label, suffix)` of a registrable domain: `council.gov.uk` -> (`council`, `gov.uk`).
pub fn split_label(reg: &str) -> (&str, &str) {
    match reg.split_once('.') {
        Some((l, s)) => (l, s),
        None => (reg, ""),
    }
}

/// The Unicode form of a host with `xn--` labels; `None` when there are none.
pub fn punycode_unicode(host: &str) -> Option<String> {
    if !host.split('.').any(|l| l.starts_with("xn--")) {
        return None;
    }
    let (u, r) = idna::domain_to_unicode(host);
    if r.is_ok() { Some(u) } else { None }
}

/// Map confusable characters to the Latin letter they imitate, so that `pаypal` (Cyrillic а)
/// and `paypa1` compare equal to `paypal`.
pub fn skeleton(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let m = match c {
            'а' | 'ɑ' | 'α' | 'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'Ь' | 'ḃ' => 'b',
            'с' | 'ϲ' | 'ç' => 'c',
            'ԁ' | 'ɗ' => 'd',
            'е' | 'ё' | 'è' | 'é' | 'ê' | 'ë' | 'ε' => 'e',
            'ɡ' => 'g',
            'һ' => 'h',
            'і' | 'ï' | 'ì' | 'í' | 'î' | 'ı' | '1' | 'ӏ' | 'l' | '|' | 'ι' => 'l',
            'ј' => 'j',
            'κ' | 'к' => 'k',
            'о' | 'ο' | '0' | 'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
            'р' | 'ρ' => 'p',
            'ԛ' => 'q',
            'ѕ' | '5' => 's',
            'т' | 'τ' => 't',
            'υ' | 'ù' | 'ú' | 'û' | 'ü' | 'μ' => 'u',
            'ν' | 'ѵ' => 'v',
            'ԝ' | 'ѡ' => 'w',
            'х' | 'χ' => 'x',
            'у' | 'ý' | 'ÿ' => 'y',
            'ᴢ' => 'z',
            _ => c,
        };
        out.push(m);
    }
    // multi-letter imitations
    out.replace("rn", "m").replace("vv", "w").replace('i', "l")
}

/// Scripts present among the letters of a label (Latin, Cyrillic, Greek, other).
pub fn mixed_script(s: &str) -> bool {
    let (mut latin, mut cyr, mut greek, mut other) = (false, false, false, false);
    for c in s.chars().filter(|c| c.is_alphabetic()) {
        match c as u32 {
            0x41..=0x24F => latin = true,
            0x370..=0x3FF => greek = true,
            0x400..=0x52F => cyr = true,
            _ => other = true,
        }
    }
    [latin, cyr, greek, other].iter().filter(|x| **x).count() > 1
}

/// Levenshtein distance, stopping early once it exceeds `max`.
pub fn edit_distance(a: &str, b: &str, max: usize) -> usize {
    // Most candidates differ in length by more than `max`: answer before allocating.
    if a.chars().count().abs_diff(b.chars().count()) > max {
        return max + 1;
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            row_min = row_min.min(cur[j]);
        }
        if row_min > max {
            return max + 1;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// How a domain imitates a protected one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookalike {
    pub protected: String,
    pub how: &'static str,
}

/// Does registrable domain `cand` (ASCII or Unicode) imitate protected registrable domain `prot`?
/// `strict` is for the council's own and partner domains: any other TLD is suspicious and edit
/// distance up to 2 counts. Brands (`strict = false`) use tighter distances because common words
/// sit one letter away from short brand names.
pub fn lookalike(cand: &str, prot: &str, strict: bool) -> Option<&'static str> {
    let allow_tld_swap = strict;
    if cand == prot || cand.is_empty() || prot.is_empty() {
        return None;
    }
    let (cl, cs) = split_label(cand);
    let (pl, ps) = split_label(prot);
    if cl.is_empty() || pl.is_empty() {
        return None;
    }
    if (!cand.is_ascii() || cl.contains(['0', '1', '5']) || cl.contains("rn") || cl.contains("vv"))
        && skeleton(cand) == skeleton(prot)
    {
        return Some("homoglyph");
    }
    if cl == pl {
        return if allow_tld_swap && cs != ps { Some("swapped TLD") } else { None };
    }
    if cs == ps || allow_tld_swap {
        let plen = pl.chars().count();
        let max = if strict {
            if plen >= 6 {
                2
            } else if plen >= 4 {
                1
            } else {
                0
            }
        } else if plen >= 9 {
            2
        } else if plen >= 6 {
            1
        } else {
            0
        };
        if max > 0 && edit_distance(cl, pl, max) <= max {
            return Some("edit distance");
        }
    }
    // Inserted hyphens or words: `council-gov.uk`, `council-secure.com`, `secure-paypal.net`.
    if pl.len() >= 5 && cl.len() > pl.len() && cl.contains(pl) {
        let joined = format!("{pl}-{}", ps.replace('.', "-"));
        if cl.starts_with(&joined) || cl.split('-').any(|w| w == pl) {
            return Some("inserted words");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_uses_public_suffix_list() {
        assert_eq!(registrable("www.mail.council.gov.uk"), "council.gov.uk");
        assert_eq!(registrable("a.b.example.co.uk"), "example.co.uk");
        assert_eq!(registrable("185.1.2.3"), "185.1.2.3");
        assert!(is_ip("[::1]") && is_ip("3232235777") && !is_ip("example.com"));
    }

    #[test]
    fn lookalikes_positive() {
        assert_eq!(lookalike("council-gov.uk", "council.gov.uk", true), Some("inserted words"));
        assert_eq!(lookalike("council-secure.com", "council.gov.uk", true), Some("inserted words"));
        assert_eq!(lookalike("counci1.gov.uk", "council.gov.uk", true), Some("homoglyph"));
        assert_eq!(lookalike("cuoncil.gov.uk", "council.gov.uk", true), Some("edit distance"));
        assert_eq!(lookalike("council.com", "council.gov.uk", true), Some("swapped TLD"));
        assert_eq!(lookalike("pаypal.com", "paypal.com", false), Some("homoglyph"));
        assert_eq!(lookalike("paypa1.com", "paypal.com", false), Some("homoglyph"));
        assert_eq!(lookalike("rnicrosoft.com", "microsoft.com", false), Some("homoglyph"));
    }

    #[test]
    fn lookalikes_negative() {
        assert_eq!(lookalike("council.gov.uk", "council.gov.uk", true), None);
        assert_eq!(lookalike("paypal.co.uk", "paypal.com", false), None);
        assert_eq!(lookalike("example.org", "council.gov.uk", true), None);
        assert_eq!(lookalike("nhs.net", "nhs.uk", false), None);
        assert_eq!(lookalike("bbc.co.uk", "nhs.uk", true), None);
    }

    #[test]
    fn punycode_and_scripts() {
        assert_eq!(punycode_unicode("xn--pypal-4ve.com").as_deref(), Some("pаypal.com"));
        assert_eq!(punycode_unicode("example.com"), None);
        assert!(mixed_script("pаypal"));
        assert!(!mixed_script("paypal"));
        assert_eq!(edit_distance("kitten", "sitting", 5), 3);
    }
}
