//! Backend-independent parts of incident-response storage: input validation, the rules that turn
//! a request into stored values (incident updates, service status changes, the public status
//! rows), row decoding and audit entries. Both backends call these, so the two differ only in
//! their SQL.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use crate::*;

pub(crate) const MAX_TITLE: usize = 300;
pub(crate) const MAX_TEXT: usize = 20_000;
pub(crate) const MAX_NAME: usize = 200;
/// Largest evidence file the store accepts (the web layer should refuse earlier).
pub(crate) const MAX_EVIDENCE_BYTES: usize = 100 * 1024 * 1024;
const MAX_FILENAME: usize = 200;

// --- validation ------------------------------------------------------------------------------

/// Text given by people: 1..=max bytes, no NUL (PostgreSQL text cannot hold one, so both
/// backends refuse it alike).
pub(crate) fn check_text(what: &str, s: &str, max: usize) -> Result<()> {
    if s.is_empty() || s.len() > max {
        return Err(StoreError::Invalid(format!("{what} must be 1..={max} bytes")));
    }
    if s.contains('\0') {
        return Err(StoreError::Invalid(format!("{what} must not contain NUL")));
    }
    Ok(())
}

pub(crate) fn check_opt(what: &str, s: Option<&str>, max: usize) -> Result<()> {
    s.map_or(Ok(()), |s| check_text(what, s, max))
}

pub(crate) fn check_new_incident(n: &NewIncident) -> Result<()> {
    check_text("incident title", &n.title, MAX_TITLE)?;
    if n.summary.len() > MAX_TEXT || n.summary.contains('\0') {
        return Err(StoreError::Invalid(format!("incident summary must be at most {MAX_TEXT} bytes without NUL")));
    }
    check_opt("incident owner", n.owner.as_deref(), MAX_NAME)
}

pub(crate) fn check_ncsc(c: Option<u8>) -> Result<()> {
    match c {
        Some(c) if !(1..=6).contains(&c) => Err(StoreError::Invalid("NCSC category must be 1..=6".into())),
        _ => Ok(()),
    }
}

pub(crate) fn check_task(t: &NewTask) -> Result<()> {
    check_text("task title", &t.title, MAX_TITLE)?;
    check_opt("task assignee", t.assignee.as_deref(), MAX_NAME)
}

pub(crate) fn check_observable(o: &NewObservable) -> Result<()> {
    check_text("observable value", &o.value, 2048)?;
    check_opt("observable note", o.note.as_deref(), MAX_TEXT)
}

pub(crate) fn check_prefs(p: &NotificationPrefs) -> Result<()> {
    check_opt("email address", p.email.as_deref(), 254)?;
    check_opt("webhook URL", p.webhook_url.as_deref(), 2048)
}

pub(crate) fn check_breach(b: &Breach) -> Result<()> {
    for (what, v) in [
        ("aware decided by", &b.aware_decided_by),
        ("aware reason", &b.aware_reason),
        ("risk", &b.risk),
        ("ICO decision reason", &b.ico_decision_reason),
        ("ICO decided by", &b.ico_decided_by),
        ("individuals reason", &b.individuals_reason),
        ("ICO reference", &b.ico_reference),
        ("late reason", &b.late_reason),
    ] {
        check_opt(what, v.as_deref(), MAX_TEXT)?;
    }
    Ok(())
}

/// The stored form of an uploaded evidence file: (sanitised filename, lower-case hex SHA-256).
pub(crate) fn check_evidence(e: &NewEvidence) -> Result<(String, String)> {
    if e.bytes.len() > MAX_EVIDENCE_BYTES {
        return Err(StoreError::Invalid(format!("evidence file larger than {MAX_EVIDENCE_BYTES} bytes")));
    }
    check_text("evidence content type", &e.content_type, 255)?;
    check_opt("evidence description", e.description.as_deref(), MAX_TEXT)?;
    Ok((sanitise_filename(&e.filename), sha256_hex(&e.bytes)))
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The uploader's file name reduced to a safe base name: the last path component (either
/// separator), control characters dropped, leading dots and spaces trimmed (no hidden files, no
/// `..`), at most 200 bytes; `evidence` when nothing is left.
pub(crate) fn sanitise_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let trimmed = cleaned.trim().trim_start_matches(['.', ' ']);
    let mut out = String::with_capacity(trimmed.len().min(MAX_FILENAME));
    for c in trimmed.chars() {
        if out.len() + c.len_utf8() > MAX_FILENAME {
            break;
        }
        out.push(c);
    }
    if out.is_empty() { "evidence".into() } else { out }
}

