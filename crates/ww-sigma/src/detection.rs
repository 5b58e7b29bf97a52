//! Turns a rule's `detection:` section into the [`Detection`] AST, applying every value
//! modifier. All validation of modifiers, values, regexes and CIDRs happens here.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use regex::RegexBuilder;

use crate::ast::{CmpOp, Cond, Detection, FieldMatch, Pat, RefMode, Selection, StrPat, Tok, fold, normalize, tokenize};
use crate::condition::{CondError, parse_condition};
use crate::yaml::Yaml;

/// Limits: windash permutations and expanded values per rule value; regex size.
const MAX_VARIANTS: usize = 4096;
const REGEX_SIZE_LIMIT: usize = 16 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetErrorKind {
    Invalid,
    Unsupported,
    MissingPlaceholder,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetError {
    pub kind: DetErrorKind,
    pub reason: String,
    /// The YAML key the problem is under, to find its line.
    pub key: Option<String>,
}

fn invalid(key: &str, reason: impl Into<String>) -> DetError {
    DetError { kind: DetErrorKind::Invalid, reason: reason.into(), key: Some(key.to_owned()) }
}
fn unsupported(key: &str, reason: impl Into<String>) -> DetError {
    DetError { kind: DetErrorKind::Unsupported, reason: reason.into(), key: Some(key.to_owned()) }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Mode {
    #[default]
    Exact,
    Contains,
    Starts,
    Ends,
}

#[derive(Debug, Default, Clone, Copy)]
enum Encoding {
    #[default]
    None,
    Utf16Le,
    Utf16Be,
    Utf16Bom,
}

#[derive(Debug, Default)]
struct Mods {
    mode: Mode,
    all: bool,
    base64: bool,
    base64offset: bool,
    encoding: Encoding,
    windash: bool,
    re: bool,
    re_i: bool,
    re_m: bool,
    re_s: bool,
    cidr: bool,
    exists: bool,
    cmp: Option<CmpOp>,
    fieldref: bool,
    expand: bool,
    cased: bool,
}

fn parse_mods(key: &str, mods: &[&str]) -> Result<Mods, DetError> {
    let mut m = Mods::default();
    for &name in mods {
        let set_mode = |m: &mut Mods, mode: Mode| {
            if m.mode != Mode::Exact && m.mode != mode {
                return Err(invalid(
                    key,
                    format!("conflicting modifiers in '{key}': only one of contains, startswith, endswith"),
                ));
            }
            m.mode = mode;
            Ok(())
        };
        match name {
            "contains" => set_mode(&mut m, Mode::Contains)?,
            "startswith" => set_mode(&mut m, Mode::Starts)?,
            "endswith" => set_mode(&mut m, Mode::Ends)?,
            "all" => m.all = true,
            "base64" => m.base64 = true,
            "base64offset" => m.base64offset = true,
            "utf16le" | "wide" => m.encoding = Encoding::Utf16Le,
            "utf16be" => m.encoding = Encoding::Utf16Be,
            "utf16" => m.encoding = Encoding::Utf16Bom,
            "windash" => m.windash = true,
            "re" => m.re = true,
            "i" | "ignorecase" => m.re_i = true,
            "m" | "multiline" => m.re_m = true,
            "s" | "dotall" => m.re_s = true,
            "cidr" => m.cidr = true,
            "exists" => m.exists = true,
            "lt" => m.cmp = Some(CmpOp::Lt),
            "lte" => m.cmp = Some(CmpOp::Lte),
            "gt" => m.cmp = Some(CmpOp::Gt),
            "gte" => m.cmp = Some(CmpOp::Gte),
            "fieldref" => m.fieldref = true,
            "expand" => m.expand = true,
            "cased" => m.cased = true,
            "" => return Err(invalid(key, format!("empty modifier in '{key}'"))),
            other => {
                return Err(invalid(key, format!("unknown modifier '{other}' in '{key}'")));
            }
        }
    }
    // Combinations the specification allows.
    let typed = [m.re, m.cidr, m.exists, m.cmp.is_some(), m.fieldref].iter().filter(|b| **b).count();
    if typed > 1 {
        return Err(invalid(
            key,
            format!("'{key}' combines modifiers that cannot go together (re, cidr, exists, lt/gt, fieldref)"),
        ));
    }
    let string_mods = m.base64 || m.base64offset || m.windash || !matches!(m.encoding, Encoding::None) || m.expand;
    if (m.re || m.cidr || m.exists || m.cmp.is_some()) && (string_mods || m.mode != Mode::Exact) {
        return Err(invalid(key, format!("'{key}': re, cidr, exists and lt/gt take no string modifiers")));
    }
    if (m.re_i || m.re_m || m.re_s) && !m.re {
        return Err(invalid(key, format!("'{key}': i/m/s are sub-modifiers of re")));
    }
    if m.fieldref && string_mods {
        return Err(invalid(key, format!("'{key}': fieldref takes only contains/startswith/endswith/cased")));
    }
    if m.base64 && m.base64offset {
        return Err(invalid(key, format!("'{key}': base64 and base64offset together")));
    }
    if !(matches!(m.encoding, Encoding::None) || m.base64 || m.base64offset) {
        return Err(unsupported(
            key,
            format!("'{key}': utf16 encodings are only supported together with base64/base64offset"),
        ));
    }
    if m.base64offset && m.mode != Mode::Contains {
        return Err(invalid(
            key,
            format!("'{key}': base64offset needs contains (the encoded fragment sits inside the value)"),
        ));
    }
    Ok(m)
}

/// Context for building one rule's detection.
pub struct Ctx<'a> {
    pub placeholders: &'a HashMap<String, Vec<String>>,
}

/// Builds the AST for a whole `detection:` section.
pub fn parse_detection(det: &Yaml, ctx: &Ctx<'_>) -> Result<Detection, Vec<DetError>> {
    let Yaml::Map(entries) = det else {
        return Err(vec![invalid("detection", format!("detection must be a map, found a {}", det.kind_name()))]);
    };
    let mut errors = Vec::new();
    let mut names = Vec::new();
    let mut selections = Vec::new();
    let mut condition: Option<&Yaml> = None;
    for (k, v) in entries {
        match k.as_str() {
            "condition" => condition = Some(v),
            "timeframe" => {} // only meaningful with an aggregation, which is rejected below
            _ => match parse_selection(k, v, ctx) {
                Ok(sel) => {
                    names.push(k.clone());
                    selections.push(sel);
                }
                Err(e) => {
                    names.push(k.clone());
                    selections.push(Selection { groups: Vec::new() });
                    errors.push(e);
                }
            },
        }
    }
    if names.is_empty() {
        errors.push(invalid("detection", "detection defines no search identifier"));
    }
    let cond = match condition {
        None => {
            errors.push(invalid("detection", "detection has no condition"));
            None
        }
        Some(c) => match parse_cond_value(c, &names) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(e);
                None
            }
        },
    };
    if entries.iter().any(|(k, _)| k == "timeframe") && errors.is_empty() {
        errors.push(unsupported("timeframe", "'timeframe' in detection without an aggregation has no meaning"));
    }
    match cond {
        Some(cond) if errors.is_empty() => Ok(Detection { names, selections, cond }),
        _ => Err(errors),
    }
}

