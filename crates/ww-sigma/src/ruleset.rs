//! The compiled rule set and the per-event matching path: dispatch to the bucket for the
//! event's (kind, logsource key fields), prefilter by required literals, evaluate candidates.

use std::sync::{Arc, RwLock};

use rustc_hash::{FxHashMap, FxHashSet};
use ww_core::{Event, SourceKind, Value};

use crate::ast::{Cond, Detection, FieldMatch, OfCount, Pat, Tok, fold_into};
use crate::logsource::{LogsourceMap, Resolved};
use crate::matcher::{Bufs, CRule, FieldTable, LitKind, NO_LIT, name_hash, text_of};
use crate::meta::RuleMeta;
use crate::prefilter::{Anchor, Bucket, Decided, FieldIndex, Hit, Req, decidable, full_mask, required, unpack};
use crate::reference;

/// Index of a rule in a [`RuleSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleIdx(pub u32);

/// Bound on cached buckets; key values outside the logsource map collapse to one "other"
/// value, so real inputs stay far below it.
const MAX_BUCKETS: usize = 4096;
/// A scalar key value equal to none of the rules' literals for that field.
const OTHER: char = '\u{1}';
/// A key value the key cannot summarise (a list, a float, a bool): it may still equal a literal
/// (a list element, `4624.0`), so pruning must not assume either way.
const UNKNOWN: char = '\u{3}';
const ABSENT: char = '\u{2}';
const SEP: char = '\u{1f}';

pub(crate) struct Compiled {
    pub meta: RuleMeta,
    pub det: Detection,
    pub logsource: Resolved,
}

/// Compiled rules, shared read-only by worker threads.
pub struct RuleSet {
    metas: Vec<RuleMeta>,
    dets: Vec<Detection>,
    rules: Vec<CRule>,
    /// Per rule: requirements that must all hold (empty: always evaluated).
    reqs: Vec<Vec<Req>>,
    /// Per rule: the mask of all its requirements' bits.
    full: Vec<u64>,
    /// Per rule: the literals whose prefilter hits decide its matchers.
    decided: Vec<Vec<Decided>>,
    /// Number of distinct decided literals (ids are `0..lits`).
    lits: usize,
    ls: Vec<Resolved>,
    /// For a rule that stands for identical ones (same logsource and detection): those rules.
    /// Only representatives enter buckets; their twins match exactly when they do.
    twins: Vec<Vec<u32>>,
    is_rep: Vec<bool>,
    key_fields: Vec<(String, FxHashSet<String>)>,
    /// `name_hash` of each key field's name.
    key_hashes: Vec<u64>,
    buckets: RwLock<FxHashMap<Box<str>, Arc<Bucket>>>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet").field("rules", &self.metas.len()).finish()
    }
}

/// Per-thread reusable buffers and bucket cache.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Dispatch key → index into `held`, so a hit costs one hash of the key.
    local: FxHashMap<Box<str>, usize>,
    held: Vec<Arc<Bucket>>,
    key: String,
    bufs: Bufs,
    stamp: Vec<u32>,
    /// Per rule: the requirements found so far in the current event (valid when its stamp is).
    mask: Vec<u64>,
    generation: u32,
    cands: Vec<u32>,
    memo: Memo,
    /// Per field index of the current bucket: the generation in which an event field was
    /// scanned against it (a second one means the hits cannot decide).
    seen: Vec<u32>,
    /// (field index, start, end) of each indexed value in the event's folded text.
    spans: Vec<(u32, u32, u32)>,
    /// Name hashes of the event's fields.
    hashes: Vec<u64>,
}

/// Results of scanning long values against heavy literal sets, per thread: logs repeat the
/// same command lines and paths, and a hash lookup is far cheaper than the scan.
#[derive(Debug, Default)]
struct Memo {
    map: FxHashMap<u64, MemoEntry>,
    tmp: Vec<u32>,
    tmp_ids: Vec<u32>,
}

#[derive(Debug)]
struct MemoEntry {
    bucket: u64,
    field: usize,
    value: Box<[u8]>,
    rules: Box<[u32]>,
    ids: Box<[u32]>,
}

