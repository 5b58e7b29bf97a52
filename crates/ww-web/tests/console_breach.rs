//! Personal-data breach handling over real sockets against a real SQLite store: the breach page
//! and its forms, the ICO clock (page, dashboard), the breach log, the ICO and NCSC reports, the
//! JSON API, tenant isolation, roles and CSRF. Incidents are set up directly through the store.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use ww_store::*;
use ww_web::WebConfig;

fn harness() -> Harness {
    let mut h = Harness::new(WebConfig::default(), 16);
    h.seed();
    h.run_pipeline(Acking::Store);
    h
}

fn tenant_a(h: &Harness) -> Tenant {
    h.fx.a.clone().expect("tenant a")
}

/// An incident of council A, opened through the store.
fn incident(h: &Harness, title: &str) -> i64 {
    let a = tenant_a(h);
    let new = NewIncident {
        tenant: a.id,
        title: title.into(),
        summary: "Staff received a phishing email; one account was used to read case files.".into(),
        category: IncidentCategory::Phishing,
        origin: IncidentOrigin::Malicious,
        severity: IncidentSeverity::High,
        owner: Some("alice".into()),
    };
    h.rt.block_on(h.store.create_incident(&new, &Actor::user("alice"))).expect("incident").id
}

/// Writes council A's breach record for `id` directly (for times in the past).
fn set_breach(h: &Harness, id: i64, edit: impl FnOnce(&mut Breach)) {
    let a = tenant_a(h);
    let mut b = Breach::new(id, a.id, Utc::now());
    edit(&mut b);
    h.rt.block_on(h.store.upsert_breach(&TenantScope::one(a.id), &b, &Actor::user("alice"))).expect("upsert breach");
}

fn aware_hours_ago(h: &Harness, id: i64, hours: i64) -> DateTime<Utc> {
    let at = Utc::now() - chrono::Duration::hours(hours);
    set_breach(h, id, |b| {
        b.aware_at = Some(at);
        b.aware_decided_by = Some("alice".into());
        b.aware_reason = Some("Logs show the mailbox was read".into());
    });
    at
}

/// Submits one section of the breach form as alice would.
fn save(b: &mut Browser<'_>, id: i64, section: &str, fields: &[(&str, &str)]) -> Resp {
    let page = b.get(&format!("/console/incidents/{id}/breach"));
    assert_eq!(page.status, 200, "{}", page.body);
    let token = csrf_of(&page.body);
    let mut form = vec![("_csrf", token.as_str()), ("tenant", "council-a"), ("section", section)];
    form.extend_from_slice(fields);
    b.post(&format!("/console/incidents/{id}/breach"), &form)
}

fn local(t: DateTime<Utc>) -> String {
    ww_core::time::to_london(&t).format("%Y-%m-%dT%H:%M").to_string()
}

/// The text of the first `<strong class="clock-words">` on a page.
fn clock_words(body: &str) -> String {
    let at = body.find("class=\"clock-words\">").map(|i| i + 20).unwrap_or_else(|| panic!("no clock on the page"));
    body[at..at + body[at..].find('<').unwrap_or(0)].to_owned()
}

