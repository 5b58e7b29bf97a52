//! JSON values → flat [`Fields`] under the names Sigma's Windows rules use.
//!
//! Four shapes are recognised (see [`detect_shape`]):
//!
//! * **evtx dump** (`{"Event":{"System":{..},"EventData":{..}}}`, what the `evtx` crate and
//!   `evtx_dump` produce): System values get their Sigma names (`EventID`, `Channel`,
//!   `Provider_Name`, `TimeCreated`, ...); named `EventData` entries become top-level fields by
//!   name; unnamed `Data` entries become one `Data` field (text, or a list when there are
//!   several, in order), `Binary` stays hex text; `UserData` leaves become top-level by leaf name.
//! * **ECS / Winlogbeat** (`winlog` object): `winlog.event_data.*` → top-level names, the mapped
//!   `winlog.*` keys → Sigma names, everything else kept as dotted paths.
//! * **flat Windows** (top-level `EventID` and `Channel`, e.g. NXLog, Hayabusa): kept as is,
//!   nested objects' leaves lifted to the top level.
//! * **generic**: nested objects become dotted keys (`process.command_line`).
//!
//! A name that would clash with one already set (for example `UserData.LogFileCleared.Channel`
//! against the System `Channel`) is kept under its dotted path instead, so System values always
//! win and nothing is lost. Nothing here panics, whatever the shape of the value.

use serde_json::{Map, Value as J};
use ww_core::time::{Timestamp, parse_utc};
use ww_core::{Fields, Value};

/// Nesting deeper than this is not flattened further: the deeper value is kept as compact JSON
/// text under its path, and the caller is told (see [`Flattened::truncated`]).
pub const MAX_DEPTH: usize = 32;

/// Keys, in order of preference, that give a generic JSON event its time.
pub const TIME_KEYS: &[&str] = &[
    "@timestamp",
    "timestamp",
    "Timestamp",
    "time",
    "TimeCreated",
    "EventTime",
    "eventTime",
    "datetime",
    "date",
    "ts",
];

/// The names the System part of an EVTX event is flattened to. An `EventData` entry with one of
/// these names is kept as `EventData.<name>` instead.
pub const SYSTEM_FIELDS: &[&str] = &[
    "EventID",
    "EventID_Qualifiers",
    "Version",
    "Level",
    "Task",
    "Opcode",
    "Keywords",
    "TimeCreated",
    "EventRecordID",
    "ActivityID",
    "RelatedActivityID",
    "ProcessID",
    "ThreadID",
    "Channel",
    "Computer",
    "UserID",
    "Provider_Name",
    "Provider_Guid",
    "EventSourceName",
];

/// Which JSON layout a value has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonShape {
    /// `{"Event":{"System":..}}`, from the `evtx` crate or `evtx_dump`.
    EvtxDump,
    /// Winlogbeat / Elastic Common Schema, with a `winlog` object.
    Ecs,
    /// Flat Windows JSON with top-level `EventID` and `Channel`.
    FlatWindows,
    /// Anything else.
    Generic,
}

/// What [`flatten_json`] made of a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Flattened {
    pub shape: JsonShape,
    pub time: Option<Timestamp>,
    /// Some value was nested deeper than [`MAX_DEPTH`] and was kept as JSON text.
    pub truncated: bool,
    /// Why an evtx-shaped value was flattened generically instead, if it was.
    pub fallback: Option<String>,
}

pub fn detect_shape(v: &J) -> JsonShape {
    let Some(obj) = v.as_object() else {
        return JsonShape::Generic;
    };
    if obj.get("Event").and_then(|e| e.get("System")).is_some_and(J::is_object) {
        JsonShape::EvtxDump
    } else if obj.get("winlog").is_some_and(J::is_object) {
        JsonShape::Ecs
    } else if obj.contains_key("EventID") && obj.contains_key("Channel") {
        JsonShape::FlatWindows
    } else {
        JsonShape::Generic
    }
}

