-- wardwatch store, SQLite. Timestamps are integer microseconds since the Unix epoch, UTC.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
-- fts_watermark: every event with id <= this is in events_fts.
-- max_event_id: the highest event id ever written (survives retention emptying the table).
INSERT INTO meta (key, value) VALUES ('fts_watermark', 0), ('max_event_id', 0);

CREATE TABLE tenants (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    service_role  TEXT,
    created_at    INTEGER NOT NULL
);

CREATE TABLE memberships (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    role      TEXT NOT NULL,
    PRIMARY KEY (user_id, tenant_id)
) WITHOUT ROWID;

CREATE TABLE sessions (
    secret_sha256 BLOB PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires       INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    role          TEXT NOT NULL,
    source        TEXT,
    created_by    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires       INTEGER,
    revoked_at    INTEGER,
    secret_sha256 BLOB NOT NULL UNIQUE
);
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id, id);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    tenant_id INTEGER,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE sources (
    id        INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    name      TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);

-- No foreign keys on events: the pipeline owns tenant and source ids, and an FK lookup per row
-- would cost write throughput. The promoted columns are NOCASE so equality and prefix LIKE use
-- their indexes case-insensitively.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL,
    source_id   INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    ts          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    host        TEXT COLLATE NOCASE,
    src_ip      TEXT COLLATE NOCASE,
    user_name   TEXT COLLATE NOCASE,
    raw         BLOB NOT NULL,
    fields      TEXT NOT NULL,
    parse_error TEXT
);
CREATE INDEX events_tenant_ts ON events (tenant_id, ts, id);
CREATE INDEX events_tenant_host ON events (tenant_id, host, ts);
CREATE INDEX events_tenant_src_ip ON events (tenant_id, src_ip, ts);
CREATE INDEX events_tenant_user ON events (tenant_id, user_name, ts);
CREATE INDEX events_tenant_source ON events (tenant_id, source_id, ts);

-- Full text over raw, filled by the lagging indexer (rowid = events.id). Trigram tokens give
-- substring matching for terms of three or more characters; detail=none keeps the index small
-- (candidates are verified against raw, so phrase positions are not needed).
CREATE VIRTUAL TABLE events_fts USING fts5 (
    raw,
    content = '',
    contentless_delete = 1,
    detail = none,
    tokenize = 'trigram case_sensitive 0'
);

CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL,
    rule_id         TEXT NOT NULL,
    entity_kind     TEXT NOT NULL,
    entity          TEXT NOT NULL,
    opened_by_event INTEGER NOT NULL,
    rule_title      TEXT NOT NULL,
    level           TEXT NOT NULL,
    host            TEXT,
    first_seen      INTEGER NOT NULL,
    last_seen       INTEGER NOT NULL,
    count           INTEGER NOT NULL,
    score           INTEGER NOT NULL,
    score_reasons   TEXT NOT NULL,
    novel           INTEGER NOT NULL,
    sample_count    INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL DEFAULT 'new',
    close_reason    TEXT,
    state_by        TEXT,
    state_at        INTEGER,
    UNIQUE (tenant_id, rule_id, entity_kind, entity, opened_by_event)
);
CREATE INDEX alerts_tenant_state ON alerts (tenant_id, state, score, last_seen);
CREATE INDEX alerts_last_seen ON alerts (last_seen);

CREATE TABLE alert_samples (
    alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    event_id INTEGER NOT NULL,
    PRIMARY KEY (alert_id, event_id)
) WITHOUT ROWID;

CREATE TABLE alert_history (
    id         INTEGER PRIMARY KEY,
    alert_id   INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    by_actor   TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    reason     TEXT,
    note       TEXT
);
CREATE INDEX alert_history_alert ON alert_history (alert_id, id);

CREATE TABLE novelty (
    tenant_id   INTEGER NOT NULL,
    rule_id     TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, rule_id, entity_kind, entity)
) WITHOUT ROWID;

CREATE TABLE checkpoints (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE disabled_rules (
    tenant_id INTEGER NOT NULL,
    rule_id   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, rule_id)
) WITHOUT ROWID;
