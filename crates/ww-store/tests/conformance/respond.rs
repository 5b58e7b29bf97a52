//! Incident response over `&dyn Store`: incidents shared between tenants, child records seen only
//! by their tenant, evidence hashing, service status, breach records, notifications, dashboard.

use serde_json::json;
use ww_store::*;

use super::{ev, t, two_tenants, upsert};

fn alice() -> Actor {
    Actor::user("alice")
}

fn new_incident(tenant: TenantId, title: &str) -> NewIncident {
    NewIncident {
        tenant,
        title: title.into(),
        summary: "staff clicked a link".into(),
        category: IncidentCategory::Phishing,
        origin: IncidentOrigin::Malicious,
        severity: IncidentSeverity::High,
        owner: Some("alice".into()),
    }
}

fn task(tenant: TenantId, title: &str, due: Option<Timestamp>) -> NewTask {
    NewTask { tenant, title: title.into(), assignee: Some("bob".into()), due }
}

fn not_found<T: std::fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(StoreError::NotFound))
}

/// Tenant isolation and a shared incident: each tenant sees the headline and only its own
/// children; another tenant's ids are NotFound.
pub async fn shared_incident_isolation(s: &dyn Store) {
    let (a, b) = two_tenants(s).await;
    let (sa, sb, sab) = (TenantScope::one(a), TenantScope::one(b), TenantScope::new(vec![a, b]));
    let inc = s.create_incident(&new_incident(a, "Phishing wave"), &alice()).await.unwrap();
    assert_eq!(
        (inc.tenants.clone(), inc.status, inc.created_by.as_str()),
        (vec![a], IncidentStatus::Open, "user:alice")
    );
    assert!(inc.closed_at.is_none() && inc.ncsc_category.is_none());
    assert_eq!(s.get_incident(&sa, inc.id).await.unwrap().incident, inc);

    // B cannot see or touch A's incident.
    assert!(not_found(s.get_incident(&sb, inc.id).await));
    assert!(s.list_incidents(&sb, &IncidentQuery::default()).await.unwrap().items.is_empty());
    assert!(not_found(s.add_task(&sb, inc.id, &task(b, "x", None), &alice()).await));
    assert!(not_found(s.update_incident(&sb, inc.id, &IncidentUpdate::default(), &alice()).await));
    assert!(not_found(s.add_note(&sb, inc.id, b, "x", &alice()).await));
    assert!(not_found(s.add_incident_tenant(&sb, inc.id, b, &alice()).await));
    // A tenant the incident does not span cannot own a child, even for a caller seeing both.
    assert!(not_found(s.add_task(&sab, inc.id, &task(b, "x", None), &alice()).await));
    // Extending needs sight of the new tenant.
    assert!(not_found(s.add_incident_tenant(&sa, inc.id, b, &alice()).await));

    let task_a = s.add_task(&sa, inc.id, &task(a, "Reset passwords", Some(t(100))), &alice()).await.unwrap();
    assert_eq!((task_a.tenant, task_a.done_at, task_a.created_by.as_str()), (a, None, "user:alice"));

    let shared = s.add_incident_tenant(&sab, inc.id, b, &alice()).await.unwrap();
    assert_eq!(shared.tenants, vec![a, b]);
    assert_eq!(s.get_incident(&sb, inc.id).await.unwrap().incident.tenants, vec![a, b]);

    let task_b = s.add_task(&sb, inc.id, &task(b, "Block sender", Some(t(300))), &alice()).await.unwrap();
    assert!(not_found(s.add_task(&sb, inc.id, &task(a, "x", None), &alice()).await));
    s.add_note(&sa, inc.id, a, "A's note", &alice()).await.unwrap();
    s.add_note(&sb, inc.id, b, "B's note", &alice()).await.unwrap();
    s.add_observable(
        &sb,
        inc.id,
        &NewObservable { tenant: b, kind: ObservableKind::Domain, value: "evil.example".into(), note: None },
        &alice(),
    )
    .await
    .unwrap();
    s.upsert_breach(&sa, &Breach::new(inc.id, a, t(0)), &alice()).await.unwrap();
    s.upsert_breach(&sb, &Breach::new(inc.id, b, t(0)), &alice()).await.unwrap();
    assert!(not_found(s.upsert_breach(&sb, &Breach::new(inc.id, a, t(0)), &alice()).await));

    let da = s.get_incident(&sa, inc.id).await.unwrap();
    let db = s.get_incident(&sb, inc.id).await.unwrap();
    let dab = s.get_incident(&sab, inc.id).await.unwrap();
    assert_eq!(da.tasks.iter().map(|t| t.id).collect::<Vec<_>>(), vec![task_a.id]);
    assert_eq!(db.tasks.iter().map(|t| t.id).collect::<Vec<_>>(), vec![task_b.id]);
    assert_eq!(dab.tasks.len(), 2);
    assert_eq!(da.notes.iter().map(|n| n.body.as_str()).collect::<Vec<_>>(), vec!["A's note"]);
    assert_eq!(db.notes.iter().map(|n| n.body.as_str()).collect::<Vec<_>>(), vec!["B's note"]);
    assert_eq!((da.observables.len(), db.observables.len()), (0, 1));
    assert_eq!(da.breaches.iter().map(|b| b.tenant).collect::<Vec<_>>(), vec![a]);
    assert_eq!(db.breaches.iter().map(|b| b.tenant).collect::<Vec<_>>(), vec![b]);
    assert_eq!(dab.breaches.len(), 2);

    // Tasks: done / undone only within scope; the notifier's due list spans tenants.
    assert!(not_found(s.set_task_done(&sb, task_a.id, true, &alice()).await));
    let due = s.tasks_due(t(400)).await.unwrap();
    assert_eq!(due.iter().map(|t| t.id).collect::<Vec<_>>(), vec![task_a.id, task_b.id]);
    assert_eq!(s.tasks_due(t(200)).await.unwrap().iter().map(|t| t.id).collect::<Vec<_>>(), vec![task_a.id]);
    let done = s.set_task_done(&sa, task_a.id, true, &Actor::user("bob")).await.unwrap();
    assert!(done.done_at.is_some());
    assert_eq!(done.done_by.as_deref(), Some("user:bob"));
    assert!(s.tasks_due(t(200)).await.unwrap().is_empty());
    let undone = s.set_task_done(&sa, task_a.id, false, &alice()).await.unwrap();
    assert_eq!((undone.done_at, undone.done_by), (None, None));

    // Audit: in the same transactions, filed under the acting tenant, no text.
    let log = s.audit_log(&sa, 100, None).await.unwrap();
    let actions: Vec<&str> = log.items.iter().map(|r| r.entry.action.as_str()).collect();
    for want in ["incident.create", "task.add", "note.add", "breach.update", "task.done", "task.reopen"] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    assert!(log.items.iter().all(|r| r.entry.tenant == Some(a)));
    assert!(
        log.items
            .iter()
            .filter(|r| r.entry.action != "incident.tenant_add")
            .all(|r| r.entry.target == format!("incident:{}", inc.id))
    );
    assert!(!serde_json::to_string(&log.items).unwrap().contains("A's note"));
    let log_b = s.audit_log(&sb, 100, None).await.unwrap();
    assert!(log_b.items.iter().any(|r| r.entry.action == "incident.tenant_add"));
    assert!(log_b.items.iter().all(|r| r.entry.tenant == Some(b)));
}