// --- scope rules -----------------------------------------------------------------------------

/// A child record's tenant must be one the caller may see and one the incident spans; anything
/// else is NotFound (as if the incident had no part for that tenant).
pub(crate) fn check_child_tenant(scope: &TenantScope, inc: &Incident, tenant: TenantId) -> Result<()> {
    if scope.contains(tenant) && inc.tenants.contains(&tenant) { Ok(()) } else { Err(StoreError::NotFound) }
}

/// The tenant an audit entry about the incident headline is filed under: the owner when the
/// caller sees it, else the caller's first tenant among the incident's.
pub(crate) fn acting_tenant(scope: &TenantScope, inc: &Incident) -> TenantId {
    if scope.contains(inc.tenant) {
        return inc.tenant;
    }
    inc.tenants.iter().copied().find(|t| scope.contains(*t)).unwrap_or(inc.tenant)
}

// --- state changes ---------------------------------------------------------------------------

/// Applies a partial update; returns the names of the fields that changed. `closed_at` follows
/// the status: set when it becomes closed, cleared when reopened.
pub(crate) fn apply_update(inc: &mut Incident, u: &IncidentUpdate, now: Timestamp) -> Result<Vec<&'static str>> {
    let mut changed = Vec::new();
    if let Some(t) = &u.title {
        check_text("incident title", t, MAX_TITLE)?;
        if *t != inc.title {
            inc.title = t.clone();
            changed.push("title");
        }
    }
    if let Some(s) = &u.summary {
        if s.len() > MAX_TEXT || s.contains('\0') {
            return Err(StoreError::Invalid(format!("incident summary must be at most {MAX_TEXT} bytes without NUL")));
        }
        if *s != inc.summary {
            inc.summary = s.clone();
            changed.push("summary");
        }
    }
    if let Some(c) = u.category.filter(|c| *c != inc.category) {
        inc.category = c;
        changed.push("category");
    }
    if let Some(o) = u.origin.filter(|o| *o != inc.origin) {
        inc.origin = o;
        changed.push("origin");
    }
    if let Some(s) = u.severity.filter(|s| *s != inc.severity) {
        inc.severity = s;
        changed.push("severity");
    }
    if let Some(s) = u.status.filter(|s| *s != inc.status) {
        inc.closed_at = if s == IncidentStatus::Closed { Some(now) } else { None };
        inc.status = s;
        changed.push("status");
    }
    if let Some(o) = &u.owner {
        check_opt("incident owner", o.as_deref(), MAX_NAME)?;
        if *o != inc.owner {
            inc.owner = o.clone();
            changed.push("owner");
        }
    }
    if let Some(c) = u.ncsc_category {
        check_ncsc(c)?;
        if c != inc.ncsc_category {
            inc.ncsc_category = c;
            changed.push("ncsc_category");
        }
    }
    if !changed.is_empty() {
        inc.updated_at = now;
    }
    Ok(changed)
}

/// A service row's stored state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServiceState {
    pub status: ServiceStatus,
    pub affected_since: Timestamp,
    pub status_since: Timestamp,
    pub restored_at: Option<Timestamp>,
}

/// The state after setting `status` at `at`: a new row starts affected at `at`; the status time
/// moves only when the status changes; `restored_at` is set on Restored and cleared when the
/// service goes down again.
pub(crate) fn next_service_state(current: Option<ServiceState>, status: ServiceStatus, at: Timestamp) -> ServiceState {
    let restored_at =
        |prev: Option<Timestamp>| if status == ServiceStatus::Restored { prev.or(Some(at)) } else { None };
    match current {
        None => ServiceState { status, affected_since: at, status_since: at, restored_at: restored_at(None) },
        Some(c) if c.status == status => c,
        Some(c) => ServiceState {
            status,
            affected_since: c.affected_since.min(at),
            status_since: at,
            restored_at: restored_at(None),
        },
    }
}

