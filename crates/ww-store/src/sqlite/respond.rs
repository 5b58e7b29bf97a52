//! Incident response on SQLite: the SQL only. Validation, decoding and the state rules are in
//! `crate::respond`, shared with PostgreSQL. Writes go through the single writer connection, so
//! a read-then-write inside one transaction cannot race another writer.
//!
//! Scope filters bind the scope's tenant ids as a JSON array: `tenant_id IN (SELECT value FROM
//! json_each(?n))`.

use chrono::Utc;
use serde_json::json;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{
    ALERT_COLUMNS, DbResult, EVENT_COLUMNS, alert_from_row, event_from_row, insert_audit, is_fk_violation, page_limit,
    user_by,
};
use crate::query::{decode_cursor, encode_cursor};
use crate::respond::*;
use crate::*;

use super::SqliteStore;

fn scope_json(scope: &TenantScope) -> String {
    let ids: Vec<i64> = scope.tenants().iter().map(|t| t.0).collect();
    serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())
}

const TENANTS_AGG: &str = "(SELECT group_concat(t.tenant_id) FROM incident_tenants t WHERE t.incident_id = i.id)";

fn incident_sql(filter: &str) -> String {
    format!("SELECT {INCIDENT_COLUMNS}, {TENANTS_AGG} FROM incidents i WHERE {filter}")
}

const VISIBLE: &str = "EXISTS (SELECT 1 FROM incident_tenants v WHERE v.incident_id = i.id AND v.tenant_id IN (SELECT value FROM \
     json_each(?2)))";

/// The incident if the scope sees it (any of its tenants in scope).
async fn load_incident(conn: &mut SqliteConnection, scope: &TenantScope, id: i64) -> Result<Incident> {
    let sql = incident_sql(&format!("i.id = ?1 AND {VISIBLE}"));
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(scope_json(scope))
        .fetch_optional(conn)
        .await
        .db("read incident")?
        .ok_or(StoreError::NotFound)?;
    incident_from_row(&row)
}

/// Adds `tenant` to the incident's tenants (no-op when present).
async fn join_tenant(conn: &mut SqliteConnection, incident_id: i64, tenant: TenantId) -> Result<()> {
    let res = sqlx::query("INSERT OR IGNORE INTO incident_tenants (incident_id, tenant_id) VALUES (?1, ?2)")
        .bind(incident_id)
        .bind(tenant.0)
        .execute(conn)
        .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) if is_fk_violation(&e) => Err(StoreError::NotFound),
        Err(e) => Err(StoreError::Db { op: "add incident tenant", source: e }),
    }
}

async fn touch(conn: &mut SqliteConnection, incident_id: i64, now: Timestamp) -> Result<()> {
    sqlx::query("UPDATE incidents SET updated_at = ?2 WHERE id = ?1")
        .bind(incident_id)
        .bind(us(&now))
        .execute(conn)
        .await
        .db("update incident")?;
    Ok(())
}

