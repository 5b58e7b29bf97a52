//! Golden files for the regulator reports of a hand-made, realistic incident: a phishing email
//! at a district council leads to a compromised mailbox and the export of parking appeal records
//! (names, addresses, vehicle registrations and, for some appellants, medical evidence).
//!
//! The incident spans the spring clock change (30 March 2025), so the reports show both GMT and
//! BST times. The shared incident also includes a second council whose records must never
//! appear in the first council's reports.
//!
//! `UPDATE_GOLDEN=1 cargo test -p ww-respond --test golden` rewrites the files; review the diff.

use std::path::PathBuf;

use serde_json::{Map, Value, json};
use ww_core::alert::TenantId;
use ww_core::incident::{
    AffectedService, Breach, Incident, IncidentCategory, IncidentOrigin, IncidentSeverity, IncidentStatus, Note,
    Observable, ObservableKind, ServiceChange, ServiceStatus, Task,
};
use ww_core::time::Timestamp;
use ww_respond::{
    BreachPolicy, ContactDetails, IcoReportKind, Organisation, Report, ReportInput, ico_report, ncsc_report,
};

const EASTBROOK: TenantId = TenantId(3);
const WESTMERE: TenantId = TenantId(4);

fn utc(s: &str) -> Timestamp {
    ww_core::time::parse_utc(s).unwrap_or_else(|| panic!("bad test time {s}"))
}

fn incident() -> Incident {
    Incident {
        id: 41,
        tenant: EASTBROOK,
        tenants: vec![EASTBROOK, WESTMERE],
        title: "Phishing: parking services mailbox compromised, appeal records exported".into(),
        summary: "A credential-harvesting email imitating a Microsoft 365 shared-document notice was sent to 37 \
                  staff. One parking services officer entered their password and approved an MFA prompt. The \
                  attacker used the session to open the parking appeals case system and export appeal records, \
                  then sent further phishing from the mailbox."
            .into(),
        category: IncidentCategory::Phishing,
        origin: IncidentOrigin::Malicious,
        severity: IncidentSeverity::High,
        status: IncidentStatus::Contained,
        owner: Some("r.okafor".into()),
        ncsc_category: Some(4),
        created_at: utc("2025-03-28T10:12:00Z"),
        created_by: "r.okafor".into(),
        updated_at: utc("2025-03-31T09:40:00Z"),
        closed_at: None,
    }
}

fn task(id: i64, tenant: TenantId, title: &str, created: &str, done: Option<(&str, &str)>) -> Task {
    Task {
        id,
        incident_id: 41,
        tenant,
        title: title.into(),
        assignee: None,
        due: None,
        done_at: done.map(|(at, _)| utc(at)),
        done_by: done.map(|(_, by)| by.to_owned()),
        created_at: utc(created),
        created_by: "r.okafor".into(),
    }
}

fn tasks() -> Vec<Task> {
    let mut open = task(6, EASTBROOK, "Write to affected appellants", "2025-03-29T09:00:00Z", None);
    open.assignee = Some("k.patel".into());
    open.due = Some(utc("2025-04-02T16:00:00Z"));
    let mut mfa = task(7, EASTBROOK, "Switch parking team to number-matching MFA", "2025-03-29T09:05:00Z", None);
    mfa.assignee = Some("it.service-desk".into());
    mfa.due = Some(utc("2025-04-11T16:00:00Z"));
    vec![
        task(
            1,
            EASTBROOK,
            "Reset password and revoke sessions for the compromised account",
            "2025-03-28T10:15:00Z",
            Some(("2025-03-28T10:41:00Z", "r.okafor")),
        ),
        task(
            2,
            EASTBROOK,
            "Purge the phishing email from all mailboxes",
            "2025-03-28T10:16:00Z",
            Some(("2025-03-28T11:30:00Z", "m.hughes")),
        ),
        task(
            3,
            EASTBROOK,
            "Block sender domain and landing page at the mail and web gateways",
            "2025-03-28T10:16:00Z",
            Some(("2025-03-28T11:05:00Z", "m.hughes")),
        ),
        task(
            4,
            EASTBROOK,
            "Review appeals system audit log for records viewed or exported",
            "2025-03-28T12:00:00Z",
            Some(("2025-03-28T16:20:00Z", "r.okafor")),
        ),
        task(
            5,
            EASTBROOK,
            "Remove the mailbox forwarding rule created by the attacker",
            "2025-03-28T12:10:00Z",
            Some(("2025-04-01T09:30:00Z", "m.hughes")),
        ),
        open,
        mfa,
        // The other council's work on the same shared incident: never in Eastbrook's reports.
        task(
            20,
            WESTMERE,
            "WESTMERE-ONLY: check Westmere mailboxes for the lure",
            "2025-03-28T13:00:00Z",
            Some(("2025-03-28T15:00:00Z", "westmere.it")),
        ),
    ]
}

