//! Backend-independent store behaviour: every function takes `&dyn Store` (plus, for full text,
//! a hook that lets the backend's indexer catch up), so each backend's test file runs the same
//! suite over a real database.

#![allow(dead_code)]
#![allow(clippy::unwrap_used)] // test helpers: a failure here is a test failure

pub mod respond;

use chrono::{Duration, TimeZone, Utc};
use ww_store::*;

pub fn t(secs: i64) -> Timestamp {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).single().unwrap_or_default()
}

#[allow(clippy::too_many_arguments)]
pub fn ev(
    id: i64,
    tenant: TenantId,
    source: &str,
    secs: i64,
    host: Option<&str>,
    ip: Option<&str>,
    user: Option<&str>,
    raw: &str,
    fields: serde_json::Value,
) -> NewEvent {
    NewEvent {
        id,
        tenant,
        source: source.into(),
        received_at: t(secs),
        time: t(secs),
        kind: "syslog".into(),
        host: host.map(Into::into),
        src_ip: ip.map(Into::into),
        user: user.map(Into::into),
        raw: raw.as_bytes().to_vec(),
        fields_json: fields.to_string(),
        parse_error: None,
    }
}

pub fn upsert(
    tenant: TenantId,
    rule: &str,
    entity: &str,
    opened: i64,
    secs: i64,
    delta: u64,
    score: u8,
) -> AlertUpsert {
    AlertUpsert {
        key: AlertKey {
            tenant,
            rule_id: rule.into(),
            entity_kind: EntityKind::SourceIp,
            entity: entity.into(),
            opened_by_event: opened,
        },
        rule_title: format!("title {rule}"),
        level: "high".into(),
        host: Some("fw1".into()),
        first_seen: t(secs),
        last_seen: t(secs),
        count_delta: delta,
        samples: vec![opened],
        score,
        novel: true,
        score_reasons: vec!["level high 70".into()],
    }
}

fn ids(p: &Page<StoredEvent>) -> Vec<i64> {
    p.items.iter().map(|e| e.id).collect()
}

fn q() -> EventQuery {
    EventQuery::default()
}

fn field(f: &str, p: &str) -> FieldFilter {
    FieldFilter { field: f.into(), pattern: p.into() }
}

pub async fn two_tenants(s: &dyn Store) -> (TenantId, TenantId) {
    let a = s.create_tenant("council-a", "Council A").await.map(|t| t.id);
    let b = s.create_tenant("council-b", "Council B").await.map(|t| t.id);
    (a.unwrap_or(TenantId(0)), b.unwrap_or(TenantId(0)))
}

/// A failing batch (duplicate event id) leaves nothing behind: no events, alerts, novelty or
/// checkpoints of that batch.
pub async fn batch_atomicity(s: &dyn Store) {
    let (a, _) = two_tenants(s).await;
    let first = WriteBatch {
        events: vec![ev(1, a, "fw", 0, None, None, None, "one", serde_json::json!({}))],
        ..Default::default()
    };
    s.write_batch(&first).await.unwrap();
    let bad = WriteBatch {
        events: vec![
            ev(2, a, "newsource", 1, None, None, None, "two", serde_json::json!({})),
            ev(1, a, "fw", 2, None, None, None, "dup", serde_json::json!({})),
        ],
        alerts: vec![upsert(a, "r1", "10.0.0.1", 2, 1, 1, 50)],
        novelty: vec![NoveltyKey {
            tenant: a,
            rule_id: "r1".into(),
            entity_kind: EntityKind::SourceIp,
            entity: "x".into(),
        }],
        checkpoints: vec![Checkpoint { key: "file:fw:/x".into(), value: "{\"offset\":9}".into() }],
    };
    assert!(s.write_batch(&bad).await.is_err(), "duplicate id must fail the batch");
    let scope = TenantScope::one(a);
    let all = s.search_events(&scope, &q()).await.unwrap();
    assert_eq!(ids(&all), vec![1]);
    assert!(s.checkpoints().await.unwrap().is_empty());
    let st = s.detector_state(t(-1000)).await.unwrap();
    assert!(st.open_alerts.is_empty() && st.novelty.is_empty());
    assert_eq!(s.stats().await.unwrap().alerts, 0);
    // The source created inside the failed batch is not half-remembered: a later batch works.
    let ok = WriteBatch {
        events: vec![ev(2, a, "newsource", 1, None, None, None, "two", serde_json::json!({}))],
        ..Default::default()
    };
    s.write_batch(&ok).await.unwrap();
    let p = s.search_events(&scope, &EventQuery { sources: vec!["newsource".into()], ..q() }).await.unwrap();
    assert_eq!(ids(&p), vec![2]);
    assert_eq!(p.items[0].source, "newsource");
    assert_eq!(s.next_event_id().await.unwrap(), 3);
}