/// Detects the shape of `v` and flattens it into `fields`.
pub fn flatten_json(v: &J, fields: &mut Fields) -> Flattened {
    let shape = detect_shape(v);
    let mut f = Flattener { fields, truncated: false };
    let mut fallback = None;
    let time = match shape {
        JsonShape::EvtxDump => match f.evtx(v) {
            Ok(t) => t,
            Err(reason) => {
                f.generic(v);
                fallback = Some(reason);
                generic_time(v)
            }
        },
        JsonShape::Ecs => f.ecs(v),
        JsonShape::FlatWindows => f.flat_windows(v),
        JsonShape::Generic => {
            f.generic(v);
            generic_time(v)
        }
    };
    Flattened { shape, time, truncated: f.truncated, fallback }
}

/// Flattens the `evtx` crate's JSON for one record; returns `System/TimeCreated/@SystemTime` as
/// UTC. Fails, adding no field, when `v` has no `Event.System` object.
pub fn flatten_evtx_json(v: &J, fields: &mut Fields) -> Result<Option<Timestamp>, String> {
    Flattener { fields, truncated: false }.evtx(v)
}

/// Flattens Winlogbeat / ECS JSON; returns the time from `@timestamp` (or another time key).
pub fn flatten_ecs(v: &J, fields: &mut Fields) -> Option<Timestamp> {
    Flattener { fields, truncated: false }.ecs(v)
}

/// Flattens any JSON into dotted keys; returns the time from the first [`TIME_KEYS`] entry that
/// parses, and whether some value was nested too deep.
pub fn flatten_generic(v: &J, fields: &mut Fields) -> (Option<Timestamp>, bool) {
    let mut f = Flattener { fields, truncated: false };
    f.generic(v);
    (generic_time(v), f.truncated)
}

struct Flattener<'f> {
    fields: &'f mut Fields,
    truncated: bool,
}

