//! The breach policy: UK GDPR assessment questions, risk levels, deadlines, NCSC categories and
//! council services, as data (`policy/uk-gdpr.toml`, embedded; a council may supply its own file).
//!
//! Loading validates everything and reports every problem at once, each naming the file and the
//! key (`question[4] "records_count".kind`). Answer checking ([`BreachPolicy::validate_answers`])
//! is advice for the person filling in the assessment, never a reason to refuse saving it: a
//! half-finished assessment must still be recorded.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ww_core::str_enum;

/// The policy shipped in the binary.
pub const EMBEDDED_POLICY: &str = include_str!("../policy/uk-gdpr.toml");
const EMBEDDED_NAME: &str = "<embedded uk-gdpr.toml>";

str_enum! {
    /// How a question is answered, and so how its answer is stored in `Breach::answers`.
    pub enum QuestionKind {
        /// A JSON string.
        Text = ("text", "Text"),
        /// A JSON number, zero or more (an approximate count is fine).
        Number = ("number", "Number"),
        /// One option id, as a JSON string.
        Choice = ("choice", "One choice"),
        /// Option ids, as a JSON array of strings.
        MultiChoice = ("multi_choice", "Several choices"),
        /// An instant, as a string `ww_core::time::parse_utc` reads (RFC 3339 preferred).
        Datetime = ("datetime", "Date and time"),
        /// A JSON boolean (the strings "yes" and "no" are accepted too).
        YesNo = ("yes_no", "Yes or no"),
    }
}

str_enum! {
    /// The parts of the ICO's personal data breach report an answer can fill. The report's
    /// sections are built from these, so a council's own policy can reword or add questions
    /// without code changes.
    pub enum IcoField {
        WhatHappened = ("what_happened", "What happened"),
        HowDiscovered = ("how_discovered", "How the breach was discovered"),
        CyberIncident = ("cyber_incident", "Cyber incident"),
        DataCategories = ("data_categories", "Categories of personal data"),
        DataDetail = ("data_detail", "Details of the personal data"),
        RecordsCount = ("records_count", "Approximate number of records"),
        PeopleCount = ("people_count", "Approximate number of people"),
        PeopleCategories = ("people_categories", "Categories of people affected"),
        Consequences = ("consequences", "Likely consequences"),
        Likelihood = ("likelihood", "Likelihood of significant consequences"),
        CiaImpact = ("cia_impact", "Confidentiality, integrity and availability"),
        OrganisationImpact = ("organisation_impact", "Impact on the organisation"),
        RecoveryTime = ("recovery_time", "Recovery time"),
        StaffInvolvement = ("staff_involvement", "Staff involvement"),
        StaffTraining = ("staff_training", "Data protection training"),
        Containment = ("containment", "Containment and recovery"),
        Measures = ("measures", "Measures to prevent a recurrence"),
        IndividualsTold = ("individuals_told", "People affected told"),
        OthersTold = ("others_told", "Other organisations told"),
    }
}

str_enum! {
    /// Marks options the ICO report lists separately because they raise the risk.
    pub enum OptionTag {
        SpecialCategory = ("special_category", "Special category data"),
        CriminalOffence = ("criminal_offence", "Criminal offence data"),
    }
}

str_enum! {
    pub enum AnswerProblemKind {
        UnknownQuestion = ("unknown_question", "Not a question of this policy"),
        WrongType = ("wrong_type", "Wrong kind of answer"),
        UnknownOption = ("unknown_option", "Not one of the options"),
        Invalid = ("invalid", "Not a valid answer"),
        Missing = ("missing", "Not yet answered"),
    }
}

/// One option of a choice or multi-choice question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceOption {
    pub id: String,
    pub label: String,
    pub tag: Option<OptionTag>,
}

/// One assessment question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// The key of its answer in `Breach::answers`.
    pub id: String,
    /// Short words for reports ("Approximate number of records").
    pub label: String,
    /// The question as asked.
    pub text: String,
    pub help: Option<String>,
    pub kind: QuestionKind,
    pub required: bool,
    /// Applies only when the cyber-incident question is answered yes.
    pub cyber_only: bool,
    /// Which part of the ICO report the answer fills; `None` keeps it internal.
    pub ico_field: Option<IcoField>,
    /// For choice and multi-choice questions; empty otherwise.
    pub options: Vec<ChoiceOption>,
}

impl Question {
    pub fn option(&self, id: &str) -> Option<&ChoiceOption> {
        self.options.iter().find(|o| o.id == id)
    }
}

