//! The incident timeline: everything that happened, from every record, in time order.
//!
//! Entries are plain data for the web layer to render. Order is by time; entries with equal
//! times keep the order they were given in (the sort is stable), and [`incident_timeline`] gives
//! them in a fixed order (incident, breach milestones, services, tasks, observables, evidence,
//! notes, then the caller's extra entries), so the same records always give the same timeline.

use serde::{Deserialize, Serialize};
use ww_core::alert::TenantId;
use ww_core::incident::{AffectedService, Breach, Evidence, Incident, IncidentStatus, Note, Observable, Task};
use ww_core::str_enum;
use ww_core::time::Timestamp;

str_enum! {
    pub enum TimelineKind {
        IncidentCreated = ("incident_created", "Incident opened"),
        StatusChanged = ("status_changed", "Status changed"),
        IncidentClosed = ("incident_closed", "Incident closed"),
        TaskCreated = ("task_created", "Task added"),
        TaskDone = ("task_done", "Task done"),
        ObservableAdded = ("observable_added", "Observable added"),
        EvidenceUploaded = ("evidence_uploaded", "Evidence uploaded"),
        Note = ("note", "Note"),
        ServiceChanged = ("service_changed", "Service status"),
        BreachOccurred = ("breach_occurred", "Breach happened"),
        BreachDetected = ("breach_detected", "Breach detected"),
        BreachAware = ("breach_aware", "Became aware of breach"),
        IcoDecision = ("ico_decision", "ICO reporting decision"),
        IcoReported = ("ico_reported", "Reported to the ICO"),
        IcoFollowUp = ("ico_follow_up", "Follow-up report to the ICO"),
        Alert = ("alert", "Alert"),
        Event = ("event", "Event"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: Timestamp,
    pub kind: TimelineKind,
    pub title: String,
    pub detail: Option<String>,
    /// Whose record it came from (the incident's owner for headline entries).
    pub tenant: TenantId,
}

impl TimelineEntry {
    pub fn new(at: Timestamp, kind: TimelineKind, tenant: TenantId, title: impl Into<String>) -> Self {
        TimelineEntry { at, kind, title: title.into(), detail: None, tenant }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        let d = detail.into();
        self.detail = if d.trim().is_empty() { None } else { Some(d) };
        self
    }

    /// A status change, for callers that keep the incident's status history.
    pub fn status_change(
        at: Timestamp,
        tenant: TenantId,
        from: IncidentStatus,
        to: IncidentStatus,
        by: Option<&str>,
    ) -> Self {
        let e =
            TimelineEntry::new(at, TimelineKind::StatusChanged, tenant, format!("{} → {}", from.label(), to.label()));
        match by {
            Some(by) => e.with_detail(format!("by {by}")),
            None => e,
        }
    }
}

/// `entries` in time order; equal times keep their given order.
pub fn timeline(mut entries: Vec<TimelineEntry>) -> Vec<TimelineEntry> {
    entries.sort_by_key(|e| e.at);
    entries
}

/// The timeline of one incident from its records. Records of other incidents are left out; the
/// caller passes records already filtered to what the viewer may see (tenant scope). Status
/// changes, alerts and events come in `extra`.
#[allow(clippy::too_many_arguments)]
pub fn incident_timeline(
    incident: &Incident,
    tasks: &[Task],
    observables: &[Observable],
    evidence: &[Evidence],
    notes: &[Note],
    services: &[AffectedService],
    breaches: &[Breach],
    extra: Vec<TimelineEntry>,
) -> Vec<TimelineEntry> {
    let id = incident.id;
    let mut out = Vec::new();
    out.push(
        TimelineEntry::new(incident.created_at, TimelineKind::IncidentCreated, incident.tenant, incident.title.trim())
            .with_detail(format!("{} opened by {}", incident.category.label(), incident.created_by)),
    );
    if let Some(at) = incident.closed_at {
        out.push(TimelineEntry::new(at, TimelineKind::IncidentClosed, incident.tenant, "Incident closed"));
    }
    for b in breaches.iter().filter(|b| b.incident_id == id) {
        breach_entries(b, &mut out);
    }
    for s in services.iter().filter(|s| s.incident_id == id) {
        if s.history.is_empty() {
            out.push(TimelineEntry::new(
                s.affected_since,
                TimelineKind::ServiceChanged,
                s.tenant,
                format!("{}: {}", s.service, s.status.label()),
            ));
        }
        for h in &s.history {
            out.push(
                TimelineEntry::new(
                    h.at,
                    TimelineKind::ServiceChanged,
                    s.tenant,
                    format!("{}: {}", s.service, h.status.label()),
                )
                .with_detail(format!("by {}", h.by)),
            );
        }
    }
    for t in tasks.iter().filter(|t| t.incident_id == id) {
        let mut created = TimelineEntry::new(t.created_at, TimelineKind::TaskCreated, t.tenant, t.title.trim());
        created = match &t.assignee {
            Some(a) => created.with_detail(format!("added by {}, assigned to {a}", t.created_by)),
            None => created.with_detail(format!("added by {}", t.created_by)),
        };
        out.push(created);
        if let Some(done) = t.done_at {
            let e = TimelineEntry::new(done, TimelineKind::TaskDone, t.tenant, t.title.trim());
            out.push(match &t.done_by {
                Some(by) => e.with_detail(format!("done by {by}")),
                None => e,
            });
        }
    }
    for o in observables.iter().filter(|o| o.incident_id == id) {
        out.push(
            TimelineEntry::new(
                o.added_at,
                TimelineKind::ObservableAdded,
                o.tenant,
                format!("{}: {}", o.kind.label(), o.value),
            )
            .with_detail(o.note.clone().unwrap_or_default()),
        );
    }
    for e in evidence.iter().filter(|e| e.incident_id == id) {
        let mut detail = format!("{} bytes, SHA-256 {}, uploaded by {}", e.size, e.sha256, e.uploaded_by);
        if let Some(d) = e.description.as_ref().filter(|d| !d.trim().is_empty()) {
            detail = format!("{}; {detail}", d.trim());
        }
        out.push(
            TimelineEntry::new(e.uploaded_at, TimelineKind::EvidenceUploaded, e.tenant, e.filename.clone())
                .with_detail(detail),
        );
    }
    for n in notes.iter().filter(|n| n.incident_id == id) {
        out.push(
            TimelineEntry::new(n.at, TimelineKind::Note, n.tenant, format!("Note by {}", n.author))
                .with_detail(n.body.trim()),
        );
    }
    out.extend(extra);
    timeline(out)
}

fn breach_entries(b: &Breach, out: &mut Vec<TimelineEntry>) {
    let t = b.tenant;
    if let Some(at) = b.occurred_at {
        out.push(TimelineEntry::new(at, TimelineKind::BreachOccurred, t, "Personal data breach began"));
    }
    if let Some(at) = b.detected_at {
        out.push(TimelineEntry::new(at, TimelineKind::BreachDetected, t, "Personal data breach detected"));
    }
    if let Some(at) = b.aware_at {
        let mut detail = String::new();
        if let Some(by) = &b.aware_decided_by {
            detail.push_str(&format!("decided by {by}"));
        }
        if let Some(why) = b.aware_reason.as_ref().filter(|w| !w.trim().is_empty()) {
            if !detail.is_empty() {
                detail.push_str(": ");
            }
            detail.push_str(why.trim());
        }
        out.push(
            TimelineEntry::new(
                at,
                TimelineKind::BreachAware,
                t,
                "Became aware of a personal data breach (ICO clock starts)",
            )
            .with_detail(detail),
        );
    }
    if let (Some(at), Some(report)) = (b.ico_decided_at, b.report_to_ico) {
        let title = if report { "Decided to report to the ICO" } else { "Decided not to report to the ICO" };
        let mut detail = b.ico_decision_reason.clone().unwrap_or_default();
        if let Some(by) = &b.ico_decided_by {
            detail = if detail.trim().is_empty() { format!("by {by}") } else { format!("by {by}: {}", detail.trim()) };
        }
        out.push(TimelineEntry::new(at, TimelineKind::IcoDecision, t, title).with_detail(detail));
    }
    if let Some(at) = b.ico_reported_at {
        let e = TimelineEntry::new(at, TimelineKind::IcoReported, t, "Initial report sent to the ICO");
        out.push(match &b.ico_reference {
            Some(r) => e.with_detail(format!("case reference {r}")),
            None => e,
        });
    }
    if let Some(at) = b.ico_followup_at {
        out.push(TimelineEntry::new(at, TimelineKind::IcoFollowUp, t, "Follow-up report sent to the ICO"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ww_core::incident::{
        IncidentCategory, IncidentOrigin, IncidentSeverity, ObservableKind, ServiceChange, ServiceStatus,
    };

    fn utc(s: &str) -> Timestamp {
        ww_core::time::parse_utc(s).unwrap_or_else(|| panic!("bad test time {s}"))
    }

    const T1: TenantId = TenantId(1);
    const T2: TenantId = TenantId(2);

    fn incident() -> Incident {
        Incident {
            id: 5,
            tenant: T1,
            tenants: vec![T1, T2],
            title: "Phishing".into(),
            summary: String::new(),
            category: IncidentCategory::Phishing,
            origin: IncidentOrigin::Malicious,
            severity: IncidentSeverity::High,
            status: IncidentStatus::Investigating,
            owner: None,
            ncsc_category: None,
            created_at: utc("2025-03-10T09:00:00Z"),
            created_by: "sam".into(),
            updated_at: utc("2025-03-10T09:00:00Z"),
            closed_at: None,
        }
    }

    fn task(id: i64, incident_id: i64, created: &str, done: Option<&str>) -> Task {
        Task {
            id,
            incident_id,
            tenant: T1,
            title: format!("task {id}"),
            assignee: None,
            due: None,
            done_at: done.map(utc),
            done_by: done.map(|_| "ali".to_owned()),
            created_at: utc(created),
            created_by: "sam".into(),
        }
    }

    #[test]
    fn sorts_by_time_and_keeps_given_order_for_equal_times() {
        let at = utc("2025-03-10T10:00:00Z");
        let entries = vec![
            TimelineEntry::new(utc("2025-03-10T11:00:00Z"), TimelineKind::Event, T1, "late"),
            TimelineEntry::new(at, TimelineKind::Alert, T1, "first of equal"),
            TimelineEntry::new(utc("2025-03-10T09:00:00Z"), TimelineKind::Event, T1, "early"),
            TimelineEntry::new(at, TimelineKind::Event, T1, "second of equal"),
            TimelineEntry::new(at, TimelineKind::Note, T1, "third of equal"),
        ];
        let titles: Vec<String> = timeline(entries).into_iter().map(|e| e.title).collect();
        assert_eq!(titles, ["early", "first of equal", "second of equal", "third of equal", "late"]);
    }

    #[test]
    fn incident_timeline_merges_every_record_in_order() {
        let inc = incident();
        let tasks = vec![
            task(1, 5, "2025-03-10T09:05:00Z", Some("2025-03-10T12:00:00Z")),
            task(2, 5, "2025-03-10T09:05:00Z", None),
            task(3, 99, "2025-03-10T09:06:00Z", None), // another incident's task
        ];
        let observables = vec![Observable {
            id: 1,
            incident_id: 5,
            tenant: T1,
            kind: ObservableKind::Domain,
            value: "evil.example".into(),
            note: Some("sender domain".into()),
            added_at: utc("2025-03-10T09:30:00Z"),
            added_by: "sam".into(),
        }];
        let evidence = vec![Evidence {
            id: 1,
            incident_id: 5,
            tenant: T1,
            filename: "email.eml".into(),
            content_type: "message/rfc822".into(),
            size: 2048,
            sha256: "ab".repeat(32),
            description: Some("the phishing email".into()),
            uploaded_at: utc("2025-03-10T09:20:00Z"),
            uploaded_by: "sam".into(),
        }];
        let notes = vec![Note {
            id: 1,
            incident_id: 5,
            tenant: T2,
            body: "Our staff got it too".into(),
            author: "jo".into(),
            at: utc("2025-03-10T09:05:00Z"),
        }];
        let services = vec![AffectedService {
            id: 1,
            incident_id: 5,
            tenant: T1,
            service: "Email".into(),
            status: ServiceStatus::Restored,
            affected_since: utc("2025-03-10T10:00:00Z"),
            status_since: utc("2025-03-10T13:00:00Z"),
            restored_at: Some(utc("2025-03-10T13:00:00Z")),
            history: vec![
                ServiceChange { at: utc("2025-03-10T10:00:00Z"), status: ServiceStatus::Down, by: "sam".into() },
                ServiceChange { at: utc("2025-03-10T13:00:00Z"), status: ServiceStatus::Restored, by: "sam".into() },
            ],
        }];
        let mut breach = Breach::new(5, T1, utc("2025-03-10T09:40:00Z"));
        breach.occurred_at = Some(utc("2025-03-09T16:00:00Z"));
        breach.detected_at = Some(utc("2025-03-10T08:50:00Z"));
        breach.aware_at = Some(utc("2025-03-10T11:00:00Z"));
        breach.aware_decided_by = Some("dpo".into());
        breach.aware_reason = Some("log shows records opened".into());
        breach.report_to_ico = Some(true);
        breach.ico_decided_at = Some(utc("2025-03-11T09:00:00Z"));
        breach.ico_decided_by = Some("dpo".into());
        breach.ico_reported_at = Some(utc("2025-03-11T15:00:00Z"));
        breach.ico_reference = Some("IC-1".into());
        let extra = vec![
            TimelineEntry::status_change(
                utc("2025-03-10T12:00:00Z"),
                T1,
                IncidentStatus::Investigating,
                IncidentStatus::Contained,
                Some("sam"),
            ),
            TimelineEntry::new(utc("2025-03-10T08:45:00Z"), TimelineKind::Alert, T1, "Suspicious sign-in"),
        ];
        let tl = incident_timeline(&inc, &tasks, &observables, &evidence, &notes, &services, &[breach], extra);
        let got: Vec<(String, TimelineKind, String)> =
            tl.iter().map(|e| (e.at.format("%d %H:%M").to_string(), e.kind, e.title.clone())).collect();
        let want = [
            ("09 16:00", TimelineKind::BreachOccurred, "Personal data breach began"),
            ("10 08:45", TimelineKind::Alert, "Suspicious sign-in"),
            ("10 08:50", TimelineKind::BreachDetected, "Personal data breach detected"),
            ("10 09:00", TimelineKind::IncidentCreated, "Phishing"),
            ("10 09:05", TimelineKind::TaskCreated, "task 1"),
            ("10 09:05", TimelineKind::TaskCreated, "task 2"),
            ("10 09:05", TimelineKind::Note, "Note by jo"),
            ("10 09:20", TimelineKind::EvidenceUploaded, "email.eml"),
            ("10 09:30", TimelineKind::ObservableAdded, "Domain: evil.example"),
            ("10 10:00", TimelineKind::ServiceChanged, "Email: Unavailable"),
            ("10 11:00", TimelineKind::BreachAware, "Became aware of a personal data breach (ICO clock starts)"),
            ("10 12:00", TimelineKind::TaskDone, "task 1"),
            ("10 12:00", TimelineKind::StatusChanged, "Investigating → Contained"),
            ("10 13:00", TimelineKind::ServiceChanged, "Email: Restored"),
            ("11 09:00", TimelineKind::IcoDecision, "Decided to report to the ICO"),
            ("11 15:00", TimelineKind::IcoReported, "Initial report sent to the ICO"),
        ];
        let want: Vec<(String, TimelineKind, String)> =
            want.iter().map(|(a, k, t)| ((*a).to_owned(), *k, (*t).to_owned())).collect();
        assert_eq!(got, want);
        assert_eq!(tl[2].tenant, T1);
        assert_eq!(tl[6].tenant, T2, "a note keeps its own tenant");
        assert_eq!(tl[10].detail.as_deref(), Some("decided by dpo: log shows records opened"));
        assert_eq!(tl[15].detail.as_deref(), Some("case reference IC-1"));
        assert!(tl[7].detail.as_deref().is_some_and(|d| d.starts_with("the phishing email; 2048 bytes")));
        // The same records give the same timeline.
        let again = incident_timeline(&inc, &tasks, &observables, &evidence, &notes, &services, &[], vec![]);
        assert_eq!(again.len(), 9);
    }

    #[test]
    fn kinds_have_stable_spellings() {
        for k in TimelineKind::ALL {
            assert_eq!(TimelineKind::parse(k.as_str()), Some(*k));
        }
        let e = TimelineEntry::new(utc("2025-03-10T09:00:00Z"), TimelineKind::IcoReported, T1, "x");
        let v = serde_json::to_value(&e).unwrap_or_default();
        assert_eq!(v["kind"], serde_json::json!("ico_reported"));
    }
}
