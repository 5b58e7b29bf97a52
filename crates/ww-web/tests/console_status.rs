//! Affected services of an incident (console page and API), the public service-status page and
//! notification settings, over real sockets against a real SQLite store.

mod common;

use chrono::Utc;
use common::*;
use ww_store::{
    Actor, IncidentCategory, IncidentOrigin, IncidentSeverity, IncidentStatus, IncidentUpdate, NewIncident,
    ServiceStatus, Store, TenantScope,
};
use ww_web::WebConfig;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'";

const TITLE: &str = "Ransomware on the revenues file server";
const NOTE: &str = "Attacker used the contractor VPN account";

fn harness() -> Harness {
    let mut h = Harness::new(WebConfig::default(), 16);
    h.seed();
    h.run_pipeline(Acking::Store);
    h
}

/// Opens an incident of council A (with a note) straight through the store.
fn incident_a(h: &Harness) -> i64 {
    let store = h.store.clone();
    let a = h.fx.a.clone().expect("tenant a");
    h.rt.block_on(async move {
        let new = NewIncident {
            tenant: a.id,
            title: TITLE.into(),
            summary: "Files encrypted overnight".into(),
            category: IncidentCategory::Ransomware,
            origin: IncidentOrigin::Malicious,
            severity: IncidentSeverity::High,
            owner: Some("anna".into()),
        };
        let inc = store.create_incident(&new, &Actor::user("anna")).await.expect("incident");
        store.add_note(&TenantScope::one(a.id), inc.id, a.id, NOTE, &Actor::user("anna")).await.expect("note");
        inc.id
    })
}

fn set_status(h: &Harness, incident: i64, service: &str, status: ServiceStatus, at: chrono::DateTime<Utc>) {
    let store = h.store.clone();
    let a = h.fx.a.clone().expect("tenant a").id;
    let service = service.to_owned();
    h.rt.block_on(async move {
        store
            .set_service_status(&TenantScope::one(a), incident, a, &service, status, at, &Actor::user("anna"))
            .await
            .expect("service status");
    });
}

fn assert_no_incident_details(body: &str, incident: i64) {
    for secret in [TITLE, NOTE, "Files encrypted", "anna", &format!("INC-{incident}"), "/console"] {
        assert!(!body.contains(secret), "the public status page shows {secret:?}: {body}");
    }
}