impl SqliteStore {
    /// Child rows of `table` for one incident, restricted to the scope's tenants, oldest first.
    async fn children<T>(
        &self,
        table: &str,
        columns: &str,
        incident_id: i64,
        scope: &TenantScope,
        decode: fn(&SqliteRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE incident_id = ?1 AND tenant_id IN (SELECT value FROM json_each(?2)) \
             ORDER BY id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(incident_id)
            .bind(scope_json(scope))
            .fetch_all(&self.reader)
            .await
            .db("read incident")?;
        rows.iter().map(decode).collect()
    }

    pub(super) async fn r_assign_alert(
        &self,
        scope: &TenantScope,
        id: i64,
        assignee: Option<&str>,
        actor: &Actor,
    ) -> Result<Alert> {
        let op = "assign alert";
        check_opt("assignee", assignee, MAX_NAME)?;
        let mut tx = self.writer.begin().await.db(op)?;
        let tenant: i64 = sqlx::query_scalar(
            "UPDATE alerts SET assignee = ?1 WHERE id = ?2 AND tenant_id IN (SELECT value FROM json_each(?3)) \
             RETURNING tenant_id",
        )
        .bind(assignee)
        .bind(id)
        .bind(scope_json(scope))
        .fetch_optional(&mut *tx)
        .await
        .db(op)?
        .ok_or(StoreError::NotFound)?;
        let entry = audit_entry(
            actor,
            TenantId(tenant),
            "alert.assign",
            format!("alert:{id}"),
            json!({"assigned": assignee.is_some()}),
        );
        insert_audit(&mut tx, &entry).await?;
        let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts a WHERE a.id = ?1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(&mut *tx).await.db(op)?;
        let alert = alert_from_row(&row)?;
        tx.commit().await.db(op)?;
        Ok(alert)
    }

    pub(super) async fn r_create_incident(&self, new: &NewIncident, actor: &Actor) -> Result<Incident> {
        let op = "create incident";
        check_new_incident(new)?;
        let now = from_us(us(&Utc::now()))?;
        let mut tx = self.writer.begin().await.db(op)?;
        let res = sqlx::query_scalar(
            "INSERT INTO incidents (tenant_id, title, summary, category, origin, severity, status, owner, created_at, \
             created_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?8, ?9, ?8) RETURNING id",
        )
        .bind(new.tenant.0)
        .bind(&new.title)
        .bind(&new.summary)
        .bind(new.category.as_str())
        .bind(new.origin.as_str())
        .bind(new.severity.as_str())
        .bind(new.owner.as_deref())
        .bind(us(&now))
        .bind(&actor.name)
        .fetch_one(&mut *tx)
        .await;
        let id: i64 = match res {
            Ok(id) => id,
            Err(e) if is_fk_violation(&e) => return Err(StoreError::NotFound),
            Err(e) => return Err(StoreError::Db { op, source: e }),
        };
        join_tenant(&mut tx, id, new.tenant).await?;
        let detail = json!({"category": new.category.as_str(), "severity": new.severity.as_str()});
        insert_audit(&mut tx, &audit_entry(actor, new.tenant, "incident.create", incident_target(id), detail)).await?;
        tx.commit().await.db(op)?;
        Ok(Incident {
            id,
            tenant: new.tenant,
            tenants: vec![new.tenant],
            title: new.title.clone(),
            summary: new.summary.clone(),
            category: new.category,
            origin: new.origin,
            severity: new.severity,
            status: IncidentStatus::Open,
            owner: new.owner.clone(),
            ncsc_category: None,
            created_at: now,
            created_by: actor.name.clone(),
            updated_at: now,
            closed_at: None,
        })
    }

    pub(super) async fn r_list_incidents(&self, scope: &TenantScope, q: &IncidentQuery) -> Result<Page<Incident>> {
        let limit = page_limit(q.limit);
        let scope_ids = scope_json(scope);
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT ");
        qb.push(INCIDENT_COLUMNS).push(", ").push(TENANTS_AGG).push(" FROM incidents i WHERE EXISTS (SELECT 1 FROM ");
        qb.push("incident_tenants v WHERE v.incident_id = i.id AND v.tenant_id IN (SELECT value FROM json_each(");
        qb.push_bind(scope_ids.clone()).push(")))");
        let statuses: Vec<&str> = if q.statuses.is_empty() {
            IncidentStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect()
        } else {
            q.statuses.iter().map(|s| s.as_str()).collect()
        };
        let statuses = serde_json::to_string(&statuses).map_err(|_| StoreError::Invalid("statuses".into()))?;
        qb.push(" AND i.status IN (SELECT value FROM json_each(").push_bind(statuses).push("))");
        if q.breach_only {
            qb.push(" AND EXISTS (SELECT 1 FROM breaches b WHERE b.incident_id = i.id AND b.tenant_id IN ");
            qb.push("(SELECT value FROM json_each(").push_bind(scope_ids).push(")))");
        }
        if let Some(c) = &q.cursor {
            let [at, id] = decode_cursor::<2>(c)?;
            qb.push(" AND (i.created_at, i.id) < (").push_bind(at).push(", ").push_bind(id).push(")");
        }
        qb.push(" ORDER BY i.created_at DESC, i.id DESC LIMIT ").push_bind(i64::from(limit) + 1);
        let rows = qb.build().fetch_all(&self.reader).await.db("list incidents")?;
        let mut items = rows.iter().map(incident_from_row).collect::<Result<Vec<_>>>()?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = match (more, items.last()) {
            (true, Some(i)) => Some(encode_cursor(&[us(&i.created_at), i.id])),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }

    pub(super) async fn r_get_incident(&self, scope: &TenantScope, id: i64) -> Result<IncidentDetail> {
        let op = "read incident";
        let mut conn = self.reader.acquire().await.db(op)?;
        let incident = load_incident(&mut conn, scope, id).await?;
        drop(conn);
        let sj = scope_json(scope);
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts a WHERE a.incident_id = ?1 AND a.tenant_id IN (SELECT value FROM \
             json_each(?2)) ORDER BY a.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(&sj).fetch_all(&self.reader).await.db(op)?;
        let alerts = rows.iter().map(alert_from_row).collect::<Result<Vec<_>>>()?;
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM incident_events x JOIN events e ON e.id = x.event_id \
             JOIN sources s ON s.id = e.source_id WHERE x.incident_id = ?1 \
             AND e.tenant_id IN (SELECT value FROM json_each(?2)) ORDER BY e.ts, e.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(&sj).fetch_all(&self.reader).await.db(op)?;
        let events = rows.iter().map(event_from_row).collect::<Result<Vec<_>>>()?;
        let tasks = self.children("tasks", TASK_COLUMNS, id, scope, task_from_row).await?;
        let observables = self.children("observables", OBSERVABLE_COLUMNS, id, scope, observable_from_row).await?;
        let evidence = self.children("evidence", EVIDENCE_COLUMNS, id, scope, evidence_from_row).await?;
        let notes = self.children("notes", NOTE_COLUMNS, id, scope, note_from_row).await?;
        let mut services = self.children("affected_services", SERVICE_COLUMNS, id, scope, service_from_row).await?;
        let rows = sqlx::query(
            "SELECT h.service_id, h.at, h.status, h.by_actor FROM service_history h \
             JOIN affected_services s ON s.id = h.service_id WHERE s.incident_id = ?1 \
             AND s.tenant_id IN (SELECT value FROM json_each(?2)) ORDER BY h.id",
        )
        .bind(id)
        .bind(&sj)
        .fetch_all(&self.reader)
        .await
        .db(op)?;
        attach_history(&mut services, rows.iter().map(service_change_from_row).collect::<Result<Vec<_>>>()?);
        let sql = format!(
            "SELECT {BREACH_COLUMNS} FROM breaches b WHERE b.incident_id = ?1 \
             AND b.tenant_id IN (SELECT value FROM json_each(?2)) ORDER BY b.tenant_id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(&sj).fetch_all(&self.reader).await.db(op)?;
        let breaches = rows.iter().map(breach_from_row).collect::<Result<Vec<_>>>()?;
        Ok(IncidentDetail { incident, alerts, events, tasks, observables, evidence, notes, services, breaches })
    }

    pub(super) async fn r_update_incident(
        &self,
        scope: &TenantScope,
        id: i64,
        u: &IncidentUpdate,
        actor: &Actor,
    ) -> Result<Incident> {
        let op = "update incident";
        let mut tx = self.writer.begin().await.db(op)?;
        let mut inc = load_incident(&mut tx, scope, id).await?;
        let now = from_us(us(&Utc::now()))?;
        let changed = apply_update(&mut inc, u, now)?;
        if changed.is_empty() {
            return Ok(inc);
        }
        sqlx::query(
            "UPDATE incidents SET title = ?2, summary = ?3, category = ?4, origin = ?5, severity = ?6, status = ?7, \
             owner = ?8, ncsc_category = ?9, updated_at = ?10, closed_at = ?11 WHERE id = ?1",
        )
        .bind(id)
        .bind(&inc.title)
        .bind(&inc.summary)
        .bind(inc.category.as_str())
        .bind(inc.origin.as_str())
        .bind(inc.severity.as_str())
        .bind(inc.status.as_str())
        .bind(inc.owner.as_deref())
        .bind(inc.ncsc_category.map(i64::from))
        .bind(us(&inc.updated_at))
        .bind(inc.closed_at.as_ref().map(us))
        .execute(&mut *tx)
        .await
        .db(op)?;
        let detail = json!({"fields": changed, "status": inc.status.as_str()});
        let entry = audit_entry(actor, acting_tenant(scope, &inc), "incident.update", incident_target(id), detail);
        insert_audit(&mut tx, &entry).await?;
        tx.commit().await.db(op)?;
        Ok(inc)
    }

    pub(super) async fn r_add_incident_tenant(
        &self,
        scope: &TenantScope,
        id: i64,
        tenant: TenantId,
        actor: &Actor,
    ) -> Result<Incident> {
        let op = "add incident tenant";
        if !scope.contains(tenant) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.writer.begin().await.db(op)?;
        let inc = load_incident(&mut tx, scope, id).await?;
        if inc.tenants.contains(&tenant) {
            return Ok(inc);
        }
        join_tenant(&mut tx, id, tenant).await?;
        touch(&mut tx, id, Utc::now()).await?;
        insert_audit(
            &mut tx,
            &audit_entry(actor, tenant, "incident.tenant_add", incident_target(id), json!({"tenant": tenant.0})),
        )
        .await?;
        let inc = load_incident(&mut tx, scope, id).await?;
        tx.commit().await.db(op)?;
        Ok(inc)
    }

    pub(super) async fn r_link_alert(
        &self,
        scope: &TenantScope,
        incident_id: i64,
        alert_id: i64,
        actor: &Actor,
    ) -> Result<()> {
        let op = "link alert";
        let mut tx = self.writer.begin().await.db(op)?;
        let inc = load_incident(&mut tx, scope, incident_id).await?;
        let tenant: i64 = sqlx::query_scalar(
            "UPDATE alerts SET incident_id = ?1 WHERE id = ?2 AND tenant_id IN (SELECT value FROM json_each(?3)) \
             RETURNING tenant_id",
        )
        .bind(incident_id)
        .bind(alert_id)
        .bind(scope_json(scope))
        .fetch_optional(&mut *tx)
        .await
        .db(op)?
        .ok_or(StoreError::NotFound)?;
        let tenant = TenantId(tenant);
        if !inc.tenants.contains(&tenant) {
            join_tenant(&mut tx, incident_id, tenant).await?;
        }
        touch(&mut tx, incident_id, Utc::now()).await?;
        let entry =
            audit_entry(actor, tenant, "incident.link_alert", incident_target(incident_id), json!({"alert": alert_id}));
        insert_audit(&mut tx, &entry).await?;
        tx.commit().await.db(op)
    }

    pub(super) async fn r_link_event(
        &self,
        scope: &TenantScope,
        incident_id: i64,
        event_id: i64,
        actor: &Actor,
    ) -> Result<()> {
        let op = "link event";
        let mut tx = self.writer.begin().await.db(op)?;
        let inc = load_incident(&mut tx, scope, incident_id).await?;
        let tenant: i64 = sqlx::query_scalar(
            "SELECT tenant_id FROM events WHERE id = ?1 AND tenant_id IN (SELECT value FROM json_each(?2))",
        )
        .bind(event_id)
        .bind(scope_json(scope))
        .fetch_optional(&mut *tx)
        .await
        .db(op)?
        .ok_or(StoreError::NotFound)?;
        let tenant = TenantId(tenant);
        sqlx::query("INSERT OR IGNORE INTO incident_events (incident_id, event_id, tenant_id) VALUES (?1, ?2, ?3)")
            .bind(incident_id)
            .bind(event_id)
            .bind(tenant.0)
            .execute(&mut *tx)
            .await
            .db(op)?;
        if !inc.tenants.contains(&tenant) {
            join_tenant(&mut tx, incident_id, tenant).await?;
        }
        touch(&mut tx, incident_id, Utc::now()).await?;
        let entry =
            audit_entry(actor, tenant, "incident.link_event", incident_target(incident_id), json!({"event": event_id}));
        insert_audit(&mut tx, &entry).await?;
        tx.commit().await.db(op)
    }

    pub(super) async fn r_add_task(
        &self,
        scope: &TenantScope,
        incident_id: i64,
        t: &NewTask,
        actor: &Actor,
    ) -> Result<Task> {
        let op = "add task";
        check_task(t)?;
        let mut tx = self.writer.begin().await.db(op)?;
        let inc = load_incident(&mut tx, scope, incident_id).await?;
        check_child_tenant(scope, &inc, t.tenant)?;
        let sql = format!(
            "INSERT INTO tasks (incident_id, tenant_id, title, assignee, due, created_at, created_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING {TASK_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(incident_id)
            .bind(t.tenant.0)
            .bind(&t.title)
            .bind(t.assignee.as_deref())
            .bind(t.due.as_ref().map(us))
            .bind(us(&Utc::now()))
            .bind(&actor.name)
            .fetch_one(&mut *tx)
            .await
            .db(op)?;
        let task = task_from_row(&row)?;
        let entry = audit_entry(actor, t.tenant, "task.add", incident_target(incident_id), json!({"task": task.id}));
        insert_audit(&mut tx, &entry).await?;
        tx.commit().await.db(op)?;
        Ok(task)
    }

    pub(super) async fn r_set_task_done(
        &self,
        scope: &TenantScope,
        task_id: i64,
        done: bool,
        actor: &Actor,
    ) -> Result<Task> {
        let op = "set task done";
        let mut tx = self.writer.begin().await.db(op)?;
        let now = us(&Utc::now());
        let sql = format!(
            "UPDATE tasks SET done_at = CASE WHEN ?3 THEN coalesce(done_at, ?4) END, \
             done_by = CASE WHEN ?3 THEN coalesce(done_by, ?5) END \
             WHERE id = ?1 AND tenant_id IN (SELECT value FROM json_each(?2)) RETURNING {TASK_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(task_id)
            .bind(scope_json(scope))
            .bind(done)
            .bind(now)
            .bind(&actor.name)
            .fetch_optional(&mut *tx)
            .await
            .db(op)?
            .ok_or(StoreError::NotFound)?;
        let task = task_from_row(&row)?;
        let action = if done { "task.done" } else { "task.reopen" };
        let entry =
            audit_entry(actor, task.tenant, action, incident_target(task.incident_id), json!({"task": task_id}));
        insert_audit(&mut tx, &entry).await?;
        tx.commit().await.db(op)?;
        Ok(task)
    }

    pub(super) async fn r_tasks_due(&self, before: Timestamp) -> Result<Vec<Task>> {
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE done_at IS NULL AND due IS NOT NULL AND due < ?1 ORDER BY due, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(us(&before))
            .fetch_all(&self.reader)
            .await
            .db("read due tasks")?;
        rows.iter().map(task_from_row).collect()
    }

    pub(super) async fn r_add_observable(
        &self,
        scope: &TenantScope,
        incident_id: i64,
        o: &NewObservable,
        actor: &Actor,
    ) -> Result<Observable> {
        let op = "add observable";
        check_observable(o)?;
        let mut tx = self.writer.begin().await.db(op)?;
        let inc = load_incident(&mut tx, scope, incident_id).await?;
        check_child_tenant(scope, &inc, o.tenant)?;
        let sql = format!(
            "INSERT INTO observables (incident_id, tenant_id, kind, value, note, added_at, added_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING {OBSERVABLE_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(incident_id)
            .bind(o.tenant.0)
            .bind(o.kind.as_str())
            .bind(&o.value)
            .bind(o.note.as_deref())
            .bind(us(&Utc::now()))
            .bind(&actor.name)
            .fetch_one(&mut *tx)
            .await
            .db(op)?;
        let obs = observable_from_row(&row)?;
        let detail = json!({"observable": obs.id, "kind": o.kind.as_str()});
        insert_audit(&mut tx, &audit_entry(actor, o.tenant, "observable.add", incident_target(incident_id), detail))
            .await?;
        tx.commit().await.db(op)?;
        Ok(obs)
    }

    pub(super) async fn r_add_evidence(
        &self,
        scope: &TenantScope,
        incident_id: i64,
        e: &NewEvidence,
        actor: &Actor,
    ) -> Result<Evidence> {
        let op = "add evidence";
        let (filename, sha256) = check_evidence(e)?;
        let mut tx = self.writer.begin().await.db(op)?;
        let inc = load_incident(&mut tx, scope, incident_id).await?;
        check_child_tenant(scope, &inc, e.tenant)?;
        let sql = format!(
            "INSERT INTO evidence (incident_id, tenant_id, filename, content_type, size, sha256, description, \
             uploaded_at, uploaded_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING {EVIDENCE_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(incident_id)
            .bind(e.tenant.0)
            .bind(&filename)
            .bind(&e.content_type)
            .bind(i64::try_from(e.bytes.len()).map_err(|_| StoreError::Invalid("evidence too large".into()))?)
            .bind(&sha256)
            .bind(e.description.as_deref())
            .bind(us(&Utc::now()))
            .bind(&actor.name)
            .fetch_one(&mut *tx)
            .await
            .db(op)?;
        let ev = evidence_from_row(&row)?;
        sqlx::query("INSERT INTO evidence_content (evidence_id, bytes) VALUES (?1, ?2)")
            .bind(ev.id)
            .bind(e.bytes.as_slice())
            .execute(&mut *tx)
            .await
            .db(op)?;
        let detail = json!({"evidence": ev.id, "size": ev.size, "sha256": ev.sha256});
        insert_audit(&mut tx, &audit_entry(actor, e.tenant, "evidence.add", incident_target(incident_id), detail))
            .await?;
        tx.commit().await.db(op)?;
        Ok(ev)
    }

    pub(super) async fn r_evidence_content(
        &self,
        scope: &TenantScope,
        evidence_id: i64,
    ) -> Result<(Evidence, Vec<u8>)> {
        let op = "read evidence";
        let sql = format!(
            "SELECT {EVIDENCE_COLUMNS}, (SELECT bytes FROM evidence_content c WHERE c.evidence_id = evidence.id) \
             FROM evidence WHERE id = ?1 AND tenant_id IN (SELECT value FROM json_each(?2))"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(evidence_id)
            .bind(scope_json(scope))
            .fetch_optional(&self.reader)
            .await
            .db(op)?
            .ok_or(StoreError::NotFound)?;
        let ev = evidence_from_row(&row)?;
        let bytes: Option<Vec<u8>> = sqlx::Row::try_get(&row, 10).db(op)?;
        Ok((ev, bytes.ok_or(StoreError::NotFound)?))
    }

    pub(super) async fn r_add_note(
        &self,
        scope: &TenantScope,
        incident_id: i64,
        tenant: TenantId,
        body: &str,
        actor: &Actor,
    ) -> Result<Note> {
        let op = "add note";
        check_text("note", body, MAX_TEXT)?;
        let mut tx = self.writer.begin().await.db(op)?;
        let inc = load_incident(&mut tx, scope, incident_id).await?;
        check_child_tenant(scope, &inc, tenant)?;
        let sql = format!(
            "INSERT INTO notes (incident_id, tenant_id, body, author, at) VALUES (?1, ?2, ?3, ?4, ?5) \
             RETURNING {NOTE_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(incident_id)
            .bind(tenant.0)
            .bind(body)
            .bind(&actor.name)
            .bind(us(&Utc::now()))
            .fetch_one(&mut *tx)
            .await
            .db(op)?;
        let note = note_from_row(&row)?;
        insert_audit(
            &mut tx,
            &audit_entry(actor, tenant, "note.add", incident_target(incident_id), json!({"note": note.id})),
        )
        .await?;
        tx.commit().await.db(op)?;
        Ok(note)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn r_set_service_status(
        &self,
        scope: &TenantScope,
        incident_id: i64,
        tenant: TenantId,
        service: &str,
        status: ServiceStatus,
        at: Timestamp,
        actor: &Actor,
    ) -> Result<AffectedService> {
        let op = "set service status";
        check_text("service name", service, MAX_NAME)?;
        let at = from_us(us(&at))?;
        let mut tx = self.writer.begin().await.db(op)?;
        let inc = load_incident(&mut tx, scope, incident_id).await?;
        check_child_tenant(scope, &inc, tenant)?;
        let sql = format!(
            "SELECT {SERVICE_COLUMNS} FROM affected_services WHERE incident_id = ?1 AND tenant_id = ?2 AND service = ?3"
        );
        let current = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(incident_id)
            .bind(tenant.0)
            .bind(service)
            .fetch_optional(&mut *tx)
            .await
            .db(op)?
            .map(|r| service_from_row(&r))
            .transpose()?;
        let next = next_service_state(current.as_ref().map(service_state), status, at);
        let id: i64 = match &current {
            Some(c) => {
                sqlx::query(
                    "UPDATE affected_services SET status = ?2, affected_since = ?3, status_since = ?4, \
                     restored_at = ?5 WHERE id = ?1",
                )
                .bind(c.id)
                .bind(next.status.as_str())
                .bind(us(&next.affected_since))
                .bind(us(&next.status_since))
                .bind(next.restored_at.as_ref().map(us))
                .execute(&mut *tx)
                .await
                .db(op)?;
                c.id
            }
            None => sqlx::query_scalar(
                "INSERT INTO affected_services (incident_id, tenant_id, service, status, affected_since, status_since, \
                 restored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
            )
            .bind(incident_id)
            .bind(tenant.0)
            .bind(service)
            .bind(next.status.as_str())
            .bind(us(&next.affected_since))
            .bind(us(&next.status_since))
            .bind(next.restored_at.as_ref().map(us))
            .fetch_one(&mut *tx)
            .await
            .db(op)?,
        };
        if current.as_ref().is_none_or(|c| c.status != status) {
            sqlx::query("INSERT INTO service_history (service_id, at, status, by_actor) VALUES (?1, ?2, ?3, ?4)")
                .bind(id)
                .bind(us(&at))
                .bind(status.as_str())
                .bind(&actor.name)
                .execute(&mut *tx)
                .await
                .db(op)?;
            let detail = json!({"service": service, "status": status.as_str()});
            insert_audit(&mut tx, &audit_entry(actor, tenant, "service.status", incident_target(incident_id), detail))
                .await?;
        }
        let rows = sqlx::query(
            "SELECT service_id, at, status, by_actor FROM service_history WHERE service_id = ?1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .db(op)?;
        let history = rows.iter().map(service_change_from_row).collect::<Result<Vec<_>>>()?;
        tx.commit().await.db(op)?;
        Ok(AffectedService {
            id,
            incident_id,
            tenant,
            service: service.into(),
            status: next.status,
            affected_since: next.affected_since,
            status_since: next.status_since,
            restored_at: next.restored_at,
            history: history.into_iter().map(|(_, h)| h).collect(),
        })
    }

    pub(super) async fn r_public_service_status(
        &self,
        tenant: TenantId,
        restored_since: Timestamp,
    ) -> Result<Vec<PublicServiceStatus>> {
        let rows = sqlx::query(
            "SELECT s.service, s.status, s.affected_since, s.status_since, s.restored_at FROM affected_services s \
             JOIN incidents i ON i.id = s.incident_id WHERE s.tenant_id = ?1 \
             AND ((s.status <> 'restored' AND i.status <> 'closed') OR (s.status = 'restored' AND s.restored_at >= ?2))",
        )
        .bind(tenant.0)
        .bind(us(&restored_since))
        .fetch_all(&self.reader)
        .await
        .db("read public status")?;
        Ok(merge_public_status(rows.iter().map(public_status_from_row).collect::<Result<Vec<_>>>()?))
    }

    pub(super) async fn r_upsert_breach(&self, scope: &TenantScope, b: &Breach, actor: &Actor) -> Result<Breach> {
        let op = "update breach";
        check_breach(b)?;
        let answers = answers_json(b)?;
        let mut tx = self.writer.begin().await.db(op)?;
        let inc = load_incident(&mut tx, scope, b.incident_id).await?;
        check_child_tenant(scope, &inc, b.tenant)?;
        let now = us(&Utc::now());
        let ts = |t: &Option<Timestamp>| t.as_ref().map(us);
        let sql = format!(
            "INSERT INTO breaches (incident_id, tenant_id, occurred_at, detected_at, aware_at, aware_decided_by, \
             aware_reason, answers, risk, report_to_ico, ico_decision_reason, ico_decided_by, ico_decided_at, \
             tell_individuals, individuals_reason, ico_reported_at, ico_reference, ico_followup_at, late_reason, \
             created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
             ?17, ?18, ?19, ?20, ?20) ON CONFLICT (incident_id, tenant_id) DO UPDATE SET \
             occurred_at = excluded.occurred_at, detected_at = excluded.detected_at, aware_at = excluded.aware_at, \
             aware_decided_by = excluded.aware_decided_by, aware_reason = excluded.aware_reason, \
             answers = excluded.answers, risk = excluded.risk, report_to_ico = excluded.report_to_ico, \
             ico_decision_reason = excluded.ico_decision_reason, ico_decided_by = excluded.ico_decided_by, \
             ico_decided_at = excluded.ico_decided_at, tell_individuals = excluded.tell_individuals, \
             individuals_reason = excluded.individuals_reason, ico_reported_at = excluded.ico_reported_at, \
             ico_reference = excluded.ico_reference, ico_followup_at = excluded.ico_followup_at, \
             late_reason = excluded.late_reason, updated_at = excluded.updated_at \
             RETURNING {}",
            BREACH_COLUMNS.replace("b.", "")
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(b.incident_id)
            .bind(b.tenant.0)
            .bind(ts(&b.occurred_at))
            .bind(ts(&b.detected_at))
            .bind(ts(&b.aware_at))
            .bind(b.aware_decided_by.as_deref())
            .bind(b.aware_reason.as_deref())
            .bind(&answers)
            .bind(b.risk.as_deref())
            .bind(b.report_to_ico)
            .bind(b.ico_decision_reason.as_deref())
            .bind(b.ico_decided_by.as_deref())
            .bind(ts(&b.ico_decided_at))
            .bind(b.tell_individuals)
            .bind(b.individuals_reason.as_deref())
            .bind(ts(&b.ico_reported_at))
            .bind(b.ico_reference.as_deref())
            .bind(ts(&b.ico_followup_at))
            .bind(b.late_reason.as_deref())
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .db(op)?;
        let stored = breach_from_row(&row)?;
        insert_audit(
            &mut tx,
            &audit_entry(actor, b.tenant, "breach.update", incident_target(b.incident_id), breach_detail(&stored)),
        )
        .await?;
        tx.commit().await.db(op)?;
        Ok(stored)
    }

    pub(super) async fn r_breach_log(&self, scope: &TenantScope) -> Result<Vec<BreachLogEntry>> {
        let op = "read breach log";
        let sql = format!(
            "SELECT {BREACH_COLUMNS}, i.title, i.status FROM breaches b JOIN incidents i ON i.id = b.incident_id \
             WHERE b.tenant_id IN (SELECT value FROM json_each(?1)) \
             ORDER BY b.created_at DESC, b.incident_id DESC, b.tenant_id"
        );
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(scope_json(scope)).fetch_all(&self.reader).await.db(op)?;
        rows.iter().map(breach_log_from_row).collect()
    }

    pub(super) async fn r_running_breach_clocks(&self) -> Result<Vec<Breach>> {
        let sql = format!(
            "SELECT {BREACH_COLUMNS} FROM breaches b WHERE b.aware_at IS NOT NULL AND b.ico_reported_at IS NULL \
             AND b.report_to_ico IS NOT 0 ORDER BY b.aware_at, b.incident_id, b.tenant_id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.reader).await.db("read breach clocks")?;
        rows.iter().map(breach_from_row).collect()
    }

    pub(super) async fn r_dashboard_counts(
        &self,
        scope: &TenantScope,
        since: Timestamp,
        serious_score: u8,
    ) -> Result<DashboardCounts> {
        let op = "read dashboard counts";
        let actions = serde_json::to_string(BLOCK_ACTIONS).map_err(|_| StoreError::Invalid("actions".into()))?;
        let row = sqlx::query(
            "SELECT \
             (SELECT count(*) FROM events e WHERE e.tenant_id IN (SELECT value FROM json_each(?1)) AND e.ts >= ?2 \
              AND (lower(json_extract(e.fields, '$.action')) IN (SELECT value FROM json_each(?4)) \
               OR lower(json_extract(e.fields, '$.act')) IN (SELECT value FROM json_each(?4)) \
               OR (instr(json_extract(e.fields, '$.message'), 'SRC=') > 0 \
                   AND instr(json_extract(e.fields, '$.message'), 'PROTO=') > 0 \
                   AND (instr(json_extract(e.fields, '$.message'), 'DROP') > 0 \
                        OR instr(json_extract(e.fields, '$.message'), 'REJECT') > 0 \
                        OR instr(json_extract(e.fields, '$.message'), 'DENY') > 0)))), \
             (SELECT count(*) FROM events e WHERE e.tenant_id IN (SELECT value FROM json_each(?1)) AND e.ts >= ?2), \
             (SELECT count(*) FROM alerts a WHERE a.tenant_id IN (SELECT value FROM json_each(?1)) \
              AND a.first_seen >= ?2 AND a.score >= ?3), \
             (SELECT count(*) FROM alerts a WHERE a.tenant_id IN (SELECT value FROM json_each(?1)) \
              AND a.state IN ('new', 'acknowledged', 'escalated')), \
             (SELECT count(*) FROM incidents i WHERE i.status <> 'closed' AND EXISTS (SELECT 1 FROM incident_tenants v \
              WHERE v.incident_id = i.id AND v.tenant_id IN (SELECT value FROM json_each(?1))))",
        )
        .bind(scope_json(scope))
        .bind(us(&since))
        .bind(i64::from(serious_score))
        .bind(actions)
        .fetch_one(&self.reader)
        .await
        .db(op)?;
        dashboard_from_row(&row)
    }

    pub(super) async fn r_notification_prefs(&self, user_id: i64) -> Result<NotificationPrefs> {
        let row = sqlx::query(
            "SELECT user_id, email, webhook_url, serious_alerts, incident_assigned, tasks_due, ico_deadlines \
             FROM notification_prefs WHERE user_id = ?1",
        )
        .bind(user_id)
        .fetch_optional(&self.reader)
        .await
        .db("read notification settings")?;
        match row {
            Some(r) => prefs_from_row(&r),
            None => Ok(NotificationPrefs { user_id, ..Default::default() }),
        }
    }

    pub(super) async fn r_set_notification_prefs(&self, p: &NotificationPrefs) -> Result<()> {
        check_prefs(p)?;
        let res = sqlx::query(
            "INSERT INTO notification_prefs (user_id, email, webhook_url, serious_alerts, incident_assigned, tasks_due, \
             ico_deadlines) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (user_id) DO UPDATE SET \
             email = excluded.email, webhook_url = excluded.webhook_url, serious_alerts = excluded.serious_alerts, \
             incident_assigned = excluded.incident_assigned, tasks_due = excluded.tasks_due, \
             ico_deadlines = excluded.ico_deadlines",
        )
        .bind(p.user_id)
        .bind(p.email.as_deref())
        .bind(p.webhook_url.as_deref())
        .bind(p.serious_alerts)
        .bind(p.incident_assigned)
        .bind(p.tasks_due)
        .bind(p.ico_deadlines)
        .execute(&self.writer)
        .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_fk_violation(&e) => Err(StoreError::NotFound),
            Err(e) => Err(StoreError::Db { op: "write notification settings", source: e }),
        }
    }

    pub(super) async fn r_users_for_tenant(&self, tenant: TenantId) -> Result<Vec<User>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM users WHERE service_role IS NOT NULL \
             OR id IN (SELECT user_id FROM memberships WHERE tenant_id = ?1) ORDER BY id",
        )
        .bind(tenant.0)
        .fetch_all(&self.reader)
        .await
        .db("read tenant users")?;
        let mut users = Vec::with_capacity(ids.len());
        for id in ids {
            users.push(user_by(&self.reader, Some(id), None).await?.0);
        }
        Ok(users)
    }

    pub(super) async fn r_claim_notification(&self, key: &str, at: Timestamp) -> Result<bool> {
        check_text("notification key", key, 512)?;
        let n = sqlx::query("INSERT INTO notifications_sent (key, at) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(us(&at))
            .execute(&self.writer)
            .await
            .db("claim notification")?
            .rows_affected();
        Ok(n == 1)
    }

    pub(super) async fn r_release_notification(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM notifications_sent WHERE key = ?1")
            .bind(key)
            .execute(&self.writer)
            .await
            .db("release notification")?;
        Ok(())
    }
}
