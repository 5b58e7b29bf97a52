//! Reports to the regulators, pre-filled from the incident: the ICO's personal data breach report
//! (initial and follow-up) and the NCSC incident report.
//!
//! A [`Report`] is plain data (sections of labelled fields) so the web layer can render it as a
//! page; [`Report::to_text`] gives plain text to paste into the regulators' web forms. Fields the
//! records cannot fill are kept and marked `missing`, shown as "[not yet answered]", so the
//! person sending it sees what is still to do rather than a shorter form.
//!
//! Each council is its own controller: a report is for one tenant, and only that tenant's tasks,
//! notes, observables and services go into it, even when the caller passes more.
//!
//! A report describes the incident as it stood at `generated_at`: tasks, notes and observables
//! recorded later are left out, tasks done later count as still to do, and services show their
//! status at that time. The breach record is taken as given (it has no history).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ww_core::alert::TenantId;
use ww_core::incident::{AffectedService, Breach, Incident, Note, Observable, ObservableKind, ServiceStatus, Task};
use ww_core::str_enum;
use ww_core::time::Timestamp;
use ww_core::time::format_london_minutes as format_london;

use crate::clock::{ClockState, clock};
use crate::policy::{BreachPolicy, IcoField, OptionTag, Question, QuestionKind, is_unanswered};

/// What [`Report::to_text`] prints for a field the records do not answer yet.
pub const NOT_ANSWERED: &str = "[not yet answered]";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub title: String,
    pub generated_at: Timestamp,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub heading: String,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub label: String,
    /// Empty when `missing`. May span lines (lists of actions, notes).
    pub value: String,
    pub missing: bool,
}

impl Field {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Field { label: label.into(), value: value.into(), missing: false }
    }
    pub fn missing(label: impl Into<String>) -> Self {
        Field { label: label.into(), value: String::new(), missing: true }
    }
    /// `value` when it is present and not blank, otherwise missing.
    pub fn maybe(label: impl Into<String>, value: Option<impl Into<String>>) -> Self {
        match value.map(Into::into) {
            Some(v) if !v.trim().is_empty() => Field::new(label, v.trim().to_owned()),
            _ => Field::missing(label),
        }
    }
}

impl Report {
    /// Every field not yet answered, as (section heading, field label).
    pub fn missing_fields(&self) -> Vec<(&str, &str)> {
        self.sections
            .iter()
            .flat_map(|s| s.fields.iter().filter(|f| f.missing).map(move |f| (s.heading.as_str(), f.label.as_str())))
            .collect()
    }

    /// Plain text for pasting into a web form: the title, each section's heading underlined,
    /// "Label: value" lines, values of several lines indented under their label, and
    /// "[not yet answered]" for missing fields.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        underline(&mut out, &self.title, '=');
        let _ = writeln!(out, "Generated: {}", format_london(&self.generated_at));
        let missing = self.missing_fields().len();
        if missing > 0 {
            let _ = writeln!(out, "Fields not yet answered: {missing}");
        }
        for section in &self.sections {
            out.push('\n');
            underline(&mut out, &section.heading, '-');
            for f in &section.fields {
                if f.missing {
                    let _ = writeln!(out, "{}: {NOT_ANSWERED}", f.label);
                } else if f.value.contains('\n') {
                    let _ = writeln!(out, "{}:", f.label);
                    for line in f.value.lines() {
                        if line.is_empty() {
                            out.push('\n');
                        } else {
                            let _ = writeln!(out, "  {line}");
                        }
                    }
                } else {
                    let _ = writeln!(out, "{}: {}", f.label, f.value);
                }
            }
        }
        out
    }
}

fn underline(out: &mut String, text: &str, c: char) {
    let _ = writeln!(out, "{text}");
    let _ = writeln!(out, "{}", c.to_string().repeat(text.chars().count()));
}

/// The organisation a report is from (one council, the tenant).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub name: String,
    /// "Local government".
    pub sector: String,
    pub address: Option<String>,
    /// The ICO data protection fee registration number (e.g. Z1234567).
    pub ico_registration: Option<String>,
    pub data_protection_officer: Option<ContactDetails>,
}