/// A level of risk to people's rights and freedoms, and what it obliges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskOption {
    pub id: String,
    pub label: String,
    pub help: Option<String>,
    /// Art. 33: the breach must be reported to the ICO.
    pub report_to_ico: bool,
    /// Art. 34: the people affected must be told.
    pub tell_individuals: bool,
}

/// An NCSC national cyber incident category, 1 (national emergency) to 6 (localised).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NcscCategory {
    pub number: u8,
    pub name: String,
    pub description: String,
}

/// A validated breach policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreachPolicy {
    source: String,
    version: u32,
    name: String,
    deadline_hours: u32,
    warning_hours: u32,
    services: Vec<String>,
    risks: Vec<RiskOption>,
    questions: Vec<Question>,
    ncsc_categories: Vec<NcscCategory>,
}

/// One problem found while loading a policy: the key (`question[3] "likelihood".options[2].id`)
/// and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyProblem {
    pub key: String,
    pub message: String,
}

impl fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("breach policy {file}: cannot read the file: {source}")]
    Read { file: String, source: std::io::Error },
    #[error("breach policy {file}: {message}")]
    Parse { file: String, message: String },
    #[error("breach policy {file}: {}", join_problems(problems))]
    Invalid { file: String, problems: Vec<PolicyProblem> },
}

fn join_problems(problems: &[PolicyProblem]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// Advice about one answer: which question, what kind of problem, and words for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerProblem {
    pub question: String,
    pub kind: AnswerProblemKind,
    pub message: String,
}

// The file's shape. Enumerated values are read as strings and checked in `validate`, so a bad
// value is reported with its key and the allowed spellings, together with every other problem.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    version: u32,
    name: String,
    deadline_hours: u32,
    warning_hours: u32,
    #[serde(default)]
    services: Vec<String>,
    #[serde(default)]
    risk: Vec<RawRisk>,
    #[serde(default)]
    question: Vec<RawQuestion>,
    #[serde(default)]
    ncsc_category: Vec<NcscCategoryRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRisk {
    id: String,
    label: String,
    help: Option<String>,
    report_to_ico: bool,
    tell_individuals: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: String,
    label: String,
    text: String,
    help: Option<String>,
    kind: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    cyber_only: bool,
    ico_field: Option<String>,
    #[serde(default)]
    options: Vec<RawOption>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    id: String,
    label: String,
    tag: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NcscCategoryRaw {
    number: u8,
    name: String,
    description: String,
}

/// The policy format this code understands.
pub const POLICY_VERSION: u32 = 1;

impl BreachPolicy {
    /// The policy shipped in the binary. It is checked by this crate's tests, so failing to load
    /// it is a build defect; the error is still returned rather than panicking.
    pub fn embedded() -> Result<Self, PolicyError> {
        Self::from_toml_str(EMBEDDED_POLICY, EMBEDDED_NAME)
    }

    /// A council's own policy file, replacing the embedded one.
    pub fn from_file(path: &Path) -> Result<Self, PolicyError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read { file: file.clone(), source })?;
        Self::from_toml_str(&text, &file)
    }

    /// Parses and validates policy text; `source` names it in errors (a path, or a description).
    pub fn from_toml_str(text: &str, source: &str) -> Result<Self, PolicyError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| PolicyError::Parse {
            file: source.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        validate(raw, source)
    }

    /// Where the policy came from (a path, or `<embedded uk-gdpr.toml>`).
    pub fn source(&self) -> &str {
        &self.source
    }
    pub fn version(&self) -> u32 {
        self.version
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Hours from awareness to the ICO deadline (72 under Art. 33).
    pub fn deadline_hours(&self) -> u32 {
        self.deadline_hours
    }
    /// The clock warns when this many hours or fewer are left.
    pub fn warning_hours(&self) -> u32 {
        self.warning_hours
    }
    pub fn questions(&self) -> &[Question] {
        &self.questions
    }
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }
    /// The questions that fill one part of the ICO report, in policy order.
    pub fn questions_for(&self, field: IcoField) -> impl Iterator<Item = &Question> {
        self.questions.iter().filter(move |q| q.ico_field == Some(field))
    }
    pub fn risk_options(&self) -> &[RiskOption] {
        &self.risks
    }
    pub fn risk_option(&self, id: &str) -> Option<&RiskOption> {
        self.risks.iter().find(|r| r.id == id)
    }
    pub fn ncsc_categories(&self) -> &[NcscCategory] {
        &self.ncsc_categories
    }
    pub fn ncsc_category(&self, number: u8) -> Option<&NcscCategory> {
        self.ncsc_categories.iter().find(|c| c.number == number)
    }
    /// The starting list of council services offered when marking a service affected.
    pub fn default_services(&self) -> &[String] {
        &self.services
    }

    /// Whether the answers say this was a cyber incident: `Some(true)` / `Some(false)` once the
    /// question is answered, `None` before (or if the policy has no such question).
    pub fn is_cyber(&self, answers: &Map<String, Value>) -> Option<bool> {
        let q = self.questions_for(IcoField::CyberIncident).find(|q| q.kind == QuestionKind::YesNo)?;
        answers.get(&q.id).and_then(yes_no)
    }

    /// Checks assessment answers against the questions: unknown questions, wrong types, unknown
    /// option ids, and required questions not yet answered (cyber-only questions are required
    /// only once the incident is answered as a cyber incident). Advice, in policy order: the
    /// caller saves the answers regardless.
    pub fn validate_answers(&self, answers: &Map<String, Value>) -> Vec<AnswerProblem> {
        let mut problems = Vec::new();
        let cyber = self.is_cyber(answers);
        for q in &self.questions {
            match answers.get(&q.id) {
                Some(v) if !is_unanswered(v) => check_answer(q, v, &mut problems),
                _ => {
                    let applies = !q.cyber_only || cyber == Some(true);
                    if q.required && applies {
                        problems.push(AnswerProblem {
                            question: q.id.clone(),
                            kind: AnswerProblemKind::Missing,
                            message: format!("{}: not yet answered", q.label),
                        });
                    }
                }
            }
        }
        for key in answers.keys() {
            if self.question(key).is_none() {
                problems.push(AnswerProblem {
                    question: key.clone(),
                    kind: AnswerProblemKind::UnknownQuestion,
                    message: format!("'{key}' is not a question of this breach policy"),
                });
            }
        }
        problems
    }

    /// An answer in words for reports: option labels, "Yes"/"No", numbers with thousands
    /// separators, instants in UK time. `None` when unanswered. Values of the wrong shape are
    /// shown as they are rather than hidden, so the report never claims less than was recorded.
    pub fn render_answer(&self, q: &Question, answers: &Map<String, Value>) -> Option<String> {
        let v = answers.get(&q.id).filter(|v| !is_unanswered(v))?;
        Some(render_value(q, v))
    }
}

