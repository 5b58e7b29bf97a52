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

    async fn deliver(&self, msg: &Message, to: &[User], now: Timestamp, report: &mut RoundReport) -> anyhow::Result<()> {
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
