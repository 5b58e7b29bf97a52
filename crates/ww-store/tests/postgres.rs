//! The store conformance suite over a real PostgreSQL server, plus PostgreSQL-only checks.
//!
//! Server: `WARDWATCH_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`), a user
//! allowed to create databases. Each test creates its own database and drops it afterwards, so
//! tests run in parallel. Without a reachable server each test prints "skipping: no PostgreSQL
//! at <url>" and returns (CI starts PostgreSQL, so there they run).

#![allow(clippy::unwrap_used)] // a failure here is a test failure

mod conformance;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use conformance as c;
use sqlx::Connection;
use ww_store::postgres::{PgOptions, PgStore};
use ww_store::*;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn admin_url() -> String {
    std::env::var("WARDWATCH_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// `url` with its database name replaced (query parameters kept).
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{db}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A database of its own for one test, dropped when the value is (even when the test panics).
struct TestDb {
    admin: String,
    name: String,
    url: String,
}

impl TestDb {
    async fn create() -> Option<TestDb> {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let admin = admin_url();
        let conn = tokio::time::timeout(Duration::from_secs(5), sqlx::PgConnection::connect(&admin)).await;
        let Ok(Ok(mut conn)) = conn else {
            eprintln!("skipping: no PostgreSQL at {admin}");
            return None;
        };
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!("ww_test_{}_{}_{}", std::process::id(), nanos, SEQ.fetch_add(1, Ordering::Relaxed));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        let url = with_database(&admin, &name);
        Some(TestDb { admin, name, url })
    }

    async fn open(&self) -> PgStore {
        PgStore::connect(&self.url, PgOptions::default()).await.unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop runs outside async context: a thread with its own runtime does the DROP.
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
            });
        })
        .join();
        if done.is_err() {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

/// Creates the test database and a store on it, or returns from the test when there is no server.
macro_rules! store {
    ($db:ident, $s:ident) => {
        let Some($db) = TestDb::create().await else { return };
        let $s = $db.open().await;
    };
}

#[test]
fn database_is_replaced_in_urls() {
    assert_eq!(with_database("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
    assert_eq!(with_database("postgres://u:p@h/test?sslmode=disable", "x"), "postgres://u:p@h/x?sslmode=disable");
    assert_eq!(with_database("postgres://h:5432", "x"), "postgres://h:5432/x");
}

#[tokio::test]
async fn batch_atomicity() {
    store!(db, s);
    c::batch_atomicity(&s).await;
}

#[tokio::test]
async fn reopen_keeps_checkpoints_novelty_and_open_alerts() {
    store!(db, s);
    let a = c::write_state_for_reopen(&s).await;
    s.close().await;
    drop(s);
    let s = db.open().await;
    c::check_state_after_reopen(&s, a).await;
}

#[tokio::test]
async fn tenant_isolation() {
    store!(db, s);
    c::tenant_isolation(&s).await;
}

#[tokio::test]
async fn search_semantics() {
    store!(db, s);
    assert!(s.has_text_index().await.unwrap(), "pg_trgm is installable by the test user");
    // The GIN index is maintained with each row: there is nothing to catch up.
    c::search_semantics(&s).await;
}

#[tokio::test]
async fn alerts_aggregate_and_follow_the_state_machine() {
    store!(db, s);
    c::alerts(&s).await;
}

#[tokio::test]
async fn many_alert_updates_in_one_batch() {
    store!(db, s);
    c::alerts_in_bulk(&s).await;
}

#[tokio::test]
async fn alert_updates_merged_in_one_batch() {
    store!(db, s);
    c::alert_updates_in_one_batch(&s).await;
}

#[tokio::test]
async fn accounts_sessions_tokens() {
    store!(db, s);
    c::accounts(&s).await;
    // Usernames are unique case-insensitively and found that way (as in SQLite).
    assert!(matches!(s.create_user("ALICE", "h", None).await, Err(StoreError::Conflict(_))));
    assert_eq!(s.user_by_name("Alice").await.unwrap().user.username, "alice");
}

#[tokio::test]
async fn retention_by_age_and_size() {
    store!(db, s);
    c::retention(&s).await;
}

#[tokio::test]
async fn audit_log_is_append_only() {
    store!(db, s);
    s.audit(&AuditEntry {
        at: c::t(0),
        actor: Actor::system(),
        tenant: None,
        action: "tenant.create".into(),
        target: "tenant:1".into(),
        detail: serde_json::json!({"slug": "a"}),
    })
    .await
    .unwrap();
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let upd = sqlx::query("UPDATE audit_log SET action = 'forged'").execute(&mut conn).await;
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    let del = sqlx::query("DELETE FROM audit_log").execute(&mut conn).await;
    assert!(del.unwrap_err().to_string().contains("append-only"));
    let trunc = sqlx::query("TRUNCATE audit_log").execute(&mut conn).await;
    assert!(trunc.unwrap_err().to_string().contains("append-only"));
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'tenant.create'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

/// Bytes PostgreSQL text cannot hold (invalid UTF-8, NUL) are kept exactly and still searchable.
#[tokio::test]
async fn raw_bytes_and_nul_round_trip() {
    store!(db, s);
    let (a, _) = c::two_tenants(&s).await;
    let mut e = c::ev(1, a, "fw", 0, Some("h\0st"), None, None, "", serde_json::json!({}));
    e.raw = b"deny \xff\xfe from\0 mallory".to_vec();
    e.fields_json = r#"{"msg":"nul\u0000here"}"#.into();
    s.write_batch(&WriteBatch { events: vec![e], ..Default::default() }).await.unwrap();
    let scope = TenantScope::one(a);
    let got = s.get_event(&scope, 1).await.unwrap();
    assert_eq!(got.raw, String::from_utf8_lossy(b"deny \xff\xfe from\0 mallory"));
    assert_eq!(got.fields["msg"], "nul\u{fffd}here");
    let q = EventQuery { text: Some("MALLORY".into()), ..Default::default() };
    assert_eq!(s.search_events(&scope, &q).await.unwrap().items.len(), 1);
    let bad = c::ev(2, a, "fw", 0, None, None, None, "x", serde_json::json!({}));
    let bad = NewEvent { fields_json: "{not json".into(), ..bad };
    let err = s.write_batch(&WriteBatch { events: vec![bad], ..Default::default() }).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(m) if m.contains("event 2")));
}

/// Alert keys that differ only by NUL against U+FFFD are one stored alert (text keeps U+FFFD
/// for NUL), also when one batch updates both.
#[tokio::test]
async fn alert_keys_differing_by_nul_are_one_alert() {
    store!(db, s);
    let (a, _) = c::two_tenants(&s).await;
    let events = (1..=3).map(|i| c::ev(i, a, "fw", i, None, None, None, "x", serde_json::json!({}))).collect();
    s.write_batch(&WriteBatch { events, ..Default::default() }).await.unwrap();
    let x = c::upsert(a, "r\0", "ho\0st", 1, 1, 1, 30);
    let mut y = c::upsert(a, "r\u{fffd}", "ho\u{fffd}st", 1, 2, 2, 40);
    y.samples = vec![2, 3];
    s.write_batch(&WriteBatch { alerts: vec![x, y], ..Default::default() }).await.unwrap();
    let list = s.list_alerts(&TenantScope::one(a), &AlertQuery::default()).await.unwrap();
    assert_eq!(list.items.len(), 1, "one alert");
    let got = &list.items[0];
    assert_eq!((got.rule_id.as_str(), got.entity.as_str()), ("r\u{fffd}", "ho\u{fffd}st"));
    assert_eq!((got.count, got.score, got.last_seen), (3, 40, c::t(2)));
    let samples = s.get_alert(&TenantScope::one(a), got.id).await.unwrap().samples;
    assert_eq!(samples.iter().map(|e| e.id).collect::<Vec<_>>(), vec![1, 2, 3]);
}

/// Batches from several tasks at once (sharing new sources) all land, each exactly once.
#[tokio::test]
async fn concurrent_batches() {
    store!(db, s);
    let (a, b) = c::two_tenants(&s).await;
    let s = std::sync::Arc::new(s);
    let mut tasks = Vec::new();
    for k in 0..8i64 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let tenant = if k % 2 == 0 { a } else { b };
            let events = (0..200)
                .map(|i| c::ev(k * 1000 + i + 1, tenant, "shared", i, None, None, None, "x", serde_json::json!({})))
                .collect();
            let cp = Checkpoint { key: format!("k{k}"), value: "1".into() };
            s.write_batch(&WriteBatch { events, checkpoints: vec![cp], ..Default::default() }).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(s.stats().await.unwrap().events, 1600);
    assert_eq!(s.checkpoints().await.unwrap().len(), 8);
    assert_eq!(s.next_event_id().await.unwrap(), 7201);
    let q = EventQuery { sources: vec!["shared".into()], limit: 1000, ..Default::default() };
    assert_eq!(s.search_events(&TenantScope::one(a), &q).await.unwrap().items.len(), 800);
}

// --- incident response

#[tokio::test]
async fn respond_shared_incident_isolation() {
    store!(db, s);
    c::respond::shared_incident_isolation(&s).await;
}

#[tokio::test]
async fn respond_incident_updates_and_listing() {
    store!(db, s);
    c::respond::incident_updates_and_listing(&s).await;
}

#[tokio::test]
async fn respond_evidence() {
    store!(db, s);
    c::respond::evidence(&s).await;
}

#[tokio::test]
async fn respond_services() {
    store!(db, s);
    c::respond::services(&s).await;
}

#[tokio::test]
async fn respond_breaches() {
    store!(db, s);
    c::respond::breaches(&s).await;
}

#[tokio::test]
async fn respond_alert_assign_and_link() {
    store!(db, s);
    c::respond::alert_assign_and_link(&s).await;
}

#[tokio::test]
async fn respond_notifications() {
    store!(db, s);
    c::respond::notifications(&s).await;
}

#[tokio::test]
async fn respond_dashboard() {
    store!(db, s);
    c::respond::dashboard(&s).await;
}
