//! The web console over real sockets against a real SQLite store: security headers, login,
//! CSRF, roles, tenant isolation and the tenant switcher.

mod common;

use common::*;
use ww_web::WebConfig;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'";

fn harness() -> Harness {
    let mut h = Harness::new(WebConfig::default(), 16);
    h.seed();
    h.run_pipeline(Acking::Store);
    h
}

fn alert_state(h: &Harness, user: &str, id: i64) -> String {
    let r = h.get(&format!("/api/v1/alerts/{id}"), &Auth::Cookie(h.login(user)));
    r.json()["alert"]["state"].as_str().unwrap_or_default().to_owned()
}

fn assert_page_headers(r: &Resp, what: &str) {
    assert_eq!(r.header("content-security-policy").as_deref(), Some(CSP), "{what}");
    assert_eq!(r.header("x-frame-options").as_deref(), Some("DENY"), "{what}");
    assert_eq!(r.header("referrer-policy").as_deref(), Some("same-origin"), "{what}");
    assert_eq!(r.header("x-content-type-options").as_deref(), Some("nosniff"), "{what}");
}

#[test]
fn pages_carry_csp_and_security_headers_and_assets_are_served() {
    let h = harness();
    let mut anon = Browser::new(&h);
    let r = anon.get("/console/login");
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/html")));
    assert_page_headers(&r, "login page");
    // No inline script or style anywhere: the CSP would block them.
    assert!(!r.body.contains("<script>") && !r.body.contains("style="), "{}", r.body);
    assert!(r.body.contains("includeIndicatorStyles\":false"));

    let mut alice = Browser::logged_in(&h, "alice");
    for path in ["/console/", "/console/alerts", "/console/events", "/console/rules", "/console/audit"] {
        let r = alice.get(path);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_page_headers(&r, path);
        assert!(!r.body.contains(" style=\""), "{path} has an inline style");
        assert!(r.body.contains("<main id=\"main\""), "{path}");
        assert!(r.body.contains("href=\"#main\""), "{path}: skip link");
    }
    let r = alice.get(&format!("/console/alerts/{}", h.fx.alert_a));
    assert_page_headers(&r, "alert detail");
    let r = alice.get("/console/nowhere/at/all");
    assert_eq!(r.status, 404);

    for (path, ct) in [
        ("/assets/htmx-2.0.11.min.js", "text/javascript"),
        ("/assets/console.js", "text/javascript"),
        ("/assets/console.css", "text/css"),
    ] {
        let r = anon.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert!(r.header("content-type").is_some_and(|c| c.starts_with(ct)), "{path}");
        assert_eq!(r.header("x-content-type-options").as_deref(), Some("nosniff"), "{path}");
        assert!(r.header("cache-control").is_some_and(|c| c.contains("max-age")), "{path}");
        assert!(r.body.len() > 500, "{path}");
    }

    // `GET /`: browsers go to the console, shippers still get the Elasticsearch handshake.
    let r = anon.get("/");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location").as_deref(), Some("/console/"));
    let r = h.get("/", &Auth::Header("Accept", "application/json".into()));
    assert_eq!(r.json()["tagline"], "You Know, for Search");
}

#[test]
fn unauthenticated_pages_redirect_to_login_keeping_a_safe_next() {
    let h = harness();
    let mut anon = Browser::new(&h);
    let r = anon.get("/console/alerts?state=all");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location").as_deref(), Some("/console/login?next=%2Fconsole%2Falerts%3Fstate%3Dall"));
    for path in ["/console/", "/console/events", "/console/rules", "/console/audit", "/console/alerts/1"] {
        let r = anon.get(path);
        assert_eq!(r.status, 303, "{path}");
        assert!(r.header("location").is_some_and(|l| l.starts_with("/console/login")), "{path}");
    }
    // A forged session is no session.
    anon.set_cookie("ww_session", "0123456789abcdef");
    assert_eq!(anon.get("/console/").status, 303);
    anon.set_cookie("ww_session", "");

    // After login, the user lands on `next`; an off-site `next` lands on the dashboard.
    let r = anon.login("anna", PASSWORD, "/console/alerts?state=all");
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location").as_deref(), Some("/console/alerts?state=all"));
    for evil in ["https://evil.example/", "//evil.example/console/", "/console/\\evil", "/api/v1/me"] {
        let mut b = Browser::new(&h);
        let r = b.login("anna", PASSWORD, evil);
        assert_eq!(r.header("location").as_deref(), Some("/console/"), "{evil}");
    }
}

