//! The notifier: every `interval_secs`, looks for news worth interrupting someone for and sends
//! it to the users who asked for it (their preferences: console, Settings).
//!
//! - new serious alerts (score ≥ `serious_score`, first seen within the last hour) → every user
//!   of the alert's tenant who wants serious alerts;
//! - incidents with a lead → the lead, once per (incident, lead);
//! - open tasks due within `task_due_hours` → the assignee, once when due soon, once when overdue;
//! - running ICO clocks in the warning window or overdue → every user of the tenant who wants
//!   ICO deadlines, once per stage.
//!
//! Each (message key, user, channel) is claimed in the store before sending, so a restart or a
//! second server never sends it twice; a failed delivery releases the claim so the next round
//! retries it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use ww_metrics::Registry;
use ww_notify::compose::{self, AlertSummary, IcoDeadline, IcoStage, Links};
use ww_notify::{Message, Sender};
use ww_respond::{BreachPolicy, ClockState};
use ww_store::{
    AlertQuery, AlertState, IncidentQuery, IncidentStatus, Store, Tenant, TenantId, TenantScope, Timestamp, User,
};

use crate::config::NotifyConfig;

/// What one round found and did, for tests and the log.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundReport {
    pub sent: u64,
    pub failed: u64,
}

pub struct Notifier {
    store: Arc<dyn Store>,
    sender: Sender,
    policy: Arc<BreachPolicy>,
    links: Links,
    serious_score: u8,
    task_due: chrono::Duration,
    sent: Arc<ww_metrics::Counter>,
    failed: Arc<ww_metrics::Counter>,
}

impl Notifier {
    pub fn new(
        cfg: &NotifyConfig,
        store: Arc<dyn Store>,
        policy: Arc<BreachPolicy>,
        metrics: &Registry,
    ) -> anyhow::Result<Self> {
        let webhook = ww_notify::webhook::WebhookPolicy {
            allow_loopback_http: cfg.webhook_allow_loopback_http,
            ..Default::default()
        };
        Ok(Notifier {
            store,
            sender: Sender::new(cfg.smtp_config(), webhook)?,
            policy,
            links: Links { base_url: cfg.base_url.clone() },
            serious_score: cfg.serious_score,
            task_due: chrono::Duration::hours(i64::from(cfg.task_due_hours)),
            sent: metrics.counter("ww_notifications_sent_total", "Notifications delivered (email and webhook)", &[]),
            failed: metrics.counter(
                "ww_notifications_failed_total",
                "Notification deliveries that failed (retried next round)",
                &[],
            ),
        })
    }