impl Flattener<'_> {
    // ---- evtx dump -------------------------------------------------------------------------

    fn evtx(&mut self, v: &J) -> Result<Option<Timestamp>, String> {
        let event = v.get("Event").and_then(J::as_object).ok_or_else(|| "no `Event` object".to_owned())?;
        let system = event.get("System").and_then(J::as_object).ok_or_else(|| "no `Event.System` object".to_owned())?;
        let time = self.system(system);
        for (key, value) in event {
            match key.as_str() {
                "System" | "#attributes" | "Event_attributes" => {}
                "EventData" => self.event_data(value),
                "UserData" => {
                    let mut path = String::from("UserData");
                    self.leaves(&mut path, "UserData", value, 0);
                }
                // RenderingInfo (logs saved with display information) and anything new.
                other => {
                    let mut path = other.to_owned();
                    self.leaves(&mut path, other, value, 0);
                }
            }
        }
        Ok(time)
    }

    fn system(&mut self, sys: &Map<String, J>) -> Option<Timestamp> {
        let mut time = None;
        for (key, value) in sys {
            match key.as_str() {
                "EventID" => {
                    let (id, qualifiers) = match value {
                        J::Object(o) => (o.get("#text"), o.get("#attributes").and_then(|a| a.get("Qualifiers"))),
                        other => (Some(other), None),
                    };
                    let qualifiers = qualifiers.or_else(|| attr(sys, "EventID", "Qualifiers"));
                    if let Some(id) = id.and_then(numeric) {
                        self.put("EventID", id);
                    }
                    if let Some(q) = qualifiers.and_then(numeric) {
                        self.put("EventID_Qualifiers", q);
                    }
                }
                "Version" | "Level" | "Task" | "Opcode" | "EventRecordID" => {
                    if let Some(n) = numeric(value) {
                        self.put(static_name(key), n);
                    }
                }
                "Keywords" | "Channel" | "Computer" => {
                    if let Some(s) = scalar(value) {
                        self.put(static_name(key), s);
                    }
                }
                "TimeCreated" | "Provider" | "Execution" | "Correlation" | "Security" => {}
                // `separate_json_attributes` output: read through `attr` below.
                k if k.ends_with("_attributes") => {}
                other => {
                    let mut path = format!("System.{other}");
                    self.leaves(&mut path, other, value, 1);
                }
            }
        }
        // Values held in attributes, in either attribute layout.
        if let Some(t) = attr(sys, "TimeCreated", "SystemTime") {
            if let Some(s) = t.as_str() {
                time = parse_utc(s);
            }
            if let Some(s) = scalar(t) {
                self.put("TimeCreated", s);
            }
        }
        let attributes: [(&str, &str, &'static str, bool); 8] = [
            ("Provider", "Name", "Provider_Name", false),
            ("Provider", "Guid", "Provider_Guid", false),
            ("Provider", "EventSourceName", "EventSourceName", false),
            ("Execution", "ProcessID", "ProcessID", true),
            ("Execution", "ThreadID", "ThreadID", true),
            ("Correlation", "ActivityID", "ActivityID", false),
            ("Correlation", "RelatedActivityID", "RelatedActivityID", false),
            ("Security", "UserID", "UserID", false),
        ];
        for (element, name, field, is_num) in attributes {
            let value = attr(sys, element, name);
            let value = if is_num { value.and_then(numeric) } else { value.and_then(scalar) };
            if let Some(value) = value {
                self.put(field, value);
            }
        }
        time
    }

    fn event_data(&mut self, data: &J) {
        match data {
            J::Null => {}
            J::Object(m) => {
                for (key, value) in m {
                    match key.as_str() {
                        "#attributes" => {
                            for (a, av) in value.as_object().into_iter().flatten() {
                                if !a.starts_with("xmlns")
                                    && let Some(s) = scalar(av)
                                {
                                    self.put(format!("EventData.{a}"), s);
                                }
                            }
                        }
                        // Unnamed `<Data>` entries, and bare text.
                        "Data" | "#text" => self.unnamed_data(value),
                        name => {
                            let field = if SYSTEM_FIELDS.contains(&name) {
                                format!("EventData.{name}")
                            } else {
                                name.to_owned()
                            };
                            match value {
                                J::Object(_) => {
                                    let mut path = format!("EventData.{name}");
                                    self.leaves(&mut path, name, value, 1);
                                }
                                other => {
                                    if let Some(s) = scalar(other) {
                                        self.put(field, s);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            other => self.unnamed_data(other),
        }
    }

    fn unnamed_data(&mut self, value: &J) {
        let text = match value {
            J::Object(o) => match o.get("#text") {
                Some(t) => t,
                None => {
                    let mut path = String::from("EventData.Data");
                    self.leaves(&mut path, "Data", value, 1);
                    return;
                }
            },
            other => other,
        };
        if let Some(s) = scalar(text) {
            self.put("Data", s);
        }
    }

    /// Lifts every leaf of `v` to a field named by its own key (attributes by their name, an
    /// element's `#text` by the element's name); a name already taken gets the dotted path.
    fn leaves(&mut self, path: &mut String, name: &str, v: &J, depth: usize) {
        if depth > MAX_DEPTH {
            self.too_deep(path, v);
            return;
        }
        match v {
            J::Object(m) => {
                for (key, value) in m {
                    let mark = path.len();
                    match key.as_str() {
                        "#attributes" => {
                            for (a, av) in value.as_object().into_iter().flatten() {
                                if a.starts_with("xmlns") {
                                    continue;
                                }
                                path.push('.');
                                path.push_str(a);
                                self.leaves(path, a, av, depth + 1);
                                path.truncate(mark);
                            }
                        }
                        "#text" => self.leaves(path, name, value, depth + 1),
                        k => {
                            path.push('.');
                            path.push_str(k);
                            self.leaves(path, k, value, depth + 1);
                            path.truncate(mark);
                        }
                    }
                }
            }
            J::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
                for item in items {
                    self.leaves(path, name, item, depth + 1);
                }
            }
            other => {
                if let Some(s) = scalar(other) {
                    if self.has(name) {
                        self.put(path.as_str(), s);
                    } else {
                        self.put(name, s);
                    }
                }
            }
        }
    }

    /// Appends a field under the thread's shared copy of its name.
    fn put(&mut self, name: impl AsRef<str>, value: impl Into<Value>) {
        self.fields.push(ww_core::intern(name.as_ref()), value);
    }

    fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|(n, _)| n == name)
    }

    fn too_deep(&mut self, path: &str, v: &J) {
        self.truncated = true;
        let text = serde_json::to_string(v).unwrap_or_default();
        self.put(path, Value::from(text));
    }

    // ---- ECS / Winlogbeat ------------------------------------------------------------------

    fn ecs(&mut self, v: &J) -> Option<Timestamp> {
        let Some(obj) = v.as_object() else {
            self.generic(v);
            return generic_time(v);
        };
        let winlog = obj.get("winlog").and_then(J::as_object);
        let get = |path: &[&str]| -> Option<&J> {
            let mut cur = winlog?.get(path[0])?;
            for p in &path[1..] {
                cur = cur.get(p)?;
            }
            Some(cur)
        };
        let event_id = get(&["event_id"]).or_else(|| obj.get("event").and_then(|e| e.get("code")));
        if let Some(id) = event_id.and_then(numeric) {
            self.put("EventID", id);
        }
        let computer = get(&["computer_name"])
            .or_else(|| obj.get("host").and_then(|h| h.get("name")))
            .or_else(|| obj.get("host").and_then(|h| h.get("hostname")));
        let mapped: [(&str, Option<&J>, bool); 11] = [
            ("Channel", get(&["channel"]), false),
            ("Provider_Name", get(&["provider_name"]), false),
            ("Provider_Guid", get(&["provider_guid"]), false),
            ("Computer", computer, false),
            ("EventRecordID", get(&["record_id"]), true),
            ("Version", get(&["version"]), true),
            ("ProcessID", get(&["process", "pid"]), true),
            ("ThreadID", get(&["process", "thread", "id"]), true),
            ("UserID", get(&["user", "identifier"]), false),
            ("ActivityID", get(&["activity_id"]), false),
            ("RelatedActivityID", get(&["related_activity_id"]), false),
        ];
        for (name, value, is_num) in mapped {
            let value = if is_num { value.and_then(numeric) } else { value.and_then(scalar) };
            if let Some(value) = value {
                self.put(name, value);
            }
        }
        if let Some(data) = get(&["event_data"]).and_then(J::as_object) {
            for (key, value) in data {
                let mut path = format!("winlog.event_data.{key}");
                if value.is_object() {
                    self.leaves(&mut path, key, value, 2);
                } else if let Some(s) = scalar(value) {
                    if SYSTEM_FIELDS.contains(&key.as_str()) || self.has(key) {
                        self.put(path, s);
                    } else {
                        self.put(key.as_str(), s);
                    }
                }
            }
        }
        if let Some(data) = get(&["user_data"]) {
            let mut path = String::from("winlog.user_data");
            self.leaves(&mut path, "user_data", data, 2);
        }
        const TAKEN: &[&str] = &[
            "event_id",
            "channel",
            "provider_name",
            "provider_guid",
            "computer_name",
            "record_id",
            "version",
            "activity_id",
            "related_activity_id",
            "event_data",
            "user_data",
        ];
        let mut path = String::with_capacity(64);
        for (key, value) in obj {
            path.clear();
            path.push_str(key);
            if key == "winlog"
                && let Some(w) = value.as_object()
            {
                for (wk, wv) in w {
                    if TAKEN.contains(&wk.as_str()) {
                        continue;
                    }
                    path.truncate(key.len());
                    path.push('.');
                    path.push_str(wk);
                    self.walk(&mut path, wv, 2);
                }
            } else {
                self.walk(&mut path, value, 1);
            }
        }
        generic_time(v)
    }

    // ---- flat Windows ----------------------------------------------------------------------

    fn flat_windows(&mut self, v: &J) -> Option<Timestamp> {
        let Some(obj) = v.as_object() else {
            self.generic(v);
            return generic_time(v);
        };
        for (key, value) in obj {
            match value {
                J::Object(_) | J::Array(_) => {
                    let mut path = key.clone();
                    self.leaves(&mut path, key, value, 1);
                }
                _ if key == "EventID" || key == "EventRecordID" => {
                    if let Some(n) = numeric(value) {
                        self.put(key.as_str(), n);
                    }
                }
                other => {
                    if let Some(s) = scalar(other) {
                        self.put(key.as_str(), s);
                    }
                }
            }
        }
        // NXLog / Hayabusa names for what Sigma calls otherwise.
        for (from, to) in [
            ("Hostname", "Computer"),
            ("SourceName", "Provider_Name"),
            ("ProviderName", "Provider_Name"),
            ("RecordNumber", "EventRecordID"),
            ("RecordID", "EventRecordID"),
        ] {
            if !self.has(to)
                && let Some(value) = obj.get(from).and_then(scalar)
            {
                self.put(to, value);
            }
        }
        generic_time(v)
    }

    // ---- generic ---------------------------------------------------------------------------

    fn generic(&mut self, v: &J) {
        let mut path = String::with_capacity(64);
        match v {
            J::Object(m) => {
                for (key, value) in m {
                    path.clear();
                    path.push_str(key);
                    self.walk(&mut path, value, 1);
                }
            }
            other => {
                path.push_str("value");
                self.walk(&mut path, other, 1);
            }
        }
    }

    /// Dotted-path flattening: objects nest with `.`, arrays of scalars become lists, arrays
    /// holding objects or arrays are indexed (`items.0.name`).
    fn walk(&mut self, path: &mut String, v: &J, depth: usize) {
        if depth > MAX_DEPTH {
            self.too_deep(path, v);
            return;
        }
        match v {
            J::Object(m) if m.is_empty() => self.put(path.as_str(), Value::Null),
            J::Object(m) => {
                let mark = path.len();
                for (key, value) in m {
                    path.push('.');
                    path.push_str(key);
                    self.walk(path, value, depth + 1);
                    path.truncate(mark);
                }
            }
            J::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
                let mark = path.len();
                for (i, item) in items.iter().enumerate() {
                    path.push('.');
                    path.push_str(&i.to_string());
                    self.walk(path, item, depth + 1);
                    path.truncate(mark);
                }
            }
            other => {
                if let Some(s) = scalar(other) {
                    self.put(path.as_str(), s);
                }
            }
        }
    }
}

/// An attribute of a child element, in either of the evtx crate's layouts: `{"X":{"#attributes":
/// {"a":..}}}` or, with `separate_json_attributes`, `{"X_attributes":{"a":..}}`.
fn attr<'a>(obj: &'a Map<String, J>, element: &str, name: &str) -> Option<&'a J> {
    if let Some(v) = obj.get(element).and_then(|e| e.get("#attributes")).and_then(|a| a.get(name)) {
        return Some(v);
    }
    obj.get(&format!("{element}_attributes")).and_then(|a| a.get(name))
}

/// The static spelling of a System field name, so the common names are not re-allocated from
/// the JSON key.
fn static_name(key: &str) -> &'static str {
    SYSTEM_FIELDS.iter().find(|n| **n == key).copied().unwrap_or("System")
}