#[test]
fn login_logout_round_trip_and_failures_audited() {
    let h = harness();
    let mut b = Browser::new(&h);
    let r = b.login("alice", "wrong password", "/console/");
    assert_eq!(r.status, 401);
    assert!(r.body.contains("not right"), "{}", r.body);
    assert!(b.cookie("ww_session").is_none());
    let unknown = b.login("mallory", "wrong password", "/console/");
    assert_eq!(unknown.status, 401);

    // The login form needs its pre-session token and a same-site origin.
    let mut fresh = Browser::new(&h);
    let r = fresh.post("/console/login", &[("username", "alice"), ("password", PASSWORD), ("_csrf", "x")]);
    assert_eq!(r.status, 403);
    let page = fresh.get("/console/login");
    let token = csrf_of(&page.body);
    let r = fresh.send(
        "POST",
        "/console/login",
        Some(&[("username", "alice"), ("password", PASSWORD), ("_csrf", &token)]),
        &[("Origin", "https://evil.example")],
    );
    assert_eq!(r.status, 403);
    assert!(fresh.cookie("ww_session").is_none());

    let r = b.login("alice", PASSWORD, "/console/");
    assert_eq!(r.status, 303);
    let set: Vec<String> =
        r.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok().map(str::to_owned)).collect();
    let session = set.iter().find(|c| c.starts_with("ww_session=")).expect("session cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attr), "{session}");
    }
    let dash = b.get("/console/");
    assert_eq!(dash.status, 200);
    assert!(dash.body.contains("alice") && dash.body.contains("Sign out"));

    // Logout without the token is refused and the session lives on.
    let r = b.post("/console/logout", &[]);
    assert_eq!(r.status, 403);
    assert_eq!(b.get("/console/").status, 200);
    let csrf = b.csrf();
    let session_before = b.cookie("ww_session").expect("session");
    let r = b.post("/console/logout", &[("_csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location").as_deref(), Some("/console/login"));
    assert!(b.cookie("ww_session").is_none(), "cookie cleared");
    // The old session is gone server-side too.
    b.set_cookie("ww_session", &session_before);
    assert_eq!(b.get("/console/").status, 303);

    let audit = h.get("/api/v1/audit", &Auth::Cookie(h.login("sam"))).json();
    let failed: Vec<&serde_json::Value> = audit["items"]
        .as_array()
        .map(|a| a.iter().filter(|e| e["action"] == "login.failed").collect())
        .unwrap_or_default();
    assert_eq!(failed.len(), 2, "{audit}");
    assert!(failed.iter().any(|e| e["detail"]["username"] == "mallory"));
}

