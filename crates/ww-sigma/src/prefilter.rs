//! Required literals: for each rule, a set of (field, literal) such that the rule can only match
//! when at least one of the literals occurs (case-insensitively) in its field. Buckets index these
//! in one Aho-Corasick automaton per field, so most rules are never evaluated for most events.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use rustc_hash::FxHashMap;

use crate::ast::{Cond, Detection, FieldMatch, OfCount, Pat, Tok, fold};

/// Literals shorter than this match too often to be worth indexing.
const MIN_LITERAL: usize = 3;

/// (field or `None` for keywords, folded literal). Empty never: `None` means "no requirement".
pub(crate) type Req = Vec<(Option<String>, String)>;

fn score(r: &Req) -> (usize, std::cmp::Reverse<usize>) {
    (r.iter().map(|(_, l)| l.len()).min().unwrap_or(0), std::cmp::Reverse(r.len()))
}

fn best(cands: impl Iterator<Item = Option<Req>>) -> Option<Req> {
    cands.flatten().max_by_key(score)
}

fn union(items: impl Iterator<Item = Option<Req>>) -> Option<Req> {
    let mut out = Vec::new();
    for r in items {
        out.extend(r?);
    }
    out.sort();
    out.dedup();
    if out.is_empty() { None } else { Some(out) }
}

fn pat_lits(p: &Pat) -> Option<Vec<String>> {
    match p {
        Pat::Str(s) => {
            let lit = s
                .toks
                .iter()
                .filter_map(|t| match t {
                    Tok::Lit(l) => Some(l),
                    _ => None,
                })
                .max_by_key(|l| l.len())?;
            let lit = if s.cased { fold(lit) } else { lit.clone() };
            (lit.len() >= MIN_LITERAL).then(|| vec![lit])
        }
        Pat::AnyOf(ps) => {
            let mut out = Vec::new();
            for p in ps {
                out.extend(pat_lits(p)?);
            }
            Some(out)
        }
        _ => None,
    }
}

/// Fields that name the log source: their values are the same for every event of a bucket, so
/// a literal there filters nothing.
const SOURCE_FIELDS: [&str; 5] = ["channel", "eventid", "provider_name", "provider", "source"];

fn fm_req(fm: &FieldMatch) -> Option<Req> {
    if fm.field.as_ref().is_some_and(|f| SOURCE_FIELDS.contains(&f.to_ascii_lowercase().as_str())) {
        return None;
    }
    let per_pat = |p: &Pat| {
        pat_lits(p)
            .map(|ls| ls.into_iter().map(|l| (fm.field.as_ref().map(|f| f.to_ascii_lowercase()), l)).collect::<Req>())
    };
    if fm.all { best(fm.pats.iter().map(per_pat)) } else { union(fm.pats.iter().map(per_pat)) }
}

fn sel_req(det: &Detection, i: usize) -> Option<Req> {
    union(det.selections[i].groups.iter().map(|g| best(g.iter().map(fm_req))))
}

fn cond_req(det: &Detection, c: &Cond) -> Option<Req> {
    match c {
        Cond::Sel(i) => sel_req(det, *i),
        Cond::Not(_) => None,
        Cond::And(cs) => best(cs.iter().map(|c| cond_req(det, c))),
        Cond::Or(cs) => union(cs.iter().map(|c| cond_req(det, c))),
        Cond::Of(OfCount::All, s) => best(s.iter().map(|&i| sel_req(det, i))),
        Cond::Of(OfCount::AtLeast(_), s) => union(s.iter().map(|&i| sel_req(det, i))),
    }
}

/// The literals a rule requires, or `None` when it must always be evaluated.
pub(crate) fn required(det: &Detection) -> Option<Req> {
    cond_req(det, &det.cond)
}

/// One automaton over one field's literals; pattern id → rules needing it.
#[derive(Debug)]
pub(crate) struct FieldIndex {
    pub ac: AhoCorasick,
    pub rules: Vec<Vec<u32>>,
}

/// The rules for one dispatch key, with their prefilter.
#[derive(Debug, Default)]
pub(crate) struct Bucket {
    /// Rules without a usable required literal: always evaluated.
    pub always: Vec<u32>,
    /// Lower-cased field name → index into `fields`.
    pub by_name: FxHashMap<Box<str>, usize>,
    pub fields: Vec<FieldIndex>,
    /// Keyword literals: scanned over every field value and the raw line.
    pub keywords: Option<FieldIndex>,
}

fn build_index(lits: FxHashMap<String, Vec<u32>>) -> Option<FieldIndex> {
    let mut pats: Vec<(String, Vec<u32>)> = lits.into_iter().collect();
    pats.sort();
    let ac = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(pats.iter().map(|(l, _)| l.as_bytes()))
        .ok()?;
    Some(FieldIndex { ac, rules: pats.into_iter().map(|(_, r)| r).collect() })
}

impl Bucket {
    pub(crate) fn build(rules: &[u32], reqs: &[Option<Req>]) -> Bucket {
        let mut always = Vec::new();
        let mut per_field: FxHashMap<Option<String>, FxHashMap<String, Vec<u32>>> = FxHashMap::default();
        for &r in rules {
            match &reqs[r as usize] {
                None => always.push(r),
                Some(req) => {
                    for (f, lit) in req {
                        let rs = per_field.entry(f.clone()).or_default().entry(lit.clone()).or_default();
                        if rs.last() != Some(&r) {
                            rs.push(r);
                        }
                    }
                }
            }
        }
        let mut b = Bucket { always, ..Bucket::default() };
        let mut fields: Vec<_> = per_field.into_iter().collect();
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        for (f, lits) in fields {
            let all_rules: Vec<u32> = lits.values().flatten().copied().collect();
            match build_index(lits) {
                Some(idx) => match f {
                    None => b.keywords = Some(idx),
                    Some(name) => {
                        b.by_name.insert(name.into_boxed_str(), b.fields.len());
                        b.fields.push(idx);
                    }
                },
                // An automaton that cannot be built must not hide rules: evaluate them always.
                None => b.always.extend(all_rules),
            }
        }
        b.always.sort_unstable();
        b.always.dedup();
        b
    }
}
