//! The words of each notification. Pure functions of the records they are about.

use serde_json::json;
use ww_core::alert::TenantId;
use ww_core::incident::{Incident, Task};
use ww_core::time::{Timestamp, format_london_minutes, format_utc};

use crate::{Message, NotificationKind};

/// Where the console lives (e.g. `https://wardwatch.council.gov.uk`), for links in messages.
/// Without it, messages carry no link.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    pub base_url: Option<String>,
}

impl Links {
    fn to(&self, path: &str) -> Option<String> {
        self.base_url.as_deref().map(|b| format!("{}{path}", b.trim_end_matches('/')))
    }
}

/// What a serious-alert message says about the alert: deliberately no entity (user names and
/// addresses stay in the console).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSummary {
    pub id: i64,
    pub tenant: TenantId,
    pub tenant_name: String,
    pub rule_title: String,
    pub level: String,
    pub score: u8,
    pub host: Option<String>,
    pub first_seen: Timestamp,
}

pub fn serious_alert(a: &AlertSummary, links: &Links) -> Message {
    let host = a.host.as_deref().map(|h| format!(" on {h}")).unwrap_or_default();
    Message {
        kind: NotificationKind::SeriousAlert,
        key: format!("alert:{}", a.id),
        subject: format!("[wardwatch] Serious alert at {}: {}{host}", a.tenant_name, a.rule_title),
        text: format!(
            "A serious alert needs triage.\n\nCouncil: {}\nRule: {}\nLevel: {}\nTriage score: {}/100\nHost: {}\nFirst seen: {}",
            a.tenant_name,
            a.rule_title,
            a.level,
            a.score,
            a.host.as_deref().unwrap_or("-"),
            format_london_minutes(&a.first_seen),
        ),
        link: links.to(&format!("/console/alerts/{}?tenant={}", a.id, a.tenant)),
        data: json!({
            "alert_id": a.id, "tenant": a.tenant, "tenant_name": a.tenant_name, "rule_title": a.rule_title,
            "level": a.level, "score": a.score, "host": a.host, "first_seen": format_utc(&a.first_seen),
        }),
    }
}

pub fn incident_assigned(i: &Incident, by: &str, links: &Links) -> Message {
    Message {
        kind: NotificationKind::IncidentAssigned,
        // Once per (incident, lead): the server polls incidents and may see the same owner often.
        key: format!("incident-owner:{}:{}", i.id, i.owner.as_deref().unwrap_or("-")),
        subject: format!("[wardwatch] INC-{} assigned to you: {}", i.id, i.title),
        text: format!(
            "{by} made you the lead of incident INC-{}.\n\nTitle: {}\nSeverity: {}\nStatus: {}\nCategory: {}",
            i.id,
            i.title,
            i.severity.label(),
            i.status.label(),
            i.category.label(),
        ),
        link: links.to(&format!("/console/incidents/{}", i.id)),
        data: json!({
            "incident_id": i.id, "title": i.title, "severity": i.severity, "status": i.status, "assigned_by": by,
        }),
    }
}

pub fn task_due(t: &Task, incident_title: &str, now: Timestamp, links: &Links) -> Message {
    let Some(due) = t.due else {
        // Callers pass only tasks with a due date; say so plainly if one slips through.
        return Message {
            kind: NotificationKind::TaskDue,
            key: format!("task-due:{}", t.id),
            subject: format!("[wardwatch] Task on INC-{}: {}", t.incident_id, t.title),
            text: format!("Task: {}\nIncident: INC-{} {}", t.title, t.incident_id, incident_title),
            link: links.to(&format!("/console/incidents/{}#tasks", t.incident_id)),
            data: json!({ "task_id": t.id, "incident_id": t.incident_id, "title": t.title }),
        };
    };
    let overdue = due <= now;
    Message {
        kind: NotificationKind::TaskDue,
        // Once when it falls due soon, once more when it is overdue.
        key: format!("task-{}:{}", if overdue { "overdue" } else { "due" }, t.id),
        subject: format!(
            "[wardwatch] Task {} on INC-{}: {}",
            if overdue { "overdue" } else { "due soon" },
            t.incident_id,
            t.title
        ),
        text: format!(
            "Task: {}\nIncident: INC-{} {}\nDue: {}\nAssignee: {}",
            t.title,
            t.incident_id,
            incident_title,
            format_london_minutes(&due),
            t.assignee.as_deref().unwrap_or("-"),
        ),
        link: links.to(&format!("/console/incidents/{}#tasks", t.incident_id)),
        data: json!({
            "task_id": t.id, "incident_id": t.incident_id, "title": t.title, "due": format_utc(&due), "overdue": overdue,
        }),
    }
}