    /// Runs rounds until shutdown.
    pub async fn run(self, interval: Duration, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            match self.round(chrono::Utc::now()).await {
                Ok(r) if r.sent + r.failed > 0 => tracing::info!(sent = r.sent, failed = r.failed, "notifications"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "notifier round failed; will retry"),
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// One pass over everything worth telling, as of `now`.
    pub async fn round(&self, now: Timestamp) -> anyhow::Result<RoundReport> {
        let tenants = self.store.tenants().await?;
        let all = TenantScope::new(tenants.iter().map(|t| t.id).collect());
        let names: HashMap<TenantId, &Tenant> = tenants.iter().map(|t| (t.id, t)).collect();
        let mut users_cache: HashMap<TenantId, Vec<User>> = HashMap::new();
        let mut report = RoundReport::default();

        // Serious alerts, recent ones only: an old backlog is not news.
        let since = now - chrono::Duration::hours(1);
        let mut cursor = None;
        loop {
            let page = self
                .store
                .list_alerts(
                    &all,
                    &AlertQuery {
                        states: vec![AlertState::New, AlertState::Acknowledged, AlertState::Escalated],
                        min_score: Some(self.serious_score),
                        from: Some(since),
                        limit: 200,
                        cursor: cursor.take(),
                        ..Default::default()
                    },
                )
                .await?;
            for a in page.items.iter().filter(|a| a.first_seen >= since) {
                let Some(t) = names.get(&a.tenant) else { continue };
                let msg = compose::serious_alert(
                    &AlertSummary {
                        id: a.id,
                        tenant: a.tenant,
                        tenant_name: t.name.clone(),
                        rule_title: a.rule_title.clone(),
                        level: a.level.clone(),
                        score: a.score,
                        host: a.host.clone(),
                        first_seen: a.first_seen,
                    },
                    &self.links,
                );
                let users = self.tenant_users(&mut users_cache, a.tenant).await?;
                self.deliver(&msg, &users, now, &mut report).await?;
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }

        // Incident leads and due tasks.
        let incidents = self
            .store
            .list_incidents(
                &all,
                &IncidentQuery {
                    statuses: IncidentStatus::ALL.iter().copied().filter(|s| s.is_open()).collect(),
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await?
            .items;
        let titles: HashMap<i64, &str> = incidents.iter().map(|i| (i.id, i.title.as_str())).collect();
        for i in &incidents {
            let Some(owner) = i.owner.as_deref() else { continue };
            let lead = self.users_named(&mut users_cache, i.tenant, owner).await?;
            let msg = compose::incident_assigned(i, i.created_by.trim_start_matches("user:"), &self.links);
            self.deliver(&msg, &lead, now, &mut report).await?;
        }
        for task in self.store.tasks_due(now + self.task_due).await? {
            let Some(assignee) = task.assignee.as_deref() else { continue };
            let title = titles.get(&task.incident_id).copied().unwrap_or("(closed incident)");
            let msg = compose::task_due(&task, title, now, &self.links);
            let to = self.users_named(&mut users_cache, task.tenant, assignee).await?;
            self.deliver(&msg, &to, now, &mut report).await?;
        }

        // ICO clocks.
        for breach in self.store.running_breach_clocks().await? {
            let Some(clock) = ww_respond::clock(&breach, &self.policy, now) else { continue };
            let stage = match clock.state {
                ClockState::Warning => IcoStage::Warning,
                ClockState::Overdue => IcoStage::Overdue,
                _ => continue,
            };
            let Some(t) = names.get(&breach.tenant) else { continue };
            let title = titles.get(&breach.incident_id).copied().unwrap_or("(incident)");
            let remaining = clock.human_remaining();
            let msg = compose::ico_deadline(
                &IcoDeadline {
                    incident_id: breach.incident_id,
                    incident_title: title,
                    tenant: breach.tenant,
                    tenant_name: &t.name,
                    deadline: clock.deadline,
                    stage,
                    remaining: &remaining,
                },
                &self.links,
            );
            let users = self.tenant_users(&mut users_cache, breach.tenant).await?;
            self.deliver(&msg, &users, now, &mut report).await?;
        }
        Ok(report)
    }

    async fn tenant_users(&self, cache: &mut HashMap<TenantId, Vec<User>>, t: TenantId) -> anyhow::Result<Vec<User>> {
        if let Some(u) = cache.get(&t) {
            return Ok(u.clone());
        }
        let users = self.store.users_for_tenant(t).await?;
        cache.insert(t, users.clone());
        Ok(users)
    }

    /// The user called `name` if they may see tenant `t` (an assignee who lost access is not told).
    async fn users_named(
        &self,
        cache: &mut HashMap<TenantId, Vec<User>>,
        t: TenantId,
        name: &str,
    ) -> anyhow::Result<Vec<User>> {
        let name = name.trim_start_matches("user:");
        Ok(self.tenant_users(cache, t).await?.into_iter().filter(|u| u.username.eq_ignore_ascii_case(name)).collect())
    }

    async fn deliver(
        &self,
        msg: &Message,
        to: &[User],
        now: Timestamp,
        report: &mut RoundReport,
    ) -> anyhow::Result<()> {
        for user in to {
            let prefs = self.store.notification_prefs(user.id).await?;
            for dest in ww_notify::destinations(&prefs, msg.kind) {
                let key = format!("{}:{}:{}", msg.key, user.id, dest.channel());
                if !self.store.claim_notification(&key, now).await? {
                    continue;
                }
                match self.sender.send(&dest, msg).await {
                    Ok(()) => {
                        self.sent.inc();
                        report.sent += 1;
                    }
                    Err(e) => {
                        self.failed.inc();
                        report.failed += 1;
                        // No address or personal data in the log line: the kind and user id do.
                        tracing::warn!(kind = msg.kind.as_str(), user = user.id, error = %e, "notification failed");
                        self.store.release_notification(&key).await?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use ww_store::sqlite::SqliteStore;
    use ww_store::{
        Actor, Breach, IncidentCategory, IncidentOrigin, IncidentSeverity, NewIncident, NewTask, NotificationPrefs,
    };

    use super::*;

    /// A webhook receiver on loopback that keeps every JSON body it is sent.
    async fn receiver() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let sink = sink.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 8192];
                    while let Ok(n) = sock.read(&mut chunk).await {
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buf).into_owned();
                        let Some(end) = text.find("\r\n\r\n") else { continue };
                        let len = text[..end]
                            .lines()
                            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(str::to_owned))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if buf.len() < end + 4 + len {
                            continue;
                        }
                        if let Ok(v) = serde_json::from_slice(&buf[end + 4..end + 4 + len]) {
                            sink.lock().expect("lock").push(v);
                        }
                        let _ = sock.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n").await;
                        break;
                    }
                });
            }
        });
        (url, got)
    }

    #[tokio::test]
    async fn a_round_tells_each_user_once_what_they_asked_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in(dir.path()).await.expect("store"));
        let tenant = store.create_tenant("northshire", "Northshire Council").await.expect("tenant");
        let dpo = store.create_user("dana", "$argon2id$unused", None).await.expect("user");
        store.set_membership(dpo.id, tenant.id, Some(ww_store::Role::Analyst)).await.expect("member");
        let quiet = store.create_user("quinn", "$argon2id$unused", None).await.expect("user");
        store.set_membership(quiet.id, tenant.id, Some(ww_store::Role::Analyst)).await.expect("member");
        let (url, got) = receiver().await;
        store
            .set_notification_prefs(&NotificationPrefs {
                user_id: dpo.id,
                webhook_url: Some(url.clone()),
                incident_assigned: true,
                tasks_due: true,
                ico_deadlines: true,
                ..Default::default()
            })
            .await
            .expect("prefs");
        // Quinn gave an address but asked for nothing.
        store
            .set_notification_prefs(&NotificationPrefs {
                user_id: quiet.id,
                webhook_url: Some(url),
                ..Default::default()
            })
            .await
            .expect("prefs");

