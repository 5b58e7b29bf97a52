//! Compiled matchers: the fast form of [`crate::ast::Pat`]. Literal needles are pre-folded;
//! ASCII text is compared ASCII-case-insensitively in place and only non-ASCII text is folded,
//! into a reused buffer, so matching allocates nothing.

use std::fmt::Write as _;

use ipnet::IpNet;
use memchr::memmem::Finder;
use regex::Regex;
use ww_core::{Event, Value};

use crate::ast::{CmpOp, Cond, FieldMatch, OfCount, Pat, RefMode, Selection, StrPat, Tok, fold_into};

/// Reused text buffers for one thread.
#[derive(Debug, Default)]
pub(crate) struct Bufs {
    pub num: String,
    pub fold: String,
    pub fold2: String,
    /// Per literal id: the event generation in which the prefilter saw it in its field.
    pub lit_stamp: Vec<u32>,
    pub lit_g: u32,
    /// Whether the prefilter's literal hits may decide matchers for the current event (every
    /// field with decided literals was scanned exactly once).
    pub lit_ok: bool,
}

/// Assigns a literal id to (field, folded literal, anchor), or declines.
pub(crate) type LitIds<'a> = dyn FnMut(&str, &[u8], LitKind) -> Option<u32> + 'a;

/// A literal the prefilter does not report (its matcher must run).
pub(crate) const NO_LIT: u32 = u32::MAX;

impl Bufs {
    #[inline]
    fn lit_hit(&self, id: u32) -> bool {
        self.lit_stamp.get(id as usize).is_some_and(|&s| s == self.lit_g)
    }
}

/// Where a decidable literal sits; mirrors the prefilter's anchors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LitKind {
    Exact,
    Prefix,
    Suffix,
    Contains,
}

#[derive(Debug, Clone)]
enum SegTok {
    Lit(Box<[u8]>),
    One,
}

