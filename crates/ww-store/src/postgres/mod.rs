//! The PostgreSQL backend, for deployments that already run PostgreSQL or share one store between
//! several servers. Same semantics as the SQLite backend (the conformance suite runs over both).
//!
//! Timestamps are BIGINT microseconds, as in SQLite. Full text: a `pg_trgm` GIN index on the raw
//! line (created when the extension can be installed) serves `ILIKE '%term%'`; GIN is updated with
//! the row, so nothing lags, and results are exact
//! with or without the index.
//!
//! Size: PostgreSQL files keep deleted rows until vacuum reuses their space, so retention cannot
//! measure file sizes. The store keeps an exact running total of its event data instead (each
//! row's stored bytes plus a fixed per-row overhead); [`StoreStats::db_bytes`] reports that total
//! and [`Retention::max_bytes`] limits it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::types::Json;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};

use crate::query::{Pattern, decode_cursor, encode_cursor, promoted_field, text_terms, translate_pattern};
use crate::*;

mod respond;

/// Events per INSERT … SELECT FROM UNNEST statement (bounds one message's size).
const INSERT_CHUNK: usize = 2000;
/// Sample events kept per alert.
const SAMPLE_CAP: i64 = 10;
/// Alerts per multi-row upsert and per samples statement (a samples statement then holds at most
/// [`SAMPLE_CAP`] events per alert).
const ALERT_CHUNK: usize = 1000;
/// Rows deleted per retention statement.
const RETENTION_CHUNK: i64 = 10_000;
/// Bytes counted per event on top of its column data: tuple header and index entries.
const ROW_OVERHEAD: usize = 96;
const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

/// Options for [`PgStore::connect`].
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Pool size; searches and writes share it.
    pub max_connections: u32,
    /// How long to wait for a connection (new or from the pool) before failing.
    pub acquire_timeout: Duration,
    /// Server-side limit per statement (`statement_timeout`); `None` keeps the server's setting.
    pub statement_timeout: Option<Duration>,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(10),
            statement_timeout: Some(Duration::from_secs(120)),
        }
    }
}

/// The PostgreSQL [`Store`].
pub struct PgStore {
    pool: PgPool,
    /// (tenant, source name) → source id, only for committed sources.
    sources: Mutex<HashMap<(i64, String), i64>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: not shown.
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

trait DbResult<T> {
    fn db(self, op: &'static str) -> Result<T>;
}

impl<T> DbResult<T> for std::result::Result<T, sqlx::Error> {
    fn db(self, op: &'static str) -> Result<T> {
        self.map_err(|source| StoreError::Db { op, source })
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

fn is_fk_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_foreign_key_violation())
}

fn us(t: &Timestamp) -> i64 {
    t.timestamp_micros()
}

fn from_us(v: i64) -> Result<Timestamp> {
    DateTime::<Utc>::from_timestamp_micros(v).ok_or_else(|| StoreError::Invalid("stored timestamp out of range".into()))
}

fn page_limit(limit: u32) -> u32 {
    if limit == 0 { DEFAULT_LIMIT } else { limit.min(MAX_LIMIT) }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Invalid(format!("stored value not understood: {what}"))
}

fn check_len(what: &str, s: &str, max: usize) -> Result<()> {
    if s.is_empty() || s.len() > max {
        return Err(StoreError::Invalid(format!("{what} must be 1..={max} bytes")));
    }
    Ok(())
}

/// PostgreSQL text cannot hold NUL: log data carrying one is stored with U+FFFD in its place.
fn pg_text(s: &str) -> Cow<'_, str> {
    if s.contains('\0') { Cow::Owned(s.replace('\0', "\u{fffd}")) } else { Cow::Borrowed(s) }
}

fn pg_opt(s: Option<&str>) -> Option<String> {
    s.map(|s| pg_text(s).into_owned())
}

/// The raw line as searchable text, plus the exact bytes when the text is not them.
fn raw_columns(raw: &[u8]) -> (String, Option<Vec<u8>>) {
    match std::str::from_utf8(raw) {
        Ok(s) if !s.contains('\0') => (s.to_owned(), None),
        _ => (String::from_utf8_lossy(raw).replace('\0', "\u{fffd}"), Some(raw.to_vec())),
    }
}

/// JSONB rejects the `\u0000` escape; such fields keep U+FFFD instead.
fn pg_json(s: &str) -> Cow<'_, str> {
    if s.contains("\\u0000") { Cow::Owned(s.replace("\\u0000", "\\ufffd")) } else { Cow::Borrowed(s) }
}

/// An alert's unique key as stored: tenant, rule id and entity through [`pg_text`], entity kind,
/// opening event. Two keys that differ only by NUL against U+FFFD are one stored alert.
type AlertRowKey<'a> = (i64, Cow<'a, str>, &'static str, Cow<'a, str>, i64);

/// One row of a batch's alert upsert: every update of one stored key in the batch, merged into
/// what applying them one after another leaves (PostgreSQL refuses `ON CONFLICT DO UPDATE`
/// touching a row twice in one statement).
#[derive(Debug)]
struct MergedAlert<'a> {
    key: AlertRowKey<'a>,
    /// The last update: rule title, level, score and score reasons are its.
    last: &'a AlertUpsert,
    /// The last host given (`coalesce(excluded.host, alerts.host)` applied in order).
    host: Option<&'a str>,
    first_seen: i64,
    last_seen: i64,
    /// The count deltas summed.
    count: i64,
    /// The first update's: only an insert sets it.
    novel: bool,
    /// The updates' sample events in order, without repeats, at most [`SAMPLE_CAP`]: at most
    /// `have` of them are kept already, so the first `SAMPLE_CAP - have` new ones are among them.
    samples: Vec<i64>,
}

/// Merges a batch's alert updates by stored key, in order of each key's first update, with an
/// index from key to position.
fn merge_alerts(alerts: &[AlertUpsert]) -> Result<(Vec<MergedAlert<'_>>, HashMap<AlertRowKey<'_>, usize>)> {
    let mut merged: Vec<MergedAlert<'_>> = Vec::new();
    let mut index: HashMap<AlertRowKey<'_>, usize> = HashMap::with_capacity(alerts.len());
    for a in alerts {
        let k = &a.key;
        let delta = i64::try_from(a.count_delta).map_err(|_| StoreError::Invalid("alert count too large".into()))?;
        let key = (k.tenant.0, pg_text(&k.rule_id), k.entity_kind.as_str(), pg_text(&k.entity), k.opened_by_event);
        let i = match index.get(&key) {
            Some(&i) => i,
            None => {
                index.insert(key.clone(), merged.len());
                merged.push(MergedAlert {
                    key,
                    last: a,
                    host: None,
                    first_seen: us(&a.first_seen),
                    last_seen: us(&a.last_seen),
                    count: 0,
                    novel: a.novel,
                    samples: Vec::new(),
                });
                merged.len() - 1
            }
        };
        let m = &mut merged[i];
        m.last = a;
        if let Some(h) = a.host.as_deref() {
            m.host = Some(h);
        }
        m.first_seen = m.first_seen.min(us(&a.first_seen));
        m.last_seen = m.last_seen.max(us(&a.last_seen));
        m.count = m.count.checked_add(delta).ok_or_else(|| StoreError::Invalid("alert count too large".into()))?;
        for &ev in &a.samples {
            if m.samples.len() >= SAMPLE_CAP as usize {
                break;
            }
            if !m.samples.contains(&ev) {
                m.samples.push(ev);
            }
        }
    }
    Ok((merged, index))
}

