//! Incident response records: incidents, their tasks, observables, evidence, notes, the council
//! services they affect, and personal-data breach records.
//!
//! Plain data shared by `ww-store` (which persists it), `ww-respond` (breach policy, clocks,
//! regulator reports, timelines: pure functions) and `ww-web` (pages and API). No I/O here.
//!
//! Tenancy: an incident belongs to one owning tenant and may span more tenants of a shared
//! service (`tenants`). Every child record (task, note, evidence, affected service, breach...)
//! carries the tenant it belongs to, so each council sees the shared incident's headline plus only
//! its own records.

use serde::{Deserialize, Serialize};

use crate::alert::TenantId;
use crate::time::Timestamp;

/// Declares a plain enum that is stored and sent as a snake_case string, with `as_str`,
/// `parse`, `ALL` and a human `label`. One way to do it, so enums cannot drift from their
/// stored spelling.
#[macro_export]
macro_rules! str_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = ($text:literal, $label:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stored and wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            /// Words for people (pages and reports).
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

str_enum! {
    /// What kind of incident this is. Accidental ones (misdirected email, lost device) are
    /// incidents too: most personal-data breaches at councils are accidental.
    pub enum IncidentCategory {
        Phishing = ("phishing", "Phishing"),
        Malware = ("malware", "Malware"),
        Ransomware = ("ransomware", "Ransomware"),
        AccountCompromise = ("account_compromise", "Account compromise"),
        UnauthorisedAccess = ("unauthorised_access", "Unauthorised access"),
        DenialOfService = ("denial_of_service", "Denial of service"),
        WebAttack = ("web_attack", "Web application attack"),
        DataExposure = ("data_exposure", "Data exposure"),
        MisdirectedData = ("misdirected_data", "Misdirected email or post"),
        LostDevice = ("lost_device", "Lost or stolen device or paperwork"),
        InsiderMisuse = ("insider_misuse", "Misuse by staff"),
        SystemFailure = ("system_failure", "System failure"),
        Other = ("other", "Other"),
    }
}

str_enum! {
    /// Whether someone meant harm. Both kinds run through the same process.
    pub enum IncidentOrigin {
        Malicious = ("malicious", "Malicious"),
        Accidental = ("accidental", "Accidental"),
        Unknown = ("unknown", "Not yet known"),
    }
}

str_enum! {
    pub enum IncidentSeverity {
        Low = ("low", "Low"),
        Medium = ("medium", "Medium"),
        High = ("high", "High"),
        Critical = ("critical", "Critical"),
    }
}

str_enum! {
    pub enum IncidentStatus {
        Open = ("open", "Open"),
        Investigating = ("investigating", "Investigating"),
        Contained = ("contained", "Contained"),
        Recovering = ("recovering", "Recovering"),
        Closed = ("closed", "Closed"),
    }
}

impl IncidentStatus {
    pub fn is_open(self) -> bool {
        self != IncidentStatus::Closed
    }
}

/// An incident's headline, shared by every tenant it spans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: i64,
    /// The tenant that opened it (its reference is `INC-<id>`).
    pub tenant: TenantId,
    /// Every tenant it spans, the owner included, sorted.
    pub tenants: Vec<TenantId>,
    pub title: String,
    pub summary: String,
    pub category: IncidentCategory,
    pub origin: IncidentOrigin,
    pub severity: IncidentSeverity,
    pub status: IncidentStatus,
    /// Username of the incident lead.
    pub owner: Option<String>,
    /// NCSC national incident category, 1 (national emergency) to 6 (localised), when assessed.
    pub ncsc_category: Option<u8>,
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    pub closed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewIncident {
    pub tenant: TenantId,
    pub title: String,
    pub summary: String,
    pub category: IncidentCategory,
    pub origin: IncidentOrigin,
    pub severity: IncidentSeverity,
    pub owner: Option<String>,
}

/// A partial update: `None` leaves a field unchanged. `owner: Some(None)` clears the owner.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IncidentUpdate {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub category: Option<IncidentCategory>,
    pub origin: Option<IncidentOrigin>,
    pub severity: Option<IncidentSeverity>,
    pub status: Option<IncidentStatus>,
    pub owner: Option<Option<String>>,
    pub ncsc_category: Option<Option<u8>>,
}

/// Incident list filter; newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentQuery {
    /// Empty means every status but closed.
    pub statuses: Vec<IncidentStatus>,
    /// Only incidents with a possible personal-data breach record.
    pub breach_only: bool,
    pub limit: u32,
    pub cursor: Option<String>,
}

/// Work to do within an incident ("reset passwords of all staff who opened the link").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: i64,
    pub incident_id: i64,
    pub tenant: TenantId,
    pub title: String,
    pub assignee: Option<String>,
    pub due: Option<Timestamp>,
    pub done_at: Option<Timestamp>,
    pub done_by: Option<String>,
    pub created_at: Timestamp,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTask {
    pub tenant: TenantId,
    pub title: String,
    pub assignee: Option<String>,
    pub due: Option<Timestamp>,
}

str_enum! {
    pub enum ObservableKind {
        Ip = ("ip", "IP address"),
        Domain = ("domain", "Domain"),
        Url = ("url", "URL"),
        Email = ("email", "Email address"),
        Hash = ("hash", "File hash"),
        Account = ("account", "Account"),
        Host = ("host", "Host"),
        Other = ("other", "Other"),
    }
}

/// An indicator an analyst pivots on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observable {
    pub id: i64,
    pub incident_id: i64,
    pub tenant: TenantId,
    pub kind: ObservableKind,
    pub value: String,
    pub note: Option<String>,
    pub added_at: Timestamp,
    pub added_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewObservable {
    pub tenant: TenantId,
    pub kind: ObservableKind,
    pub value: String,
    pub note: Option<String>,
}