        let now = chrono::Utc::now();
        let scope = TenantScope::one(tenant.id);
        let actor = Actor::user("alex");
        let inc = store
            .create_incident(
                &NewIncident {
                    tenant: tenant.id,
                    title: "Parking appeals records exposed".into(),
                    summary: String::new(),
                    category: IncidentCategory::DataExposure,
                    origin: IncidentOrigin::Accidental,
                    severity: IncidentSeverity::High,
                    owner: Some("dana".into()),
                },
                &actor,
            )
            .await
            .expect("incident");
        store
            .add_task(
                &scope,
                inc.id,
                &NewTask {
                    tenant: tenant.id,
                    title: "Take the appeals portal offline".into(),
                    assignee: Some("dana".into()),
                    due: Some(now + chrono::Duration::hours(2)),
                },
                &actor,
            )
            .await
            .expect("task");
        let mut breach = Breach::new(inc.id, tenant.id, now);
        breach.aware_at = Some(now - chrono::Duration::hours(50));
        store.upsert_breach(&scope, &breach, &actor).await.expect("breach");

        let metrics = Registry::new();
        let policy = Arc::new(BreachPolicy::embedded().expect("policy"));
        let notifier = Notifier::new(&NotifyConfig::default(), store.clone(), policy, &metrics).expect("notifier");
        let first = notifier.round(now).await.expect("round");
        assert_eq!(first, RoundReport { sent: 3, failed: 0 });
        let kinds: Vec<String> = {
            let got = got.lock().expect("lock");
            let mut k: Vec<String> = got.iter().map(|v| v["kind"].as_str().unwrap_or("").to_owned()).collect();
            k.sort();
            k
        };
        assert_eq!(kinds, ["ico_deadline", "incident_assigned", "task_due"]);
        // The second round finds nothing new.
        assert_eq!(notifier.round(now + chrono::Duration::minutes(1)).await.expect("round").sent, 0);
        // Past the deadline, the ICO clock is news again (overdue), the rest is not.
        let later = notifier.round(now + chrono::Duration::hours(23)).await.expect("round");
        assert_eq!(later.sent, 2, "overdue ICO deadline and overdue task");
    }
}
