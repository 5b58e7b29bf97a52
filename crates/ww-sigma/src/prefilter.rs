//! Required literals: for each rule, a set of (field, literal) such that the rule can only match
//! when at least one of the literals occurs (case-insensitively) in its field. Buckets index these
//! in one Aho-Corasick automaton per field, so most rules are never evaluated for most events.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use rustc_hash::FxHashMap;

use crate::ast::{Cond, Detection, FieldMatch, OfCount, Pat, Tok, fold};

/// Unanchored literals shorter than this match too often to be worth indexing.
const MIN_LITERAL: usize = 3;

/// Whether a literal is rare enough to index: three bytes, one character outside ASCII (a
/// Cyrillic lookalike letter is two bytes but almost never occurs in logs), or two bytes of
/// punctuation that ordinary command lines and paths do not use (`^^`, the `cmd` escape).
fn indexable(l: &[u8]) -> bool {
    const RARE: &[u8] = b"^`|{}";
    l.len() >= MIN_LITERAL || (l.len() >= 2 && (!l.is_ascii() || l.iter().all(|b| RARE.contains(b))))
}

/// Where a required literal must sit in the (folded) value. Anchored literals are checked by a
/// hash lookup or a short trie walk from one end instead of a scan over the whole value, so
/// fields only ever tested with `endswith`/exact values are never scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Anchor {
    Exact,
    Prefix,
    Suffix,
    Contains,
}

/// One required literal: field (`None` for keywords), folded text, anchor.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Lit {
    pub field: Option<String>,
    pub text: String,
    pub anchor: Anchor,
}

/// Alternatives of which at least one must hold. Empty never: `None` means "no requirement".
pub(crate) type Req = Vec<Lit>;

/// How much a literal narrows the candidates: longer is rarer; a position constraint is worth a
/// few characters (and is cheaper to check).
fn lit_score(l: &Lit) -> usize {
    l.text.len() + if l.anchor == Anchor::Contains { 0 } else { 3 }
}