#[derive(Debug, Clone)]
enum Shape {
    Exact(Box<[u8]>),
    Prefix(Box<[u8]>),
    Suffix(Box<[u8]>),
    Contains(Box<[u8]>, Box<Finder<'static>>),
    AnyText,
    /// Segments between stars; the first is anchored at the start, the last at the end.
    Glob(Vec<Vec<SegTok>>),
}

#[derive(Debug, Clone)]
pub(crate) struct CStr {
    shape: Shape,
    cased: bool,
    /// Global literal id when the prefilter reports this pattern's literal (else [`NO_LIT`]).
    lit: u32,
}

#[inline]
fn eq(h: &[u8], n: &[u8], ci: bool) -> bool {
    if ci { h.eq_ignore_ascii_case(n) } else { h == n }
}

fn find_ci(h: &[u8], n: &[u8]) -> bool {
    let Some(&first) = n.first() else { return true };
    if h.len() < n.len() {
        return false;
    }
    let last_start = h.len() - n.len();
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let mut from = 0;
    while from <= last_start {
        match memchr::memchr2(lo, up, &h[from..=last_start]) {
            None => return false,
            Some(i) => {
                let at = from + i;
                if h[at + 1..at + n.len()].eq_ignore_ascii_case(&n[1..]) {
                    return true;
                }
                from = at + 1;
            }
        }
    }
    false
}

#[inline]
fn is_boundary(h: &[u8], i: usize) -> bool {
    i == h.len() || (i < h.len() && (h[i] & 0xC0) != 0x80)
}

fn char_len(b: u8) -> usize {
    match b {
        0..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

fn seg_at(h: &[u8], mut pos: usize, seg: &[SegTok], ci: bool) -> Option<usize> {
    for t in seg {
        match t {
            SegTok::Lit(l) => {
                if h.len() < pos + l.len() || !eq(&h[pos..pos + l.len()], l, ci) {
                    return None;
                }
                pos += l.len();
            }
            SegTok::One => {
                let b = *h.get(pos)?;
                pos += char_len(b);
                if pos > h.len() {
                    return None;
                }
            }
        }
    }
    Some(pos)
}

fn glob(h: &[u8], segs: &[Vec<SegTok>], ci: bool) -> bool {
    let n = segs.len();
    let Some(mut pos) = seg_at(h, 0, &segs[0], ci) else {
        return false;
    };
    if n == 1 {
        return pos == h.len();
    }
    for seg in &segs[1..n - 1] {
        let mut found = None;
        let mut s = pos;
        while s <= h.len() {
            if is_boundary(h, s)
                && let Some(e) = seg_at(h, s, seg, ci)
            {
                found = Some(e);
                break;
            }
            s += 1;
        }
        match found {
            Some(e) => pos = e,
            None => return false,
        }
    }
    let last = &segs[n - 1];
    (pos..=h.len()).rev().any(|s| is_boundary(h, s) && seg_at(h, s, last, ci) == Some(h.len()))
}

impl CStr {
    pub(crate) fn new(p: &StrPat) -> CStr {
        let b = |s: &str| s.as_bytes().to_vec().into_boxed_slice();
        let shape = match p.toks.as_slice() {
            [] => Shape::Exact(Box::new([])),
            [Tok::Lit(l)] => Shape::Exact(b(l)),
            [Tok::Lit(l), Tok::Star] => Shape::Prefix(b(l)),
            [Tok::Star, Tok::Lit(l)] => Shape::Suffix(b(l)),
            [Tok::Star, Tok::Lit(l), Tok::Star] => {
                Shape::Contains(b(l), Box::new(Finder::new(l.as_bytes()).into_owned()))
            }
            [Tok::Star] => Shape::AnyText,
            toks => {
                let mut segs = vec![Vec::new()];
                for t in toks {
                    match t {
                        Tok::Star => segs.push(Vec::new()),
                        Tok::One => segs.last_mut().map(|s| s.push(SegTok::One)).unwrap_or(()),
                        Tok::Lit(l) => segs.last_mut().map(|s| s.push(SegTok::Lit(b(l)))).unwrap_or(()),
                    }
                }
                Shape::Glob(segs)
            }
        };
        CStr { shape, cased: p.cased, lit: NO_LIT }
    }

    /// The plain literal and anchor of a case-insensitive pattern, if it has that shape.
    fn plain(&self) -> Option<(&[u8], LitKind)> {
        if self.cased {
            return None;
        }
        let (n, k) = match &self.shape {
            Shape::Exact(n) => (n, LitKind::Exact),
            Shape::Prefix(n) => (n, LitKind::Prefix),
            Shape::Suffix(n) => (n, LitKind::Suffix),
            Shape::Contains(n, _) => (n, LitKind::Contains),
            _ => return None,
        };
        (!n.is_empty()).then_some((&**n, k))
    }

    fn on_bytes(&self, h: &[u8], ci: bool) -> bool {
        match &self.shape {
            Shape::Exact(n) => eq(h, n, ci),
            Shape::Prefix(n) => h.len() >= n.len() && eq(&h[..n.len()], n, ci),
            Shape::Suffix(n) => h.len() >= n.len() && eq(&h[h.len() - n.len()..], n, ci),
            Shape::Contains(n, f) => {
                if ci {
                    find_ci(h, n)
                } else {
                    f.find(h).is_some()
                }
            }
            Shape::AnyText => true,
            Shape::Glob(segs) => glob(h, segs, ci),
        }
    }

    pub(crate) fn is_match(&self, text: &str, fold_buf: &mut String) -> bool {
        if self.cased {
            self.on_bytes(text.as_bytes(), false)
        } else if text.is_ascii() {
            self.on_bytes(text.as_bytes(), true)
        } else {
            fold_buf.clear();
            fold_into(text, fold_buf);
            self.on_bytes(fold_buf.as_bytes(), false)
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum CPat {
    Str(CStr),
    Re(Regex),
    Cidr(IpNet),
    /// Several CIDR alternatives of one field: the address is parsed once for all of them.
    Cidrs(Vec<IpNet>),
    Cmp(CmpOp, f64),
    Null,
    Exists(bool),
    FieldRef {
        field: Box<str>,
        mode: RefMode,
        cased: bool,
    },
    AnyOf(Vec<CPat>),
}

impl CPat {
    pub(crate) fn new(p: &Pat) -> CPat {
        match p {
            Pat::Str(s) => CPat::Str(CStr::new(s)),
            Pat::Re(r) => CPat::Re(r.clone()),
            Pat::Cidr(n) => CPat::Cidr(*n),
            Pat::Cmp(o, n) => CPat::Cmp(*o, *n),
            Pat::Null => CPat::Null,
            Pat::Exists(b) => CPat::Exists(*b),
            Pat::FieldRef { field, mode, cased } => {
                CPat::FieldRef { field: field.as_str().into(), mode: *mode, cased: *cased }
            }
            Pat::AnyOf(ps) => CPat::AnyOf(ps.iter().map(CPat::new).collect()),
        }
    }
}

/// The text of a scalar, formatting numbers into `num` (no allocation once it has capacity).
#[inline]
pub(crate) fn text_of<'a>(v: &'a Value, num: &'a mut String) -> Option<&'a str> {
    match v {
        Value::Str(s) => Some(s),
        Value::Int(i) => {
            num.clear();
            num.push_str(itoa::Buffer::new().format(*i));
            Some(num)
        }
        Value::Float(f) => {
            num.clear();
            let _ = write!(num, "{f}");
            Some(num)
        }
        Value::Bool(b) => Some(if *b { "true" } else { "false" }),
        Value::Null | Value::List(_) => None,
    }
}

fn scalar(p: &CPat, v: &Value, ev: &Event, b: &mut Bufs) -> bool {
    match p {
        CPat::Str(s) => {
            let Bufs { num, fold, .. } = b;
            text_of(v, num).is_some_and(|t| s.is_match(t, fold))
        }
        CPat::Re(re) => text_of(v, &mut b.num).is_some_and(|t| re.is_match(t)),
        CPat::Cidr(net) => text_of(v, &mut b.num)
            .and_then(|t| t.trim().parse::<std::net::IpAddr>().ok())
            .is_some_and(|ip| net.contains(&ip)),
        CPat::Cidrs(nets) => text_of(v, &mut b.num)
            .and_then(|t| t.trim().parse::<std::net::IpAddr>().ok())
            .is_some_and(|ip| nets.iter().any(|n| n.contains(&ip))),
        CPat::Cmp(op, n) => v.as_f64().is_some_and(|x| match op {
            CmpOp::Lt => x < *n,
            CmpOp::Lte => x <= *n,
            CmpOp::Gt => x > *n,
            CmpOp::Gte => x >= *n,
        }),
        CPat::FieldRef { field, mode, cased } => {
            let Some(other) = ev.fields.get(field) else {
                return false;
            };
            let Bufs { num, fold: fa, fold2: fb, .. } = b;
            let Some(a) = text_of(v, num) else {
                return false;
            };
            fa.clear();
            if *cased {
                fa.push_str(a)
            } else {
                fold_into(a, fa)
            }
            let mut tmp = String::new();
            let Some(o) = text_of(other, &mut tmp) else {
                return false;
            };
            fb.clear();
            if *cased {
                fb.push_str(o)
            } else {
                fold_into(o, fb)
            }
            match mode {
                RefMode::Equal => fa == fb,
                RefMode::Contains => fa.contains(fb.as_str()),
                RefMode::Starts => fa.starts_with(fb.as_str()),
                RefMode::Ends => fa.ends_with(fb.as_str()),
            }
        }
        CPat::Null => v.is_null(),
        CPat::Exists(x) => *x,
        CPat::AnyOf(ps) => ps.iter().any(|p| scalar(p, v, ev, b)),
    }
}

fn value(p: &CPat, v: &Value, ev: &Event, b: &mut Bufs) -> bool {
    match (p, v) {
        (CPat::AnyOf(ps), _) => ps.iter().any(|p| value(p, v, ev, b)),
        (CPat::Null, v) => v.is_null(),
        (CPat::Exists(x), _) => *x,
        (p, Value::List(items)) => items.iter().any(|i| value(p, i, ev, b)),
        (p, v) => scalar(p, v, ev, b),
    }
}

fn field(p: &CPat, f: Option<&Value>, ev: &Event, b: &mut Bufs) -> bool {
    match (p, f) {
        (CPat::Str(s), Some(_)) if s.lit != NO_LIT && b.lit_ok => b.lit_hit(s.lit),
        (CPat::AnyOf(ps), Some(_)) if b.lit_ok => ps.iter().any(|p| field(p, f, ev, b)),
        (CPat::Null, None) => true,
        (CPat::Exists(x), None) => !*x,
        (CPat::AnyOf(ps), None) => ps.iter().any(|p| field(p, None, ev, b)),
        (_, None) => false,
        (p, Some(v)) => value(p, v, ev, b),
    }
}

fn keyword(p: &CPat, ev: &Event, b: &mut Bufs) -> bool {
    ev.fields.iter().any(|(_, v)| value(p, v, ev, b))
        || ev.raw.as_deref().is_some_and(|r| {
            let Bufs { fold, .. } = b;
            match p {
                CPat::Str(s) => s.is_match(r, fold),
                CPat::Re(re) => re.is_match(r),
                CPat::AnyOf(ps) => ps.iter().any(|p| match p {
                    CPat::Str(s) => s.is_match(r, fold),
                    CPat::Re(re) => re.is_match(r),
                    _ => false,
                }),
                _ => false,
            }
        })
}

/// Hash of an ASCII-lower-cased field name, for [`FieldTable`]. Every field of every event is
/// hashed, so eight bytes are lower-cased and mixed at a time.
pub(crate) fn name_hash(name: &str) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let b = name.as_bytes();
    let mut h: u64 = b.len() as u64;
    let mut mix = |w: u64| h = (h.rotate_left(5) ^ lower8(w)).wrapping_mul(K);
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        mix(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        // Byte by byte: a variable-length copy would be a call to memcpy.
        mix(rest.iter().rev().fold(0u64, |w, &x| (w << 8) | x as u64));
    }
    h ^ (h >> 29)
}

/// ASCII-lower-cases the eight bytes of `x` at once; other bytes are left as they are.
#[inline]
fn lower8(x: u64) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low7 = x & !HIGH;
    // High bit set in a byte when its low seven bits are >= 'A', and when they are > 'Z'; no
    // byte can carry into the next.
    let ge_a = low7.wrapping_add(0x3f3f_3f3f_3f3f_3f3f);
    let gt_z = low7.wrapping_add(0x2525_2525_2525_2525);
    let upper = ge_a & !gt_z & !x & HIGH;
    x | (upper >> 2)
}

/// The event's fields by name hash, built once per event so that the dispatch key, the
/// prefilter and each rule's field lookups compare integers instead of strings. Same answers
/// as `Fields::get`: exact name first, then ASCII case-insensitive.
pub(crate) struct FieldTable<'e> {
    fields: &'e ww_core::Fields,
    hashes: &'e [u64],
}

impl<'e> FieldTable<'e> {
    /// The table of `ev`, its hashes kept in `hashes` (reused from event to event).
    pub(crate) fn new(ev: &'e Event, hashes: &'e mut Vec<u64>) -> Self {
        hashes.clear();
        hashes.extend(ev.fields.iter().map(|(n, _)| name_hash(n)));
        FieldTable { fields: &ev.fields, hashes }
    }

    /// (name hash, name, value) of each field, in event order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &'e str, &'e Value)> + '_ {
        self.hashes.iter().copied().zip(self.fields.iter()).map(|(h, (n, v))| (h, n, v))
    }

    #[inline]
    pub(crate) fn get(&self, name: &str, h: u64) -> Option<&'e Value> {
        let mut ci = None;
        for (eh, n, v) in self.iter() {
            if eh == h {
                if n == name {
                    return Some(v);
                }
                if ci.is_none() && n.eq_ignore_ascii_case(name) {
                    ci = Some(v);
                }
            }
        }
        ci
    }
}

/// Many case-insensitive literal patterns of one field (`Image|endswith: [50 names]`) checked
/// in one pass over the value instead of one comparison per pattern. The automaton is built on
/// first use: the prefilter decides most groups from its own hits, and building thousands of
/// automata nobody reads was a quarter of start-up.
#[derive(Debug, Clone)]
struct LitGroup {
    /// `None` inside: the automaton could not be built; the needles are compared one by one.
    ac: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>>,
    /// Each literal and where it must sit in the value.
    needles: Vec<(String, LitKind)>,
    /// Literal ids of all needles when the prefilter reports every one of them.
    ids: Option<Vec<u32>>,
}

/// Below this many literals, one comparison each is as fast as an automaton.
const GROUP_MIN: usize = 4;

impl LitGroup {
    fn literal(p: &Pat) -> Option<(String, LitKind)> {
        let Pat::Str(sp) = p else { return None };
        if sp.cased {
            return None;
        }
        let (l, shape) = match sp.toks.as_slice() {
            [Tok::Lit(l)] => (l, LitKind::Exact),
            [Tok::Lit(l), Tok::Star] => (l, LitKind::Prefix),
            [Tok::Star, Tok::Lit(l)] => (l, LitKind::Suffix),
            [Tok::Star, Tok::Lit(l), Tok::Star] => (l, LitKind::Contains),
            _ => return None,
        };
        (!l.is_empty()).then(|| (l.clone(), shape))
    }