/// An uploaded evidence file's record. The bytes are stored beside it and served back only as a
/// download to users who may see the incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub id: i64,
    pub incident_id: i64,
    pub tenant: TenantId,
    /// The uploader's file name, sanitised (no path separators or control characters).
    pub filename: String,
    /// What the uploader's browser said; never used to render the file.
    pub content_type: String,
    pub size: u64,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    pub description: Option<String>,
    pub uploaded_at: Timestamp,
    pub uploaded_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvidence {
    pub tenant: TenantId,
    pub filename: String,
    pub content_type: String,
    pub description: Option<String>,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub id: i64,
    pub incident_id: i64,
    pub tenant: TenantId,
    pub body: String,
    pub author: String,
    pub at: Timestamp,
}

str_enum! {
    /// A council service's state as residents see it.
    pub enum ServiceStatus {
        Down = ("down", "Unavailable"),
        Degraded = ("degraded", "Partly available"),
        Restored = ("restored", "Restored"),
    }
}

/// A council service an incident affects (planning portal, council tax payments...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffectedService {
    pub id: i64,
    pub incident_id: i64,
    pub tenant: TenantId,
    /// The name residents know it by; shown on the public status page.
    pub service: String,
    pub status: ServiceStatus,
    /// When it was first affected in this incident.
    pub affected_since: Timestamp,
    /// When the current status began.
    pub status_since: Timestamp,
    pub restored_at: Option<Timestamp>,
    pub history: Vec<ServiceChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceChange {
    pub at: Timestamp,
    pub status: ServiceStatus,
    pub by: String,
}

/// One line of a tenant's public status page: a service name, its status and times. Nothing else
/// about the incident (no titles, no notes) is ever exposed without login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicServiceStatus {
    pub service: String,
    pub status: ServiceStatus,
    pub affected_since: Timestamp,
    pub status_since: Timestamp,
    pub restored_at: Option<Timestamp>,
}

/// A possible personal-data breach (UK GDPR Art. 33/34) for one tenant of an incident: each
/// council is its own controller, so a shared incident has one breach record per council.
///
/// The assessment answers are keyed by the question ids of the breach policy (`ww-respond`'s
/// data file), so the questions can change with the guidance without a schema change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breach {
    pub incident_id: i64,
    pub tenant: TenantId,
    /// When the breach happened (or began), if known.
    pub occurred_at: Option<Timestamp>,
    /// When it was detected.
    pub detected_at: Option<Timestamp>,
    /// When the council became aware (reasonably certain personal data was compromised): the
    /// 72-hour ICO clock runs from here.
    pub aware_at: Option<Timestamp>,
    /// Who decided the council was aware, and why.
    pub aware_decided_by: Option<String>,
    pub aware_reason: Option<String>,
    /// Answers to the policy's assessment questions: question id → string, number or list.
    pub answers: serde_json::Map<String, serde_json::Value>,
    /// The policy's risk option id (e.g. `unlikely`, `risk`, `high`).
    pub risk: Option<String>,
    /// Whether to report to the ICO, and why; who decided and when.
    pub report_to_ico: Option<bool>,
    pub ico_decision_reason: Option<String>,
    pub ico_decided_by: Option<String>,
    pub ico_decided_at: Option<Timestamp>,
    /// Whether the people affected must be told (Art. 34), and why.
    pub tell_individuals: Option<bool>,
    pub individuals_reason: Option<String>,
    /// When the initial report went to the ICO, its case reference, and any follow-up.
    pub ico_reported_at: Option<Timestamp>,
    pub ico_reference: Option<String>,
    pub ico_followup_at: Option<Timestamp>,
    /// Reasons for reporting after the deadline (Art. 33(1)).
    pub late_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Breach {
    /// A fresh record for `tenant`'s part of `incident_id`, nothing assessed yet.
    pub fn new(incident_id: i64, tenant: TenantId, now: Timestamp) -> Self {
        Breach {
            incident_id,
            tenant,
            occurred_at: None,
            detected_at: None,
            aware_at: None,
            aware_decided_by: None,
            aware_reason: None,
            answers: serde_json::Map::new(),
            risk: None,
            report_to_ico: None,
            ico_decision_reason: None,
            ico_decided_by: None,
            ico_decided_at: None,
            tell_individuals: None,
            individuals_reason: None,
            ico_reported_at: None,
            ico_reference: None,
            ico_followup_at: None,
            late_reason: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// One line of a tenant's breach log (Art. 33(5)): every breach, reported or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreachLogEntry {
    pub incident_title: String,
    pub incident_status: IncidentStatus,
    pub breach: Breach,
}

/// A user's notification settings. Channels are off until the user gives an address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPrefs {
    pub user_id: i64,
    pub email: Option<String>,
    /// An HTTPS (or loopback HTTP) URL that receives a JSON POST per notification.
    pub webhook_url: Option<String>,
    pub serious_alerts: bool,
    pub incident_assigned: bool,
    pub tasks_due: bool,
    pub ico_deadlines: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_enum_round_trips_every_variant() {
        for c in IncidentCategory::ALL {
            assert_eq!(IncidentCategory::parse(c.as_str()), Some(*c));
            assert_eq!(serde_json::to_value(c).ok(), Some(serde_json::Value::String(c.as_str().into())));
        }
        for s in ServiceStatus::ALL {
            assert_eq!(ServiceStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(IncidentSeverity::parse("catastrophic"), None);
        assert_eq!(ObservableKind::Ip.label(), "IP address");
    }
}
