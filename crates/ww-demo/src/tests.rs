use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use ww_core::{Event, Locator, SourceKind};
use ww_detect::{DetectConfig, Detector, alert_entity, builtin::builtin_ruleset, promoted, rule_id};
use ww_parse::syslog::{SyslogContext, parse_syslog_line};
use ww_sigma::{Level, LoadOptions};

use super::*;

fn start() -> Timestamp {
    Utc.with_ymd_and_hms(2025, 3, 5, 0, 0, 0).single().unwrap_or_default()
}

fn parse(r: &DemoRecord) -> Event {
    let text = std::str::from_utf8(&r.bytes).expect("records are UTF-8");
    let (kind, time, fields) = match r.channel {
        Channel::Windows => {
            let v: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
            assert_eq!(ww_parse::winjson::detect_shape(&v), ww_parse::winjson::JsonShape::Ecs, "{text}");
            let mut fields = ww_core::Fields::new();
            let flat = ww_parse::winjson::flatten_json(&v, &mut fields);
            (SourceKind::Json, flat.time, fields)
        }
        Channel::WebAccess => {
            let (t, f) = ww_parse::access::parse_access_line(text).unwrap_or_else(|e| panic!("{e:?}: {text}"));
            (SourceKind::AccessLog, t, f)
        }
        _ => {
            let (t, f) =
                parse_syslog_line(text, &SyslogContext::with_year(2025)).unwrap_or_else(|e| panic!("{e:?}: {text}"));
            assert!(f.get_str("message").is_some_and(|m| !m.is_empty()), "{text}");
            (SourceKind::Syslog, t, f)
        }
    };
    let mut e = Event::new(kind, Arc::from("demo"), Locator::None);
    e.time = time;
    e.fields = fields;
    e.raw = Some(text.into());
    e
}