/// Data written before a restart (checkpoints, novelty, open alerts, events).
pub async fn write_state_for_reopen(s: &dyn Store) -> TenantId {
    let (a, _) = two_tenants(s).await;
    let mut closed = upsert(a, "r2", "10.0.0.9", 2, 10, 1, 20);
    closed.key.entity_kind = EntityKind::User;
    let batch = WriteBatch {
        events: vec![
            ev(1, a, "fw", 10, Some("fw1"), Some("10.0.0.1"), None, "deny 10.0.0.1", serde_json::json!({})),
            ev(2, a, "fw", 11, Some("fw1"), Some("10.0.0.9"), None, "deny 10.0.0.9", serde_json::json!({})),
        ],
        alerts: vec![upsert(a, "r1", "10.0.0.1", 1, 10, 3, 80), closed],
        novelty: vec![NoveltyKey {
            tenant: a,
            rule_id: "r1".into(),
            entity_kind: EntityKind::SourceIp,
            entity: "10.0.0.1".into(),
        }],
        checkpoints: vec![Checkpoint { key: "file:fw:/var/log/fw".into(), value: "{\"offset\":42}".into() }],
    };
    s.write_batch(&batch).await.unwrap();
    let scope = TenantScope::one(a);
    let list = s.list_alerts(&scope, &AlertQuery::default()).await.unwrap();
    let r2 = list.items.iter().find(|x| x.rule_id == "r2").map(|x| x.id).unwrap_or(0);
    let close = AlertStateChange {
        to: AlertState::Closed,
        reason: Some(CloseReason::Benign),
        note: None,
        actor: Actor::user("alice"),
    };
    s.set_alert_state(&scope, r2, &close).await.unwrap();
    a
}

pub async fn check_state_after_reopen(s: &dyn Store, a: TenantId) {
    assert_eq!(
        s.checkpoints().await.unwrap(),
        vec![Checkpoint { key: "file:fw:/var/log/fw".into(), value: "{\"offset\":42}".into() }]
    );
    let st = s.detector_state(t(0)).await.unwrap();
    assert_eq!(st.open_alerts.len(), 1, "closed alert is not reloaded");
    let o = &st.open_alerts[0];
    assert_eq!((o.key.rule_id.as_str(), o.count, o.samples, o.novel), ("r1", 3, 1, true));
    assert_eq!(o.key.opened_by_event, 1);
    assert_eq!(st.novelty.len(), 1);
    assert!(s.detector_state(t(100)).await.unwrap().open_alerts.is_empty(), "older than `since` is not open");
    assert_eq!(s.next_event_id().await.unwrap(), 3);
    let p = s.search_events(&TenantScope::one(a), &EventQuery { text: Some("10.0.0.9".into()), ..q() }).await.unwrap();
    assert_eq!(ids(&p), vec![2]);
}

/// Tenant B's data is invisible through every read with tenant A's scope.
pub async fn tenant_isolation(s: &dyn Store) {
    let (a, b) = two_tenants(s).await;
    let mut events = Vec::new();
    for i in 0..10 {
        let tenant = if i % 2 == 0 { a } else { b };
        events.push(ev(
            i + 1,
            tenant,
            "fw",
            i,
            Some("shared-host"),
            Some("10.1.1.1"),
            Some("bob"),
            &format!("deny shared-host 10.1.1.1 bob line {i}"),
            serde_json::json!({"action": "deny"}),
        ));
    }
    let batch = WriteBatch {
        events,
        alerts: vec![upsert(a, "r", "10.1.1.1", 1, 0, 1, 50), upsert(b, "r", "10.1.1.1", 2, 1, 1, 90)],
        ..Default::default()
    };
    s.write_batch(&batch).await.unwrap();
    let sa = TenantScope::one(a);
    let queries = [
        q(),
        EventQuery { fields: vec![field("host", "shared-host")], ..q() },
        EventQuery { fields: vec![field("src_ip", "10.1.*")], ..q() },
        EventQuery { fields: vec![field("user", "BOB")], ..q() },
        EventQuery { fields: vec![field("action", "deny")], ..q() },
        EventQuery { sources: vec!["fw".into()], ..q() },
        EventQuery { text: Some("shared-host".into()), ..q() },
        EventQuery { text: Some("bob".into()), ..q() },
    ];
    for query in &queries {
        let p = s.search_events(&sa, query).await.unwrap();
        assert_eq!(p.items.len(), 5, "{query:?}");
        assert!(p.items.iter().all(|e| e.tenant == a), "{query:?}");
    }
    assert!(matches!(s.get_event(&sa, 2).await, Err(StoreError::NotFound)));
    assert_eq!(s.get_event(&sa, 1).await.unwrap().tenant, a);
    let alerts = s.list_alerts(&sa, &AlertQuery::default()).await.unwrap();
    assert_eq!(alerts.items.len(), 1);
    assert_eq!(alerts.items[0].tenant, a);
    let sb = TenantScope::one(b);
    let b_alert = s.list_alerts(&sb, &AlertQuery::default()).await.unwrap().items[0].id;
    assert!(matches!(s.get_alert(&sa, b_alert).await, Err(StoreError::NotFound)));
    let ack = AlertStateChange { to: AlertState::Acknowledged, reason: None, note: None, actor: Actor::user("x") };
    assert!(matches!(s.set_alert_state(&sa, b_alert, &ack).await, Err(StoreError::NotFound)));
    // Samples of a's alert are only a's events.
    let a_alert = alerts.items[0].id;
    let d = s.get_alert(&sa, a_alert).await.unwrap();
    assert!(d.samples.iter().all(|e| e.tenant == a) && d.samples.len() == 1);

    let tok = |tenant| NewToken {
        tenant,
        name: "ingest".into(),
        purpose: TokenPurpose::Ingest,
        role: Role::ReadOnly,
        source: Some("http".into()),
        created_by: "user:admin".into(),
        expires: None,
    };
    s.create_token(&tok(a), &[1; 32]).await.unwrap();
    let tb = s.create_token(&tok(b), &[2; 32]).await.unwrap();
    let listed = s.list_tokens(&sa).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].tenant, a);
    assert!(matches!(s.revoke_token(&sa, tb.id).await, Err(StoreError::NotFound)));
    assert!(!s.token_by_secret(&[2; 32]).await.unwrap().revoked);

    for (tenant, action) in [(Some(a), "a.thing"), (Some(b), "b.thing"), (None, "tenant.create")] {
        s.audit(&AuditEntry {
            at: t(0),
            actor: Actor::system(),
            tenant,
            action: action.into(),
            target: "x".into(),
            detail: serde_json::json!({}),
        })
        .await
        .unwrap();
    }
    let log = s.audit_log(&sa, 100, None).await.unwrap();
    assert_eq!(log.items.iter().map(|r| r.entry.action.as_str()).collect::<Vec<_>>(), vec!["a.thing"]);
    let both = s.audit_log(&TenantScope::new(vec![a, b]), 100, None).await.unwrap();
    assert_eq!(both.items.len(), 3, "a scope over every tenant sees deployment-wide entries");

    // A multi-tenant scope merges both tenants newest first.
    let p = s.search_events(&TenantScope::new(vec![a, b]), &EventQuery { limit: 4, ..q() }).await.unwrap();
    assert_eq!(ids(&p), vec![10, 9, 8, 7]);
}