fn notes() -> Vec<Note> {
    vec![
        Note {
            id: 1,
            incident_id: 41,
            tenant: EASTBROOK,
            body: "Sign-in logs show the officer's session used from 203.0.113.45 (hosting provider, not UK) \
                   between 08:51 and 10:02."
                .into(),
            author: "r.okafor".into(),
            at: utc("2025-03-28T11:50:00Z"),
        },
        Note {
            id: 2,
            incident_id: 41,
            tenant: EASTBROOK,
            body: "Appeals system audit log: 1 export of 2,314 appeal records at 09:22, filtered to appeals \
                   lodged since April 2024."
                .into(),
            author: "r.okafor".into(),
            at: utc("2025-03-28T16:25:00Z"),
        },
        Note {
            id: 3,
            incident_id: 41,
            tenant: EASTBROOK,
            body: "Supplier confirms the export file is not stored on their side; no sign of it published so far."
                .into(),
            author: "k.patel".into(),
            at: utc("2025-04-03T10:00:00Z"),
        },
        Note {
            id: 4,
            incident_id: 41,
            tenant: WESTMERE,
            body: "WESTMERE-ONLY note".into(),
            author: "westmere.it".into(),
            at: utc("2025-03-28T14:00:00Z"),
        },
    ]
}

fn observables() -> Vec<Observable> {
    let o = |id: i64, kind: ObservableKind, value: &str, note: Option<&str>, at: &str| Observable {
        id,
        incident_id: 41,
        tenant: EASTBROOK,
        kind,
        value: value.into(),
        note: note.map(str::to_owned),
        added_at: utc(at),
        added_by: "r.okafor".into(),
    };
    vec![
        o(
            1,
            ObservableKind::Email,
            "docs-share@eastbrook-council-files.example",
            Some("sender"),
            "2025-03-28T10:20:00Z",
        ),
        o(
            2,
            ObservableKind::Url,
            "https://eastbrook-council-files.example/sso/login.php",
            Some("credential harvesting page"),
            "2025-03-28T10:21:00Z",
        ),
        o(3, ObservableKind::Domain, "eastbrook-council-files.example", None, "2025-03-28T10:21:00Z"),
        o(4, ObservableKind::Ip, "203.0.113.45", Some("attacker sign-ins"), "2025-03-28T11:50:00Z"),
        o(5, ObservableKind::Account, "parking.officer7", Some("compromised account"), "2025-03-28T10:30:00Z"),
        Observable {
            tenant: WESTMERE,
            ..o(6, ObservableKind::Ip, "198.51.100.99", Some("WESTMERE-ONLY"), "2025-03-28T13:00:00Z")
        },
    ]
}

fn services() -> Vec<AffectedService> {
    vec![
        AffectedService {
            id: 1,
            incident_id: 41,
            tenant: EASTBROOK,
            service: "Parking permits and appeals".into(),
            status: ServiceStatus::Restored,
            affected_since: utc("2025-03-28T11:00:00Z"),
            status_since: utc("2025-03-31T08:00:00Z"),
            restored_at: Some(utc("2025-03-31T08:00:00Z")),
            history: vec![
                ServiceChange { at: utc("2025-03-28T11:00:00Z"), status: ServiceStatus::Down, by: "r.okafor".into() },
                ServiceChange {
                    at: utc("2025-03-31T08:00:00Z"),
                    status: ServiceStatus::Restored,
                    by: "r.okafor".into(),
                },
            ],
        },
        AffectedService {
            id: 2,
            incident_id: 41,
            tenant: EASTBROOK,
            service: "Online forms and payments".into(),
            status: ServiceStatus::Degraded,
            affected_since: utc("2025-03-28T11:00:00Z"),
            status_since: utc("2025-03-28T11:00:00Z"),
            restored_at: None,
            history: vec![ServiceChange {
                at: utc("2025-03-28T11:00:00Z"),
                status: ServiceStatus::Degraded,
                by: "r.okafor".into(),
            }],
        },
    ]
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("answers must be an object"),
    }
}

