//! The store conformance suite over a real SQLite file, plus SQLite-only checks (reopen, WAL
//! readers, the audit log's triggers, the lagging indexer).

#![allow(clippy::unwrap_used)] // a failure here is a test failure

mod conformance;

use std::path::Path;

use conformance as c;
use ww_store::sqlite::{SqliteOptions, SqliteStore};
use ww_store::*;

async fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(&dir.join("ww.db"), SqliteOptions::default()).await.unwrap()
}

async fn catch_up(s: &SqliteStore) {
    while s.index_pending(7).await.unwrap() > 0 {}
    assert_eq!(s.stats().await.unwrap().unindexed_events, 0);
}

#[tokio::test]
async fn batch_atomicity() {
    let dir = tempfile::tempdir().unwrap();
    c::batch_atomicity(&open(dir.path()).await).await;
}

#[tokio::test]
async fn reopen_keeps_checkpoints_novelty_and_open_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await;
    let a = c::write_state_for_reopen(&s).await;
    s.close().await;
    drop(s);
    let s = open(dir.path()).await;
    c::check_state_after_reopen(&s, a).await;
}

#[tokio::test]
async fn tenant_isolation() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await;
    c::tenant_isolation(&s).await;
    catch_up(&s).await;
    // Same again with everything in the full-text index.
    let (a, _) = (TenantId(1), TenantId(2));
    let q = EventQuery { text: Some("bob".into()), ..Default::default() };
    let p = s.search_events(&TenantScope::one(a), &q).await.unwrap();
    assert_eq!(p.items.len(), 5);
    assert!(p.items.iter().all(|e| e.tenant == a));
}

#[tokio::test]
async fn search_semantics() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await;
    c::search_semantics(&s, async || catch_up(&s).await).await;
}

#[tokio::test]
async fn alerts_aggregate_and_follow_the_state_machine() {
    let dir = tempfile::tempdir().unwrap();
    c::alerts(&open(dir.path()).await).await;
}

#[tokio::test]
async fn accounts_sessions_tokens() {
    let dir = tempfile::tempdir().unwrap();
    c::accounts(&open(dir.path()).await).await;
}

#[tokio::test]
async fn retention_by_age_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await;
    c::retention(&s, async || catch_up(&s).await).await;
}

#[tokio::test]
async fn audit_log_is_append_only() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await;
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
    let url = format!("sqlite://{}", dir.path().join("ww.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let upd = sqlx::query("UPDATE audit_log SET action = 'forged'").execute(&mut conn).await;
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    assert!(sqlx::query("DELETE FROM audit_log").execute(&mut conn).await.is_err());
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'tenant.create'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn indexer_reports_lag_and_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await;
    let (a, _) = c::two_tenants(&s).await;
    let events = (1..=25).map(|i| c::ev(i, a, "fw", i, None, None, None, "deny tcp", serde_json::json!({}))).collect();
    s.write_batch(&WriteBatch { events, ..Default::default() }).await.unwrap();
    assert_eq!(s.stats().await.unwrap().unindexed_events, 25);
    assert_eq!(s.index_pending(10).await.unwrap(), 10);
    assert_eq!(s.stats().await.unwrap().unindexed_events, 15);
    assert_eq!(s.index_pending(100).await.unwrap(), 15);
    assert_eq!(s.index_pending(100).await.unwrap(), 0);
    let q = EventQuery { text: Some("DENY".into()), ..Default::default() };
    assert_eq!(s.search_events(&TenantScope::one(a), &q).await.unwrap().items.len(), 25);
}

#[tokio::test]
async fn reads_proceed_while_a_write_transaction_is_open() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await;
    let (a, _) = c::two_tenants(&s).await;
    let events = vec![c::ev(1, a, "fw", 1, None, None, None, "x", serde_json::json!({}))];
    s.write_batch(&WriteBatch { events, ..Default::default() }).await.unwrap();
    // Another connection holds the write lock; the store's readers are not blocked.
    let url = format!("sqlite://{}", dir.path().join("ww.db").display());
    let mut other = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
    sqlx::query("INSERT INTO checkpoints (key, value) VALUES ('k', 'v')").execute(&mut other).await.unwrap();
    let got = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        s.search_events(&TenantScope::one(a), &EventQuery::default()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(got.items.len(), 1);
    assert!(s.checkpoints().await.unwrap().is_empty(), "uncommitted write invisible");
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();
}

// --- incident response

#[tokio::test]
async fn respond_shared_incident_isolation() {
    let dir = tempfile::tempdir().unwrap();
    c::respond::shared_incident_isolation(&open(dir.path()).await).await;
}

#[tokio::test]
async fn respond_incident_updates_and_listing() {
    let dir = tempfile::tempdir().unwrap();
    c::respond::incident_updates_and_listing(&open(dir.path()).await).await;
}

#[tokio::test]
async fn respond_evidence() {
    let dir = tempfile::tempdir().unwrap();
    c::respond::evidence(&open(dir.path()).await).await;
}

#[tokio::test]
async fn respond_services() {
    let dir = tempfile::tempdir().unwrap();
    c::respond::services(&open(dir.path()).await).await;
}

#[tokio::test]
async fn respond_breaches() {
    let dir = tempfile::tempdir().unwrap();
    c::respond::breaches(&open(dir.path()).await).await;
}

#[tokio::test]
async fn respond_alert_assign_and_link() {
    let dir = tempfile::tempdir().unwrap();
    c::respond::alert_assign_and_link(&open(dir.path()).await).await;
}

#[tokio::test]
async fn respond_notifications() {
    let dir = tempfile::tempdir().unwrap();
    c::respond::notifications(&open(dir.path()).await).await;
}

#[tokio::test]
async fn respond_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    c::respond::dashboard(&open(dir.path()).await).await;
}
