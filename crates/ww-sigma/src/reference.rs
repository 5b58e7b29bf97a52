//! The reference evaluator: a direct, index-free reading of the AST. It is slow and simple on
//! purpose; the property tests check that the fast path agrees with it, and `explain` uses it.

use ww_core::{Event, Value};

use crate::ast::{CmpOp, Cond, Detection, FieldMatch, OfCount, Pat, RefMode, StrPat, Tok, fold};

/// Plain glob match (backtracking over character boundaries; fine for tests and explanations).
/// Works on the text itself: explanations run once per detection and must not allocate per
/// comparison.
pub fn glob(toks: &[Tok], text: &str) -> bool {
    match toks.split_first() {
        None => text.is_empty(),
        Some((Tok::Star, rest)) => {
            text.char_indices().map(|(i, _)| i).chain([text.len()]).any(|i| glob(rest, &text[i..]))
        }
        Some((Tok::One, rest)) => {
            let mut chars = text.chars();
            chars.next().is_some() && glob(rest, chars.as_str())
        }
        Some((Tok::Lit(l), rest)) => text.strip_prefix(l.as_str()).is_some_and(|t| glob(rest, t)),
    }
}

pub fn str_match(p: &StrPat, text: &str) -> bool {
    if p.cased { glob(&p.toks, text) } else { glob(&p.toks, &fold(text)) }
}

fn scalars(v: &Value) -> Vec<&Value> {
    match v {
        Value::List(items) => items.iter().flat_map(scalars).collect(),
        other => vec![other],
    }
}

/// Does one pattern match a (present) field value?
pub fn pat_value(p: &Pat, v: &Value, event: &Event) -> bool {
    if let Pat::AnyOf(ps) = p {
        return ps.iter().any(|p| pat_value(p, v, event));
    }
    match p {
        Pat::Null => v.is_null(),
        Pat::Exists(b) => *b,
        _ => scalars(v).into_iter().any(|s| pat_scalar(p, s, event)),
    }
}

fn pat_scalar(p: &Pat, v: &Value, event: &Event) -> bool {
    let text = v.as_text();
    match p {
        Pat::Str(sp) => text.is_some_and(|t| str_match(sp, &t)),
        Pat::Re(re) => text.is_some_and(|t| re.is_match(&t)),
        Pat::Cidr(net) => {
            text.and_then(|t| t.trim().parse::<std::net::IpAddr>().ok()).is_some_and(|ip| net.contains(&ip))
        }
        Pat::Cmp(op, n) => v.as_f64().is_some_and(|x| match op {
            CmpOp::Lt => x < *n,
            CmpOp::Lte => x <= *n,
            CmpOp::Gt => x > *n,
            CmpOp::Gte => x >= *n,
        }),
        Pat::FieldRef { field, mode, cased } => {
            let Some(other) = event.fields.get(field) else {
                return false;
            };
            let (Some(a), Some(b)) = (text, other.as_text()) else {
                return false;
            };
            let (a, b) = if *cased { (a.into_owned(), b.into_owned()) } else { (fold(&a), fold(&b)) };
            match mode {
                RefMode::Equal => a == b,
                RefMode::Contains => a.contains(&b),
                RefMode::Starts => a.starts_with(&b),
                RefMode::Ends => a.ends_with(&b),
            }
        }
        Pat::Null => v.is_null(),
        Pat::Exists(b) => *b,
        Pat::AnyOf(ps) => ps.iter().any(|p| pat_scalar(p, v, event)),
    }
}

/// Does one pattern hold for a field (which may be absent)?
pub fn pat_field(p: &Pat, field: Option<&Value>, event: &Event) -> bool {
    match (p, field) {
        (Pat::Null, None) => true,
        (Pat::Exists(b), None) => !*b,
        (Pat::AnyOf(ps), None) => ps.iter().any(|p| pat_field(p, None, event)),
        (_, None) => false,
        (p, Some(v)) => pat_value(p, v, event),
    }
}

/// A keyword pattern holds when it matches any field value or the raw line.
pub fn keyword(p: &Pat, event: &Event) -> bool {
    event.fields.iter().any(|(_, v)| pat_value(p, v, event))
        || event.raw.as_deref().is_some_and(|r| pat_value(p, &Value::Str(r.into()), event))
}

pub fn field_match(fm: &FieldMatch, event: &Event) -> bool {
    let one = |p: &Pat| match &fm.field {
        Some(f) => pat_field(p, event.fields.get(f), event),
        None => keyword(p, event),
    };
    if fm.all { fm.pats.iter().all(one) } else { fm.pats.iter().any(one) }
}

pub fn selection(det: &Detection, i: usize, event: &Event) -> bool {
    det.selections[i].groups.iter().any(|g| g.iter().all(|fm| field_match(fm, event)))
}

pub fn cond(det: &Detection, c: &Cond, event: &Event) -> bool {
    match c {
        Cond::Sel(i) => selection(det, *i, event),
        Cond::Not(c) => !cond(det, c, event),
        Cond::And(cs) => cs.iter().all(|c| cond(det, c, event)),
        Cond::Or(cs) => cs.iter().any(|c| cond(det, c, event)),
        Cond::Of(OfCount::All, sels) => sels.iter().all(|&i| selection(det, i, event)),
        Cond::Of(OfCount::AtLeast(n), sels) => {
            sels.iter().filter(|&&i| selection(det, i, event)).count() >= *n as usize
        }
    }
}

/// The rule's detection holds for the event (logsource not considered).
pub fn matches(det: &Detection, event: &Event) -> bool {
    cond(det, &det.cond, event)
}

/// Field/value pairs that took part: field matches that hold, in selections that hold.
pub fn explain(det: &Detection, event: &Event) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (i, sel) in det.selections.iter().enumerate() {
        if !selection(det, i, event) {
            continue;
        }
        for g in &sel.groups {
            if !g.iter().all(|fm| field_match(fm, event)) {
                continue;
            }
            for fm in g {
                match &fm.field {
                    Some(f) => {
                        if let Some(v) = event.fields.get(f) {
                            out.push((f.clone(), v.to_string()));
                        }
                    }
                    None => {
                        for (name, v) in event.fields.iter() {
                            if fm.pats.iter().any(|p| pat_value(p, v, event)) {
                                out.push((name.to_owned(), v.to_string()));
                            }
                        }
                        if let Some(r) = event.raw.as_deref()
                            && fm.pats.iter().any(|p| pat_value(p, &Value::Str(r.into()), event))
                        {
                            out.push(("raw".to_owned(), r.to_owned()));
                        }
                    }
                }
            }
        }
    }
    out.dedup();
    out
}