/// Eastbrook's breach record as it stood before the initial report was sent.
fn breach_initial() -> Breach {
    let mut b = Breach::new(41, EASTBROOK, utc("2025-03-28T10:30:00Z"));
    b.occurred_at = Some(utc("2025-03-28T08:51:00Z"));
    b.detected_at = Some(utc("2025-03-28T10:05:00Z"));
    b.aware_at = Some(utc("2025-03-28T16:30:00Z"));
    b.aware_decided_by = Some("Kiran Patel (Data Protection Officer)".into());
    b.aware_reason =
        Some("The appeals system audit log confirms an export of appeal records by the compromised account.".into());
    b.answers = object(json!({
        "what_happened": "A parking services officer entered their password on a fake Microsoft 365 page linked \
                          from a phishing email and approved the sign-in prompt. Using that access, the attacker \
                          opened the parking appeals case system and exported 2,314 appeal records.",
        "how_discovered": "Staff reported the phishing email to the IT service desk; the security team then found \
                           the suspicious sign-ins and the export in the audit log.",
        "cyber_incident": true,
        "data_categories": ["basic_identity", "contact", "vehicle", "health"],
        "data_detail": "Names, postal and email addresses, vehicle registrations and penalty charge notice \
                        details. About 60 appeals include medical evidence (for example Blue Badge or hospital \
                        appointment letters).",
        "records_count": 2314,
        "people_count": 2100,
        "people_categories": ["residents_customers", "vulnerable_adults"],
        "consequences": "Targeted phishing or fraud using the appeal details; distress and loss of \
                         confidentiality for people whose medical evidence was included.",
        "likelihood": "likely",
        "cia_impact": ["confidentiality"],
        "organisation_impact": "medium",
        "staff_involved": true,
        "staff_training": "yes",
        "containment": "Password reset and sessions revoked within 40 minutes of the report; phishing email \
                        purged; sender domain and landing page blocked; appeals system access suspended until \
                        the audit was complete.",
        "contained_at": "2025-03-28T11:30:00Z",
        "individuals_told": "planned",
        "others_told": ["ncsc", "insurer"],
    }));
    b.risk = Some("high".into());
    b.report_to_ico = Some(true);
    b.ico_decision_reason = Some("Special category (health) data for some appellants; likely fraud risk.".into());
    b.ico_decided_by = Some("k.patel".into());
    b.ico_decided_at = Some(utc("2025-03-29T10:00:00Z"));
    b.tell_individuals = Some(true);
    b.individuals_reason = Some("High risk for appellants whose medical evidence was exported.".into());
    b.updated_at = utc("2025-03-31T09:40:00Z");
    b
}

/// The same record a week later: reported (on time), reference received, more answers.
fn breach_followup() -> Breach {
    let mut b = breach_initial();
    b.ico_reported_at = Some(utc("2025-03-31T10:15:00Z"));
    b.ico_reference = Some("IC-384512-K7Q2".into());
    for (k, v) in [
        ("recovery_time", json!("days")),
        ("individuals_told", json!("yes")),
        ("others_told", json!(["ncsc", "insurer", "action_fraud"])),
        (
            "others_told_detail",
            json!("NCSC incident report 31 March; insurer notified 29 March; Action Fraud reference NFRC250400123."),
        ),
        (
            "prevent_recurrence",
            json!("Number-matching MFA for all staff; appeals system exports limited to two named managers."),
        ),
        (
            "staff_training_detail",
            json!("Annual data protection e-learning completed in November 2024; phishing simulation in January 2025."),
        ),
    ] {
        b.answers.insert(k.into(), v);
    }
    b.updated_at = utc("2025-04-07T08:00:00Z");
    b
}

