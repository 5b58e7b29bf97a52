//! The embedded SQLite backend: one file in WAL mode, one writer connection (every write and
//! retention queue behind it) and a small pool of read-only connections, so searches never wait
//! for writes.
//!
//! Full text: every block of 2,048 event ids has a trigram Bloom filter (`event_blocks`, see
//! [`crate::bloom`]) written in the same transaction as its events. A text search reads the
//! filters of the blocks in its time range and scans only the candidate blocks, newest first;
//! every candidate row is checked against the raw line, so results are exact.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::bloom::{self, Bloom, Trigrams};
use crate::query::{self, Pattern, Promoted, decode_cursor, encode_cursor, json_path, promoted_field, text_terms};
use crate::*;

mod respond;

/// Rows per multi-row INSERT (12 columns each, well under SQLite's bind limit).
const INSERT_CHUNK: usize = 250;
/// Alerts per multi-row upsert (14 columns each).
const ALERT_CHUNK: usize = 500;
/// Rows per multi-row statement of two to four columns.
const SMALL_ROW_CHUNK: usize = 2_000;
/// Sample events kept per alert.
const SAMPLE_CAP: i64 = 10;
/// Candidate blocks scanned per search statement (each an id range of 2,048 events).
const BLOCKS_PER_QUERY: usize = 16;
/// Block filters (64 KiB each) in a search's first read; each further read doubles, up to
/// `MAX_FILTERS_PER_READ`, so that a common term reads few filters and a rare one few statements.
const FIRST_FILTERS_PER_READ: i64 = 16;
const MAX_FILTERS_PER_READ: i64 = 256;
/// Rows deleted per retention statement.
const RETENTION_CHUNK: i64 = 10_000;
const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

/// How hard a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=FULL`: a committed batch survives power loss.
    #[default]
    Full,
    /// `synchronous=NORMAL`: in WAL mode a power cut may lose the last commits (never corrupts).
    Normal,
}

/// Options for [`SqliteStore::open`].
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    pub durability: Durability,
    /// How long a statement waits for a lock before failing.
    pub busy_timeout: Duration,
    /// Read-only connections for searches and lookups.
    pub read_connections: u32,
    /// Page cache per connection, in KiB.
    pub cache_kib: u32,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            durability: Durability::Full,
            busy_timeout: Duration::from_secs(10),
            read_connections: 4,
            cache_kib: 64 * 1024,
        }
    }
}

/// The SQLite [`Store`].
pub struct SqliteStore {
    /// Copies committed WAL frames into the database file off the writer's path.
    checkpointer: tokio::task::JoinHandle<()>,
    writer: SqlitePool,
    reader: SqlitePool,
    path: PathBuf,
    /// (tenant, source name) → source id, only for committed sources.
    sources: Mutex<HashMap<(i64, String), i64>>,
    /// The newest block's summary as last committed, so that each batch does not read its
    /// filter back from the database.
    open_block: Mutex<Option<BlockSummary>>,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.checkpointer.abort();
    }
}

/// Page size of a new database file. Events are appended in batches of thousands, so large pages
/// mean fewer WAL frames (two writes each) and B-tree splits per event: 32 KiB pages took the serve
/// benchmark from about 116,000 to 135,000 events/s over 4 KiB. 64 KiB pages measured the same
/// within the noise, and each alert an update touches rewrites a whole page. A file keeps the
/// page size it was created with.
const PAGE_SIZE: u32 = 32 * 1024;

/// WAL pages after which the writer checkpoints itself (128 MiB): only reached when the
/// checkpointer cannot keep up or a long read holds old frames.
const WRITER_CHECKPOINT_PAGES: u32 = (128 << 20) / PAGE_SIZE;

/// Checkpoints the WAL from a connection of its own, so that copying pages into the database
/// file and its fsync run beside the writer's commits instead of inside them (the default
/// auto-checkpoint runs in the committing connection, stalling the pipeline while it copies).
/// PASSIVE never waits for a lock and leaves frames a reader still needs; the writer restarts
/// the WAL from its start once everything has been copied.
async fn checkpoint_loop(pool: SqlitePool) {
    loop {
        // (busy, frames in the WAL, frames copied)
        let copied = sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&pool).await;
        let idle = match copied {
            Ok((_, log, done)) => log <= 0 || done >= log,
            Err(e) => {
                tracing::debug!(error = %e, "WAL checkpoint failed; retrying");
                true
            }
        };
        tokio::time::sleep(if idle { Duration::from_millis(250) } else { Duration::from_millis(20) }).await;
    }
}

