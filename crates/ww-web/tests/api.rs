//! The HTTP surface against a real SQLite store over real sockets.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use base64::Engine;
use common::*;
use serde_json::json;
use ww_web::WebConfig;

fn harness() -> Harness {
    let mut h = Harness::new(WebConfig::default(), 16);
    h.seed();
    h.run_pipeline(Acking::Store);
    h
}

fn ids(v: &serde_json::Value) -> Vec<i64> {
    v["items"].as_array().map(|a| a.iter().filter_map(|x| x["id"].as_i64()).collect()).unwrap_or_default()
}

#[test]
fn user_of_tenant_b_reads_nothing_of_tenant_a() {
    let h = harness();
    let fx = &h.fx;
    let bob = Auth::Cookie(h.login("bob"));
    let alice = Auth::Cookie(h.login("alice"));

    // Events: the list, an explicit tenant filter, and a detail lookup.
    let r = h.get("/api/v1/events", &bob);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids(&r.json()), vec![fx.event_b]);
    assert!(!r.body.contains("council a"));
    assert_eq!(ids(&h.get("/api/v1/events?tenant=council-a", &bob).json()), Vec::<i64>::new());
    assert_eq!(ids(&h.get("/api/v1/events?tenant=council-a,council-b", &bob).json()), vec![fx.event_b]);
    assert_eq!(h.get(&format!("/api/v1/events/{}", fx.event_a), &bob).status, 404);
    assert_eq!(h.get(&format!("/api/v1/events/{}", fx.event_b), &bob).status, 200);
    // Alice sees hers, not Bob's.
    assert_eq!(ids(&h.get("/api/v1/events", &alice).json()), vec![fx.event_a]);

    // Alerts.
    assert_eq!(ids(&h.get("/api/v1/alerts", &bob).json()), vec![fx.alert_b]);
    assert_eq!(ids(&h.get("/api/v1/alerts?tenant=council-a", &bob).json()), Vec::<i64>::new());
    assert_eq!(h.get(&format!("/api/v1/alerts/{}", fx.alert_a), &bob).status, 404);
    let r = h.post_json(&format!("/api/v1/alerts/{}/state", fx.alert_a), &bob, json!({"to": "acknowledged"}));
    assert_eq!(r.status, 404, "{}", r.body);
    let r = h.get(&format!("/api/v1/alerts/{}", fx.alert_a), &alice);
    assert_eq!(r.json()["alert"]["state"], "new", "bob's attempt changed nothing");

    // Rules: the list shows only Bob's tenant; enabling in A is a missing tenant to him.
    let r = h.get("/api/v1/rules", &bob);
    assert_eq!(r.status, 200);
    let tenants: BTreeSet<String> = r.json()[0]["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .map(|t| t["tenant"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(tenants, BTreeSet::from(["council-b".to_owned()]));
    assert_eq!(h.request("POST", "/api/v1/rules/r-ssh/disable?tenant=council-a", &bob, None, None).status, 404);
    assert_eq!(h.request("POST", "/api/v1/rules/r-ssh/disable?tenant=council-b", &bob, None, None).status, 200);
    let r = h.get("/api/v1/rules", &alice);
    let flags = &r.json()[0]["tenants"];
    assert_eq!(flags, &json!([{"tenant": "council-a", "enabled": true}]), "bob's disable is his tenant's only");

    // Sources.
    let r = h.get("/api/v1/sources", &bob);
    let v = r.json();
    let names: Vec<&str> =
        v.as_array().map(|a| a.iter().filter_map(|s| s["name"].as_str()).collect()).unwrap_or_default();
    assert_eq!(names, vec!["fw-b"]);

    // Audit: Alice's change in A is invisible to Bob.
    let r = h.post_json(&format!("/api/v1/alerts/{}/state", fx.alert_a), &alice, json!({"to": "acknowledged"}));
    assert_eq!(r.status, 200, "{}", r.body);
    let r = h.get("/api/v1/audit", &bob);
    assert_eq!(r.status, 200, "{}", r.body);
    let items = r.json()["items"].as_array().cloned().unwrap_or_default();
    assert!(!items.is_empty());
    assert!(items.iter().all(|e| e["tenant"] == "council-b"), "{items:?}");
    assert!(h.get("/api/v1/audit?tenant=council-a", &bob).json()["items"].as_array().is_some_and(|a| a.is_empty()));
    let r = h.get("/api/v1/audit", &alice);
    assert!(r.body.contains("alert.state") && !r.body.contains("council-b"), "{}", r.body);

    // An API token of A likewise sees only A.
    let api_a = Auth::Bearer(fx.api_a.clone());
    assert_eq!(ids(&h.get("/api/v1/events", &api_a).json()), vec![fx.event_a]);
    assert_eq!(h.get(&format!("/api/v1/alerts/{}", fx.alert_b), &api_a).status, 404);

    // The service admin sees both.
    let sam = Auth::Cookie(h.login("sam"));
    let mut both = ids(&h.get("/api/v1/events", &sam).json());
    both.sort();
    assert_eq!(both, vec![fx.event_a, fx.event_b]);
}

