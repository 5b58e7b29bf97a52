//! The condition grammar: `or` < `and` < `not`, parentheses, `N of pattern`, `all of pattern`,
//! `any of pattern`, `them`, and identifiers with `*` wildcards in `of` targets.

use crate::ast::{Cond, OfCount};

/// Limits against hostile input.
const MAX_CONDITION_LEN: usize = 16 * 1024;
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CondError {
    /// Not part of Sigma detection conditions we evaluate (aggregations, `near`).
    Unsupported(String),
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Of,
    All,
    Any,
    Them,
    Num(u32),
    Ident(String),
}

fn lex(s: &str) -> Result<Vec<Token>, CondError> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'(' {
            out.push(Token::LParen);
            i += 1;
        } else if c == b')' {
            out.push(Token::RParen);
            i += 1;
        } else if c == b'|' {
            let rest = s[i + 1..].trim();
            return Err(CondError::Unsupported(format!(
                "deprecated aggregation in condition ('| {rest}'); use a correlation rule instead"
            )));
        } else if c.is_ascii_alphanumeric() || c == b'_' || c == b'*' || c == b'-' || c == b'.' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'*' | b'-' | b'.')) {
                i += 1;
            }
            let word = &s[start..i];
            let tok = match word.to_ascii_lowercase().as_str() {
                "and" => Token::And,
                "or" => Token::Or,
                "not" => Token::Not,
                "of" => Token::Of,
                "all" => Token::All,
                "any" => Token::Any,
                "them" => Token::Them,
                "near" => {
                    return Err(CondError::Unsupported("'near' in condition (Sigma 1 aggregation)".into()));
                }
                _ if word.bytes().all(|b| b.is_ascii_digit()) => match word.parse::<u32>() {
                    Ok(n) => Token::Num(n),
                    Err(_) => {
                        return Err(CondError::Invalid(format!("number '{word}' too large in condition")));
                    }
                },
                _ => Token::Ident(word.to_owned()),
            };
            out.push(tok);
        } else {
            let ch = s[i..].chars().next().unwrap_or('?');
            return Err(CondError::Invalid(format!("unexpected character '{ch}' at position {i} in condition")));
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Token>,
    pos: usize,
    names: &'a [String],
}