/// What `event_blocks` holds for one block.
#[derive(Debug, Clone)]
struct BlockSummary {
    block: i64,
    min_ts: i64,
    max_ts: i64,
    bloom: Bloom,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
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

const EVENT_COLUMNS: &str = "e.id, e.tenant_id, s.name, e.received_at, e.ts, e.kind, e.host, e.src_ip, e.user_name, \
                             e.raw, e.fields, e.parse_error";

fn event_from_row(r: &SqliteRow) -> Result<StoredEvent> {
    let raw: Vec<u8> = r.try_get(9).db("decode event")?;
    let fields: String = r.try_get(10).db("decode event")?;
    Ok(StoredEvent {
        id: r.try_get(0).db("decode event")?,
        tenant: TenantId(r.try_get(1).db("decode event")?),
        source: r.try_get(2).db("decode event")?,
        received_at: from_us(r.try_get(3).db("decode event")?)?,
        time: from_us(r.try_get(4).db("decode event")?)?,
        kind: r.try_get(5).db("decode event")?,
        host: r.try_get(6).db("decode event")?,
        src_ip: r.try_get(7).db("decode event")?,
        user: r.try_get(8).db("decode event")?,
        raw: String::from_utf8_lossy(&raw).into_owned(),
        fields: serde_json::from_str(&fields).unwrap_or(serde_json::Value::Null),
        parse_error: r.try_get(11).db("decode event")?,
    })
}

const ALERT_COLUMNS: &str = "a.id, a.tenant_id, a.rule_id, a.rule_title, a.level, a.entity_kind, a.entity, a.host, \
                             a.first_seen, a.last_seen, a.count, a.score, a.score_reasons, a.novel, a.state, \
                             a.close_reason, a.state_by, a.state_at, a.assignee, a.incident_id";

fn alert_from_row(r: &SqliteRow) -> Result<Alert> {
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

fn token_from_row(r: &SqliteRow) -> Result<ApiToken> {
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

/// Appends `(?, ?, …)` binding each tenant of the scope.
fn push_tenants(qb: &mut QueryBuilder<Sqlite>, scope: &TenantScope) {
    push_list(qb, scope.tenants().iter().map(|t| t.0));
}

/// Appends `(?, ?, …)` binding each of `values`.
fn push_list<'t, T: sqlx::Encode<'t, Sqlite> + sqlx::Type<Sqlite>>(
    qb: &mut QueryBuilder<Sqlite>,
    values: impl IntoIterator<Item = T>,
) {
    qb.push("(");
    let mut sep = qb.separated(", ");
    for v in values {
        sep.push_bind(v);
    }
    sep.push_unseparated(")");
}

fn check_len(what: &str, s: &str, max: usize) -> Result<()> {
    if s.is_empty() || s.len() > max {
        return Err(StoreError::Invalid(format!("{what} must be 1..={max} bytes")));
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if missing) the database file at `path` and runs the embedded migrations.
    pub async fn open(path: &Path, opts: SqliteOptions) -> Result<SqliteStore> {
        let cache = format!("-{}", opts.cache_kib.max(1024));
        let base = SqliteConnectOptions::new()
            .filename(path)
            .busy_timeout(opts.busy_timeout)
            .foreign_keys(true)
            .pragma("cache_size", cache)
            .pragma("temp_store", "memory");
        let sync = match opts.durability {
            Durability::Full => SqliteSynchronous::Full,
            Durability::Normal => SqliteSynchronous::Normal,
        };
        let writer_opts = base
            .clone()
            .create_if_missing(true)
            .page_size(PAGE_SIZE)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(sync)
            // The checkpointer task copies the WAL into the database from its own connection;
            // the writer checkpoints only as a backstop when that falls far behind (128 MiB).
            .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES.to_string())
            .pragma("journal_size_limit", "67108864");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(writer_opts)
            .await
            .db("open database")?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(opts.read_connections.max(1))
            .connect_with(base.clone().read_only(true))
            .await
            .db("open read connections")?;
        let checkpoints = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(base.clone().synchronous(sync))
            .await
            .db("open the checkpoint connection")?;
        let store = SqliteStore {
            checkpointer: tokio::spawn(checkpoint_loop(checkpoints)),
            writer,
            reader,
            path: path.to_owned(),
            sources: Mutex::new(HashMap::new()),
            open_block: Mutex::new(None),
        };
        store.complete_blocks().await?;
        Ok(store)
    }

    /// Opens `dir/wardwatch.db` with default options, creating the directory if needed.
    pub async fn open_in(dir: &Path) -> Result<SqliteStore> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Invalid(format!("cannot create data directory {}: {e}", dir.display())))?;
        Self::open(&dir.join("wardwatch.db"), SqliteOptions::default()).await
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A cheap round trip that proves the store answers (the server's health probe).
    pub async fn probe(&self) -> Result<()> {
        sqlx::query_scalar::<_, i64>("SELECT value FROM meta WHERE key = 'max_event_id'")
            .fetch_one(&self.reader)
            .await
            .db("probe the store")?;
        Ok(())
    }

    /// Builds the block filters of events written before filters existed (migration 0003) or
    /// held their promoted values (0004) or sources (0005), in chunks of whole blocks, then
    /// records that every block is complete.
    async fn complete_blocks(&self) -> Result<()> {
        let op = "build block filters";
        let done: i64 = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'blocks_complete'")
            .fetch_one(&self.writer)
            .await
            .db(op)?;
        if done != 0 {
            return Ok(());
        }
        let mut after = -1i64;
        loop {
            let mut tx = self.writer.begin().await.db(op)?;
            let rows = sqlx::query(
                "SELECT id, ts, raw, host, src_ip, user_name, source_id FROM events WHERE id > ?1 ORDER BY id LIMIT ?2",
            )
            .bind(after)
            .bind(bloom::BLOCK_EVENTS * 16)
            .fetch_all(&mut *tx)
            .await
            .db(op)?;
            if rows.is_empty() {
                sqlx::query("UPDATE meta SET value = 1 WHERE key = 'blocks_complete'")
                    .execute(&mut *tx)
                    .await
                    .db(op)?;
                tx.commit().await.db(op)?;
                return Ok(());
            }
            let mut blocks: std::collections::BTreeMap<i64, BlockSummary> = std::collections::BTreeMap::new();
            for r in &rows {
                let id: i64 = r.try_get(0).db(op)?;
                let ts: i64 = r.try_get(1).db(op)?;
                let raw: Vec<u8> = r.try_get(2).db(op)?;
                let host: Option<String> = r.try_get(3).db(op)?;
                let src_ip: Option<String> = r.try_get(4).db(op)?;
                let user: Option<String> = r.try_get(5).db(op)?;
                let source: i64 = r.try_get(6).db(op)?;
                summarise(&mut blocks, id, ts, &raw, source, [host.as_deref(), src_ip.as_deref(), user.as_deref()]);
                after = id;
            }
            for b in blocks.into_values() {
                let merged = merge_stored(&mut tx, b).await?;
                store_block(&mut tx, &merged).await?;
            }
            tx.commit().await.db(op)?;
        }
    }

    /// Closes both pools, checkpointing the WAL.
    pub async fn close(&self) {
        self.checkpointer.abort();
        self.reader.close().await;
        self.writer.close().await;
    }

    /// Source ids for the batch's (tenant, name) pairs, creating missing sources in `tx`.
    async fn resolve_sources(
        &self,
        tx: &mut SqliteConnection,
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
            sqlx::query("INSERT INTO sources (tenant_id, name) VALUES (?1, ?2) ON CONFLICT DO NOTHING")
                .bind(tenant)
                .bind(&name)
                .execute(&mut *tx)
                .await
                .db("create source")?;
            let id: i64 = sqlx::query_scalar("SELECT id FROM sources WHERE tenant_id = ?1 AND name = ?2")
                .bind(tenant)
                .bind(&name)
                .fetch_one(&mut *tx)
                .await
                .db("create source")?;
            ids.insert((tenant, name.clone()), id);
            created.push(((tenant, name), id));
        }
        Ok((ids, created))
    }

    /// Inserts the events and adds them to `blocks` (their block filters). Each statement of
    /// [`INSERT_CHUNK`] rows runs on SQLite's thread while this thread builds the next statement
    /// and adds the rows just sent to the filters, so the two threads work side by side.
    async fn insert_events(
        &self,
        tx: &mut SqliteConnection,
        events: &[NewEvent],
        sources: &HashMap<(i64, String), i64>,
        blocks: &mut std::collections::BTreeMap<i64, BlockSummary>,
    ) -> Result<()> {
        let source_ids = crate::source_ids(events, sources)?;
        let mut chunks = events.chunks(INSERT_CHUNK).zip(source_ids.chunks(INSERT_CHUNK));
        let mut current = chunks.next();
        let mut statement = current.map(|(c, ids)| insert_statement(c, ids));
        while let (Some((chunk, ids)), Some(mut qb)) = (current, statement.take()) {
            let following = chunks.next();
            let (done, built) = futures_util::future::join(qb.build().execute(&mut *tx), async {
                for (e, &source) in chunk.iter().zip(ids) {
                    summarise(
                        blocks,
                        e.id,
                        us(&e.time),
                        &e.raw,
                        source,
                        [e.host.as_deref(), e.src_ip.as_deref(), e.user.as_deref()],
                    );
                }
                following.map(|(c, ids)| insert_statement(c, ids))
            })
            .await;
            done.db("insert events")?;
            statement = built;
            current = following;
        }
        Ok(())
    }

    /// Creates or updates every alert of a batch, adds their sample events (at most
    /// [`SAMPLE_CAP`] per alert) and records novelty, in a few multi-row statements: one
    /// statement per alert and sample cost the writer a round trip to SQLite's thread each, which
    /// was most of its time when a batch raised thousands of alert updates.
    async fn upsert_alerts(
        &self,
        tx: &mut SqliteConnection,
        alerts: &[AlertUpsert],
        novelty: &[NoveltyKey],
    ) -> Result<()> {
        let op = "upsert alerts";
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("");
        // The stored id and sample count of each alert key the batch touches.
        let mut stored: HashMap<StoredAlertKey, (i64, i64)> = HashMap::new();
        for chunk in alerts.chunks(ALERT_CHUNK) {
            let mut rows = Vec::with_capacity(chunk.len());
            for a in chunk {
                let reasons = serde_json::to_string(&a.score_reasons).map_err(|_| corrupt("score reasons"))?;
                let delta =
                    i64::try_from(a.count_delta).map_err(|_| StoreError::Invalid("alert count too large".into()))?;
                rows.push((a, reasons, delta));
            }
            qb.reset();
            qb.push(
                "INSERT INTO alerts (tenant_id, rule_id, entity_kind, entity, opened_by_event, rule_title, level, host, \
                 first_seen, last_seen, count, score, score_reasons, novel) ",
            );
            qb.push_values(&rows, |mut b, (a, reasons, delta)| {
                let k = &a.key;
                b.push_bind(k.tenant.0)
                    .push_bind(k.rule_id.as_str())
                    .push_bind(k.entity_kind.as_str())
                    .push_bind(k.entity.as_str())
                    .push_bind(k.opened_by_event)
                    .push_bind(a.rule_title.as_str())
                    .push_bind(a.level.as_str())
                    .push_bind(a.host.as_deref())
                    .push_bind(us(&a.first_seen))
                    .push_bind(us(&a.last_seen))
                    .push_bind(*delta)
                    .push_bind(i64::from(a.score.min(100)))
                    .push_bind(reasons.as_str())
                    .push_bind(a.novel);
            });
            // A key twice in one statement is inserted by its first row and updated by its second,
            // as two statements would.
            qb.push(
                " ON CONFLICT (tenant_id, rule_id, entity_kind, entity, opened_by_event) DO UPDATE SET \
                   count = count + excluded.count, \
                   first_seen = min(first_seen, excluded.first_seen), \
                   last_seen = max(last_seen, excluded.last_seen), \
                   score = excluded.score, score_reasons = excluded.score_reasons, \
                   rule_title = excluded.rule_title, level = excluded.level, \
                   host = coalesce(excluded.host, host) \
                 RETURNING tenant_id, rule_id, entity_kind, entity, opened_by_event, id, sample_count",
            );
            // RETURNING rows come in no promised order: they are matched to alerts by key.
            for r in qb.build().fetch_all(&mut *tx).await.db(op)? {
                let key = (
                    r.try_get(0).db(op)?,
                    r.try_get(1).db(op)?,
                    r.try_get(2).db(op)?,
                    r.try_get(3).db(op)?,
                    r.try_get(4).db(op)?,
                );
                let id: i64 = r.try_get(5).db(op)?;
                let have: i64 = r.try_get(6).db(op)?;
                // Sample counts only change below, so any returned row of a key has the same one.
                stored.insert(key, (id, have));
            }
        }
        // Samples: each alert's events not kept yet, in the order given, up to the cap.
        let mut kept: std::collections::HashSet<(i64, i64)> = std::collections::HashSet::new();
        let partly =
            sorted_unique(stored.values().filter(|(_, have)| *have > 0 && *have < SAMPLE_CAP).map(|(id, _)| *id));
        for chunk in partly.chunks(SMALL_ROW_CHUNK) {
            qb.reset();
            qb.push("SELECT alert_id, event_id FROM alert_samples WHERE alert_id IN ");
            push_list(&mut qb, chunk.iter().copied());
            for r in qb.build().fetch_all(&mut *tx).await.db(op)? {
                kept.insert((r.try_get(0).db(op)?, r.try_get(1).db(op)?));
            }
        }
        let mut samples: Vec<(i64, i64)> = Vec::new();
        let mut room: HashMap<i64, i64> = HashMap::new();
        for a in alerts {
            let k = &a.key;
            let key = (
                k.tenant.0,
                k.rule_id.clone(),
                k.entity_kind.as_str().to_string(),
                k.entity.clone(),
                k.opened_by_event,
            );
            let &(id, have) = stored.get(&key).ok_or_else(|| corrupt("alert upsert returned no row"))?;
            let left = room.entry(id).or_insert(SAMPLE_CAP - have);
            for &ev in &a.samples {
                if *left <= 0 {
                    break;
                }
                if kept.insert((id, ev)) {
                    samples.push((id, ev));
                    *left -= 1;
                }
            }
        }
        for chunk in samples.chunks(SMALL_ROW_CHUNK) {
            qb.reset();
            qb.push("INSERT OR IGNORE INTO alert_samples (alert_id, event_id) ");
            qb.push_values(chunk, |mut b, (id, ev)| {
                b.push_bind(*id).push_bind(*ev);
            });
            qb.build().execute(&mut *tx).await.db(op)?;
        }
        for chunk in sorted_unique(samples.iter().map(|(id, _)| *id)).chunks(SMALL_ROW_CHUNK) {
            qb.reset();
            qb.push(
                "UPDATE alerts SET sample_count = (SELECT count(*) FROM alert_samples s WHERE s.alert_id = alerts.id) \
                 WHERE id IN ",
            );
            push_list(&mut qb, chunk.iter().copied());
            qb.build().execute(&mut *tx).await.db(op)?;
        }
        for chunk in novelty.chunks(SMALL_ROW_CHUNK) {
            qb.reset();
            qb.push("INSERT OR IGNORE INTO novelty (tenant_id, rule_id, entity_kind, entity) ");
            qb.push_values(chunk, |mut b, n| {
                b.push_bind(n.tenant.0)
                    .push_bind(n.rule_id.as_str())
                    .push_bind(n.entity_kind.as_str())
                    .push_bind(n.entity.as_str());
            });
            qb.build().execute(&mut *tx).await.db(op)?;
        }
        Ok(())
    }

    /// Reads the next `count` block filters of the query's time range, newest first after
    /// `after` (a `(max_ts, block)` position), and keeps the blocks that may hold every term.
    /// Returns the position of the last filter read, or `None` when none was left to read.
    async fn filter_page(
        &self,
        q: &EventQuery,
        plan: &SearchPlan,
        grams: &Trigrams,
        (after, count): (Option<(i64, i64)>, i64),
        out: &mut std::collections::VecDeque<Candidate>,
    ) -> Result<Option<(i64, i64)>> {
        use futures_util::TryStreamExt;
        let op = "search events";
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT block, max_ts, bloom FROM event_blocks WHERE 1");
        if let Some(from) = &q.from {
            qb.push(" AND max_ts >= ").push_bind(us(from));
        }
        if let Some(to) = &q.to {
            qb.push(" AND min_ts < ").push_bind(us(to));
        }
        if let Some((ts, _)) = plan.cursor {
            qb.push(" AND min_ts <= ").push_bind(ts);
        }
        if let Some((max_ts, block)) = after {
            // Spelled out rather than a row value so that the max_ts index bounds the read.
            qb.push(" AND max_ts <= ").push_bind(max_ts);
            qb.push(" AND (max_ts < ").push_bind(max_ts).push(" OR block < ").push_bind(block).push(")");
        }
        qb.push(" ORDER BY max_ts DESC, block DESC LIMIT ").push_bind(count);
        // Streamed, so that SQLite reads the next filter while this one is tested.
        let mut rows = qb.build().fetch(&self.reader);
        let mut last = None;
        while let Some(r) = rows.try_next().await.db(op)? {
            let c = Candidate { block: r.try_get(0).db(op)?, max_ts: r.try_get(1).db(op)? };
            last = Some((c.max_ts, c.block));
            let bloom: &[u8] = r.try_get(2).db(op)?;
            let bloom = Bloom::from_bytes(bloom).ok_or_else(|| corrupt("block filter"))?;
            if bloom.may_contain(grams) {
                out.push_back(c);
            }
        }
        Ok(last)
    }

    /// One tenant's page of matching events (up to `limit` rows, newest first).
    async fn search_tenant(
        &self,
        tenant: TenantId,
        q: &EventQuery,
        plan: &SearchPlan,
        ranges: Option<&[(i64, i64)]>,
        limit: u32,
    ) -> Result<Vec<StoredEvent>> {
        // With id ranges, `+` keeps the planner off the time and tenant indexes: reading the
        // candidate blocks by rowid is what makes a rare term fast.
        let p = if ranges.is_some() { "+" } else { "" };
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT ");
        qb.push(EVENT_COLUMNS);
        qb.push(format!(" FROM events e JOIN sources s ON s.id = e.source_id WHERE {p}e.tenant_id = "));
        qb.push_bind(tenant.0);
        if let Some(ranges) = ranges {
            qb.push(" AND (");
            for (i, (first, last)) in ranges.iter().enumerate() {
                if i > 0 {
                    qb.push(" OR ");
                }
                qb.push("e.id BETWEEN ").push_bind(*first).push(" AND ").push_bind(*last);
            }
            qb.push(")");
        }
        if let Some(from) = &q.from {
            qb.push(format!(" AND {p}e.ts >= ")).push_bind(us(from));
        }
        if let Some(to) = &q.to {
            qb.push(format!(" AND {p}e.ts < ")).push_bind(us(to));
        }
        if let Some((ts, id)) = plan.cursor {
            qb.push(format!(" AND {p}e.ts <= ")).push_bind(ts);
            qb.push(" AND (e.ts, e.id) < (").push_bind(ts).push(", ").push_bind(id).push(")");
        }
        if !plan.source_ids.is_empty() {
            // Ids are unique across tenants, and the row's tenant is checked above.
            qb.push(" AND e.source_id IN ");
            push_list(&mut qb, plan.source_ids.iter().copied());
        }
        for f in &plan.fields {
            qb.push(" AND ");
            match (&f.target, &f.pattern) {
                (FieldTarget::Column(col), Pattern::Exact(v)) => {
                    qb.push(col.column()).push(" = ").push_bind(v.clone());
                }
                (FieldTarget::Column(col), Pattern::Like(p)) => {
                    qb.push(col.column()).push(" LIKE ").push_bind(p.clone()).push(" ESCAPE '\\'");
                }
                (FieldTarget::Json(path), pattern) => {
                    let like = match pattern {
                        Pattern::Exact(v) => query_like_literal(v),
                        Pattern::Like(p) => p.clone(),
                    };
                    qb.push("json_extract(e.fields, ").push_bind(path.clone()).push(") LIKE ");
                    qb.push_bind(like).push(" ESCAPE '\\'");
                }
            }
        }
        for t in &plan.terms {
            qb.push(" AND instr(lower(CAST(e.raw AS TEXT)), ").push_bind(t.clone()).push(") > 0");
        }
        qb.push(" ORDER BY e.ts DESC, e.id DESC LIMIT ").push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&self.reader).await.db("search events")?;
        rows.iter().map(event_from_row).collect()
    }
}