#[test]
fn ingest_token_reads_nothing() {
    let h = harness();
    let fx = &h.fx;
    let ingest = Auth::Bearer(fx.ingest_a.clone());
    let reads = [
        "/api/v1/me".to_owned(),
        "/api/v1/events".to_owned(),
        format!("/api/v1/events/{}", fx.event_a),
        "/api/v1/alerts".to_owned(),
        format!("/api/v1/alerts/{}", fx.alert_a),
        "/api/v1/rules".to_owned(),
        "/api/v1/sources".to_owned(),
        "/api/v1/audit".to_owned(),
        "/metrics".to_owned(),
    ];
    for path in &reads {
        let r = h.get(path, &ingest);
        assert_eq!(r.status, 403, "{path}: {}", r.body);
        assert!(!r.body.contains("secret of council"), "{path}");
    }
    let writes = [
        format!("/api/v1/alerts/{}/state", fx.alert_a),
        "/api/v1/rules/r-ssh/disable?tenant=council-a".to_owned(),
        "/api/v1/rules/reload".to_owned(),
        "/api/v1/logout".to_owned(),
    ];
    for path in &writes {
        let r = h.post_json(path, &ingest, json!({"to": "closed", "reason": "benign"}));
        assert_eq!(r.status, 403, "{path}: {}", r.body);
    }
    // Health tells it nothing beyond liveness.
    assert_eq!(h.get("/api/v1/health", &ingest).json(), json!({"status": "ok"}));
    // And the same token as Basic or ApiKey is still only an ingest token.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("beats:{}", fx.ingest_a));
    assert_eq!(h.get("/api/v1/events", &Auth::Header("Authorization", format!("Basic {basic}"))).status, 403);
    // Nothing anonymous either.
    assert_eq!(h.get("/api/v1/events", &Auth::None).status, 401);
    assert_eq!(h.get("/api/v1/events", &Auth::Bearer("ww_1_deadbeef".into())).status, 401);
}