/// A person the regulator can reach.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactDetails {
    pub name: String,
    pub role: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl ContactDetails {
    fn one_line(&self) -> String {
        let mut parts = vec![self.name.trim().to_owned()];
        for p in [Some(&self.role), self.email.as_ref(), self.phone.as_ref()].into_iter().flatten() {
            if !p.trim().is_empty() {
                parts.push(p.trim().to_owned());
            }
        }
        parts.retain(|p| !p.is_empty());
        parts.join(", ")
    }
}

str_enum! {
    pub enum IcoReportKind {
        Initial = ("initial", "Initial report"),
        FollowUp = ("follow_up", "Follow-up report"),
    }
}

/// What a report is built from. The caller passes the incident's records as loaded for
/// `tenant`; records of other tenants or incidents are left out of the report.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    pub policy: &'a BreachPolicy,
    pub incident: &'a Incident,
    /// The council the report is from.
    pub tenant: TenantId,
    pub organisation: &'a Organisation,
    pub contact: &'a ContactDetails,
    pub services: &'a [AffectedService],
    pub tasks: &'a [Task],
    pub notes: &'a [Note],
    pub observables: &'a [Observable],
    /// This tenant's breach record, if there is one (the NCSC report mentions it).
    pub breach: Option<&'a Breach>,
    pub generated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("incident {incident} does not include tenant {tenant}")]
    TenantNotInIncident { incident: i64, tenant: TenantId },
    #[error(
        "the breach record belongs to incident {breach_incident} tenant {breach_tenant}, not incident {incident} tenant {tenant}"
    )]
    BreachMismatch { breach_incident: i64, breach_tenant: TenantId, incident: i64, tenant: TenantId },
    #[error("an ICO report needs a breach record for incident {incident} tenant {tenant}")]
    NoBreach { incident: i64, tenant: TenantId },
}

impl<'a> ReportInput<'a> {
    fn check(&self) -> Result<(), ReportError> {
        let (incident, tenant) = (self.incident.id, self.tenant);
        if self.incident.tenant != tenant && !self.incident.tenants.contains(&tenant) {
            return Err(ReportError::TenantNotInIncident { incident, tenant });
        }
        if let Some(b) = self.breach
            && (b.incident_id != incident || b.tenant != tenant)
        {
            return Err(ReportError::BreachMismatch {
                breach_incident: b.incident_id,
                breach_tenant: b.tenant,
                incident,
                tenant,
            });
        }
        Ok(())
    }

    fn mine(&self, tenant: TenantId, incident_id: i64) -> bool {
        tenant == self.tenant && incident_id == self.incident.id
    }

    /// This tenant's tasks as they stood at `generated_at`, oldest first.
    fn tasks(&self) -> Vec<&'a Task> {
        let mut v: Vec<&Task> = self
            .tasks
            .iter()
            .filter(|t| self.mine(t.tenant, t.incident_id) && t.created_at <= self.generated_at)
            .collect();
        v.sort_by_key(|t| (t.created_at, t.id));
        v
    }
    /// When `t` was done, if it was by `generated_at`.
    fn done_at(&self, t: &Task) -> Option<Timestamp> {
        t.done_at.filter(|at| *at <= self.generated_at)
    }
    fn done_tasks(&self) -> Vec<(&'a Task, Timestamp)> {
        let mut v: Vec<(&Task, Timestamp)> =
            self.tasks().into_iter().filter_map(|t| self.done_at(t).map(|at| (t, at))).collect();
        v.sort_by_key(|(t, at)| (*at, t.id));
        v
    }
    fn open_tasks(&self) -> Vec<&'a Task> {
        self.tasks().into_iter().filter(|t| self.done_at(t).is_none()).collect()
    }
    fn notes(&self) -> Vec<&'a Note> {
        let mut v: Vec<&Note> =
            self.notes.iter().filter(|n| self.mine(n.tenant, n.incident_id) && n.at <= self.generated_at).collect();
        v.sort_by_key(|n| (n.at, n.id));
        v
    }
    /// Each affected service with its state at `generated_at`.
    fn services(&self) -> Vec<ServiceAsOf<'a>> {
        let mut v: Vec<ServiceAsOf<'a>> = self
            .services
            .iter()
            .filter(|s| self.mine(s.tenant, s.incident_id))
            .filter_map(|s| ServiceAsOf::new(s, self.generated_at))
            .collect();
        v.sort_by(|a, b| {
            (a.service.affected_since, &a.service.service).cmp(&(b.service.affected_since, &b.service.service))
        });
        v
    }
    fn observables(&self) -> Vec<&'a Observable> {
        let mut v: Vec<&Observable> = self
            .observables
            .iter()
            .filter(|o| self.mine(o.tenant, o.incident_id) && o.added_at <= self.generated_at)
            .collect();
        v.sort_by_key(|o| (o.added_at, o.id));
        v
    }
}