/// A LIKE pattern (escape `\`) matching exactly `v`.
fn like_literal(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    for c in v.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const EVENT_COLUMNS: &str = "e.id, e.tenant_id, s.name, e.received_at, e.ts, e.kind, e.host, e.src_ip, e.user_name, \
                             e.raw, e.raw_bytes, e.fields::text, e.parse_error";

fn event_from_row(r: &PgRow) -> Result<StoredEvent> {
    let op = "decode event";
    let raw: String = r.try_get(9).db(op)?;
    let raw_bytes: Option<Vec<u8>> = r.try_get(10).db(op)?;
    let fields: String = r.try_get(11).db(op)?;
    Ok(StoredEvent {
        id: r.try_get(0).db(op)?,
        tenant: TenantId(r.try_get(1).db(op)?),
        source: r.try_get(2).db(op)?,
        received_at: from_us(r.try_get(3).db(op)?)?,
        time: from_us(r.try_get(4).db(op)?)?,
        kind: r.try_get(5).db(op)?,
        host: r.try_get(6).db(op)?,
        src_ip: r.try_get(7).db(op)?,
        user: r.try_get(8).db(op)?,
        raw: match raw_bytes {
            Some(b) => String::from_utf8_lossy(&b).into_owned(),
            None => raw,
        },
        fields: serde_json::from_str(&fields).unwrap_or(serde_json::Value::Null),
        parse_error: r.try_get(12).db(op)?,
    })
}

const ALERT_COLUMNS: &str = "a.id, a.tenant_id, a.rule_id, a.rule_title, a.level, a.entity_kind, a.entity, a.host, \
                             a.first_seen, a.last_seen, a.count, a.score, a.score_reasons::text, a.novel, a.state, \
                             a.close_reason, a.state_by, a.state_at, a.assignee, a.incident_id";

fn alert_from_row(r: &PgRow) -> Result<Alert> {
    let op = "decode alert";
    let kind: String = r.try_get(5).db(op)?;
    let reasons: String = r.try_get(12).db(op)?;
    let state: String = r.try_get(14).db(op)?;
    let close: Option<String> = r.try_get(15).db(op)?;
    let state_at: Option<i64> = r.try_get(17).db(op)?;
    let count: i64 = r.try_get(10).db(op)?;
    let score: i64 = r.try_get(11).db(op)?;
    Ok(Alert {
        id: r.try_get(0).db(op)?,
        tenant: TenantId(r.try_get(1).db(op)?),
        rule_id: r.try_get(2).db(op)?,
        rule_title: r.try_get(3).db(op)?,
        level: r.try_get(4).db(op)?,
        entity_kind: EntityKind::parse(&kind).ok_or_else(|| corrupt("alert entity kind"))?,
        entity: r.try_get(6).db(op)?,
        host: r.try_get(7).db(op)?,
        first_seen: from_us(r.try_get(8).db(op)?)?,
        last_seen: from_us(r.try_get(9).db(op)?)?,
        count: u64::try_from(count).unwrap_or(0),
        score: u8::try_from(score.clamp(0, 100)).unwrap_or(0),
        score_reasons: serde_json::from_str(&reasons).map_err(|_| corrupt("alert score reasons"))?,
        novel: r.try_get(13).db(op)?,
        state: AlertState::parse(&state).ok_or_else(|| corrupt("alert state"))?,
        close_reason: match close {
            Some(c) => Some(CloseReason::parse(&c).ok_or_else(|| corrupt("alert close reason"))?),
            None => None,
        },
        state_by: r.try_get(16).db(op)?,
        state_at: state_at.map(from_us).transpose()?,
        assignee: r.try_get(18).db(op)?,
        incident_id: r.try_get(19).db(op)?,
    })
}

const TOKEN_COLUMNS: &str = "id, tenant_id, name, purpose, role, source, created_by, created_at, expires, revoked_at";

fn token_from_row(r: &PgRow) -> Result<ApiToken> {
    let op = "decode token";
    let purpose: String = r.try_get(3).db(op)?;
    let role: String = r.try_get(4).db(op)?;
    let expires: Option<i64> = r.try_get(8).db(op)?;
    let revoked: Option<i64> = r.try_get(9).db(op)?;
    Ok(ApiToken {
        id: r.try_get(0).db(op)?,
        tenant: TenantId(r.try_get(1).db(op)?),
        name: r.try_get(2).db(op)?,
        purpose: TokenPurpose::parse(&purpose).ok_or_else(|| corrupt("token purpose"))?,
        role: Role::parse(&role).ok_or_else(|| corrupt("token role"))?,
        source: r.try_get(5).db(op)?,
        created_by: r.try_get(6).db(op)?,
        created_at: from_us(r.try_get(7).db(op)?)?,
        expires: expires.map(from_us).transpose()?,
        revoked: revoked.is_some(),
    })
}

fn scope_ids(scope: &TenantScope) -> Vec<i64> {
    scope.tenants().iter().map(|t| t.0).collect()
}

enum FieldTarget {
    /// `lower(<column>)`, matching the expression indexes.
    Column(&'static str),
    /// A top-level key of the JSON fields.
    Json(String),
}

struct FieldPlan {
    target: FieldTarget,
    pattern: Pattern,
}

/// A validated event query.
struct SearchPlan {
    cursor: Option<(i64, i64)>,
    fields: Vec<FieldPlan>,
    /// `%term%` ILIKE patterns over raw.
    terms: Vec<String>,
}

impl PgStore {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database[?sslmode=…]`) and runs
    /// the embedded migrations. Installs `pg_trgm` for full-text indexing when the user may.
    pub async fn connect(url: &str, opts: PgOptions) -> Result<PgStore> {
        let mut connect = PgConnectOptions::from_str(url).db("parse database url")?.application_name("wardwatch");
        if let Some(t) = opts.statement_timeout {
            connect = connect.options([("statement_timeout", t.as_millis().to_string())]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .acquire_timeout(opts.acquire_timeout)
            .connect_with(connect)
            .await
            .db("connect to database")?;
        sqlx::migrate!("./migrations-postgres").run(&pool).await?;
        Ok(PgStore { pool, sources: Mutex::new(HashMap::new()) })
    }

    /// Closes the pool (waits for connections in use to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether the full-text index exists (pg_trgm was available); without it text search scans.
    pub async fn has_text_index(&self) -> Result<bool> {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'events_raw_trgm')")
            .fetch_one(&self.pool)
            .await
            .db("read indexes")
    }

    /// Source ids for the batch's (tenant, name) pairs, creating missing sources in `tx`.
    async fn resolve_sources(
        &self,
        tx: &mut PgConnection,
        events: &[NewEvent],
    ) -> Result<(HashMap<(i64, String), i64>, Vec<((i64, String), i64)>)> {
        let mut ids: HashMap<(i64, String), i64> = HashMap::new();
        let mut missing: Vec<(i64, String)> = Vec::new();
        {
            let cache = self.sources.lock().map_err(|_| StoreError::Invalid("source cache poisoned".into()))?;
            for e in events {
                let key = (e.tenant.0, e.source.clone());
                if ids.contains_key(&key) || missing.contains(&key) {
                    continue;
                }
                match cache.get(&key) {
                    Some(id) => {
                        ids.insert(key, *id);
                    }
                    None => missing.push(key),
                }
            }
        }
        let mut created = Vec::new();
        for (tenant, name) in missing {
            check_len("source name", &name, 128)?;
            let stored = pg_text(&name).into_owned();
            // DO NOTHING then SELECT: a concurrent batch creating the same source is waited for,
            // and the SELECT (a new snapshot under READ COMMITTED) sees its row.
            sqlx::query("INSERT INTO sources (tenant_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(tenant)
                .bind(&stored)
                .execute(&mut *tx)
                .await
                .db("create source")?;
            let id: i64 = sqlx::query_scalar("SELECT id FROM sources WHERE tenant_id = $1 AND name = $2")
                .bind(tenant)
                .bind(&stored)
                .fetch_one(&mut *tx)
                .await
                .db("create source")?;
            ids.insert((tenant, name.clone()), id);
            created.push(((tenant, name), id));
        }
        Ok((ids, created))
    }

    /// Inserts events with one `INSERT … SELECT FROM UNNEST` per chunk; returns the bytes they
    /// add to the event data total.
    async fn insert_events(
        &self,
        tx: &mut PgConnection,
        events: &[NewEvent],
        sources: &HashMap<(i64, String), i64>,
    ) -> Result<i64> {
        let op = "insert events";
        let mut total: i64 = 0;
        let source_ids = crate::source_ids(events, sources)?;
        for (chunk, sids) in events.chunks(INSERT_CHUNK).zip(source_ids.chunks(INSERT_CHUNK)) {
            let n = chunk.len();
            let mut id = Vec::with_capacity(n);
            let mut tenant = Vec::with_capacity(n);
            let mut source = Vec::with_capacity(n);
            let mut received = Vec::with_capacity(n);
            let mut ts = Vec::with_capacity(n);
            let mut kind = Vec::with_capacity(n);
            let mut host = Vec::with_capacity(n);
            let mut src_ip = Vec::with_capacity(n);
            let mut user = Vec::with_capacity(n);
            let mut raw = Vec::with_capacity(n);
            let mut raw_bytes = Vec::with_capacity(n);
            let mut fields = Vec::with_capacity(n);
            let mut parse_error = Vec::with_capacity(n);
            let mut size = Vec::with_capacity(n);
            for (e, &sid) in chunk.iter().zip(sids) {
                let (text, bytes) = raw_columns(&e.raw);
                let json = pg_json(&e.fields_json).into_owned();
                let row_size = ROW_OVERHEAD
                    + text.len()
                    + bytes.as_ref().map_or(0, Vec::len)
                    + json.len()
                    + e.kind.len()
                    + e.host.as_ref().map_or(0, String::len)
                    + e.src_ip.as_ref().map_or(0, String::len)
                    + e.user.as_ref().map_or(0, String::len)
                    + e.parse_error.as_ref().map_or(0, String::len);
                let row_size = i64::try_from(row_size).map_err(|_| StoreError::Invalid("event too large".into()))?;
                total = total.saturating_add(row_size);
                id.push(e.id);
                tenant.push(e.tenant.0);
                source.push(sid);
                received.push(us(&e.received_at));
                ts.push(us(&e.time));
                kind.push(pg_text(&e.kind).into_owned());
                host.push(pg_opt(e.host.as_deref()));
                src_ip.push(pg_opt(e.src_ip.as_deref()));
                user.push(pg_opt(e.user.as_deref()));
                raw.push(text);
                raw_bytes.push(bytes);
                fields.push(json);
                parse_error.push(pg_opt(e.parse_error.as_deref()));
                size.push(row_size);
            }
            sqlx::query(
                "INSERT INTO events (id, tenant_id, source_id, received_at, ts, kind, host, src_ip, user_name, raw, \
                 raw_bytes, fields, parse_error, size_bytes) \
                 SELECT id, tenant_id, source_id, received_at, ts, kind, host, src_ip, user_name, raw, raw_bytes, \
                 fields::jsonb, parse_error, size_bytes \
                 FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], \
                 $7::text[], $8::text[], $9::text[], $10::text[], $11::bytea[], $12::text[], $13::text[], \
                 $14::bigint[]) AS t (id, tenant_id, source_id, received_at, ts, kind, host, src_ip, user_name, raw, \
                 raw_bytes, fields, parse_error, size_bytes)",
            )
            .bind(id)
            .bind(tenant)
            .bind(source)
            .bind(received)
            .bind(ts)
            .bind(kind)
            .bind(host)
            .bind(src_ip)
            .bind(user)
            .bind(raw)
            .bind(raw_bytes)
            .bind(fields)
            .bind(parse_error)
            .bind(size)
            .execute(&mut *tx)
            .await
            .db(op)?;
        }
        Ok(total)
    }

    /// Creates or updates every alert of a batch and adds their sample events (at most
    /// [`SAMPLE_CAP`] per alert) in a few multi-row statements: one `INSERT … SELECT FROM UNNEST
    /// … ON CONFLICT DO UPDATE` per [`ALERT_CHUNK`] alerts, then one statement per chunk for the
    /// samples and sample counts. Each statement costs a round trip over the network: up to three
    /// statements per alert made a batch of thousands of alert updates thousands of round trips.
    async fn upsert_alerts(&self, tx: &mut PgConnection, alerts: &[AlertUpsert]) -> Result<()> {
        let op = "upsert alerts";
        let (merged, index) = merge_alerts(alerts)?;
        // The stored id and sample count of each merged alert.
        let mut stored: Vec<Option<(i64, i64)>> = vec![None; merged.len()];
        for chunk in merged.chunks(ALERT_CHUNK) {
            let n = chunk.len();
            let mut tenant = Vec::with_capacity(n);
            let mut rule = Vec::with_capacity(n);
            let mut kind = Vec::with_capacity(n);
            let mut entity = Vec::with_capacity(n);
            let mut opened = Vec::with_capacity(n);
            let mut title = Vec::with_capacity(n);
            let mut level = Vec::with_capacity(n);
            let mut host = Vec::with_capacity(n);
            let mut first_seen = Vec::with_capacity(n);
            let mut last_seen = Vec::with_capacity(n);
            let mut count = Vec::with_capacity(n);
            let mut score = Vec::with_capacity(n);
            let mut reasons = Vec::with_capacity(n);
            let mut novel = Vec::with_capacity(n);
            for m in chunk {
                let (t, r, k, e, o) = &m.key;
                tenant.push(*t);
                rule.push(r.as_ref());
                kind.push(*k);
                entity.push(e.as_ref());
                opened.push(*o);
                title.push(pg_text(&m.last.rule_title));
                level.push(pg_text(&m.last.level));
                host.push(pg_opt(m.host));
                first_seen.push(m.first_seen);
                last_seen.push(m.last_seen);
                count.push(m.count);
                score.push(i64::from(m.last.score.min(100)));
                let texts: Vec<Cow<'_, str>> = m.last.score_reasons.iter().map(|r| pg_text(r)).collect();
                reasons.push(serde_json::to_string(&texts).map_err(|_| corrupt("score reasons"))?);
                novel.push(m.novel);
            }
            // Rows are inserted in the batch's order (alert ids follow it, as one statement per
            // alert gave them). RETURNING rows come in no promised order: matched back by key.
            let rows = sqlx::query(
                "INSERT INTO alerts (tenant_id, rule_id, entity_kind, entity, opened_by_event, rule_title, level, \
                 host, first_seen, last_seen, count, score, score_reasons, novel) \
                 SELECT tenant_id, rule_id, entity_kind, entity, opened_by_event, rule_title, level, host, \
                 first_seen, last_seen, count, score, score_reasons::jsonb, novel \
                 FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], \
                 $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::text[], \
                 $14::boolean[]) WITH ORDINALITY AS t (tenant_id, rule_id, entity_kind, entity, opened_by_event, \
                 rule_title, level, host, first_seen, last_seen, count, score, score_reasons, novel, ord) \
                 ORDER BY ord \
                 ON CONFLICT (tenant_id, rule_id, entity_kind, entity, opened_by_event) DO UPDATE SET \
                   count = alerts.count + excluded.count, \
                   first_seen = LEAST(alerts.first_seen, excluded.first_seen), \
                   last_seen = GREATEST(alerts.last_seen, excluded.last_seen), \
                   score = excluded.score, score_reasons = excluded.score_reasons, \
                   rule_title = excluded.rule_title, level = excluded.level, \
                   host = coalesce(excluded.host, alerts.host) \
                 RETURNING tenant_id, rule_id, entity_kind, entity, opened_by_event, id, sample_count",
            )
            .bind(tenant)
            .bind(rule)
            .bind(kind)
            .bind(entity)
            .bind(opened)
            .bind(title)
            .bind(level)
            .bind(host)
            .bind(first_seen)
            .bind(last_seen)
            .bind(count)
            .bind(score)
            .bind(reasons)
            .bind(novel)
            .fetch_all(&mut *tx)
            .await
            .db(op)?;
            for r in rows {
                let kind: String = r.try_get(2).db(op)?;
                let kind = EntityKind::parse(&kind).ok_or_else(|| corrupt("entity kind"))?.as_str();
                let key: AlertRowKey<'_> = (
                    r.try_get(0).db(op)?,
                    Cow::Owned(r.try_get(1).db(op)?),
                    kind,
                    Cow::Owned(r.try_get(3).db(op)?),
                    r.try_get(4).db(op)?,
                );
                let i = *index.get(&key).ok_or_else(|| corrupt("alert upsert returned another key"))?;
                stored[i] = Some((r.try_get(5).db(op)?, r.try_get(6).db(op)?));
            }
        }
        // Samples: per alert, the events not kept yet in the order given, up to the cap; each
        // alert's sample count grows by the rows actually inserted.
        let mut todo: Vec<(i64, &[i64])> = Vec::new();
        for (m, s) in merged.iter().zip(&stored) {
            let (id, have) = s.ok_or_else(|| corrupt("alert upsert returned no row"))?;
            if have < SAMPLE_CAP && !m.samples.is_empty() {
                todo.push((id, &m.samples));
            }
        }
        for chunk in todo.chunks(ALERT_CHUNK) {
            let rows: usize = chunk.iter().map(|(_, s)| s.len()).sum();
            let mut alert_id = Vec::with_capacity(rows);
            let mut event_id = Vec::with_capacity(rows);
            for (id, samples) in chunk {
                for ev in *samples {
                    alert_id.push(*id);
                    event_id.push(*ev);
                }
            }
            sqlx::query(
                "WITH s AS ( \
                   SELECT t.alert_id, t.event_id, \
                     row_number() OVER (PARTITION BY t.alert_id ORDER BY t.ord) AS n \
                   FROM UNNEST($1::bigint[], $2::bigint[]) WITH ORDINALITY AS t (alert_id, event_id, ord) \
                   WHERE NOT EXISTS ( \
                     SELECT 1 FROM alert_samples x WHERE x.alert_id = t.alert_id AND x.event_id = t.event_id)), \
                 ins AS ( \
                   INSERT INTO alert_samples (alert_id, event_id) \
                   SELECT s.alert_id, s.event_id FROM s JOIN alerts a ON a.id = s.alert_id \
                   WHERE s.n <= $3 - a.sample_count \
                   ON CONFLICT DO NOTHING \
                   RETURNING alert_id) \
                 UPDATE alerts SET sample_count = alerts.sample_count + c.n \
                 FROM (SELECT alert_id, count(*) AS n FROM ins GROUP BY alert_id) c \
                 WHERE alerts.id = c.alert_id",
            )
            .bind(alert_id)
            .bind(event_id)
            .bind(SAMPLE_CAP)
            .execute(&mut *tx)
            .await
            .db(op)?;
        }
        Ok(())
    }

    /// One tenant's page of matching events (up to `limit` rows, newest first).
    async fn search_tenant(
        &self,
        tenant: TenantId,
        q: &EventQuery,
        plan: &SearchPlan,
        limit: u32,
    ) -> Result<Vec<StoredEvent>> {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new("SELECT ");
        qb.push(EVENT_COLUMNS);
        qb.push(" FROM events e JOIN sources s ON s.id = e.source_id WHERE e.tenant_id = ");
        qb.push_bind(tenant.0);
        if let Some(from) = &q.from {
            qb.push(" AND e.ts >= ").push_bind(us(from));
        }
        if let Some(to) = &q.to {
            qb.push(" AND e.ts < ").push_bind(us(to));
        }
        if let Some((ts, id)) = plan.cursor {
            qb.push(" AND e.ts <= ").push_bind(ts);
            qb.push(" AND (e.ts, e.id) < (").push_bind(ts).push(", ").push_bind(id).push(")");
        }
        if !q.sources.is_empty() {
            let names: Vec<String> = q.sources.iter().map(|s| pg_text(s).into_owned()).collect();
            qb.push(" AND s.name = ANY(").push_bind(names).push(")");
        }
        for f in &plan.fields {
            qb.push(" AND ");
            match (&f.target, &f.pattern) {
                (FieldTarget::Column(col), Pattern::Exact(v)) => {
                    qb.push("lower(").push(col).push(") = lower(").push_bind(v.clone()).push(")");
                }
                (FieldTarget::Column(col), Pattern::Like(p)) => {
                    qb.push("lower(").push(col).push(") LIKE lower(").push_bind(p.clone()).push(") ESCAPE '\\'");
                }
                (FieldTarget::Json(key), pattern) => {
                    let like = match pattern {
                        Pattern::Exact(v) => like_literal(v),
                        Pattern::Like(p) => p.clone(),
                    };
                    qb.push("(e.fields ->> ").push_bind(key.clone()).push(") ILIKE ");
                    qb.push_bind(like).push(" ESCAPE '\\'");
                }
            }
        }
        for t in &plan.terms {
            qb.push(" AND e.raw ILIKE ").push_bind(t.clone()).push(" ESCAPE '\\'");
        }
        qb.push(" ORDER BY e.ts DESC, e.id DESC LIMIT ").push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&self.pool).await.db("search events")?;
        rows.iter().map(event_from_row).collect()
    }

    /// Deletes the given events and takes their bytes off the total, in one statement.
    async fn delete_events(&self, ids: &[i64]) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "WITH d AS (DELETE FROM events WHERE id = ANY($1) RETURNING size_bytes) \
             UPDATE store_state SET event_bytes = event_bytes - (SELECT coalesce(sum(size_bytes), 0) FROM d)::bigint \
             RETURNING (SELECT count(*) FROM d)",
        )
        .bind(ids)
        .fetch_one(&self.pool)
        .await
        .db("delete events")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