/// Simple glob for identifier patterns (`sel*`, `*_filter`).
pub fn ident_glob(pat: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    go(pat.as_bytes(), name.as_bytes())
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self, depth: usize) -> Result<Cond, CondError> {
        let mut items = vec![self.and(depth)?];
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            items.push(self.and(depth)?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Cond::Or(items) })
    }

    fn and(&mut self, depth: usize) -> Result<Cond, CondError> {
        let mut items = vec![self.not(depth)?];
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            items.push(self.not(depth)?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Cond::And(items) })
    }

    fn not(&mut self, depth: usize) -> Result<Cond, CondError> {
        if depth > MAX_DEPTH {
            return Err(CondError::Invalid(format!("condition nests deeper than {MAX_DEPTH} levels")));
        }
        if self.peek() == Some(&Token::Not) {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.not(depth + 1)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Cond, CondError> {
        match self.next() {
            Some(Token::LParen) => {
                let c = self.or(depth + 1)?;
                match self.next() {
                    Some(Token::RParen) => Ok(c),
                    _ => Err(CondError::Invalid("missing ')' in condition".into())),
                }
            }
            Some(t @ (Token::All | Token::Any | Token::Num(_))) => {
                let count = match t {
                    Token::All => OfCount::All,
                    Token::Num(0) => return Err(CondError::Invalid("'0 of' in condition".into())),
                    Token::Num(n) => OfCount::AtLeast(n),
                    _ => OfCount::AtLeast(1),
                };
                if self.next() != Some(Token::Of) {
                    return Err(CondError::Invalid("expected 'of' after quantifier in condition".into()));
                }
                let sels: Vec<usize> = match self.next() {
                    Some(Token::Them) => {
                        let v: Vec<usize> =
                            (0..self.names.len()).filter(|&i| !self.names[i].starts_with('_')).collect();
                        if v.is_empty() {
                            return Err(CondError::Invalid("'them' matches no search identifier".into()));
                        }
                        v
                    }
                    Some(Token::Ident(p)) => {
                        let v: Vec<usize> = (0..self.names.len()).filter(|&i| ident_glob(&p, &self.names[i])).collect();
                        if v.is_empty() {
                            return Err(CondError::Invalid(format!("'{p}' in condition matches no search identifier")));
                        }
                        v
                    }
                    _ => {
                        return Err(CondError::Invalid("expected 'them' or an identifier pattern after 'of'".into()));
                    }
                };
                Ok(Cond::Of(count, sels))
            }
            Some(Token::Ident(name)) => {
                if name.contains('*') {
                    return Err(CondError::Invalid(format!("wildcard identifier '{name}' is only allowed after 'of'")));
                }
                match self.names.iter().position(|n| *n == name) {
                    Some(i) => Ok(Cond::Sel(i)),
                    None => Err(CondError::Invalid(format!("condition references undefined identifier '{name}'"))),
                }
            }
            Some(t) => Err(CondError::Invalid(format!("unexpected {t:?} in condition"))),
            None => Err(CondError::Invalid("condition ends unexpectedly".into())),
        }
    }
}

/// Parses one condition string against the detection's identifiers.
pub fn parse_condition(s: &str, names: &[String]) -> Result<Cond, CondError> {
    if s.len() > MAX_CONDITION_LEN {
        return Err(CondError::Invalid(format!("condition longer than {MAX_CONDITION_LEN} bytes")));
    }
    let toks = lex(s)?;
    if toks.is_empty() {
        return Err(CondError::Invalid("empty condition".into()));
    }
    let mut p = Parser { toks, pos: 0, names };
    let c = p.or(0)?;
    if let Some(t) = p.peek() {
        return Err(CondError::Invalid(format!("unexpected {t:?} after end of condition")));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["sel", "sel_a", "sel_b", "filter", "_hidden"].iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn precedence_not_and_or() {
        let c = parse_condition("sel or sel_a and not filter", &names()).unwrap();
        assert_eq!(c, Cond::Or(vec![Cond::Sel(0), Cond::And(vec![Cond::Sel(1), Cond::Not(Box::new(Cond::Sel(3)))])]));
        let c = parse_condition("(sel or sel_a) and filter", &names()).unwrap();
        assert_eq!(c, Cond::And(vec![Cond::Or(vec![Cond::Sel(0), Cond::Sel(1)]), Cond::Sel(3)]));
    }

    #[test]
    fn of_forms() {
        assert_eq!(parse_condition("1 of sel_*", &names()).unwrap(), Cond::Of(OfCount::AtLeast(1), vec![1, 2]));
        assert_eq!(parse_condition("all of sel*", &names()).unwrap(), Cond::Of(OfCount::All, vec![0, 1, 2]));
        assert_eq!(parse_condition("any of them", &names()).unwrap(), Cond::Of(OfCount::AtLeast(1), vec![0, 1, 2, 3]));
        assert_eq!(parse_condition("all of them", &names()).unwrap(), Cond::Of(OfCount::All, vec![0, 1, 2, 3]));
        assert_eq!(parse_condition("2 of sel*", &names()).unwrap(), Cond::Of(OfCount::AtLeast(2), vec![0, 1, 2]));
    }

    #[test]
    fn errors() {
        let n = names();
        assert!(matches!(parse_condition("sel and nope", &n), Err(CondError::Invalid(m)) if m.contains("'nope'")));
        assert!(matches!(parse_condition("1 of x*", &n), Err(CondError::Invalid(_))));
        assert!(
            matches!(parse_condition("sel | count() > 5", &n), Err(CondError::Unsupported(m)) if m.contains("aggregation"))
        );
        assert!(matches!(parse_condition("(sel", &n), Err(CondError::Invalid(_))));
        assert!(matches!(parse_condition("sel sel", &n), Err(CondError::Invalid(_))));
        assert!(matches!(parse_condition("", &n), Err(CondError::Invalid(_))));
        assert!(matches!(parse_condition("sel*", &n), Err(CondError::Invalid(_))));
        assert!(matches!(parse_condition("sel and", &n), Err(CondError::Invalid(_))));
    }
}