#[test]
fn read_only_cannot_change_alert_state_and_changes_are_audited() {
    let h = harness();
    let path = format!("/api/v1/alerts/{}/state", h.fx.alert_a);
    let rita = Auth::Cookie(h.login("rita"));
    let r = h.post_json(&path, &rita, json!({"to": "acknowledged"}));
    assert_eq!(r.status, 403, "{}", r.body);
    // Rita can still read it.
    assert_eq!(h.get(&format!("/api/v1/alerts/{}", h.fx.alert_a), &rita).status, 200);

    let anna = Auth::Cookie(h.login("anna"));
    assert_eq!(h.post_json(&path, &anna, json!({"to": "closed"})).status, 400, "closing needs a reason");
    let r = h.post_json(&path, &anna, json!({"to": "escalated", "note": "looks real"}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["state"], "escalated");
    assert_eq!(r.json()["state_by"], "user:anna");
    assert_eq!(h.post_json(&path, &anna, json!({"to": "acknowledged"})).status, 409, "no way back");
    let r = h.post_json(&path, &anna, json!({"to": "closed", "reason": "true_positive"}));
    assert_eq!(r.status, 200, "{}", r.body);
    let d = h.get(&format!("/api/v1/alerts/{}", h.fx.alert_a), &anna).json();
    assert_eq!(d["history"].as_array().map(Vec::len), Some(2));

    // Analysts cannot toggle rules or read the audit log; admins can.
    assert_eq!(h.request("POST", "/api/v1/rules/r-ssh/disable?tenant=council-a", &anna, None, None).status, 403);
    assert_eq!(h.get("/api/v1/audit", &anna).status, 403);
    let alice = Auth::Cookie(h.login("alice"));
    let audit = h.get("/api/v1/audit", &alice).json();
    let changes: Vec<&serde_json::Value> = audit["items"]
        .as_array()
        .map(|a| a.iter().filter(|e| e["action"] == "alert.state").collect())
        .unwrap_or_default();
    assert_eq!(changes.len(), 2, "{audit}");
    assert!(changes.iter().all(|e| e["actor"] == "user:anna" && e["target"] == format!("alert:{}", h.fx.alert_a)));

    // Reload is for the service admin only.
    assert_eq!(h.request("POST", "/api/v1/rules/reload", &alice, None, None).status, 403);
    let sam = Auth::Cookie(h.login("sam"));
    let r = h.request("POST", "/api/v1/rules/reload", &sam, None, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), json!({"loaded": 2, "skipped": 0}));
    assert_eq!(h.control.reloads.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn elasticsearch_handshake_and_bulk_round_trip() {
    let h = harness();
    let r = h.get("/", &Auth::None);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-elastic-product").as_deref(), Some("Elasticsearch"));
    assert_eq!(r.json()["version"]["number"], "8.11.0");
    assert_eq!(r.json()["tagline"], "You Know, for Search");
    assert_eq!(h.request("HEAD", "/", &Auth::None, None, None).status, 200);

    let basic = base64::engine::general_purpose::STANDARD.encode(format!("elastic:{}", h.fx.ingest_a));
    let auth = Auth::Header("Authorization", format!("Basic {basic}"));
    for path in [
        "/_cluster/health",
        "/_license",
        "/_xpack",
        "/_nodes",
        "/_nodes/_local/http",
        "/_index_template/winlogbeat-8.11.0",
        "/_template/x",
        "/_ilm/policy/winlogbeat",
    ] {
        let r = h.get(path, &auth);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(r.header("x-elastic-product").as_deref(), Some("Elasticsearch"), "{path}");
        assert!(r.json().is_object(), "{path}");
    }
    assert_eq!(h.request("HEAD", "/_index_template/winlogbeat-8.11.0", &auth, None, None).status, 200);
    assert_eq!(
        h.request("PUT", "/_ilm/policy/winlogbeat", &auth, Some("application/json"), Some(b"{}")).json(),
        json!({"acknowledged": true})
    );
    assert_eq!(h.get("/_license", &Auth::None).status, 401);

    let body = concat!(
        "{\"create\":{\"_index\":\"winlogbeat-8.11.0-2026.11.21\"}}\n",
        "{\"event\":{\"code\":\"4625\"},  \"host\":{\"name\":\"pc1\"}}\n",
        "{\"delete\":{\"_index\":\"winlogbeat-8.11.0-2026.11.21\",\"_id\":\"x\"}}\n",
        "{\"index\":{\"_id\":\"given\"}}\n",
        "{\"event\":{\"code\":\"4688\"}}\n",
    );
    let r = h.request("POST", "/filebeat-8.11.0/_bulk", &auth, Some("application/x-ndjson"), Some(body.as_bytes()));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["errors"], true);
    let items = v["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["create"]["status"], 201);
    assert_eq!(items[0]["create"]["result"], "created");
    assert_eq!(items[1]["delete"]["status"], 400);
    assert_eq!(items[2]["index"]["_id"], "given");
    assert_eq!(items[2]["index"]["_index"], "filebeat-8.11.0");

    let mut seen = h.take_seen();
    seen.sort_by(|a, b| a.source.cmp(&b.source));
    assert_eq!(seen.len(), 2);
    assert_eq!((seen[0].source.as_str(), seen[0].tenant_slug.as_str()), ("filebeat", "council-a"));
    assert_eq!(seen[0].docs, vec!["{\"event\":{\"code\":\"4688\"}}"]);
    assert_eq!(seen[1].source, "winlogbeat");
    assert_eq!(seen[1].docs, vec!["{\"event\":{\"code\":\"4625\"},\"host\":{\"name\":\"pc1\"}}"]);

    // The acknowledged documents are in the store, readable by tenant A only.
    let alice = Auth::Cookie(h.login("alice"));
    let r = h.get("/api/v1/events?source=winlogbeat", &alice);
    assert_eq!(
        r.json()["items"][0]["raw"],
        "{\"event\":{\"code\":\"4625\"},\"host\":{\"name\":\"pc1\"}}",
        "{}",
        r.body
    );
    assert_eq!(r.json()["items"][0]["src_ip"], "127.0.0.1");
    let bob = Auth::Cookie(h.login("bob"));
    assert_eq!(ids(&h.get("/api/v1/events?source=winlogbeat", &bob).json()), Vec::<i64>::new());

    // ApiKey and Bearer work too, and gzip bodies are inflated.
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"{\"index\":{\"_index\":\"vector-2026.11.21\"}}\n{\"m\":1}\n").expect("gzip");
    let gz = gz.finish().expect("gzip");
    let key = base64::engine::general_purpose::STANDARD.encode(format!("myid:{}", h.fx.ingest_b));
    let url = format!("{}/_bulk", h.base);
    let mut resp = h
        .agent
        .post(&url)
        .header("Authorization", format!("ApiKey {key}"))
        .header("Content-Type", "application/x-ndjson")
        .header("Content-Encoding", "gzip")
        .send(&gz[..])
        .expect("send");
    assert_eq!(resp.status().as_u16(), 200, "{}", resp.body_mut().read_to_string().unwrap_or_default());
    let seen = h.take_seen();
    assert_eq!((seen[0].source.as_str(), seen[0].tenant_slug.as_str()), ("vector", "council-b"));

    // Plain ingest endpoint: an array of objects.
    let r = h.request(
        "POST",
        "/api/v1/ingest",
        &Auth::Bearer(h.fx.ingest_a.clone()),
        Some("application/json"),
        Some(b"[{\"a\":1},{\"b\":2}]"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), json!({"accepted": 2}));
    assert_eq!(h.take_seen()[0].source, "http");
    // An API token is not an ingest token.
    assert_eq!(
        h.request("POST", "/api/v1/ingest", &Auth::Bearer(h.fx.api_a.clone()), Some("application/json"), Some(b"{}"))
            .status,
        403
    );
}

#[test]
fn malformed_bodies_answer_400_naming_the_line_and_queue_nothing() {
    let h = harness();
    let ingest = Auth::Bearer(h.fx.ingest_a.clone());
    let r = h.request(
        "POST",
        "/api/v1/ingest",
        &ingest,
        Some("application/x-ndjson"),
        Some(b"{\"a\":1}\n{\"b\":2}\n{\"c\":\n{\"d\":4}\n"),
    );
    assert_eq!(r.status, 400);
    let err = r.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(err.starts_with("line 3: "), "{err}");
    let r = h.request(
        "POST",
        "/api/v1/ingest",
        &ingest,
        Some("application/json"),
        Some(b"{\n\"a\": 1,\n\"b\": 2 \"c\"\n}"),
    );
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap_or_default().starts_with("line 3: "), "{}", r.body);
    let bulk = b"{\"index\":{\"_index\":\"a\"}}\n{\"ok\":1}\n{\"index\":{\"_index\":\"a\"}}\n[1,2]\n";
    let r = h.request("POST", "/_bulk", &ingest, Some("application/x-ndjson"), Some(bulk));
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap_or_default().starts_with("line 4: "), "{}", r.body);
    assert_eq!(h.request("POST", "/api/v1/ingest", &ingest, Some("text/plain"), Some(b"{}")).status, 415);
    // Give a wrongly queued batch time to show up.
    std::thread::sleep(Duration::from_millis(100));
    assert!(h.take_seen().is_empty());
    assert_eq!(h.intake.depth(), 0);
}

