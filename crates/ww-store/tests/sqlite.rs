//! The store conformance suite over a real SQLite file, plus SQLite-only checks (reopen, WAL
//! readers, the audit log's triggers, the full-text block filters).

#![allow(clippy::unwrap_used)] // a failure here is a test failure

mod conformance;

use std::path::Path;

use conformance as c;
use ww_store::sqlite::{SqliteOptions, SqliteStore};
use ww_store::*;

async fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(&dir.join("ww.db"), SqliteOptions::default()).await.unwrap()
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
    // Text search goes through the block filters, which hold both tenants' lines.
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
    c::search_semantics(&s).await;
}

#[tokio::test]
async fn alerts_aggregate_and_follow_the_state_machine() {
    let dir = tempfile::tempdir().unwrap();
    c::alerts(&open(dir.path()).await).await;
}

#[tokio::test]
async fn many_alert_updates_in_one_batch() {
    let dir = tempfile::tempdir().unwrap();
    c::alerts_in_bulk(&open(dir.path()).await).await;
}

#[tokio::test]
async fn alert_updates_merged_in_one_batch() {
    let dir = tempfile::tempdir().unwrap();
    c::alert_updates_in_one_batch(&open(dir.path()).await).await;
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
    c::retention(&s).await;
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

/// Raw line for the block-filter tests: every line holds "common", chosen ones "needle".
fn line(id: i64, needle: bool) -> String {
    format!("<34>Nov 21 10:00:00 fw01 kernel: DROP id={id} {}common", if needle { "needle " } else { "" })
}

/// Writes `line(id)` for every id in `ids`, `batch` at a time, at time `ts(id)`; `needles` get
/// the extra word.
async fn write_lines(
    s: &SqliteStore,
    a: TenantId,
    ids: std::ops::Range<i64>,
    batch: usize,
    ts: impl Fn(i64) -> i64,
    needles: &[i64],
) {
    write_each(s, ids, batch, |id| {
        c::ev(id, a, "fw", ts(id), None, None, None, &line(id, needles.contains(&id)), serde_json::json!({}))
    })
    .await;
}

/// Writes the event `make(id)` for every id in `ids`, `batch` at a time.
async fn write_each(s: &SqliteStore, ids: std::ops::Range<i64>, batch: usize, make: impl Fn(i64) -> NewEvent) {
    let ids: Vec<i64> = ids.collect();
    for chunk in ids.chunks(batch) {
        let events = chunk.iter().map(|&id| make(id)).collect();
        s.write_batch(&WriteBatch { events, ..Default::default() }).await.unwrap();
    }
}

/// Leaves the closed database as a migration that rebuilds the filters does (0003-0005): no
/// filters, and `blocks_complete` = 0 so that the next open builds them.
async fn forget_block_filters(dir: &Path) {
    use sqlx::Connection;
    let url = format!("sqlite://{}", dir.join("ww.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("DELETE FROM event_blocks").execute(&mut conn).await.unwrap();
    sqlx::query("UPDATE meta SET value = 0 WHERE key = 'blocks_complete'").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

/// All pages of a text search, as ids.
async fn all_pages(s: &SqliteStore, a: TenantId, text: &str, limit: u32) -> Vec<i64> {
    query_pages(s, a, EventQuery { text: Some(text.into()), limit, ..Default::default() }).await
}

/// All pages of a query, as ids, following the cursors.
async fn query_pages(s: &SqliteStore, a: TenantId, mut query: EventQuery) -> Vec<i64> {
    let mut out = Vec::new();
    loop {
        let p = s.search_events(&TenantScope::one(a), &query).await.unwrap();
        out.extend(p.items.iter().map(|e| e.id));
        match p.next_cursor {
            Some(cur) => query.cursor = Some(cur),
            None => return out,
        }
    }
}

#[tokio::test]
async fn text_search_spans_blocks_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await;
    let (a, _) = c::two_tenants(&s).await;
    let needles = [3i64, 2049, 4100, 5999];
    // Time follows id, except that the first block's events are the newest: the search must
    // order by time across blocks, not by block.
    let ts = |id: i64| if id < 2048 { 100_000 + id } else { id };
    write_lines(&s, a, 1..6001, 1000, ts, &needles).await;
    let mut want: Vec<i64> = needles.to_vec();
    want.sort_by_key(|id| std::cmp::Reverse(ts(*id)));
    assert_eq!(all_pages(&s, a, "NEEDLE", 100).await, want);
    assert_eq!(all_pages(&s, a, "needle common", 1).await, want, "one per page");
    let mut every: Vec<i64> = (1..=6000).collect();
    every.sort_by_key(|id| std::cmp::Reverse(ts(*id)));
    assert_eq!(all_pages(&s, a, "common", 700).await, every, "pages across blocks, no gaps or repeats");
    assert!(all_pages(&s, a, "haystack", 100).await.is_empty());
}

/// Filters are read a page at a time; a search over more blocks than one read holds must give
/// the same pages as over few, including when many blocks share their newest time.
#[tokio::test]
async fn text_search_reads_filters_in_pages_without_gaps_or_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await;
    let (a, _) = c::two_tenants(&s).await;
    const N: i64 = 36 * 2048; // more blocks than the first two filter reads (16, then 32)
    // Even blocks are newer than odd ones and, within each half, every block has the same
    // newest time: the read order of filters is decided by the block number on ties.
    let ts = |id: i64| if (id >> 11) % 2 == 0 { 1_000_000 + id % 1000 } else { 500_000 + id % 1000 };
    let needles = [5i64, 2048 * 17 + 9, 2048 * 33 + 1, N - 1];
    write_lines(&s, a, 1..N, 4096, ts, &needles).await;
    let newest_first = |mut ids: Vec<i64>| {
        ids.sort_by_key(|id| std::cmp::Reverse((ts(*id), *id)));
        ids
    };
    assert_eq!(all_pages(&s, a, "needle", 2).await, newest_first(needles.to_vec()));
    let every = newest_first((1..N).collect());
    assert_eq!(all_pages(&s, a, "common", 1000).await, every, "pages across filter reads");
    assert!(all_pages(&s, a, "haystack", 100).await.is_empty());
}

#[tokio::test]
async fn block_filters_survive_reopen_and_are_rebuilt_when_missing() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await;
    let (a, _) = c::two_tenants(&s).await;
    let batch = |ids: std::ops::RangeInclusive<i64>, word: &'static str| WriteBatch {
        events: ids
            .map(|i| c::ev(i, a, "fw", i, None, None, None, &format!("{word} {i}"), serde_json::json!({})))
            .collect(),
        ..Default::default()
    };
    s.write_batch(&batch(1..=10, "alpha")).await.unwrap();
    s.close().await;
    drop(s);
    // The same block gets more events after a restart: the stored filter is merged, not lost.
    let s = open(dir.path()).await;
    s.write_batch(&batch(11..=20, "bravo")).await.unwrap();
    assert_eq!(all_pages(&s, a, "alpha", 100).await, (1..=10).rev().collect::<Vec<_>>());
    assert_eq!(all_pages(&s, a, "bravo", 100).await, (11..=20).rev().collect::<Vec<_>>());
    s.close().await;
    drop(s);
    // A database whose events predate the filters (as after migration 0003) gets them built.
    forget_block_filters(dir.path()).await;
    let s = open(dir.path()).await;
    assert_eq!(all_pages(&s, a, "alpha", 100).await.len(), 10);
    assert_eq!(all_pages(&s, a, "bravo", 3).await.len(), 10);
}

