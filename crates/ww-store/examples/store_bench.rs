//! Builds a store holding one day of realistic council events and reports the write rate (full-text
//! block filters included) and search times. SQLite by default; `--pg URL` uses PostgreSQL (an
//! existing, empty database: the bench does not drop what it writes).
//!
//! ```text
//! cargo run --release -p ww-store --example store_bench -- [--events 3000000] [--batch 2000]
//!     [--normal] [--retention] [--db /path/file.db] [--pg postgres://user@host/db]
//! ```

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use ww_store::postgres::{PgOptions, PgStore};
use ww_store::sqlite::{Durability, SqliteOptions, SqliteStore};
use ww_store::*;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const USERS: &[&str] = &["jsmith", "a.patel", "admin", "svc_backup", "m.jones", "planning01", "k.wright", "root"];
const HOSTS: &[&str] = &["fw01", "fw02", "web01", "web02", "dc01", "dc02", "files01", "mail01"];

fn ip(r: &mut Rng, public: bool) -> String {
    if public {
        format!("{}.{}.{}.{}", [203, 198, 185, 45][r.below(4) as usize], r.below(256), r.below(256), r.below(254) + 1)
    } else {
        format!("10.{}.{}.{}", r.below(8), r.below(256), r.below(254) + 1)
    }
}