#[test]
fn limits_on_documents_and_body_size() {
    let cfg = WebConfig { ingest_max_docs: 3, ingest_body_limit: 1024, ..WebConfig::default() };
    let mut h = Harness::new(cfg, 4);
    h.seed();
    h.run_pipeline(Acking::Store);
    let ingest = Auth::Bearer(h.fx.ingest_a.clone());
    let r = h.request("POST", "/api/v1/ingest", &ingest, Some("application/x-ndjson"), Some(b"{}\n{}\n{}\n{}\n"));
    assert_eq!(r.status, 413, "{}", r.body);
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(2000));
    let r = h.request("POST", "/api/v1/ingest", &ingest, Some("application/json"), Some(big.as_bytes()));
    assert_eq!(r.status, 413);
    assert!(h.take_seen().is_empty());
}

#[test]
fn full_queue_answers_429_with_retry_after_and_failed_store_503() {
    let cfg = WebConfig { queue_wait: Duration::from_millis(200), ..WebConfig::default() };
    let mut h = Harness::new(cfg, 1);
    h.seed();
    // Fill the queue; no pipeline drains it yet.
    let src = std::sync::Arc::new(ww_ingest::SourceInfo {
        tenant: h.fx.a.as_ref().map(|t| t.id).expect("tenant"),
        tenant_slug: "council-a".into(),
        name: "filler".into(),
        format: "json".into(),
    });
    h.intake.try_submit(src, Vec::new(), false).expect("room for one");
    let ingest = Auth::Bearer(h.fx.ingest_a.clone());
    let started = std::time::Instant::now();
    let r = h.request("POST", "/api/v1/ingest", &ingest, Some("application/json"), Some(b"{\"a\":1}"));
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    assert!(started.elapsed() >= Duration::from_millis(200), "waited for room first");
    let r = h.request(
        "POST",
        "/_bulk",
        &ingest,
        Some("application/x-ndjson"),
        Some(b"{\"index\":{\"_index\":\"a\"}}\n{}\n"),
    );
    assert_eq!(r.status, 429);

    // Once the pipeline drains, the same request succeeds.
    h.run_pipeline(Acking::Store);
    let r = h.request("POST", "/api/v1/ingest", &ingest, Some("application/json"), Some(b"{\"a\":1}"));
    assert_eq!(r.status, 200, "{}", r.body);

    // A pipeline that cannot store answers 503 with Retry-After.
    let mut h = Harness::new(WebConfig::default(), 4);
    h.seed();
    h.run_pipeline(Acking::Fail);
    let r = h.request(
        "POST",
        "/api/v1/ingest",
        &Auth::Bearer(h.fx.ingest_a.clone()),
        Some("application/json"),
        Some(b"{\"a\":1}"),
    );
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    assert!(!r.body.contains("disk full"), "store detail stays in the log");
}