/// Values shorter than this are scanned directly; more entries than `MEMO_MAX` clear the memo.
const MEMO_MIN: usize = 24;
const MEMO_MAX: usize = 4096;

impl Memo {
    /// Marks the rules whose unanchored literals of `idx` occur in `h`, from memory if seen.
    fn scan(&mut self, bucket: u64, field: usize, idx: &FieldIndex, h: &[u8], st: &mut Stamps<'_>) {
        use std::hash::Hasher as _;
        let Some((ac, lits)) = &idx.contains else { return };
        let mut hasher = rustc_hash::FxHasher::default();
        hasher.write_u64(bucket);
        hasher.write_usize(field);
        hasher.write(h);
        let key = hasher.finish();
        if let Some(e) = self.map.get(&key)
            && e.bucket == bucket
            && e.field == field
            && *e.value == *h
        {
            mark(&e.rules, st);
            for &i in e.ids.iter() {
                st.lits[i as usize] = st.g;
            }
            return;
        }
        self.tmp.clear();
        self.tmp_ids.clear();
        for m in ac.find_overlapping_iter(h) {
            let hit = &lits[m.pattern().as_usize()];
            self.tmp.extend_from_slice(&hit.rules);
            if hit.id != NO_LIT {
                self.tmp_ids.push(hit.id);
            }
        }
        self.tmp.sort_unstable();
        self.tmp.dedup();
        self.tmp_ids.sort_unstable();
        self.tmp_ids.dedup();
        mark(&self.tmp, st);
        for &i in &self.tmp_ids {
            st.lits[i as usize] = st.g;
        }
        if self.map.len() >= MEMO_MAX {
            self.map.clear();
        }
        let entry = MemoEntry {
            bucket,
            field,
            value: h.into(),
            rules: self.tmp.as_slice().into(),
            ids: self.tmp_ids.as_slice().into(),
        };
        self.map.insert(key, entry);
    }
}

/// The candidate marking state of one event.
struct Stamps<'a> {
    stamp: &'a mut [u32],
    mask: &'a mut [u64],
    full: &'a [u64],
    g: u32,
    cands: &'a mut Vec<u32>,
    /// Per literal id: the generation in which it was found.
    lits: &'a mut [u32],
}