/// All pages of a search on one field, as ids.
async fn field_pages(s: &SqliteStore, a: TenantId, field: &str, pattern: &str) -> Vec<i64> {
    let fields = vec![FieldFilter { field: field.into(), pattern: pattern.into() }];
    query_pages(s, a, EventQuery { fields, limit: 2, ..Default::default() }).await
}

/// Host, source IP and user have no per-row indexes: they are found through the block filters,
/// for exact values, patterns and prefixes too short for grams, case-insensitively, across many
/// blocks and tenants, and again after the filters are rebuilt (as after migration 0004).
#[tokio::test]
async fn promoted_columns_are_searched_through_the_block_filters() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await;
    let (a, b) = c::two_tenants(&s).await;
    const N: i64 = 10 * 2048;
    let rare = [7i64, 9001, N - 1];
    write_each(&s, 1..N, 4096, |id| {
        let (host, ip, user) =
            if rare.contains(&id) { ("Rare-Host", "198.51.100.23", "Z.Rare") } else { ("web01", "10.0.3.9", "jsmith") };
        // Every 100th event belongs to the other council and holds the rare values.
        let (tenant, host, ip, user) =
            if id % 100 == 0 { (b, "rare-host", "198.51.100.23", "z.rare") } else { (a, host, ip, user) };
        c::ev(id, tenant, "fw", id, Some(host), Some(ip), Some(user), "line", serde_json::json!({}))
    })
    .await;
    let newest_first = vec![N - 1, 9001, 7];
    let check = |s: SqliteStore| {
        let newest_first = newest_first.clone();
        async move {
            for (field, pattern) in [
                ("host", "rare-host"),
                ("computer", "RARE-HOST"),
                ("host", "rare*"),
                ("host", "r*"),
                ("src_ip", "198.51.100.23"),
                ("src_ip", "198.51.*"),
                ("src_ip", "*.100.2?"),
                ("user", "z.rare"),
                ("user", "z*"),
                ("user", "*rare"),
            ] {
                assert_eq!(field_pages(&s, a, field, pattern).await, newest_first, "{field} = {pattern}");
            }
            for (field, pattern) in
                [("host", "rare"), ("host", "x*"), ("src_ip", "198.51.100.2"), ("user", "rare"), ("user", "jsmith.*")]
            {
                assert!(field_pages(&s, a, field, pattern).await.is_empty(), "{field} = {pattern}");
            }
            s
        }
    };
    let s = check(s).await;
    s.close().await;
    drop(s);
    forget_block_filters(dir.path()).await;
    check(open(dir.path()).await).await;
}

