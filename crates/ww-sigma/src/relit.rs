//! Required literals of a regex, so that regex rules join the literal prefilter instead of being
//! evaluated on every event. The answer is a set of folded strings of which at least one occurs
//! (after folding) in every text the regex matches; `None` when no such set is known.
//!
//! Case-insensitive classes such as `[Ss\u{17F}]` fold to more than one form (`ſ` stays `ſ`
//! under lower-casing), so a run of characters carries every folded spelling, capped.

use regex_syntax::hir::{Class, Hir, HirKind};

use crate::ast::fold;

/// Shortest literal worth indexing (as the string prefilter).
const MIN_LITERAL: usize = 3;
/// Most spellings one run may carry before it is cut.
const MAX_VARIANTS: usize = 16;
/// Classes with more characters than this are wildcards, not case variants.
const MAX_CLASS: usize = 6;

/// Folded spellings of one class, or `None` when it is too wide to enumerate.
fn class_forms(c: &Class) -> Option<Vec<String>> {
    let mut chars: Vec<char> = Vec::new();
    match c {
        Class::Unicode(u) => {
            for r in u.ranges() {
                let n = (r.end() as u32).checked_sub(r.start() as u32)? as usize + 1;
                if chars.len() + n > MAX_CLASS {
                    return None;
                }
                chars.extend(r.start()..=r.end());
            }
        }
        Class::Bytes(b) => {
            for r in b.ranges() {
                let n = (r.end() - r.start()) as usize + 1;
                if chars.len() + n > MAX_CLASS || !r.end().is_ascii() {
                    return None;
                }
                chars.extend((r.start()..=r.end()).map(char::from));
            }
        }
    }
    let mut forms: Vec<String> = chars.iter().map(|c| fold(&c.to_string())).collect();
    forms.sort();
    forms.dedup();
    // A class of unrelated characters (`[abc]`) would multiply spellings for little gain.
    (forms.len() <= 2).then_some(forms)
}

/// All folded spellings of a node that matches a fixed string up to case, or `None`.
fn single(h: &Hir) -> Option<Vec<String>> {
    match h.kind() {
        HirKind::Literal(l) => Some(vec![fold(std::str::from_utf8(&l.0).ok()?)]),
        HirKind::Class(c) => class_forms(c),
        HirKind::Capture(c) => single(&c.sub),
        HirKind::Concat(subs) => {
            let mut acc = vec![String::new()];
            for s in subs {
                acc = cross(&acc, &single(s)?)?;
            }
            Some(acc)
        }
        _ => None,
    }
}

fn cross(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() * b.len() > MAX_VARIANTS {
        return None;
    }
    let mut out: Vec<String> = a.iter().flat_map(|x| b.iter().map(move |y| format!("{x}{y}"))).collect();
    out.sort();
    out.dedup();
    Some(out)
}

fn usable(v: Vec<String>) -> Option<Vec<String>> {
    v.iter().all(|s| s.len() >= MIN_LITERAL).then_some(v)
}

fn score(v: &[String]) -> (usize, std::cmp::Reverse<usize>) {
    (v.iter().map(String::len).min().unwrap_or(0), std::cmp::Reverse(v.len()))
}

fn req(h: &Hir) -> Option<Vec<String>> {
    match h.kind() {
        HirKind::Literal(_) | HirKind::Class(_) => single(h).and_then(usable),
        HirKind::Capture(c) => req(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => req(&r.sub),
        HirKind::Alternation(subs) => {
            let mut out = Vec::new();
            for s in subs {
                out.extend(req(s)?);
            }
            out.sort();
            out.dedup();
            Some(out)
        }
        HirKind::Concat(subs) => {
            // Runs of adjacent fixed pieces are literals; any child's requirement holds too.
            let mut cands: Vec<Vec<String>> = Vec::new();
            let mut run: Option<Vec<String>> = None;
            for s in subs {
                match (single(s), run.take()) {
                    (Some(forms), Some(r)) => match cross(&r, &forms) {
                        Some(joined) => run = Some(joined),
                        None => {
                            cands.extend(usable(r));
                            run = Some(forms);
                        }
                    },
                    (Some(forms), None) => run = Some(forms),
                    (None, r) => {
                        cands.extend(r.and_then(usable));
                        cands.extend(req(s));
                    }
                }
            }
            cands.extend(run.and_then(usable));
            cands.into_iter().max_by_key(|v| score(v))
        }
        _ => None,
    }
}

/// The literals one of which every match of `pattern` contains, folded; `None` if unknown.
pub(crate) fn required(pattern: &str) -> Option<Vec<String>> {
    let hir = regex_syntax::ParserBuilder::new().build().parse(pattern).ok()?;
    req(&hir).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_alternation() {
        assert_eq!(required(r"foo\.exe.*bar"), Some(vec!["foo.exe".to_string()]));
        assert_eq!(required(r"(?:abcd|efgh)x"), Some(vec!["abcd".to_string(), "efgh".to_string()]));
        assert_eq!(required(r"\d+"), None);
        assert_eq!(required(r"abc|d"), None);
        assert_eq!(required(r"(abc)?def"), Some(vec!["def".to_string()]));
        assert_eq!(required(r"(abc)*de"), None);
    }

    #[test]
    fn case_insensitive_keeps_every_folded_spelling() {
        let v = required(r"(?i)powershell").unwrap_or_default();
        assert!(v.contains(&"powershell".to_string()));
        assert!(v.contains(&"power\u{17f}hell".to_string()), "{v:?}");
        assert_eq!(required(r"(?i)CMD\.EXE"), Some(vec!["cmd.exe".to_string()]));
    }

    #[test]
    fn folded_literals_occur_in_every_match() {
        for (re, text) in [
            (r"(?i)power\s*shell", "POWER  \u{17f}HELL"),
            (r"(?i)net\s+user", "NET USER"),
            (r"(?i)(certutil|bitsadmin)\.exe", "BITSADMIN.EXE"),
        ] {
            let r = regex::Regex::new(re).unwrap();
            assert!(r.is_match(text));
            let lits = required(re).unwrap();
            let t = fold(text);
            assert!(lits.iter().any(|l| t.contains(l.as_str())), "{re}: {lits:?} not in {t}");
        }
    }
}