#[test]
fn mark_then_set_aware_with_reason_starts_a_running_clock_with_the_right_deadline() {
    let h = harness();
    let id = incident(&h, "Phishing at the libraries");
    let mut alice = Browser::logged_in(&h, "alice");
    let page = alice.get(&format!("/console/incidents/{id}/breach"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Mark as possible personal-data breach"));
    assert!(!page.body.contains(" style=\""));

    let token = csrf_of(&page.body);
    let r = alice.post(
        &format!("/console/incidents/{id}/breach"),
        &[("_csrf", &token), ("tenant", "council-a"), ("section", "mark")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.header("location").is_some_and(|l| l.contains("saved=mark")));
    let page = alice.get(&format!("/console/incidents/{id}/breach"));
    assert_eq!(clock_words(&page.body), "Not started");
    // The assessment is built from the policy: a multi-choice question as checkboxes in a fieldset.
    assert!(page.body.contains("type=\"checkbox\" id=\"q-data_categories-health\""), "{}", page.body);
    assert!(page.body.contains("What happened?"));
    assert!(page.body.contains("Report to the ICO; tell the people affected."), "risk options say what they imply");

    // Awareness without who decided and why is refused, keeping what was typed.
    let aware = Utc::now() - chrono::Duration::hours(1);
    let aware_text = local(aware);
    let r = save(&mut alice, id, "timing", &[("aware", &aware_text), ("aware_decided_by", ""), ("aware_reason", "")]);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("say who decided the council was aware, and why"), "{}", r.body);
    assert!(r.body.contains(&format!("value=\"{aware_text}\"")));

    let r = save(
        &mut alice,
        id,
        "timing",
        &[
            ("aware", &aware_text),
            ("aware_decided_by", "Dana (DPO)"),
            ("aware_reason", "Mailbox audit log shows case files opened"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = alice.get(&format!("/console/incidents/{id}/breach"));
    assert_eq!(clock_words(&page.body), "Running");
    let aware_utc =
        ww_core::time::london_to_utc(chrono::NaiveDateTime::parse_from_str(&aware_text, "%Y-%m-%dT%H:%M").expect("t"));
    let deadline = aware_utc + chrono::Duration::hours(72);
    assert!(page.body.contains(&ww_core::time::format_london(&deadline)), "deadline in UK time: {}", page.body);
    assert!(page.body.contains(&format!("data-deadline=\"{}\"", ww_core::time::format_utc(&deadline))));
    assert!(page.body.contains("70 h ") || page.body.contains("71 h "), "time left: {}", page.body);
    assert!(page.body.contains("Dana (DPO): Mailbox audit log shows case files opened"));

    // The same record through the API.
    let r = h.get(&format!("/api/v1/incidents/{id}/breach"), &Auth::Cookie(alice.session()));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["tenant"], "council-a");
    assert_eq!(v["clock"]["state"], "running");
    assert_eq!(v["aware_decided_by"], "Dana (DPO)");
    let api_deadline = v["clock"]["deadline"].as_str().and_then(ww_core::time::parse_utc);
    assert_eq!(api_deadline, Some(deadline));
    assert!(v["advice"].as_array().is_some_and(|a| a.iter().any(|p| p["question"] == "what_happened")));
}

#[test]
fn fifty_hours_is_a_warning_and_seventy_three_is_overdue_with_the_late_reason_prompted() {
    let h = harness();
    let warn = incident(&h, "Misdirected email");
    let late = incident(&h, "Ransomware on the file server");
    aware_hours_ago(&h, warn, 50);
    aware_hours_ago(&h, late, 73);
    let mut alice = Browser::logged_in(&h, "alice");

    let page = alice.get(&format!("/console/incidents/{warn}/breach"));
    assert_eq!(clock_words(&page.body), "Warning: less than 24 hours left");
    assert!(page.body.contains("clock-warning"));
    assert!(page.body.contains("21 h ") || page.body.contains("22 h "), "{}", page.body);
    assert!(!page.body.contains("id=\"late_reason\""), "no late reason before the deadline");

    // Saving the timing form as shown keeps the stored instant to the second (the form shows
    // minutes), so the deadline does not move.
    let before = h.get(&format!("/api/v1/incidents/{warn}/breach"), &Auth::Cookie(alice.session())).json();
    let page = alice.get(&format!("/console/incidents/{warn}/breach"));
    let shown = |name: &str| {
        let at = page.body.find(&format!("name=\"{name}\" value=\"")).expect("input") + name.len() + 15;
        page.body[at..at + page.body[at..].find('"').expect("end")].to_owned()
    };
    let (aware, by) = (shown("aware"), shown("aware_decided_by"));
    let r = save(&mut alice, warn, "timing", &[("aware", &aware), ("aware_decided_by", &by), ("aware_reason", "Same")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let after = h.get(&format!("/api/v1/incidents/{warn}/breach"), &Auth::Cookie(alice.session())).json();
    assert_eq!(after["aware_at"], before["aware_at"]);
    assert_eq!(after["aware_reason"], "Same");

    let page = alice.get(&format!("/console/incidents/{late}/breach"));
    assert_eq!(clock_words(&page.body), "Overdue");
    assert!(page.body.contains("clock-overdue"));
    assert!(page.body.contains("overdue by 1 h "), "{}", page.body);
    assert!(page.body.contains("<textarea id=\"late_reason\""), "late reason prompted: {}", page.body);
    assert!(page.body.contains("Reasons for reporting after 72 hours"));

    let r = save(
        &mut alice,
        late,
        "reporting",
        &[("late_reason", "Servers were encrypted; we could not tell what was taken")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = h.get(&format!("/api/v1/incidents/{late}/breach"), &Auth::Cookie(alice.session()));
    assert_eq!(r.json()["late_reason"], "Servers were encrypted; we could not tell what was taken");
    assert_eq!(r.json()["clock"]["state"], "overdue");
}

#[test]
fn a_decision_not_to_report_stops_the_clock_and_stays_in_the_breach_log() {
    let h = harness();
    let id = incident(&h, "Letter sent to the wrong address");
    aware_hours_ago(&h, id, 5);
    let mut alice = Browser::logged_in(&h, "alice");

    // A decision needs its reason.
    let r = save(&mut alice, id, "decision", &[("report_to_ico", "no"), ("ico_decision_reason", "")]);
    assert_eq!(r.status, 400, "{}", r.body);
    let reason = "Envelope returned unopened; no risk to the resident";
    let r = save(
        &mut alice,
        id,
        "decision",
        &[
            ("report_to_ico", "no"),
            ("ico_decision_reason", reason),
            ("tell_individuals", "no"),
            ("individuals_reason", "No risk"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = alice.get(&format!("/console/incidents/{id}/breach"));
    assert_eq!(clock_words(&page.body), "Not reportable");
    assert!(!page.body.contains("data-ico-clock"), "a stopped clock does not count down");

    let log = alice.get("/console/breaches");
    assert_eq!(log.status, 200);
    assert!(log.body.contains("aria-current=\"page\">Breach log"), "nav entry");
    assert!(log.body.contains("Letter sent to the wrong address"), "{}", log.body);
    assert!(log.body.contains(&format!("Do not report: {reason}")));
    assert!(log.body.contains("Not reportable"));

    let r = h.get("/api/v1/breaches", &Auth::Cookie(alice.session()));
    assert_eq!(r.status, 200, "{}", r.body);
    let entry = r.json().as_array().and_then(|a| a.first().cloned()).unwrap_or_default();
    assert_eq!(entry["incident_title"], "Letter sent to the wrong address");
    assert_eq!(entry["status"], "Not reportable");
    assert_eq!(entry["breach"]["report_to_ico"], false);
    assert_eq!(entry["breach"]["ico_decision_reason"], reason);
    // Who recorded the decision, and when, are set by the server.
    assert_eq!(entry["breach"]["ico_decided_by"], "alice");
    assert!(entry["breach"]["ico_decided_at"].is_string());
}

#[test]
fn ico_reports_are_pre_filled_mark_what_is_missing_and_the_follow_up_has_the_case_reference() {
    let h = harness();
    let id = incident(&h, "Phishing at the libraries");
    aware_hours_ago(&h, id, 30);
    let mut alice = Browser::logged_in(&h, "alice");
    let r = save(
        &mut alice,
        id,
        "assessment",
        &[
            ("q.what_happened", "A phishing email captured a librarian's password"),
            ("q.cyber_incident", "yes"),
            ("q.data_categories", "contact"),
            ("q.data_categories", "health"),
            ("q.records_count", "1,200"),
            ("risk", "high"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = alice.get(&format!("/console/incidents/{id}/breach"));
    assert!(page.body.contains("id=\"q-data_categories-health\" name=\"q.data_categories\" value=\"health\" checked"));

    let r = alice.get(&format!("/console/incidents/{id}/reports/ico?tenant=council-a&kind=initial"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Personal data breach report to the ICO: initial report"));
    assert!(r.body.contains("A phishing email captured a librarian&#39;s password"), "{}", r.body);
    assert!(r.body.contains("Health data"), "special category listed");
    assert!(r.body.contains("1,200"));
    assert!(r.body.contains("Council A"), "organisation from the tenant");
    assert!(r.body.contains("class=\"missing-mark\">Not yet answered"), "unanswered fields are marked");
    assert!(r.body.contains("not yet answered</strong>"), "count of missing fields");
    // The text to paste, in a readonly textarea.
    assert!(r.body.contains("<textarea id=\"report-text\" class=\"paste\" readonly"));
    assert!(r.body.contains("How the breach was discovered: [not yet answered]"), "{}", r.body);
    // Contact: the username unless the form gives more.
    assert!(r.body.contains("Name: alice"));
    let r = alice.get(&format!(
        "/console/incidents/{id}/reports/ico?tenant=council-a&kind=initial&contact_name=Dana+Jones&contact_role=Data+Protection+Officer"
    ));
    assert!(r.body.contains("Name: Dana Jones") && r.body.contains("Job title: Data Protection Officer"));

    let r = alice.get(&format!("/console/incidents/{id}/reports/ico?tenant=council-a&kind=initial&format=txt"));
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/plain")));
    assert_eq!(
        r.header("content-disposition").as_deref(),
        Some(format!("attachment; filename=\"INC-{id}-ico-initial-council-a.txt\"").as_str())
    );
    assert!(r.body.contains("What happened: A phishing email captured a librarian's password"), "{}", r.body);
    assert!(r.body.contains("[not yet answered]"));

    // Initial report sent, with the ICO's case reference: the follow-up carries it.
    let sent = local(Utc::now() - chrono::Duration::hours(2));
    let r = save(&mut alice, id, "reporting", &[("ico_reported_at", &sent), ("ico_reference", "IC-123456-A1B2")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let page = alice.get(&format!("/console/incidents/{id}/breach"));
    assert_eq!(clock_words(&page.body), "Reported on time");
    let r = alice.get(&format!("/console/incidents/{id}/reports/ico?tenant=council-a&kind=followup"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("follow-up report"));
    assert!(r.body.contains("ICO case reference: IC-123456-A1B2"), "{}", r.body);
    assert!(r.body.contains("Since the initial report"));

    // The API gives the same report as JSON plus text.
    let r = h.get(&format!("/api/v1/incidents/{id}/reports/ico?kind=followup"), &Auth::Cookie(alice.session()));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert!(v["text"].as_str().is_some_and(|t| t.contains("IC-123456-A1B2")));
    assert!(v["missing"].as_u64().is_some_and(|n| n > 0));
    assert!(v["sections"].as_array().is_some_and(|s| s.iter().any(|s| s["heading"] == "Since the initial report")));
    let r = h.get(&format!("/api/v1/incidents/{id}/reports/ico?kind=sideways"), &Auth::Cookie(alice.session()));
    assert_eq!(r.status, 400);
}

#[test]
fn ncsc_report_and_ico_report_without_a_breach_record() {
    let h = harness();
    let id = incident(&h, "Ransomware on the file server");
    let mut alice = Browser::logged_in(&h, "alice");
    let r = alice.get(&format!("/console/incidents/{id}/reports/ncsc?tenant=council-a&contact_phone=01632+960000"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Incident report to the NCSC"));
    assert!(r.body.contains("Ransomware on the file server"));
    assert!(r.body.contains("No personal data breach recorded"));
    assert!(r.body.contains("01632 960000"));
    assert!(r.body.contains("Not yet answered"), "indicators not yet recorded are marked");
    let r = alice.get(&format!("/console/incidents/{id}/reports/ncsc?format=txt"));
    assert!(r.header("content-disposition").is_some_and(|d| d.contains("ncsc")));
    // An ICO report needs a breach record.
    let r = alice.get(&format!("/console/incidents/{id}/reports/ico"));
    assert_eq!(r.status, 409, "{}", r.body);
    let r = h.get(&format!("/api/v1/incidents/{id}/reports/ncsc"), &Auth::Cookie(alice.session()));
    assert_eq!(r.status, 200);
    assert!(r.json()["title"].as_str().is_some_and(|t| t.contains("NCSC")));
}

#[test]
fn other_councils_get_404_read_only_users_403_and_forms_need_csrf() {
    let h = harness();
    let id = incident(&h, "Phishing at the libraries");
    aware_hours_ago(&h, id, 3);
    let mut bob = Browser::logged_in(&h, "bob");
    for path in [
        format!("/console/incidents/{id}/breach"),
        format!("/console/incidents/{id}/reports/ico"),
        format!("/console/incidents/{id}/reports/ncsc"),
    ] {
        let r = bob.get(&path);
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.body.contains("Phishing at the libraries"));
    }
    let dash = bob.get("/console/");
    let log = bob.get("/console/breaches");
    let token = csrf_of(&dash.body);
    let r = bob.post(&format!("/console/incidents/{id}/breach"), &[("_csrf", &token), ("section", "mark")]);
    assert_eq!(r.status, 404);
    for body in [&dash.body, &log.body] {
        assert!(!body.contains("Phishing at the libraries"), "no other council's breach");
    }
    let bob_api = Auth::Cookie(bob.session());
    assert_eq!(h.get(&format!("/api/v1/incidents/{id}/breach"), &bob_api).status, 404);
    assert_eq!(h.get(&format!("/api/v1/incidents/{id}/reports/ncsc"), &bob_api).status, 404);
    let r = h.get("/api/v1/breaches", &bob_api);
    assert_eq!(r.json().as_array().map(Vec::len), Some(0));
    let r =
        h.request("PUT", &format!("/api/v1/incidents/{id}/breach"), &bob_api, Some("application/json"), Some(b"{}"));
    assert_eq!(r.status, 404);
    // Alice asking for a council outside her scope: 404 too.
    let mut alice = Browser::logged_in(&h, "alice");
    assert_eq!(alice.get(&format!("/console/incidents/{id}/breach?tenant=council-b")).status, 404);

    // Read-only: sees everything, no forms, POST refused.
    let mut rita = Browser::logged_in(&h, "rita");
    let page = rita.get(&format!("/console/incidents/{id}/breach"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(clock_words(&page.body), "Running");
    assert!(page.body.contains("Logs show the mailbox was read"));
    assert!(!page.body.contains("name=\"section\""), "no forms for read-only users");
    let token = csrf_of(&page.body);
    let r = rita.post(
        &format!("/console/incidents/{id}/breach"),
        &[
            ("_csrf", &token),
            ("tenant", "council-a"),
            ("section", "decision"),
            ("report_to_ico", "no"),
            ("ico_decision_reason", "x"),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let r = h.request(
        "PUT",
        &format!("/api/v1/incidents/{id}/breach"),
        &Auth::Cookie(rita.session()),
        Some("application/json"),
        Some(b"{}"),
    );
    assert_eq!(r.status, 403, "{}", r.body);

    // CSRF: a missing or wrong token is refused, and nothing changes.
    let r = alice.post(
        &format!("/console/incidents/{id}/breach"),
        &[("tenant", "council-a"), ("section", "decision"), ("report_to_ico", "no"), ("ico_decision_reason", "x")],
    );
    assert_eq!(r.status, 403);
    let r = alice.post(
        &format!("/console/incidents/{id}/breach"),
        &[
            ("_csrf", "forged"),
            ("tenant", "council-a"),
            ("section", "decision"),
            ("report_to_ico", "no"),
            ("ico_decision_reason", "x"),
        ],
    );
    assert_eq!(r.status, 403);
    let v = h.get(&format!("/api/v1/incidents/{id}/breach"), &Auth::Cookie(alice.session())).json();
    assert_eq!(v["report_to_ico"], serde_json::Value::Null);
}

#[test]
fn the_dashboard_shows_counts_and_the_running_clocks_of_the_callers_councils() {
    let h = harness();
    let id = incident(&h, "Phishing at the libraries");
    aware_hours_ago(&h, id, 60);
    let mut alice = Browser::logged_in(&h, "alice");
    let r = alice.get("/console/");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Running ICO clocks"));
    assert!(r.body.contains(&format!("INC-{id}: Phishing at the libraries")), "{}", r.body);
    assert!(r.body.contains(&format!("href=\"/console/incidents/{id}/breach?tenant=council-a\"")));
    assert!(r.body.contains("Warning: less than 24 hours left"));
    assert!(r.body.contains("data-ico-clock"), "counts down live");
    assert!(r.body.contains("Blocked attempts") && r.body.contains("Open incidents"));
    // One open incident in council A; its tile says so.
    assert!(r.body.contains("<dt>Open incidents</dt><dd>1</dd>"), "{}", r.body);

    let mut bob = Browser::logged_in(&h, "bob");
    let r = bob.get("/console/");
    assert!(!r.body.contains("Phishing at the libraries"));
    assert!(r.body.contains("No personal-data breach is waiting to be reported"));
    assert!(r.body.contains("<dt>Open incidents</dt><dd>0</dd>"));
}

#[test]
fn the_api_puts_and_gets_a_breach_record_with_its_rules() {
    let h = harness();
    let id = incident(&h, "Phishing at the libraries");
    let alice = Auth::Cookie(h.login("alice"));
    let path = format!("/api/v1/incidents/{id}/breach?tenant=council-a");
    assert_eq!(h.get(&path, &alice).status, 404, "no record yet");
    let put = |body: serde_json::Value| {
        let b = serde_json::to_vec(&body).expect("json");
        h.request("PUT", &path, &alice, Some("application/json"), Some(&b))
    };
    let aware = (Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    let r = put(serde_json::json!({ "aware_at": aware }));
    assert_eq!(r.status, 400, "awareness needs who and why: {}", r.body);
    let r = put(
        serde_json::json!({ "aware_at": aware, "risk": "catastrophic", "aware_decided_by": "dpo", "aware_reason": "r" }),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let future = (Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let r = put(serde_json::json!({ "aware_at": future, "aware_decided_by": "dpo", "aware_reason": "r" }));
    assert_eq!(r.status, 400, "{}", r.body);
    let r = put(serde_json::json!({ "surprise": 1 }));
    assert!(r.status == 400 || r.status == 422, "unknown fields refused: {}", r.status);

    let r = put(serde_json::json!({
        "aware_at": aware, "aware_decided_by": "dpo", "aware_reason": "Confirmed by the supplier",
        "answers": { "what_happened": "Supplier's server exposed", "records_count": "lots" },
        "risk": "risk", "report_to_ico": true, "ico_decision_reason": "Risk to residents"
    }));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["clock"]["state"], "running");
    assert_eq!(v["ico_decided_by"], "alice");
    // Answers are saved as given; problems come back as advice.
    assert_eq!(v["answers"]["records_count"], "lots");
    assert!(
        v["advice"]
            .as_array()
            .is_some_and(|a| a.iter().any(|p| p["question"] == "records_count" && p["kind"] == "wrong_type"))
    );
    let r = h.get(&path, &alice);
    assert_eq!(r.json()["answers"]["what_happened"], "Supplier's server exposed");

    // Documented in the OpenAPI document.
    let doc = h.get("/api/v1/openapi.json", &Auth::None).json();
    for p in ["/api/v1/incidents/{id}/breach", "/api/v1/breaches", "/api/v1/incidents/{id}/reports/{report}"] {
        assert!(doc["paths"][p].is_object(), "{p} documented");
    }
    assert!(doc["paths"]["/api/v1/incidents/{id}/breach"]["put"].is_object());
}