/// Merges a tenant's service rows (across incidents) into one public line per service name: the
/// worst current status wins (down, then degraded, then restored); `affected_since` is the
/// earliest; `status_since` and `restored_at` come from the rows with the winning status (the
/// earliest start, the latest restoration). Sorted by service name.
pub(crate) fn merge_public_status(rows: Vec<PublicServiceStatus>) -> Vec<PublicServiceStatus> {
    let mut out: std::collections::BTreeMap<String, PublicServiceStatus> = std::collections::BTreeMap::new();
    for r in rows {
        match out.get_mut(&r.service) {
            None => {
                out.insert(r.service.clone(), r);
            }
            Some(m) => {
                let affected = m.affected_since.min(r.affected_since);
                if r.status < m.status {
                    *m = r;
                } else if r.status == m.status {
                    m.status_since = m.status_since.min(r.status_since);
                    m.restored_at = m.restored_at.max(r.restored_at);
                }
                m.affected_since = affected;
            }
        }
    }
    out.into_values().collect()
}

// --- audit -----------------------------------------------------------------------------------

pub(crate) fn audit_entry(
    actor: &Actor,
    tenant: TenantId,
    action: &str,
    target: String,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry { at: Utc::now(), actor: actor.clone(), tenant: Some(tenant), action: action.into(), target, detail }
}

pub(crate) fn incident_target(id: i64) -> String {
    format!("incident:{id}")
}

// --- row decoding ----------------------------------------------------------------------------

/// Typed column access shared by both backends' rows.
pub(crate) trait Cols {
    fn i64(&self, i: usize) -> Result<i64>;
    fn opt_i64(&self, i: usize) -> Result<Option<i64>>;
    fn text(&self, i: usize) -> Result<String>;
    fn opt_text(&self, i: usize) -> Result<Option<String>>;
    fn opt_bool(&self, i: usize) -> Result<Option<bool>>;
    fn ts(&self, i: usize) -> Result<Timestamp> {
        from_us(self.i64(i)?)
    }
    fn opt_ts(&self, i: usize) -> Result<Option<Timestamp>> {
        self.opt_i64(i)?.map(from_us).transpose()
    }
    fn bool(&self, i: usize) -> Result<bool> {
        Ok(self.opt_bool(i)?.unwrap_or(false))
    }
}

macro_rules! impl_cols {
    ($row:ty) => {
        impl Cols for $row {
            fn i64(&self, i: usize) -> Result<i64> {
                self.try_get(i).map_err(|source| StoreError::Db { op: "decode row", source })
            }
            fn opt_i64(&self, i: usize) -> Result<Option<i64>> {
                self.try_get(i).map_err(|source| StoreError::Db { op: "decode row", source })
            }
            fn text(&self, i: usize) -> Result<String> {
                self.try_get(i).map_err(|source| StoreError::Db { op: "decode row", source })
            }
            fn opt_text(&self, i: usize) -> Result<Option<String>> {
                self.try_get(i).map_err(|source| StoreError::Db { op: "decode row", source })
            }
            fn opt_bool(&self, i: usize) -> Result<Option<bool>> {
                self.try_get(i).map_err(|source| StoreError::Db { op: "decode row", source })
            }
        }
    };
}
impl_cols!(SqliteRow);
impl_cols!(PgRow);

pub(crate) fn us(t: &Timestamp) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_us(v: i64) -> Result<Timestamp> {
    DateTime::<Utc>::from_timestamp_micros(v).ok_or_else(|| StoreError::Invalid("stored timestamp out of range".into()))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Invalid(format!("stored value not understood: {what}"))
}

fn parse_enum<T>(s: String, parse: fn(&str) -> Option<T>, what: &str) -> Result<T> {
    parse(&s).ok_or_else(|| corrupt(what))
}

/// `i.id … i.closed_at` then the comma-separated tenant ids (column 14); each backend supplies
/// the aggregate for the last column.
pub(crate) const INCIDENT_COLUMNS: &str = "i.id, i.tenant_id, i.title, i.summary, i.category, i.origin, i.severity, \
                                           i.status, i.owner, i.ncsc_category, i.created_at, i.created_by, \
                                           i.updated_at, i.closed_at";

