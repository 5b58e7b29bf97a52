//! Events: flat, ordered fields plus where they came from.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::time::Timestamp;

/// A field value. Readers keep numbers as numbers where the source typed them (JSON, EVTX
/// `EventID`) and everything else as text; matching treats `4624` and `"4624"` alike.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Box<str>),
    /// Repeated values (JSON arrays, repeated unnamed EVTX `Data`): a field matches when any
    /// element matches.
    List(Vec<Value>),
}

impl Value {
    pub fn str(s: impl Into<Box<str>>) -> Self {
        Value::Str(s.into())
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as text, as a string comparison sees it. `None` for null and lists.
    pub fn as_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Str(s) => Some(Cow::Borrowed(s)),
            Value::Int(i) => Some(Cow::Owned(i.to_string())),
            Value::Float(f) => Some(Cow::Owned(f.to_string())),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Value::Null | Value::List(_) => None,
        }
    }

    /// The value as a number, for `lt`/`gt` comparisons: numbers, and text that parses as one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Str(s) => s.trim().parse().ok(),
            Value::Float(f) if f.fract() == 0.0 => Some(*f as i64),
            _ => None,
        }
    }

    /// Converts a JSON value; objects are not values (callers flatten them into fields).
    pub fn from_json_scalar(v: &serde_json::Value) -> Option<Value> {
        Some(match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(s.as_str().into()),
            serde_json::Value::Array(items) => Value::List(items.iter().filter_map(Value::from_json_scalar).collect()),
            serde_json::Value::Object(_) => return None,
        })
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => f.write_str(s),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(x) => s.serialize_f64(*x),
            Value::Str(x) => s.serialize_str(x),
            Value::List(items) => items.serialize(s),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.into())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s.into_boxed_str())
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

/// The ordered fields of one event. Small (tens of fields), so lookups scan: exact name first,
/// then ASCII case-insensitive, because log sources disagree on case (`EventID` vs `eventid`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields(Vec<(Arc<str>, Value)>);

impl Fields {
    pub fn new() -> Self {
        Fields(Vec::new())
    }

    pub fn with_capacity(n: usize) -> Self {
        Fields(Vec::with_capacity(n))
    }

    /// Appends a field. A repeated name is kept as a second entry; `get` returns the first.
    pub fn push(&mut self, name: impl Into<Arc<str>>, value: impl Into<Value>) {
        self.0.push((name.into(), value.into()));
    }

    /// Sets a field, replacing an existing one of exactly that name.
    pub fn set(&mut self, name: &str, value: impl Into<Value>) {
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| &**k == name) {
            Some((_, v)) => *v = value,
            None => self.0.push((name.into(), value)),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(k, _)| &**k == name)
            .or_else(|| self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .map(|(_, v)| v)
    }

    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(&**k, v)?;
        }
        map.end()
    }
}

/// Where inside a file an event or a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Locator {
    None,
    /// Byte offset in the (decompressed) file.
    Offset {
        offset: u64,
    },
    /// 1-based line number and the byte offset where the line starts.
    Line {
        line: u64,
        offset: u64,
    },
    /// EVTX event record id.
    Record {
        record_id: u64,
    },
    /// EVTX chunk number (0-based), for problems with a whole chunk.
    Chunk {
        chunk: u64,
    },
    /// Element index (0-based) in a JSON array.
    Element {
        index: u64,
    },
}

impl fmt::Display for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Locator::None => Ok(()),
            Locator::Offset { offset } => write!(f, "byte {offset}"),
            Locator::Line { line, offset } => write!(f, "line {line}, byte {offset}"),
            Locator::Record { record_id } => write!(f, "record {record_id}"),
            Locator::Chunk { chunk } => write!(f, "chunk {chunk}"),
            Locator::Element { index } => write!(f, "element {index}"),
        }
    }
}

/// The file an event came from and its place in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Origin {
    pub file: Arc<str>,
    pub at: Locator,
}

/// Which reader produced an event; logsource matching uses it (e.g. `category: webserver`
/// applies to access logs and W3C logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Evtx,
    Json,
    Syslog,
    AccessLog,
    W3c,
}

impl SourceKind {
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Evtx => "evtx",
            SourceKind::Json => "json",
            SourceKind::Syslog => "syslog",
            SourceKind::AccessLog => "access_log",
            SourceKind::W3c => "w3c",
        }
    }
}

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub origin: Origin,
    pub kind: SourceKind,
    /// When it happened, in UTC, when the source said.
    pub time: Option<Timestamp>,
    pub fields: Fields,
    /// The original line for line-based formats (lossy UTF-8). EVTX events carry no raw text:
    /// their record id traces them back.
    pub raw: Option<Box<str>>,
}

impl Event {
    pub fn new(kind: SourceKind, file: Arc<str>, at: Locator) -> Self {
        Event { origin: Origin { file, at }, kind, time: None, fields: Fields::new(), raw: None }
    }

    /// The host the event is about, from whichever name the source uses.
    pub fn host(&self) -> Option<&str> {
        ["Computer", "host.name", "hostname", "host", "s-computername", "s-ip"]
            .iter()
            .find_map(|k| self.fields.get_str(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_prefers_exact_case() {
        let mut f = Fields::new();
        f.push("eventid", 1i64);
        f.push("EventID", 4624i64);
        assert_eq!(f.get("EventID"), Some(&Value::Int(4624)));
        assert_eq!(f.get("EVENTID"), Some(&Value::Int(1)));
        assert_eq!(f.get("missing"), None);
    }

    #[test]
    fn values_as_text_and_number() {
        assert_eq!(Value::Int(4624).as_text().as_deref(), Some("4624"));
        assert_eq!(Value::str(" 12 ").as_f64(), Some(12.0));
        assert_eq!(Value::Null.as_text(), None);
        let list = Value::from_json_scalar(&serde_json::json!([1, "a", null]));
        assert_eq!(list, Some(Value::List(vec![Value::Int(1), Value::str("a"), Value::Null])));
    }

    #[test]
    fn serializes_in_order() {
        let mut f = Fields::new();
        f.push("b", "x");
        f.push("a", 1i64);
        assert_eq!(serde_json::to_string(&f).ok().as_deref(), Some(r#"{"b":"x","a":1}"#));
    }
}