/// Null, blank text and empty lists count as not answered.
pub(crate) fn is_unanswered(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// A yes/no answer: a boolean, or the strings "yes"/"no" (any case).
pub(crate) fn yes_no(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("yes") => Some(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("no") => Some(false),
        _ => None,
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn check_answer(q: &Question, v: &Value, out: &mut Vec<AnswerProblem>) {
    let mut push = |kind, message: String| out.push(AnswerProblem { question: q.id.clone(), kind, message });
    let wrong = |expected: &str| format!("{}: expected {expected}, found {}", q.label, json_kind(v));
    match q.kind {
        QuestionKind::Text => {
            if !v.is_string() {
                push(AnswerProblemKind::WrongType, wrong("text"));
            }
        }
        QuestionKind::Number => match v.as_f64() {
            None => push(AnswerProblemKind::WrongType, wrong("a number")),
            Some(n) if !n.is_finite() || n < 0.0 => {
                push(AnswerProblemKind::Invalid, format!("{}: must be zero or more", q.label))
            }
            Some(_) => {}
        },
        QuestionKind::YesNo => {
            if yes_no(v).is_none() {
                push(AnswerProblemKind::WrongType, wrong("yes or no"));
            }
        }
        QuestionKind::Datetime => match v.as_str() {
            None => push(AnswerProblemKind::WrongType, wrong("a date and time")),
            Some(s) if ww_core::time::parse_utc(s).is_none() => push(
                AnswerProblemKind::Invalid,
                format!("{}: '{s}' is not a date and time (use e.g. 2025-03-14T09:30:00Z)", q.label),
            ),
            Some(_) => {}
        },
        QuestionKind::Choice => match v.as_str() {
            None => push(AnswerProblemKind::WrongType, wrong("one option")),
            Some(id) if q.option(id).is_none() => {
                push(AnswerProblemKind::UnknownOption, format!("{}: '{id}' is not one of the options", q.label))
            }
            Some(_) => {}
        },
        QuestionKind::MultiChoice => match v.as_array() {
            None => push(AnswerProblemKind::WrongType, wrong("a list of options")),
            Some(items) => {
                for item in items {
                    match item.as_str() {
                        None => push(
                            AnswerProblemKind::WrongType,
                            format!("{}: list items must be option ids, found {}", q.label, json_kind(item)),
                        ),
                        Some(id) if q.option(id).is_none() => push(
                            AnswerProblemKind::UnknownOption,
                            format!("{}: '{id}' is not one of the options", q.label),
                        ),
                        Some(_) => {}
                    }
                }
            }
        },
    }
}

fn render_value(q: &Question, v: &Value) -> String {
    let option_label = |id: &str| q.option(id).map_or_else(|| format!("{id} (not an option)"), |o| o.label.clone());
    match (q.kind, v) {
        (QuestionKind::YesNo, v) if yes_no(v).is_some() => {
            if yes_no(v) == Some(true) {
                "Yes".into()
            } else {
                "No".into()
            }
        }
        (QuestionKind::Number, Value::Number(n)) => n.as_f64().map_or_else(|| n.to_string(), format_count),
        (QuestionKind::Datetime, Value::String(s)) => {
            ww_core::time::parse_utc(s).map_or_else(|| s.clone(), |t| ww_core::time::format_london_minutes(&t))
        }
        (QuestionKind::Choice, Value::String(id)) => option_label(id),
        (QuestionKind::MultiChoice, Value::Array(items)) => {
            items.iter().map(|i| i.as_str().map_or_else(|| i.to_string(), option_label)).collect::<Vec<_>>().join("; ")
        }
        (_, Value::String(s)) => s.trim().to_owned(),
        (_, other) => other.to_string(),
    }
}

/// Whole numbers with thousands separators ("1,240"); fractions as given.
pub(crate) fn format_count(n: f64) -> String {
    if n.fract() != 0.0 || n.abs() >= 1e15 {
        return n.to_string();
    }
    // Whole and below 1e15, so the conversion is exact.
    let whole = n as i64;
    let digits = whole.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if whole < 0 { format!("-{out}") } else { out }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.as_bytes()[0].is_ascii_lowercase()
}

fn allowed<T: Copy>(all: &[T], as_str: fn(T) -> &'static str) -> String {
    all.iter().map(|v| as_str(*v)).collect::<Vec<_>>().join(", ")
}

fn validate(raw: RawPolicy, source: &str) -> Result<BreachPolicy, PolicyError> {
    let mut problems = Vec::new();
    let mut problem = |key: String, message: String| problems.push(PolicyProblem { key, message });

    if raw.version != POLICY_VERSION {
        problem("version".into(), format!("version {} is not supported (expected {POLICY_VERSION})", raw.version));
    }
    if raw.name.trim().is_empty() {
        problem("name".into(), "must not be empty".into());
    }
    if raw.deadline_hours == 0 {
        problem("deadline_hours".into(), "must be more than 0".into());
    }
    if raw.warning_hours >= raw.deadline_hours {
        problem(
            "warning_hours".into(),
            format!("must be less than deadline_hours ({}), found {}", raw.deadline_hours, raw.warning_hours),
        );
    }

    let mut seen = HashSet::new();
    for (i, s) in raw.services.iter().enumerate() {
        if s.trim().is_empty() {
            problem(format!("services[{i}]"), "must not be empty".into());
        } else if !seen.insert(s.trim().to_lowercase()) {
            problem(format!("services[{i}]"), format!("'{s}' is listed twice"));
        }
    }

    if raw.risk.is_empty() {
        problem("risk".into(), "at least one risk option is needed".into());
    }
    let mut seen = HashSet::new();
    for (i, r) in raw.risk.iter().enumerate() {
        let key = format!("risk[{i}]");
        if !is_identifier(&r.id) {
            problem(format!("{key}.id"), format!("'{}' must be lower-case letters, digits and _", r.id));
        } else if !seen.insert(r.id.as_str()) {
            problem(format!("{key}.id"), format!("'{}' is used twice", r.id));
        }
        if r.label.trim().is_empty() {
            problem(format!("{key}.label"), "must not be empty".into());
        }
        if r.tell_individuals && !r.report_to_ico {
            problem(
                format!("{key}.tell_individuals"),
                "a risk high enough to tell individuals is high enough to report to the ICO".into(),
            );
        }
    }
    if !raw.risk.is_empty() && !raw.risk.iter().any(|r| !r.report_to_ico) {
        problem("risk".into(), "needs an option that is not reportable (unlikely to result in a risk)".into());
    }

    let mut questions = Vec::with_capacity(raw.question.len());
    let mut seen = HashSet::new();
    for (i, q) in raw.question.into_iter().enumerate() {
        let key = format!("question[{i}] \"{}\"", q.id);
        if !is_identifier(&q.id) {
            problem(format!("question[{i}].id"), format!("'{}' must be lower-case letters, digits and _", q.id));
        } else if !seen.insert(q.id.clone()) {
            problem(format!("{key}.id"), "is used twice".into());
        }
        for (field, value) in [("label", &q.label), ("text", &q.text)] {
            if value.trim().is_empty() {
                problem(format!("{key}.{field}"), "must not be empty".into());
            }
        }
        let kind = QuestionKind::parse(&q.kind);
        if kind.is_none() {
            problem(
                format!("{key}.kind"),
                format!(
                    "unknown kind '{}'; expected one of {}",
                    q.kind,
                    allowed(QuestionKind::ALL, QuestionKind::as_str)
                ),
            );
        }
        let ico_field = match q.ico_field.as_deref() {
            None => None,
            Some(f) => {
                let parsed = IcoField::parse(f);
                if parsed.is_none() {
                    problem(
                        format!("{key}.ico_field"),
                        format!(
                            "unknown ICO report field '{f}'; expected one of {}",
                            allowed(IcoField::ALL, IcoField::as_str)
                        ),
                    );
                }
                parsed
            }
        };
        let has_options = matches!(kind, Some(QuestionKind::Choice | QuestionKind::MultiChoice));
        if has_options && q.options.is_empty() {
            problem(format!("{key}.options"), format!("a {} question needs options", q.kind));
        }
        if kind.is_some() && !has_options && !q.options.is_empty() {
            problem(format!("{key}.options"), format!("a {} question takes no options", q.kind));
        }
        let mut option_ids = HashSet::new();
        let mut options = Vec::with_capacity(q.options.len());
        for (j, o) in q.options.into_iter().enumerate() {
            let okey = format!("{key}.options[{j}]");
            if !is_identifier(&o.id) {
                problem(format!("{okey}.id"), format!("'{}' must be lower-case letters, digits and _", o.id));
            } else if !option_ids.insert(o.id.clone()) {
                problem(format!("{okey}.id"), format!("'{}' is used twice", o.id));
            }
            if o.label.trim().is_empty() {
                problem(format!("{okey}.label"), "must not be empty".into());
            }
            let tag = match o.tag.as_deref() {
                None => None,
                Some(t) => {
                    let parsed = OptionTag::parse(t);
                    if parsed.is_none() {
                        problem(
                            format!("{okey}.tag"),
                            format!(
                                "unknown tag '{t}'; expected one of {}",
                                allowed(OptionTag::ALL, OptionTag::as_str)
                            ),
                        );
                    }
                    parsed
                }
            };
            options.push(ChoiceOption { id: o.id, label: o.label, tag });
        }
        if let Some(kind) = kind {
            questions.push(Question {
                id: q.id,
                label: q.label,
                text: q.text,
                help: q.help,
                kind,
                required: q.required,
                cyber_only: q.cyber_only,
                ico_field,
                options,
            });
        }
    }
    let cyber_questions: Vec<&Question> =
        questions.iter().filter(|q| q.ico_field == Some(IcoField::CyberIncident)).collect();
    if let Some(q) = cyber_questions.iter().find(|q| q.kind != QuestionKind::YesNo) {
        problem(format!("question \"{}\".kind", q.id), "the cyber_incident question must be yes_no".into());
    }
    if cyber_questions.len() > 1 {
        problem("question".into(), "only one question may fill ico_field = \"cyber_incident\"".into());
    }
    if cyber_questions.is_empty()
        && let Some(q) = questions.iter().find(|q| q.cyber_only)
    {
        problem(
            format!("question \"{}\".cyber_only", q.id),
            "needs a yes_no question with ico_field = \"cyber_incident\" to depend on".into(),
        );
    }

    let mut numbers = HashSet::new();
    for (i, c) in raw.ncsc_category.iter().enumerate() {
        let key = format!("ncsc_category[{i}]");
        if !(1..=6).contains(&c.number) {
            problem(format!("{key}.number"), format!("must be 1 to 6, found {}", c.number));
        } else if !numbers.insert(c.number) {
            problem(format!("{key}.number"), format!("category {} is listed twice", c.number));
        }
        if c.name.trim().is_empty() {
            problem(format!("{key}.name"), "must not be empty".into());
        }
    }
    if numbers.len() != 6 && problems.iter().all(|p| !p.key.starts_with("ncsc_category")) {
        problems.push(PolicyProblem {
            key: "ncsc_category".into(),
            message: format!("all six NCSC categories (1 to 6) are needed, found {}", numbers.len()),
        });
    }

    if !problems.is_empty() {
        return Err(PolicyError::Invalid { file: source.to_owned(), problems });
    }
    let mut ncsc_categories: Vec<NcscCategory> = raw
        .ncsc_category
        .into_iter()
        .map(|c| NcscCategory { number: c.number, name: c.name, description: c.description })
        .collect();
    ncsc_categories.sort_by_key(|c| c.number);
    Ok(BreachPolicy {
        source: source.to_owned(),
        version: raw.version,
        name: raw.name,
        deadline_hours: raw.deadline_hours,
        warning_hours: raw.warning_hours,
        services: raw.services.into_iter().map(|s| s.trim().to_owned()).collect(),
        risks: raw
            .risk
            .into_iter()
            .map(|r| RiskOption {
                id: r.id,
                label: r.label,
                help: r.help,
                report_to_ico: r.report_to_ico,
                tell_individuals: r.tell_individuals,
            })
            .collect(),
        questions,
        ncsc_categories,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy() -> BreachPolicy {
        BreachPolicy::embedded().unwrap_or_else(|e| panic!("embedded policy: {e}"))
    }

    fn answers(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("answers must be an object"),
        }
    }

    #[test]
    fn embedded_policy_loads_with_the_uk_gdpr_content() {
        let p = policy();
        assert_eq!((p.deadline_hours(), p.warning_hours()), (72, 24));
        let cats = p.question("data_categories").unwrap_or_else(|| panic!("no data_categories"));
        assert_eq!(cats.kind, QuestionKind::MultiChoice);
        for special in
            ["health", "racial_ethnic", "religious", "sex_life_orientation", "trade_union", "genetic_biometric"]
        {
            assert_eq!(cats.option(special).and_then(|o| o.tag), Some(OptionTag::SpecialCategory), "{special}");
        }
        assert_eq!(cats.option("criminal_offences").and_then(|o| o.tag), Some(OptionTag::CriminalOffence));
        for plain in ["basic_identity", "contact", "financial", "official_documents", "location", "childrens_data"] {
            assert_eq!(cats.option(plain).map(|o| o.tag), Some(None), "{plain}");
        }
        let people = p.question("people_categories").unwrap_or_else(|| panic!("no people_categories"));
        for id in
            ["employees", "residents_customers", "children", "vulnerable_adults", "patients_care_users", "tenants"]
        {
            assert!(people.option(id).is_some(), "{id}");
        }
        // Every part of the ICO report has at least one question feeding it.
        for f in IcoField::ALL {
            assert!(p.questions_for(*f).next().is_some(), "no question fills {f}");
        }
        let kinds: HashSet<QuestionKind> = p.questions().iter().map(|q| q.kind).collect();
        assert_eq!(kinds.len(), QuestionKind::ALL.len(), "every question kind is used");
        let unlikely = p.risk_option("unlikely").unwrap_or_else(|| panic!("no unlikely"));
        assert!(!unlikely.report_to_ico && !unlikely.tell_individuals);
        let risk = p.risk_option("risk").unwrap_or_else(|| panic!("no risk"));
        assert!(risk.report_to_ico && !risk.tell_individuals);
        let high = p.risk_option("high").unwrap_or_else(|| panic!("no high"));
        assert!(high.report_to_ico && high.tell_individuals);
        assert!(p.risk_option("catastrophic").is_none());
        assert_eq!(p.ncsc_categories().iter().map(|c| c.number).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5, 6]);
        assert!(p.ncsc_category(3).is_some_and(|c| c.description.contains("local government")));
        assert!(p.ncsc_category(7).is_none());
        for s in ["Planning portal", "Council tax payments", "Parking permits and appeals", "Libraries"] {
            assert!(p.default_services().iter().any(|d| d == s), "{s}");
        }
    }

    #[test]
    fn complete_answers_have_no_problems() {
        let p = policy();
        let a = answers(json!({
            "what_happened": "Appeal letters were visible to other appellants.",
            "how_discovered": "A resident rang the contact centre.",
            "cyber_incident": "no",
            "data_categories": ["basic_identity", "health"],
            "records_count": 1240,
            "people_count": 1100.0,
            "people_categories": ["residents_customers"],
            "consequences": "Distress.",
            "likelihood": "likely",
            "staff_involved": true,
            "containment": "Portal taken offline.",
            "contained_at": "2025-03-12T10:00:00Z",
        }));
        assert_eq!(p.validate_answers(&a), vec![]);
    }

    #[test]
    fn answer_problems_are_reported_per_question() {
        let p = policy();
        let a = answers(json!({
            "what_happened": 42,
            "cyber_incident": "maybe",
            "data_categories": ["health", "horoscope", 7],
            "records_count": "about a thousand",
            "people_count": -3,
            "likelihood": "certain",
            "contained_at": "last Tuesday",
            "favourite_colour": "blue",
            "how_discovered": "   ",
        }));
        let got: Vec<(String, AnswerProblemKind)> =
            p.validate_answers(&a).into_iter().map(|p| (p.question, p.kind)).collect();
        let want = [
            ("what_happened", AnswerProblemKind::WrongType),
            ("how_discovered", AnswerProblemKind::Missing),
            ("cyber_incident", AnswerProblemKind::WrongType),
            ("data_categories", AnswerProblemKind::UnknownOption),
            ("data_categories", AnswerProblemKind::WrongType),
            ("records_count", AnswerProblemKind::WrongType),
            ("people_count", AnswerProblemKind::Invalid),
            ("people_categories", AnswerProblemKind::Missing),
            ("consequences", AnswerProblemKind::Missing),
            ("likelihood", AnswerProblemKind::UnknownOption),
            ("staff_involved", AnswerProblemKind::Missing),
            ("containment", AnswerProblemKind::Missing),
            ("contained_at", AnswerProblemKind::Invalid),
            ("favourite_colour", AnswerProblemKind::UnknownQuestion),
        ];
        let want: Vec<(String, AnswerProblemKind)> = want.iter().map(|(q, k)| ((*q).to_owned(), *k)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn cyber_only_questions_are_required_only_for_cyber_incidents() {
        let p = policy();
        let missing = |a: &Map<String, Value>| -> Vec<String> {
            p.validate_answers(a)
                .into_iter()
                .filter(|x| x.kind == AnswerProblemKind::Missing)
                .map(|x| x.question)
                .collect()
        };
        let cyber_fields = ["cia_impact", "organisation_impact", "recovery_time"];
        let no = answers(json!({"cyber_incident": false}));
        assert!(missing(&no).iter().all(|q| !cyber_fields.contains(&q.as_str())));
        let unanswered = answers(json!({}));
        assert!(missing(&unanswered).iter().all(|q| !cyber_fields.contains(&q.as_str())));
        let yes = answers(json!({"cyber_incident": true}));
        let m = missing(&yes);
        for f in cyber_fields {
            assert!(m.iter().any(|q| q == f), "{f} should be required for a cyber incident");
        }
    }

    #[test]
    fn answers_render_in_words() {
        let p = policy();
        let a = answers(json!({
            "data_categories": ["contact", "health", "mystery"],
            "records_count": 1240,
            "people_count": 2.5,
            "cyber_incident": true,
            "contained_at": "2025-07-01T09:30:00Z",
            "what_happened": "  text  ",
            "likelihood": "",
        }));
        let r = |id: &str| p.question(id).and_then(|q| p.render_answer(q, &a));
        assert_eq!(
            r("data_categories").as_deref(),
            Some("Contact details (address, email, phone); Health data; mystery (not an option)")
        );
        assert_eq!(r("records_count").as_deref(), Some("1,240"));
        assert_eq!(r("people_count").as_deref(), Some("2.5"));
        assert_eq!(r("cyber_incident").as_deref(), Some("Yes"));
        assert_eq!(r("contained_at").as_deref(), Some("1 Jul 2025 10:30 BST"));
        assert_eq!(r("what_happened").as_deref(), Some("text"));
        assert_eq!(r("likelihood"), None);
        assert_eq!(r("consequences"), None);
    }

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(format_count(0.0), "0");
        assert_eq!(format_count(999.0), "999");
        assert_eq!(format_count(1000.0), "1,000");
        assert_eq!(format_count(1234567.0), "1,234,567");
        assert_eq!(format_count(-1234.0), "-1,234");
    }

    fn invalid_problems(text: &str) -> Vec<String> {
        match BreachPolicy::from_toml_str(text, "test.toml") {
            Err(PolicyError::Invalid { file, problems }) => {
                assert_eq!(file, "test.toml");
                problems.iter().map(ToString::to_string).collect()
            }
            Err(e) => panic!("expected validation problems, got {e}"),
            Ok(_) => panic!("expected validation problems, policy loaded"),
        }
    }

    #[test]
    fn broken_user_policy_file_names_the_file_and_the_key() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let path = dir.path().join("council-policy.toml");
        let broken = EMBEDDED_POLICY.replacen("kind = \"number\"", "kind = \"integer\"", 1);
        std::fs::write(&path, broken).unwrap_or_else(|e| panic!("write: {e}"));
        let err = BreachPolicy::from_file(&path).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("council-policy.toml"), "{err}");
        assert!(err.contains("question[5] \"records_count\".kind: unknown kind 'integer'"), "{err}");
        assert!(err.contains("expected one of text, number, choice, multi_choice, datetime, yes_no"), "{err}");

        // A syntax error or an unknown key names the file and the key too.
        std::fs::write(&path, EMBEDDED_POLICY.replacen("required = true", "requried = true", 1))
            .unwrap_or_else(|e| panic!("write: {e}"));
        let err = BreachPolicy::from_file(&path).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with(&format!("breach policy {}", path.display())), "{err}");
        assert!(err.contains("requried"), "{err}");

        let missing = dir.path().join("nope.toml");
        let err = BreachPolicy::from_file(&missing).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("nope.toml") && err.contains("cannot read"), "{err}");

        // The user's file replaces the embedded policy.
        std::fs::write(&path, EMBEDDED_POLICY.replace("deadline_hours = 72", "deadline_hours = 48"))
            .unwrap_or_else(|e| panic!("write: {e}"));
        let p = BreachPolicy::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.deadline_hours(), 48);
        assert_eq!(p.source(), path.display().to_string());
    }

    #[test]
    fn every_validation_problem_is_collected() {
        let text = r#"
            version = 2
            name = ""
            deadline_hours = 72
            warning_hours = 80
            services = ["Libraries", "libraries"]

            [[risk]]
            id = "high"
            label = "High"
            report_to_ico = false
            tell_individuals = true

            [[question]]
            id = "q"
            label = "Q"
            text = "Q?"
            kind = "choice"
            ico_field = "mood"

            [[question]]
            id = "q"
            label = "Q again"
            text = "Q?"
            kind = "text"
            cyber_only = true
            options = [{ id = "a", label = "A" }]

            [[question]]
            id = "Bad Id"
            label = "B"
            text = "B?"
            kind = "multi_choice"
            options = [{ id = "a", label = "A", tag = "spicy" }, { id = "a", label = "" }]

            [[ncsc_category]]
            number = 7
            name = "Seven"
            description = ""
        "#;
        let got = invalid_problems(text);
        let want = [
            "version: version 2 is not supported (expected 1)",
            "name: must not be empty",
            "warning_hours: must be less than deadline_hours (72), found 80",
            "services[1]: 'libraries' is listed twice",
            "risk[0].tell_individuals: a risk high enough to tell individuals is high enough to report to the ICO",
            "question[0] \"q\".ico_field: unknown ICO report field 'mood'; expected one of",
            "question[0] \"q\".options: a choice question needs options",
            "question[1] \"q\".id: is used twice",
            "question[1] \"q\".options: a text question takes no options",
            "question[2].id: 'Bad Id' must be lower-case letters, digits and _",
            "question[2] \"Bad Id\".options[0].tag: unknown tag 'spicy'; expected one of special_category, criminal_offence",
            "question[2] \"Bad Id\".options[1].id: 'a' is used twice",
            "question[2] \"Bad Id\".options[1].label: must not be empty",
            "question \"q\".cyber_only: needs a yes_no question with ico_field = \"cyber_incident\" to depend on",
            "ncsc_category[0].number: must be 1 to 6, found 7",
        ];
        assert_eq!(got.len(), want.len(), "{got:#?}");
        for (g, w) in got.iter().zip(want) {
            assert!(g.starts_with(w), "got {g:?}, want {w:?}");
        }
    }

    #[test]
    fn some_risk_option_must_be_not_reportable() {
        let text = EMBEDDED_POLICY.replacen("report_to_ico = false", "report_to_ico = true", 1);
        assert_eq!(
            invalid_problems(&text),
            vec!["risk: needs an option that is not reportable (unlikely to result in a risk)"]
        );
    }

    #[test]
    fn ncsc_categories_must_be_complete() {
        let text = EMBEDDED_POLICY.replacen("number = 6", "number = 5", 1);
        assert_eq!(invalid_problems(&text), vec!["ncsc_category[5].number: category 5 is listed twice"]);
        let cut = EMBEDDED_POLICY.find("[[ncsc_category]]").map_or(EMBEDDED_POLICY, |i| &EMBEDDED_POLICY[..i]);
        assert_eq!(invalid_problems(cut), vec!["ncsc_category: all six NCSC categories (1 to 6) are needed, found 0"]);
    }
}
