//! Alert aggregation: repeated matches of one rule on one entity, each within `window_secs` of
//! the previous one, form one alert. The detector keeps the open aggregates and the set of
//! (tenant, rule, entity) that ever fired (novelty), and hands the store one merged
//! [`AlertUpsert`] per alert touched since the last [`Detector::take_changes`].
//!
//! Time is the events' own time, never the clock. Memory is bounded by `max_open`: when a new
//! aggregate would exceed it, the least recently seen eighth of the open aggregates is closed in
//! one pass (amortised O(log n) per insert instead of a scan per insert). A closed aggregate's
//! later matches open a new alert, which is safe: the closed one is already stored.

use std::borrow::Cow;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Deserialize;
use ww_core::alert::{AlertKey, AlertUpsert, EntityKind, NoveltyKey, OpenAlert, TenantId};
use ww_core::time::Timestamp;
use ww_sigma::{Level, RuleMeta, Status};

use crate::assets::{AssetList, Criticality};
use crate::entity::{Promoted, alert_entity};
use crate::triage;

/// Detection settings (`[detect]` in `wardwatch.toml`); every field has a default.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectConfig {
    /// A match more than this long after the previous one of the same alert opens a new alert.
    pub window_secs: u64,
    /// Sample event ids kept per alert.
    pub max_samples: u32,
    /// Open aggregates kept in memory at most.
    pub max_open: usize,
    pub assets: AssetList,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig { window_secs: 900, max_samples: 10, max_open: 100_000, assets: AssetList::default() }
    }
}

/// The id alerts use for a rule: its Sigma `id`, or for a rule without one `title-` followed by
/// the 16 hex digits of the 64-bit FNV-1a hash of its title (stable across runs and builds).
pub fn rule_id(meta: &RuleMeta) -> Cow<'_, str> {
    match meta.id.as_deref() {
        Some(id) if !id.trim().is_empty() => Cow::Borrowed(id),
        _ => Cow::Owned(title_id(&meta.title)),
    }
}

fn title_id(title: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in title.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("title-{h:016x}")
}

type AggKey = (TenantId, String, EntityKind, String);

#[derive(Debug)]
struct Aggregate {
    opened_by_event: i64,
    last_seen: Timestamp,
    count: u64,
    samples: u32,
}

/// An upsert being merged, with what its score needs.
#[derive(Debug)]
struct Pending {
    upsert: AlertUpsert,
    level: Level,
    status: Option<Status>,
    criticality: Criticality,
    total: u64,
}

/// The streaming aggregator. One per worker; events of one (tenant, rule, entity) must reach
/// the same detector.
#[derive(Debug)]
pub struct Detector {
    cfg: DetectConfig,
    open: FxHashMap<AggKey, Aggregate>,
    /// Full state of each open aggregate that is not in `open`'s small record.
    meta: FxHashMap<AggKey, AlertState>,
    novelty: FxHashSet<NoveltyKey>,
    new_novelty: Vec<NoveltyKey>,
    pending: Vec<Pending>,
    pending_idx: FxHashMap<AlertKey, usize>,
}

/// What an open alert carries beyond counts (kept apart so eviction sorts small records).
#[derive(Debug)]
struct AlertState {
    first_seen: Timestamp,
    host: Option<String>,
    novel: bool,
    criticality: Criticality,
}

impl Detector {
    /// A detector resuming from stored state: the alerts still open and every novelty key.
    pub fn new(cfg: DetectConfig, state_open: Vec<OpenAlert>, novelty: Vec<NoveltyKey>) -> Self {
        let mut d = Detector {
            cfg,
            open: FxHashMap::default(),
            meta: FxHashMap::default(),
            novelty: novelty.into_iter().collect(),
            new_novelty: Vec::new(),
            pending: Vec::new(),
            pending_idx: FxHashMap::default(),
        };
        for a in state_open {
            let key = (a.key.tenant, a.key.rule_id, a.key.entity_kind, a.key.entity);
            d.make_room();
            d.meta.insert(
                key.clone(),
                AlertState { first_seen: a.first_seen, host: a.host, novel: a.novel, criticality: Criticality::Normal },
            );
            d.open.insert(
                key,
                Aggregate {
                    opened_by_event: a.key.opened_by_event,
                    last_seen: a.last_seen,
                    count: a.count,
                    samples: a.samples,
                },
            );
        }
        d
    }

