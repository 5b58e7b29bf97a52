//! `wardwatch serve` as a real process: durability under SIGKILL, a real rsyslog forwarding to
//! it, and detection from end to end.

mod support;

use std::collections::HashSet;
use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Server, agent};

const PASSWORD: &str = "correct horse battery staple";

/// Every event the API returns for `query`, following cursors.
fn all_events(agent: &support::Session, server: &Server, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = server.url(&format!("/api/v1/events?limit=1000&{query}"));
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let mut resp = agent.get(&url).call().expect("search");
        assert_eq!(resp.status().as_u16(), 200, "search {url}");
        let page: Value = resp.body_mut().read_json().expect("json");
        let items = page["items"].as_array().cloned().unwrap_or_default();
        out.extend(items);
        match page["next_cursor"].as_str() {
            Some(c) if !c.is_empty() => cursor = Some(c.to_owned()),
            _ => return out,
        }
    }
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn sigkill_under_load_loses_no_acknowledged_event() {
    let mut server = Server::start("");
    server.create_user("ana", PASSWORD, &["--tenant", "wardshire", "--role", "analyst"]);
    let token = server.token("wardshire", "ingest", &["--source", "load"]);
    let acked = Arc::new(Mutex::new(Vec::<u64>::new()));
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let url = server.url("/api/v1/ingest");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (acked, next, stop, url, token) =
                (acked.clone(), next.clone(), stop.clone(), url.clone(), token.clone());
            std::thread::spawn(move || {
                let agent = agent();
                while !stop.load(Ordering::Relaxed) {
                    let first = next.fetch_add(200, Ordering::Relaxed);
                    let body: String = (first..first + 200)
                        .map(|i| format!("{{\"seq\":{i},\"message\":\"load test event {i}\"}}\n"))
                        .collect();
                    let resp = agent
                        .post(&url)
                        .header("Authorization", &format!("Bearer {token}"))
                        .header("Content-Type", "application/x-ndjson")
                        .send(body.as_bytes());
                    match resp {
                        Ok(r) if r.status().as_u16() == 200 => {
                            acked.lock().expect("lock").extend(first..first + 200);
                        }
                        Ok(r) if r.status().as_u16() == 429 || r.status().as_u16() == 503 => {
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        Ok(r) => panic!("unexpected status {}", r.status()),
                        // The server died mid-request: this batch was never acknowledged.
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(2500));
    server.kill9();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("client thread");
    }
    let acked: Vec<u64> = acked.lock().expect("lock").clone();
    assert!(acked.len() >= 1000, "the load was too light to mean anything: {} acknowledged", acked.len());

    server.spawn();
    let agent = server.login("ana", PASSWORD);
    let stored: HashSet<u64> =
        all_events(&agent, &server, "source=load").iter().filter_map(|e| e["fields"]["seq"].as_u64()).collect();
    let lost: Vec<u64> = acked.iter().copied().filter(|s| !stored.contains(s)).collect();
    println!(
        "acknowledged {} events before SIGKILL; {} stored after restart; lost {}",
        acked.len(),
        stored.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "{} acknowledged events lost, e.g. {:?}", lost.len(), &lost[..lost.len().min(10)]);
}

#[test]
fn syslog_over_tcp_and_udp_becomes_an_alert_for_its_tenant_only() {
    let server = Server::start("");
    server.create_user("ana", PASSWORD, &["--tenant", "wardshire", "--role", "analyst"]);
    server.create_user("eve", PASSWORD, &["--tenant", "eastmoor", "--role", "admin"]);
    let mut tcp = TcpStream::connect(("127.0.0.1", server.syslog_tcp)).expect("connect");
    for i in 0..30 {
        let msg = format!(
            "<38>Nov 21 10:00:{:02} web01 sshd[812]: Failed password for invalid user admin{i} from 203.0.113.9 port 4{i:04} ssh2",
            i % 60
        );
        // Octet counting (RFC 6587) for even messages, newline framing for odd ones.
        if i % 2 == 0 {
            write!(tcp, "{} {msg}", msg.len()).expect("send");
        } else {
            writeln!(tcp, "{msg}").expect("send");
        }
    }
    tcp.flush().expect("flush");
    let udp = UdpSocket::bind("127.0.0.1:0").expect("udp");
    udp.send_to(
        b"<134>Nov 21 10:01:00 fw01 kernel: DROP IN=eth0 SRC=198.51.100.7 DST=10.0.0.5 PROTO=TCP DPT=3389",
        ("127.0.0.1", server.syslog_udp),
    )
    .expect("udp send");
    let ana = server.login("ana", PASSWORD);
    wait_for("30 sshd events over TCP", Duration::from_secs(20), || {
        all_events(&ana, &server, "source=syslog-tcp&q=203.0.113.9").len() == 30
    });
    wait_for("the UDP firewall event", Duration::from_secs(20), || {
        !all_events(&ana, &server, "source=syslog-udp&q=198.51.100.7").is_empty()
    });
    let mut alerts_json = Value::Null;
    wait_for("an aggregated sshd alert", Duration::from_secs(20), || {
        let mut r = ana.get(&server.url("/api/v1/alerts")).call().expect("alerts");
        alerts_json = r.body_mut().read_json().expect("json");
        alerts_json["items"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["entity"] == "203.0.113.9" && x["count"].as_u64().unwrap_or(0) >= 30))
    });
    // One alert for all 30 matches of a rule on that IP, not 30 alerts.
    let items = alerts_json["items"].as_array().cloned().unwrap_or_default();
    let per_rule: Vec<&Value> = items.iter().filter(|x| x["entity"] == "203.0.113.9").collect();
    let rules: HashSet<&str> = per_rule.iter().filter_map(|x| x["rule_id"].as_str()).collect();
    assert_eq!(per_rule.len(), rules.len(), "one alert per rule and entity: {per_rule:#?}");

    // Eastmoor's admin sees none of it.
    let eve = server.login("eve", PASSWORD);
    assert!(all_events(&eve, &server, "q=203.0.113.9").is_empty());
    let mut r = eve.get(&server.url("/api/v1/alerts")).call().expect("alerts");
    let theirs: Value = r.body_mut().read_json().expect("json");
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(0), "{theirs}");
}

fn which(cmd: &str) -> Option<String> {
    let out = Command::new("sh").arg("-c").arg(format!("command -v {cmd}")).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[test]
fn rsyslog_forwards_to_syslog_tcp_and_to_the_bulk_endpoint() {
    let Some(rsyslogd) = which("rsyslogd")
        .or_else(|| std::path::Path::new("/usr/sbin/rsyslogd").exists().then(|| "/usr/sbin/rsyslogd".to_owned()))
    else {
        eprintln!("skipping: rsyslogd is not installed (Debian package rsyslog; .ci/run installs it)");
        return;
    };
    let has_es = std::path::Path::new("/usr/lib/x86_64-linux-gnu/rsyslog/omelasticsearch.so").exists();
    let server = Server::start("");
    server.create_user("ana", PASSWORD, &["--tenant", "wardshire", "--role", "analyst"]);
    let token = server.token("wardshire", "ingest", &["--source", "rsyslog-es"]);
    let work = server.dir.path().join("rsyslog");
    std::fs::create_dir_all(&work).expect("workdir");
    let in_port = support::free_port();
    let mut conf = format!(
        r#"global(workDirectory="{work}")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="{in_port}" ruleset="fwd")
template(name="ww_json" type="list" option.jsonf="on") {{
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
  property(outname="program" name="programname" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
}}
ruleset(name="fwd") {{
  action(type="omfwd" target="127.0.0.1" port="{tcp}" protocol="tcp" TCP_Framing="octet-counted"
         template="RSYSLOG_SyslogProtocol23Format")
"#,
        work = work.display(),
        tcp = server.syslog_tcp
    );
    if has_es {
        conf = conf.replace("module(load=\"imudp\")", "module(load=\"imudp\")\nmodule(load=\"omelasticsearch\")");
        conf.push_str(&format!(
            r#"  action(type="omelasticsearch" server="127.0.0.1" serverport="{http}" searchIndex="rsyslog-8.2302"
         template="ww_json" bulkmode="on" uid="rsyslog" pwd="{token}" usehttps="off")
"#,
            http = server.http
        ));
    }
    conf.push_str("}\n");
    let conf_path = work.join("rsyslog.conf");
    std::fs::write(&conf_path, conf).expect("write rsyslog.conf");
    let mut rsyslog = Command::new(rsyslogd)
        .arg("-n")
        .arg("-f")
        .arg(&conf_path)
        .arg("-i")
        .arg(work.join("rsyslogd.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rsyslogd");
    std::thread::sleep(Duration::from_millis(800));
    let udp = UdpSocket::bind("127.0.0.1:0").expect("udp");
    for i in 0..20 {
        let line = format!(
            "<38>Nov 21 10:00:{i:02} vpn01 sshd[9]: Failed password for invalid user svc{i} from 192.0.2.44 port 50{i:03} ssh2"
        );
        udp.send_to(line.as_bytes(), ("127.0.0.1", in_port)).expect("send to rsyslog");
        std::thread::sleep(Duration::from_millis(5));
    }
    let ana = server.login("ana", PASSWORD);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_for("rsyslog's TCP forwarding", Duration::from_secs(30), || {
            all_events(&ana, &server, "source=syslog-tcp&q=192.0.2.44").len() == 20
        });
        if has_es {
            wait_for("rsyslog's omelasticsearch bulk forwarding", Duration::from_secs(30), || {
                all_events(&ana, &server, "source=rsyslog-es&q=192.0.2.44").len() == 20
            });
        } else {
            eprintln!("rsyslog-elasticsearch is not installed: bulk forwarding not exercised");
        }
    }));
    let _ = rsyslog.kill();
    let out = rsyslog.wait_with_output().expect("rsyslog output");
    if let Err(e) = result {
        eprintln!("rsyslogd stderr:\n{}\nserver log:\n{}", String::from_utf8_lossy(&out.stderr), server.log());
        std::panic::resume_unwind(e);
    }
}

#[test]
fn tailed_file_rule_reload_on_sighup_and_unparsed_lines_are_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).expect("rules dir");
    let log = dir.path().join("app.log");
    std::fs::write(&log, "").expect("log");
    let extra = format!(
        r#"
[rules]
paths = ["{rules}"]

[[sources]]
name = "app-log"
tenant = "wardshire"
type = "file"
paths = ["{log}"]
"#,
        rules = rules.display(),
        log = log.display()
    );
    let server = Server::start(&extra);
    server.create_user("ana", PASSWORD, &["--tenant", "wardshire", "--role", "analyst"]);
    let ana = server.login("ana", PASSWORD);
    let append = |line: &str| {
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).expect("open log");
        writeln!(f, "{line}").expect("append");
    };
    let canary_alerts = |ana: &support::Session| -> usize {
        let mut r = ana.get(&server.url("/api/v1/alerts")).call().expect("alerts");
        let v: Value = r.body_mut().read_json().expect("json");
        v["items"]
            .as_array()
            .map_or(0, |a| a.iter().filter(|x| x["rule_title"] == "Wardshire canary token used").count())
    };

    append("<134>Nov 21 10:00:00 app01 portal: canary-7731 used by 192.0.2.80");
    append("{\"broken\": ");
    wait_for("both tailed lines", Duration::from_secs(20), || all_events(&ana, &server, "source=app-log").len() == 2);
    let events = all_events(&ana, &server, "source=app-log");
    let broken = events.iter().find(|e| e["raw"].as_str().is_some_and(|r| r.starts_with("{\"broken\""))).expect("kept");
    assert!(broken["parse_error"].as_str().is_some_and(|e| e.contains("json")), "{broken}");
    assert_eq!(canary_alerts(&ana), 0, "no rule for the canary yet");

    std::fs::write(
        rules.join("canary.yml"),
        "title: Wardshire canary token used\nid: 0f4d52f6-3a7e-4d55-9b0e-6a7d4c1e2b31\nstatus: test\nlevel: high\n\
         logsource:\n  product: linux\ndetection:\n  keywords:\n    - canary-7731\n  condition: keywords\n",
    )
    .expect("write rule");
    let pid = server.pid().expect("running").to_string();
    assert!(Command::new("kill").args(["-HUP", &pid]).status().expect("kill").success());
    // The reload is asynchronous: keep writing until a line is matched by the new rule.
    wait_for("an alert from the reloaded rule", Duration::from_secs(20), || {
        append("<134>Nov 21 10:00:05 app01 portal: canary-7731 used by 192.0.2.80");
        std::thread::sleep(Duration::from_millis(300));
        canary_alerts(&ana) == 1
    });
    assert!(server.log().contains("rules reloaded on SIGHUP"));
}