/// A service's status at a given time, from its history (its current status when it has none).
struct ServiceAsOf<'a> {
    service: &'a AffectedService,
    status: ServiceStatus,
    since: Timestamp,
}

impl<'a> ServiceAsOf<'a> {
    fn new(service: &'a AffectedService, at: Timestamp) -> Option<Self> {
        if service.affected_since > at {
            return None;
        }
        let (status, since) = match service.history.iter().filter(|h| h.at <= at).max_by_key(|h| h.at) {
            Some(h) => (h.status, h.at),
            None if service.history.is_empty() || service.status_since <= at => (service.status, service.status_since),
            // Affected by then, but its first recorded change is later: report it as affected.
            None => (ServiceStatus::Down, service.affected_since),
        };
        Some(ServiceAsOf { service, status, since })
    }

    fn line(&self) -> String {
        let first = self.service.affected_since;
        match self.status {
            ServiceStatus::Restored => {
                format!("Restored {}; first affected {}", format_london(&self.since), format_london(&first))
            }
            status if self.since == first => format!("{} since {}", status.label(), format_london(&self.since)),
            status => format!(
                "{} since {}; first affected {}",
                status.label(),
                format_london(&self.since),
                format_london(&first)
            ),
        }
    }
}

fn incident_ref(incident: &Incident) -> String {
    format!("INC-{}", incident.id)
}

fn bullet_list(items: impl IntoIterator<Item = String>) -> Option<String> {
    let lines: Vec<String> = items.into_iter().map(|i| format!("- {i}")).collect();
    if lines.is_empty() {
        None
    } else if lines.len() == 1 {
        // One item reads better on the label's line.
        lines.into_iter().next().map(|l| l.trim_start_matches("- ").to_owned())
    } else {
        Some(lines.join("\n"))
    }
}

fn done_task_line(t: &Task, at: Timestamp) -> String {
    match &t.done_by {
        Some(by) => format!("{}: {} ({by})", format_london(&at), t.title.trim()),
        None => format!("{}: {}", format_london(&at), t.title.trim()),
    }
}

fn open_task_line(t: &Task) -> String {
    let mut extra = Vec::new();
    if let Some(a) = &t.assignee {
        extra.push(a.clone());
    }
    if let Some(d) = t.due {
        extra.push(format!("due {}", format_london(&d)));
    }
    if extra.is_empty() { t.title.trim().to_owned() } else { format!("{} ({})", t.title.trim(), extra.join(", ")) }
}

fn note_line(n: &Note) -> String {
    let body = n.body.trim().replace('\n', " ");
    format!("{} ({}): {body}", format_london(&n.at), n.author)
}

