//! The parsed, validated form of a rule's detection: what both the reference evaluator and the
//! compiler start from. Every modifier has been applied here (encodings expanded, wildcards
//! tokenised, case folded), so matching code never interprets modifiers.

use ipnet::IpNet;
use regex::Regex;

/// One token of a Sigma string: literal text, `*` (any run) or `?` (one character).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    Lit(String),
    Star,
    One,
}

/// An anchored wildcard pattern. When `cased` is false the literals are already folded with
/// [`fold`], and the event text must be folded the same way before comparing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrPat {
    pub toks: Vec<Tok>,
    pub cased: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

/// How a `fieldref` compares the two fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefMode {
    Equal,
    Contains,
    Starts,
    Ends,
}

/// One value to test a field against.
#[derive(Debug, Clone)]
pub enum Pat {
    Str(StrPat),
    Re(Regex),
    Cidr(IpNet),
    Cmp(CmpOp, f64),
    /// `field: null`: the field is absent or null.
    Null,
    Exists(bool),
    FieldRef {
        field: String,
        mode: RefMode,
        cased: bool,
    },
    /// Alternatives produced by one rule value (windash, base64offset, expand).
    AnyOf(Vec<Pat>),
}

/// `field|mods: values`. `field` is `None` for keywords (matched against every field value and
/// the raw line).
#[derive(Debug, Clone)]
pub struct FieldMatch {
    pub field: Option<String>,
    pub pats: Vec<Pat>,
    /// `|all`: every pattern must match (otherwise any one).
    pub all: bool,
}

/// A search identifier's body: OR over groups, each group an AND of field matches.
#[derive(Debug, Clone)]
pub struct Selection {
    pub groups: Vec<Vec<FieldMatch>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfCount {
    All,
    AtLeast(u32),
}

/// A condition over selections (indices into `Detection::selections`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    Sel(usize),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Of(OfCount, Vec<usize>),
}

#[derive(Debug, Clone)]
pub struct Detection {
    pub names: Vec<String>,
    pub selections: Vec<Selection>,
    pub cond: Cond,
}

/// Case folding used everywhere: per character, without context, so that folding is a
/// homomorphism (a substring of the text folds to a substring of the folded text).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

pub fn fold_into(s: &str, out: &mut String) {
    if s.is_ascii() {
        out.extend(s.bytes().map(|b| b.to_ascii_lowercase() as char));
    } else {
        for c in s.chars() {
            out.extend(c.to_lowercase());
        }
    }
}

/// Splits a Sigma string into tokens: `*` and `?` are wildcards, `\*`, `\?` and `\\` escape
/// them; any other backslash is literal (so `C:\Windows\` needs no escaping).
pub fn tokenize(s: &str) -> Vec<Tok> {
    let mut toks: Vec<Tok> = Vec::new();
    let mut lit = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    lit.push(n);
                    chars.next();
                }
                _ => lit.push('\\'),
            },
            '*' | '?' => {
                if !lit.is_empty() {
                    toks.push(Tok::Lit(std::mem::take(&mut lit)));
                }
                let t = if c == '*' { Tok::Star } else { Tok::One };
                if !(t == Tok::Star && toks.last() == Some(&Tok::Star)) {
                    toks.push(t);
                }
            }
            _ => lit.push(c),
        }
    }
    if !lit.is_empty() {
        toks.push(Tok::Lit(lit));
    }
    toks
}

/// Normalises a token list: merges adjacent literals and stars.
pub fn normalize(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    for t in toks {
        match (out.last_mut(), t) {
            (Some(Tok::Lit(prev)), Tok::Lit(s)) => prev.push_str(&s),
            (Some(Tok::Star), Tok::Star) => {}
            (_, Tok::Lit(s)) if s.is_empty() => {}
            (_, t) => out.push(t),
        }
    }
    out
}

/// Shows a pattern in Sigma syntax for explanations and errors.
pub fn display_toks(toks: &[Tok]) -> String {
    let mut s = String::new();
    for t in toks {
        match t {
            Tok::Star => s.push('*'),
            Tok::One => s.push('?'),
            Tok::Lit(l) => {
                for c in l.chars() {
                    if matches!(c, '*' | '?') {
                        s.push('\\');
                    }
                    s.push(c);
                }
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_wildcards_and_escapes() {
        assert_eq!(
            tokenize("a*b?c"),
            vec![Tok::Lit("a".into()), Tok::Star, Tok::Lit("b".into()), Tok::One, Tok::Lit("c".into())]
        );
        assert_eq!(tokenize(r"a\*b\?c\\"), vec![Tok::Lit(r"a*b?c\".into())]);
        assert_eq!(tokenize(r"C:\Windows\"), vec![Tok::Lit(r"C:\Windows\".into())]);
        assert_eq!(tokenize(r"\\*"), vec![Tok::Lit(r"\".into()), Tok::Star]);
        assert_eq!(tokenize("**x"), vec![Tok::Star, Tok::Lit("x".into())]);
        assert_eq!(tokenize(""), vec![]);
    }

    #[test]
    fn folding_is_per_character() {
        assert_eq!(fold("CMD.EXE"), "cmd.exe");
        assert_eq!(fold("ÄΣ"), "äσ");
        assert_ne!(fold("ÄΣ"), "ÄΣ".to_lowercase());
    }
}