/// A LIKE pattern matching exactly `v` (case-insensitively).
fn query_like_literal(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    for c in v.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

enum FieldTarget {
    /// A promoted column: found through the block filters, then compared in the row.
    Column(Promoted),
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
    /// Lower-cased terms, each checked against raw.
    terms: Vec<String>,
    /// Ids of the sources searched, in the scope's tenants (empty: any source).
    source_ids: Vec<i64>,
}

/// An alert's unique key as its columns hold it: tenant, rule, entity kind, entity, opening event.
type StoredAlertKey = (i64, String, String, String, i64);

/// One multi-row INSERT of `events`, whose source ids are `source_ids`.
fn insert_statement(events: &[NewEvent], source_ids: &[i64]) -> QueryBuilder<Sqlite> {
    let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
        "INSERT INTO events (id, tenant_id, source_id, received_at, ts, kind, host, src_ip, user_name, raw, fields, \
         parse_error) ",
    );
    qb.push_values(events.iter().zip(source_ids), |mut b, (e, &source)| {
        b.push_bind(e.id)
            .push_bind(e.tenant.0)
            .push_bind(source)
            .push_bind(us(&e.received_at))
            .push_bind(us(&e.time))
            .push_bind(e.kind.as_str())
            .push_bind(e.host.as_deref())
            .push_bind(e.src_ip.as_deref())
            .push_bind(e.user.as_deref())
            .push_bind(e.raw.as_slice())
            .push_bind(e.fields_json.as_str())
            .push_bind(e.parse_error.as_deref());
    });
    qb
}