/// A fresh PostgreSQL database for one test, dropped afterwards; `None` (with the reason
/// printed) when no server answers.
struct PgDatabase {
    name: String,
}

impl PgDatabase {
    fn create() -> Option<PgDatabase> {
        let name = format!(
            "ww_serve_{}_{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos())
        );
        let ok = Command::new("psql")
            .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", &format!("CREATE DATABASE {name}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("skipping: no PostgreSQL at 127.0.0.1:5432 (or no psql); .ci/run starts one");
            return None;
        }
        Some(PgDatabase { name })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-qc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}

#[test]
fn postgres_backend_serves_the_same_flow() {
    let Some(db) = PgDatabase::create() else { return };
    let server = Server::start(&format!(
        "\n[store]\nbackend = \"postgres\"\nurl = \"postgres://postgres@127.0.0.1:5432/{}\"\n",
        db.name
    ));
    server.create_user("ana", PASSWORD, &["--tenant", "wardshire", "--role", "analyst"]);
    let mut tcp = TcpStream::connect(("127.0.0.1", server.syslog_tcp)).expect("connect");
    for i in 0..12 {
        writeln!(tcp, "<38>Nov 21 11:00:{i:02} web01 sshd[812]: Failed password for invalid user guest{i} from 198.51.100.99 port 5{i:04} ssh2")
            .expect("send");
    }
    tcp.flush().expect("flush");
    let ana = server.login("ana", PASSWORD);
    wait_for("12 events stored in PostgreSQL", Duration::from_secs(20), || {
        all_events(&ana, &server, "q=198.51.100.99").len() == 12
    });
    wait_for("an aggregated alert", Duration::from_secs(20), || {
        let mut r = ana.get(&server.url("/api/v1/alerts")).call().expect("alerts");
        let v: Value = r.body_mut().read_json().expect("json");
        v["items"].as_array().is_some_and(|a| a.iter().any(|x| x["entity"] == "198.51.100.99" && x["count"] == 12))
    });
    assert!(!server.dir.path().join("data/wardwatch.db").exists(), "PostgreSQL mode must not create an SQLite file");
}