    pub fn config(&self) -> &DetectConfig {
        &self.cfg
    }

    /// Open aggregates held.
    pub fn open_len(&self) -> usize {
        self.open.len()
    }

    fn window(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::seconds(i64::try_from(self.cfg.window_secs).unwrap_or(i64::MAX / 1000).min(i64::MAX / 1000))
    }

    /// Records one match of rule `rule_id` (see [`rule_id`]; empty means "derive it from
    /// `meta`") on event `event_id`, which happened at `time` and names `promoted`.
    pub fn observe(
        &mut self,
        tenant: TenantId,
        event_id: i64,
        time: Timestamp,
        promoted: &Promoted,
        rule_id_in: &str,
        meta: &RuleMeta,
    ) {
        let rule: Cow<'_, str> = if rule_id_in.is_empty() { rule_id(meta) } else { Cow::Borrowed(rule_id_in) };
        let (entity_kind, entity) = alert_entity(promoted);
        let key: AggKey = (tenant, rule.into_owned(), entity_kind, entity);
        let criticality = self.cfg.assets.criticality_of(promoted);
        let window = self.window();
        let reopen = match self.open.get(&key) {
            Some(a) => time > a.last_seen + window,
            None => true,
        };
        if reopen {
            let nk = NoveltyKey { tenant, rule_id: key.1.clone(), entity_kind, entity: key.3.clone() };
            let novel = !self.novelty.contains(&nk);
            if novel {
                self.novelty.insert(nk.clone());
                self.new_novelty.push(nk);
            }
            if !self.open.contains_key(&key) {
                self.make_room();
            }
            self.open
                .insert(key.clone(), Aggregate { opened_by_event: event_id, last_seen: time, count: 0, samples: 0 });
            self.meta
                .insert(key.clone(), AlertState { first_seen: time, host: promoted.host.clone(), novel, criticality });
        }
        let (Some(agg), Some(state)) = (self.open.get_mut(&key), self.meta.get_mut(&key)) else {
            return;
        };
        agg.count += 1;
        if time > agg.last_seen {
            agg.last_seen = time;
        }
        if time < state.first_seen {
            state.first_seen = time;
        }
        if state.host.is_none() {
            state.host.clone_from(&promoted.host);
        }
        state.criticality = state.criticality.max(criticality);
        let take_sample = agg.samples < self.cfg.max_samples;
        if take_sample {
            agg.samples += 1;
        }
        let alert_key = AlertKey {
            tenant,
            rule_id: key.1.clone(),
            entity_kind,
            entity: key.3.clone(),
            opened_by_event: agg.opened_by_event,
        };
        let (last_seen, total) = (agg.last_seen, agg.count);
        match self.pending_idx.get(&alert_key) {
            Some(&i) => {
                let p = &mut self.pending[i];
                p.upsert.count_delta += 1;
                if take_sample {
                    p.upsert.samples.push(event_id);
                }
                p.upsert.first_seen = state.first_seen;
                p.upsert.last_seen = last_seen;
                p.upsert.host.clone_from(&state.host);
                p.level = meta.level;
                p.status = meta.status;
                p.criticality = state.criticality;
                p.total = total;
            }
            None => {
                self.pending_idx.insert(alert_key.clone(), self.pending.len());
                self.pending.push(Pending {
                    upsert: AlertUpsert {
                        key: alert_key,
                        rule_title: meta.title.clone(),
                        level: meta.level.as_str().to_owned(),
                        host: state.host.clone(),
                        first_seen: state.first_seen,
                        last_seen,
                        count_delta: 1,
                        samples: if take_sample { vec![event_id] } else { Vec::new() },
                        score: 0,
                        novel: state.novel,
                        score_reasons: Vec::new(),
                    },
                    level: meta.level,
                    status: meta.status,
                    criticality: state.criticality,
                    total,
                });
            }
        }
    }