async fn insert_audit(conn: &mut PgConnection, e: &AuditEntry) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (at, actor, tenant_id, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(us(&e.at))
        .bind(pg_text(&e.actor.name))
        .bind(e.tenant.map(|t| t.0))
        .bind(pg_text(&e.action))
        .bind(pg_text(&e.target))
        .bind(Json(pg_json_value(&e.detail)))
        .execute(conn)
        .await
        .db("write audit")?;
    Ok(())
}

/// The audit detail with NULs replaced (JSONB refuses them).
fn pg_json_value(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(pg_text(s).into_owned()),
        Value::Array(a) => Value::Array(a.iter().map(pg_json_value).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (pg_text(k).into_owned(), pg_json_value(v))).collect()),
        other => other.clone(),
    }
}

async fn user_by(pool: &PgPool, id: Option<i64>, name: Option<&str>) -> Result<(User, String)> {
    let op = "read user";
    let row = if let Some(id) = id {
        sqlx::query("SELECT id, username, service_role, password_hash FROM users WHERE id = $1").bind(id)
    } else {
        sqlx::query("SELECT id, username, service_role, password_hash FROM users WHERE lower(username) = lower($1)")
            .bind(name.map(pg_text))
    }
    .fetch_optional(pool)
    .await
    .db(op)?
    .ok_or(StoreError::NotFound)?;
    let id: i64 = row.try_get(0).db(op)?;
    let service_role: Option<String> = row.try_get(2).db(op)?;
    let members = sqlx::query("SELECT tenant_id, role FROM memberships WHERE user_id = $1 ORDER BY tenant_id")
        .bind(id)
        .fetch_all(pool)
        .await
        .db(op)?;
    let mut memberships = Vec::with_capacity(members.len());
    for m in &members {
        let role: String = m.try_get(1).db(op)?;
        memberships.push((TenantId(m.try_get(0).db(op)?), Role::parse(&role).ok_or_else(|| corrupt("role"))?));
    }
    let user = User {
        id,
        username: row.try_get(1).db(op)?,
        service_role: match service_role {
            Some(s) => Some(ServiceRole::parse(&s).ok_or_else(|| corrupt("service role"))?),
            None => None,
        },
        memberships,
    };
    Ok((user, row.try_get(3).db(op)?))
}