fn yes_no_words(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

/// One field per question filling `field`, in policy order. Cyber-only questions read "Not
/// applicable" once the incident is answered as not cyber.
fn answer_fields(policy: &BreachPolicy, answers: &Map<String, Value>, field: IcoField) -> Vec<Field> {
    let cyber = policy.is_cyber(answers);
    let mut fields: Vec<Field> = policy
        .questions_for(field)
        .map(|q| {
            let f = answer_field(policy, q, answers);
            if f.missing && q.cyber_only && cyber == Some(false) {
                Field::new(&q.label, "Not applicable (not a cyber incident)")
            } else {
                f
            }
        })
        .collect();
    if fields.is_empty() {
        fields.push(Field::missing(field.label()));
    }
    fields
}

/// The data categories answer split into ordinary, special category and criminal offence data.
fn data_category_fields(policy: &BreachPolicy, answers: &Map<String, Value>) -> Vec<Field> {
    let mut out = Vec::new();
    for q in policy.questions_for(IcoField::DataCategories) {
        let ids: Option<Vec<&str>> = match answers.get(&q.id) {
            Some(v) if !is_unanswered(v) && q.kind == QuestionKind::MultiChoice => {
                v.as_array().map(|a| a.iter().filter_map(Value::as_str).collect())
            }
            _ => None,
        };
        let Some(ids) = ids else {
            out.push(answer_field(policy, q, answers));
            continue;
        };
        let labels = |want: Option<OptionTag>| -> Vec<String> {
            ids.iter()
                .filter_map(|id| match q.option(id) {
                    Some(o) if o.tag == want => Some(o.label.clone()),
                    Some(_) => None,
                    None if want.is_none() => Some(format!("{id} (not an option)")),
                    None => None,
                })
                .collect()
        };
        let ordinary = labels(None);
        let special = labels(Some(OptionTag::SpecialCategory));
        let criminal = labels(Some(OptionTag::CriminalOffence));
        out.push(Field::new(&q.label, if ordinary.is_empty() { "None".into() } else { ordinary.join("; ") }));
        out.push(Field::new(
            OptionTag::SpecialCategory.label(),
            if special.is_empty() { "None".into() } else { special.join("; ") },
        ));
        out.push(Field::new(
            OptionTag::CriminalOffence.label(),
            if criminal.is_empty() { "None".into() } else { criminal.join("; ") },
        ));
    }
    if out.is_empty() {
        out.push(Field::missing(IcoField::DataCategories.label()));
    }
    out
}

fn decision(
    decided: Option<bool>,
    reason: Option<&String>,
    by: Option<&String>,
    at: Option<Timestamp>,
) -> Option<String> {
    let decided = decided?;
    let mut s = yes_no_words(decided).to_owned();
    if let Some(r) = reason.filter(|r| !r.trim().is_empty()) {
        let _ = write!(s, ": {}", r.trim());
    }
    match (by, at) {
        (Some(by), Some(at)) => {
            let _ = write!(s, " (decided by {by}, {})", format_london(&at));
        }
        (Some(by), None) => {
            let _ = write!(s, " (decided by {by})");
        }
        (None, Some(at)) => {
            let _ = write!(s, " (decided {})", format_london(&at));
        }
        (None, None) => {}
    }
    Some(s)
}

/// The ICO's personal data breach report, pre-filled from the incident and this tenant's breach
/// record (DESIGN.md §6: what happened and how, discovery, timing, data and people, consequences,
/// cyber impact, staff, containment, who else was told, contact details, lateness). A follow-up
/// report adds the ICO case reference and what has happened since the initial report.
pub fn ico_report(kind: IcoReportKind, input: &ReportInput<'_>) -> Result<Report, ReportError> {
    input.check()?;
    let breach = input.breach.ok_or(ReportError::NoBreach { incident: input.incident.id, tenant: input.tenant })?;
    let policy = input.policy;
    let answers = &breach.answers;
    let incident = input.incident;
    let mut sections = Vec::new();

    // About this report.
    let mut fields = vec![Field::new("Report type", kind.label())];
    match kind {
        IcoReportKind::Initial => fields.push(Field::new(
            "ICO case reference",
            breach.ico_reference.clone().unwrap_or_else(|| "Not yet assigned (initial report)".into()),
        )),
        IcoReportKind::FollowUp => {
            fields.push(Field::maybe("ICO case reference", breach.ico_reference.clone()));
            fields.push(Field::maybe("Initial report sent", breach.ico_reported_at.map(|t| format_london(&t))));
        }
    }
    fields.push(Field::new("Our incident reference", incident_ref(incident)));
    sections.push(Section { heading: "About this report".into(), fields });

    sections.push(organisation_section(input.organisation));
    sections.push(Section { heading: "Contact details".into(), fields: contact_fields(input.contact, "") });

    // About the breach.
    let mut fields = answer_fields(policy, answers, IcoField::WhatHappened);
    fields.extend(answer_fields(policy, answers, IcoField::CyberIncident));
    fields.extend(answer_fields(policy, answers, IcoField::HowDiscovered));
    fields.push(Field::maybe("When the breach happened", breach.occurred_at.map(|t| format_london(&t))));
    fields.push(Field::maybe("When the breach was discovered", breach.detected_at.map(|t| format_london(&t))));
    fields.push(Field::maybe("When we became aware", breach.aware_at.map(|t| format_london(&t))));
    let aware_why = match (&breach.aware_decided_by, &breach.aware_reason) {
        (Some(by), Some(why)) if !why.trim().is_empty() => Some(format!("{by}: {}", why.trim())),
        (None, Some(why)) if !why.trim().is_empty() => Some(why.trim().to_owned()),
        (Some(by), _) => Some(by.clone()),
        _ => None,
    };
    fields.push(Field::maybe("Who decided we were aware, and why", aware_why));
    sections.push(Section { heading: "About the breach".into(), fields });

    sections.push(timing_section(breach, policy, input.generated_at));

    // Personal data.
    let mut fields = data_category_fields(policy, answers);
    for f in [IcoField::DataDetail, IcoField::RecordsCount, IcoField::PeopleCount, IcoField::PeopleCategories] {
        fields.extend(answer_fields(policy, answers, f));
    }
    sections.push(Section { heading: "Personal data involved".into(), fields });

    // Consequences and risk.
    let mut fields = answer_fields(policy, answers, IcoField::Consequences);
    fields.extend(answer_fields(policy, answers, IcoField::Likelihood));
    let risk =
        breach.risk.as_deref().map(|id| policy.risk_option(id).map_or_else(|| id.to_owned(), |r| r.label.clone()));
    fields.push(Field::maybe("Our assessment of the risk", risk));
    fields.push(Field::maybe(
        "Decision to report to the ICO",
        decision(
            breach.report_to_ico,
            breach.ico_decision_reason.as_ref(),
            breach.ico_decided_by.as_ref(),
            breach.ico_decided_at,
        ),
    ));
    fields.push(Field::maybe(
        "Must the people affected be told",
        decision(breach.tell_individuals, breach.individuals_reason.as_ref(), None, None),
    ));
    fields.extend(answer_fields(policy, answers, IcoField::IndividualsTold));
    sections.push(Section { heading: "Consequences and risk".into(), fields });

    // Cyber incident.
    let mut fields = Vec::new();
    for f in [IcoField::CiaImpact, IcoField::OrganisationImpact, IcoField::RecoveryTime] {
        fields.extend(answer_fields(policy, answers, f));
    }
    let services: Vec<String> =
        input.services().iter().map(|s| format!("{}: {}", s.service.service.trim(), s.line())).collect();
    fields
        .push(Field::new("Council services affected", bullet_list(services).unwrap_or_else(|| "None recorded".into())));
    sections.push(Section { heading: "Cyber incident".into(), fields });

    // Staff.
    let mut fields = answer_fields(policy, answers, IcoField::StaffInvolvement);
    fields.extend(answer_fields(policy, answers, IcoField::StaffTraining));
    sections.push(Section { heading: "Staff involvement".into(), fields });

    // Containment and measures.
    let mut fields = answer_fields(policy, answers, IcoField::Containment);
    let done = bullet_list(input.done_tasks().into_iter().map(|(t, at)| done_task_line(t, at)));
    fields.push(Field::maybe("Actions taken", done));
    let planned = bullet_list(input.open_tasks().into_iter().map(open_task_line));
    fields.push(Field::new("Actions still to do", planned.unwrap_or_else(|| "None recorded".into())));
    fields.extend(answer_fields(policy, answers, IcoField::Measures));
    sections.push(Section { heading: "Containment and recovery".into(), fields });

    sections.push(Section {
        heading: "Who else has been told".into(),
        fields: answer_fields(policy, answers, IcoField::OthersTold),
    });

    if kind == IcoReportKind::FollowUp {
        let since = breach.ico_reported_at;
        let after = |t: Timestamp| since.is_none_or(|s| t > s);
        let done = bullet_list(
            input.done_tasks().into_iter().filter(|(_, at)| after(*at)).map(|(t, at)| done_task_line(t, at)),
        );
        let notes = bullet_list(input.notes().into_iter().filter(|n| after(n.at)).map(note_line));
        sections.push(Section {
            heading: "Since the initial report".into(),
            fields: vec![
                Field::new("Actions completed", done.unwrap_or_else(|| "None recorded".into())),
                Field::new("Incident notes (review before sending)", notes.unwrap_or_else(|| "None recorded".into())),
            ],
        });
    }

    Ok(Report {
        title: format!(
            "Personal data breach report to the ICO: {} ({})",
            kind.label().to_lowercase(),
            incident_ref(incident)
        ),
        generated_at: input.generated_at,
        sections,
    })
}

fn organisation_section(org: &Organisation) -> Section {
    let dpo = org.data_protection_officer.as_ref().map(ContactDetails::one_line);
    Section {
        heading: "Your organisation".into(),
        fields: vec![
            Field::maybe("Organisation name", Some(org.name.clone())),
            Field::maybe("Sector", Some(org.sector.clone())),
            Field::maybe("Address", org.address.clone()),
            Field::maybe("ICO registration number", org.ico_registration.clone()),
            Field::maybe("Data protection officer", dpo),
        ],
    }
}

fn contact_fields(c: &ContactDetails, suffix: &str) -> Vec<Field> {
    vec![
        Field::maybe("Name", Some(c.name.clone())),
        Field::maybe("Job title", Some(c.role.clone())),
        Field::maybe(format!("Email{suffix}"), c.email.clone()),
        Field::maybe(format!("Telephone{suffix}"), c.phone.clone()),
    ]
}

/// The 72-hour section: the deadline, where the clock stands, and reasons if late.
fn timing_section(breach: &Breach, policy: &BreachPolicy, now: Timestamp) -> Section {
    let hours = policy.deadline_hours();
    let mut fields = Vec::new();
    match clock(breach, policy, now) {
        None => {
            fields.push(Field::missing(format!("Deadline ({hours} hours after becoming aware)")));
            fields.push(Field::missing("Reporting status"));
        }
        Some(c) => {
            fields
                .push(Field::new(format!("Deadline ({hours} hours after becoming aware)"), format_london(&c.deadline)));
            let (status, late) = match c.state {
                ClockState::Reported { at, on_time } => {
                    (format!("Initial report sent {}: {}", format_london(&at), c.human_remaining()), !on_time)
                }
                ClockState::NotReportable => ("Decision recorded not to report".to_owned(), false),
                ClockState::Overdue => (format!("Not yet reported; {}", c.human_remaining()), true),
                ClockState::Running | ClockState::Warning => {
                    (format!("Not yet reported; {} at {}", c.human_remaining(), format_london(&now)), false)
                }
            };
            fields.push(Field::new("Reporting status", status));
            if late {
                fields.push(Field::maybe(
                    format!("Reasons for reporting after {hours} hours"),
                    breach.late_reason.clone(),
                ));
            } else {
                fields.push(Field::new(format!("Reasons for reporting after {hours} hours"), "Not applicable"));
            }
        }
    }
    Section { heading: format!("Reporting within {hours} hours"), fields }
}

/// Observable values made safe to paste: links cannot be followed by accident.
pub fn defang(kind: ObservableKind, value: &str) -> String {
    match kind {
        ObservableKind::Url | ObservableKind::Domain | ObservableKind::Email | ObservableKind::Ip => {
            let v = value.trim().replace('.', "[.]");
            if let Some(rest) = v.strip_prefix("https://") {
                format!("hxxps://{rest}")
            } else if let Some(rest) = v.strip_prefix("http://") {
                format!("hxxp://{rest}")
            } else {
                v
            }
        }
        _ => value.trim().to_owned(),
    }
}

/// The NCSC incident report (DESIGN.md §6): who you are and how to reach you from an
/// uncompromised system, summary and impact on services and users, investigation and mitigation
/// so far, technical analysis, who else is informed, next steps, and the national category.
pub fn ncsc_report(input: &ReportInput<'_>) -> Result<Report, ReportError> {
    input.check()?;
    let incident = input.incident;
    let policy = input.policy;
    let mut sections = Vec::new();

    let mut fields = contact_fields(input.contact, " (from an uncompromised system)");
    fields.insert(2, Field::maybe("Organisation", Some(input.organisation.name.clone())));
    fields.insert(3, Field::maybe("Sector", Some(input.organisation.sector.clone())));
    sections.push(Section { heading: "Who you are".into(), fields });

    let category = incident.ncsc_category.map(|n| match policy.ncsc_category(n) {
        Some(c) => format!("{n}: {}. {}", c.name, c.description),
        None => format!("{n} (not a category of this policy)"),
    });
    sections.push(Section {
        heading: "Summary".into(),
        fields: vec![
            Field::new("Incident reference", incident_ref(incident)),
            Field::new("Title", incident.title.trim()),
            Field::maybe("Summary", Some(incident.summary.clone())),
            Field::new("Type of incident", incident.category.label()),
            Field::new("Cause", incident.origin.label()),
            Field::new("Severity", incident.severity.label()),
            Field::new("Status", incident.status.label()),
            Field::new("Incident opened", format_london(&incident.created_at)),
            Field::maybe("NCSC incident category", category),
        ],
    });

    let mut fields: Vec<Field> =
        input.services().iter().map(|s| Field::new(s.service.service.trim(), s.line())).collect();
    if fields.is_empty() {
        fields.push(Field::new("Council services affected", "None recorded"));
    }
    fields.push(Field::new("Personal data", personal_data_line(input)));
    sections.push(Section { heading: "Impact on services and users".into(), fields });

    let done = bullet_list(input.done_tasks().into_iter().map(|(t, at)| done_task_line(t, at)));
    let notes = bullet_list(input.notes().into_iter().map(note_line));
    sections.push(Section {
        heading: "Investigation and mitigation so far".into(),
        fields: vec![Field::maybe("Actions completed", done), Field::maybe("Investigation notes", notes)],
    });

    let mut fields = vec![Field::new("Type of incident", incident.category.label())];
    let mut by_kind: BTreeMap<ObservableKind, Vec<String>> = BTreeMap::new();
    for o in input.observables() {
        let mut line = defang(o.kind, &o.value);
        if let Some(n) = o.note.as_ref().filter(|n| !n.trim().is_empty()) {
            let _ = write!(line, " ({})", n.trim());
        }
        by_kind.entry(o.kind).or_default().push(line);
    }
    if by_kind.is_empty() {
        fields.push(Field::missing("Indicators of compromise"));
    } else {
        fields.push(Field::new("Indicators", "Links, domains, email and IP addresses are defanged ([.] and hxxp)"));
        for (kind, values) in by_kind {
            fields.push(Field::new(kind.label(), bullet_list(values).unwrap_or_default()));
        }
    }
    sections.push(Section { heading: "Technical analysis".into(), fields });

    sections.push(Section { heading: "Who else has been informed".into(), fields: informed_fields(input) });

    let next = bullet_list(input.open_tasks().into_iter().map(open_task_line));
    sections.push(Section { heading: "Next steps".into(), fields: vec![Field::maybe("Planned actions", next)] });

    Ok(Report {
        title: format!("Incident report to the NCSC ({})", incident_ref(incident)),
        generated_at: input.generated_at,
        sections,
    })
}

fn personal_data_line(input: &ReportInput<'_>) -> String {
    let Some(b) = input.breach else {
        return "No personal data breach recorded".into();
    };
    let policy = input.policy;
    let mut s = match (b.ico_reported_at, b.report_to_ico) {
        (Some(_), _) => "Personal data breach, reported to the ICO".to_owned(),
        (None, Some(true)) => "Personal data breach, to be reported to the ICO".to_owned(),
        (None, Some(false)) => "Personal data breach, assessed as not reportable to the ICO".to_owned(),
        (None, None) => "Possible personal data breach, under assessment".to_owned(),
    };
    if let Some(p) = policy.questions_for(IcoField::PeopleCount).find_map(|q| policy.render_answer(q, &b.answers)) {
        let _ = write!(s, "; about {p} people affected");
    }
    s
}

fn informed_fields(input: &ReportInput<'_>) -> Vec<Field> {
    let Some(b) = input.breach else {
        return vec![Field::missing("Other organisations informed")];
    };
    let ico = if let Some(at) = b.ico_reported_at {
        match &b.ico_reference {
            Some(r) => format!("Reported {} (case reference {r})", format_london(&at)),
            None => format!("Reported {}", format_london(&at)),
        }
    } else {
        match b.report_to_ico {
            Some(true) => "Will be reported".into(),
            Some(false) => "Decided not to report".into(),
            None => "Decision not yet made".into(),
        }
    };
    let mut fields = vec![Field::new("Information Commissioner's Office", ico)];
    fields.extend(answer_fields(input.policy, &b.answers, IcoField::OthersTold));
    fields
}

/// A question's label and rendered answer; used by the web layer's assessment page.
pub fn answer_field(policy: &BreachPolicy, q: &Question, answers: &Map<String, Value>) -> Field {
    match policy.render_answer(q, answers) {
        Some(v) => Field::new(&q.label, v),
        None => Field::missing(&q.label),
    }
}