fn parse_cond_value(c: &Yaml, names: &[String]) -> Result<Cond, DetError> {
    let one = |s: &str| {
        parse_condition(s, names).map_err(|e| match e {
            CondError::Invalid(m) => invalid("condition", m),
            CondError::Unsupported(m) => unsupported("condition", m),
        })
    };
    match c {
        Yaml::Str(s) => one(s),
        // A list of conditions: the rule matches when any of them does.
        Yaml::Seq(items) if !items.is_empty() => {
            let mut out = Vec::new();
            for it in items {
                match it {
                    Yaml::Str(s) => out.push(one(s)?),
                    other => {
                        return Err(invalid(
                            "condition",
                            format!("condition list item is a {}, not a string", other.kind_name()),
                        ));
                    }
                }
            }
            Ok(if out.len() == 1 { out.remove(0) } else { Cond::Or(out) })
        }
        other => Err(invalid("condition", format!("condition must be a string, found a {}", other.kind_name()))),
    }
}

fn parse_selection(name: &str, v: &Yaml, ctx: &Ctx<'_>) -> Result<Selection, DetError> {
    match v {
        Yaml::Map(m) => Ok(Selection { groups: vec![parse_group(name, m, ctx)?] }),
        Yaml::Seq(items) if items.is_empty() => {
            Err(invalid(name, format!("search identifier '{name}' is an empty list")))
        }
        Yaml::Seq(items) if items.iter().all(|i| matches!(i, Yaml::Map(_))) => {
            let mut groups = Vec::new();
            for it in items {
                if let Yaml::Map(m) = it {
                    groups.push(parse_group(name, m, ctx)?);
                }
            }
            Ok(Selection { groups })
        }
        Yaml::Seq(items) if items.iter().all(|i| matches!(i, Yaml::Str(_) | Yaml::Int(_) | Yaml::Float(_))) => {
            let fm = build_field_match(name, None, &[], v, ctx)?;
            Ok(Selection { groups: vec![vec![fm]] })
        }
        Yaml::Seq(_) => {
            Err(invalid(name, format!("search identifier '{name}' mixes maps and plain values in one list")))
        }
        Yaml::Str(_) | Yaml::Int(_) | Yaml::Float(_) => {
            let fm = build_field_match(name, None, &[], v, ctx)?;
            Ok(Selection { groups: vec![vec![fm]] })
        }
        other => Err(invalid(
            name,
            format!("search identifier '{name}' is a {}, expected a map or a list", other.kind_name()),
        )),
    }
}