pub(crate) fn incident_from_row(r: &impl Cols) -> Result<Incident> {
    let mut tenants = Vec::new();
    for t in r.opt_text(14)?.unwrap_or_default().split(',').filter(|t| !t.is_empty()) {
        tenants.push(TenantId(t.trim().parse().map_err(|_| corrupt("incident tenants"))?));
    }
    tenants.sort();
    tenants.dedup();
    Ok(Incident {
        id: r.i64(0)?,
        tenant: TenantId(r.i64(1)?),
        tenants,
        title: r.text(2)?,
        summary: r.text(3)?,
        category: parse_enum(r.text(4)?, IncidentCategory::parse, "incident category")?,
        origin: parse_enum(r.text(5)?, IncidentOrigin::parse, "incident origin")?,
        severity: parse_enum(r.text(6)?, IncidentSeverity::parse, "incident severity")?,
        status: parse_enum(r.text(7)?, IncidentStatus::parse, "incident status")?,
        owner: r.opt_text(8)?,
        ncsc_category: r.opt_i64(9)?.map(|c| u8::try_from(c).map_err(|_| corrupt("NCSC category"))).transpose()?,
        created_at: r.ts(10)?,
        created_by: r.text(11)?,
        updated_at: r.ts(12)?,
        closed_at: r.opt_ts(13)?,
    })
}

pub(crate) const TASK_COLUMNS: &str =
    "id, incident_id, tenant_id, title, assignee, due, done_at, done_by, created_at, created_by";

pub(crate) fn task_from_row(r: &impl Cols) -> Result<Task> {
    Ok(Task {
        id: r.i64(0)?,
        incident_id: r.i64(1)?,
        tenant: TenantId(r.i64(2)?),
        title: r.text(3)?,
        assignee: r.opt_text(4)?,
        due: r.opt_ts(5)?,
        done_at: r.opt_ts(6)?,
        done_by: r.opt_text(7)?,
        created_at: r.ts(8)?,
        created_by: r.text(9)?,
    })
}

pub(crate) const OBSERVABLE_COLUMNS: &str = "id, incident_id, tenant_id, kind, value, note, added_at, added_by";

pub(crate) fn observable_from_row(r: &impl Cols) -> Result<Observable> {
    Ok(Observable {
        id: r.i64(0)?,
        incident_id: r.i64(1)?,
        tenant: TenantId(r.i64(2)?),
        kind: parse_enum(r.text(3)?, ObservableKind::parse, "observable kind")?,
        value: r.text(4)?,
        note: r.opt_text(5)?,
        added_at: r.ts(6)?,
        added_by: r.text(7)?,
    })
}

pub(crate) const EVIDENCE_COLUMNS: &str =
    "id, incident_id, tenant_id, filename, content_type, size, sha256, description, uploaded_at, uploaded_by";

pub(crate) fn evidence_from_row(r: &impl Cols) -> Result<Evidence> {
    Ok(Evidence {
        id: r.i64(0)?,
        incident_id: r.i64(1)?,
        tenant: TenantId(r.i64(2)?),
        filename: r.text(3)?,
        content_type: r.text(4)?,
        size: u64::try_from(r.i64(5)?).map_err(|_| corrupt("evidence size"))?,
        sha256: r.text(6)?,
        description: r.opt_text(7)?,
        uploaded_at: r.ts(8)?,
        uploaded_by: r.text(9)?,
    })
}

pub(crate) const NOTE_COLUMNS: &str = "id, incident_id, tenant_id, body, author, at";

pub(crate) fn note_from_row(r: &impl Cols) -> Result<Note> {
    Ok(Note {
        id: r.i64(0)?,
        incident_id: r.i64(1)?,
        tenant: TenantId(r.i64(2)?),
        body: r.text(3)?,
        author: r.text(4)?,
        at: r.ts(5)?,
    })
}

pub(crate) const SERVICE_COLUMNS: &str =
    "id, incident_id, tenant_id, service, status, affected_since, status_since, restored_at";

/// A service row without its history (the caller fills it).
pub(crate) fn service_from_row(r: &impl Cols) -> Result<AffectedService> {
    Ok(AffectedService {
        id: r.i64(0)?,
        incident_id: r.i64(1)?,
        tenant: TenantId(r.i64(2)?),
        service: r.text(3)?,
        status: parse_enum(r.text(4)?, ServiceStatus::parse, "service status")?,
        affected_since: r.ts(5)?,
        status_since: r.ts(6)?,
        restored_at: r.opt_ts(7)?,
        history: Vec::new(),
    })
}

pub(crate) fn service_state(s: &AffectedService) -> ServiceState {
    ServiceState {
        status: s.status,
        affected_since: s.affected_since,
        status_since: s.status_since,
        restored_at: s.restored_at,
    }
}

/// `service_id, at, status, by_actor`.
pub(crate) fn service_change_from_row(r: &impl Cols) -> Result<(i64, ServiceChange)> {
    Ok((
        r.i64(0)?,
        ServiceChange {
            at: r.ts(1)?,
            status: parse_enum(r.text(2)?, ServiceStatus::parse, "service status")?,
            by: r.text(3)?,
        },
    ))
}