/// Numbers, and text holding a decimal integer, as `Int`; other text as `Str`; `#text` unwrapped.
fn numeric(v: &J) -> Option<Value> {
    match v {
        J::String(s) => Some(match s.trim().parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => Value::str(s.as_str()),
        }),
        J::Object(o) => o.get("#text").and_then(numeric),
        other => scalar(other),
    }
}

/// A JSON value that is not an object as a field value (arrays of scalars as lists).
fn scalar(v: &J) -> Option<Value> {
    Value::from_json_scalar(v)
}

/// The time of a generic event: the first [`TIME_KEYS`] entry (at the top level, or
/// `TimeCreated.SystemTime`) that parses as a date or an epoch number.
pub fn generic_time(v: &J) -> Option<Timestamp> {
    let obj = v.as_object()?;
    TIME_KEYS.iter().find_map(|k| {
        let value = obj.get(*k)?;
        match value {
            J::String(s) => parse_utc(s),
            J::Number(n) => epoch(n.as_f64()?),
            J::Object(o) => o.get("SystemTime").and_then(J::as_str).and_then(parse_utc),
            _ => None,
        }
    })
}

/// An epoch number in seconds, milliseconds, microseconds or nanoseconds, told apart by size.
fn epoch(n: f64) -> Option<Timestamp> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let nanos = if n >= 1e17 {
        n
    } else if n >= 1e14 {
        n * 1e3
    } else if n >= 1e11 {
        n * 1e6
    } else {
        n * 1e9
    };
    if nanos > i64::MAX as f64 {
        return None;
    }
    Some(chrono::DateTime::from_timestamp_nanos(nanos as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn flat(v: &J) -> (Fields, Flattened) {
        let mut f = Fields::new();
        let r = flatten_json(v, &mut f);
        (f, r)
    }

    fn s(f: &Fields, name: &str) -> Option<String> {
        f.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    fn security_4624() -> J {
        json!({"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},
          "System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing","Guid":"{5484}"}},
            "EventID":{"#attributes":{"Qualifiers":16384},"#text":"4624"},"Version":"2","Level":0,"Task":12544,"Opcode":0,
            "Keywords":"0x8020000000000000","TimeCreated":{"#attributes":{"SystemTime":"2021-10-20T13:39:17.3154798Z"}},
            "EventRecordID":67101,"Correlation":{"#attributes":{"ActivityID":"{42}"}},
            "Execution":{"#attributes":{"ProcessID":512,"ThreadID":3140}},"Channel":"Security","Computer":"FS03",
            "Security":{"#attributes":{"UserID":"S-1-5-18"}}},
          "EventData":{"TargetUserName":"admmig","LogonType":9,"IpAddress":"-","Channel":"spoofed","Empty":null}}})
    }

    #[test]
    fn evtx_system_and_named_event_data() {
        let v = security_4624();
        let (f, r) = flat(&v);
        assert_eq!(r.shape, JsonShape::EvtxDump);
        assert_eq!(f.get("EventID"), Some(&Value::Int(4624)));
        assert_eq!(f.get("EventID_Qualifiers"), Some(&Value::Int(16384)));
        assert_eq!(f.get("Version"), Some(&Value::Int(2)), "numeric text becomes a number");
        assert_eq!(s(&f, "Provider_Name").as_deref(), Some("Microsoft-Windows-Security-Auditing"));
        assert_eq!(s(&f, "Provider_Guid").as_deref(), Some("{5484}"));
        assert_eq!(f.get("ProcessID"), Some(&Value::Int(512)));
        assert_eq!(s(&f, "ActivityID").as_deref(), Some("{42}"));
        assert_eq!(s(&f, "UserID").as_deref(), Some("S-1-5-18"));
        assert_eq!(s(&f, "TimeCreated").as_deref(), Some("2021-10-20T13:39:17.3154798Z"));
        assert_eq!(s(&f, "TargetUserName").as_deref(), Some("admmig"));
        assert_eq!(f.get("LogonType"), Some(&Value::Int(9)));
        assert_eq!(f.get("Empty"), Some(&Value::Null), "empty Data is kept as null");
        assert_eq!(s(&f, "Channel").as_deref(), Some("Security"), "System wins");
        assert_eq!(s(&f, "EventData.Channel").as_deref(), Some("spoofed"));
        assert!(s(&f, "xmlns").is_none());
        let t = r.time.map(|t| ww_core::time::format_utc(&t));
        assert_eq!(t.as_deref(), Some("2021-10-20T13:39:17.315Z"));
        let mut g = Fields::new();
        assert_eq!(flatten_evtx_json(&v, &mut g).ok().flatten(), r.time);
        assert_eq!(g, f);
    }

    #[test]
    fn evtx_unnamed_data_and_binary() {
        let v = json!({"Event":{"System":{"EventID":800,"Channel":"Windows PowerShell"},
            "EventData":{"Data":{"#text":["", "HostName=ConsoleHost"]},"Binary":"DEADBEEF"}}});
        let (f, _) = flat(&v);
        assert_eq!(f.get("Data"), Some(&Value::List(vec![Value::str(""), Value::str("HostName=ConsoleHost")])));
        assert_eq!(s(&f, "Binary").as_deref(), Some("DEADBEEF"));
        let v = json!({"Event":{"System":{"EventID":7045},"EventData":{"Data":{"#text":"one"}}}});
        let (f, _) = flat(&v);
        assert_eq!(f.get("Data"), Some(&Value::str("one")));
        let v = json!({"Event":{"System":{"EventID":1},"EventData":null}});
        let (f, _) = flat(&v);
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn evtx_user_data_leaves_clash_to_dotted_path() {
        let v = json!({"Event":{"System":{"EventID":104,"Channel":"System"},
            "UserData":{"LogFileCleared":{"#attributes":{"xmlns":"x"},"SubjectUserName":"admmig","Channel":"Security",
              "Cert":{"#attributes":{"fileRef":"a.cer"},"#text":"body"}}}}});
        let (f, _) = flat(&v);
        assert_eq!(s(&f, "SubjectUserName").as_deref(), Some("admmig"));
        assert_eq!(s(&f, "Channel").as_deref(), Some("System"));
        assert_eq!(s(&f, "UserData.LogFileCleared.Channel").as_deref(), Some("Security"));
        assert_eq!(s(&f, "fileRef").as_deref(), Some("a.cer"));
        assert_eq!(s(&f, "Cert").as_deref(), Some("body"));
    }

    #[test]
    fn evtx_separate_attributes_layout() {
        let v = json!({"Event":{"System":{"Provider_attributes":{"Name":"P"},"EventID":1,
            "TimeCreated_attributes":{"SystemTime":"2024-01-02T03:04:05Z"}}}});
        let (f, r) = flat(&v);
        assert_eq!(s(&f, "Provider_Name").as_deref(), Some("P"));
        assert!(r.time.is_some());
    }

    #[test]
    fn evtx_without_system_is_an_error() {
        let mut f = Fields::new();
        assert!(flatten_evtx_json(&json!({"Event":null}), &mut f).is_err());
        assert!(flatten_evtx_json(&json!([1]), &mut f).is_err());
        assert!(f.is_empty());
    }

    #[test]
    fn ecs_winlogbeat() {
        let v = json!({"@timestamp":"2024-03-01T10:20:30.123Z",
            "winlog":{"event_id":"4688","channel":"Security","provider_name":"Microsoft-Windows-Security-Auditing",
              "computer_name":"ws1","record_id":77,"task":"Process Creation","process":{"pid":4,"thread":{"id":8}},
              "event_data":{"NewProcessName":"C:\\x.exe","CommandLine":"x -y","Channel":"odd"}},
            "process":{"command_line":"x -y"},"source":{"ip":"10.0.0.1"},"host":{"name":"ws1.local"},"tags":["a","b"]});
        let mut f = Fields::new();
        let t = flatten_ecs(&v, &mut f);
        assert_eq!(t.map(|t| ww_core::time::format_utc(&t)).as_deref(), Some("2024-03-01T10:20:30.123Z"));
        assert_eq!(f.get("EventID"), Some(&Value::Int(4688)));
        assert_eq!(s(&f, "Channel").as_deref(), Some("Security"));
        assert_eq!(s(&f, "Computer").as_deref(), Some("ws1"));
        assert_eq!(f.get("EventRecordID"), Some(&Value::Int(77)));
        assert_eq!(f.get("ThreadID"), Some(&Value::Int(8)));
        assert_eq!(s(&f, "CommandLine").as_deref(), Some("x -y"));
        assert_eq!(s(&f, "winlog.event_data.Channel").as_deref(), Some("odd"));
        assert_eq!(s(&f, "process.command_line").as_deref(), Some("x -y"));
        assert_eq!(s(&f, "source.ip").as_deref(), Some("10.0.0.1"));
        assert_eq!(s(&f, "winlog.task").as_deref(), Some("Process Creation"));
        assert_eq!(f.get("tags"), Some(&Value::List(vec![Value::str("a"), Value::str("b")])));
        assert!(s(&f, "winlog.event_id").is_none());
        assert_eq!(detect_shape(&v), JsonShape::Ecs);
    }

    #[test]
    fn ecs_falls_back_to_host_name_and_event_code() {
        let v = json!({"winlog":{},"event":{"code":"1"},"host":{"name":"h"}});
        let mut f = Fields::new();
        flatten_ecs(&v, &mut f);
        assert_eq!(f.get("EventID"), Some(&Value::Int(1)));
        assert_eq!(s(&f, "Computer").as_deref(), Some("h"));
        assert_eq!(s(&f, "host.name").as_deref(), Some("h"));
    }

    #[test]
    fn flat_windows_lifts_nested_leaves_and_aliases() {
        let v = json!({"EventTime":"2024-01-01 00:00:01","Hostname":"dc1","EventID":"4625","Channel":"Security",
            "SourceName":"Microsoft-Windows-Security-Auditing","EventData":{"TargetUserName":"bob"}});
        let (f, r) = flat(&v);
        assert_eq!(r.shape, JsonShape::FlatWindows);
        assert_eq!(f.get("EventID"), Some(&Value::Int(4625)));
        assert_eq!(s(&f, "TargetUserName").as_deref(), Some("bob"));
        assert_eq!(s(&f, "Computer").as_deref(), Some("dc1"));
        assert_eq!(s(&f, "Provider_Name").as_deref(), Some("Microsoft-Windows-Security-Auditing"));
        assert!(r.time.is_some());
    }

    #[test]
    fn generic_dotted_paths_lists_and_indexes() {
        let v = json!({"a":{"b":{"c":1}},"l":[1,"x",null],"o":[{"k":"v"},{"k":"w"}],"e":{},"time":1700000000});
        let (f, r) = flat(&v);
        assert_eq!(r.shape, JsonShape::Generic);
        assert_eq!(f.get("a.b.c"), Some(&Value::Int(1)));
        assert_eq!(f.get("l"), Some(&Value::List(vec![Value::Int(1), Value::str("x"), Value::Null])));
        assert_eq!(s(&f, "o.1.k").as_deref(), Some("w"));
        assert_eq!(f.get("e"), Some(&Value::Null));
        assert_eq!(r.time.map(|t| t.timestamp()), Some(1_700_000_000));
        let (f, _) = flat(&json!("just text"));
        assert_eq!(s(&f, "value").as_deref(), Some("just text"));
    }

    #[test]
    fn generic_time_keys_and_epochs() {
        for v in [
            json!({"timestamp":1_700_000_000_000u64}),
            json!({"ts":1_700_000_000.5}),
            json!({"@timestamp":"2023-11-14T22:13:20Z"}),
            json!({"date":"2023-11-14 22:13:20"}),
        ] {
            assert_eq!(generic_time(&v).map(|t| t.timestamp()), Some(1_700_000_000), "{v}");
        }
        assert_eq!(generic_time(&json!({"time":"soon"})), None);
        assert_eq!(generic_time(&json!({"time":-5})), None);
        assert_eq!(generic_time(&json!({"time":1e300})), None);
        assert_eq!(generic_time(&json!({"other":"2023-11-14T22:13:20Z"})), None);
    }

    #[test]
    fn too_deep_is_kept_as_text_and_flagged() {
        let mut v = json!("leaf");
        for _ in 0..40 {
            v = json!({ "n": v });
        }
        let (f, r) = flat(&v);
        assert!(r.truncated);
        assert_eq!(f.len(), 1);
        let (name, value) = f.iter().next().map(|(n, v)| (n.to_owned(), v.clone())).unwrap_or(("".into(), Value::Null));
        assert_eq!(name.split('.').count(), MAX_DEPTH + 1);
        assert!(value.as_str().is_some_and(|t| t.contains("leaf")));
        let (_, r) = flat(&json!({"a":{"b":1}}));
        assert!(!r.truncated);
    }

    fn arb_json() -> impl Strategy<Value = J> {
        let leaf = prop_oneof![
            Just(J::Null),
            any::<bool>().prop_map(J::Bool),
            any::<i64>().prop_map(J::from),
            any::<f64>().prop_map(J::from),
            "[#a-zA-Z_@.]{0,12}".prop_map(J::String),
        ];
        leaf.prop_recursive(8, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(J::Array),
                prop::collection::vec(
                    (
                        prop_oneof![
                            Just("Event".to_owned()),
                            Just("System".to_owned()),
                            Just("EventData".to_owned()),
                            Just("UserData".to_owned()),
                            Just("#attributes".to_owned()),
                            Just("#text".to_owned()),
                            Just("Data".to_owned()),
                            Just("EventID".to_owned()),
                            Just("winlog".to_owned()),
                            Just("event_data".to_owned()),
                            Just("Channel".to_owned()),
                            Just("TimeCreated".to_owned()),
                            Just("Provider".to_owned()),
                            "[a-z]{1,4}"
                        ],
                        inner
                    ),
                    0..6
                )
                .prop_map(|kv| J::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn flatteners_never_panic(v in arb_json()) {
            let mut f = Fields::new();
            let _ = flatten_json(&v, &mut f);
            let _ = flatten_evtx_json(&v, &mut Fields::new());
            let _ = flatten_ecs(&v, &mut Fields::new());
            let _ = flatten_generic(&v, &mut Fields::new());
            let system = json!({"EventID": v.clone(), "Provider": v.clone(), "TimeCreated": v.clone(), "x": v.clone()});
            let wrapped = json!({"Event": {"System": system, "EventData": v.clone(), "UserData": v}});
            prop_assert!(flatten_evtx_json(&wrapped, &mut Fields::new()).is_ok());
        }
    }
}
