//! IIS W3C extended logs. The `#Fields:` directive names the columns (it may change mid-file,
//! e.g. after an IIS restart with new logging options); data lines before any `#Fields:` use the
//! IIS default columns. `#Date:` supplies the date when no `date` column exists.
//!
//! Decisions:
//! - Field names are lowercased as Sigma rules spell them; `cs(User-Agent)` becomes
//!   `cs-user-agent`, `cs(Referer)` `cs-referer`, any `cs(X)`/`sc(X)`/`s(X)`/`c(X)` `cs-x` etc.
//! - `-` means absent: the field is left out (Sigma `field: null` matches absent fields).
//! - `cs-uri-query` is the full target, `cs-uri-stem` + `?` + query (or the stem alone), as in the
//!   access-log reader, because SigmaHQ webserver rules search it for path fragments; the query
//!   exactly as IIS logged it is kept as `cs-uri-query-string`.
//! - `+` in values (IIS's encoding of spaces, notably in user agents) is left as logged.
//! - `date` + `time` (always UTC in W3C logs) become the event time and are not repeated as
//!   fields; a line whose date or time does not parse is an error, since a web event without a
//!   time cannot be placed in an incident timeline.
//! - Numeric columns (`sc-status`, `sc-bytes`, `time-taken`, ...) are integers when they parse.

use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime};
use ww_core::Fields;
use ww_core::time::Timestamp;

use crate::lines::ParseError;

/// Columns IIS writes by default (IIS 8.5 and later).
const IIS_DEFAULT: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username \
    c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";
/// The IIS 7 default, without `cs(Referer)`: picked when a line has one value fewer.
const IIS7_DEFAULT: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username \
    c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken";

const MAX_COLUMNS: usize = 128;

#[derive(Debug, Clone, PartialEq)]
enum Column {
    Date,
    Time,
    Stem,
    Query,
    Int(Arc<str>),
    Text(Arc<str>),
}

/// What one W3C line was.
#[derive(Debug, Clone, PartialEq)]
pub enum W3cLine {
    /// A `#` directive: it changed the parser's state and makes no event.
    Directive,
    /// A data line.
    Event(Option<Timestamp>, Fields),
}

/// Per-file W3C state: the current columns and directive values.
#[derive(Debug, Clone)]
pub struct W3cParser {
    columns: Option<Vec<Column>>,
    defaults: [Vec<Column>; 2],
    date: Option<NaiveDate>,
    software: Option<Box<str>>,
    version: Option<Box<str>>,
    stem: Arc<str>,
    query: Arc<str>,
    query_string: Arc<str>,
}

impl Default for W3cParser {
    fn default() -> Self {
        Self::new()
    }
}

impl W3cParser {
    pub fn new() -> Self {
        W3cParser {
            columns: None,
            defaults: [columns(IIS_DEFAULT), columns(IIS7_DEFAULT)],
            date: None,
            software: None,
            version: None,
            stem: "cs-uri-stem".into(),
            query: "cs-uri-query".into(),
            query_string: "cs-uri-query-string".into(),
        }
    }

    /// The `#Software:` directive's value, once seen.
    pub fn software(&self) -> Option<&str> {
        self.software.as_deref()
    }

    /// The `#Version:` directive's value, once seen.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// Whether a `#Fields:` directive has been seen.
    pub fn has_fields(&self) -> bool {
        self.columns.is_some()
    }