    /// One merged upsert per alert touched since the last call, in first-touch order, and the
    /// novelty keys first seen since then.
    pub fn take_changes(&mut self) -> (Vec<AlertUpsert>, Vec<NoveltyKey>) {
        self.pending_idx.clear();
        let upserts = self
            .pending
            .drain(..)
            .map(|mut p| {
                let (score, reasons) = triage::score(p.level, p.status, p.criticality, p.upsert.novel, p.total);
                p.upsert.level = p.level.as_str().to_owned();
                p.upsert.score = score;
                p.upsert.score_reasons = reasons;
                p.upsert
            })
            .collect();
        (upserts, std::mem::take(&mut self.new_novelty))
    }

    /// Closes aggregates idle for longer than the window at `now` (event time).
    pub fn expire(&mut self, now: Timestamp) {
        let window = self.window();
        let meta = &mut self.meta;
        self.open.retain(|k, a| {
            let keep = now <= a.last_seen + window;
            if !keep {
                meta.remove(k);
            }
            keep
        });
    }

    /// Before inserting a new aggregate: when full, close the least recently seen eighth.
    fn make_room(&mut self) {
        let max = self.cfg.max_open.max(1);
        if self.open.len() < max {
            return;
        }
        let keep = max - max.div_ceil(8);
        let mut times: Vec<Timestamp> = self.open.values().map(|a| a.last_seen).collect();
        let drop = times.len() - keep;
        let (_, cutoff, _) = times.select_nth_unstable(drop - 1);
        let cutoff = *cutoff;
        // Drop everything strictly older than the cutoff, then ties until enough are gone.
        let mut to_drop = drop;
        let mut victims: Vec<AggKey> = Vec::with_capacity(drop);
        for (k, a) in &self.open {
            if a.last_seen < cutoff {
                victims.push(k.clone());
                to_drop -= 1;
            }
        }
        for (k, a) in &self.open {
            if to_drop == 0 {
                break;
            }
            if a.last_seen == cutoff {
                victims.push(k.clone());
                to_drop -= 1;
            }
        }
        for k in victims {
            self.open.remove(&k);
            self.meta.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::AssetEntry;
    use chrono::{TimeZone, Utc};
    use std::path::PathBuf;

    fn meta(id: Option<&str>, level: Level) -> RuleMeta {
        RuleMeta {
            id: id.map(Into::into),
            title: "Test rule".into(),
            level,
            status: Some(Status::Stable),
            tags: vec![],
            attack_ids: vec![],
            description: None,
            author: None,
            date: None,
            modified: None,
            references: vec![],
            falsepositives: vec![],
            product: None,
            category: None,
            service: None,
            path: PathBuf::from("t.yml"),
        }
    }

    fn t(secs: i64) -> Timestamp {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).single().unwrap_or_default()
    }

    fn ip(s: &str) -> Promoted {
        Promoted { host: Some("web01".into()), src_ip: Some(s.into()), user: None }
    }

    const T: TenantId = TenantId(1);

    #[test]
    fn merges_several_matches_in_one_batch() {
        let mut d = Detector::new(DetectConfig::default(), vec![], vec![]);
        let m = meta(Some("r1"), Level::High);
        for i in 0..15 {
            d.observe(T, 100 + i, t(i), &ip("203.0.113.5"), "r1", &m);
        }
        d.observe(T, 200, t(20), &ip("203.0.113.6"), "r1", &m);
        let (ups, novel) = d.take_changes();
        assert_eq!(ups.len(), 2);
        let a = &ups[0];
        assert_eq!(a.key.entity, "203.0.113.5");
        assert_eq!(a.key.entity_kind, EntityKind::SourceIp);
        assert_eq!(a.key.opened_by_event, 100);
        assert_eq!(a.count_delta, 15);
        assert_eq!(a.samples, (100..110).collect::<Vec<_>>());
        assert_eq!((a.first_seen, a.last_seen), (t(0), t(14)));
        assert!(a.novel);
        // 70 + 10 novel + min(10, 2*log2 15 = 7.8)
        assert_eq!(a.score, 88);
        assert_eq!(a.host.as_deref(), Some("web01"));
        assert_eq!(novel.len(), 2);
        // Next batch: only the new matches, samples capped in total.
        d.observe(T, 300, t(30), &ip("203.0.113.5"), "r1", &m);
        let (ups, novel) = d.take_changes();
        assert_eq!(ups.len(), 1);
        assert_eq!((ups[0].count_delta, ups[0].samples.len()), (1, 0));
        assert_eq!(ups[0].key.opened_by_event, 100);
        assert_eq!(ups[0].first_seen, t(0));
        assert!(novel.is_empty());
        assert!(d.take_changes().0.is_empty());
    }

    #[test]
    fn window_reopens_and_novelty_only_first_time() {
        let mut d = Detector::new(DetectConfig { window_secs: 60, ..DetectConfig::default() }, vec![], vec![]);
        let m = meta(Some("r1"), Level::Medium);
        d.observe(T, 1, t(0), &ip("192.0.2.1"), "r1", &m);
        d.observe(T, 2, t(60), &ip("192.0.2.1"), "r1", &m); // exactly the window: same alert
        d.observe(T, 3, t(121), &ip("192.0.2.1"), "r1", &m); // 61 s idle: new alert
        let (ups, novel) = d.take_changes();
        assert_eq!(ups.len(), 2);
        assert_eq!((ups[0].key.opened_by_event, ups[0].count_delta), (1, 2));
        assert_eq!((ups[1].key.opened_by_event, ups[1].count_delta), (3, 1));
        assert!(ups[0].novel);
        assert!(!ups[1].novel);
        assert_eq!(novel.len(), 1);
        // Another tenant is new again.
        d.observe(TenantId(2), 4, t(122), &ip("192.0.2.1"), "r1", &m);
        let (ups, novel) = d.take_changes();
        assert!(ups[0].novel);
        assert_eq!(novel.len(), 1);
    }

    #[test]
    fn restart_state_continues_alerts_and_novelty() {
        let m = meta(Some("r1"), Level::Medium);
        let mut d = Detector::new(DetectConfig::default(), vec![], vec![]);
        d.observe(T, 1, t(0), &ip("192.0.2.1"), "r1", &m);
        let (ups, novelty) = d.take_changes();
        let u = &ups[0];
        let open = vec![OpenAlert {
            key: u.key.clone(),
            rule_title: u.rule_title.clone(),
            level: u.level.clone(),
            host: u.host.clone(),
            first_seen: u.first_seen,
            last_seen: u.last_seen,
            count: 1,
            samples: 1,
            novel: true,
        }];
        // Restart with the alert still open: the next match continues it.
        let mut d = Detector::new(DetectConfig::default(), open, novelty.clone());
        d.observe(T, 2, t(10), &ip("192.0.2.1"), "r1", &m);
        let (ups, nov) = d.take_changes();
        assert_eq!(ups[0].key.opened_by_event, 1);
        assert_eq!(ups[0].samples, vec![2]);
        assert!(ups[0].novel, "the continued alert was novel when it opened");
        assert!(nov.is_empty());
        // Restart with no open alerts but the novelty keys: a new alert, not novel.
        let mut d = Detector::new(DetectConfig::default(), vec![], novelty);
        d.observe(T, 5, t(5000), &ip("192.0.2.1"), "r1", &m);
        let (ups, nov) = d.take_changes();
        assert_eq!(ups[0].key.opened_by_event, 5);
        assert!(!ups[0].novel);
        assert!(nov.is_empty());
    }

    #[test]
    fn expire_drops_idle_aggregates() {
        let mut d = Detector::new(DetectConfig { window_secs: 60, ..DetectConfig::default() }, vec![], vec![]);
        let m = meta(Some("r1"), Level::Low);
        d.observe(T, 1, t(0), &ip("192.0.2.1"), "r1", &m);
        d.observe(T, 2, t(50), &ip("192.0.2.2"), "r1", &m);
        d.expire(t(100));
        assert_eq!(d.open_len(), 1);
        d.expire(t(111));
        assert_eq!(d.open_len(), 0);
    }

    #[test]
    fn eviction_bounds_open_aggregates() {
        let mut d = Detector::new(DetectConfig { max_open: 80, ..DetectConfig::default() }, vec![], vec![]);
        let m = meta(Some("r1"), Level::Low);
        for i in 0..1000u32 {
            let addr = format!("10.0.{}.{}", i / 250, i % 250 + 1);
            d.observe(T, i64::from(i), t(i64::from(i)), &ip(&addr), "r1", &m);
            assert!(d.open_len() <= 80);
        }
        // The most recent entity survived, the oldest did not.
        let (ups, _) = d.take_changes();
        assert_eq!(ups.len(), 1000, "evicted alerts still report their changes");
        d.observe(T, 5000, t(1000), &ip("10.0.3.250"), "r1", &m);
        d.observe(T, 5001, t(1000), &ip("10.0.0.1"), "r1", &m);
        let (ups, _) = d.take_changes();
        assert_eq!(ups[0].key.opened_by_event, 999);
        assert_eq!(ups[1].key.opened_by_event, 5001);
    }

    #[test]
    fn rules_without_id_and_entities() {
        let m = meta(None, Level::Low);
        let id = rule_id(&m);
        assert_eq!(id, rule_id(&meta(None, Level::High)));
        assert!(id.starts_with("title-") && id.len() == 22);
        let mut d = Detector::new(DetectConfig::default(), vec![], vec![]);
        d.observe(T, 1, t(0), &Promoted { user: Some("bob".into()), ..Promoted::default() }, "", &m);
        d.observe(T, 2, t(0), &Promoted::default(), "", &m);
        let (ups, _) = d.take_changes();
        assert_eq!(ups[0].key.rule_id, id);
        assert_eq!((ups[0].key.entity_kind, ups[0].key.entity.as_str()), (EntityKind::User, "bob"));
        assert_eq!((ups[1].key.entity_kind, ups[1].key.entity.as_str()), (EntityKind::None, ""));
    }

    #[test]
    fn asset_criticality_raises_score() {
        let assets =
            AssetList::new(vec![AssetEntry::new("DCs".into(), Some("dc*"), None, Criticality::Critical).unwrap()]);
        let mut d = Detector::new(DetectConfig { assets, ..DetectConfig::default() }, vec![], vec![]);
        let m = meta(Some("r1"), Level::High);
        d.observe(T, 1, t(0), &Promoted { host: Some("DC01".into()), ..Promoted::default() }, "r1", &m);
        let (ups, _) = d.take_changes();
        assert_eq!(ups[0].score, 100); // 70 × 1.4 + 10 novel
        assert!(ups[0].score_reasons.iter().any(|r| r == "asset critical ×1.4"));
    }

    #[test]
    fn config_defaults_and_unknown_keys() {
        let c: DetectConfig = toml::from_str("window_secs = 60").unwrap();
        assert_eq!((c.window_secs, c.max_samples, c.max_open), (60, 10, 100_000));
        assert!(toml::from_str::<DetectConfig>("windw_secs = 60").is_err());
    }
}