#[test]
fn public_page_shows_a_service_down_then_restored_and_nothing_about_the_incident() {
    let h = harness();
    let id = incident_a(&h);
    let mut anon = Browser::new(&h);

    let r = anon.get("/status/council-a");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Council A"));
    assert!(r.body.contains("All services are running normally"), "{}", r.body);

    // An analyst records the service as down through the API.
    let anna = Auth::Cookie(h.login("anna"));
    let down_at = Utc::now() - chrono::Duration::hours(3);
    let r = h.post_json(
        &format!("/api/v1/incidents/{id}/services"),
        &anna,
        serde_json::json!({"service": "Council tax payments", "status": "down", "at": down_at.to_rfc3339()}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status_label"], "Unavailable");
    assert_eq!(r.json()["tenant"], "council-a");

    let r = anon.get("/status/council-a");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-security-policy").as_deref(), Some(CSP));
    assert_eq!(r.header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(r.header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(r.header("cache-control").as_deref(), Some("public, max-age=30"));
    assert!(r.header("set-cookie").is_none(), "the public page sets no cookie");
    assert!(r.body.contains("Council tax payments"), "{}", r.body);
    assert!(r.body.contains("Unavailable</span> since"), "{}", r.body);
    assert!(r.body.contains(&ww_core::time::format_london_minutes(&down_at)), "{}", r.body);
    assert!(!r.body.contains("All services are running normally"));
    assert!(r.body.contains("/assets/status.css") && !r.body.contains("/assets/console.css"));
    assert!(!r.body.contains(" style=\"") && !r.body.contains("<script"));
    assert_no_incident_details(&r.body, id);

    let j = anon.get("/status/council-a.json");
    assert_eq!(j.status, 200);
    assert!(j.header("content-type").is_some_and(|c| c.starts_with("application/json")));
    assert_eq!(j.header("cache-control").as_deref(), Some("public, max-age=30"));
    assert_no_incident_details(&j.body, id);
    let v = j.json();
    assert_eq!(v["council"], "Council A");
    assert_eq!(v["all_running"], false);
    assert_eq!(v["affected"][0]["service"], "Council tax payments");
    assert_eq!(v["affected"][0]["status"], "down");
    assert_eq!(v["restored"].as_array().map(Vec::len), Some(0));
    let keys: Vec<&String> = v["affected"][0].as_object().expect("object").keys().collect();
    assert_eq!(keys, ["service", "status", "status_label", "affected_since", "status_since", "restored_at"]);

    // Council B's page knows nothing of it.
    let r = anon.get("/status/council-b");
    assert!(r.body.contains("All services are running normally") && !r.body.contains("Council tax"));

    // Restored through the console form, at a UK time typed in.
    let mut alice = Browser::logged_in(&h, "alice");
    let csrf = alice.csrf();
    let back = Utc::now() - chrono::Duration::minutes(30);
    let local = ww_core::time::to_london(&back).format("%Y-%m-%dT%H:%M").to_string();
    let r = alice.post(
        &format!("/console/incidents/{id}/services"),
        &[
            ("_csrf", &csrf),
            ("tenant", "council-a"),
            ("service", "Council tax payments"),
            ("status", "restored"),
            ("at", &local),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.header("location").is_some_and(|l| l.starts_with(&format!("/console/incidents/{id}/services?saved="))));

    let r = anon.get("/status/council-a");
    assert!(r.body.contains("All services are running normally"), "{}", r.body);
    let minute = ww_core::time::london_to_utc(
        chrono::NaiveDateTime::parse_from_str(&local, "%Y-%m-%dT%H:%M").expect("local time"),
    );
    let expected = format!(
        "Restored</span> <time datetime=\"{}\">{}</time>",
        ww_core::time::format_utc(&minute),
        ww_core::time::format_london_minutes(&minute)
    );
    assert!(r.body.contains(&expected), "{expected} in {}", r.body);
    assert!(r.body.contains("Back to normal in the last 7 days"));
    assert_no_incident_details(&r.body, id);
    let v = anon.get("/status/council-a.json").json();
    assert_eq!(v["all_running"], true);
    assert_eq!(v["restored"][0]["service"], "Council tax payments");
    assert_eq!(v["restored"][0]["status_label"], "Restored");
}

#[test]
fn restored_services_of_a_closed_incident_leave_the_public_page_after_seven_days() {
    let h = harness();
    let id = incident_a(&h);
    let now = Utc::now();
    set_status(&h, id, "Planning portal", ServiceStatus::Down, now - chrono::Duration::days(10));
    set_status(&h, id, "Planning portal", ServiceStatus::Restored, now - chrono::Duration::days(9));
    set_status(&h, id, "Libraries", ServiceStatus::Degraded, now - chrono::Duration::days(4));
    set_status(&h, id, "Libraries", ServiceStatus::Restored, now - chrono::Duration::days(2));
    set_status(&h, id, "Parking permits and appeals", ServiceStatus::Down, now - chrono::Duration::days(1));
    let store = h.store.clone();
    let a = h.fx.a.clone().expect("a").id;
    h.rt.block_on(async move {
        let close = IncidentUpdate { status: Some(IncidentStatus::Closed), ..IncidentUpdate::default() };
        store.update_incident(&TenantScope::one(a), id, &close, &Actor::user("alice")).await.expect("close");
    });
    let mut anon = Browser::new(&h);
    let r = anon.get("/status/council-a");
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("Planning portal"), "restored nine days ago: {}", r.body);
    assert!(r.body.contains("Libraries"), "restored two days ago: {}", r.body);
    // A service left "down" when the incident closed is no longer claimed to be down.
    assert!(!r.body.contains("Parking permits"), "{}", r.body);
    assert!(r.body.contains("All services are running normally"));
    let v = anon.get("/status/council-a.json").json();
    assert_eq!(v["restored"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["affected"].as_array().map(Vec::len), Some(0));
}

#[test]
fn an_unknown_council_is_404_without_details() {
    let h = harness();
    let mut anon = Browser::new(&h);
    for path in ["/status/no-such-council", "/status/Council-A", "/status/council-a%2F..", "/status/.json"] {
        let r = anon.get(path);
        assert_eq!(r.status, 404, "{path}: {}", r.body);
        assert!(!r.body.contains("Council A") && !r.body.contains("council-b"), "{path}: {}", r.body);
    }
    let r = anon.get("/status/no-such-council");
    assert!(r.body.contains("Page not found"));
    assert_eq!(r.header("content-security-policy").as_deref(), Some(CSP));
    let r = anon.get("/status/no-such-council.json");
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "not found");
}

#[test]
fn another_councils_user_cannot_see_or_set_services() {
    let h = harness();
    let id = incident_a(&h);
    set_status(&h, id, "Libraries", ServiceStatus::Down, Utc::now());
    let bob = Auth::Cookie(h.login("bob"));
    let path = format!("/api/v1/incidents/{id}/services");
    assert_eq!(h.get(&path, &bob).status, 404);
    let r = h.post_json(&path, &bob, serde_json::json!({"service": "Libraries", "status": "restored"}));
    assert_eq!(r.status, 404, "{}", r.body);
    let r = h.post_json(
        &path,
        &bob,
        serde_json::json!({"tenant": "council-b", "service": "Libraries", "status": "restored"}),
    );
    assert_eq!(r.status, 404, "{}", r.body);

    let mut b = Browser::logged_in(&h, "bob");
    let page = format!("/console/incidents/{id}/services");
    let r = b.get(&page);
    assert_eq!(r.status, 404);
    assert!(!r.body.contains(TITLE));
    let csrf = b.csrf();
    let r =
        b.post(&page, &[("_csrf", &csrf), ("tenant", "council-a"), ("service", "Libraries"), ("status", "restored")]);
    assert_eq!(r.status, 404, "{}", r.body);

    // Alice (council A) may not name council B either.
    let alice = Auth::Cookie(h.login("alice"));
    let r = h.post_json(
        &path,
        &alice,
        serde_json::json!({"tenant": "council-b", "service": "Libraries", "status": "restored"}),
    );
    assert_eq!(r.status, 404, "{}", r.body);
    let v = h.get(&path, &alice).json();
    assert_eq!(v["services"][0]["status"], "down", "nothing changed");
}

#[test]
fn read_only_users_see_services_but_no_form_and_get_403() {
    let h = harness();
    let id = incident_a(&h);
    set_status(&h, id, "Libraries", ServiceStatus::Down, Utc::now());
    let mut rita = Browser::logged_in(&h, "rita");
    let page = format!("/console/incidents/{id}/services");
    let r = rita.get(&page);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Libraries") && r.body.contains("Unavailable"));
    assert!(!r.body.contains("name=\"service\""), "no form for read-only users");
    assert!(!r.body.contains("Mark restored"));
    assert!(r.body.contains("You can read these services but not change them"));
    let csrf = rita.csrf();
    let r = rita.post(&page, &[("_csrf", &csrf), ("service", "Libraries"), ("status", "restored")]);
    assert_eq!(r.status, 403, "{}", r.body);
    // Invalid input is still 403, not a form with errors.
    let r = rita.post(&page, &[("_csrf", &csrf), ("service", ""), ("status", "restored")]);
    assert_eq!(r.status, 403, "{}", r.body);
    let r = h.post_json(
        &format!("/api/v1/incidents/{id}/services"),
        &Auth::Cookie(h.login("rita")),
        serde_json::json!({"service": "Libraries", "status": "restored"}),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let v = h.get(&format!("/api/v1/incidents/{id}/services"), &Auth::Cookie(h.login("rita"))).json();
    assert_eq!(v["services"][0]["status"], "down");
}

#[test]
fn service_forms_need_the_csrf_token() {
    let h = harness();
    let id = incident_a(&h);
    let mut alice = Browser::logged_in(&h, "alice");
    let page = format!("/console/incidents/{id}/services");
    let r = alice.post(&page, &[("service", "Libraries"), ("status", "down")]);
    assert_eq!(r.status, 403, "{}", r.body);
    let r = alice.post(&page, &[("_csrf", "0000"), ("service", "Libraries"), ("status", "down")]);
    assert_eq!(r.status, 403, "{}", r.body);
    let r = alice.post("/console/settings", &[("email", "alice@council-a.gov.uk")]);
    assert_eq!(r.status, 403, "{}", r.body);
    // The cookie-authenticated API needs X-Requested-With.
    let r = h.request(
        "POST",
        &format!("/api/v1/incidents/{id}/services"),
        &Auth::Header("Cookie", format!("ww_session={}", h.login("alice"))),
        Some("application/json"),
        Some(br#"{"service": "Libraries", "status": "down"}"#),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let v = h.get(&format!("/api/v1/incidents/{id}/services"), &Auth::Cookie(h.login("alice"))).json();
    assert_eq!(v["services"].as_array().map(Vec::len), Some(0));
}

#[test]
fn services_page_lists_history_offers_council_services_and_explains_errors() {
    let h = harness();
    let id = incident_a(&h);
    let mut alice = Browser::logged_in(&h, "alice");
    let page = format!("/console/incidents/{id}/services");
    let r = alice.get(&page);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-security-policy").as_deref(), Some(CSP));
    assert!(r.body.contains("<option value=\"Council tax payments\">"), "datalist from the breach policy");
    assert!(r.body.contains("href=\"/status/council-a\"") && r.body.contains("Public status page for Council A"));
    assert!(r.body.contains(TITLE), "the console shows the incident");

    let csrf = csrf_of(&r.body);
    let r = alice.post(
        &page,
        &[("_csrf", &csrf), ("tenant", "council-a"), ("service", " "), ("status", "sideways"), ("at", "yesterday")],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("There is a problem"));
    assert!(
        r.body.contains("id=\"svc-service-error\"")
            && r.body.contains("aria-describedby=\"svc-service-hint svc-service-error\"")
    );
    assert!(r.body.contains("id=\"svc-status-error\"") && r.body.contains("aria-describedby=\"svc-status-error\""));
    assert!(r.body.contains("id=\"svc-at-error\"") && r.body.contains("value=\"yesterday\""));
    assert!(r.body.contains("aria-invalid=\"true\""));

    let future =
        ww_core::time::to_london(&(Utc::now() + chrono::Duration::days(1))).format("%Y-%m-%dT%H:%M").to_string();
    let r = alice.post(&page, &[("_csrf", &csrf), ("service", "Libraries"), ("status", "down"), ("at", &future)]);
    assert_eq!(r.status, 400);
    assert!(r.body.contains("cannot be in the future") && r.body.contains("value=\"Libraries\""));

    let r = alice.post(&page, &[("_csrf", &csrf), ("service", "Libraries"), ("status", "down"), ("at", "")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let r = alice.post(&page, &[("_csrf", &csrf), ("service", "Libraries"), ("status", "degraded")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let loc = r.header("location").expect("location");
    let r = alice.get(&loc);
    assert!(r.body.contains("<strong>Saved.</strong> The status of Libraries"), "{}", r.body);
    assert!(r.body.contains("Partly available"));
    assert!(r.body.contains("2 changes"), "{}", r.body);
    assert!(r.body.contains("by user:alice"));
    assert!(r.body.contains("Mark restored"));

    let v = h.get(&format!("/api/v1/incidents/{id}/services"), &Auth::Cookie(h.login("anna"))).json();
    assert_eq!(v["tenants"][0], "council-a");
    let s = &v["services"][0];
    assert_eq!(s["service"], "Libraries");
    assert_eq!(s["status"], "degraded");
    assert_eq!(s["history"].as_array().map(Vec::len), Some(2));
    assert_eq!(s["history"][0]["status"], "down");
    assert!(s["restored_at"].is_null());

    // The API names the fields it refuses.
    let r = h.post_json(
        &format!("/api/v1/incidents/{id}/services"),
        &Auth::Cookie(h.login("anna")),
        serde_json::json!({"service": "", "status": "gone"}),
    );
    assert_eq!(r.status, 400);
    let msg = r.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(msg.contains("service:") && msg.contains("status:"), "{msg}");
    // An unknown incident is 404 for everyone.
    assert_eq!(alice.get("/console/incidents/999999/services").status, 404);
}

#[test]
fn notification_settings_round_trip_validate_and_audit() {
    let h = harness();
    let mut alice = Browser::logged_in(&h, "alice");
    let r = alice.get("/console/settings");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("href=\"/console/settings\" aria-current=\"page\">Settings</a>"));
    assert_eq!(r.header("content-security-policy").as_deref(), Some(CSP));
    let csrf = csrf_of(&r.body);

    let r = alice.post(
        "/console/settings",
        &[
            ("_csrf", &csrf),
            ("email", "not an address"),
            ("webhook_url", "http://intranet.local/hook"),
            ("tasks_due", "on"),
        ],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("id=\"set-email-error\"")
            && r.body.contains("aria-describedby=\"set-email-hint set-email-error\"")
    );
    assert!(r.body.contains("id=\"set-webhook_url-error\""));
    assert!(r.body.contains("aria-describedby=\"set-webhook_url-hint set-webhook_url-error\""));
    assert!(r.body.contains("plain http is only allowed to this machine"));
    assert!(r.body.contains("value=\"not an address\""), "the value typed stays");
    assert!(r.body.contains("id=\"set-tasks\" name=\"tasks_due\" value=\"on\" checked"));

    let r = alice.post(
        "/console/settings",
        &[
            ("_csrf", &csrf),
            ("email", " alice@council-a.gov.uk "),
            ("webhook_url", "https://hooks.example.org/ww"),
            ("serious_alerts", "on"),
            ("ico_deadlines", "on"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location").as_deref(), Some("/console/settings?saved=1"));
    let r = alice.get("/console/settings?saved=1");
    assert!(r.body.contains("Your settings are saved"));
    assert!(r.body.contains("value=\"alice@council-a.gov.uk\""));
    assert!(r.body.contains("name=\"serious_alerts\" value=\"on\" checked"));
    assert!(!r.body.contains("name=\"tasks_due\" value=\"on\" checked"));

    let cookie = Auth::Cookie(h.login("alice"));
    let v = h.get("/api/v1/me/notifications", &cookie).json();
    assert_eq!(v["email"], "alice@council-a.gov.uk");
    assert_eq!(v["webhook_url"], "https://hooks.example.org/ww");
    assert_eq!((v["serious_alerts"].as_bool(), v["tasks_due"].as_bool()), (Some(true), Some(false)));

    let r = h.request(
        "PUT",
        "/api/v1/me/notifications",
        &cookie,
        Some("application/json"),
        Some(br#"{"email": "nope", "webhook_url": null, "tasks_due": true}"#),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.json()["error"].as_str().is_some_and(|e| e.starts_with("email:")), "{}", r.body);
    let r = h.request(
        "PUT",
        "/api/v1/me/notifications",
        &cookie,
        Some("application/json"),
        Some(br#"{"email": "", "webhook_url": "https://hooks.example.org/other", "tasks_due": true}"#),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["email"].is_null());
    let store = h.store.clone();
    let prefs = h.rt.block_on(async move {
        let u = store.user_by_name("alice").await.expect("alice").user;
        store.notification_prefs(u.id).await.expect("prefs")
    });
    assert_eq!(prefs.email, None);
    assert_eq!(prefs.webhook_url.as_deref(), Some("https://hooks.example.org/other"));
    assert!(prefs.tasks_due && !prefs.serious_alerts);

    // Tokens have no settings.
    let token = Auth::Bearer(h.fx.api_a.clone());
    assert_eq!(h.get("/api/v1/me/notifications", &token).status, 403);

    // Every change is audited, without the addresses.
    let store = h.store.clone();
    let (a, b) = (h.fx.a.clone().expect("a").id, h.fx.b.clone().expect("b").id);
    let log =
        h.rt.block_on(async move { store.audit_log(&TenantScope::new(vec![a, b]), 100, None).await.expect("audit") });
    let changes: Vec<_> = log.items.iter().filter(|r| r.entry.action == "settings.notifications").collect();
    assert_eq!(changes.len(), 2);
    for c in changes {
        assert_eq!(c.entry.actor.name, "user:alice");
        let detail = c.entry.detail.to_string();
        assert!(!detail.contains('@') && !detail.contains("hooks.example"), "{detail}");
    }
}