/// `service, status, affected_since, status_since, restored_at`.
pub(crate) fn public_status_from_row(r: &impl Cols) -> Result<PublicServiceStatus> {
    Ok(PublicServiceStatus {
        service: r.text(0)?,
        status: parse_enum(r.text(1)?, ServiceStatus::parse, "service status")?,
        affected_since: r.ts(2)?,
        status_since: r.ts(3)?,
        restored_at: r.opt_ts(4)?,
    })
}

pub(crate) const BREACH_COLUMNS: &str = "b.incident_id, b.tenant_id, b.occurred_at, b.detected_at, b.aware_at, \
                                         b.aware_decided_by, b.aware_reason, b.answers, b.risk, b.report_to_ico, \
                                         b.ico_decision_reason, b.ico_decided_by, b.ico_decided_at, \
                                         b.tell_individuals, b.individuals_reason, b.ico_reported_at, \
                                         b.ico_reference, b.ico_followup_at, b.late_reason, b.created_at, \
                                         b.updated_at";

pub(crate) fn answers_json(b: &Breach) -> Result<String> {
    serde_json::to_string(&b.answers).map_err(|_| StoreError::Invalid("breach answers are not JSON".into()))
}

pub(crate) fn breach_from_row(r: &impl Cols) -> Result<Breach> {
    let answers = r.text(7)?;
    Ok(Breach {
        incident_id: r.i64(0)?,
        tenant: TenantId(r.i64(1)?),
        occurred_at: r.opt_ts(2)?,
        detected_at: r.opt_ts(3)?,
        aware_at: r.opt_ts(4)?,
        aware_decided_by: r.opt_text(5)?,
        aware_reason: r.opt_text(6)?,
        answers: serde_json::from_str(&answers).map_err(|_| corrupt("breach answers"))?,
        risk: r.opt_text(8)?,
        report_to_ico: r.opt_bool(9)?,
        ico_decision_reason: r.opt_text(10)?,
        ico_decided_by: r.opt_text(11)?,
        ico_decided_at: r.opt_ts(12)?,
        tell_individuals: r.opt_bool(13)?,
        individuals_reason: r.opt_text(14)?,
        ico_reported_at: r.opt_ts(15)?,
        ico_reference: r.opt_text(16)?,
        ico_followup_at: r.opt_ts(17)?,
        late_reason: r.opt_text(18)?,
        created_at: r.ts(19)?,
        updated_at: r.ts(20)?,
    })
}

/// Breach columns, then the incident's title and status.
pub(crate) fn breach_log_from_row(r: &impl Cols) -> Result<BreachLogEntry> {
    Ok(BreachLogEntry {
        breach: breach_from_row(r)?,
        incident_title: r.text(21)?,
        incident_status: parse_enum(r.text(22)?, IncidentStatus::parse, "incident status")?,
    })
}

/// What the audit log keeps of a breach change: decisions, never the answers' text.
pub(crate) fn breach_detail(b: &Breach) -> serde_json::Value {
    serde_json::json!({
        "risk": b.risk,
        "report_to_ico": b.report_to_ico,
        "tell_individuals": b.tell_individuals,
        "aware": b.aware_at.is_some(),
        "reported": b.ico_reported_at.is_some(),
        "answers": b.answers.len(),
    })
}

/// `blocked, events, serious_alerts, open_alerts, open_incidents`.
pub(crate) fn dashboard_from_row(r: &impl Cols) -> Result<DashboardCounts> {
    let n = |i: usize| -> Result<u64> { Ok(u64::try_from(r.i64(i)?).unwrap_or(0)) };
    Ok(DashboardCounts {
        blocked: n(0)?,
        events: n(1)?,
        serious_alerts: n(2)?,
        open_alerts: n(3)?,
        open_incidents: n(4)?,
    })
}

/// `user_id, email, webhook_url, serious_alerts, incident_assigned, tasks_due, ico_deadlines`.
pub(crate) fn prefs_from_row(r: &impl Cols) -> Result<NotificationPrefs> {
    Ok(NotificationPrefs {
        user_id: r.i64(0)?,
        email: r.opt_text(1)?,
        webhook_url: r.opt_text(2)?,
        serious_alerts: r.bool(3)?,
        incident_assigned: r.bool(4)?,
        tasks_due: r.bool(5)?,
        ico_deadlines: r.bool(6)?,
    })
}