    /// Parses one line (without its newline); directives update the state.
    pub fn parse_line(&mut self, line: &str) -> Result<W3cLine, ParseError> {
        if let Some(d) = line.strip_prefix('#') {
            self.directive(d)?;
            return Ok(W3cLine::Directive);
        }
        let values: Vec<&str> = line.split([' ', '\t']).filter(|v| !v.is_empty()).collect();
        let cols = match &self.columns {
            Some(c) => c,
            None => self.defaults.iter().find(|d| d.len() == values.len()).ok_or_else(|| {
                ParseError::new(
                    "#Fields",
                    format!("no #Fields directive yet and {} values fit no IIS default", values.len()),
                )
            })?,
        };
        if values.len() != cols.len() {
            return Err(ParseError::new(
                "#Fields",
                format!("{} values but #Fields declares {}", values.len(), cols.len()),
            ));
        }
        let mut fields = Fields::with_capacity(cols.len() + 1);
        let (mut date, mut time) = (self.date, None);
        let mut stem: Option<&str> = None;
        let mut query_seen = false;
        for (col, v) in cols.iter().zip(&values) {
            match col {
                Column::Date => {
                    date = Some(
                        NaiveDate::parse_from_str(v, "%Y-%m-%d")
                            .map_err(|_| ParseError::new("date", "date is not YYYY-MM-DD"))?,
                    );
                }
                Column::Time => {
                    time = Some(
                        NaiveTime::parse_from_str(v, "%H:%M:%S%.f")
                            .map_err(|_| ParseError::new("time", "time is not hh:mm:ss"))?,
                    );
                }
                _ if *v == "-" => {
                    if let Column::Query = col {
                        query_seen = true;
                        if let Some(s) = stem {
                            fields.push(self.query.clone(), s);
                        }
                    }
                }
                Column::Stem => {
                    stem = Some(v);
                    fields.push(self.stem.clone(), *v);
                }
                Column::Query => {
                    query_seen = true;
                    let full = match stem {
                        Some(s) => format!("{s}?{v}"),
                        None => (*v).to_owned(),
                    };
                    fields.push(self.query.clone(), full);
                    fields.push(self.query_string.clone(), *v);
                }
                Column::Int(name) => match v.parse::<i64>() {
                    Ok(i) => fields.push(name.clone(), i),
                    Err(_) => fields.push(name.clone(), *v),
                },
                Column::Text(name) => fields.push(name.clone(), *v),
            }
        }
        if !query_seen && let Some(s) = stem {
            fields.push(self.query.clone(), s);
        }
        let ts = match (date, time) {
            (Some(d), Some(t)) => Some(d.and_time(t).and_utc()),
            (None, Some(_)) => {
                return Err(ParseError::new("date", "time without a date column or #Date"));
            }
            _ => None,
        };
        Ok(W3cLine::Event(ts, fields))
    }

    fn directive(&mut self, d: &str) -> Result<(), ParseError> {
        let (name, value) = d.split_once(':').unwrap_or((d, ""));
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "fields" => {
                let cols = columns(value);
                if cols.is_empty() {
                    return Err(ParseError::new("#Fields", "#Fields directive lists no fields"));
                }
                if cols.len() > MAX_COLUMNS {
                    return Err(ParseError::new("#Fields", "more than 128 fields"));
                }
                self.columns = Some(cols);
            }
            "date" => {
                let day = value.get(..10).unwrap_or(value);
                self.date = Some(
                    NaiveDate::parse_from_str(day, "%Y-%m-%d")
                        .map_err(|_| ParseError::new("#Date", "#Date is not YYYY-MM-DD ..."))?,
                );
            }
            "software" => self.software = Some(value.into()),
            "version" => self.version = Some(value.into()),
            // #Start-Date, #End-Date, #Remark and vendor directives carry nothing we need.
            _ => {}
        }
        Ok(())
    }
}

fn columns(spec: &str) -> Vec<Column> {
    spec.split_whitespace()
        .take(MAX_COLUMNS + 1)
        .map(|raw| {
            let name = field_name(raw);
            match name.as_str() {
                "date" => Column::Date,
                "time" => Column::Time,
                "cs-uri-stem" => Column::Stem,
                "cs-uri-query" => Column::Query,
                "sc-status" | "sc-substatus" | "sc-win32-status" | "sc-bytes" | "cs-bytes" | "time-taken"
                | "s-port" => Column::Int(name.into()),
                _ => Column::Text(name.into()),
            }
        })
        .collect()
}

/// W3C identifier → the lowercased name Sigma rules use (`cs(User-Agent)` → `cs-user-agent`).
pub fn field_name(raw: &str) -> String {
    let lower = raw.to_ascii_lowercase();
    for prefix in ["cs(", "sc(", "s(", "c("] {
        if let Some(inner) = lower.strip_prefix(prefix).and_then(|r| r.strip_suffix(')')) {
            return format!("{}-{inner}", &prefix[..prefix.len() - 1]);
        }
    }
    lower
}

#[cfg(test)]
mod tests {
    use super::*;
    use ww_core::Value;
    use ww_core::time::format_utc;