impl RuleSet {
    pub(crate) fn new(rules: Vec<Compiled>, map: &LogsourceMap) -> RuleSet {
        let mut rs = RuleSet {
            metas: Vec::with_capacity(rules.len()),
            dets: Vec::with_capacity(rules.len()),
            rules: Vec::with_capacity(rules.len()),
            reqs: Vec::with_capacity(rules.len()),
            full: Vec::with_capacity(rules.len()),
            decided: Vec::with_capacity(rules.len()),
            lits: 0,
            ls: Vec::with_capacity(rules.len()),
            twins: vec![Vec::new(); rules.len()],
            is_rep: vec![true; rules.len()],
            key_fields: map.key_fields(),
            key_hashes: Vec::new(),
            buckets: RwLock::new(FxHashMap::default()),
        };
        // Exact values rules test on key fields become key values too, so that buckets can
        // drop rules whose `EventID`/`Channel` tests cannot hold (see `prune`).
        for c in &rules {
            for sel in &c.det.selections {
                for fm in sel.groups.iter().flatten() {
                    let Some(f) = &fm.field else { continue };
                    if let Some((_, known)) = rs.key_fields.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(f)) {
                        for p in &fm.pats {
                            if let Some(l) = exact_literal(p) {
                                known.insert(l.to_owned());
                            }
                        }
                    }
                }
            }
        }
        // Compiling matchers and literal requirements is the costly part of start-up: in
        // parallel. The debug form names every pattern, flag (regex flags are inline) and the
        // condition, so equal keys mean identical rules.
        use rayon::prelude::*;
        let built: Vec<(String, CRule, Vec<Req>)> = rules
            .par_iter()
            .map(|c| {
                let key = format!("{:?}\u{0}{:?}\u{0}{:?}", c.logsource, c.det.selections, c.det.cond);
                (key, CRule::new(&c.det.selections, &c.det.cond), required(&c.det))
            })
            .collect();
        let mut seen: FxHashMap<String, u32> = FxHashMap::default();
        let mut ids: FxHashMap<(String, Vec<u8>, Anchor), u32> = FxHashMap::default();
        // Only literals some rule already requires are decided: indexing more would slow the
        // scan of every event more than re-checking candidates costs.
        let indexed: FxHashSet<(&str, &[u8], Anchor)> = built
            .iter()
            .flat_map(|b| b.2.iter())
            .flatten()
            .filter_map(|l| Some((l.field.as_deref()?, l.text.as_bytes(), l.anchor)))
            .collect();
        let indexed: FxHashSet<(String, Vec<u8>, Anchor)> =
            indexed.into_iter().map(|(f, t, a)| (f.to_owned(), t.to_vec(), a)).collect();
        for (i, (c, (key, mut rule, req))) in rules.into_iter().zip(built).enumerate() {
            let rep = *seen.entry(key).or_insert(i as u32);
            if rep != i as u32 {
                rs.twins[rep as usize].push(i as u32);
                rs.is_rep[i] = false;
            }
            let mut decided: Vec<Decided> = Vec::new();
            rule.assign_lits(&mut |field: &str, text: &[u8], kind: LitKind| {
                let anchor = match kind {
                    LitKind::Exact => Anchor::Exact,
                    LitKind::Prefix => Anchor::Prefix,
                    LitKind::Suffix => Anchor::Suffix,
                    LitKind::Contains => Anchor::Contains,
                };
                let text_s = std::str::from_utf8(text).ok()?;
                let f = field.to_ascii_lowercase();
                if !decidable(field, text, anchor) || !indexed.contains(&(f.clone(), text.to_vec(), anchor)) {
                    return None;
                }
                let next = ids.len() as u32;
                let id = *ids.entry((f.clone(), text.to_vec(), anchor)).or_insert(next);
                decided.push((f, text_s.to_owned(), anchor, id));
                Some(id)
            });
            decided.sort();
            decided.dedup();
            rs.decided.push(decided);
            rs.rules.push(rule);
            rs.full.push(full_mask(req.len()));
            rs.reqs.push(req);
            rs.metas.push(c.meta);
            rs.dets.push(c.det);
            rs.ls.push(c.logsource);
        }
        rs.lits = ids.len();
        rs.key_hashes = rs.key_fields.iter().map(|(n, _)| name_hash(n)).collect();
        rs
    }

    pub fn len(&self) -> usize {
        self.metas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.metas.is_empty()
    }

    pub fn meta(&self, idx: RuleIdx) -> &RuleMeta {
        &self.metas[idx.0 as usize]
    }

    pub fn metas(&self) -> &[RuleMeta] {
        &self.metas
    }

    pub fn scratch(&self) -> Scratch {
        Scratch { stamp: vec![0; self.metas.len()], ..Scratch::default() }
    }

    /// Builds the dispatch key: kind, then each logsource key field's folded value (or a
    /// marker for absent / not mentioned by the map).
    fn key(&self, ev: &Event, table: &FieldTable<'_>, key: &mut String, num: &mut String) {
        key.clear();
        key.push_str(ev.kind.name());
        for ((f, known), &h) in self.key_fields.iter().zip(&self.key_hashes) {
            key.push(SEP);
            let start = key.len();
            match table.get(f, h) {
                None | Some(Value::Null) => key.push(ABSENT),
                Some(v) => {
                    let text = match v {
                        Value::Str(_) | Value::Int(_) => text_of(v, num),
                        _ => None,
                    };
                    match text {
                        Some(t) => {
                            fold_append(t, key);
                            if !known.contains(&key[start..]) {
                                key.truncate(start);
                                key.push(OTHER);
                            }
                        }
                        None => key.push(UNKNOWN),
                    }
                }
            }
        }
    }

    /// The value a dispatch key gives the logsource key field `f` (`None`: absent or not a key
    /// field); `vals` are the key's parts after the kind.
    fn key_value<'v>(&self, vals: &'v [Option<String>], f: &str) -> Option<&'v str> {
        let i = self.key_fields.iter().position(|(n, _)| n == f)?;
        vals.get(i)?.as_deref()
    }

    fn build_bucket(&self, key: &str) -> Bucket {
        let mut parts = key.split(SEP);
        let kind = match parts.next() {
            Some("evtx") => SourceKind::Evtx,
            Some("syslog") => SourceKind::Syslog,
            Some("access_log") => SourceKind::AccessLog,
            Some("w3c") => SourceKind::W3c,
            _ => SourceKind::Json,
        };
        let vals: Vec<Option<String>> =
            parts.map(|p| if p.starts_with(ABSENT) { None } else { Some(p.to_owned()) }).collect();
        let lookup = |f: &str| self.key_value(&vals, f);
        let rules: Vec<u32> = (0..self.ls.len() as u32)
            .filter(|&r| self.is_rep[r as usize] && self.ls[r as usize].applies(kind, &lookup))
            .filter(|&r| {
                let det = &self.dets[r as usize];
                tri_cond(det, &det.cond, &|f: &str| {
                    self.key_fields
                        .iter()
                        .position(|(n, _)| n.eq_ignore_ascii_case(f))
                        .map(|i| vals.get(i).and_then(|v| v.as_deref()))
                }) != Tri::False
            })
            .collect();
        Bucket::build(&rules, &self.reqs, &self.decided)
    }

    fn bucket(&self, key: &str) -> Arc<Bucket> {
        if let Ok(map) = self.buckets.read()
            && let Some(b) = map.get(key)
        {
            return b.clone();
        }
        let b = Arc::new(self.build_bucket(key));
        if let Ok(mut map) = self.buckets.write()
            && map.len() < MAX_BUCKETS
        {
            return map.entry(key.into()).or_insert(b).clone();
        }
        b
    }

    /// Appends the indices of all matching rules to `out` (does not clear it). No allocation
    /// in steady state.
    pub fn matches(&self, event: &Event, scratch: &mut Scratch, out: &mut Vec<RuleIdx>) {
        let Scratch { local, held, key, bufs, stamp, mask, generation, cands, memo, seen, spans, hashes } = scratch;
        let table = FieldTable::new(event, hashes);
        self.key(event, &table, key, &mut bufs.num);
        let at = match local.get(key.as_str()) {
            Some(&at) => at,
            None => {
                if held.len() >= MAX_BUCKETS {
                    local.clear();
                    held.clear();
                }
                held.push(self.bucket(key));
                local.insert(key.as_str().into(), held.len() - 1);
                held.len() - 1
            }
        };
        let bucket = &held[at];
        if stamp.len() < self.metas.len() {
            stamp.resize(self.metas.len(), 0);
        }
        if mask.len() < self.metas.len() {
            mask.resize(self.metas.len(), 0);
        }
        if bufs.lit_stamp.len() < self.lits {
            bufs.lit_stamp.resize(self.lits, 0);
        }
        if seen.len() < bucket.fields.len() {
            seen.resize(bucket.fields.len(), 0);
        }
        *generation = generation.wrapping_add(1);
        if *generation == 0 {
            stamp.iter_mut().for_each(|s| *s = 0);
            bufs.lit_stamp.iter_mut().for_each(|s| *s = 0);
            seen.iter_mut().for_each(|s| *s = 0);
            *generation = 1;
        }
        let g = *generation;
        bufs.lit_g = g;
        bufs.lit_ok = bucket.decides;
        cands.clear();
        cands.extend_from_slice(&bucket.always);
        for &r in &bucket.always {
            stamp[r as usize] = g;
            // Saturated: hits add no bit, so the rule is not pushed again.
            mask[r as usize] = u64::MAX;
        }
        if !bucket.fields.is_empty() || bucket.keywords.is_some() {
            let kw = bucket.keywords.as_ref();
            let Bufs { num, fold2: text, lit_stamp, lit_ok, .. } = bufs;
            // Every value the bucket looks at is copied into one buffer, NUL-separated, and
            // lower-cased in one pass; indexed values are scanned in place, keyword literals
            // once over the whole buffer (a match across a joint only adds a candidate, never
            // hides one).
            text.clear();
            spans.clear();
            for (hash, name, v) in table.iter() {
                let list = if bucket.fields.is_empty() { None } else { bucket.by_hash.get(&hash) };
                if list.is_none() && kw.is_none() {
                    continue;
                }
                // The bucket's index for this field (its names are unique once lower-cased).
                let fi = list.into_iter().flatten().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|&(_, fi)| fi);
                if let Some(fi) = fi {
                    // Two event fields equal but for case: the matcher reads one of them, the
                    // hits mix both.
                    if seen[fi] == g {
                        *lit_ok = false;
                    }
                    seen[fi] = g;
                } else if kw.is_none() {
                    continue;
                }
                for_each_text(v, num, &mut |t: &str| {
                    let start = text.len();
                    push_unfolded(t, text);
                    if let Some(fi) = fi {
                        spans.push((fi as u32, start as u32, text.len() as u32));
                    }
                    text.push('\0');
                });
            }
            if kw.is_some()
                && let Some(raw) = event.raw.as_deref()
            {
                push_unfolded(raw, text);
            }
            text.make_ascii_lowercase();
            let h = text.as_bytes();
            for &(fi, start, end) in spans.iter() {
                let (fi, v) = (fi as usize, &h[start as usize..end as usize]);
                let idx = &bucket.fields[fi];
                let mut st = Stamps { stamp, mask, full: &self.full, g, cands, lits: lit_stamp };
                if idx.heavy && v.len() >= MEMO_MIN {
                    scan_anchored(idx, v, &mut st);
                    memo.scan(bucket.id, fi, idx, v, &mut st);
                } else {
                    scan_folded(idx, v, &mut st);
                }
            }
            if let Some(kw) = kw {
                // Keyword literals decide nothing (the joined text is not one value).
                let mut st = Stamps { stamp, mask, full: &self.full, g, cands, lits: &mut [] };
                scan_folded(kw, h, &mut st);
            }
        }
        if cands.is_empty() {
            return;
        }
        let first = out.len();
        for &r in cands.iter() {
            if self.rules[r as usize].is_match(event, &table, bufs) {
                out.push(RuleIdx(r));
                out.extend(self.twins[r as usize].iter().map(|&t| RuleIdx(t)));
            }
        }
        out[first..].sort_unstable();
    }

    /// Diagnostics for tuning: (rules always evaluated, candidates evaluated) for an event.
    #[doc(hidden)]
    pub fn debug_counts(&self, event: &Event, scratch: &mut Scratch) -> (usize, usize) {
        let mut out = Vec::new();
        self.matches(event, scratch, &mut out);
        let key = scratch.key.clone();
        let b = self.bucket(&key);
        (b.always.len(), scratch.cands.len())
    }

    /// The rules evaluated for an event (after the prefilter).
    #[doc(hidden)]
    pub fn debug_cands(&self, event: &Event, scratch: &mut Scratch) -> Vec<u32> {
        let mut out = Vec::new();
        self.matches(event, scratch, &mut out);
        scratch.cands.clone()
    }

    /// Titles of the rules always evaluated for an event's bucket.
    #[doc(hidden)]
    pub fn debug_always(&self, event: &Event, scratch: &mut Scratch) -> Vec<u32> {
        let mut out = Vec::new();
        self.matches(event, scratch, &mut out);
        let key = scratch.key.clone();
        self.bucket(&key).always.clone()
    }

    /// Per indexed field of an event's bucket: name, exact / prefix+suffix nodes / contains
    /// literal counts.
    #[doc(hidden)]
    pub fn debug_fields(&self, event: &Event, scratch: &mut Scratch) -> Vec<(String, usize, usize, usize)> {
        let mut out = Vec::new();
        self.matches(event, scratch, &mut out);
        let key = scratch.key.clone();
        let b = self.bucket(&key);
        let mut v: Vec<(String, usize, usize, usize)> = b
            .by_hash
            .values()
            .flatten()
            .map(|(n, i)| {
                let f = &b.fields[*i];
                (
                    n.to_string(),
                    f.exact.len(),
                    f.prefix.len() + f.suffix.len(),
                    f.contains.as_ref().map_or(0, |c| c.1.len()),
                )
            })
            .collect();
        if let Some(k) = &b.keywords {
            v.push(("<keywords>".into(), 0, 0, k.contains.as_ref().map_or(0, |c| c.1.len())));
        }
        v.sort();
        v
    }

    /// For a rule known to match: the (field, value) pairs that took part, for display.
    pub fn explain(&self, idx: RuleIdx, event: &Event) -> Vec<(String, String)> {
        reference::explain(&self.dets[idx.0 as usize], event)
    }

    /// The slow, index-free answer (logsource + reference evaluator); for tests and checks.
    pub fn matches_reference(&self, event: &Event) -> Vec<RuleIdx> {
        let mut key = String::new();
        let mut num = String::new();
        self.key(event, &FieldTable::new(event, &mut Vec::new()), &mut key, &mut num);
        let mut parts = key.split(SEP);
        let _ = parts.next();
        let vals: Vec<Option<String>> =
            parts.map(|p| if p.starts_with(ABSENT) { None } else { Some(p.to_owned()) }).collect();
        let lookup = |f: &str| self.key_value(&vals, f);
        (0..self.metas.len())
            .filter(|&r| self.ls[r].applies(event.kind, &lookup) && reference::matches(&self.dets[r], event))
            .map(|r| RuleIdx(r as u32))
            .collect()
    }
}