#[async_trait]
impl Store for PgStore {
    async fn next_event_id(&self) -> Result<i64> {
        let v: i64 = sqlx::query_scalar(
            "SELECT GREATEST(coalesce((SELECT max(id) FROM events), 0), (SELECT max_event_id FROM store_state))",
        )
        .fetch_one(&self.pool)
        .await
        .db("next event id")?;
        Ok(v + 1)
    }

    async fn write_batch(&self, batch: &WriteBatch) -> Result<()> {
        let op = "write batch";
        // Checked before the transaction: one bad event is named, not a database error.
        for e in &batch.events {
            if serde_json::from_str::<serde::de::IgnoredAny>(&e.fields_json).is_err() {
                return Err(StoreError::Invalid(format!("event {}: fields are not JSON", e.id)));
            }
        }
        let mut tx = self.pool.begin().await.db(op)?;
        let mut created = Vec::new();
        if !batch.events.is_empty() {
            let (sources, new) = self.resolve_sources(&mut tx, &batch.events).await?;
            created = new;
            let bytes = self.insert_events(&mut tx, &batch.events, &sources).await?;
            let max_id = batch.events.iter().map(|e| e.id).max().unwrap_or(0);
            sqlx::query(
                "UPDATE store_state SET max_event_id = GREATEST(max_event_id, $1), event_bytes = event_bytes + $2",
            )
            .bind(max_id)
            .bind(bytes)
            .execute(&mut *tx)
            .await
            .db(op)?;
        }
        if !batch.alerts.is_empty() {
            self.upsert_alerts(&mut tx, &batch.alerts).await?;
        }
        if !batch.novelty.is_empty() {
            let tenant: Vec<i64> = batch.novelty.iter().map(|n| n.tenant.0).collect();
            let rule: Vec<String> = batch.novelty.iter().map(|n| pg_text(&n.rule_id).into_owned()).collect();
            let kind: Vec<&str> = batch.novelty.iter().map(|n| n.entity_kind.as_str()).collect();
            let entity: Vec<String> = batch.novelty.iter().map(|n| pg_text(&n.entity).into_owned()).collect();
            sqlx::query(
                "INSERT INTO novelty (tenant_id, rule_id, entity_kind, entity) \
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING",
            )
            .bind(tenant)
            .bind(rule)
            .bind(kind)
            .bind(entity)
            .execute(&mut *tx)
            .await
            .db(op)?;
        }
        if !batch.checkpoints.is_empty() {
            // One row per key (the last wins): ON CONFLICT cannot touch a row twice in a statement.
            let mut latest: HashMap<String, String> = HashMap::new();
            for c in &batch.checkpoints {
                latest.insert(pg_text(&c.key).into_owned(), pg_text(&c.value).into_owned());
            }
            let (keys, values): (Vec<String>, Vec<String>) = latest.into_iter().unzip();
            sqlx::query(
                "INSERT INTO checkpoints (key, value) SELECT * FROM UNNEST($1::text[], $2::text[]) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(keys)
            .bind(values)
            .execute(&mut *tx)
            .await
            .db(op)?;
        }
        tx.commit().await.db(op)?;
        if !created.is_empty() {
            let mut cache = self.sources.lock().map_err(|_| StoreError::Invalid("source cache poisoned".into()))?;
            cache.extend(created);
        }
        Ok(())
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>> {
        let rows = sqlx::query("SELECT key, value FROM checkpoints ORDER BY key")
            .fetch_all(&self.pool)
            .await
            .db("read checkpoints")?;
        rows.iter()
            .map(|r| {
                Ok(Checkpoint {
                    key: r.try_get(0).db("read checkpoints")?,
                    value: r.try_get(1).db("read checkpoints")?,
                })
            })
            .collect()
    }

    async fn detector_state(&self, since: Timestamp) -> Result<DetectorState> {
        let op = "read detector state";
        let rows = sqlx::query(
            "SELECT tenant_id, rule_id, entity_kind, entity, opened_by_event, rule_title, level, host, first_seen, \
             last_seen, count, sample_count, novel FROM alerts WHERE last_seen >= $1 AND state <> 'closed' ORDER BY id",
        )
        .bind(us(&since))
        .fetch_all(&self.pool)
        .await
        .db(op)?;
        let mut open_alerts = Vec::with_capacity(rows.len());
        for r in &rows {
            let kind: String = r.try_get(2).db(op)?;
            let count: i64 = r.try_get(10).db(op)?;
            let samples: i64 = r.try_get(11).db(op)?;
            open_alerts.push(OpenAlert {
                key: AlertKey {
                    tenant: TenantId(r.try_get(0).db(op)?),
                    rule_id: r.try_get(1).db(op)?,
                    entity_kind: EntityKind::parse(&kind).ok_or_else(|| corrupt("entity kind"))?,
                    entity: r.try_get(3).db(op)?,
                    opened_by_event: r.try_get(4).db(op)?,
                },
                rule_title: r.try_get(5).db(op)?,
                level: r.try_get(6).db(op)?,
                host: r.try_get(7).db(op)?,
                first_seen: from_us(r.try_get(8).db(op)?)?,
                last_seen: from_us(r.try_get(9).db(op)?)?,
                count: u64::try_from(count).unwrap_or(0),
                samples: u32::try_from(samples).unwrap_or(0),
                novel: r.try_get(12).db(op)?,
            });
        }
        let rows = sqlx::query("SELECT tenant_id, rule_id, entity_kind, entity FROM novelty")
            .fetch_all(&self.pool)
            .await
            .db(op)?;
        let mut novelty = Vec::with_capacity(rows.len());
        for r in &rows {
            let kind: String = r.try_get(2).db(op)?;
            novelty.push(NoveltyKey {
                tenant: TenantId(r.try_get(0).db(op)?),
                rule_id: r.try_get(1).db(op)?,
                entity_kind: EntityKind::parse(&kind).ok_or_else(|| corrupt("entity kind"))?,
                entity: r.try_get(3).db(op)?,
            });
        }
        Ok(DetectorState { open_alerts, novelty })
    }

    async fn search_events(&self, scope: &TenantScope, q: &EventQuery) -> Result<Page<StoredEvent>> {
        let limit = page_limit(q.limit);
        if q.sources.len() > 100 || q.fields.len() > 32 {
            return Err(StoreError::Invalid("at most 100 sources and 32 field filters".into()));
        }
        let cursor = match &q.cursor {
            Some(c) => {
                let [ts, id] = decode_cursor::<2>(c)?;
                Some((ts, id))
            }
            None => None,
        };
        let mut fields = Vec::with_capacity(q.fields.len());
        for f in &q.fields {
            if f.pattern.len() > 1024 {
                return Err(StoreError::Invalid("field pattern longer than 1024 bytes".into()));
            }
            let target = match promoted_field(&f.field) {
                Some(p) => FieldTarget::Column(p.column()),
                None => {
                    // Same rule as the SQLite backend, so a query valid on one is valid on both.
                    if f.field.is_empty() || f.field.contains('"') || f.field.len() > 256 {
                        return Err(StoreError::Invalid("field name must be 1..=256 characters without '\"'".into()));
                    }
                    FieldTarget::Json(pg_text(&f.field).into_owned())
                }
            };
            fields.push(FieldPlan { target, pattern: translate_pattern(&pg_text(&f.pattern)) });
        }
        let terms = match &q.text {
            Some(t) => text_terms(t)?.iter().map(|t| format!("%{}%", like_literal(&pg_text(t)))).collect(),
            None => Vec::new(),
        };
        let plan = SearchPlan { cursor, fields, terms };
        let mut items = Vec::new();
        // Per tenant, so each walks its (tenant_id, ts, id) index newest first and stops at the limit.
        for t in scope.tenants() {
            items.extend(self.search_tenant(*t, q, &plan, limit + 1).await?);
        }
        items.sort_by_key(|e| std::cmp::Reverse((e.time, e.id)));
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = match (more, items.last()) {
            (true, Some(last)) => Some(encode_cursor(&[us(&last.time), last.id])),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }

    async fn get_event(&self, scope: &TenantScope, id: i64) -> Result<StoredEvent> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events e JOIN sources s ON s.id = e.source_id \
             WHERE e.id = $1 AND e.tenant_id = ANY($2)"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(scope_ids(scope))
            .fetch_optional(&self.pool)
            .await
            .db("read event")?
            .ok_or(StoreError::NotFound)?;
        event_from_row(&row)
    }

    async fn list_alerts(&self, scope: &TenantScope, q: &AlertQuery) -> Result<Page<Alert>> {
        let limit = page_limit(q.limit);
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new("SELECT ");
        qb.push(ALERT_COLUMNS).push(" FROM alerts a WHERE a.tenant_id = ANY(").push_bind(scope_ids(scope)).push(")");
        let states: Vec<String> = if q.states.is_empty() {
            vec!["new".into(), "acknowledged".into(), "escalated".into()]
        } else {
            q.states.iter().map(|s| s.as_str().to_string()).collect()
        };
        qb.push(" AND a.state = ANY(").push_bind(states).push(")");
        if let Some(m) = q.min_score {
            qb.push(" AND a.score >= ").push_bind(i64::from(m));
        }
        if let Some(r) = &q.rule_id {
            qb.push(" AND a.rule_id = ").push_bind(pg_text(r).into_owned());
        }
        if let Some(e) = &q.entity {
            qb.push(" AND a.entity = ").push_bind(pg_text(e).into_owned());
        }
        if let Some(from) = &q.from {
            qb.push(" AND a.last_seen >= ").push_bind(us(from));
        }
        if let Some(to) = &q.to {
            qb.push(" AND a.last_seen < ").push_bind(us(to));
        }
        if let Some(c) = &q.cursor {
            let [score, last, id] = decode_cursor::<3>(c)?;
            qb.push(" AND (a.score, a.last_seen, a.id) < (").push_bind(score).push(", ").push_bind(last);
            qb.push(", ").push_bind(id).push(")");
        }
        qb.push(" ORDER BY a.score DESC, a.last_seen DESC, a.id DESC LIMIT ").push_bind(i64::from(limit) + 1);
        let rows = qb.build().fetch_all(&self.pool).await.db("list alerts")?;
        let mut items = rows.iter().map(alert_from_row).collect::<Result<Vec<_>>>()?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = match (more, items.last()) {
            (true, Some(a)) => Some(encode_cursor(&[i64::from(a.score), us(&a.last_seen), a.id])),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }

    async fn get_alert(&self, scope: &TenantScope, id: i64) -> Result<AlertDetail> {
        let op = "read alert";
        let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts a WHERE a.id = $1 AND a.tenant_id = ANY($2)");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(scope_ids(scope))
            .fetch_optional(&self.pool)
            .await
            .db(op)?
            .ok_or(StoreError::NotFound)?;
        let alert = alert_from_row(&row)?;
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM alert_samples x JOIN events e ON e.id = x.event_id \
             JOIN sources s ON s.id = e.source_id WHERE x.alert_id = $1 AND e.tenant_id = $2 ORDER BY e.ts, e.id"
        );
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(alert.tenant.0).fetch_all(&self.pool).await.db(op)?;
        let samples = rows.iter().map(event_from_row).collect::<Result<Vec<_>>>()?;
        let rows = sqlx::query(
            "SELECT at, by_actor, from_state, to_state, reason, note FROM alert_history WHERE alert_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .db(op)?;
        let mut history = Vec::with_capacity(rows.len());
        for r in &rows {
            let from: String = r.try_get(2).db(op)?;
            let to: String = r.try_get(3).db(op)?;
            let reason: Option<String> = r.try_get(4).db(op)?;
            history.push(AlertHistoryEntry {
                at: from_us(r.try_get(0).db(op)?)?,
                by: r.try_get(1).db(op)?,
                from: AlertState::parse(&from).ok_or_else(|| corrupt("alert state"))?,
                to: AlertState::parse(&to).ok_or_else(|| corrupt("alert state"))?,
                reason: match reason {
                    Some(r) => Some(CloseReason::parse(&r).ok_or_else(|| corrupt("close reason"))?),
                    None => None,
                },
                note: r.try_get(5).db(op)?,
            });
        }
        Ok(AlertDetail { alert, samples, history })
    }

    async fn set_alert_state(&self, scope: &TenantScope, id: i64, change: &AlertStateChange) -> Result<Alert> {
        let op = "change alert state";
        match (change.to, change.reason) {
            (AlertState::Closed, None) => return Err(StoreError::Invalid("closing an alert needs a reason".into())),
            (to, Some(_)) if to != AlertState::Closed => {
                return Err(StoreError::Invalid("a reason is given only when closing".into()));
            }
            _ => {}
        }
        if change.note.as_ref().is_some_and(|n| n.len() > 4000) {
            return Err(StoreError::Invalid("note longer than 4000 bytes".into()));
        }
        let mut tx = self.pool.begin().await.db(op)?;
        // FOR UPDATE: two analysts moving the same alert at once are serialised, so the
        // transition check sees the state the update replaces.
        let from: String =
            sqlx::query_scalar("SELECT state FROM alerts WHERE id = $1 AND tenant_id = ANY($2) FOR UPDATE")
                .bind(id)
                .bind(scope_ids(scope))
                .fetch_optional(&mut *tx)
                .await
                .db(op)?
                .ok_or(StoreError::NotFound)?;
        let from = AlertState::parse(&from).ok_or_else(|| corrupt("alert state"))?;
        if !from.can_move_to(change.to) {
            return Err(StoreError::Conflict(format!(
                "alert cannot move from {} to {}",
                from.as_str(),
                change.to.as_str()
            )));
        }
        let now = us(&Utc::now());
        let reason = change.reason.map(CloseReason::as_str);
        sqlx::query("UPDATE alerts SET state = $2, close_reason = $3, state_by = $4, state_at = $5 WHERE id = $1")
            .bind(id)
            .bind(change.to.as_str())
            .bind(reason)
            .bind(pg_text(&change.actor.name))
            .bind(now)
            .execute(&mut *tx)
            .await
            .db(op)?;
        sqlx::query(
            "INSERT INTO alert_history (alert_id, at, by_actor, from_state, to_state, reason, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(now)
        .bind(pg_text(&change.actor.name))
        .bind(from.as_str())
        .bind(change.to.as_str())
        .bind(reason)
        .bind(pg_opt(change.note.as_deref()))
        .execute(&mut *tx)
        .await
        .db(op)?;
        let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts a WHERE a.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(&mut *tx).await.db(op)?;
        let alert = alert_from_row(&row)?;
        tx.commit().await.db(op)?;
        Ok(alert)
    }

    async fn disabled_rules(&self) -> Result<Vec<(TenantId, String)>> {
        let op = "read disabled rules";
        let rows = sqlx::query("SELECT tenant_id, rule_id FROM disabled_rules ORDER BY tenant_id, rule_id")
            .fetch_all(&self.pool)
            .await
            .db(op)?;
        rows.iter().map(|r| Ok((TenantId(r.try_get(0).db(op)?), r.try_get(1).db(op)?))).collect()
    }

    async fn set_rule_enabled(&self, tenant: TenantId, rule_id: &str, enabled: bool, actor: &Actor) -> Result<()> {
        let op = "set rule enabled";
        check_len("rule id", rule_id, 256)?;
        let rule = pg_text(rule_id);
        let mut tx = self.pool.begin().await.db(op)?;
        let changed = if enabled {
            sqlx::query("DELETE FROM disabled_rules WHERE tenant_id = $1 AND rule_id = $2")
        } else {
            sqlx::query("INSERT INTO disabled_rules (tenant_id, rule_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        }
        .bind(tenant.0)
        .bind(&rule)
        .execute(&mut *tx)
        .await
        .db(op)?
        .rows_affected();
        if changed > 0 {
            insert_audit(
                &mut tx,
                &AuditEntry {
                    at: Utc::now(),
                    actor: actor.clone(),
                    tenant: Some(tenant),
                    action: if enabled { "rule.enable" } else { "rule.disable" }.into(),
                    target: format!("rule:{rule}"),
                    detail: serde_json::Value::Object(Default::default()),
                },
            )
            .await?;
        }
        tx.commit().await.db(op)?;
        Ok(())
    }

    async fn create_tenant(&self, slug: &str, name: &str) -> Result<Tenant> {
        let op = "create tenant";
        if slug.is_empty()
            || slug.len() > 64
            || !slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(StoreError::Invalid("tenant slug must be 1..=64 of a-z, 0-9 and '-'".into()));
        }
        check_len("tenant name", name, 200)?;
        let res = sqlx::query_scalar("INSERT INTO tenants (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(slug)
            .bind(pg_text(name))
            .bind(us(&Utc::now()))
            .fetch_one(&self.pool)
            .await;
        match res {
            Ok(id) => Ok(Tenant { id: TenantId(id), slug: slug.into(), name: name.into() }),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!("tenant slug {slug} exists"))),
            Err(e) => Err(StoreError::Db { op, source: e }),
        }
    }

    async fn tenants(&self) -> Result<Vec<Tenant>> {
        let op = "read tenants";
        let rows = sqlx::query("SELECT id, slug, name FROM tenants ORDER BY id").fetch_all(&self.pool).await.db(op)?;
        rows.iter()
            .map(|r| {
                Ok(Tenant {
                    id: TenantId(r.try_get(0).db(op)?),
                    slug: r.try_get(1).db(op)?,
                    name: r.try_get(2).db(op)?,
                })
            })
            .collect()
    }

    async fn tenant_by_slug(&self, slug: &str) -> Result<Tenant> {
        let op = "read tenant";
        let r = sqlx::query("SELECT id, slug, name FROM tenants WHERE slug = $1")
            .bind(pg_text(slug))
            .fetch_optional(&self.pool)
            .await
            .db(op)?
            .ok_or(StoreError::NotFound)?;
        Ok(Tenant { id: TenantId(r.try_get(0).db(op)?), slug: r.try_get(1).db(op)?, name: r.try_get(2).db(op)? })
    }

    async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        service_role: Option<ServiceRole>,
    ) -> Result<User> {
        let op = "create user";
        check_len("username", username, 128)?;
        check_len("password hash", password_hash, 1024)?;
        if username.contains('\0') || password_hash.contains('\0') {
            return Err(StoreError::Invalid("username and password hash must not contain NUL".into()));
        }
        let res = sqlx::query_scalar(
            "INSERT INTO users (username, password_hash, service_role, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(username)
        .bind(password_hash)
        .bind(service_role.map(ServiceRole::as_str))
        .bind(us(&Utc::now()))
        .fetch_one(&self.pool)
        .await;
        match res {
            Ok(id) => Ok(User { id, username: username.into(), service_role, memberships: Vec::new() }),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("username exists".into())),
            Err(e) => Err(StoreError::Db { op, source: e }),
        }
    }

    async fn user_by_name(&self, username: &str) -> Result<UserRecord> {
        let (user, password_hash) = user_by(&self.pool, None, Some(username)).await?;
        Ok(UserRecord { user, password_hash })
    }

    async fn user(&self, id: i64) -> Result<User> {
        Ok(user_by(&self.pool, Some(id), None).await?.0)
    }

    async fn set_membership(&self, user: i64, tenant: TenantId, role: Option<Role>) -> Result<()> {
        let op = "set membership";
        let res = match role {
            Some(role) => {
                sqlx::query(
                    "INSERT INTO memberships (user_id, tenant_id, role) VALUES ($1, $2, $3) \
                     ON CONFLICT (user_id, tenant_id) DO UPDATE SET role = excluded.role",
                )
                .bind(user)
                .bind(tenant.0)
                .bind(role.as_str())
                .execute(&self.pool)
                .await
            }
            None => {
                sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND tenant_id = $2")
                    .bind(user)
                    .bind(tenant.0)
                    .execute(&self.pool)
                    .await
            }
        };
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_fk_violation(&e) => Err(StoreError::NotFound),
            Err(e) => Err(StoreError::Db { op, source: e }),
        }
    }

    async fn create_session(&self, user: i64, secret_sha256: &[u8; 32], expires: Timestamp) -> Result<()> {
        let res = sqlx::query("INSERT INTO sessions (secret_sha256, user_id, expires) VALUES ($1, $2, $3)")
            .bind(secret_sha256.as_slice())
            .bind(user)
            .bind(us(&expires))
            .execute(&self.pool)
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_fk_violation(&e) => Err(StoreError::NotFound),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("session exists".into())),
            Err(e) => Err(StoreError::Db { op: "create session", source: e }),
        }
    }