/// The distinct values of `ids`, ascending.
fn sorted_unique(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut v: Vec<i64> = ids.collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// A block that may hold matches of a text search.
struct Candidate {
    block: i64,
    max_ts: i64,
}

/// Adds one event (raw line and promoted host, source IP, user) to the summaries of the blocks
/// a write touches.
fn summarise(
    blocks: &mut std::collections::BTreeMap<i64, BlockSummary>,
    id: i64,
    ts: i64,
    raw: &[u8],
    source_id: i64,
    promoted: [Option<&str>; 3],
) {
    let block = bloom::block_of(id);
    let b =
        blocks.entry(block).or_insert_with(|| BlockSummary { block, min_ts: ts, max_ts: ts, bloom: Bloom::default() });
    b.min_ts = b.min_ts.min(ts);
    b.max_ts = b.max_ts.max(ts);
    b.bloom.add_text(raw);
    b.bloom.add_source(source_id);
    for (column, value) in [Promoted::Host, Promoted::SrcIp, Promoted::User].into_iter().zip(promoted) {
        if let Some(v) = value {
            b.bloom.add_value(column, v);
        }
    }
}

/// `b` merged with what the database already holds for its block.
async fn merge_stored(conn: &mut SqliteConnection, mut b: BlockSummary) -> Result<BlockSummary> {
    let op = "read block filter";
    let row = sqlx::query("SELECT min_ts, max_ts, bloom FROM event_blocks WHERE block = ?1")
        .bind(b.block)
        .fetch_optional(&mut *conn)
        .await
        .db(op)?;
    if let Some(r) = row {
        let stored = Bloom::from_bytes(&r.try_get::<Vec<u8>, _>(2).db(op)?).ok_or_else(|| corrupt("block filter"))?;
        b.min_ts = b.min_ts.min(r.try_get(0).db(op)?);
        b.max_ts = b.max_ts.max(r.try_get(1).db(op)?);
        b.bloom.union(&stored);
    }
    Ok(b)
}

async fn store_block(conn: &mut SqliteConnection, b: &BlockSummary) -> Result<()> {
    sqlx::query("INSERT OR REPLACE INTO event_blocks (block, min_ts, max_ts, bloom) VALUES (?1, ?2, ?3, ?4)")
        .bind(b.block)
        .bind(b.min_ts)
        .bind(b.max_ts)
        .bind(b.bloom.to_bytes())
        .execute(&mut *conn)
        .await
        .db("write block filter")?;
    Ok(())
}

async fn user_by(pool: &SqlitePool, id: Option<i64>, name: Option<&str>) -> Result<(User, String)> {
    let op = "read user";
    let row = if let Some(id) = id {
        sqlx::query("SELECT id, username, service_role, password_hash FROM users WHERE id = ?1").bind(id)
    } else {
        sqlx::query("SELECT id, username, service_role, password_hash FROM users WHERE username = ?1").bind(name)
    }
    .fetch_optional(pool)
    .await
    .db(op)?
    .ok_or(StoreError::NotFound)?;
    let id: i64 = row.try_get(0).db(op)?;
    let service_role: Option<String> = row.try_get(2).db(op)?;
    let members = sqlx::query("SELECT tenant_id, role FROM memberships WHERE user_id = ?1 ORDER BY tenant_id")
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
impl Store for SqliteStore {
    async fn next_event_id(&self) -> Result<i64> {
        let v: i64 = sqlx::query_scalar(
            "SELECT max(coalesce((SELECT max(id) FROM events), 0), (SELECT value FROM meta WHERE key = 'max_event_id'))",
        )
        .fetch_one(&self.writer)
        .await
        .db("next event id")?;
        Ok(v + 1)
    }

    async fn write_batch(&self, batch: &WriteBatch) -> Result<()> {
        let op = "write batch";
        let mut tx = self.writer.begin().await.db(op)?;
        let mut created = Vec::new();
        let mut newest_block: Option<BlockSummary> = None;
        if !batch.events.is_empty() {
            let (sources, new) = self.resolve_sources(&mut tx, &batch.events).await?;
            created = new;
            let mut blocks = std::collections::BTreeMap::new();
            self.insert_events(&mut tx, &batch.events, &sources, &mut blocks).await?;
            let max_id = batch.events.iter().map(|e| e.id).max().unwrap_or(0);
            sqlx::query("UPDATE meta SET value = max(value, ?1) WHERE key = 'max_event_id'")
                .bind(max_id)
                .execute(&mut *tx)
                .await
                .db(op)?;
            let cached =
                self.open_block.lock().map_err(|_| StoreError::Invalid("block cache poisoned".into()))?.clone();
            for b in blocks.into_values() {
                let merged = match &cached {
                    Some(c) if c.block == b.block => {
                        let mut m = b;
                        m.min_ts = m.min_ts.min(c.min_ts);
                        m.max_ts = m.max_ts.max(c.max_ts);
                        m.bloom.union(&c.bloom);
                        m
                    }
                    _ => merge_stored(&mut tx, b).await?,
                };
                store_block(&mut tx, &merged).await?;
                if newest_block.as_ref().is_none_or(|n: &BlockSummary| merged.block >= n.block) {
                    newest_block = Some(merged);
                }
            }
        }
        self.upsert_alerts(&mut tx, &batch.alerts, &batch.novelty).await?;
        for c in &batch.checkpoints {
            sqlx::query("INSERT INTO checkpoints (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind(&c.key)
                .bind(&c.value)
                .execute(&mut *tx)
                .await
                .db(op)?;
        }
        let committed = tx.commit().await.db(op);
        {
            // The cache must only ever hold committed state: after a failed commit, read back.
            let mut open = self.open_block.lock().map_err(|_| StoreError::Invalid("block cache poisoned".into()))?;
            match (&committed, newest_block) {
                (Ok(()), Some(n)) if open.as_ref().is_none_or(|o| n.block >= o.block) => *open = Some(n),
                (Ok(()), _) => {}
                (Err(_), _) => *open = None,
            }
        }
        committed?;
        if !created.is_empty() {
            let mut cache = self.sources.lock().map_err(|_| StoreError::Invalid("source cache poisoned".into()))?;
            cache.extend(created);
        }
        Ok(())
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>> {
        let rows = sqlx::query("SELECT key, value FROM checkpoints ORDER BY key")
            .fetch_all(&self.reader)
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
             last_seen, count, sample_count, novel FROM alerts WHERE last_seen >= ?1 AND state <> 'closed' ORDER BY id",
        )
        .bind(us(&since))
        .fetch_all(&self.reader)
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
            .fetch_all(&self.reader)
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
                Some(p) => FieldTarget::Column(p),
                None => FieldTarget::Json(json_path(&f.field)?),
            };
            fields.push(FieldPlan { target, pattern: query::translate_pattern(&f.pattern) });
        }
        let terms = match &q.text {
            Some(t) => text_terms(t)?,
            None => Vec::new(),
        };
        let columns: Vec<(Promoted, &Pattern)> = fields
            .iter()
            .filter_map(|f| match &f.target {
                FieldTarget::Column(c) => Some((*c, &f.pattern)),
                FieldTarget::Json(_) => None,
            })
            .collect();
        // Sources have no per-row index either: their ids go through the block filters, and a
        // search naming only unknown sources (or with no tenant in scope) finds nothing.
        let mut source_ids = Vec::new();
        if !q.sources.is_empty() {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT id FROM sources WHERE tenant_id IN ");
            push_list(&mut qb, scope.tenants().iter().map(|t| t.0));
            qb.push(" AND name IN ");
            push_list(&mut qb, q.sources.iter().map(String::as_str));
            source_ids = qb.build_query_scalar::<i64>().fetch_all(&self.reader).await.db("search events")?;
            if source_ids.is_empty() {
                return Ok(Page { items: Vec::new(), next_cursor: None });
            }
        }
        let grams = Trigrams::of_query(&terms, &columns, &source_ids);
        let plan = SearchPlan { cursor, fields, terms, source_ids };
        let mut items = Vec::new();
        if grams.is_empty() {
            for t in scope.tenants() {
                items.extend(self.search_tenant(*t, q, &plan, None, limit + 1).await?);
            }
        } else {
            // Filters are read a page at a time, newest first, and the candidate blocks scanned
            // as they are found, so a common term stops after a few filters instead of reading
            // the whole range's. Stop once no unread block can reach the page: blocks come in
            // falling max_ts order, so one whose newest event is older than the page's oldest
            // cannot.
            let mut pending: std::collections::VecDeque<Candidate> = std::collections::VecDeque::new();
            let mut after = None;
            let mut count = FIRST_FILTERS_PER_READ;
            let mut filters_left = true;
            loop {
                // The page's oldest event once it holds more than `limit` items.
                let floor = if items.len() > limit as usize {
                    items.sort_by_key(|e: &StoredEvent| std::cmp::Reverse((e.time, e.id)));
                    items.truncate(limit as usize + 1);
                    items.last().map(|e| us(&e.time))
                } else {
                    None
                };
                let reachable = |max_ts: i64| floor.is_none_or(|f| f <= max_ts);
                if pending.len() < BLOCKS_PER_QUERY && filters_left && after.is_none_or(|(m, _)| reachable(m)) {
                    match self.filter_page(q, &plan, &grams, (after, count), &mut pending).await? {
                        Some(pos) => after = Some(pos),
                        None => filters_left = false,
                    }
                    count = (count * 2).min(MAX_FILTERS_PER_READ);
                    continue;
                }
                match pending.front() {
                    Some(c) if reachable(c.max_ts) => {}
                    _ => break,
                }
                let n = pending.len().min(BLOCKS_PER_QUERY);
                let ranges: Vec<(i64, i64)> = pending.drain(..n).map(|b| bloom::block_ids(b.block)).collect();
                for t in scope.tenants() {
                    items.extend(self.search_tenant(*t, q, &plan, Some(&ranges), limit + 1).await?);
                }
            }
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
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT ");
        qb.push(EVENT_COLUMNS).push(" FROM events e JOIN sources s ON s.id = e.source_id WHERE e.id = ");
        qb.push_bind(id).push(" AND e.tenant_id IN ");
        push_tenants(&mut qb, scope);
        let row = qb.build().fetch_optional(&self.reader).await.db("read event")?.ok_or(StoreError::NotFound)?;
        event_from_row(&row)
    }

    async fn list_alerts(&self, scope: &TenantScope, q: &AlertQuery) -> Result<Page<Alert>> {
        let limit = page_limit(q.limit);
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT ");
        qb.push(ALERT_COLUMNS).push(" FROM alerts a WHERE a.tenant_id IN ");
        push_tenants(&mut qb, scope);
        let states: Vec<AlertState> = if q.states.is_empty() {
            vec![AlertState::New, AlertState::Acknowledged, AlertState::Escalated]
        } else {
            q.states.clone()
        };
        qb.push(" AND a.state IN ");
        push_list(&mut qb, states.iter().map(|s| s.as_str()));
        if let Some(m) = q.min_score {
            qb.push(" AND a.score >= ").push_bind(i64::from(m));
        }
        if let Some(r) = &q.rule_id {
            qb.push(" AND a.rule_id = ").push_bind(r.clone());
        }
        if let Some(e) = &q.entity {
            qb.push(" AND a.entity = ").push_bind(e.clone());
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
        let rows = qb.build().fetch_all(&self.reader).await.db("list alerts")?;
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
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT ");
        qb.push(ALERT_COLUMNS).push(" FROM alerts a WHERE a.id = ").push_bind(id).push(" AND a.tenant_id IN ");
        push_tenants(&mut qb, scope);
        let row = qb.build().fetch_optional(&self.reader).await.db(op)?.ok_or(StoreError::NotFound)?;
        let alert = alert_from_row(&row)?;
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT ");
        qb.push(EVENT_COLUMNS);
        qb.push(" FROM alert_samples x JOIN events e ON e.id = x.event_id JOIN sources s ON s.id = e.source_id");
        qb.push(" WHERE x.alert_id = ").push_bind(id).push(" AND e.tenant_id = ").push_bind(alert.tenant.0);
        qb.push(" ORDER BY e.ts, e.id");
        let rows = qb.build().fetch_all(&self.reader).await.db(op)?;
        let samples = rows.iter().map(event_from_row).collect::<Result<Vec<_>>>()?;
        let rows = sqlx::query(
            "SELECT at, by_actor, from_state, to_state, reason, note FROM alert_history WHERE alert_id = ?1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.reader)
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
        let mut tx = self.writer.begin().await.db(op)?;
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT state FROM alerts WHERE id = ");
        qb.push_bind(id).push(" AND tenant_id IN ");
        push_tenants(&mut qb, scope);
        let row = qb.build().fetch_optional(&mut *tx).await.db(op)?.ok_or(StoreError::NotFound)?;
        let from: String = row.try_get(0).db(op)?;
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
        sqlx::query("UPDATE alerts SET state = ?2, close_reason = ?3, state_by = ?4, state_at = ?5 WHERE id = ?1")
            .bind(id)
            .bind(change.to.as_str())
            .bind(reason)
            .bind(&change.actor.name)
            .bind(now)
            .execute(&mut *tx)
            .await
            .db(op)?;
        sqlx::query(
            "INSERT INTO alert_history (alert_id, at, by_actor, from_state, to_state, reason, note) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(id)
        .bind(now)
        .bind(&change.actor.name)
        .bind(from.as_str())
        .bind(change.to.as_str())
        .bind(reason)
        .bind(change.note.as_deref())
        .execute(&mut *tx)
        .await
        .db(op)?;
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT ");
        qb.push(ALERT_COLUMNS).push(" FROM alerts a WHERE a.id = ").push_bind(id);
        let row = qb.build().fetch_one(&mut *tx).await.db(op)?;
        let alert = alert_from_row(&row)?;
        tx.commit().await.db(op)?;
        Ok(alert)
    }

    async fn disabled_rules(&self) -> Result<Vec<(TenantId, String)>> {
        let rows = sqlx::query("SELECT tenant_id, rule_id FROM disabled_rules ORDER BY tenant_id, rule_id")
            .fetch_all(&self.reader)
            .await
            .db("read disabled rules")?;
        rows.iter()
            .map(|r| Ok((TenantId(r.try_get(0).db("read disabled rules")?), r.try_get(1).db("read disabled rules")?)))
            .collect()
    }

    async fn set_rule_enabled(&self, tenant: TenantId, rule_id: &str, enabled: bool, actor: &Actor) -> Result<()> {
        let op = "set rule enabled";
        check_len("rule id", rule_id, 256)?;
        let mut tx = self.writer.begin().await.db(op)?;
        let changed = if enabled {
            sqlx::query("DELETE FROM disabled_rules WHERE tenant_id = ?1 AND rule_id = ?2")
        } else {
            sqlx::query("INSERT OR IGNORE INTO disabled_rules (tenant_id, rule_id) VALUES (?1, ?2)")
        }
        .bind(tenant.0)
        .bind(rule_id)
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
                    target: format!("rule:{rule_id}"),
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
        let res = sqlx::query_scalar("INSERT INTO tenants (slug, name, created_at) VALUES (?1, ?2, ?3) RETURNING id")
            .bind(slug)
            .bind(name)
            .bind(us(&Utc::now()))
            .fetch_one(&self.writer)
            .await;
        match res {
            Ok(id) => Ok(Tenant { id: TenantId(id), slug: slug.into(), name: name.into() }),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!("tenant slug {slug} exists"))),
            Err(e) => Err(StoreError::Db { op, source: e }),
        }
    }

    async fn tenants(&self) -> Result<Vec<Tenant>> {
        let rows = sqlx::query("SELECT id, slug, name FROM tenants ORDER BY id")
            .fetch_all(&self.reader)
            .await
            .db("read tenants")?;
        rows.iter()
            .map(|r| {
                Ok(Tenant {
                    id: TenantId(r.try_get(0).db("read tenants")?),
                    slug: r.try_get(1).db("read tenants")?,
                    name: r.try_get(2).db("read tenants")?,
                })
            })
            .collect()
    }

    async fn tenant_by_slug(&self, slug: &str) -> Result<Tenant> {
        let op = "read tenant";
        let r = sqlx::query("SELECT id, slug, name FROM tenants WHERE slug = ?1")
            .bind(slug)
            .fetch_optional(&self.reader)
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
        let res = sqlx::query_scalar(
            "INSERT INTO users (username, password_hash, service_role, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id",
        )
        .bind(username)
        .bind(password_hash)
        .bind(service_role.map(ServiceRole::as_str))
        .bind(us(&Utc::now()))
        .fetch_one(&self.writer)
        .await;
        match res {
            Ok(id) => Ok(User { id, username: username.into(), service_role, memberships: Vec::new() }),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("username exists".into())),
            Err(e) => Err(StoreError::Db { op, source: e }),
        }
    }

    async fn user_by_name(&self, username: &str) -> Result<UserRecord> {
        let (user, password_hash) = user_by(&self.reader, None, Some(username)).await?;
        Ok(UserRecord { user, password_hash })
    }

    async fn user(&self, id: i64) -> Result<User> {
        Ok(user_by(&self.reader, Some(id), None).await?.0)
    }

    async fn set_membership(&self, user: i64, tenant: TenantId, role: Option<Role>) -> Result<()> {
        let op = "set membership";
        let res = match role {
            Some(role) => {
                sqlx::query(
                    "INSERT INTO memberships (user_id, tenant_id, role) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (user_id, tenant_id) DO UPDATE SET role = excluded.role",
                )
                .bind(user)
                .bind(tenant.0)
                .bind(role.as_str())
                .execute(&self.writer)
                .await
            }
            None => {
                sqlx::query("DELETE FROM memberships WHERE user_id = ?1 AND tenant_id = ?2")
                    .bind(user)
                    .bind(tenant.0)
                    .execute(&self.writer)
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
        let res = sqlx::query("INSERT INTO sessions (secret_sha256, user_id, expires) VALUES (?1, ?2, ?3)")
            .bind(secret_sha256.as_slice())
            .bind(user)
            .bind(us(&expires))
            .execute(&self.writer)
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_fk_violation(&e) => Err(StoreError::NotFound),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("session exists".into())),
            Err(e) => Err(StoreError::Db { op: "create session", source: e }),
        }
    }

    async fn session_user(&self, secret_sha256: &[u8; 32], now: Timestamp) -> Result<User> {
        let id: i64 = sqlx::query_scalar("SELECT user_id FROM sessions WHERE secret_sha256 = ?1 AND expires > ?2")
            .bind(secret_sha256.as_slice())
            .bind(us(&now))
            .fetch_optional(&self.reader)
            .await
            .db("read session")?
            .ok_or(StoreError::NotFound)?;
        self.user(id).await
    }

    async fn delete_session(&self, secret_sha256: &[u8; 32]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE secret_sha256 = ?1")
            .bind(secret_sha256.as_slice())
            .execute(&self.writer)
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
             secret_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
        )
        .bind(new.tenant.0)
        .bind(&new.name)
        .bind(new.purpose.as_str())
        .bind(new.role.as_str())
        .bind(new.source.as_deref())
        .bind(&new.created_by)
        .bind(us(&created_at))
        .bind(new.expires.as_ref().map(us))
        .bind(secret_sha256.as_slice())
        .fetch_one(&self.writer)
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
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE secret_sha256 = ?1 AND revoked_at IS NULL \
             AND (expires IS NULL OR expires > ?2)"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secret_sha256.as_slice())
            .bind(us(&Utc::now()))
            .fetch_optional(&self.reader)
            .await
            .db("read token")?
            .ok_or(StoreError::NotFound)?;
        token_from_row(&row)
    }

    async fn list_tokens(&self, scope: &TenantScope) -> Result<Vec<ApiToken>> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT ");
        qb.push(TOKEN_COLUMNS).push(" FROM api_tokens WHERE tenant_id IN ");
        push_tenants(&mut qb, scope);
        qb.push(" ORDER BY id");
        let rows = qb.build().fetch_all(&self.reader).await.db("list tokens")?;
        rows.iter().map(token_from_row).collect()
    }

    async fn revoke_token(&self, scope: &TenantScope, id: i64) -> Result<()> {
        let op = "revoke token";
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ");
        qb.push_bind(us(&Utc::now())).push(") WHERE id = ").push_bind(id).push(" AND tenant_id IN ");
        push_tenants(&mut qb, scope);
        let n = qb.build().execute(&self.writer).await.db(op)?.rows_affected();
        if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<()> {
        let mut conn = self.writer.acquire().await.db("write audit")?;
        insert_audit(&mut conn, entry).await
    }

    async fn audit_log(&self, scope: &TenantScope, limit: u32, before_id: Option<i64>) -> Result<Page<AuditRecord>> {
        let op = "read audit log";
        let limit = page_limit(limit);
        // Deployment-wide entries (no tenant) are shown only to a scope covering every tenant.
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM tenants").fetch_one(&self.reader).await.db(op)?;
        let all = usize::try_from(total).is_ok_and(|t| t <= scope.tenants().len());
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT id, at, actor, tenant_id, action, target, detail FROM audit_log WHERE (tenant_id IN ",
        );
        push_tenants(&mut qb, scope);
        if all {
            qb.push(" OR tenant_id IS NULL");
        }
        qb.push(")");
        if let Some(b) = before_id {
            qb.push(" AND id < ").push_bind(b);
        }
        qb.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(limit) + 1);
        let rows = qb.build().fetch_all(&self.reader).await.db(op)?;
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
        let tenants: Vec<i64> =
            sqlx::query_scalar("SELECT DISTINCT tenant_id FROM sources").fetch_all(&self.reader).await.db(op)?;
        for t in tenants {
            loop {
                let ids: Vec<i64> =
                    sqlx::query_scalar("SELECT id FROM events WHERE tenant_id = ?1 AND ts < ?2 LIMIT ?3")
                        .bind(t)
                        .bind(cutoff)
                        .bind(RETENTION_CHUNK)
                        .fetch_all(&self.writer)
                        .await
                        .db(op)?;
                if ids.is_empty() {
                    break;
                }
                deleted += self.delete_events(&ids).await?;
            }
        }
        // By size: the used pages of the file approximate the event data (events, their indexes
        // and full text dominate). Delete the oldest arrivals (lowest ids) in proportion.
        let used: i64 = sqlx::query_scalar(
            "SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count())",
        )
        .fetch_one(&self.writer)
        .await
        .db(op)?;
        let page: i64 =
            sqlx::query_scalar("SELECT page_size FROM pragma_page_size()").fetch_one(&self.writer).await.db(op)?;
        let used_bytes = u64::try_from(used.saturating_mul(page)).unwrap_or(0);
        if used_bytes > policy.max_bytes {
            let count: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&self.writer).await.db(op)?;
            let excess = (used_bytes - policy.max_bytes) as f64 / used_bytes as f64;
            let mut to_delete = ((count as f64) * excess).ceil() as i64;
            while to_delete > 0 {
                let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM events ORDER BY id LIMIT ?1")
                    .bind(to_delete.min(RETENTION_CHUNK))
                    .fetch_all(&self.writer)
                    .await
                    .db(op)?;
                if ids.is_empty() {
                    break;
                }
                to_delete -= ids.len() as i64;
                deleted += self.delete_events(&ids).await?;
            }
        }
        Ok(deleted)
    }

    async fn stats(&self) -> Result<StoreStats> {
        let op = "read stats";
        let row = sqlx::query(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM alerts), \
             (SELECT page_count FROM pragma_page_count()) * (SELECT page_size FROM pragma_page_size())",
        )
        .fetch_one(&self.reader)
        .await
        .db(op)?;
        let get = |i: usize| -> Result<u64> {
            let v: i64 = row.try_get(i).db(op)?;
            Ok(u64::try_from(v).unwrap_or(0))
        };
        Ok(StoreStats { events: get(0)?, alerts: get(1)?, db_bytes: get(2)? })
    }
}

