-- Incident response: incidents spanning tenants, their child records (each carrying its tenant),
-- affected services with history, breach records, notification settings and sent-notification keys.

ALTER TABLE alerts ADD COLUMN assignee TEXT;
ALTER TABLE alerts ADD COLUMN incident_id INTEGER;
CREATE INDEX alerts_incident ON alerts (incident_id) WHERE incident_id IS NOT NULL;

CREATE TABLE incidents (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    title         TEXT NOT NULL,
    summary       TEXT NOT NULL,
    category      TEXT NOT NULL,
    origin        TEXT NOT NULL,
    severity      TEXT NOT NULL,
    status        TEXT NOT NULL,
    owner         TEXT,
    ncsc_category INTEGER,
    created_at    INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    updated_at    INTEGER NOT NULL,
    closed_at     INTEGER
);
CREATE INDEX incidents_created ON incidents (created_at, id);

-- Every tenant an incident spans, the owner included.
CREATE TABLE incident_tenants (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    PRIMARY KEY (incident_id, tenant_id)
) WITHOUT ROWID;
CREATE INDEX incident_tenants_tenant ON incident_tenants (tenant_id, incident_id);

-- No foreign key to events: retention deletes events; the link then shows nothing.
CREATE TABLE incident_events (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    event_id    INTEGER NOT NULL,
    tenant_id   INTEGER NOT NULL,
    PRIMARY KEY (incident_id, event_id)
) WITHOUT ROWID;

CREATE TABLE tasks (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    tenant_id   INTEGER NOT NULL,
    title       TEXT NOT NULL,
    assignee    TEXT,
    due         INTEGER,
    done_at     INTEGER,
    done_by     TEXT,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX tasks_incident ON tasks (incident_id, id);
CREATE INDEX tasks_open_due ON tasks (due) WHERE done_at IS NULL AND due IS NOT NULL;

CREATE TABLE observables (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    tenant_id   INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    note        TEXT,
    added_at    INTEGER NOT NULL,
    added_by    TEXT NOT NULL
);
CREATE INDEX observables_incident ON observables (incident_id, id);

CREATE TABLE evidence (
    id           INTEGER PRIMARY KEY,
    incident_id  INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    tenant_id    INTEGER NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    description  TEXT,
    uploaded_at  INTEGER NOT NULL,
    uploaded_by  TEXT NOT NULL
);
CREATE INDEX evidence_incident ON evidence (incident_id, id);

-- The bytes apart from the record, so listing evidence never reads them.
CREATE TABLE evidence_content (
    evidence_id INTEGER PRIMARY KEY REFERENCES evidence (id) ON DELETE CASCADE,
    bytes       BLOB NOT NULL
);

CREATE TABLE notes (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    tenant_id   INTEGER NOT NULL,
    body        TEXT NOT NULL,
    author      TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX notes_incident ON notes (incident_id, id);

CREATE TABLE affected_services (
    id             INTEGER PRIMARY KEY,
    incident_id    INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    tenant_id      INTEGER NOT NULL,
    service        TEXT NOT NULL,
    status         TEXT NOT NULL,
    affected_since INTEGER NOT NULL,
    status_since   INTEGER NOT NULL,
    restored_at    INTEGER,
    UNIQUE (incident_id, tenant_id, service)
);
CREATE INDEX affected_services_tenant ON affected_services (tenant_id, status);

CREATE TABLE service_history (
    id         INTEGER PRIMARY KEY,
    service_id INTEGER NOT NULL REFERENCES affected_services (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    status     TEXT NOT NULL,
    by_actor   TEXT NOT NULL
);
CREATE INDEX service_history_service ON service_history (service_id, id);

-- One per (incident, tenant): each council is its own controller. `answers` is JSON text.
CREATE TABLE breaches (
    incident_id         INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    tenant_id           INTEGER NOT NULL,
    occurred_at         INTEGER,
    detected_at         INTEGER,
    aware_at            INTEGER,
    aware_decided_by    TEXT,
    aware_reason        TEXT,
    answers             TEXT NOT NULL,
    risk                TEXT,
    report_to_ico       INTEGER,
    ico_decision_reason TEXT,
    ico_decided_by      TEXT,
    ico_decided_at      INTEGER,
    tell_individuals    INTEGER,
    individuals_reason  TEXT,
    ico_reported_at     INTEGER,
    ico_reference       TEXT,
    ico_followup_at     INTEGER,
    late_reason         TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    PRIMARY KEY (incident_id, tenant_id)
) WITHOUT ROWID;
CREATE INDEX breaches_tenant ON breaches (tenant_id, created_at);

CREATE TABLE notification_prefs (
    user_id           INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email             TEXT,
    webhook_url       TEXT,
    serious_alerts    INTEGER NOT NULL,
    incident_assigned INTEGER NOT NULL,
    tasks_due         INTEGER NOT NULL,
    ico_deadlines     INTEGER NOT NULL
);

-- Keys of notifications already sent, so a restart does not send them again.
CREATE TABLE notifications_sent (
    key TEXT PRIMARY KEY,
    at  INTEGER NOT NULL
) WITHOUT ROWID;