#[test]
fn csrf_missing_or_wrong_is_403_and_changes_nothing() {
    let h = harness();
    let id = h.fx.alert_a;
    let path = format!("/console/alerts/{id}/state");
    let mut anna = Browser::logged_in(&h, "anna");
    let csrf = anna.csrf();
    assert_eq!(csrf.len(), 64);

    let r = anna.post(&path, &[("to", "acknowledged")]);
    assert_eq!(r.status, 403, "{}", r.body);
    let r = anna.post(&path, &[("to", "acknowledged"), ("_csrf", &"0".repeat(64))]);
    assert_eq!(r.status, 403);
    let r = anna.send("POST", &path, Some(&[("to", "acknowledged")]), &[("X-CSRF-Token", "nope")]);
    assert_eq!(r.status, 403);
    // The right token from another site is still refused.
    let r = anna.send(
        "POST",
        &path,
        Some(&[("to", "acknowledged"), ("_csrf", &csrf)]),
        &[("Origin", "https://evil.example")],
    );
    assert_eq!(r.status, 403);
    // Another user's token does not fit this session.
    let mut alice = Browser::logged_in(&h, "alice");
    let alices = alice.csrf();
    assert_ne!(alices, csrf);
    assert_eq!(anna.post(&path, &[("to", "acknowledged"), ("_csrf", &alices)]).status, 403);
    assert_eq!(alert_state(&h, "anna", id), "new", "nothing changed");

    // With the token (as a same-origin browser sends it) the change goes through.
    let origin = h.base.clone();
    let r = anna.send(
        "POST",
        &path,
        Some(&[("to", "acknowledged"), ("_csrf", &csrf), ("next", "/console/alerts")]),
        &[("Origin", &origin)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location").as_deref(), Some("/console/alerts"));
    assert_eq!(alert_state(&h, "anna", id), "acknowledged");

    // htmx: token as a header, the updated row comes back for the swap.
    let target = format!("alert-{id}");
    let r = anna.send(
        "POST",
        &path,
        Some(&[("to", "escalated")]),
        &[("X-CSRF-Token", &csrf), ("HX-Request", "true"), ("HX-Target", &target)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.trim_start().starts_with(&format!("<tr id=\"alert-{id}\"")), "{}", r.body);
    assert!(r.body.contains("state-escalated"));
    assert_eq!(alert_state(&h, "anna", id), "escalated");
    // Closing needs a reason.
    assert_eq!(anna.post(&path, &[("to", "closed"), ("_csrf", &csrf)]).status, 400);
    let r = anna.post(&path, &[("to", "closed"), ("reason", "benign"), ("note", "test box"), ("_csrf", &csrf)]);
    assert_eq!(r.status, 303);
    let detail = anna.get(&format!("/console/alerts/{id}"));
    assert!(detail.body.contains("test box") && detail.body.contains("This alert is closed"), "{}", detail.body);
}

#[test]
fn read_only_user_sees_no_actions_and_cannot_acknowledge() {
    let h = harness();
    let id = h.fx.alert_a;
    let mut rita = Browser::logged_in(&h, "rita");
    let list = rita.get("/console/alerts");
    assert_eq!(list.status, 200);
    assert!(list.body.contains(&format!("id=\"alert-{id}\"")), "she sees the alert");
    assert!(!list.body.contains("name=\"to\""), "but no action buttons");
    let detail = rita.get(&format!("/console/alerts/{id}"));
    assert_eq!(detail.status, 200);
    assert!(!detail.body.contains("name=\"to\""));
    let csrf = csrf_of(&detail.body);
    let r = rita.post(&format!("/console/alerts/{id}/state"), &[("to", "acknowledged"), ("_csrf", &csrf)]);
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(alert_state(&h, "alice", id), "new");
    // No rule switches nor audit log for her either.
    let rules = rita.get("/console/rules");
    assert!(!rules.body.contains("/console/rules/toggle"));
    let r = rita.post(
        "/console/rules/toggle",
        &[("rule", "r-ssh"), ("tenant", "council-a"), ("enabled", "false"), ("_csrf", &csrf)],
    );
    assert_eq!(r.status, 403);
    assert_eq!(rita.get("/console/audit").status, 403);
    assert!(!rita.get("/console/").body.contains("/console/audit"), "no audit link in the nav");

    // An analyst gets the buttons; an admin can switch rules off for the tenant.
    let mut anna = Browser::logged_in(&h, "anna");
    assert!(anna.get("/console/alerts").body.contains("name=\"to\" value=\"acknowledged\""));
    let mut alice = Browser::logged_in(&h, "alice");
    let csrf = alice.csrf();
    let rules = alice.get("/console/rules");
    assert!(rules.body.contains("/console/rules/toggle"));
    let r = alice.post(
        "/console/rules/toggle",
        &[("rule", "r-ssh"), ("tenant", "council-a"), ("enabled", "false"), ("_csrf", &csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let flags = h.get("/api/v1/rules", &Auth::Cookie(h.login("alice"))).json();
    assert_eq!(flags[0]["tenants"][0]["enabled"], false, "{flags}");
    let audit = alice.get("/console/audit");
    assert_eq!(audit.status, 200);
    assert!(audit.body.contains("rule.disable"), "{}", audit.body);
}

#[test]
fn tenant_b_user_cannot_see_tenant_a_alert_through_the_pages() {
    let h = harness();
    let (a, b) = (h.fx.alert_a, h.fx.alert_b);
    let mut bob = Browser::logged_in(&h, "bob");
    let csrf = bob.csrf();
    assert_eq!(bob.get(&format!("/console/alerts/{a}")).status, 404);
    assert_eq!(bob.get(&format!("/console/alerts/{b}")).status, 200);
    let list = bob.get("/console/alerts?state=all");
    assert!(list.body.contains(&format!("id=\"alert-{b}\"")) && !list.body.contains(&format!("id=\"alert-{a}\"")));
    let r = bob.post(&format!("/console/alerts/{a}/state"), &[("to", "acknowledged"), ("_csrf", &csrf)]);
    assert_eq!(r.status, 404);
    assert_eq!(alert_state(&h, "alice", a), "new");
    let events = bob.get("/console/events");
    assert!(events.body.contains("secret of council b") && !events.body.contains("secret of council a"));
    let rules = bob.get("/console/rules");
    assert!(!rules.body.contains("council-a") && !rules.body.contains("Council A"));
    let dash = bob.get("/console/");
    assert!(!dash.body.contains("Council A"));
}

#[test]
fn tenant_switcher_refuses_a_tenant_outside_the_scope() {
    let h = harness();
    let (a, b) = (h.fx.alert_a, h.fx.alert_b);
    // Bob has one tenant: no switcher, and asking for another tenant is a missing tenant.
    let mut bob = Browser::logged_in(&h, "bob");
    let csrf = bob.csrf();
    assert!(!bob.get("/console/").body.contains("tenant-select"));
    let r = bob.post("/console/tenant", &[("tenant", "council-a"), ("_csrf", &csrf), ("next", "/console/")]);
    assert_eq!(r.status, 404);
    assert!(bob.cookie("ww_tenant").is_none());
    // A forged cookie is ignored: he still sees his own tenant only.
    bob.set_cookie("ww_tenant", "council-a");
    let list = bob.get("/console/alerts");
    assert!(list.body.contains(&format!("id=\"alert-{b}\"")) && !list.body.contains(&format!("id=\"alert-{a}\"")));

    // The service admin sees both, and narrows to one with the switcher.
    let mut sam = Browser::logged_in(&h, "sam");
    let csrf = sam.csrf();
    let all = sam.get("/console/alerts");
    assert!(all.body.contains("tenant-select"));
    assert!(all.body.contains(&format!("id=\"alert-{a}\"")) && all.body.contains(&format!("id=\"alert-{b}\"")));
    assert_eq!(sam.post("/console/tenant", &[("tenant", "council-b")]).status, 403, "CSRF applies here too");
    assert_eq!(sam.post("/console/tenant", &[("tenant", "no-such-council"), ("_csrf", &csrf)]).status, 404);
    let r = sam.post("/console/tenant", &[("tenant", "council-b"), ("_csrf", &csrf), ("next", "/console/alerts")]);
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location").as_deref(), Some("/console/alerts"));
    assert_eq!(sam.cookie("ww_tenant").as_deref(), Some("council-b"));
    let only_b = sam.get("/console/alerts");
    assert!(only_b.body.contains(&format!("id=\"alert-{b}\"")) && !only_b.body.contains(&format!("id=\"alert-{a}\"")));
    // Back to all councils.
    let r = sam.post("/console/tenant", &[("tenant", ""), ("_csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert!(sam.cookie("ww_tenant").is_none());
    assert!(sam.get("/console/alerts").body.contains(&format!("id=\"alert-{a}\"")));
}

#[test]
fn event_search_and_alert_filters_validate_their_input() {
    let h = harness();
    let mut alice = Browser::logged_in(&h, "alice");
    let r = alice.get("/console/events?q=secret&fields=msg%3Dsecret*");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("secret of council a"));
    let r = alice.get("/console/events?q=nothing-like-this");
    assert!(r.body.contains("No events match"));
    assert_eq!(alice.get("/console/events?from=yesterday").status, 400);
    assert_eq!(alice.get("/console/events?fields=no-equals-sign").status, 400);
    let r = alice.get("/console/events?from=2000-01-01T00%3A00&to=2000-01-02T00%3A00");
    assert!(r.body.contains("No events match"), "a range before the events finds nothing");
    assert_eq!(alice.get("/console/alerts?min_score=101").status, 400);
    assert_eq!(alice.get("/console/alerts?state=bogus").status, 400);
    let r = alice.get("/console/alerts?min_score=71");
    assert!(r.body.contains("No alerts match"), "the seeded alert scores 70");
    let r = alice.get("/console/alerts?entity=10.0.0.1&rule=r-ssh");
    assert!(r.body.contains(&format!("id=\"alert-{}\"", h.fx.alert_a)));
    let dash = alice.get("/console/");
    assert!(dash.body.contains("Rule r-ssh"), "top rules and recent serious alerts: {}", dash.body);
}