/// Sources have no per-row index: a search by source finds its events through the block filters
/// (any of several names, only the caller's tenant's source of that name), alone or with text,
/// and again after the filters are rebuilt (as after migration 0005).
#[tokio::test]
async fn sources_are_searched_through_the_block_filters() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await;
    let (a, b) = c::two_tenants(&s).await;
    const N: i64 = 10 * 2048;
    let rare = [7i64, 9001, N - 1];
    write_each(&s, 1..N, 4096, |id| {
        // Every 100th event belongs to the other council, through a source also named vpn.
        let (tenant, source) = if id % 100 == 0 {
            (b, "vpn")
        } else if rare.contains(&id) {
            (a, "vpn")
        } else {
            (a, "fw")
        };
        c::ev(id, tenant, source, id, None, None, None, &line(id, id == 9001), serde_json::json!({}))
    })
    .await;
    let by_source = |names: &[&str], text: Option<&str>, limit: u32| EventQuery {
        sources: names.iter().map(|n| n.to_string()).collect(),
        text: text.map(str::to_string),
        limit,
        ..Default::default()
    };
    let a_count = (1..N).filter(|id| id % 100 != 0).count();
    let check = |s: SqliteStore| async move {
        assert_eq!(query_pages(&s, a, by_source(&["vpn"], None, 2)).await, vec![N - 1, 9001, 7]);
        assert_eq!(query_pages(&s, a, by_source(&["nosuch", "vpn"], None, 2)).await, vec![N - 1, 9001, 7]);
        assert_eq!(query_pages(&s, a, by_source(&["vpn"], Some("needle"), 2)).await, vec![9001]);
        assert!(query_pages(&s, a, by_source(&["nosuch"], None, 2)).await.is_empty());
        assert!(query_pages(&s, a, by_source(&["fw"], Some("needle"), 2)).await.is_empty());
        let all = query_pages(&s, a, by_source(&["fw", "vpn"], None, 1000)).await;
        assert_eq!(all.len(), a_count);
        assert!(all.windows(2).all(|w| w[0] > w[1]), "newest first, no repeats");
        let other = query_pages(&s, b, by_source(&["vpn"], None, 1000)).await;
        assert_eq!(other, (1..N).rev().filter(|id| id % 100 == 0).collect::<Vec<_>>());
        s
    };
    let s = check(s).await;
    s.close().await;
    drop(s);
    forget_block_filters(dir.path()).await;
    check(open(dir.path()).await).await;
}

/// The WAL is copied into the database file by the store's checkpointer, not by the writer's
/// commits (whose own checkpoint only starts at 128 MiB of WAL): the file grows soon after a
/// write, with no further writes and the store still open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_is_checkpointed_beside_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path()).await;
    let (a, _) = c::two_tenants(&s).await;
    let file = dir.path().join("ww.db");
    let before = std::fs::metadata(&file).unwrap().len();
    write_lines(&s, a, 1..20_000, 5_000, |id| id, &[]).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = std::fs::metadata(&file).unwrap().len();
        if now > before + 2 * 1024 * 1024 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "database file still {now} bytes (was {before})");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(all_pages(&s, a, "common", 5000).await.len(), 19_999);
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