/// Headline updates (closed_at follows status), list filters and cursor paging.
pub async fn incident_updates_and_listing(s: &dyn Store) {
    let (a, b) = two_tenants(s).await;
    let sa = TenantScope::one(a);
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(s.create_incident(&new_incident(a, &format!("inc {i}")), &alice()).await.unwrap().id);
    }
    s.create_incident(&new_incident(b, "B's own"), &alice()).await.unwrap();
    assert!(not_found(s.create_incident(&new_incident(TenantId(999), "nobody"), &alice()).await));

    let close = IncidentUpdate {
        status: Some(IncidentStatus::Closed),
        title: Some("inc 0 (resolved)".into()),
        owner: Some(None),
        ncsc_category: Some(Some(5)),
        ..Default::default()
    };
    let closed = s.update_incident(&sa, ids[0], &close, &alice()).await.unwrap();
    assert_eq!((closed.status, closed.owner.clone(), closed.ncsc_category), (IncidentStatus::Closed, None, Some(5)));
    assert!(closed.closed_at.is_some() && closed.updated_at >= closed.created_at);
    assert_eq!(s.get_incident(&sa, ids[0]).await.unwrap().incident, closed);
    assert!(matches!(
        s.update_incident(
            &sa,
            ids[0],
            &IncidentUpdate { ncsc_category: Some(Some(9)), ..Default::default() },
            &alice()
        )
        .await,
        Err(StoreError::Invalid(_))
    ));

    // Default list: open ones only, newest first, paged.
    let p1 = s.list_incidents(&sa, &IncidentQuery { limit: 1, ..Default::default() }).await.unwrap();
    assert_eq!(p1.items.iter().map(|i| i.id).collect::<Vec<_>>(), vec![ids[2]]);
    let p2 = s
        .list_incidents(&sa, &IncidentQuery { limit: 1, cursor: p1.next_cursor.clone(), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(p2.items.iter().map(|i| i.id).collect::<Vec<_>>(), vec![ids[1]]);
    assert!(p2.next_cursor.is_none());
    let closed_only = s
        .list_incidents(&sa, &IncidentQuery { statuses: vec![IncidentStatus::Closed], ..Default::default() })
        .await
        .unwrap();
    assert_eq!(closed_only.items.iter().map(|i| i.id).collect::<Vec<_>>(), vec![ids[0]]);

    let reopened = s
        .update_incident(
            &sa,
            ids[0],
            &IncidentUpdate { status: Some(IncidentStatus::Recovering), ..Default::default() },
            &alice(),
        )
        .await
        .unwrap();
    assert_eq!((reopened.status, reopened.closed_at), (IncidentStatus::Recovering, None));

    s.upsert_breach(&sa, &Breach::new(ids[1], a, t(0)), &alice()).await.unwrap();
    let breach_only = s.list_incidents(&sa, &IncidentQuery { breach_only: true, ..Default::default() }).await.unwrap();
    assert_eq!(breach_only.items.iter().map(|i| i.id).collect::<Vec<_>>(), vec![ids[1]]);
    assert!(s.list_incidents(&sa, &IncidentQuery { cursor: Some("junk".into()), ..Default::default() }).await.is_err());
}

/// Evidence: the store hashes and sanitises; bytes come back only within scope.
pub async fn evidence(s: &dyn Store) {
    let (a, b) = two_tenants(s).await;
    let (sa, sb) = (TenantScope::one(a), TenantScope::one(b));
    let inc = s.create_incident(&new_incident(a, "Lost laptop"), &alice()).await.unwrap();
    let new = |name: &str, bytes: &[u8]| NewEvidence {
        tenant: a,
        filename: name.into(),
        content_type: "application/pdf".into(),
        description: Some("the report".into()),
        bytes: bytes.to_vec(),
    };
    let e = s.add_evidence(&sa, inc.id, &new("../../etc/report.pdf", b"abc"), &alice()).await.unwrap();
    assert_eq!(e.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!((e.filename.as_str(), e.size, e.uploaded_by.as_str()), ("report.pdf", 3, "user:alice"));
    let binary: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let e2 = s.add_evidence(&sa, inc.id, &new("C:\\tmp\\dump\u{0}.bin", &binary), &alice()).await.unwrap();
    assert_eq!(e2.filename, "dump.bin");
    // Checked against the sha2 crate directly, not the store's helper.
    use sha2::Digest;
    assert_eq!(e2.sha256, hex::encode(sha2::Sha256::digest(&binary)));
    assert_eq!(e2.size, 70_000);
    let (got, bytes) = s.evidence_content(&sa, e2.id).await.unwrap();
    assert_eq!((got, bytes.len()), (e2.clone(), binary.len()));
    assert_eq!(bytes, binary);
    assert!(not_found(s.evidence_content(&sb, e2.id).await));
    assert!(not_found(s.add_evidence(&sb, inc.id, &new("x", b"x"), &alice()).await));
    let detail = s.get_incident(&sa, inc.id).await.unwrap();
    assert_eq!(detail.evidence, vec![e.clone(), e2.clone()]);
    let log = s.audit_log(&sa, 100, None).await.unwrap();
    let entry = log.items.iter().find(|r| r.entry.action == "evidence.add").unwrap();
    assert_eq!(entry.entry.target, format!("incident:{}", inc.id));
    assert!(!entry.entry.detail.to_string().contains("report"));
}

/// Service status: history, restored_at, and the public page's rows.
pub async fn services(s: &dyn Store) {
    let (a, b) = two_tenants(s).await;
    let (sa, sb) = (TenantScope::one(a), TenantScope::one(b));
    let inc = s.create_incident(&new_incident(a, "Ransomware"), &alice()).await.unwrap();
    let set = |id: i64, name: &'static str, st: ServiceStatus, at: i64| {
        let sa = sa.clone();
        async move { s.set_service_status(&sa, id, a, name, st, t(at), &alice()).await }
    };
    let down = set(inc.id, "Council tax payments", ServiceStatus::Down, 0).await.unwrap();
    assert_eq!((down.affected_since, down.status_since, down.restored_at), (t(0), t(0), None));
    set(inc.id, "Council tax payments", ServiceStatus::Degraded, 10).await.unwrap();
    let same = set(inc.id, "Council tax payments", ServiceStatus::Degraded, 12).await.unwrap();
    assert_eq!((same.status_since, same.history.len()), (t(10), 2));
    let up = set(inc.id, "Council tax payments", ServiceStatus::Restored, 20).await.unwrap();
    assert_eq!((up.affected_since, up.status_since, up.restored_at), (t(0), t(20), Some(t(20))));
    let again = set(inc.id, "Council tax payments", ServiceStatus::Down, 30).await.unwrap();
    assert_eq!((again.id, again.restored_at, again.status_since), (down.id, None, t(30)));
    let statuses: Vec<ServiceStatus> = again.history.iter().map(|h| h.status).collect();
    use ServiceStatus::*;
    assert_eq!(statuses, vec![Down, Degraded, Restored, Down]);
    assert!(again.history.iter().all(|h| h.by == "user:alice"));
    assert!(not_found(s.set_service_status(&sb, inc.id, b, "x", Down, t(0), &alice()).await));
    let detail = s.get_incident(&sa, inc.id).await.unwrap();
    assert_eq!(detail.services, vec![again.clone()]);

    // Another incident: the same service only degraded, and a restored one.
    let inc2 = s.create_incident(&new_incident(a, "DDoS"), &alice()).await.unwrap();
    set(inc2.id, "Council tax payments", Degraded, 5).await.unwrap();
    set(inc2.id, "Planning portal", Down, 5).await.unwrap();
    set(inc2.id, "Planning portal", Restored, 40).await.unwrap();
    // A closed incident's services no longer show as down.
    let inc3 = s.create_incident(&new_incident(a, "Old"), &alice()).await.unwrap();
    set(inc3.id, "Library booking", Down, 1).await.unwrap();
    s.update_incident(
        &sa,
        inc3.id,
        &IncidentUpdate { status: Some(IncidentStatus::Closed), ..Default::default() },
        &alice(),
    )
    .await
    .unwrap();
    // Tenant B's services never appear on A's page.
    let inc_b = s.create_incident(&new_incident(b, "B"), &alice()).await.unwrap();
    s.set_service_status(&sb, inc_b.id, b, "Bins", Down, t(0), &alice()).await.unwrap();

    let public = s.public_service_status(a, t(35)).await.unwrap();
    assert_eq!(public.len(), 2, "{public:?}");
    assert_eq!(
        public[0],
        PublicServiceStatus {
            service: "Council tax payments".into(),
            status: Down,
            affected_since: t(0),
            status_since: t(30),
            restored_at: None
        }
    );
    assert_eq!(
        (public[1].service.as_str(), public[1].status, public[1].restored_at),
        ("Planning portal", Restored, Some(t(40)))
    );
    let later = s.public_service_status(a, t(41)).await.unwrap();
    assert_eq!(later.iter().map(|p| p.service.as_str()).collect::<Vec<_>>(), vec!["Council tax payments"]);
    assert_eq!(s.public_service_status(b, t(0)).await.unwrap().len(), 1);
}

/// Breach records: upsert round trip (answers as JSON), created_at kept, clocks and the log.
pub async fn breaches(s: &dyn Store) {
    let (a, b) = two_tenants(s).await;
    let (sa, sb) = (TenantScope::one(a), TenantScope::one(b));
    let inc = s.create_incident(&new_incident(a, "Misdirected email"), &alice()).await.unwrap();
    let mut br = Breach::new(inc.id, a, t(0));
    br.occurred_at = Some(t(-100));
    br.detected_at = Some(t(-50));
    br.aware_at = Some(t(0));
    br.aware_decided_by = Some("user:alice".into());
    br.aware_reason = Some("confirmed recipient opened it".into());
    br.answers = json!({"categories": ["health", "contact"], "records": 120, "children": "unknown"})
        .as_object()
        .cloned()
        .unwrap();
    br.risk = Some("risk".into());
    let first = s.upsert_breach(&sa, &br, &alice()).await.unwrap();
    let mut expect = br.clone();
    expect.created_at = first.created_at;
    expect.updated_at = first.updated_at;
    assert_eq!(first, expect);
    assert_eq!(s.get_incident(&sa, inc.id).await.unwrap().breaches, vec![first.clone()]);
    assert_eq!(s.running_breach_clocks().await.unwrap(), vec![first.clone()]);

    // Decided not to report: the clock stops. created_at survives the update.
    let mut no = first.clone();
    no.report_to_ico = Some(false);
    no.ico_decision_reason = Some("unlikely to result in risk".into());
    no.created_at = t(9999);
    let second = s.upsert_breach(&sa, &no, &alice()).await.unwrap();
    assert_eq!(second.created_at, first.created_at);
    assert_eq!((second.report_to_ico, second.answers.clone()), (Some(false), first.answers.clone()));
    assert!(s.running_breach_clocks().await.unwrap().is_empty());
    // Reporting decided but not yet sent: running again; reported: stopped.
    let mut yes = second.clone();
    yes.report_to_ico = Some(true);
    s.upsert_breach(&sa, &yes, &alice()).await.unwrap();
    assert_eq!(s.running_breach_clocks().await.unwrap().len(), 1);
    yes.ico_reported_at = Some(t(3600));
    yes.ico_reference = Some("ICO/123".into());
    let reported = s.upsert_breach(&sa, &yes, &alice()).await.unwrap();
    assert_eq!(reported.ico_reference.as_deref(), Some("ICO/123"));
    assert!(s.running_breach_clocks().await.unwrap().is_empty());

    assert!(not_found(s.upsert_breach(&sb, &Breach::new(inc.id, b, t(0)), &alice()).await));
    let inc2 = s.create_incident(&new_incident(a, "Second"), &alice()).await.unwrap();
    s.upsert_breach(&sa, &Breach::new(inc2.id, a, t(0)), &alice()).await.unwrap();
    let log = s.breach_log(&sa).await.unwrap();
    assert_eq!(log.iter().map(|e| e.breach.incident_id).collect::<Vec<_>>(), vec![inc2.id, inc.id]);
    assert_eq!((log[1].incident_title.as_str(), log[1].incident_status), ("Misdirected email", IncidentStatus::Open));
    assert_eq!(log[1].breach, reported);
    assert!(s.breach_log(&sb).await.unwrap().is_empty());
    let audit = s.audit_log(&sa, 100, None).await.unwrap();
    let text = serde_json::to_string(&audit.items).unwrap();
    assert!(text.contains("breach.update") && !text.contains("recipient opened") && !text.contains("health"));
}

/// Alert assignment and linking alerts and events (which brings their tenant into the incident).
pub async fn alert_assign_and_link(s: &dyn Store) {
    let (a, b) = two_tenants(s).await;
    let (sa, sb, sab) = (TenantScope::one(a), TenantScope::one(b), TenantScope::new(vec![a, b]));
    let batch = WriteBatch {
        events: vec![
            ev(1, a, "fw", 0, Some("fw1"), Some("203.0.113.5"), None, "deny", json!({"action": "deny"})),
            ev(2, b, "fw", 1, Some("fw2"), Some("203.0.113.6"), None, "deny b", json!({})),
        ],
        alerts: vec![upsert(a, "r1", "203.0.113.5", 1, 0, 1, 80), upsert(b, "r1", "203.0.113.6", 2, 1, 1, 80)],
        ..Default::default()
    };
    s.write_batch(&batch).await.unwrap();
    let alert_a = s.list_alerts(&sa, &AlertQuery::default()).await.unwrap().items[0].clone();
    let alert_b = s.list_alerts(&sb, &AlertQuery::default()).await.unwrap().items[0].clone();
    assert_eq!((alert_a.assignee.clone(), alert_a.incident_id), (None, None));

    let assigned = s.assign_alert(&sa, alert_a.id, Some("bob"), &alice()).await.unwrap();
    assert_eq!(assigned.assignee.as_deref(), Some("bob"));
    assert_eq!(s.get_alert(&sa, alert_a.id).await.unwrap().alert.assignee.as_deref(), Some("bob"));
    assert!(not_found(s.assign_alert(&sb, alert_a.id, Some("eve"), &alice()).await));
    assert_eq!(s.assign_alert(&sa, alert_a.id, None, &alice()).await.unwrap().assignee, None);
    assert!(
        s.audit_log(&sa, 10, None)
            .await
            .unwrap()
            .items
            .iter()
            .any(|r| r.entry.action == "alert.assign" && r.entry.target == format!("alert:{}", alert_a.id))
    );

    // B's incident; a caller seeing both links A's alert: A joins the incident.
    let inc = s.create_incident(&new_incident(b, "Scan"), &alice()).await.unwrap();
    assert!(not_found(s.link_alert(&sb, inc.id, alert_a.id, &alice()).await));
    assert!(not_found(s.link_alert(&sa, inc.id, alert_a.id, &alice()).await));
    s.link_alert(&sab, inc.id, alert_a.id, &alice()).await.unwrap();
    s.link_alert(&sb, inc.id, alert_b.id, &alice()).await.unwrap();
    assert_eq!(s.get_alert(&sa, alert_a.id).await.unwrap().alert.incident_id, Some(inc.id));
    let da = s.get_incident(&sa, inc.id).await.unwrap();
    assert_eq!(da.incident.tenants, vec![a, b]);
    assert_eq!(da.alerts.iter().map(|x| x.id).collect::<Vec<_>>(), vec![alert_a.id]);
    let db = s.get_incident(&sb, inc.id).await.unwrap();
    assert_eq!(db.alerts.iter().map(|x| x.id).collect::<Vec<_>>(), vec![alert_b.id]);

    assert!(not_found(s.link_event(&sb, inc.id, 1, &alice()).await));
    s.link_event(&sa, inc.id, 1, &alice()).await.unwrap();
    s.link_event(&sa, inc.id, 1, &alice()).await.unwrap();
    s.link_event(&sb, inc.id, 2, &alice()).await.unwrap();
    assert_eq!(s.get_incident(&sa, inc.id).await.unwrap().events.iter().map(|e| e.id).collect::<Vec<_>>(), vec![1]);
    assert_eq!(s.get_incident(&sab, inc.id).await.unwrap().events.iter().map(|e| e.id).collect::<Vec<_>>(), vec![1, 2]);
    assert!(not_found(s.link_event(&sa, inc.id, 999, &alice()).await));
}

/// Notification settings, recipients per tenant, and dedupe of sent notifications.
pub async fn notifications(s: &dyn Store) {
    let (a, b) = two_tenants(s).await;
    let member_a = s.create_user("anna", "hash", None).await.unwrap();
    let member_b = s.create_user("ben", "hash", None).await.unwrap();
    let soc = s.create_user("soc", "hash", Some(ServiceRole::SocAnalyst)).await.unwrap();
    s.set_membership(member_a.id, a, Some(Role::Analyst)).await.unwrap();
    s.set_membership(member_b.id, b, Some(Role::Analyst)).await.unwrap();

    assert_eq!(
        s.notification_prefs(member_a.id).await.unwrap(),
        NotificationPrefs { user_id: member_a.id, ..Default::default() }
    );
    let p = NotificationPrefs {
        user_id: member_a.id,
        email: Some("anna@council-a.gov.uk".into()),
        webhook_url: None,
        serious_alerts: true,
        incident_assigned: false,
        tasks_due: true,
        ico_deadlines: true,
    };
    s.set_notification_prefs(&p).await.unwrap();
    assert_eq!(s.notification_prefs(member_a.id).await.unwrap(), p);
    let p2 = NotificationPrefs { email: None, webhook_url: Some("https://hooks.example/x".into()), ..p.clone() };
    s.set_notification_prefs(&p2).await.unwrap();
    assert_eq!(s.notification_prefs(member_a.id).await.unwrap(), p2);
    assert!(not_found(s.set_notification_prefs(&NotificationPrefs { user_id: 9999, ..Default::default() }).await));

    let ids = |v: Vec<User>| v.into_iter().map(|u| u.id).collect::<Vec<_>>();
    assert_eq!(ids(s.users_for_tenant(a).await.unwrap()), vec![member_a.id, soc.id]);
    assert_eq!(ids(s.users_for_tenant(b).await.unwrap()), vec![member_b.id, soc.id]);
    let users = s.users_for_tenant(a).await.unwrap();
    assert_eq!(users[0].memberships, vec![(a, Role::Analyst)]);

    assert!(s.claim_notification("ico-24h:12:3:anna", t(0)).await.unwrap());
    assert!(!s.claim_notification("ico-24h:12:3:anna", t(5)).await.unwrap());
    assert!(s.claim_notification("ico-24h:12:3:soc", t(5)).await.unwrap());
    // A failed delivery releases its claim; the next round may claim it again.
    s.release_notification("ico-24h:12:3:soc").await.unwrap();
    assert!(s.claim_notification("ico-24h:12:3:soc", t(6)).await.unwrap());
    assert!(!s.claim_notification("ico-24h:12:3:anna", t(6)).await.unwrap());
}

/// Dashboard counts, including the blocked-traffic rule.
pub async fn dashboard(s: &dyn Store) {
    let (a, b) = two_tenants(s).await;
    let sa = TenantScope::one(a);
    let fw = |id, tenant, secs, fields: serde_json::Value| ev(id, tenant, "fw", secs, None, None, None, "line", fields);
    let batch = WriteBatch {
        events: vec![
            fw(1, a, 0, json!({"message": "[FW-DROP] IN=eth0 OUT= SRC=203.0.113.7 DST=198.51.100.10 PROTO=TCP SPT=1"})),
            fw(2, a, 1, json!({"action": "Deny", "src": "203.0.113.8"})),
            fw(3, a, 2, json!({"act": "blocked"})),
            fw(4, a, 3, json!({"action": "allow"})),
            fw(5, a, 4, json!({"message": "[FW-ACCEPT] IN=eth0 SRC=203.0.113.7 DST=10.0.0.1 PROTO=TCP"})),
            fw(6, a, 5, json!({"message": "user dropped the call"})),
            fw(7, a, -1000, json!({"action": "deny"})),
            fw(8, b, 6, json!({"action": "deny"})),
            fw(9, a, 7, json!({"action": 7})),
        ],
        alerts: vec![
            upsert(a, "r1", "203.0.113.7", 1, 0, 1, 90),
            upsert(a, "r2", "203.0.113.8", 2, 1, 1, 30),
            upsert(a, "r3", "203.0.113.9", 7, -1000, 1, 95),
            upsert(b, "r1", "203.0.113.7", 8, 6, 1, 90),
        ],
        ..Default::default()
    };
    s.write_batch(&batch).await.unwrap();
    let old = s.list_alerts(&sa, &AlertQuery { rule_id: Some("r3".into()), ..Default::default() }).await.unwrap();
    s.set_alert_state(
        &sa,
        old.items[0].id,
        &AlertStateChange { to: AlertState::Closed, reason: Some(CloseReason::Benign), note: None, actor: alice() },
    )
    .await
    .unwrap();
    let i1 = s.create_incident(&new_incident(a, "open"), &alice()).await.unwrap();
    let i2 = s.create_incident(&new_incident(a, "closed"), &alice()).await.unwrap();
    s.create_incident(&new_incident(b, "b"), &alice()).await.unwrap();
    s.update_incident(
        &sa,
        i2.id,
        &IncidentUpdate { status: Some(IncidentStatus::Closed), ..Default::default() },
        &alice(),
    )
    .await
    .unwrap();
    let c = s.dashboard_counts(&sa, t(-10), 70).await.unwrap();
    assert_eq!(
        c,
        DashboardCounts { blocked: 3, events: 7, serious_alerts: 1, open_alerts: 2, open_incidents: 1 },
        "incident {}",
        i1.id
    );
    let all = s.dashboard_counts(&TenantScope::new(vec![a, b]), t(-2000), 70).await.unwrap();
    assert_eq!((all.blocked, all.events, all.serious_alerts, all.open_incidents), (5, 9, 3, 2));
}