/// Marks a literal's rules as candidates and the literal as found.
#[inline]
fn mark_hit(h: &Hit, st: &mut Stamps<'_>) {
    mark(&h.rules, st);
    if let Some(s) = st.lits.get_mut(h.id as usize) {
        *s = st.g;
    }
}

/// Records the (rule, requirement) pairs `hits` found; a rule becomes a candidate once all its
/// requirements are.
#[inline]
fn mark(hits: &[u32], st: &mut Stamps<'_>) {
    for &p in hits {
        let (r, bit) = unpack(p);
        let r = r as usize;
        let m = &mut st.mask[r];
        if st.stamp[r] != st.g {
            st.stamp[r] = st.g;
            *m = 0;
        }
        if *m & bit == 0 {
            *m |= bit;
            if *m == st.full[r] {
                st.cands.push(r as u32);
            }
        }
    }
}

/// Appends `t` folded (as literals are) to `out`; ASCII text is lower-cased in bulk.
fn fold_append(t: &str, out: &mut String) {
    let start = out.len();
    push_unfolded(t, out);
    out[start..].make_ascii_lowercase();
}

/// Appends `t` folded except for ASCII upper case, which the caller lower-cases in bulk over the
/// whole buffer (Unicode lower case never produces ASCII upper case, so that is the same as
/// folding each value).
#[inline]
fn push_unfolded(t: &str, out: &mut String) {
    if t.is_ascii() {
        out.push_str(t);
    } else {
        fold_into(t, out);
    }
}