fn parse_group(name: &str, m: &[(String, Yaml)], ctx: &Ctx<'_>) -> Result<Vec<FieldMatch>, DetError> {
    if m.is_empty() {
        return Err(invalid(name, format!("search identifier '{name}' is an empty map")));
    }
    let mut out = Vec::with_capacity(m.len());
    for (key, value) in m {
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or("");
        let mods: Vec<&str> = parts.collect();
        let field = if field.is_empty() { None } else { Some(field) };
        out.push(build_field_match(key, field, &mods, value, ctx)?);
    }
    Ok(out)
}

fn build_field_match(
    key: &str,
    field: Option<&str>,
    mods: &[&str],
    value: &Yaml,
    ctx: &Ctx<'_>,
) -> Result<FieldMatch, DetError> {
    let mut m = parse_mods(key, mods)?;
    let keyword = field.is_none();
    // Keywords match anywhere in a value.
    if keyword && m.mode == Mode::Exact && !m.re {
        m.mode = Mode::Contains;
    }
    let values: Vec<&Yaml> = match value {
        Yaml::Seq(items) => items.iter().collect(),
        other => vec![other],
    };
    if values.is_empty() {
        return Err(invalid(key, format!("'{key}' has an empty list of values")));
    }
    let mut pats = Vec::with_capacity(values.len());
    for v in values {
        let p = build_pat(key, &m, v, keyword, ctx)?;
        if keyword && !matches!(p, Pat::Str(_) | Pat::Re(_) | Pat::AnyOf(_)) {
            return Err(invalid(key, format!("keyword '{key}' can only hold strings or regexes")));
        }
        pats.push(p);
    }
    Ok(FieldMatch { field: field.map(str::to_owned), pats, all: m.all })
}