/// How close an ICO deadline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcoStage {
    /// Inside the warning window (24 hours by default).
    Warning,
    Overdue,
}

pub struct IcoDeadline<'a> {
    pub incident_id: i64,
    pub incident_title: &'a str,
    pub tenant: TenantId,
    pub tenant_name: &'a str,
    pub deadline: Timestamp,
    pub stage: IcoStage,
    /// e.g. "23 h 10 min left" or "overdue by 2 h 5 min".
    pub remaining: &'a str,
}

pub fn ico_deadline(d: &IcoDeadline<'_>, links: &Links) -> Message {
    let (stage, headline) = match d.stage {
        IcoStage::Warning => {
            ("warning", "The 72-hour deadline to report this personal-data breach to the ICO is near.")
        }
        IcoStage::Overdue => (
            "overdue",
            "The 72-hour deadline to report this personal-data breach to the ICO has passed. A late report must give the reasons for the delay.",
        ),
    };
    Message {
        kind: NotificationKind::IcoDeadline,
        key: format!("ico-{stage}:{}:{}", d.incident_id, d.tenant),
        subject: format!("[wardwatch] ICO deadline {}: INC-{} at {}", d.remaining, d.incident_id, d.tenant_name),
        text: format!(
            "{headline}\n\nIncident: INC-{} {}\nCouncil: {}\nDeadline: {}\nTime: {}",
            d.incident_id,
            d.incident_title,
            d.tenant_name,
            format_london_minutes(&d.deadline),
            d.remaining,
        ),
        link: links.to(&format!("/console/incidents/{}/breach?tenant={}", d.incident_id, d.tenant)),
        data: json!({
            "incident_id": d.incident_id, "tenant": d.tenant, "tenant_name": d.tenant_name,
            "deadline": format_utc(&d.deadline), "stage": stage, "remaining": d.remaining,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0).single().expect("valid time")
    }

    #[test]
    fn serious_alert_names_rule_and_host_but_not_entity() {
        let a = AlertSummary {
            id: 42,
            tenant: TenantId(3),
            tenant_name: "Northshire".into(),
            rule_title: "Password spraying against VPN".into(),
            level: "high".into(),
            score: 81,
            host: Some("vpn01".into()),
            first_seen: t(9),
        };
        let m = serious_alert(&a, &Links { base_url: Some("https://ww.example/".into()) });
        assert_eq!(m.key, "alert:42");
        assert!(m.subject.contains("Password spraying against VPN on vpn01"));
        assert_eq!(m.link.as_deref(), Some("https://ww.example/console/alerts/42?tenant=3"));
        assert!(serious_alert(&a, &Links::default()).link.is_none());
    }

    #[test]
    fn task_keys_differ_between_due_and_overdue() {
        let task = Task {
            id: 5,
            incident_id: 9,
            tenant: TenantId(1),
            title: "Reset passwords of staff who opened the link".into(),
            assignee: Some("sam".into()),
            due: Some(t(12)),
            done_at: None,
            done_by: None,
            created_at: t(8),
            created_by: "user:alex".into(),
        };
        let soon = task_due(&task, "Phishing", t(10), &Links::default());
        let late = task_due(&task, "Phishing", t(13), &Links::default());
        assert_ne!(soon.key, late.key);
        assert!(late.subject.contains("overdue"));
    }

    #[test]
    fn ico_keys_are_per_stage_and_tenant() {
        let mut d = IcoDeadline {
            incident_id: 7,
            incident_title: "Parking appeals exposure",
            tenant: TenantId(2),
            tenant_name: "Southby",
            deadline: t(18),
            stage: IcoStage::Warning,
            remaining: "20 h left",
        };
        let w = ico_deadline(&d, &Links::default());
        d.stage = IcoStage::Overdue;
        let o = ico_deadline(&d, &Links::default());
        assert_eq!(w.key, "ico-warning:7:2");
        assert_eq!(o.key, "ico-overdue:7:2");
        assert!(o.text.contains("reasons for the delay"));
    }
}