#[test]
fn login_logout_csrf_and_session_expiry() {
    let cfg = WebConfig { session_ttl: Duration::from_secs(1), ..WebConfig::default() };
    let mut h = Harness::new(cfg, 4);
    h.seed();
    let xrw = Auth::Header("X-Requested-With", "wardwatch".into());
    let login = |user: &str, pw: &str, auth: &Auth| {
        let b = json!({"username": user, "password": pw}).to_string();
        h.request("POST", "/api/v1/login", auth, Some("application/json"), Some(b.as_bytes()))
    };
    let bad = login("alice", "wrong", &xrw);
    assert_eq!(bad.status, 401);
    let unknown = login("mallory", "wrong", &xrw);
    assert_eq!(unknown.status, 401);
    assert_eq!(bad.body, unknown.body, "no hint which usernames exist");
    assert_eq!(login("alice", PASSWORD, &Auth::None).status, 403, "login needs the CSRF header");
    let cross = Auth::Header("Origin", "https://evil.example".into());
    assert_eq!(login("alice", PASSWORD, &cross).status, 403);

    let ok = login("alice", PASSWORD, &xrw);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["username"], "alice");
    assert_eq!(ok.json()["memberships"], json!([{"tenant": "council-a", "role": "admin"}]));
    let cookie = ok.header("set-cookie").expect("cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP config");
    let secret = cookie.split(';').next().and_then(|c| c.strip_prefix("ww_session=")).expect("value").to_owned();
    let session = Auth::Cookie(secret.clone());
    assert_eq!(h.get("/api/v1/me", &session).json()["username"], "alice");

    // A cookie-authenticated change without the header (a cross-site form) is refused.
    let bare = Auth::Header("Cookie", format!("ww_session={secret}"));
    let r = h.request(
        "POST",
        &format!("/api/v1/alerts/{}/state", h.fx.alert_a),
        &bare,
        Some("application/json"),
        Some(b"{\"to\":\"acknowledged\"}"),
    );
    assert_eq!(r.status, 403, "{}", r.body);

    let r = h.request("POST", "/api/v1/logout", &session, None, None);
    assert_eq!(r.status, 204);
    assert!(r.header("set-cookie").is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(h.get("/api/v1/me", &session).status, 401);

    // Sessions end on their own after the configured time.
    let s2 = Auth::Cookie(h.login("alice"));
    assert_eq!(h.get("/api/v1/me", &s2).status, 200);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(h.get("/api/v1/me", &s2).status, 401);

    // Failed logins are audited with the username only; a service admin reads them.
    let sam = Auth::Cookie(h.login("sam"));
    let audit = h.get("/api/v1/audit", &sam);
    let failed: Vec<serde_json::Value> = audit.json()["items"]
        .as_array()
        .map(|a| a.iter().filter(|e| e["action"] == "login.failed").cloned().collect())
        .unwrap_or_default();
    assert_eq!(failed.len(), 2, "{}", audit.body);
    assert!(failed.iter().any(|e| e["detail"] == json!({"username": "mallory"})));
    assert!(!audit.body.contains("wrong"), "passwords never reach the audit log");

    // TLS deployments mark the cookie Secure.
    let mut t = Harness::new(WebConfig { tls: true, ..WebConfig::default() }, 4);
    t.seed();
    let r = t.request(
        "POST",
        "/api/v1/login",
        &xrw,
        Some("application/json"),
        Some(json!({"username": "bob", "password": PASSWORD}).to_string().as_bytes()),
    );
    assert!(r.header("set-cookie").is_some_and(|c| c.contains("; Secure")));
}

