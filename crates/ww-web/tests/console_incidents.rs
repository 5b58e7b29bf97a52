//! Incidents in the console and the JSON API, over real sockets against a real SQLite store:
//! escalation from alerts, tasks, observables, notes, evidence (upload limit and download
//! headers), tenant isolation, roles, CSRF and the timeline.

mod common;

use common::*;
use serde_json::json;
use sha2::{Digest, Sha256};
use ww_store::{AlertState, Store, TenantScope};
use ww_web::WebConfig;

fn harness() -> Harness {
    let mut h = Harness::new(WebConfig::default(), 16);
    h.seed();
    h.run_pipeline(Acking::Store);
    h
}

const BOUNDARY: &str = "----wwtestboundary7MA4YWxkTrZu0gW";

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    if let Some((name, ct, bytes)) = file {
        b.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n"
            )
            .as_bytes(),
        );
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

fn location_id(r: &Resp) -> i64 {
    let loc = r.header("location").expect("location");
    let rest = loc.strip_prefix("/console/incidents/").expect("incident location");
    rest.split(['#', '/', '?']).next().and_then(|n| n.parse().ok()).expect("incident id")
}

fn detail(h: &Harness, user: &str, id: i64) -> serde_json::Value {
    let r = h.get(&format!("/api/v1/incidents/{id}"), &Auth::Cookie(h.login(user)));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// A blank incident for council A, opened by anna through the console.
fn blank_incident(b: &mut Browser) -> i64 {
    let token = b.csrf();
    let r = b.post(
        "/console/incidents",
        &[
            ("_csrf", &token),
            ("title", "Phishing wave"),
            ("category", "phishing"),
            ("severity", "high"),
            ("origin", "malicious"),
            ("owner", "anna"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    location_id(&r)
}

#[test]
fn escalating_an_alert_opens_a_linked_incident_and_escalates_the_alert() {
    let h = harness();
    let mut anna = Browser::logged_in(&h, "anna");
    let queue = anna.get("/console/alerts");
    assert!(queue.body.contains("Escalate to new incident"), "{}", queue.body);
    assert!(queue.body.contains(&format!("/console/alerts/{}/incident", h.fx.alert_a)));
    let page = anna.get(&format!("/console/alerts/{}", h.fx.alert_a));
    assert!(page.body.contains("Escalate to new incident"));
    let token = csrf_of(&page.body);
    let r = anna.post("/console/incidents", &[("_csrf", &token), ("from_alert", &h.fx.alert_a.to_string())]);
    assert_eq!(r.status, 303, "{}", r.body);
    let id = location_id(&r);

    let page = anna.get(&format!("/console/incidents/{id}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Rule r-ssh: 10.0.0.1"), "title from rule and entity");
    assert!(page.body.contains("Severity: High"), "severity from the alert's level");
    assert!(page.body.contains(&format!("href=\"/console/alerts/{}\"", h.fx.alert_a)));
    assert!(page.body.contains(&format!("href=\"/console/incidents/{id}/breach\"")));
    assert!(page.body.contains(&format!("href=\"/console/incidents/{id}/services\"")));

    let a =
        h.rt.block_on(h.store.get_alert(&TenantScope::one(h.fx.a.as_ref().expect("a").id), h.fx.alert_a))
            .expect("alert");
    assert_eq!(a.alert.state, AlertState::Escalated);
    assert_eq!(a.alert.incident_id, Some(id));
    let d = detail(&h, "anna", id);
    assert_eq!(d["incident"]["severity"], "high");
    assert_eq!(d["alerts"][0]["id"], h.fx.alert_a);
    // The alert row now points at the incident instead of offering escalation.
    let queue = anna.get("/console/alerts?state=all");
    assert!(queue.body.contains(&format!("/console/incidents/{id}")));
}

#[test]
fn attaching_an_alert_to_an_existing_incident() {
    let h = harness();
    let mut anna = Browser::logged_in(&h, "anna");
    let id = blank_incident(&mut anna);
    let page = anna.get(&format!("/console/alerts/{}/incident", h.fx.alert_a));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&format!("value=\"{id}\"")), "the open incident is offered");
    let token = csrf_of(&page.body);
    let r = anna.post(
        &format!("/console/alerts/{}/incident", h.fx.alert_a),
        &[("_csrf", &token), ("incident", &id.to_string())],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let d = detail(&h, "anna", id);
    assert_eq!(d["alerts"][0]["id"], h.fx.alert_a);
    assert_eq!(d["alerts"][0]["state"], "escalated");
    assert_eq!(d["alerts"][0]["incident_id"], id);
    // The list shows it with its badges in text.
    let list = anna.get("/console/incidents");
    assert!(list.body.contains("Phishing wave") && list.body.contains("High") && list.body.contains("Open"));
}

#[test]
fn tasks_observables_notes_evidence_and_the_timeline() {
    let h = harness();
    let mut anna = Browser::logged_in(&h, "anna");
    let id = blank_incident(&mut anna);
    let token = anna.csrf();
    let base = format!("/console/incidents/{id}");
    // Due times are UK wall-clock: GMT in January, BST in July.
    let r = anna.post(
        &format!("{base}/tasks"),
        &[("_csrf", &token), ("title", "Reset passwords"), ("assignee", "alice"), ("due", "2020-01-10T09:30")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = anna
        .post(&format!("{base}/tasks"), &[("_csrf", &token), ("title", "Tell the DPO"), ("due", "2099-07-01T09:00")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let r = anna.post(&format!("{base}/tasks"), &[("_csrf", &token), ("title", "x"), ("assignee", "bob")]);
    assert_eq!(r.status, 400, "bob is not a user of council A");
    let r = anna.post(
        &format!("{base}/observables"),
        &[("_csrf", &token), ("kind", "domain"), ("value", "evil.example"), ("note", "sender")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = anna.post(&format!("{base}/notes"), &[("_csrf", &token), ("body", "Called the supplier <b>now</b>")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let r = anna.post(&format!("{base}/events"), &[("_csrf", &token), ("id", &h.fx.event_a.to_string())]);
    assert_eq!(r.status, 303, "{}", r.body);
    let content = b"From: attacker@evil.example\r\nSubject: invoice\r\n\r\nclick here\r\n".to_vec();
    let body = multipart(
        &[("_csrf", &token), ("description", "the phishing email")],
        Some(("../../Invoice März 2026.eml", "message/rfc822", &content)),
    );
    let r = anna.send_raw("POST", &format!("{base}/evidence"), Some(&multipart_type()), Some(body), &[]);
    assert_eq!(r.status, 303, "{}", r.body);

    let d = detail(&h, "anna", id);
    let tasks = d["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0]["due"], "2020-01-10T09:30:00Z");
    assert_eq!(tasks[0]["overdue"], true);
    assert_eq!(tasks[0]["assignee"], "alice");
    assert_eq!(tasks[1]["due"], "2099-07-01T08:00:00Z");
    assert_eq!(tasks[1]["overdue"], false);
    assert_eq!(d["observables"][0]["value"], "evil.example");
    assert_eq!(d["notes"][0]["body"], "Called the supplier <b>now</b>");
    assert_eq!(d["events"][0]["id"], h.fx.event_a);
    let ev = &d["evidence"][0];
    assert_eq!(ev["filename"], "Invoice März 2026.eml", "path stripped");
    assert_eq!(ev["size"], content.len());
    assert_eq!(ev["sha256"], hex::encode(Sha256::digest(&content)));
    assert_eq!(ev["uploaded_by"], "user:anna");

    let page = anna.get(&base);
    assert!(page.body.contains("Overdue"), "overdue in text");
    assert!(page.body.contains("Called the supplier &#60;b&#62;now&#60;/b&#62;"), "notes are escaped");
    assert!(!page.body.contains("<b>now"));
    assert!(page.body.contains(ev["sha256"].as_str().expect("sha")));
    assert!(page.body.contains("10 Jan 2020, 09:30:00 GMT"), "due shown in UK time");

    // Mark done and undone.
    let task = tasks[0]["id"].as_i64().expect("task id");
    let r = anna.post(&format!("{base}/tasks/{task}/done"), &[("_csrf", &token), ("done", "true")]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(detail(&h, "anna", id)["tasks"][0]["overdue"], false);
    assert!(detail(&h, "anna", id)["tasks"][0]["done_at"].is_string());
    let r = anna.post(&format!("{base}/tasks/{task}/done"), &[("_csrf", &token), ("done", "false")]);
    assert_eq!(r.status, 303);
    assert!(detail(&h, "anna", id)["tasks"][0]["done_at"].is_null());

    // Download: an attachment only, with exactly these headers and the stored bytes.
    let eid = ev["id"].as_i64().expect("evidence id");
    let r = anna.get(&format!("/console/evidence/{eid}"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type").as_deref(), Some("application/octet-stream"));
    assert_eq!(
        r.header("content-disposition").as_deref(),
        Some("attachment; filename*=UTF-8''Invoice%20M%C3%A4rz%202026.eml")
    );
    assert_eq!(r.header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(r.header("content-security-policy").as_deref(), Some("sandbox; default-src 'none'"));
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(hex::encode(Sha256::digest(r.body.as_bytes())), ev["sha256"].as_str().expect("sha"));
    let api = h.get(&format!("/api/v1/incidents/{id}/evidence/{eid}"), &Auth::Cookie(h.login("rita")));
    assert_eq!(api.status, 200, "read-only users may download");
    assert_eq!(api.header("content-security-policy").as_deref(), Some("sandbox; default-src 'none'"));
    assert_eq!(api.body.as_bytes(), content.as_slice());
    assert_eq!(
        h.get(&format!("/api/v1/incidents/{}/evidence/{eid}", id + 1), &Auth::Cookie(h.login("anna"))).status,
        404
    );

    // Timeline: oldest first, the incident's opening first, and every record in it.
    let t = d["timeline"].as_array().expect("timeline");
    let times: Vec<&str> = t.iter().map(|e| e["at"].as_str().expect("at")).collect();
    let parsed: Vec<chrono::DateTime<chrono::Utc>> = times.iter().map(|s| s.parse().expect("time")).collect();
    assert!(parsed.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let kinds: Vec<&str> = t.iter().map(|e| e["kind"].as_str().expect("kind")).collect();
    for k in ["incident_created", "task_created", "observable_added", "note", "evidence_uploaded", "event"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let created = kinds.iter().position(|k| *k == "incident_created").expect("created");
    let note = kinds.iter().position(|k| *k == "note").expect("note");
    let upload = kinds.iter().position(|k| *k == "evidence_uploaded").expect("upload");
    assert!(created < note && note < upload, "{kinds:?}");
}

#[test]
fn evidence_over_the_limit_is_refused_with_413_and_nothing_stored() {
    let h = harness();
    let mut anna = Browser::logged_in(&h, "anna");
    let id = blank_incident(&mut anna);
    let token = anna.csrf();
    let big = vec![b'x'; 25 * 1024 * 1024 + 1];
    let body = multipart(&[("_csrf", &token)], Some(("big.bin", "application/octet-stream", &big)));
    let r = anna.send_raw(
        "POST",
        &format!("/console/incidents/{id}/evidence"),
        Some(&multipart_type()),
        Some(body.clone()),
        &[],
    );
    assert!(r.status == 413 || r.status == 0, "console: {} {}", r.status, r.body);
    let sid = h.login("anna");
    let api_body = multipart(&[], Some(("big.bin", "application/octet-stream", &big)));
    // The server may refuse and close before the client has sent the whole body: the client
    // then sees the connection closed instead of the 413 (as the console upload above may).
    let refused = |r: Result<Resp, String>| match r {
        Ok(r) => assert_eq!(r.status, 413, "api: {}", r.body),
        Err(e) => assert!(e.contains("Broken pipe") || e.contains("reset"), "api: {e}"),
    };
    refused(h.try_request(
        "POST",
        &format!("/api/v1/incidents/{id}/evidence"),
        &Auth::Cookie(sid.clone()),
        Some(&multipart_type()),
        Some(&api_body),
    ));
    // A body well over the route's limit is cut off by the limit itself.
    let huge = vec![b'z'; 26 * 1024 * 1024];
    let huge_body = multipart(&[], Some(("huge.bin", "application/octet-stream", &huge)));
    refused(h.try_request(
        "POST",
        &format!("/api/v1/incidents/{id}/evidence"),
        &Auth::Cookie(sid),
        Some(&multipart_type()),
        Some(&huge_body),
    ));
    assert!(detail(&h, "anna", id)["evidence"].as_array().expect("evidence").is_empty());
    // Exactly at the limit is fine.
    let ok = vec![b'y'; 25 * 1024 * 1024];
    let body = multipart(&[("_csrf", &token)], Some(("ok.bin", "application/octet-stream", &ok)));
    let r =
        anna.send_raw("POST", &format!("/console/incidents/{id}/evidence"), Some(&multipart_type()), Some(body), &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(detail(&h, "anna", id)["evidence"][0]["size"], ok.len());
}

#[test]
fn another_councils_user_gets_404_on_incident_and_evidence() {
    let h = harness();
    let mut anna = Browser::logged_in(&h, "anna");
    let id = blank_incident(&mut anna);
    let token = anna.csrf();
    let body = multipart(&[("_csrf", &token)], Some(("a.txt", "text/plain", b"council a only")));
    assert_eq!(
        anna.send_raw("POST", &format!("/console/incidents/{id}/evidence"), Some(&multipart_type()), Some(body), &[])
            .status,
        303
    );
    let eid = detail(&h, "anna", id)["evidence"][0]["id"].as_i64().expect("evidence");

    let mut bob = Browser::logged_in(&h, "bob");
    assert_eq!(bob.get(&format!("/console/incidents/{id}")).status, 404);
    assert_eq!(bob.get(&format!("/console/evidence/{eid}")).status, 404);
    assert!(!bob.get("/console/incidents?status=all").body.contains("Phishing wave"));
    let btoken = bob.csrf();
    assert_eq!(bob.post(&format!("/console/incidents/{id}/notes"), &[("_csrf", &btoken), ("body", "hi")]).status, 404);
    assert_eq!(bob.post(&format!("/console/incidents/{id}"), &[("_csrf", &btoken), ("title", "mine")]).status, 404);
    // Nor can bob pull council A's alert into an incident of his.
    let r = bob.post("/console/incidents", &[("_csrf", &btoken), ("from_alert", &h.fx.alert_a.to_string())]);
    assert_eq!(r.status, 404);

    let b = Auth::Cookie(h.login("bob"));
    assert_eq!(h.get(&format!("/api/v1/incidents/{id}"), &b).status, 404);
    assert_eq!(h.get(&format!("/api/v1/incidents/{id}/evidence/{eid}"), &b).status, 404);
    assert_eq!(h.post_json(&format!("/api/v1/incidents/{id}/notes"), &b, json!({"body": "x"})).status, 404);
    let list = h.get("/api/v1/incidents?status=open,closed", &b).json();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
}

#[test]
fn read_only_users_get_403_on_every_change_and_see_no_forms() {
    let h = harness();
    let mut anna = Browser::logged_in(&h, "anna");
    let id = blank_incident(&mut anna);
    let token = anna.csrf();
    assert_eq!(anna.post(&format!("/console/incidents/{id}/tasks"), &[("_csrf", &token), ("title", "t")]).status, 303);
    let task = detail(&h, "anna", id)["tasks"][0]["id"].as_i64().expect("task");

    let mut rita = Browser::logged_in(&h, "rita");
    let page = rita.get(&format!("/console/incidents/{id}"));
    assert_eq!(page.status, 200);
    for form in
        ["Save changes", "Add a task", "Add an observable", "Upload evidence", "Add a note", "Link alert", "Link event"]
    {
        assert!(!page.body.contains(form), "{form} shown to a read-only user");
    }
    assert!(!rita.get("/console/alerts").body.contains("Escalate to new incident"));
    let t = rita.csrf();
    let a = h.fx.alert_a.to_string();
    let e = h.fx.event_a.to_string();
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/console/incidents".into(), vec![("title", "x")]),
        ("/console/incidents".into(), vec![("from_alert", &a)]),
        (format!("/console/incidents/{id}"), vec![("title", "x")]),
        (format!("/console/incidents/{id}/tasks"), vec![("title", "x")]),
        (format!("/console/incidents/{id}/tasks/{task}/done"), vec![("done", "true")]),
        (format!("/console/incidents/{id}/observables"), vec![("kind", "ip"), ("value", "1.2.3.4")]),
        (format!("/console/incidents/{id}/notes"), vec![("body", "x")]),
        (format!("/console/incidents/{id}/alerts"), vec![("id", &a)]),
        (format!("/console/incidents/{id}/events"), vec![("id", &e)]),
        (format!("/console/alerts/{a}/incident"), vec![("incident", "1")]),
    ];
    for (path, mut form) in posts {
        form.push(("_csrf", &t));
        let r = rita.post(&path, &form);
        assert_eq!(r.status, 403, "{path}: {}", r.body);
    }
    let body = multipart(&[("_csrf", &t)], Some(("a.txt", "text/plain", b"x")));
    assert_eq!(
        rita.send_raw(
            "POST",
            &format!("/console/incidents/{id}/evidence"),
            Some(&multipart_type()),
            Some(body.clone()),
            &[]
        )
        .status,
        403
    );

    let r = Auth::Cookie(h.login("rita"));
    let api: Vec<(String, serde_json::Value)> = vec![
        ("/api/v1/incidents".into(), json!({"title": "x"})),
        (format!("/api/v1/incidents/{id}/tasks"), json!({"title": "x"})),
        (format!("/api/v1/incidents/{id}/tasks/{task}/done"), json!({"done": true})),
        (format!("/api/v1/incidents/{id}/observables"), json!({"kind": "ip", "value": "1.2.3.4"})),
        (format!("/api/v1/incidents/{id}/notes"), json!({"body": "x"})),
        (format!("/api/v1/incidents/{id}/alerts"), json!({"alert": h.fx.alert_a})),
        (format!("/api/v1/incidents/{id}/events"), json!({"event": h.fx.event_a})),
        (format!("/api/v1/incidents/{id}/tenants"), json!({"tenant": "council-a"})),
    ];
    for (path, body) in api {
        let resp = h.post_json(&path, &r, body);
        assert_eq!(resp.status, 403, "{path}: {}", resp.body);
    }
    let resp = h.request(
        "PATCH",
        &format!("/api/v1/incidents/{id}"),
        &r,
        Some("application/json"),
        Some(b"{\"title\":\"x\"}"),
    );
    assert_eq!(resp.status, 403);
    let api_body = multipart(&[], Some(("a.txt", "text/plain", b"x")));
    let resp =
        h.request("POST", &format!("/api/v1/incidents/{id}/evidence"), &r, Some(&multipart_type()), Some(&api_body));
    assert_eq!(resp.status, 403);
    let d = detail(&h, "rita", id);
    assert_eq!(d["incident"]["title"], "Phishing wave");
    assert_eq!(d["tasks"].as_array().map(Vec::len), Some(1));
    assert!(d["evidence"].as_array().is_some_and(Vec::is_empty) && d["notes"].as_array().is_some_and(Vec::is_empty));
}

#[test]
fn missing_csrf_is_refused_with_403_and_changes_nothing() {
    let h = harness();
    let mut anna = Browser::logged_in(&h, "anna");
    let id = blank_incident(&mut anna);
    for (path, form) in [
        ("/console/incidents".to_owned(), vec![("title", "no token")]),
        (format!("/console/incidents/{id}"), vec![("title", "changed")]),
        (format!("/console/incidents/{id}/notes"), vec![("body", "x")]),
        (format!("/console/incidents/{id}/tasks"), vec![("title", "x")]),
    ] {
        assert_eq!(anna.post(&path, &form).status, 403, "{path}");
        assert_eq!(anna.post(&path, &[form.as_slice(), &[("_csrf", "wrong")]].concat()).status, 403, "{path}");
    }
    let body = multipart(&[], Some(("a.txt", "text/plain", b"x")));
    assert_eq!(
        anna.send_raw("POST", &format!("/console/incidents/{id}/evidence"), Some(&multipart_type()), Some(body), &[])
            .status,
        403
    );
    // The JSON API with a cookie needs X-Requested-With (the harness sends it; a bare cookie does not).
    let sid = h.login("anna");
    let r = h.request(
        "POST",
        &format!("/api/v1/incidents/{id}/notes"),
        &Auth::Header("Cookie", format!("ww_session={sid}")),
        Some("application/json"),
        Some(b"{\"body\":\"x\"}"),
    );
    assert_eq!(r.status, 403);
    let d = detail(&h, "anna", id);
    assert_eq!(d["incident"]["title"], "Phishing wave");
    assert!(d["notes"].as_array().is_some_and(Vec::is_empty) && d["tasks"].as_array().is_some_and(Vec::is_empty));
    assert!(d["evidence"].as_array().is_some_and(Vec::is_empty));
    let list = h.get("/api/v1/incidents", &Auth::Cookie(sid)).json();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
}

#[test]
fn api_runs_an_incident_and_shared_incidents_keep_children_per_council() {
    let h = harness();
    let sam = Auth::Cookie(h.login("sam"));
    let r = h.post_json("/api/v1/incidents", &sam, json!({"title": "x"}));
    assert_eq!(r.status, 400, "a service-wide user must name the council: {}", r.body);
    let r = h.post_json(
        "/api/v1/incidents",
        &sam,
        json!({"tenant": "council-a", "title": "Shared ransomware", "category": "ransomware", "origin": "malicious", "severity": "critical", "owner": "sam"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_i64().expect("id");
    assert_eq!(r.json()["reference"], format!("INC-{id}"));
    let r =
        h.post_json("/api/v1/incidents", &sam, json!({"tenant": "council-a", "title": "x", "category": "nonsense"}));
    assert_eq!(r.status, 400);

    let r = h.request(
        "PATCH",
        &format!("/api/v1/incidents/{id}"),
        &sam,
        Some("application/json"),
        Some(
            json!({"status": "investigating", "ncsc_category": 3, "summary": "Files encrypted"}).to_string().as_bytes(),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "investigating");
    assert_eq!(r.json()["ncsc_category"], 3);
    let r = h.request(
        "PATCH",
        &format!("/api/v1/incidents/{id}"),
        &sam,
        Some("application/json"),
        Some(b"{\"ncsc_category\":7}"),
    );
    assert_eq!(r.status, 400);

    let r = h.post_json(&format!("/api/v1/incidents/{id}/tenants"), &sam, json!({"tenant": "council-b"}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["tenants"], json!(["council-a", "council-b"]));
    for (tenant, note) in [("council-a", "A's note"), ("council-b", "B's note")] {
        let r = h.post_json(&format!("/api/v1/incidents/{id}/notes"), &sam, json!({"body": note, "tenant": tenant}));
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = h.post_json(
        &format!("/api/v1/incidents/{id}/tasks"),
        &sam,
        json!({"title": "Restore backups", "tenant": "council-b", "assignee": "bob", "due": "2026-11-21T10:00:00Z"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let task = r.json()["id"].as_i64().expect("task");
    let r = h.post_json(&format!("/api/v1/incidents/{id}/tasks/{task}/done"), &sam, json!({"done": true}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["done_at"].is_string());
    let r = h.post_json(
        &format!("/api/v1/incidents/{id}/observables"),
        &sam,
        json!({"kind": "ip", "value": "203.0.113.9"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["tenant"], "council-a", "default: the owning council");
    assert_eq!(
        h.post_json(&format!("/api/v1/incidents/{id}/alerts"), &sam, json!({"alert": h.fx.alert_b})).status,
        204
    );
    assert_eq!(
        h.post_json(&format!("/api/v1/incidents/{id}/events"), &sam, json!({"event": h.fx.event_a})).status,
        204
    );
    let body = multipart(
        &[("tenant", "council-b"), ("description", "ransom note")],
        Some(("note.txt", "text/plain", b"pay up")),
    );
    let r = h.request("POST", &format!("/api/v1/incidents/{id}/evidence"), &sam, Some(&multipart_type()), Some(&body));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["sha256"], hex::encode(Sha256::digest(b"pay up")));

    // The service admin sees both councils' records; each council only its own.
    let all = detail(&h, "sam", id);
    assert_eq!(all["notes"].as_array().map(Vec::len), Some(2));
    let a = detail(&h, "alice", id);
    assert_eq!(a["notes"].as_array().map(Vec::len), Some(1));
    assert_eq!(a["notes"][0]["body"], "A's note");
    assert_eq!(a["incident"]["tenants"], json!(["council-a"]), "council A does not learn who else is in it");
    assert!(a["tasks"].as_array().is_some_and(Vec::is_empty) && a["evidence"].as_array().is_some_and(Vec::is_empty));
    assert!(a["alerts"].as_array().is_some_and(Vec::is_empty));
    let b = detail(&h, "bob", id);
    assert_eq!(b["notes"][0]["body"], "B's note");
    assert_eq!(b["tasks"][0]["assignee"], "bob");
    assert_eq!(b["alerts"][0]["id"], h.fx.alert_b);
    assert!(b["events"].as_array().is_some_and(Vec::is_empty), "council A's event stays hidden");
    let eid = b["evidence"][0]["id"].as_i64().expect("evidence");
    assert_eq!(h.get(&format!("/api/v1/incidents/{id}/evidence/{eid}"), &Auth::Cookie(h.login("alice"))).status, 404);

    // The console labels each record with its council for the shared-service user.
    let mut sam_b = Browser::logged_in(&h, "sam");
    let page = sam_b.get(&format!("/console/incidents/{id}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Council A") && page.body.contains("Council B"));
    let list = sam_b.get("/console/incidents");
    assert!(list.body.contains("Shared ransomware") && list.body.contains("Council A, Council B"), "{}", list.body);
    let mut alice_b = Browser::logged_in(&h, "alice");
    let page = alice_b.get(&format!("/console/incidents/{id}"));
    assert!(!page.body.contains("B&#x27;s note") && !page.body.contains("B's note"));
    assert!(!page.body.contains("Add council to this incident"));
}

/// The status line the server answers to an upload's headers alone: the permission check comes
/// before the body is read, so it answers without waiting for the 20 MB it was promised.
fn status_before_body(h: &Harness, path: &str, cookie: &str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let addr = h.base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(10))).expect("timeout");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: ww_session={cookie}\r\nX-Requested-With: wardwatch\r\n\
         Content-Type: {}\r\nContent-Length: 20000000\r\n\r\n",
        multipart_type()
    );
    s.write_all(head.as_bytes()).expect("write");
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).expect("an answer before the body was sent");
    line.trim_end().to_owned()
}

#[test]
fn evidence_uploads_are_refused_before_their_body_is_read() {
    let h = harness();
    let mut anna = Browser::logged_in(&h, "anna");
    let id = blank_incident(&mut anna);
    for path in [format!("/api/v1/incidents/{id}/evidence"), format!("/console/incidents/{id}/evidence")] {
        // Another council's admin does not see the incident; a read-only user may not change it.
        assert_eq!(status_before_body(&h, &path, &h.login("bob")), "HTTP/1.1 404 Not Found", "{path}");
        assert_eq!(status_before_body(&h, &path, &h.login("rita")), "HTTP/1.1 403 Forbidden", "{path}");
    }
    assert!(detail(&h, "anna", id)["evidence"].as_array().expect("evidence").is_empty());
}
