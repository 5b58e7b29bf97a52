//! A small, ordered YAML value model: Sigma needs map order (for display), and to tell quoted
//! strings from numbers and nulls, which a generic map type would lose.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Nesting limit for rule documents; real rules nest 4–5 levels.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Yaml {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Yaml::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Scalars as text (numbers and booleans as YAML spells them); `None` for null and nodes.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Yaml::Str(s) => Some(s.clone()),
            Yaml::Int(i) => Some(i.to_string()),
            Yaml::Float(f) => Some(f.to_string()),
            Yaml::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self {
            Yaml::Null => "null",
            Yaml::Bool(_) => "boolean",
            Yaml::Int(_) | Yaml::Float(_) => "number",
            Yaml::Str(_) => "string",
            Yaml::Seq(_) => "list",
            Yaml::Map(_) => "map",
        }
    }

    fn depth(&self) -> usize {
        match self {
            Yaml::Seq(v) => 1 + v.iter().map(Yaml::depth).max().unwrap_or(0),
            Yaml::Map(m) => 1 + m.iter().map(|(_, v)| v.depth()).max().unwrap_or(0),
            _ => 0,
        }
    }
}

struct YamlVisitor;

impl<'de> Visitor<'de> for YamlVisitor {
    type Value = Yaml;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }
    fn visit_none<E>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Yaml, D::Error> {
        Yaml::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Yaml, E> {
        Ok(Yaml::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Yaml, E> {
        Ok(Yaml::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Yaml, E> {
        Ok(i64::try_from(v).map(Yaml::Int).unwrap_or(Yaml::Float(v as f64)))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Yaml, E> {
        Ok(i64::try_from(v).map(Yaml::Int).unwrap_or(Yaml::Float(v as f64)))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Yaml, E> {
        Ok(i64::try_from(v).map(Yaml::Int).unwrap_or(Yaml::Float(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Yaml, E> {
        Ok(Yaml::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Yaml, E> {
        Ok(Yaml::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Yaml, E> {
        Ok(Yaml::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Yaml, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<Yaml>()? {
            out.push(v);
        }
        Ok(Yaml::Seq(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Yaml, A::Error> {
        let mut out: Vec<(String, Yaml)> = Vec::new();
        while let Some((k, v)) = map.next_entry::<Yaml, Yaml>()? {
            let key = match k {
                Yaml::Null => "null".to_owned(),
                other => other.scalar_text().unwrap_or_else(|| format!("<{}>", other.kind_name())),
            };
            out.push((key, v));
        }
        Ok(Yaml::Map(out))
    }
}

impl<'de> Deserialize<'de> for Yaml {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Yaml, D::Error> {
        d.deserialize_any(YamlVisitor)
    }
}

/// A YAML syntax error with the place the parser gave.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// Parses every document of a YAML stream. Empty documents are dropped.
pub fn parse_documents(text: &str) -> Result<Vec<Yaml>, YamlError> {
    // YAML 1.2 booleans only: Sigma values like `y`, `no` or `on` are strings.
    let opts = serde_saphyr::Options { strict_booleans: true, with_snippet: false, ..serde_saphyr::Options::default() };
    let docs: Vec<Yaml> = serde_saphyr::from_multiple_with_options(text, opts).map_err(|e| {
        let loc = e.location();
        let message = e.without_snippet().to_string();
        let message = message.lines().next().unwrap_or("YAML syntax error").to_owned();
        YamlError {
            message,
            line: loc.as_ref().map(|l| l.line() as usize),
            column: loc.as_ref().map(|l| l.column() as usize),
        }
    })?;
    if let Some(d) = docs.iter().find(|d| d.depth() > MAX_DEPTH) {
        let _ = d;
        return Err(YamlError {
            message: format!("document nests deeper than {MAX_DEPTH} levels"),
            line: None,
            column: None,
        });
    }
    Ok(docs.into_iter().filter(|d| *d != Yaml::Null).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_types_and_order() {
        let docs = parse_documents("b: 4624\na: '4624'\nc: ~\nd: [1, x]\ne: true\n").unwrap();
        assert_eq!(docs.len(), 1);
        let Yaml::Map(m) = &docs[0] else { panic!("not a map") };
        assert_eq!(m[0], ("b".into(), Yaml::Int(4624)));
        assert_eq!(m[1], ("a".into(), Yaml::Str("4624".into())));
        assert_eq!(m[2], ("c".into(), Yaml::Null));
        assert_eq!(m[3].1, Yaml::Seq(vec![Yaml::Int(1), Yaml::Str("x".into())]));
        assert_eq!(m[4].1, Yaml::Bool(true));
        let docs = parse_documents("a: y\nb: no\nc: on\n").unwrap();
        assert_eq!(docs[0].get("b"), Some(&Yaml::Str("no".into())));
        assert_eq!(docs[0].get("a"), Some(&Yaml::Str("y".into())));
    }

    #[test]
    fn multi_document_and_errors_with_place() {
        let docs = parse_documents("a: 1\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        let err = parse_documents("a: 1\nb: [unclosed\n").unwrap_err();
        assert!(err.line.is_some(), "{err:?}");
    }
}