/// Calls `f` with the text of each scalar in `v` (list items one by one), numbers formatted
/// as the matchers format them.
fn for_each_text(v: &Value, num: &mut String, f: &mut dyn FnMut(&str)) {
    match v {
        Value::List(items) => items.iter().for_each(|i| for_each_text(i, num, f)),
        v => {
            if let Some(t) = text_of(v, num) {
                f(t);
            }
        }
    }
}

/// Marks the rules whose literals the folded value `h` holds.
#[inline]
fn scan_folded(idx: &FieldIndex, h: &[u8], st: &mut Stamps<'_>) {
    scan_anchored(idx, h, st);
    if let (Some((lf, lits)), Some((_, hits))) = (&idx.few, &idx.contains) {
        // Every start of an occurrence is visited: the leftmost match from `at` starts at or
        // before any occurrence at or after `at`.
        let mut at = 0;
        while at < h.len() {
            let Some(m) = lf.find(aho_corasick::Input::new(h).range(at..)) else { break };
            let p = m.start();
            for (l, hit) in lits.iter().zip(hits) {
                if h[p..].starts_with(l) {
                    mark_hit(hit, st);
                }
            }
            at = p + 1;
        }
    } else if let Some((ac, hits)) = &idx.contains {
        for m in ac.find_overlapping_iter(h) {
            mark_hit(&hits[m.pattern().as_usize()], st);
        }
    }
}