fn organisation() -> Organisation {
    Organisation {
        name: "Eastbrook District Council".into(),
        sector: "Local government".into(),
        address: Some("Civic Centre, Market Street, Eastbrook EB1 2CC".into()),
        ico_registration: Some("Z7654321".into()),
        data_protection_officer: Some(ContactDetails {
            name: "Kiran Patel".into(),
            role: "Data Protection Officer".into(),
            email: Some("dpo@eastbrook.gov.example".into()),
            phone: Some("01632 960 410".into()),
        }),
    }
}

fn contact() -> ContactDetails {
    ContactDetails {
        name: "Rosa Okafor".into(),
        role: "IT Security Officer".into(),
        email: Some("rosa.okafor@eastbrook-incident.example".into()),
        phone: Some("07700 900 123".into()),
    }
}

struct Fixture {
    policy: BreachPolicy,
    incident: Incident,
    organisation: Organisation,
    contact: ContactDetails,
    services: Vec<AffectedService>,
    tasks: Vec<Task>,
    notes: Vec<Note>,
    observables: Vec<Observable>,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            policy: BreachPolicy::embedded().unwrap_or_else(|e| panic!("{e}")),
            incident: incident(),
            organisation: organisation(),
            contact: contact(),
            services: services(),
            tasks: tasks(),
            notes: notes(),
            observables: observables(),
        }
    }

    fn input<'a>(&'a self, breach: Option<&'a Breach>, generated_at: &str) -> ReportInput<'a> {
        ReportInput {
            policy: &self.policy,
            incident: &self.incident,
            tenant: EASTBROOK,
            organisation: &self.organisation,
            contact: &self.contact,
            services: &self.services,
            tasks: &self.tasks,
            notes: &self.notes,
            observables: &self.observables,
            breach,
            generated_at: utc(generated_at),
        }
    }
}

