//! Pure helpers for building queries (both backends): field names to columns, wildcard patterns to LIKE,
//! page cursors and full-text match expressions. No I/O, so they are unit-tested here.

use crate::{Result, StoreError};

/// A promoted, indexed event column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Promoted {
    Host,
    SrcIp,
    User,
}

impl Promoted {
    pub(crate) fn column(self) -> &'static str {
        match self {
            Promoted::Host => "e.host",
            Promoted::SrcIp => "e.src_ip",
            Promoted::User => "e.user_name",
        }
    }
}

/// Field names that search the promoted column instead of the JSON fields (case-insensitive):
/// the canonical names and the usual names the readers promote from.
pub(crate) fn promoted_field(name: &str) -> Option<Promoted> {
    const HOST: &[&str] = &["host", "hostname", "computer", "computername", "host.name", "workstationname"];
    const SRC_IP: &[&str] =
        &["src_ip", "srcip", "src", "source_ip", "source.ip", "c-ip", "client_ip", "clientip", "ipaddress"];
    const USER: &[&str] = &["user", "user_name", "username", "user.name", "targetusername", "cs-username", "account"];
    let lower = name.to_ascii_lowercase();
    if HOST.contains(&lower.as_str()) {
        Some(Promoted::Host)
    } else if SRC_IP.contains(&lower.as_str()) {
        Some(Promoted::SrcIp)
    } else if USER.contains(&lower.as_str()) {
        Some(Promoted::User)
    } else {
        None
    }
}

/// A field pattern translated for SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// No wildcard: the literal value (compare with NOCASE equality).
    Exact(String),
    /// A LIKE pattern using `\` as the escape character.
    Like(String),
}

/// Translates a Sigma-style pattern (`*` any run, `?` one character, `\*`, `\?` and `\\`
/// literals, any other backslash literal) into an exact value or a LIKE pattern.
pub(crate) fn translate_pattern(pattern: &str) -> Pattern {
    let mut literal = String::with_capacity(pattern.len());
    let mut like = String::with_capacity(pattern.len() + 4);
    let mut wild = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek().copied() {
                Some(n @ ('*' | '?' | '\\')) => {
                    chars.next();
                    literal.push(n);
                    push_like_literal(&mut like, n);
                }
                _ => {
                    literal.push('\\');
                    push_like_literal(&mut like, '\\');
                }
            },
            '*' => {
                wild = true;
                like.push('%');
            }
            '?' => {
                wild = true;
                like.push('_');
            }
            c => {
                literal.push(c);
                push_like_literal(&mut like, c);
            }
        }
    }
    if wild { Pattern::Like(like) } else { Pattern::Exact(literal) }
}

fn push_like_literal(out: &mut String, c: char) {
    if matches!(c, '%' | '_' | '\\') {
        out.push('\\');
    }
    out.push(c);
}

/// The SQLite JSON path of a top-level key (`$."key"`). Keys holding `"` cannot be expressed.
pub(crate) fn json_path(field: &str) -> Result<String> {
    if field.is_empty() || field.contains('"') || field.len() > 256 {
        return Err(StoreError::Invalid("field name must be 1..=256 characters without '\"'".into()));
    }
    Ok(format!("$.\"{field}\""))
}

/// Keyset position of the last item of a page (e.g. `(ts, id)`), as an opaque token.
pub(crate) fn encode_cursor(parts: &[i64]) -> String {
    let hex: Vec<String> =
        parts.iter().map(|p| if *p < 0 { format!("m{:x}", p.unsigned_abs()) } else { format!("{p:x}") }).collect();
    hex.join(".")
}

/// Decodes a cursor of exactly `N` parts.
pub(crate) fn decode_cursor<const N: usize>(s: &str) -> Result<[i64; N]> {
    let bad = || StoreError::Invalid("malformed page cursor".into());
    if s.len() > 32 * N {
        return Err(bad());
    }
    let mut out = [0i64; N];
    let mut parts = s.split('.');
    for slot in out.iter_mut() {
        let t = parts.next().ok_or_else(bad)?;
        let (neg, digits) = match t.strip_prefix('m') {
            Some(d) => (true, d),
            None => (false, t),
        };
        let v = u64::from_str_radix(digits, 16).map_err(|_| bad())?;
        *slot =
            if neg { 0i64.checked_sub_unsigned(v).ok_or_else(bad)? } else { i64::try_from(v).map_err(|_| bad())? };
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(out)
}

/// Splits full-text input into lower-cased terms (at most 16, each at most 256 bytes).
pub(crate) fn text_terms(text: &str) -> Result<Vec<String>> {
    let terms: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    if terms.len() > 16 || terms.iter().any(|t| t.len() > 256) {
        return Err(StoreError::Invalid("search text: at most 16 terms of at most 256 bytes".into()));
    }
    Ok(terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_translate_wildcards_and_escapes() {
        assert_eq!(translate_pattern("alice"), Pattern::Exact("alice".into()));
        assert_eq!(translate_pattern("adm*"), Pattern::Like("adm%".into()));
        assert_eq!(translate_pattern("a?c"), Pattern::Like("a_c".into()));
        assert_eq!(translate_pattern("50%_off*"), Pattern::Like("50\\%\\_off%".into()));
        assert_eq!(translate_pattern("a\\*b"), Pattern::Exact("a*b".into()));
        assert_eq!(translate_pattern("c:\\temp\\*"), Pattern::Exact("c:\\temp*".into()));
        assert_eq!(translate_pattern("c:\\temp\\\\*"), Pattern::Like("c:\\\\temp\\\\%".into()));
        assert_eq!(translate_pattern("end\\"), Pattern::Exact("end\\".into()));
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        for (a, b) in [(0, 0), (1_700_000_000_000_000, 42), (-5, i64::MAX), (i64::MIN, 1)] {
            assert_eq!(decode_cursor::<2>(&encode_cursor(&[a, b])).ok(), Some([a, b]));
        }
        assert_eq!(decode_cursor::<3>(&encode_cursor(&[7, 8, 9])).ok(), Some([7, 8, 9]));
        assert!(decode_cursor::<2>("nope").is_err());
        assert!(decode_cursor::<2>("1.zz").is_err());
        assert!(decode_cursor::<2>("1.2.3").is_err());
        assert!(decode_cursor::<2>("1").is_err());
        assert!(decode_cursor::<2>(&"1".repeat(100)).is_err());
    }

    #[test]
    fn aliases_map_to_promoted_columns() {
        assert_eq!(promoted_field("Computer"), Some(Promoted::Host));
        assert_eq!(promoted_field("c-ip"), Some(Promoted::SrcIp));
        assert_eq!(promoted_field("TargetUserName"), Some(Promoted::User));
        assert_eq!(promoted_field("EventID"), None);
    }

    #[test]
    fn json_paths_are_quoted() {
        assert_eq!(json_path("EventData.TargetUserName").ok().as_deref(), Some("$.\"EventData.TargetUserName\""));
        assert!(json_path("a\"b").is_err());
    }
}