/// Marks the rules whose exact, prefix or suffix literals the folded value `h` holds.
#[inline]
fn scan_anchored(idx: &FieldIndex, h: &[u8], st: &mut Stamps<'_>) {
    if h.len() <= idx.exact_max
        && let Some(hit) = idx.exact.get(h)
    {
        mark_hit(hit, st);
    }
    idx.prefix.walk(h.iter().copied(), |hit| mark_hit(hit, st));
    idx.suffix.walk(h.iter().rev().copied(), |hit| mark_hit(hit, st));
}

/// The folded literal of an exact, case-insensitive string pattern.
fn exact_literal(p: &Pat) -> Option<&str> {
    match p {
        Pat::Str(sp) if !sp.cased => match sp.toks.as_slice() {
            [Tok::Lit(l)] => Some(l),
            [] => Some(""),
            _ => None,
        },
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    True,
    False,
    Unknown,
}

fn tri_and(items: impl Iterator<Item = Tri>) -> Tri {
    let mut out = Tri::True;
    for t in items {
        match t {
            Tri::False => return Tri::False,
            Tri::Unknown => out = Tri::Unknown,
            Tri::True => {}
        }
    }
    out
}

fn tri_or(items: impl Iterator<Item = Tri>) -> Tri {
    let mut out = Tri::False;
    for t in items {
        match t {
            Tri::True => return Tri::True,
            Tri::Unknown => out = Tri::Unknown,
            Tri::False => {}
        }
    }
    out
}

/// What a bucket's key says about a field match: `key(f)` is `None` for fields outside the
/// key, `Some(None)` for an absent field, `Some(Some(v))` for a folded value, the "other"
/// marker (equals no literal) or the "unknown" marker (may equal any).
type KeyLookup<'a> = dyn Fn(&str) -> Option<Option<&'a str>> + 'a;

fn tri_fm(fm: &FieldMatch, key: &KeyLookup<'_>) -> Tri {
    let Some(f) = &fm.field else {
        return Tri::Unknown;
    };
    let Some(val) = key(f) else {
        return Tri::Unknown;
    };
    let one = |p: &Pat| match (exact_literal(p), val) {
        (Some(_), Some(v)) if v.starts_with(UNKNOWN) => Tri::Unknown,
        (Some(_), None) => Tri::False,
        (Some(l), Some(v)) if v.starts_with(OTHER) => {
            let _ = l;
            Tri::False
        }
        (Some(l), Some(v)) => {
            if l == v {
                Tri::True
            } else {
                Tri::False
            }
        }
        (None, _) => Tri::Unknown,
    };
    if fm.all { tri_and(fm.pats.iter().map(one)) } else { tri_or(fm.pats.iter().map(one)) }
}

fn tri_sel(det: &Detection, i: usize, key: &KeyLookup<'_>) -> Tri {
    tri_or(det.selections[i].groups.iter().map(|g| tri_and(g.iter().map(|fm| tri_fm(fm, key)))))
}

/// Three-valued evaluation of a condition knowing only the key fields: `False` means the rule
/// can never match an event of this bucket.
fn tri_cond(det: &Detection, c: &Cond, key: &KeyLookup<'_>) -> Tri {
    match c {
        Cond::Sel(i) => tri_sel(det, *i, key),
        Cond::Not(c) => match tri_cond(det, c, key) {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        },
        Cond::And(cs) => tri_and(cs.iter().map(|c| tri_cond(det, c, key))),
        Cond::Or(cs) => tri_or(cs.iter().map(|c| tri_cond(det, c, key))),
        Cond::Of(OfCount::All, s) => tri_and(s.iter().map(|&i| tri_sel(det, i, key))),
        Cond::Of(OfCount::AtLeast(1), s) => tri_or(s.iter().map(|&i| tri_sel(det, i, key))),
        Cond::Of(OfCount::AtLeast(n), s) => {
            let ts: Vec<Tri> = s.iter().map(|&i| tri_sel(det, i, key)).collect();
            let possible = ts.iter().filter(|t| **t != Tri::False).count();
            if possible < *n as usize { Tri::False } else { Tri::Unknown }
        }
    }
}