    fn event(p: &mut W3cParser, line: &str) -> (Option<String>, Fields) {
        match p.parse_line(line) {
            Ok(W3cLine::Event(t, f)) => (t.map(|t| format_utc(&t)), f),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn default_fields_before_directive() {
        let mut p = W3cParser::new();
        let (t, f) = event(
            &mut p,
            "2024-05-06 07:08:09 10.0.0.5 GET /owa/auth/x.js a=1&b=2 443 - 198.51.100.7 \
             Mozilla/5.0+(Windows+NT+10.0) https://ref/ 200 0 0 15",
        );
        assert_eq!(t.as_deref(), Some("2024-05-06T07:08:09.000Z"));
        assert_eq!(f.get_str("s-ip"), Some("10.0.0.5"));
        assert_eq!(f.get_str("cs-uri-stem"), Some("/owa/auth/x.js"));
        assert_eq!(f.get_str("cs-uri-query"), Some("/owa/auth/x.js?a=1&b=2"));
        assert_eq!(f.get_str("cs-uri-query-string"), Some("a=1&b=2"));
        assert_eq!(f.get("cs-username"), None);
        assert_eq!(f.get_str("cs-user-agent"), Some("Mozilla/5.0+(Windows+NT+10.0)"));
        assert_eq!(f.get_str("cs-referer"), Some("https://ref/"));
        assert_eq!(f.get("sc-status"), Some(&Value::Int(200)));
        assert_eq!(f.get("time-taken"), Some(&Value::Int(15)));
        assert_eq!(f.get("date"), None);
        // IIS 7 default (no referer) by value count.
        let (_, f) = event(&mut p, "2024-05-06 07:08:09 10.0.0.5 GET / - 80 - 1.1.1.1 UA 404 0 2 1");
        assert_eq!(f.get_str("cs-uri-query"), Some("/"));
        assert_eq!(f.get("cs-uri-query-string"), None);
        assert_eq!(f.get("sc-status"), Some(&Value::Int(404)));
    }

    #[test]
    fn fields_change_mid_file() {
        let mut p = W3cParser::new();
        for d in [
            "#Software: Microsoft Internet Information Services 10.0",
            "#Version: 1.0",
            "#Date: 2024-05-06 00:00:00",
            "#Fields: time c-ip cs-method cs-uri-stem sc-status",
        ] {
            assert_eq!(p.parse_line(d), Ok(W3cLine::Directive));
        }
        assert_eq!(p.software(), Some("Microsoft Internet Information Services 10.0"));
        assert_eq!(p.version(), Some("1.0"));
        let (t, f) = event(&mut p, "01:02:03.5 10.1.1.1 POST /x 500");
        assert_eq!(t.as_deref(), Some("2024-05-06T01:02:03.500Z"));
        assert_eq!(f.get_str("cs-uri-query"), Some("/x"));
        p.parse_line("#Fields: date time s-computername cs(Cookie) sc-bytes").unwrap();
        let (t, f) = event(&mut p, "2024-05-07 00:00:01 WEB01 a=b 1234");
        assert_eq!(t.as_deref(), Some("2024-05-07T00:00:01.000Z"));
        assert_eq!(f.get_str("s-computername"), Some("WEB01"));
        assert_eq!(f.get_str("cs-cookie"), Some("a=b"));
        assert_eq!(f.get("sc-bytes"), Some(&Value::Int(1234)));
        assert_eq!(f.get("c-ip"), None);
    }

    #[test]
    fn rejects_malformed() {
        let mut p = W3cParser::new();
        assert_eq!(p.parse_line("just some words").unwrap_err().field, "#Fields");
        p.parse_line("#Fields: date time c-ip").unwrap();
        assert_eq!(p.parse_line("2024-01-01 00:00:00").unwrap_err().field, "#Fields");
        assert_eq!(p.parse_line("2024-01-01 00:00:00 a b").unwrap_err().field, "#Fields");
        assert_eq!(p.parse_line("2024-13-01 00:00:00 a").unwrap_err().field, "date");
        assert_eq!(p.parse_line("2024-01-01 24:00:00 a").unwrap_err().field, "time");
        assert_eq!(p.parse_line("#Fields:").unwrap_err().field, "#Fields");
        assert_eq!(p.parse_line("#Date: yesterday").unwrap_err().field, "#Date");
        p.parse_line("#Fields: time c-ip").unwrap();
        assert_eq!(p.parse_line("00:00:00 a").unwrap_err().field, "date");
    }

    #[test]
    fn names() {
        assert_eq!(field_name("cs(User-Agent)"), "cs-user-agent");
        assert_eq!(field_name("cs(Referer)"), "cs-referer");
        assert_eq!(field_name("sc(Content-Type)"), "sc-content-type");
        assert_eq!(field_name("X-Forwarded-For"), "x-forwarded-for");
    }
}