fn check_golden(name: &str, report: &Report) {
    let text = report.to_text();
    assert!(!text.contains("WESTMERE"), "{name}: another council's records leaked into the report");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read {}: {e} (run with UPDATE_GOLDEN=1 to create it)", path.display()));
    if text != want {
        let line = text.lines().zip(want.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
        panic!(
            "{name} differs from the golden file (first difference at line {line}); \
             rerun with UPDATE_GOLDEN=1 and review the diff.\n--- got ---\n{text}"
        );
    }
}

#[test]
fn ico_initial_report() {
    let f = Fixture::new();
    let breach = breach_initial();
    let report = ico_report(IcoReportKind::Initial, &f.input(Some(&breach), "2025-03-31T09:50:00Z"))
        .unwrap_or_else(|e| panic!("{e}"));
    let missing: Vec<&str> = report.missing_fields().into_iter().map(|(_, label)| label).collect();
    assert_eq!(
        missing,
        ["Recovery time", "Training details", "Measures to prevent a recurrence", "Details of others told",]
    );
    check_golden("ico-initial.txt", &report);
}

#[test]
fn ico_follow_up_report() {
    let f = Fixture::new();
    let breach = breach_followup();
    let report = ico_report(IcoReportKind::FollowUp, &f.input(Some(&breach), "2025-04-07T08:00:00Z"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.missing_fields(), Vec::<(&str, &str)>::new());
    let text = report.to_text();
    assert!(text.contains("ICO case reference: IC-384512-K7Q2"));
    assert!(text.contains("Reasons for reporting after 72 hours: Not applicable"));
    check_golden("ico-follow-up.txt", &report);
}

#[test]
fn ncsc_report_text() {
    let f = Fixture::new();
    // As it stood an hour after the initial ICO report.
    let mut breach = breach_initial();
    breach.ico_reported_at = Some(utc("2025-03-31T10:15:00Z"));
    breach.ico_reference = Some("IC-384512-K7Q2".into());
    let report = ncsc_report(&f.input(Some(&breach), "2025-03-31T11:00:00Z")).unwrap_or_else(|e| panic!("{e}"));
    let text = report.to_text();
    assert!(text.contains("Email (from an uncompromised system): rosa.okafor@eastbrook-incident.example"));
    assert!(text.contains("4: Substantial incident."));
    assert!(text.contains("hxxps://eastbrook-council-files[.]example/sso/login[.]php"));
    assert!(!text.contains("https://eastbrook"), "links are defanged");
    check_golden("ncsc.txt", &report);
}

#[test]
fn an_unassessed_breach_report_marks_everything_still_to_answer() {
    let f = Fixture::new();
    let breach = Breach::new(41, EASTBROOK, utc("2025-03-28T10:30:00Z"));
    let report = ico_report(IcoReportKind::Initial, &f.input(Some(&breach), "2025-03-28T11:00:00Z"))
        .unwrap_or_else(|e| panic!("{e}"));
    let missing: Vec<&str> = report.missing_fields().into_iter().map(|(_, l)| l).collect();
    for label in [
        "What happened",
        "When we became aware",
        "Deadline (72 hours after becoming aware)",
        "Categories of personal data",
        "Approximate number of people",
        "Our assessment of the risk",
        "Recovery time",
    ] {
        assert!(missing.contains(&label), "{label} should be missing: {missing:?}");
    }
    assert!(report.to_text().contains("What happened: [not yet answered]"));
}

#[test]
fn a_late_report_asks_for_reasons() {
    let f = Fixture::new();
    let mut breach = breach_initial();
    let text = |b: &Breach| {
        ico_report(IcoReportKind::Initial, &f.input(Some(b), "2025-04-01T09:00:00Z"))
            .unwrap_or_else(|e| panic!("{e}"))
            .to_text()
    };
    let t = text(&breach);
    assert!(t.contains("Reporting status: Not yet reported; overdue by 16 h 30 min"), "{t}");
    assert!(t.contains("Reasons for reporting after 72 hours: [not yet answered]"), "{t}");
    breach.late_reason = Some("The audit log export from the supplier took four days.".into());
    let t = text(&breach);
    assert!(t.contains("Reasons for reporting after 72 hours: The audit log export from the supplier took four days."));
}

#[test]
fn reports_refuse_records_of_the_wrong_tenant_or_incident() {
    let f = Fixture::new();
    let westmere_breach = Breach::new(41, WESTMERE, utc("2025-03-28T10:30:00Z"));
    let err = ico_report(IcoReportKind::Initial, &f.input(Some(&westmere_breach), "2025-03-31T09:50:00Z"));
    assert!(matches!(err, Err(ww_respond::ReportError::BreachMismatch { .. })));
    assert!(matches!(
        ico_report(IcoReportKind::Initial, &f.input(None, "2025-03-31T09:50:00Z")),
        Err(ww_respond::ReportError::NoBreach { .. })
    ));
    let mut input = f.input(None, "2025-03-31T09:50:00Z");
    input.tenant = TenantId(99);
    assert!(matches!(ncsc_report(&input), Err(ww_respond::ReportError::TenantNotInIncident { .. })));
}

#[test]
fn a_report_describes_the_incident_as_it_stood_when_generated() {
    let f = Fixture::new();
    let report = ncsc_report(&f.input(None, "2025-03-28T12:00:00Z")).unwrap_or_else(|e| panic!("{e}"));
    let text = report.to_text();
    assert!(text.contains("Parking permits and appeals: Unavailable since 28 Mar 2025 11:00 GMT"), "{text}");
    assert!(text.contains("Actions completed:\n  - 28 Mar 2025 10:41 GMT"), "{text}");
    assert!(!text.contains("Review appeals system audit log for records viewed or exported (r.okafor)"), "{text}");
    assert!(
        text.contains("Planned actions: Review appeals system audit log for records viewed or exported\n"),
        "{text}"
    );
    assert!(!text.contains("Appeals system audit log: 1 export"), "a later note is left out: {text}");
    assert!(text.contains("Personal data: No personal data breach recorded"), "{text}");
    assert!(text.contains("Other organisations informed: [not yet answered]"), "{text}");
}