/// Field filters, wildcards, sources, time range, text (unindexed tail and after indexing) and
/// pagination without duplicates or gaps.
pub async fn search_semantics(s: &dyn Store) {
    let (a, _) = two_tenants(s).await;
    let mut events = Vec::new();
    for i in 0..60i64 {
        let user = ["alice", "Administrator", "bob"][(i % 3) as usize];
        let host = format!("WS-{:02}", i % 4);
        let ip = format!("192.168.{}.{}", i % 2, i);
        let raw = format!("<34>Oct 11 22:14:15 {host} sshd[{i}]: Failed password for {user} from {ip} port 22 ssh2");
        let source = if i % 5 == 0 { "winlogbeat" } else { "syslog" };
        events.push(ev(
            i + 1,
            a,
            source,
            i * 10,
            Some(&host),
            Some(&ip),
            Some(user),
            &raw,
            serde_json::json!({"EventID": 4625 + (i % 2), "Image": format!("C:\\Windows\\p{i}.exe"), "msg": "50% off_sale"}),
        ));
    }
    // Written in two batches, so the second adds to what the first indexed.
    let (first, second) = events.split_at(30);
    s.write_batch(&WriteBatch { events: first.to_vec(), ..Default::default() }).await.unwrap();
    s.write_batch(&WriteBatch { events: second.to_vec(), ..Default::default() }).await.unwrap();
    let scope = TenantScope::one(a);
    let count = async |query: EventQuery| -> Vec<i64> {
        let mut out = Vec::new();
        let mut query = EventQuery { limit: 1000, ..query };
        loop {
            let p = s.search_events(&scope, &query).await.unwrap();
            out.extend(ids(&p));
            match p.next_cursor {
                Some(c) => query.cursor = Some(c),
                None => return out,
            }
        }
    };
    let expect = |f: &dyn Fn(i64) -> bool| -> Vec<i64> { (0..60i64).rev().filter(|i| f(*i)).map(|i| i + 1).collect() };

    // Promoted columns, case-insensitive, aliases.
    assert_eq!(count(EventQuery { fields: vec![field("host", "ws-01")], ..q() }).await, expect(&|i| i % 4 == 1));
    assert_eq!(count(EventQuery { fields: vec![field("Computer", "WS-01")], ..q() }).await, expect(&|i| i % 4 == 1));
    assert_eq!(
        count(EventQuery { fields: vec![field("TargetUserName", "ADMIN*")], ..q() }).await,
        expect(&|i| i % 3 == 1)
    );
    assert_eq!(
        count(EventQuery { fields: vec![field("c-ip", "192.168.1.?")], ..q() }).await,
        expect(&|i| i % 2 == 1 && i < 10)
    );
    assert_eq!(count(EventQuery { fields: vec![field("user", "admin")], ..q() }).await, Vec::<i64>::new());
    // JSON fields: numbers, wildcards, LIKE metacharacters and backslashes are literal.
    assert_eq!(count(EventQuery { fields: vec![field("EventID", "4625")], ..q() }).await, expect(&|i| i % 2 == 0));
    assert_eq!(
        count(EventQuery { fields: vec![field("Image", "*\\p1?.exe")], ..q() }).await,
        expect(&|i| (10..20).contains(&i))
    );
    assert_eq!(count(EventQuery { fields: vec![field("Image", "c:\\windows\\p7.EXE")], ..q() }).await, vec![8]);
    assert_eq!(count(EventQuery { fields: vec![field("msg", "50% off_sale")], ..q() }).await.len(), 60);
    assert_eq!(count(EventQuery { fields: vec![field("msg", "50_ off*")], ..q() }).await.len(), 0);
    assert_eq!(count(EventQuery { fields: vec![field("missing", "*")], ..q() }).await.len(), 0);
    // Combined with sources and a time range [from, to).
    let got = count(EventQuery {
        from: Some(t(100)),
        to: Some(t(400)),
        sources: vec!["winlogbeat".into()],
        fields: vec![field("EventID", "4625")],
        ..q()
    })
    .await;
    assert_eq!(got, expect(&|i| (10..40).contains(&i) && i % 5 == 0 && i % 2 == 0));

    // Text: both batches, case-insensitive, mid-token substrings, short terms, every term
    // required.
    let text = async |t: &str| count(EventQuery { text: Some(t.into()), ..q() }).await;
    assert_eq!(text("ADMINISTRATOR").await, expect(&|i| i % 3 == 1));
    assert_eq!(text("istrat").await, expect(&|i| i % 3 == 1));
    assert_eq!(text("sshd[7]").await, vec![8]);
    assert_eq!(text("168.1.5").await, expect(&|i| i % 2 == 1 && (i == 5 || (50..60).contains(&i))));
    assert_eq!(text("ws-02 bob").await, expect(&|i| i % 4 == 2 && i % 3 == 2));
    assert_eq!(text("p 2").await.len(), 60, "short terms scan");
    assert_eq!(text("nothing-like-this").await, Vec::<i64>::new());
    // A late batch with ids below everything written so far is still found.
    s.write_batch(&WriteBatch {
        events: vec![ev(-5, a, "syslog", 5, None, None, None, "late arrival zebra", serde_json::json!({}))],
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(text("ZEBRA").await, vec![-5]);

    // Pagination: small pages, newest first, no duplicates or gaps, ties on time broken by id.
    s.write_batch(&WriteBatch {
        events: (100..110).map(|id| ev(id, a, "syslog", 300, None, None, None, "tie", serde_json::json!({}))).collect(),
        ..Default::default()
    })
    .await
    .unwrap();
    let mut all = Vec::new();
    let mut query = EventQuery { limit: 7, ..q() };
    let mut pages = 0;
    loop {
        let p = s.search_events(&scope, &query).await.unwrap();
        assert!(p.items.len() <= 7);
        pages += 1;
        all.extend(p.items.iter().map(|e| (e.time, e.id)));
        match p.next_cursor {
            Some(c) => query.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(all.len(), 71);
    assert_eq!(pages, 11);
    let mut sorted = all.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    sorted.dedup();
    assert_eq!(all, sorted, "strictly descending (time, id): no duplicates, no reordering");
    assert_eq!(
        s.search_events(&scope, &EventQuery { limit: 0, ..q() }).await.unwrap().items.len(),
        71,
        "default page of 100"
    );
    assert!(matches!(
        s.search_events(&scope, &EventQuery { cursor: Some("garbage".into()), ..q() }).await,
        Err(StoreError::Invalid(_))
    ));
    let e = s.get_event(&scope, 8).await.unwrap();
    assert_eq!(e.fields["EventID"], serde_json::json!(4626));
    assert_eq!(e.source, "syslog");
    assert!(e.raw.contains("sshd[7]"));
}

/// Alert upserts aggregate; listing filters and orders; the state machine is enforced.
pub async fn alerts(s: &dyn Store) {
    let (a, _) = two_tenants(s).await;
    let scope = TenantScope::one(a);
    let events: Vec<NewEvent> =
        (1..=30).map(|i| ev(i, a, "fw", i, None, Some("10.0.0.1"), None, "deny", serde_json::json!({}))).collect();
    s.write_batch(&WriteBatch { events, ..Default::default() }).await.unwrap();
    let mut u = upsert(a, "brute", "10.0.0.1", 1, 5, 4, 40);
    u.samples = (1..=6).collect();
    s.write_batch(&WriteBatch { alerts: vec![u.clone()], ..Default::default() }).await.unwrap();
    u.first_seen = t(2);
    u.last_seen = t(20);
    u.count_delta = 5;
    u.score = 75;
    u.samples = (5..=12).collect();
    let other = upsert(a, "scan", "10.0.0.2", 13, 25, 1, 75);
    let low = upsert(a, "noise", "10.0.0.3", 14, 26, 1, 10);
    s.write_batch(&WriteBatch { alerts: vec![u, other, low], ..Default::default() }).await.unwrap();

    let list = s.list_alerts(&scope, &AlertQuery::default()).await.unwrap();
    let rules: Vec<&str> = list.items.iter().map(|x| x.rule_id.as_str()).collect();
    assert_eq!(rules, vec!["scan", "brute", "noise"], "score desc, then last seen desc");
    let brute = list.items[1].clone();
    assert_eq!((brute.count, brute.score, brute.first_seen, brute.last_seen), (9, 75, t(2), t(20)));
    assert_eq!(brute.state, AlertState::New);
    let d = s.get_alert(&scope, brute.id).await.unwrap();
    assert_eq!(d.samples.iter().map(|e| e.id).collect::<Vec<_>>(), (1..=10).collect::<Vec<_>>(), "capped at 10");

    let f = |q: AlertQuery| async move { s.list_alerts(&TenantScope::one(a), &q).await.unwrap().items.len() };
    assert_eq!(f(AlertQuery { min_score: Some(50), ..Default::default() }).await, 2);
    assert_eq!(f(AlertQuery { rule_id: Some("noise".into()), ..Default::default() }).await, 1);
    assert_eq!(f(AlertQuery { entity: Some("10.0.0.2".into()), ..Default::default() }).await, 1);
    assert_eq!(f(AlertQuery { from: Some(t(21)), ..Default::default() }).await, 2);
    let p1 = s.list_alerts(&scope, &AlertQuery { limit: 2, ..Default::default() }).await.unwrap();
    assert_eq!(p1.items.len(), 2);
    let p2 = s
        .list_alerts(&scope, &AlertQuery { limit: 2, cursor: p1.next_cursor.clone(), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(p2.items.iter().map(|x| x.rule_id.as_str()).collect::<Vec<_>>(), vec!["noise"]);
    assert!(p2.next_cursor.is_none());

    let change =
        |to, reason| AlertStateChange { to, reason, note: Some("checked".into()), actor: Actor::user("alice") };
    assert!(matches!(
        s.set_alert_state(&scope, brute.id, &change(AlertState::Closed, None)).await,
        Err(StoreError::Invalid(_))
    ));
    let acked = s.set_alert_state(&scope, brute.id, &change(AlertState::Acknowledged, None)).await.unwrap();
    assert_eq!((acked.state, acked.state_by.as_deref()), (AlertState::Acknowledged, Some("user:alice")));
    assert!(acked.state_at.is_some());
    assert!(matches!(
        s.set_alert_state(&scope, brute.id, &change(AlertState::New, None)).await,
        Err(StoreError::Conflict(_))
    ));
    let closed = s
        .set_alert_state(&scope, brute.id, &change(AlertState::Closed, Some(CloseReason::FalsePositive)))
        .await
        .unwrap();
    assert_eq!((closed.state, closed.close_reason), (AlertState::Closed, Some(CloseReason::FalsePositive)));
    assert!(matches!(
        s.set_alert_state(&scope, brute.id, &change(AlertState::Escalated, None)).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.set_alert_state(&scope, 9999, &change(AlertState::Acknowledged, None)).await,
        Err(StoreError::NotFound)
    ));
    let h = s.get_alert(&scope, brute.id).await.unwrap().history;
    assert_eq!(
        h.iter().map(|e| (e.from, e.to, e.reason)).collect::<Vec<_>>(),
        vec![
            (AlertState::New, AlertState::Acknowledged, None),
            (AlertState::Acknowledged, AlertState::Closed, Some(CloseReason::FalsePositive))
        ]
    );
    assert_eq!(h[0].by, "user:alice");
    assert_eq!(h[0].note.as_deref(), Some("checked"));
    // Closed alerts leave the default (open) list, stay listable by state, and leave detector state.
    assert_eq!(f(AlertQuery::default()).await, 2);
    assert_eq!(f(AlertQuery { states: vec![AlertState::Closed], ..Default::default() }).await, 1);
    let st = s.detector_state(t(0)).await.unwrap();
    assert_eq!(st.open_alerts.len(), 2);

    s.set_rule_enabled(a, "brute", false, &Actor::user("alice")).await.unwrap();
    s.set_rule_enabled(a, "scan", false, &Actor::user("alice")).await.unwrap();
    s.set_rule_enabled(a, "scan", true, &Actor::user("alice")).await.unwrap();
    assert_eq!(s.disabled_rules().await.unwrap(), vec![(a, "brute".to_string())]);
    let log = s.audit_log(&scope, 10, None).await.unwrap();
    assert_eq!(
        log.items.iter().map(|r| r.entry.action.as_str()).collect::<Vec<_>>(),
        vec!["rule.enable", "rule.disable", "rule.disable"]
    );
}

/// One batch carrying many alert updates (more than one multi-row statement holds), the same
/// alert twice, samples beyond the cap, and many novelty keys: counts add, samples stop at ten
/// and every alert and novelty key is stored once.
pub async fn alerts_in_bulk(s: &dyn Store) {
    let (a, _) = two_tenants(s).await;
    let scope = TenantScope::one(a);
    let events: Vec<NewEvent> =
        (1..=40).map(|i| ev(i, a, "fw", i, None, Some("10.0.0.1"), None, "deny", serde_json::json!({}))).collect();
    s.write_batch(&WriteBatch { events, ..Default::default() }).await.unwrap();
    let mut alerts: Vec<AlertUpsert> = (0..1_200)
        .map(|i| upsert(a, &format!("r{i}"), &format!("10.1.{}.{}", i / 256, i % 256), 1, 5, 1, 30))
        .collect();
    // The first alert three times in the batch (as two batches' worth of updates would be): its
    // samples run past the cap and repeat one another.
    let mut again = alerts[0].clone();
    again.count_delta = 2;
    again.samples = (2..=8).collect();
    alerts.push(again.clone());
    again.samples = (6..=20).collect();
    again.last_seen = t(30);
    alerts.push(again);
    let novelty: Vec<NoveltyKey> = (0..2_500)
        .map(|i| NoveltyKey {
            tenant: a,
            rule_id: format!("r{}", (i % 2_400) % 1_300),
            entity_kind: EntityKind::SourceIp,
            entity: format!("x{}", i % 2_400),
        })
        .collect();
    s.write_batch(&WriteBatch { alerts, novelty, ..Default::default() }).await.unwrap();

    let all = s.list_alerts(&scope, &AlertQuery { limit: 1_000, ..Default::default() }).await.unwrap();
    let rest = s
        .list_alerts(&scope, &AlertQuery { limit: 1_000, cursor: all.next_cursor.clone(), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(all.items.len() + rest.items.len(), 1_200, "one alert per key");
    let first = all.items.iter().chain(&rest.items).find(|x| x.rule_id == "r0").unwrap().clone();
    assert_eq!((first.count, first.last_seen), (5, t(30)));
    let d = s.get_alert(&scope, first.id).await.unwrap();
    assert_eq!(d.samples.iter().map(|e| e.id).collect::<Vec<_>>(), (1..=10).collect::<Vec<_>>(), "capped at 10");
    let other = all.items.iter().chain(&rest.items).find(|x| x.rule_id == "r700").unwrap().clone();
    assert_eq!(s.get_alert(&scope, other.id).await.unwrap().samples.len(), 1);
    let st = s.detector_state(t(0)).await.unwrap();
    assert_eq!(st.novelty.len(), 2_400, "novelty keys stored once each");
    let capped = st.open_alerts.iter().find(|o| o.key.rule_id == "r0").unwrap();
    assert_eq!((capped.count, capped.samples), (5, 10));
}

/// Several updates of one alert in one batch end as applying them one after another would:
/// counts add, first seen is the earliest and last seen the latest, title, level, score and
/// reasons are the last update's, the host is the last one given (a missing host keeps the
/// stored one), `novel` is the opening update's, and samples join in order up to the cap.
pub async fn alert_updates_in_one_batch(s: &dyn Store) {
    let (a, _) = two_tenants(s).await;
    let scope = TenantScope::one(a);
    let events: Vec<NewEvent> =
        (1..=30).map(|i| ev(i, a, "fw", i, None, Some("10.0.0.1"), None, "deny", serde_json::json!({}))).collect();
    s.write_batch(&WriteBatch { events, ..Default::default() }).await.unwrap();
    // Stored before the batch: x (novel, host "old", samples 1..=3) and w (host "w0").
    let mut x = upsert(a, "x", "10.0.0.1", 1, 10, 1, 30);
    x.host = Some("old".into());
    x.samples = vec![1, 2, 3];
    let mut w = upsert(a, "w", "10.0.0.4", 1, 10, 1, 30);
    w.host = Some("w0".into());
    s.write_batch(&WriteBatch { alerts: vec![x.clone(), w.clone()], ..Default::default() }).await.unwrap();

    let with = |base: &AlertUpsert, host: Option<&str>, secs: (i64, i64), delta: u64, score: u8| AlertUpsert {
        host: host.map(Into::into),
        first_seen: t(secs.0),
        last_seen: t(secs.1),
        count_delta: delta,
        score,
        ..base.clone()
    };
    let mut x1 = with(&x, Some("h1"), (8, 12), 2, 40);
    x1.rule_title = "first title".into();
    x1.level = "low".into();
    x1.novel = false;
    x1.score_reasons = vec!["a".into()];
    x1.samples = vec![3, 4, 5];
    let mut x2 = with(&x, None, (9, 11), 3, 60);
    x2.rule_title = "last title".into();
    x2.level = "medium".into();
    x2.novel = false;
    x2.score_reasons = vec!["b".into(), "c".into()];
    x2.samples = vec![5, 6, 1, 7, 8, 9, 10, 11, 12, 13];
    // y is opened by the batch: not novel at its first update, so not novel.
    let y0 = upsert(a, "y", "10.0.0.2", 10, 5, 1, 20);
    let mut y1 = with(&y0, None, (5, 5), 1, 20);
    y1.novel = false;
    y1.samples = vec![10, 11];
    let mut y2 = with(&y0, Some("y1"), (3, 4), 1, 30);
    y2.novel = true;
    y2.samples = vec![11, 12];
    let mut y3 = with(&y0, None, (7, 6), 4, 25);
    y3.novel = true;
    y3.samples = vec![];
    y3.score_reasons = vec![];
    // z is opened by the batch as novel; of two hosts the later one stays.
    let z0 = upsert(a, "z", "10.0.0.3", 20, 20, 1, 50);
    let z1 = with(&z0, Some("z1"), (20, 20), 1, 50);
    let mut z2 = with(&z0, Some("z2"), (21, 21), 1, 50);
    z2.novel = false;
    let mut z3 = with(&z0, None, (22, 22), 1, 50);
    z3.novel = false;
    // w is updated twice without a host: the stored host stays.
    let w1 = with(&w, None, (11, 11), 1, 30);
    let w2 = with(&w, None, (12, 12), 1, 30);
    let alerts = vec![x1, y1, z1, w1, x2, y2, z2, w2, y3, z3];
    s.write_batch(&WriteBatch { alerts, ..Default::default() }).await.unwrap();

    let list = s.list_alerts(&scope, &AlertQuery::default()).await.unwrap();
    assert_eq!(list.items.len(), 4, "one alert per key");
    let get = |rule: &str| list.items.iter().find(|x| x.rule_id == rule).unwrap().clone();
    let samples = |id: i64| async move {
        s.get_alert(&TenantScope::one(a), id).await.unwrap().samples.iter().map(|e| e.id).collect::<Vec<_>>()
    };

    let x = get("x");
    assert_eq!((x.count, x.first_seen, x.last_seen, x.score), (6, t(8), t(12), 60));
    assert_eq!((x.rule_title.as_str(), x.level.as_str()), ("last title", "medium"));
    assert_eq!(x.score_reasons, vec!["b".to_string(), "c".to_string()]);
    assert_eq!((x.host.as_deref(), x.novel), (Some("h1"), true));
    assert_eq!(samples(x.id).await, (1..=10).collect::<Vec<_>>(), "capped at 10, in the order given");

    let y = get("y");
    assert_eq!((y.count, y.first_seen, y.last_seen, y.score), (6, t(3), t(6), 25));
    assert!(y.score_reasons.is_empty());
    assert_eq!((y.host.as_deref(), y.novel), (Some("y1"), false));
    assert_eq!(samples(y.id).await, vec![10, 11, 12]);

    let z = get("z");
    assert_eq!((z.count, z.first_seen, z.last_seen), (3, t(20), t(22)));
    assert_eq!((z.host.as_deref(), z.novel), (Some("z2"), true));
    assert_eq!(samples(z.id).await, vec![20]);

    let w = get("w");
    assert_eq!((w.count, w.first_seen, w.last_seen), (3, t(10), t(12)));
    assert_eq!(w.host.as_deref(), Some("w0"));
    assert_eq!(samples(w.id).await, vec![1]);

    let st = s.detector_state(t(0)).await.unwrap();
    let open = |rule: &str| st.open_alerts.iter().find(|o| o.key.rule_id == rule).unwrap().clone();
    assert_eq!((open("x").count, open("x").samples), (6, 10));
    assert_eq!((open("y").count, open("y").samples, open("y").novel), (6, 3, false));
    assert_eq!((open("z").samples, open("z").host.as_deref()), (1, Some("z2")));
}

/// Users, memberships, sessions and tokens.
pub async fn accounts(s: &dyn Store) {
    let (a, b) = two_tenants(s).await;
    assert!(matches!(s.create_tenant("council-a", "again").await, Err(StoreError::Conflict(_))));
    assert!(matches!(s.create_tenant("Bad Slug", "x").await, Err(StoreError::Invalid(_))));
    assert_eq!(s.tenant_by_slug("council-b").await.unwrap().id, b);
    assert!(matches!(s.tenant_by_slug("nope").await, Err(StoreError::NotFound)));
    assert_eq!(s.tenants().await.unwrap().len(), 2);

    let u = s.create_user("alice", "$argon2id$v=19$hash", None).await.unwrap();
    assert!(matches!(s.create_user("alice", "h", None).await, Err(StoreError::Conflict(_))));
    let admin = s.create_user("root", "h", Some(ServiceRole::ServiceAdmin)).await.unwrap();
    s.set_membership(u.id, a, Some(Role::Analyst)).await.unwrap();
    s.set_membership(u.id, b, Some(Role::ReadOnly)).await.unwrap();
    s.set_membership(u.id, b, Some(Role::Admin)).await.unwrap();
    assert!(matches!(s.set_membership(9999, a, Some(Role::Admin)).await, Err(StoreError::NotFound)));
    let rec = s.user_by_name("alice").await.unwrap();
    assert_eq!(rec.password_hash, "$argon2id$v=19$hash");
    assert_eq!(rec.user.memberships, vec![(a, Role::Analyst), (b, Role::Admin)]);
    assert!(!format!("{rec:?}").contains("argon2"), "hash redacted in Debug");
    s.set_membership(u.id, b, None).await.unwrap();
    assert_eq!(s.user(u.id).await.unwrap().memberships, vec![(a, Role::Analyst)]);
    assert_eq!(s.user(admin.id).await.unwrap().service_role, Some(ServiceRole::ServiceAdmin));
    assert!(matches!(s.user_by_name("mallory").await, Err(StoreError::NotFound)));

    s.create_session(u.id, &[7; 32], t(100)).await.unwrap();
    assert_eq!(s.session_user(&[7; 32], t(50)).await.unwrap().username, "alice");
    assert!(matches!(s.session_user(&[7; 32], t(100)).await, Err(StoreError::NotFound)), "expired");
    assert!(matches!(s.session_user(&[8; 32], t(50)).await, Err(StoreError::NotFound)));
    s.delete_session(&[7; 32]).await.unwrap();
    assert!(matches!(s.session_user(&[7; 32], t(50)).await, Err(StoreError::NotFound)));

    let new = |expires| NewToken {
        tenant: a,
        name: "api".into(),
        purpose: TokenPurpose::Api,
        role: Role::Analyst,
        source: None,
        created_by: "user:alice".into(),
        expires,
    };
    let live = s.create_token(&new(None), &[1; 32]).await.unwrap();
    s.create_token(&new(Some(Utc::now() - Duration::seconds(5))), &[2; 32]).await.unwrap();
    let got = s.token_by_secret(&[1; 32]).await.unwrap();
    assert_eq!((got.id, got.role, got.purpose), (live.id, Role::Analyst, TokenPurpose::Api));
    assert!(matches!(s.token_by_secret(&[2; 32]).await, Err(StoreError::NotFound)), "expired");
    s.revoke_token(&TenantScope::one(a), live.id).await.unwrap();
    assert!(matches!(s.token_by_secret(&[1; 32]).await, Err(StoreError::NotFound)), "revoked");
    assert!(s.list_tokens(&TenantScope::one(a)).await.unwrap().iter().any(|t| t.id == live.id && t.revoked));
}

/// Retention by age then by size; alerts stay; deleted events leave search (text too).
pub async fn retention(s: &dyn Store) {
    let (a, b) = two_tenants(s).await;
    let day = 86_400;
    let mut events = Vec::new();
    for i in 0..400i64 {
        let tenant = if i % 2 == 0 { a } else { b };
        // i < 100: ten days old; the rest: within the last day.
        let secs = if i < 100 { -10 * day + i } else { -day / 2 + i };
        events.push(ev(
            i + 1,
            tenant,
            "fw",
            secs,
            None,
            None,
            None,
            &format!("line tok{i}q {}", "x".repeat(200)),
            serde_json::json!({}),
        ));
    }
    s.write_batch(&WriteBatch {
        events,
        alerts: vec![upsert(a, "r", "ip", 1, -10 * day, 1, 50)],
        ..Default::default()
    })
    .await
    .unwrap();
    let now = t(0);
    let gone = s.apply_retention(now, &Retention { max_age_days: 7, max_bytes: u64::MAX }).await.unwrap();
    assert_eq!(gone, 100);
    let both = TenantScope::new(vec![a, b]);
    let all = s.search_events(&both, &EventQuery { limit: 1000, ..q() }).await.unwrap();
    assert_eq!(all.items.len(), 300);
    assert!(all.items.iter().all(|e| e.id > 100));
    assert!(s.search_events(&both, &EventQuery { text: Some("tok5q".into()), ..q() }).await.unwrap().items.is_empty());
    assert_eq!(
        s.search_events(&both, &EventQuery { text: Some("TOK150Q".into()), ..q() }).await.unwrap().items.len(),
        1
    );
    assert_eq!(s.stats().await.unwrap().alerts, 1, "alerts are kept");
    assert_eq!(s.list_alerts(&TenantScope::one(a), &AlertQuery::default()).await.unwrap().items[0].count, 1);

    // By size: a budget of a tenth of the current size removes most events, oldest first.
    let size = s.stats().await.unwrap().db_bytes;
    let gone = s.apply_retention(now, &Retention { max_age_days: 365, max_bytes: size / 10 }).await.unwrap();
    assert!(gone > 0);
    let left = s.search_events(&both, &EventQuery { limit: 1000, ..q() }).await.unwrap();
    assert_eq!(left.items.len() as u64, 300 - gone);
    let min_left = left.items.iter().map(|e| e.id).min().unwrap_or(0);
    assert_eq!(min_left, 101 + gone as i64, "oldest arrivals went first");
    assert_eq!(s.stats().await.unwrap().events, 300 - gone);
    assert_eq!(s.next_event_id().await.unwrap(), 401, "ids are not reused after deletion");
}