fn event(r: &mut Rng, id: i64, tenant: TenantId, day_start: i64, span_us: i64) -> NewEvent {
    // Spread over the day in arrival order, with some jitter.
    let ts_us = day_start + (id * 86_400 / 3_000_000 * 1_000_000 + r.below(1_000_000) as i64) % span_us.max(1);
    let time = Utc.timestamp_micros(ts_us).single().unwrap_or_default();
    let clock = time.format("%b %e %H:%M:%S");
    let kind = r.below(10);
    let (source, kind_name, host, src, user, raw, fields) = match kind {
        0..=3 => {
            let host = HOSTS[r.below(2) as usize];
            let src = ip(r, true);
            let dst = ip(r, false);
            let dpt = [22, 445, 3389, 23, 80, 443][r.below(6) as usize];
            let raw = format!(
                "<134>{clock} {host} kernel: [UFW BLOCK] IN=eth0 OUT= MAC= SRC={src} DST={dst} LEN=60 TOS=0x00 \
                 PROTO=TCP SPT={} DPT={dpt} WINDOW=29200 SYN",
                r.below(60000) + 1024
            );
            let f = serde_json::json!({"action": "block", "src": src, "dst": dst, "dpt": dpt});
            ("fw", "syslog", host, Some(src), None, raw, f)
        }
        4..=5 => {
            let host = HOSTS[2 + r.below(2) as usize];
            let src = ip(r, true);
            let user = USERS[r.below(USERS.len() as u64) as usize];
            let raw = format!(
                "<38>{clock} {host} sshd[{}]: Failed password for invalid user {user} from {src} port {} ssh2",
                r.below(60000),
                r.below(60000) + 1024
            );
            let f = serde_json::json!({"program": "sshd", "user": user, "src_ip": src});
            // One sshd line in 500 comes through a source of its own, for the rare-source query.
            let source = if id % 500 == 4 { "vpn" } else { "syslog" };
            (source, "syslog", host, Some(src), Some(user.to_string()), raw, f)
        }
        6..=7 => {
            let public = r.below(3) == 0;
            let src = ip(r, public);
            let path = ["/planning/search?q=extension", "/council-tax/pay", "/wp-login.php", "/bins/collection-day"]
                [r.below(4) as usize];
            let status = [200, 200, 404, 302, 500][r.below(5) as usize];
            let raw = format!(
                "{src} - - [{}] \"GET {path} HTTP/1.1\" {status} {} \"-\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\"",
                time.format("%d/%b/%Y:%H:%M:%S +0000"),
                r.below(20000)
            );
            let f = serde_json::json!({"c-ip": src, "cs-uri-stem": path, "sc-status": status});
            ("web", "access_log", "web01", Some(src), None, raw, f)
        }
        _ => {
            let host = ["DC01.council.local", "DC02.council.local"][r.below(2) as usize];
            let user = USERS[r.below(USERS.len() as u64) as usize];
            let src = ip(r, false);
            let eid = [4624, 4625, 4634, 4672][r.below(4) as usize];
            let f = serde_json::json!({"EventID": eid, "Computer": host, "TargetUserName": user, "IpAddress": src,
                "LogonType": 3});
            let raw = serde_json::json!({"@timestamp": time.to_rfc3339(), "winlog": {"event_id": eid,
                "computer_name": host, "event_data": {"TargetUserName": user, "IpAddress": src, "LogonType": "3"}}})
            .to_string();
            ("winlogbeat", "json", host, Some(src), Some(user.to_string()), raw, f)
        }
    };
    NewEvent {
        id,
        tenant,
        source: source.into(),
        received_at: time,
        time,
        kind: kind_name.into(),
        host: Some(host.into()),
        src_ip: src,
        user,
        raw: raw.into_bytes(),
        fields_json: fields.to_string(),
        parse_error: None,
    }
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: i64 = arg("--events").map(|s| s.parse()).transpose()?.unwrap_or(3_000_000);
    let batch: i64 = arg("--batch").map(|s| s.parse()).transpose()?.unwrap_or(2000);
    let normal = std::env::args().any(|a| a == "--normal");
    let tmp = tempfile::tempdir()?;
    let path = arg("--db").map(std::path::PathBuf::from).unwrap_or_else(|| tmp.path().join("bench.db"));
    let opts = SqliteOptions {
        durability: if normal { Durability::Normal } else { Durability::Full },
        ..SqliteOptions::default()
    };
    let (sqlite, pg) = match arg("--pg") {
        Some(url) => (None, Some(PgStore::connect(&url, PgOptions::default()).await?)),
        None => (Some(SqliteStore::open(&path, opts).await?), None),
    };
    let store: &dyn Store = match (&sqlite, &pg) {
        (Some(s), _) => s,
        (_, Some(p)) => p,
        _ => return Err("no store".into()),
    };
    // A `--db` that already holds the day is reused: only the queries run, so two builds can
    // be compared on the same file.
    let tenant = async |slug: &str, name: &str| match store.tenant_by_slug(slug).await {
        Ok(t) => Ok(t.id),
        Err(_) => store.create_tenant(slug, name).await.map(|t| t.id),
    };
    let a = tenant("council-a", "Council A").await?;
    let b = tenant("council-b", "Council B").await?;
    let day_start = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).single().unwrap_or_default().timestamp_micros();
    let span = 86_400_000_000i64;

    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut write_time = Duration::ZERO;
    let mut bytes = 0usize;
    let wall = Instant::now();
    let mut id = store.next_event_id().await?;
    while id <= n {
        let end = (id + batch).min(n + 1);
        // One event in 20 belongs to the second tenant.
        let events: Vec<NewEvent> =
            (id..end).map(|i| event(&mut r, i, if i % 20 == 0 { b } else { a }, day_start, span)).collect();
        bytes += events.iter().map(|e| e.raw.len()).sum::<usize>();
        let wb = WriteBatch {
            events,
            checkpoints: vec![Checkpoint { key: "bench".into(), value: id.to_string() }],
            ..Default::default()
        };
        let t = Instant::now();
        store.write_batch(&wb).await?;
        write_time += t.elapsed();
        id = end;
    }
    let wall = wall.elapsed();
    println!(
        "write: {n} events ({:.0} bytes raw avg), batches of {batch}, synchronous={}: {:.0} events/s in write_batch \
         ({:.1}s), {:.0} events/s wall incl. generation",
        bytes as f64 / n as f64,
        if normal { "NORMAL" } else { "FULL" },
        n as f64 / write_time.as_secs_f64(),
        write_time.as_secs_f64(),
        n as f64 / wall.as_secs_f64()
    );

    let stats = store.stats().await?;
    println!("stats: {stats:?}");

    let scope = TenantScope::one(a);
    let from = Some(Utc.timestamp_micros(day_start).single().unwrap_or_default());
    let to = Some(Utc.timestamp_micros(day_start + span).single().unwrap_or_default());
    let day = |q: EventQuery| EventQuery { from, to, ..q };
    let ff = |f: &str, p: &str| vec![FieldFilter { field: f.into(), pattern: p.into() }];
    let queries: Vec<(&str, EventQuery)> = vec![
        ("time range page (one day, newest 100)", day(EventQuery::default())),
        ("host = web02 (promoted)", day(EventQuery { fields: ff("host", "web02"), ..Default::default() })),
        ("user = svc_backup (promoted)", day(EventQuery { fields: ff("user", "svc_backup"), ..Default::default() })),
        (
            "src_ip = 10.3.* (promoted, wildcard)",
            day(EventQuery { fields: ff("src_ip", "10.3.*"), ..Default::default() }),
        ),
        (
            "src_ip = 203.0.113.7 (promoted, absent)",
            day(EventQuery { fields: ff("src_ip", "203.0.113.7"), ..Default::default() }),
        ),
        (
            "src_ip = 185.7.7.* (promoted, wildcard, rare)",
            day(EventQuery { fields: ff("src_ip", "185.7.7.*"), ..Default::default() }),
        ),
        (
            "user = nobody* (promoted, wildcard, absent)",
            day(EventQuery { fields: ff("user", "nobody*"), ..Default::default() }),
        ),
        (
            "host = z* (promoted, two-byte prefix, absent)",
            day(EventQuery { fields: ff("host", "z*"), ..Default::default() }),
        ),
        ("source = web (30% of events)", day(EventQuery { sources: vec!["web".into()], ..Default::default() })),
        ("source = vpn (rare)", day(EventQuery { sources: vec!["vpn".into()], ..Default::default() })),
        (
            "source = vpn or web + text 404",
            day(EventQuery {
                sources: vec!["vpn".into(), "web".into()],
                text: Some("\" 404 ".into()),
                ..Default::default()
            }),
        ),
        ("source = nosuch (absent)", day(EventQuery { sources: vec!["nosuch".into()], ..Default::default() })),
        ("EventID = 4672 (json field)", day(EventQuery { fields: ff("EventID", "4672"), ..Default::default() })),
        ("text: rare ip 203.0.113.7", day(EventQuery { text: Some("203.0.113.7".into()), ..Default::default() })),
        ("text: common term sshd", day(EventQuery { text: Some("sshd".into()), ..Default::default() })),
        ("text: wp-login.php 404", day(EventQuery { text: Some("wp-login.php 404".into()), ..Default::default() })),
        ("text: absent term", day(EventQuery { text: Some("nonexistent-zz".into()), ..Default::default() })),
        (
            "host + text + 1h window",
            EventQuery {
                from: Some(Utc.timestamp_micros(day_start + 3_600_000_000 * 12).single().unwrap_or_default()),
                to: Some(Utc.timestamp_micros(day_start + 3_600_000_000 * 13).single().unwrap_or_default()),
                fields: ff("host", "fw01"),
                text: Some("DPT=3389".into()),
                ..Default::default()
            },
        ),
    ];
    for (label, q) in &queries {
        let mut best = Duration::MAX;
        let mut found = 0;
        let mut page2 = Duration::ZERO;
        for _ in 0..3 {
            let t = Instant::now();
            let p = store.search_events(&scope, q).await?;
            best = best.min(t.elapsed());
            found = p.items.len();
            if let Some(c) = p.next_cursor {
                let t = Instant::now();
                store.search_events(&scope, &EventQuery { cursor: Some(c), ..q.clone() }).await?;
                page2 = t.elapsed();
            }
        }
        println!(
            "query {label:<40} {:>8.1} ms  ({found} items; next page {:.1} ms)",
            best.as_secs_f64() * 1e3,
            page2.as_secs_f64() * 1e3
        );
    }
    if !std::env::args().any(|a| a == "--retention") {
        close(&sqlite, &pg).await;
        return Ok(());
    }
    let t = Instant::now();
    let gone = store
        .apply_retention(
            Utc.timestamp_micros(day_start + span).single().unwrap_or_default(),
            &Retention { max_age_days: 365, max_bytes: stats.db_bytes / 2 },
        )
        .await?;
    println!("retention: {gone} events deleted to halve the size in {:.1}s", t.elapsed().as_secs_f64());
    close(&sqlite, &pg).await;
    Ok(())
}

async fn close(sqlite: &Option<SqliteStore>, pg: &Option<PgStore>) {
    if let Some(s) = sqlite {
        s.close().await;
    }
    if let Some(p) = pg {
        p.close().await;
    }
}