    fn scan(&self, h: &[u8]) -> bool {
        let ac = self.ac.get_or_init(|| {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                .build(self.needles.iter().map(|(n, _)| n))
                .ok()
        });
        let Some(ac) = ac else {
            return self.scan_each(h);
        };
        ac.find_overlapping_iter(h).any(|m| match self.needles[m.pattern().as_usize()].1 {
            LitKind::Contains => true,
            LitKind::Prefix => m.start() == 0,
            LitKind::Suffix => m.end() == h.len(),
            LitKind::Exact => m.start() == 0 && m.end() == h.len(),
        })
    }

    /// The same answer as [`LitGroup::scan`], one needle at a time.
    fn scan_each(&self, h: &[u8]) -> bool {
        self.needles.iter().any(|(n, kind)| {
            let n = n.as_bytes();
            match kind {
                LitKind::Contains => find_ci(h, n),
                LitKind::Prefix => h.len() >= n.len() && h[..n.len()].eq_ignore_ascii_case(n),
                LitKind::Suffix => h.len() >= n.len() && h[h.len() - n.len()..].eq_ignore_ascii_case(n),
                LitKind::Exact => h.eq_ignore_ascii_case(n),
            }
        })
    }

    fn value(&self, v: &Value, b: &mut Bufs) -> bool {
        match v {
            Value::List(items) => items.iter().any(|i| self.value(i, b)),
            v => {
                let Bufs { num, fold, .. } = b;
                let Some(t) = text_of(v, num) else {
                    return false;
                };
                if t.is_ascii() {
                    self.scan(t.as_bytes())
                } else {
                    fold.clear();
                    fold_into(t, fold);
                    self.scan(fold.as_bytes())
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CField {
    hash: u64,
    name: Option<Box<str>>,
    /// Literal patterns folded into one automaton (only for OR lists on a named field).
    group: Option<LitGroup>,
    pats: Vec<CPat>,
    all: bool,
}

impl CField {
    fn new(fm: &FieldMatch) -> CField {
        let mut group = None;
        let mut pats: Vec<CPat> = Vec::new();
        if !fm.all && fm.field.is_some() {
            // Flatten alternatives, then split literal patterns from the rest.
            let mut flat: Vec<&Pat> = Vec::new();
            let mut stack: Vec<&Pat> = fm.pats.iter().rev().collect();
            while let Some(p) = stack.pop() {
                match p {
                    Pat::AnyOf(ps) => stack.extend(ps.iter().rev()),
                    p => flat.push(p),
                }
            }
            let (lits, mut rest): (Vec<&Pat>, Vec<&Pat>) =
                flat.into_iter().partition(|p| LitGroup::literal(p).is_some());
            if lits.len() >= GROUP_MIN {
                let needles = lits.iter().filter_map(|p| LitGroup::literal(p)).collect();
                group = Some(LitGroup { ac: std::sync::OnceLock::new(), needles, ids: None });
            } else {
                rest.extend(lits);
            }
            let (cidrs, others): (Vec<&Pat>, Vec<&Pat>) = rest.into_iter().partition(|p| matches!(p, Pat::Cidr(_)));
            if cidrs.len() >= 2 {
                let nets = cidrs
                    .iter()
                    .filter_map(|p| match p {
                        Pat::Cidr(n) => Some(*n),
                        _ => None,
                    })
                    .collect();
                pats.push(CPat::Cidrs(nets));
            } else {
                pats.extend(cidrs.into_iter().map(CPat::new));
            }
            pats.extend(others.into_iter().map(CPat::new));
        } else {
            pats = fm.pats.iter().map(CPat::new).collect();
        }
        CField {
            hash: fm.field.as_deref().map(name_hash).unwrap_or(0),
            name: fm.field.as_deref().map(Into::into),
            group,
            pats,
            all: fm.all,
        }
    }

    fn is_match(&self, ev: &Event, t: &FieldTable<'_>, b: &mut Bufs) -> bool {
        match &self.name {
            Some(name) => {
                let f = t.get(name, self.hash);
                if let (Some(g), Some(v)) = (&self.group, f) {
                    let hit = match &g.ids {
                        Some(ids) if b.lit_ok => ids.iter().any(|&i| b.lit_hit(i)),
                        _ => g.value(v, b),
                    };
                    if hit {
                        return true;
                    }
                }
                if self.all {
                    self.pats.iter().all(|p| field(p, f, ev, b))
                } else {
                    self.pats.iter().any(|p| field(p, f, ev, b))
                }
            }
            None => {
                if self.all {
                    self.pats.iter().all(|p| keyword(p, ev, b))
                } else {
                    self.pats.iter().any(|p| keyword(p, ev, b))
                }
            }
        }
    }
}

/// A compiled rule detection.
#[derive(Debug, Clone)]
pub(crate) struct CRule {
    sels: Vec<Vec<Vec<CField>>>,
    cond: Cond,
}

impl CRule {
    pub(crate) fn new(sels: &[Selection], cond: &Cond) -> CRule {
        CRule {
            sels: sels.iter().map(|s| s.groups.iter().map(|g| g.iter().map(CField::new).collect()).collect()).collect(),
            cond: cond.clone(),
        }
    }

    fn sel(&self, i: usize, ev: &Event, t: &FieldTable<'_>, b: &mut Bufs) -> bool {
        self.sels[i].iter().any(|g| g.iter().all(|f| f.is_match(ev, t, b)))
    }

    fn cond(&self, c: &Cond, ev: &Event, t: &FieldTable<'_>, b: &mut Bufs) -> bool {
        match c {
            Cond::Sel(i) => self.sel(*i, ev, t, b),
            Cond::Not(c) => !self.cond(c, ev, t, b),
            Cond::And(cs) => cs.iter().all(|c| self.cond(c, ev, t, b)),
            Cond::Or(cs) => cs.iter().any(|c| self.cond(c, ev, t, b)),
            Cond::Of(OfCount::All, s) => s.iter().all(|&i| self.sel(i, ev, t, b)),
            Cond::Of(OfCount::AtLeast(n), s) => {
                let mut hit = 0u32;
                for &i in s {
                    if self.sel(i, ev, t, b) {
                        hit += 1;
                        if hit >= *n {
                            return true;
                        }
                    }
                }
                false
            }
        }
    }

    pub(crate) fn is_match(&self, ev: &Event, t: &FieldTable<'_>, b: &mut Bufs) -> bool {
        self.cond(&self.cond, ev, t, b)
    }

    /// Gives each plain case-insensitive literal of a named field the id `id(field, literal,
    /// anchor)` returns, so that the prefilter's hits can decide it.
    pub(crate) fn assign_lits(&mut self, id: &mut LitIds<'_>) {
        fn walk(p: &mut CPat, name: &str, id: &mut LitIds<'_>) {
            match p {
                CPat::Str(s) => {
                    if let Some((n, k)) = s.plain()
                        && let Some(i) = id(name, n, k)
                    {
                        s.lit = i;
                    }
                }
                CPat::AnyOf(ps) => ps.iter_mut().for_each(|p| walk(p, name, id)),
                _ => {}
            }
        }
        for f in self.sels.iter_mut().flatten().flatten() {
            let Some(name) = f.name.clone() else { continue };
            for p in &mut f.pats {
                walk(p, &name, id);
            }
            if let Some(g) = &mut f.group {
                g.ids = g.needles.iter().map(|(n, k)| id(&name, n.as_bytes(), *k)).collect();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower8_lower_cases_ascii_letters_only() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut w = [b'x'; 8];
                w[pos] = b;
                let mut want = w;
                want.make_ascii_lowercase();
                assert_eq!(lower8(u64::from_le_bytes(w)).to_le_bytes(), want, "byte {b:#x} at {pos}");
            }
        }
    }

    #[test]
    fn literal_group_automaton_and_one_by_one_agree() {
        let g = LitGroup {
            ac: std::sync::OnceLock::new(),
            needles: vec![
                ("mid".into(), LitKind::Contains),
                ("pre".into(), LitKind::Prefix),
                (".exe".into(), LitKind::Suffix),
                ("whole".into(), LitKind::Exact),
            ],
            ids: None,
        };
        let cases: [(&str, bool); 10] = [
            ("xxMIDxx", true),
            ("PREfix", true),
            ("xpre", false),
            ("a.EXE", true),
            ("a.exe ", false),
            ("Whole", true),
            ("wholes", false),
            ("", false),
            ("mi", false),
            ("pr", false),
        ];
        for (h, want) in cases {
            assert_eq!(g.scan(h.as_bytes()), want, "automaton on {h:?}");
            assert_eq!(g.scan_each(h.as_bytes()), want, "one by one on {h:?}");
        }
    }

    #[test]
    fn name_hash_ignores_ascii_case_only() {
        assert_eq!(name_hash("CommandLine"), name_hash("commandline"));
        assert_eq!(name_hash("winlog.event_data.ParentImage"), name_hash("WINLOG.EVENT_DATA.PARENTIMAGE"));
        assert_ne!(name_hash("Image"), name_hash("Images"));
        assert_ne!(name_hash("ab"), name_hash("ab\0"));
        assert_ne!(name_hash("Ä"), name_hash("ä"));
    }
}