    async fn session_user(&self, secret_sha256: &[u8; 32], now: Timestamp) -> Result<User> {
        let id: i64 = sqlx::query_scalar("SELECT user_id FROM sessions WHERE secret_sha256 = $1 AND expires > $2")
            .bind(secret_sha256.as_slice())
            .bind(us(&now))
            .fetch_optional(&self.pool)
            .await
            .db("read session")?
            .ok_or(StoreError::NotFound)?;
        self.user(id).await
    }

    async fn delete_session(&self, secret_sha256: &[u8; 32]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE secret_sha256 = $1")
            .bind(secret_sha256.as_slice())
            .execute(&self.pool)
            .await
            .db("delete session")?;
        Ok(())
    }

    async fn create_token(&self, new: &NewToken, secret_sha256: &[u8; 32]) -> Result<ApiToken> {
        let op = "create token";
        check_len("token name", &new.name, 200)?;
        let created_at = Utc::now();
        let res = sqlx::query_scalar(
            "INSERT INTO api_tokens (tenant_id, name, purpose, role, source, created_by, created_at, expires, \
             secret_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(new.tenant.0)
        .bind(pg_text(&new.name))
        .bind(new.purpose.as_str())
        .bind(new.role.as_str())
        .bind(pg_opt(new.source.as_deref()))
        .bind(pg_text(&new.created_by))
        .bind(us(&created_at))
        .bind(new.expires.as_ref().map(us))
        .bind(secret_sha256.as_slice())
        .fetch_one(&self.pool)
        .await;
        match res {
            Ok(id) => Ok(ApiToken {
                id,
                tenant: new.tenant,
                name: new.name.clone(),
                purpose: new.purpose,
                role: new.role,
                source: new.source.clone(),
                created_by: new.created_by.clone(),
                created_at: from_us(us(&created_at))?,
                expires: new.expires,
                revoked: false,
            }),
            Err(e) if is_fk_violation(&e) => Err(StoreError::NotFound),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("token secret exists".into())),
            Err(e) => Err(StoreError::Db { op, source: e }),
        }
    }