#[test]
fn metrics_need_an_api_token_or_service_admin() {
    let h = harness();
    assert_eq!(h.get("/metrics", &Auth::None).status, 401);
    assert_eq!(h.get("/metrics", &Auth::Cookie(h.login("alice"))).status, 403);
    assert_eq!(h.get("/metrics", &Auth::Bearer(h.fx.ingest_a.clone())).status, 403);
    let r = h.get("/metrics", &Auth::Bearer(h.fx.api_a.clone()));
    assert_eq!(r.status, 200);
    assert!(r.body.contains("# TYPE wardwatch_intake_queue_depth gauge"), "{}", r.body);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/plain")));
    assert_eq!(h.get("/metrics", &Auth::Cookie(h.login("sam"))).status, 200);

    let open = Harness::new(WebConfig { metrics_public_on_loopback: true, ..WebConfig::default() }, 4);
    let r = open.get("/metrics", &Auth::None);
    assert_eq!(r.status, 200, "loopback peer, public on loopback");
    assert!(r.body.contains("wardwatch_login_failures_total"));
}

#[test]
fn health_is_anonymous_but_minimal() {
    let h = harness();
    let r = h.get("/api/v1/health", &Auth::None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"status": "ok"}));
    let r = h.get("/api/v1/health", &Auth::Cookie(h.login("rita")));
    assert_eq!(r.json()["store_ok"], true);
    assert_eq!(h.get("/api/v1/nope", &Auth::None).status, 404);
}

/// The OpenAPI document lists exactly the routes the router serves, with the same methods.
#[test]
fn openapi_document_matches_the_router() {
    let h = Harness::new(WebConfig::default(), 4);
    let r = h.get("/api/v1/openapi.json", &Auth::None);
    assert_eq!(r.status, 200);
    let doc = r.json();
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (p, ops) in paths {
        let methods = ops.as_object().expect("ops").keys().filter(|k| *k != "parameters").cloned().collect();
        documented.insert(p.clone(), methods);
    }
    let served: BTreeSet<String> = ww_web::route_paths().iter().map(|p| p.replace("{*", "{")).collect();
    assert_eq!(documented.keys().cloned().collect::<BTreeSet<_>>(), served, "documented vs served paths");

    // Probe every method on every path: axum answers 405 for a method not registered, so the
    // methods that get anything else are the served ones (GET also answers HEAD).
    for (path, methods) in &documented {
        let concrete = path.split('/').map(|s| if s.starts_with('{') { "1" } else { s }).collect::<Vec<_>>().join("/");
        let concrete = if concrete.is_empty() { "/".to_owned() } else { concrete };
        let mut answered = BTreeSet::new();
        for m in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            let body: Option<&[u8]> = if m == "GET" { None } else { Some(b"") };
            let r = h.request(m, &concrete, &Auth::None, None, body);
            assert_ne!(r.status, 404, "{m} {concrete} fell through to the fallback");
            if r.status != 405 {
                answered.insert(m.to_ascii_lowercase());
            }
        }
        let documented: BTreeSet<String> = methods.iter().filter(|m| *m != "head").cloned().collect();
        assert_eq!(&answered, &documented, "methods of {path}");
    }
}