#[test]
fn deterministic_from_seed() {
    let a: Vec<DemoRecord> = generate(DemoConfig::new(42, start(), 20_000)).collect();
    let b: Vec<DemoRecord> = generate(DemoConfig::new(42, start(), 20_000)).collect();
    let c: Vec<DemoRecord> = generate(DemoConfig::new(43, start(), 20_000)).collect();
    assert_eq!(a.len(), 20_000);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn count_order_and_span() {
    let recs: Vec<DemoRecord> = generate(DemoConfig::new(1, start(), 50_000)).collect();
    assert_eq!(recs.len(), 50_000);
    assert!(recs.windows(2).all(|w| w[0].at <= w[1].at), "time ordered");
    let end = start() + chrono::TimeDelta::days(1);
    assert!(recs.iter().all(|r| r.at >= start() && r.at < end));
    assert!(recs.last().is_some_and(|r| r.at > start() + chrono::TimeDelta::hours(23)), "spans the day");
    let channels: BTreeSet<Channel> = recs.iter().map(|r| r.channel).collect();
    assert_eq!(channels.len(), 6);
    assert!(generate(DemoConfig::new(1, start(), 0)).next().is_none());
}

#[test]
fn record_time_matches_the_text() {
    for r in generate(DemoConfig::new(5, start(), 5_000)) {
        let e = parse(&r);
        let t = e.time.unwrap_or_else(|| panic!("no time in {:?}", String::from_utf8_lossy(&r.bytes)));
        // Syslog 3164 and access logs have whole seconds.
        assert_eq!(t.timestamp(), r.at.timestamp(), "{}", String::from_utf8_lossy(&r.bytes));
    }
}

#[test]
fn channel_filter_and_transport() {
    let cfg = DemoConfig { channels: vec![Channel::Windows], ..DemoConfig::new(3, start(), 5_000) };
    let recs: Vec<DemoRecord> = generate(cfg).collect();
    assert_eq!(recs.len(), 5_000);
    assert!(recs.iter().all(|r| r.channel == Channel::Windows && r.channel.transport() == Transport::Bulk));
    assert!(recs.iter().any(|r| r.bytes.windows(7).any(|w| w == b"WS-0142")));
    assert_eq!(Channel::Sshd.transport(), Transport::SyslogTcp);
}

struct Hunt {
    /// rule id -> (level, entity -> matches)
    hits: BTreeMap<String, (Level, BTreeMap<String, u64>)>,
    records: u64,
}

fn hunt(cfg: DemoConfig) -> Hunt {
    let rs = builtin_ruleset(&LoadOptions::default()).expect("builtin rules compile");
    let mut scratch = rs.scratch();
    let mut out = Vec::new();
    let mut hits: BTreeMap<String, (Level, BTreeMap<String, u64>)> = BTreeMap::new();
    let mut records = 0;
    for r in generate(cfg) {
        records += 1;
        let e = parse(&r);
        out.clear();
        rs.matches(&e, &mut scratch, &mut out);
        for idx in &out {
            let meta = rs.meta(*idx);
            let (_, entity) = alert_entity(&promoted(&e));
            let slot = hits.entry(rule_id(meta).into_owned()).or_insert((meta.level, BTreeMap::new()));
            *slot.1.entry(entity).or_default() += 1;
        }
    }
    Hunt { hits, records }
}

const OFFICE_SHELL: &str = "5746f6e5-f309-4af5-87ab-8cf70520004c";
const ENCODED_PS: &str = "36b35135-5b5e-4155-9e3a-9af865d2a4bf";
const NEW_SERVICE: &str = "cd8b2c7a-8f81-4fda-8728-d6a48e2e603d";
const SUSPICIOUS_SERVICE: &str = "954f83a0-9a57-4567-9135-0e6bcb5beab5";
const LSASS_ACCESS: &str = "1edf7916-59c6-43d6-87c3-df4e9f81e971";
const CRED_DUMP: &str = "dcf232cf-d55d-43aa-802e-c4b13500176e";
const LOG_CLEARED: &str = "edf825be-014f-4444-8171-29f134b931ef";
const SSH_FAILED: &str = "5e926986-7db7-4e38-843b-5936313839a6";
const VPN_FAILED: &str = "c094c259-88a8-47df-ba81-0d3a6df1dc8e";
const WEBMAIL_FAILED: &str = "51a0839e-a0ce-4ef0-971a-c2e9446fe756";
const FW_DENY: &str = "c605d5d3-cc1c-4132-a09b-a91f15a2daa0";
const SQLI: &str = "dd28b530-1db4-499c-908e-d3f6afd15a83";
const TRAVERSAL: &str = "1b38fc3e-3317-40a2-8c8b-d9bf3482942c";
const WEBSHELL: &str = "82c262f3-0a19-4cf1-843a-f1eed94ec65d";
const SCANNER: &str = "4a1b9d62-6799-43d7-a8fc-99d1a2c70291";
const APPEALS: &str = "8b328d32-6be9-48e8-b357-850a7139a65b";

#[test]
fn hunting_the_day_raises_every_scenario() {
    let h = hunt(DemoConfig::new(11, start(), 200_000));
    assert_eq!(h.records, 200_000);
    let count =
        |rule: &str, entity: &str| -> u64 { h.hits.get(rule).and_then(|(_, by)| by.get(entity)).copied().unwrap_or(0) };
    let victim = "10.10.0.52";
    let on_victim = |rule: &str| -> u64 {
        h.hits
            .get(rule)
            .map(|(_, by)| {
                by.iter()
                    .filter(|(e, _)| *e == victim || *e == "WS-0142.wardshire.gov.uk" || *e == "k.morgan")
                    .map(|(_, n)| n)
                    .sum()
            })
            .unwrap_or(0)
    };
    // Phished workstation: entities are the user (Sysmon `User` is not promoted; 4688/4697 name
    // the subject) or the host.
    for rule in [OFFICE_SHELL, ENCODED_PS, NEW_SERVICE, SUSPICIOUS_SERVICE, LSASS_ACCESS, CRED_DUMP, LOG_CLEARED] {
        assert!(on_victim(rule) >= 1, "{rule} not raised on the phished workstation: {:?}", h.hits.get(rule));
    }
    assert!(on_victim(CRED_DUMP) >= 2, "procdump and comsvcs");
    assert!(count(SSH_FAILED, "198.51.100.23") >= 400);
    assert!(count(VPN_FAILED, "192.0.2.77") >= 150);
    assert!(count(WEBMAIL_FAILED, "203.0.113.140") >= 200);
    assert!(count(FW_DENY, "203.0.113.66") >= 1000);
    for rule in [SQLI, TRAVERSAL, WEBSHELL, SCANNER] {
        assert!(count(rule, "198.51.100.45") >= 5, "{rule}: {:?}", h.hits.get(rule));
    }
    assert!(count(APPEALS, "192.0.2.200") >= 400);
    // Citizens open their own appeals too, but never hundreds from one address.
    let citizen_max = h.hits[APPEALS].1.iter().filter(|(e, _)| *e != "192.0.2.200").map(|(_, n)| *n).max();
    assert!(citizen_max.unwrap_or(0) < 5);
}

#[test]
fn background_alone_raises_nothing_high_or_critical() {
    let cfg = DemoConfig { scenarios: false, ..DemoConfig::new(11, start(), 200_000) };
    let h = hunt(cfg);
    let serious: Vec<(&String, &Level)> =
        h.hits.iter().filter(|(_, (l, _))| *l >= Level::High).map(|(id, (l, _))| (id, l)).collect();
    assert!(serious.is_empty(), "noise raised {serious:?}");
    // The noise is not silent: routine low-level matches happen.
    assert!(h.hits.contains_key(FW_DENY) && h.hits.contains_key(NEW_SERVICE));
}

#[test]
fn aggregation_turns_the_brute_force_into_one_alert() {
    let rs = builtin_ruleset(&LoadOptions::default()).expect("builtin rules compile");
    let mut scratch = rs.scratch();
    let mut out = Vec::new();
    let mut det = Detector::new(DetectConfig::default(), vec![], vec![]);
    let cfg = DemoConfig { channels: vec![Channel::Sshd], ..DemoConfig::new(2, start(), 20_000) };
    for (i, r) in generate(cfg).enumerate() {
        let e = parse(&r);
        out.clear();
        rs.matches(&e, &mut scratch, &mut out);
        let p = promoted(&e);
        for idx in &out {
            let meta = rs.meta(*idx);
            det.observe(ww_core::alert::TenantId(1), i as i64, r.at, &p, &rule_id(meta), meta);
        }
    }
    let (ups, _) = det.take_changes();
    let brute: Vec<_> = ups.iter().filter(|u| u.key.entity == "198.51.100.23" && u.key.rule_id == SSH_FAILED).collect();
    assert_eq!(brute.len(), 1, "400 guesses 3 s apart are one alert");
    assert_eq!(brute[0].count_delta, 400);
    assert!(brute[0].score > 20, "repetition and novelty raise a low rule's score");
}