fn score(r: &Req) -> (usize, std::cmp::Reverse<usize>) {
    (r.iter().map(lit_score).min().unwrap_or(0), std::cmp::Reverse(r.len()))
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

/// The best literal of a wildcard pattern: the whole value, its first or last literal as an
/// anchored prefix/suffix, or its longest literal anywhere.
fn str_lit(s: &crate::ast::StrPat) -> Option<(String, Anchor)> {
    let f = |l: &str| if s.cased { fold(l) } else { l.to_owned() };
    if let [Tok::Lit(l)] = s.toks.as_slice() {
        return (!l.is_empty()).then(|| (f(l), Anchor::Exact));
    }
    let mut cands: Vec<(String, Anchor)> = Vec::new();
    if let Some(Tok::Lit(l)) = s.toks.first() {
        cands.push((f(l), Anchor::Prefix));
    }
    if let Some(Tok::Lit(l)) = s.toks.last() {
        cands.push((f(l), Anchor::Suffix));
    }
    if let Some(l) = s
        .toks
        .iter()
        .filter_map(|t| match t {
            Tok::Lit(l) => Some(l),
            _ => None,
        })
        .max_by_key(|l| l.len())
    {
        cands.push((f(l), Anchor::Contains));
    }
    cands
        .into_iter()
        .filter(|(l, _)| indexable(l.as_bytes()))
        .max_by_key(|(l, a)| lit_score(&Lit { field: None, text: l.clone(), anchor: *a }))
}

fn pat_lits(p: &Pat) -> Option<Vec<(String, Anchor)>> {
    match p {
        Pat::Str(s) => str_lit(s).map(|l| vec![l]),
        Pat::Re(re) => {
            crate::relit::required(re.as_str()).map(|v| v.into_iter().map(|l| (l, Anchor::Contains)).collect())
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

/// Per pattern of a field match: its literals as one requirement (`None` when some pattern has
/// no usable literal).
fn pat_reqs(fm: &FieldMatch) -> Option<Vec<Option<Req>>> {
    if fm.field.as_ref().is_some_and(|f| SOURCE_FIELDS.contains(&f.to_ascii_lowercase().as_str())) {
        return None;
    }
    let field = fm.field.as_ref().map(|f| f.to_ascii_lowercase());
    let per_pat = |p: &Pat| {
        pat_lits(p).map(|ls| {
            ls.into_iter()
                .map(|(text, anchor)| Lit {
                    field: field.clone(),
                    text,
                    // Keywords match inside any value and the raw line: only "contains" is safe.
                    anchor: if field.is_some() { anchor } else { Anchor::Contains },
                })
                .collect::<Req>()
        })
    };
    Some(fm.pats.iter().map(per_pat).collect())
}

fn fm_req(fm: &FieldMatch) -> Option<Req> {
    let per = pat_reqs(fm)?;
    if fm.all { best(per.into_iter()) } else { union(per.into_iter()) }
}

/// All requirements of a field match (with `|all`, each pattern's literals are one).
fn fm_cnf(fm: &FieldMatch) -> Vec<Req> {
    if fm.all {
        pat_reqs(fm).map(|per| per.into_iter().flatten().collect()).unwrap_or_default()
    } else {
        fm_req(fm).into_iter().collect()
    }
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

/// Most requirements kept per rule (one bit each in the per-event mask).
pub(crate) const MAX_CLAUSES: usize = 64;

/// Requirements that must all hold for the selection to match.
fn sel_cnf(det: &Detection, i: usize) -> Vec<Req> {
    match det.selections[i].groups.as_slice() {
        [g] => g.iter().flat_map(fm_cnf).collect(),
        _ => sel_req(det, i).into_iter().collect(),
    }
}

/// Requirements that must all hold for the condition to hold.
fn cond_cnf(det: &Detection, c: &Cond) -> Vec<Req> {
    match c {
        Cond::Sel(i) => sel_cnf(det, *i),
        Cond::Not(_) => Vec::new(),
        Cond::And(cs) => cs.iter().flat_map(|c| cond_cnf(det, c)).collect(),
        Cond::Or(cs) if cs.len() == 1 => cond_cnf(det, &cs[0]),
        Cond::Of(OfCount::All, s) => s.iter().flat_map(|&i| sel_cnf(det, i)).collect(),
        Cond::Of(OfCount::AtLeast(_), s) if s.len() == 1 => sel_cnf(det, s[0]),
        Cond::Or(_) | Cond::Of(OfCount::AtLeast(_), _) => cond_req(det, c).into_iter().collect(),
    }
}

/// The requirements a rule needs all of (each: at least one of its literals occurs); empty
/// when it must always be evaluated. At most [`MAX_CLAUSES`], the most selective first.
pub(crate) fn required(det: &Detection) -> Vec<Req> {
    let mut out = cond_cnf(det, &det.cond);
    out.sort();
    out.dedup();
    out.sort_by_key(|r| std::cmp::Reverse(score(r)));
    out.truncate(MAX_CLAUSES);
    out
}

/// Whether the prefilter can report a literal of a named field exactly, so that its hits
/// decide the matcher: source fields are never indexed and short unanchored literals would
/// match too often to be worth it.
pub(crate) fn decidable(field: &str, text: &[u8], anchor: Anchor) -> bool {
    !text.is_empty()
        && !SOURCE_FIELDS.contains(&field.to_ascii_lowercase().as_str())
        && (anchor != Anchor::Contains || indexable(text))
}

/// A literal decided by the prefilter: (lower-cased field, folded text, anchor, global id).
pub(crate) type Decided = (String, String, Anchor, u32);

/// A (rule, requirement index) pair as one `u32`.
#[inline]
pub(crate) fn pack(rule: u32, clause: usize) -> u32 {
    (rule << 6) | clause as u32
}

/// The rule and requirement bit of a packed pair.
#[inline]
pub(crate) fn unpack(p: u32) -> (u32, u64) {
    (p >> 6, 1u64 << (p & 63))
}

/// The mask with one bit per requirement of a rule with `n` requirements.
pub(crate) fn full_mask(n: usize) -> u64 {
    if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
}

/// What a literal found in a value stands for: the rules it makes candidates, and its global
/// literal id ([`crate::matcher::NO_LIT`] when no matcher is decided by it).
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    /// (rule, requirement) pairs, packed by [`pack`].
    pub rules: Vec<u32>,
    pub id: u32,
}

impl Default for Hit {
    fn default() -> Self {
        Hit { rules: Vec::new(), id: crate::matcher::NO_LIT }
    }
}

impl Hit {
    fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.id == crate::matcher::NO_LIT
    }
}

/// A byte trie over folded literals, walked from one end of a value: every node passed that
/// ends a literal names rules whose anchored literal is there. Built by [`TrieBuilder`] and laid
/// out flat (all edge labels in one array, all children in another) so that a walk reads a few
/// contiguous bytes per step instead of chasing one allocation per node.
#[derive(Debug, Default)]
pub(crate) struct Trie {
    /// Per node: its first edge in `labels`/`children`, its edge count, and the index of what
    /// ends there in `hits` (`NO_HIT` for nothing).
    nodes: Vec<(u32, u32, u32)>,
    labels: Vec<u8>,
    children: Vec<u32>,
    hits: Vec<Hit>,
}

const NO_HIT: u32 = u32::MAX;

/// (byte, child node) pairs of one node under construction.
type Edges = Vec<(u8, u32)>;

/// A trie under construction: per node, its edges and what ends there.
#[derive(Debug, Default)]
struct TrieBuilder {
    nodes: Vec<(Edges, Option<Hit>)>,
}

impl TrieBuilder {
    fn insert(&mut self, bytes: impl Iterator<Item = u8>, hit: Hit) {
        if self.nodes.is_empty() {
            self.nodes.push(Default::default());
        }
        let mut at = 0usize;
        for b in bytes {
            at = match self.nodes[at].0.iter().find(|e| e.0 == b) {
                Some(e) => e.1 as usize,
                None => {
                    let next = self.nodes.len();
                    self.nodes[at].0.push((b, next as u32));
                    self.nodes.push(Default::default());
                    next
                }
            };
        }
        self.nodes[at].1 = Some(hit);
    }

    fn finish(self) -> Trie {
        let mut t = Trie::default();
        for (edges, hit) in self.nodes {
            let first = t.labels.len() as u32;
            t.labels.extend(edges.iter().map(|e| e.0));
            t.children.extend(edges.iter().map(|e| e.1));
            let h = match hit.filter(|h| !h.is_empty()) {
                Some(h) => {
                    t.hits.push(h);
                    (t.hits.len() - 1) as u32
                }
                None => NO_HIT,
            };
            t.nodes.push((first, edges.len() as u32, h));
        }
        t
    }
}

impl Trie {
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Calls `hit` with the rules of every literal that `bytes` (already folded) starts with.
    #[inline]
    pub(crate) fn walk(&self, bytes: impl Iterator<Item = u8>, mut hit: impl FnMut(&Hit)) {
        let mut at = 0usize;
        for b in bytes {
            let Some(&(first, count, _)) = self.nodes.get(at) else { return };
            let (first, end) = (first as usize, (first + count) as usize);
            let Some(i) = memchr::memchr(b, &self.labels[first..end]) else { return };
            at = self.children[first + i] as usize;
            let h = self.nodes[at].2;
            if h != NO_HIT {
                hit(&self.hits[h as usize]);
            }
        }
    }
}

/// The prefilter for one field: exact values by hash, prefixes and suffixes by trie, and the
/// rest in one Aho-Corasick automaton; each literal maps to the rules needing it.
#[derive(Debug, Default)]
pub(crate) struct FieldIndex {
    pub exact: FxHashMap<Box<[u8]>, Hit>,
    /// Longest exact literal: longer values cannot equal any.
    pub exact_max: usize,
    pub prefix: Trie,
    pub suffix: Trie,
    pub contains: Option<(AhoCorasick, Vec<Hit>)>,
    /// For a small unanchored set: a leftmost-first automaton (its SIMD prefilter skips text
    /// fast) finding each position where some literal starts, and the literals to check there.
    pub few: Option<(AhoCorasick, Vec<Box<[u8]>>)>,
    /// Many unanchored literals: scanning costs enough that results are remembered per value.
    pub heavy: bool,
}

/// Literal counts above which an unanchored set is "heavy" (compact automaton, memoised scans).
const HEAVY: usize = 64;

/// The rules for one dispatch key, with their prefilter.
#[derive(Debug, Default)]
pub(crate) struct Bucket {
    /// Unique per built bucket, so remembered scan results never cross buckets.
    pub id: u64,
    /// Rules without a usable required literal: always evaluated.
    pub always: Vec<u32>,
    /// Hash of the lower-cased field name (`matcher::name_hash`) → (name, index into `fields`).
    pub by_hash: FxHashMap<u64, Vec<(Box<str>, usize)>>,
    pub fields: Vec<FieldIndex>,
    /// Keyword literals: scanned over every field value and the raw line.
    pub keywords: Option<FieldIndex>,
    /// False when some field index could not be built: its literals' hits are then unknown.
    pub decides: bool,
}

fn build_index(lits: FxHashMap<(String, Anchor), Hit>) -> Option<FieldIndex> {
    let mut lits: Vec<((String, Anchor), Hit)> = lits.into_iter().collect();
    lits.sort_by(|a, b| a.0.cmp(&b.0));
    let mut idx = FieldIndex::default();
    let mut contains: Vec<(String, Hit)> = Vec::new();
    let (mut prefix, mut suffix) = (TrieBuilder::default(), TrieBuilder::default());
    for ((text, anchor), rules) in lits {
        match anchor {
            Anchor::Exact => {
                idx.exact_max = idx.exact_max.max(text.len());
                idx.exact.insert(text.into_bytes().into_boxed_slice(), rules);
            }
            Anchor::Prefix => prefix.insert(text.bytes(), rules),
            Anchor::Suffix => suffix.insert(text.bytes().rev(), rules),
            Anchor::Contains => contains.push((text, rules)),
        }
    }
    idx.prefix = prefix.finish();
    idx.suffix = suffix.finish();
    if !contains.is_empty() {
        // Values are folded before the search, so the automaton is case-sensitive, which lets
        // aho-corasick use its fast prefilters.
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .kind(if contains.len() > HEAVY {
                Some(AhoCorasickKind::ContiguousNFA)
            } else {
                Some(AhoCorasickKind::DFA)
            })
            .build(contains.iter().map(|(l, _)| l.as_bytes()))
            .ok()?;
        idx.heavy = contains.len() > HEAVY;
        if !idx.heavy {
            idx.few = AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(contains.iter().map(|(l, _)| l.as_bytes()))
                .ok()
                .map(|lf| (lf, contains.iter().map(|(l, _)| l.as_bytes().into()).collect()));
        }
        idx.contains = Some((ac, contains.into_iter().map(|(_, r)| r).collect()));
    }
    Some(idx)
}

impl Bucket {
    /// Hits name (rule, requirement) pairs packed by [`pack`].
    pub(crate) fn build(rules: &[u32], reqs: &[Vec<Req>], decided: &[Vec<Decided>]) -> Bucket {
        let mut always = Vec::new();
        type PerField = FxHashMap<Option<String>, FxHashMap<(String, Anchor), Hit>>;
        let mut per_field: PerField = FxHashMap::default();
        for &r in rules {
            for (f, text, anchor, id) in &decided[r as usize] {
                per_field.entry(Some(f.clone())).or_default().entry((text.clone(), *anchor)).or_default().id = *id;
            }
            let clauses = &reqs[r as usize];
            if clauses.is_empty() {
                always.push(r);
            }
            for (k, req) in clauses.iter().enumerate() {
                let p = pack(r, k);
                for l in req {
                    let rs =
                        per_field.entry(l.field.clone()).or_default().entry((l.text.clone(), l.anchor)).or_default();
                    let rs = &mut rs.rules;
                    if rs.last() != Some(&p) {
                        rs.push(p);
                    }
                }
            }
        }
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut b = Bucket { id, always, decides: true, ..Bucket::default() };
        let mut fields: Vec<_> = per_field.into_iter().collect();
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        for (f, lits) in fields {
            let all_rules: Vec<u32> = lits.values().flat_map(|h| h.rules.iter().map(|&p| unpack(p).0)).collect();
            match build_index(lits) {
                Some(idx) => match f {
                    None => b.keywords = Some(idx),
                    Some(name) => {
                        let h = crate::matcher::name_hash(&name);
                        b.by_hash.entry(h).or_default().push((name.into_boxed_str(), b.fields.len()));
                        b.fields.push(idx);
                    }
                },
                // An automaton that cannot be built must not hide rules: evaluate them always.
                None => {
                    b.always.extend(all_rules);
                    b.decides = false;
                }
            }
        }
        b.always.sort_unstable();
        b.always.dedup();
        b
    }
}