impl SqliteStore {
    /// Deletes the given events and their full-text entries in one transaction.
    async fn delete_events(&self, ids: &[i64]) -> Result<u64> {
        let op = "delete events";
        let json = serde_json::to_string(ids).map_err(|_| corrupt("event ids"))?;
        let mut tx = self.writer.begin().await.db(op)?;
        let n = sqlx::query("DELETE FROM events WHERE id IN (SELECT value FROM json_each(?1))")
            .bind(&json)
            .execute(&mut *tx)
            .await
            .db(op)?
            .rows_affected();
        // Filters of blocks wholly below the oldest remaining event go too (a block with some
        // events left keeps its filter: extra bits only cost a wasted scan).
        sqlx::query(
            "DELETE FROM event_blocks WHERE block < (coalesce((SELECT min(id) FROM events), \
             (SELECT value FROM meta WHERE key = 'max_event_id') + 1) >> ?1)",
        )
        .bind(bloom::BLOCK_SHIFT)
        .execute(&mut *tx)
        .await
        .db(op)?;
        tx.commit().await.db(op)?;
        *self.open_block.lock().map_err(|_| StoreError::Invalid("block cache poisoned".into()))? = None;
        Ok(n)
    }
}

async fn insert_audit(conn: &mut SqliteConnection, e: &AuditEntry) -> Result<()> {
    let detail = serde_json::to_string(&e.detail).map_err(|_| corrupt("audit detail"))?;
    sqlx::query("INSERT INTO audit_log (at, actor, tenant_id, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind(us(&e.at))
        .bind(&e.actor.name)
        .bind(e.tenant.map(|t| t.0))
        .bind(&e.action)
        .bind(&e.target)
        .bind(detail)
        .execute(conn)
        .await
        .db("write audit")?;
    Ok(())
}