    async fn token_by_secret(&self, secret_sha256: &[u8; 32]) -> Result<ApiToken> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE secret_sha256 = $1 AND revoked_at IS NULL \
             AND (expires IS NULL OR expires > $2)"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secret_sha256.as_slice())
            .bind(us(&Utc::now()))
            .fetch_optional(&self.pool)
            .await
            .db("read token")?
            .ok_or(StoreError::NotFound)?;
        token_from_row(&row)
    }

    async fn list_tokens(&self, scope: &TenantScope) -> Result<Vec<ApiToken>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE tenant_id = ANY($1) ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(scope_ids(scope))
            .fetch_all(&self.pool)
            .await
            .db("list tokens")?;
        rows.iter().map(token_from_row).collect()
    }

    async fn revoke_token(&self, scope: &TenantScope, id: i64) -> Result<()> {
        let n = sqlx::query(
            "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2 AND tenant_id = ANY($3)",
        )
        .bind(us(&Utc::now()))
        .bind(id)
        .bind(scope_ids(scope))
        .execute(&self.pool)
        .await
        .db("revoke token")?
        .rows_affected();
        if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<()> {
        let mut conn = self.pool.acquire().await.db("write audit")?;
        insert_audit(&mut conn, entry).await
    }

    async fn audit_log(&self, scope: &TenantScope, limit: u32, before_id: Option<i64>) -> Result<Page<AuditRecord>> {
        let op = "read audit log";
        let limit = page_limit(limit);
        // Deployment-wide entries (no tenant) are shown only to a scope covering every tenant.
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM tenants").fetch_one(&self.pool).await.db(op)?;
        let all = usize::try_from(total).is_ok_and(|t| t <= scope.tenants().len());
        let rows = sqlx::query(
            "SELECT id, at, actor, tenant_id, action, target, detail::text FROM audit_log \
             WHERE (tenant_id = ANY($1) OR ($2 AND tenant_id IS NULL)) AND ($3::bigint IS NULL OR id < $3) \
             ORDER BY id DESC LIMIT $4",
        )
        .bind(scope_ids(scope))
        .bind(all)
        .bind(before_id)
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await
        .db(op)?;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            let tenant: Option<i64> = r.try_get(3).db(op)?;
            let detail: String = r.try_get(6).db(op)?;
            items.push(AuditRecord {
                id: r.try_get(0).db(op)?,
                entry: AuditEntry {
                    at: from_us(r.try_get(1).db(op)?)?,
                    actor: Actor { name: r.try_get(2).db(op)? },
                    tenant: tenant.map(TenantId),
                    action: r.try_get(4).db(op)?,
                    target: r.try_get(5).db(op)?,
                    detail: serde_json::from_str(&detail).map_err(|_| corrupt("audit detail"))?,
                },
            });
        }
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = match (more, items.last()) {
            (true, Some(last)) => Some(last.id.to_string()),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }

    // --- incident response (SQL in the `respond` module) -----------------------------------

    async fn assign_alert(&self, scope: &TenantScope, id: i64, assignee: Option<&str>, actor: &Actor) -> Result<Alert> {
        self.r_assign_alert(scope, id, assignee, actor).await
    }
    async fn create_incident(&self, new: &NewIncident, actor: &Actor) -> Result<Incident> {
        self.r_create_incident(new, actor).await
    }
    async fn list_incidents(&self, scope: &TenantScope, q: &IncidentQuery) -> Result<Page<Incident>> {
        self.r_list_incidents(scope, q).await
    }
    async fn get_incident(&self, scope: &TenantScope, id: i64) -> Result<IncidentDetail> {
        self.r_get_incident(scope, id).await
    }
    async fn update_incident(
        &self,
        scope: &TenantScope,
        id: i64,
        u: &IncidentUpdate,
        actor: &Actor,
    ) -> Result<Incident> {
        self.r_update_incident(scope, id, u, actor).await
    }
    async fn add_incident_tenant(
        &self,
        scope: &TenantScope,
        id: i64,
        tenant: TenantId,
        actor: &Actor,
    ) -> Result<Incident> {
        self.r_add_incident_tenant(scope, id, tenant, actor).await
    }
    async fn link_alert(&self, scope: &TenantScope, incident_id: i64, alert_id: i64, actor: &Actor) -> Result<()> {
        self.r_link_alert(scope, incident_id, alert_id, actor).await
    }
    async fn link_event(&self, scope: &TenantScope, incident_id: i64, event_id: i64, actor: &Actor) -> Result<()> {
        self.r_link_event(scope, incident_id, event_id, actor).await
    }
    async fn add_task(&self, scope: &TenantScope, incident_id: i64, t: &NewTask, actor: &Actor) -> Result<Task> {
        self.r_add_task(scope, incident_id, t, actor).await
    }
    async fn set_task_done(&self, scope: &TenantScope, task_id: i64, done: bool, actor: &Actor) -> Result<Task> {
        self.r_set_task_done(scope, task_id, done, actor).await
    }
    async fn tasks_due(&self, before: Timestamp) -> Result<Vec<Task>> {
        self.r_tasks_due(before).await
    }
    async fn add_observable(
        &self,
        scope: &TenantScope,
        incident_id: i64,
        o: &NewObservable,
        actor: &Actor,
    ) -> Result<Observable> {
        self.r_add_observable(scope, incident_id, o, actor).await
    }
    async fn add_evidence(
        &self,
        scope: &TenantScope,
        incident_id: i64,
        e: &NewEvidence,
        actor: &Actor,
    ) -> Result<Evidence> {
        self.r_add_evidence(scope, incident_id, e, actor).await
    }
    async fn evidence_content(&self, scope: &TenantScope, evidence_id: i64) -> Result<(Evidence, Vec<u8>)> {
        self.r_evidence_content(scope, evidence_id).await
    }
    async fn add_note(
        &self,
        scope: &TenantScope,
        incident_id: i64,
        tenant: TenantId,
        body: &str,
        actor: &Actor,
    ) -> Result<Note> {
        self.r_add_note(scope, incident_id, tenant, body, actor).await
    }
    async fn set_service_status(
        &self,
        scope: &TenantScope,
        incident_id: i64,
        tenant: TenantId,
        service: &str,
        status: ServiceStatus,
        at: Timestamp,
        actor: &Actor,
    ) -> Result<AffectedService> {
        self.r_set_service_status(scope, incident_id, tenant, service, status, at, actor).await
    }
    async fn public_service_status(
        &self,
        tenant: TenantId,
        restored_since: Timestamp,
    ) -> Result<Vec<PublicServiceStatus>> {
        self.r_public_service_status(tenant, restored_since).await
    }
    async fn upsert_breach(&self, scope: &TenantScope, b: &Breach, actor: &Actor) -> Result<Breach> {
        self.r_upsert_breach(scope, b, actor).await
    }
    async fn breach_log(&self, scope: &TenantScope) -> Result<Vec<BreachLogEntry>> {
        self.r_breach_log(scope).await
    }
    async fn running_breach_clocks(&self) -> Result<Vec<Breach>> {
        self.r_running_breach_clocks().await
    }
    async fn dashboard_counts(
        &self,
        scope: &TenantScope,
        since: Timestamp,
        serious_score: u8,
    ) -> Result<DashboardCounts> {
        self.r_dashboard_counts(scope, since, serious_score).await
    }
    async fn notification_prefs(&self, user_id: i64) -> Result<NotificationPrefs> {
        self.r_notification_prefs(user_id).await
    }
    async fn set_notification_prefs(&self, p: &NotificationPrefs) -> Result<()> {
        self.r_set_notification_prefs(p).await
    }
    async fn users_for_tenant(&self, tenant: TenantId) -> Result<Vec<User>> {
        self.r_users_for_tenant(tenant).await
    }
    async fn claim_notification(&self, key: &str, at: Timestamp) -> Result<bool> {
        self.r_claim_notification(key, at).await
    }
    async fn release_notification(&self, key: &str) -> Result<()> {
        self.r_release_notification(key).await
    }

    async fn apply_retention(&self, now: Timestamp, policy: &Retention) -> Result<u64> {
        let op = "apply retention";
        let mut deleted = 0u64;
        let cutoff = us(&(now - chrono::Duration::days(i64::from(policy.max_age_days))));
        // Per tenant, so each chunk comes from the (tenant_id, ts, id) index.
        let tenants: Vec<i64> =
            sqlx::query_scalar("SELECT DISTINCT tenant_id FROM sources").fetch_all(&self.pool).await.db(op)?;
        for t in tenants {
            loop {
                let ids: Vec<i64> =
                    sqlx::query_scalar("SELECT id FROM events WHERE tenant_id = $1 AND ts < $2 LIMIT $3")
                        .bind(t)
                        .bind(cutoff)
                        .bind(RETENTION_CHUNK)
                        .fetch_all(&self.pool)
                        .await
                        .db(op)?;
                if ids.is_empty() {
                    break;
                }
                deleted += self.delete_events(&ids).await?;
            }
        }
        // By size: the oldest arrivals (lowest ids) go until the event data fits the budget.
        let budget = i64::try_from(policy.max_bytes).unwrap_or(i64::MAX);
        loop {
            let total: i64 =
                sqlx::query_scalar("SELECT event_bytes FROM store_state").fetch_one(&self.pool).await.db(op)?;
            if total <= budget {
                break;
            }
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM (SELECT id, size_bytes, sum(size_bytes) OVER (ORDER BY id) AS upto \
                 FROM (SELECT id, size_bytes FROM events ORDER BY id LIMIT $1) oldest) c \
                 WHERE upto - size_bytes < $2 ORDER BY id",
            )
            .bind(RETENTION_CHUNK)
            .bind(total - budget)
            .fetch_all(&self.pool)
            .await
            .db(op)?;
            if ids.is_empty() {
                break;
            }
            deleted += self.delete_events(&ids).await?;
        }
        Ok(deleted)
    }

    async fn stats(&self) -> Result<StoreStats> {
        let op = "read stats";
        let row = sqlx::query(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM alerts), \
             (SELECT event_bytes FROM store_state)",
        )
        .fetch_one(&self.pool)
        .await
        .db(op)?;
        let get = |i: usize| -> Result<u64> {
            let v: i64 = row.try_get(i).db(op)?;
            Ok(u64::try_from(v).unwrap_or(0))
        };
        Ok(StoreStats { events: get(0)?, alerts: get(1)?, db_bytes: get(2)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_keeps_exact_bytes_only_when_text_differs() {
        assert_eq!(raw_columns(b"plain line"), ("plain line".to_string(), None));
        let (text, bytes) = raw_columns(b"a\0b\xffc");
        assert_eq!(text, "a\u{fffd}b\u{fffd}c");
        assert_eq!(bytes.as_deref(), Some(&b"a\0b\xffc"[..]));
    }

    #[test]
    fn nul_is_replaced_in_text_and_json() {
        assert_eq!(pg_text("x\0y"), "x\u{fffd}y");
        assert!(matches!(pg_text("clean"), Cow::Borrowed(_)));
        assert_eq!(pg_json(r#"{"a":"x\u0000"}"#), r#"{"a":"x\ufffd"}"#);
        let v = pg_json_value(&serde_json::json!({"k\u{0}": ["v\u{0}", 1]}));
        assert_eq!(v, serde_json::json!({"k\u{fffd}": ["v\u{fffd}", 1]}));
    }

    #[test]
    fn like_literals_escape_metacharacters() {
        assert_eq!(like_literal("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