/// Attaches history rows (`(service_id, change)`, oldest first) to their services.
pub(crate) fn attach_history(services: &mut [AffectedService], history: Vec<(i64, ServiceChange)>) {
    for (sid, ch) in history {
        if let Some(s) = services.iter_mut().find(|s| s.id == sid) {
            s.history.push(ch);
        }
    }
}

/// Values of a firewall-ish `action` field that mean the traffic was stopped (compared
/// lower-cased). See `Store::dashboard_counts`.
pub(crate) const BLOCK_ACTIONS: &[&str] =
    &["deny", "denied", "drop", "dropped", "block", "blocked", "reject", "rejected"];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> Timestamp {
        Utc.timestamp_opt(1_700_000_000 + s, 0).single().unwrap_or_default()
    }

    #[test]
    fn filenames_lose_paths_and_controls() {
        assert_eq!(sanitise_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitise_filename("C:\\Users\\bob\\report.pdf"), "report.pdf");
        assert_eq!(sanitise_filename("..\u{0}"), "evidence");
        assert_eq!(sanitise_filename(".hidden\n.txt"), "hidden.txt");
        assert_eq!(sanitise_filename(""), "evidence");
        assert_eq!(sanitise_filename(&"é".repeat(300)).len(), 200);
    }

    #[test]
    fn sha256_is_lower_hex() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn service_state_follows_changes() {
        let down = next_service_state(None, ServiceStatus::Down, t(0));
        assert_eq!((down.affected_since, down.status_since, down.restored_at), (t(0), t(0), None));
        assert_eq!(next_service_state(Some(down), ServiceStatus::Down, t(5)), down);
        let up = next_service_state(Some(down), ServiceStatus::Restored, t(10));
        assert_eq!((up.affected_since, up.status_since, up.restored_at), (t(0), t(10), Some(t(10))));
        let again = next_service_state(Some(up), ServiceStatus::Degraded, t(20));
        assert_eq!((again.affected_since, again.status_since, again.restored_at), (t(0), t(20), None));
    }

    #[test]
    fn public_rows_keep_the_worst_status_per_service() {
        let row = |name: &str, status, since: i64, restored: Option<i64>| PublicServiceStatus {
            service: name.into(),
            status,
            affected_since: t(since),
            status_since: t(since + 1),
            restored_at: restored.map(t),
        };
        let merged = merge_public_status(vec![
            row("Payments", ServiceStatus::Restored, 0, Some(50)),
            row("Payments", ServiceStatus::Degraded, 10, None),
            row("Planning", ServiceStatus::Restored, 5, Some(40)),
            row("Planning", ServiceStatus::Restored, 3, Some(60)),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(
            (merged[0].status, merged[0].affected_since, merged[0].status_since),
            (ServiceStatus::Degraded, t(0), t(11))
        );
        assert_eq!((merged[1].affected_since, merged[1].restored_at), (t(3), Some(t(60))));
    }

    #[test]
    fn updates_track_closure() {
        let mut inc = Incident {
            id: 1,
            tenant: TenantId(1),
            tenants: vec![TenantId(1)],
            title: "x".into(),
            summary: String::new(),
            category: IncidentCategory::Phishing,
            origin: IncidentOrigin::Malicious,
            severity: IncidentSeverity::Low,
            status: IncidentStatus::Open,
            owner: None,
            ncsc_category: None,
            created_at: t(0),
            created_by: "a".into(),
            updated_at: t(0),
            closed_at: None,
        };
        let close = IncidentUpdate { status: Some(IncidentStatus::Closed), ..Default::default() };
        assert_eq!(apply_update(&mut inc, &close, t(9)).ok(), Some(vec!["status"]));
        assert_eq!(inc.closed_at, Some(t(9)));
        let reopen = IncidentUpdate {
            status: Some(IncidentStatus::Investigating),
            owner: Some(Some("bob".into())),
            ..Default::default()
        };
        assert_eq!(apply_update(&mut inc, &reopen, t(10)).ok(), Some(vec!["status", "owner"]));
        assert_eq!((inc.closed_at, inc.updated_at), (None, t(10)));
        assert!(
            apply_update(&mut inc, &IncidentUpdate { ncsc_category: Some(Some(7)), ..Default::default() }, t(11))
                .is_err()
        );
    }
}