fn build_pat(key: &str, m: &Mods, v: &Yaml, keyword: bool, ctx: &Ctx<'_>) -> Result<Pat, DetError> {
    if let Yaml::Seq(_) | Yaml::Map(_) = v {
        return Err(invalid(key, format!("'{key}' has a nested {} as a value", v.kind_name())));
    }
    if m.exists {
        return match v {
            Yaml::Bool(b) => Ok(Pat::Exists(*b)),
            other => Err(invalid(key, format!("'{key}': exists takes true or false, not a {}", other.kind_name()))),
        };
    }
    if let Some(op) = m.cmp {
        return match v {
            Yaml::Int(i) => Ok(Pat::Cmp(op, *i as f64)),
            Yaml::Float(f) => Ok(Pat::Cmp(op, *f)),
            Yaml::Str(s) => s
                .trim()
                .parse::<f64>()
                .map(|f| Pat::Cmp(op, f))
                .map_err(|_| invalid(key, format!("'{key}': '{s}' is not a number"))),
            other => Err(invalid(key, format!("'{key}': lt/lte/gt/gte need a number, not a {}", other.kind_name()))),
        };
    }
    if matches!(v, Yaml::Null) {
        if m.re || m.cidr || m.fieldref || m.mode != Mode::Exact || m.base64 || m.base64offset || m.windash {
            return Err(invalid(key, format!("'{key}': null cannot take modifiers")));
        }
        if keyword {
            return Err(invalid(key, "a keyword cannot be null"));
        }
        return Ok(Pat::Null);
    }
    let Some(text) = v.scalar_text() else {
        return Err(invalid(key, format!("'{key}' has an unusable {} value", v.kind_name())));
    };
    if m.re {
        // Flags go inline so the pattern text says everything about the regex: identical rules
        // are recognised by it, and the prefilter reads its literals from it.
        let flags: String = [(m.re_i, 'i'), (m.re_m, 'm'), (m.re_s, 's')].iter().filter(|f| f.0).map(|f| f.1).collect();
        let full = if flags.is_empty() { text.clone() } else { format!("(?{flags}){text}") };
        let re = RegexBuilder::new(&full).size_limit(REGEX_SIZE_LIMIT).build().map_err(|e| {
            let msg = e.to_string();
            if msg.contains("look-around") || msg.contains("backreferences") {
                let what = if msg.contains("look-around") { "look-around" } else { "backreference" };
                unsupported(key, format!("'{key}': regex uses {what}, which the regex engine does not support: {text}"))
            } else {
                invalid(key, format!("'{key}': bad regex {text:?}: {}", msg.lines().last().unwrap_or("")))
            }
        })?;
        return Ok(Pat::Re(re));
    }
    if m.cidr {
        let t = text.trim();
        let net = t
            .parse::<ipnet::IpNet>()
            .or_else(|_| t.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map_err(|_| invalid(key, format!("'{key}': bad CIDR '{t}'")))?;
        return Ok(Pat::Cidr(net));
    }
    if m.fieldref {
        let mode = match m.mode {
            Mode::Exact => RefMode::Equal,
            Mode::Contains => RefMode::Contains,
            Mode::Starts => RefMode::Starts,
            Mode::Ends => RefMode::Ends,
        };
        if keyword {
            return Err(invalid(key, "fieldref needs a field name"));
        }
        return Ok(Pat::FieldRef { field: text, mode, cased: m.cased });
    }
    // Plain strings: expand placeholders, windash, encode, then apply the match mode.
    let mut raws = vec![text.clone()];
    if m.expand {
        raws = expand_placeholders(key, &text, ctx)?;
    }
    if m.windash {
        let mut out = Vec::new();
        for r in &raws {
            out.extend(windash_variants(r));
            if out.len() > MAX_VARIANTS {
                return Err(unsupported(key, format!("'{key}': windash gives more than {MAX_VARIANTS} variants")));
            }
        }
        raws = out;
    }
    let mut variants = Vec::new();
    for r in &raws {
        let toks = normalize(tokenize(r));
        if m.base64 || m.base64offset {
            let mut bytes = String::new();
            for t in &toks {
                match t {
                    Tok::Lit(s) => bytes.push_str(s),
                    _ => {
                        return Err(unsupported(
                            key,
                            format!("'{key}': base64 of a value with wildcards ({r:?}) cannot be matched"),
                        ));
                    }
                }
            }
            let raw = encode_utf16(bytes.as_bytes(), m.encoding);
            let encoded: Vec<String> = if m.base64 { vec![B64.encode(&raw)] } else { base64_offsets(&raw) };
            for e in encoded {
                // Encoded text is case-significant whatever `cased` says.
                variants.push(mode_pat(vec![Tok::Lit(e)], m.mode, true));
            }
        } else {
            variants.push(mode_pat(toks, m.mode, m.cased));
        }
    }
    variants.dedup_by(|a, b| match (a, b) {
        (Pat::Str(x), Pat::Str(y)) => x == y,
        _ => false,
    });
    Ok(if variants.len() == 1 { variants.remove(0) } else { Pat::AnyOf(variants) })
}

fn mode_pat(mut toks: Vec<Tok>, mode: Mode, cased: bool) -> Pat {
    match mode {
        Mode::Exact => {}
        Mode::Contains => {
            toks.insert(0, Tok::Star);
            toks.push(Tok::Star);
        }
        Mode::Starts => toks.push(Tok::Star),
        Mode::Ends => toks.insert(0, Tok::Star),
    }
    let mut toks = normalize(toks);
    if !cased {
        for t in &mut toks {
            if let Tok::Lit(s) = t {
                *s = fold(s);
            }
        }
    }
    Pat::Str(StrPat { toks, cased })
}

fn encode_utf16(s: &[u8], enc: Encoding) -> Vec<u8> {
    let text = String::from_utf8_lossy(s);
    match enc {
        Encoding::None => s.to_vec(),
        Encoding::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Encoding::Utf16Be => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Encoding::Utf16Bom => [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect(),
    }
}

/// The three base64 renderings of `raw` at byte offsets 0, 1 and 2 inside a longer payload,
/// trimmed to the characters that do not depend on the neighbouring bytes.
pub fn base64_offsets(raw: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    let mut out = Vec::with_capacity(3);
    for (i, start) in START.into_iter().enumerate() {
        let mut buf = vec![b' '; i];
        buf.extend_from_slice(raw);
        let enc = B64.encode(&buf);
        let end = match (raw.len() + i) % 3 {
            0 => enc.len(),
            1 => enc.len().saturating_sub(3),
            _ => enc.len().saturating_sub(2),
        };
        if start < end {
            out.push(enc[start..end].to_owned());
        }
    }
    out
}

/// Every spelling of command-line switches: a `-` or `/` that starts a word (not preceded by
/// a word character, followed by one) may be any of `-`, `/`, en dash, em dash, horizontal bar.
pub fn windash_variants(s: &str) -> Vec<String> {
    const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];
    let chars: Vec<char> = s.chars().collect();
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let positions: Vec<usize> = (0..chars.len())
        .filter(|&i| {
            matches!(chars[i], '-' | '/')
                && (i == 0 || !is_word(chars[i - 1]))
                && chars.get(i + 1).is_some_and(|&c| is_word(c))
        })
        .collect();
    let mut out = vec![chars.clone()];
    for &p in &positions {
        let mut next = Vec::with_capacity(out.len() * DASHES.len());
        for v in &out {
            for d in DASHES {
                let mut v2 = v.clone();
                v2[p] = d;
                next.push(v2);
            }
        }
        out = next;
        if out.len() > MAX_VARIANTS {
            break;
        }
    }
    out.into_iter().map(|v| v.into_iter().collect()).collect()
}

fn expand_placeholders(key: &str, text: &str, ctx: &Ctx<'_>) -> Result<Vec<String>, DetError> {
    let mut results = vec![String::new()];
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('%') else { break };
        let name = &after[..end];
        let prefix = &rest[..start];
        for r in &mut results {
            r.push_str(prefix);
        }
        if name.is_empty() || name.contains(char::is_whitespace) {
            for r in &mut results {
                r.push('%');
            }
            rest = after;
            continue;
        }
        let Some(vals) = ctx.placeholders.get(name).filter(|v| !v.is_empty()) else {
            return Err(DetError {
                kind: DetErrorKind::MissingPlaceholder,
                reason: format!("placeholder '%{name}%' in '{key}' has no value (pass one with the placeholder map)"),
                key: Some(key.to_owned()),
            });
        };
        let mut next = Vec::with_capacity(results.len() * vals.len());
        for r in &results {
            for v in vals {
                next.push(format!("{r}{v}"));
            }
        }
        if next.len() > MAX_VARIANTS {
            return Err(unsupported(key, format!("'{key}': placeholders expand to more than {MAX_VARIANTS} values")));
        }
        results = next;
        rest = &after[end + 1..];
    }
    for r in &mut results {
        r.push_str(rest);
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64offset_known_values() {
        // Values pySigma and the spec examples give for "/bin/bash".
        let v = base64_offsets(b"/bin/bash");
        assert_eq!(v, vec!["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]);
    }

    #[test]
    fn windash_permutes_switches_only() {
        let v = windash_variants("-a -b");
        assert_eq!(v.len(), 25);
        assert!(v.contains(&"/a \u{2013}b".to_string()));
        assert_eq!(windash_variants("foo-bar"), vec!["foo-bar".to_string()]);
    }

    #[test]
    fn placeholders_expand_and_report_missing() {
        let mut map = HashMap::new();
        map.insert("admins".to_string(), vec!["a".to_string(), "b".to_string()]);
        let ctx = Ctx { placeholders: &map };
        assert_eq!(expand_placeholders("k", "x%admins%y", &ctx).unwrap(), vec!["xay", "xby"]);
        let e = expand_placeholders("k", "%nope%", &ctx).unwrap_err();
        assert_eq!(e.kind, DetErrorKind::MissingPlaceholder);
        assert!(e.reason.contains("%nope%"));
    }
}
