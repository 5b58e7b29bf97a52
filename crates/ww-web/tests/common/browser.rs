//! A browser-like client for the console tests: no redirects followed, cookies kept by hand
//! (one jar per `Browser`, so two users never share a session), forms URL-encoded.

use std::time::Duration;

use super::{Harness, PASSWORD, Resp};

pub struct Browser<'a> {
    h: &'a Harness,
    agent: ureq::Agent,
    cookies: Vec<(String, String)>,
}

impl<'a> Browser<'a> {
    pub fn new(h: &'a Harness) -> Browser<'a> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            // Generous: evidence uploads of 25 MiB go through debug builds.
            .timeout_global(Some(Duration::from_secs(60)))
            // No pooling: after refusing an oversized upload the server closes the
            // connection without reading the body, and a reused pooled connection
            // then fails the next request with "Peer disconnected".
            .max_idle_connections(0)
            .build()
            .into();
        Browser { h, agent, cookies: Vec::new() }
    }

    /// Logs in through the console's own form and keeps the session cookie.
    pub fn logged_in(h: &'a Harness, user: &str) -> Browser<'a> {
        let mut b = Browser::new(h);
        let r = b.login(user, PASSWORD, "/console/");
        assert_eq!(r.status, 303, "login {user}: {}", r.body);
        assert!(b.cookie("ww_session").is_some());
        b
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(k, _)| k != name);
        if !value.is_empty() {
            self.cookies.push((name.to_owned(), value.to_owned()));
        }
    }

    /// The session cookie's value.
    pub fn session(&self) -> String {
        self.cookie("ww_session").expect("session")
    }

    /// Sends a request with an optional body of the given type and extra headers. A transport
    /// failure (the server may close the connection while a refused upload is still being sent)
    /// comes back as status 0 with the error as the body.
    pub fn send_raw(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
        extra: &[(&str, &str)],
    ) -> Resp {
        let url = format!("{}{}", self.h.base, path);
        let mut req = ureq::http::Request::builder().method(method).uri(&url).header("Accept", "text/html");
        if !self.cookies.is_empty() {
            let c: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            req = req.header("Cookie", c.join("; "));
        }
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let resp = match body {
            Some(b) => self.agent.run(req.body(b).expect("request")),
            None => self.agent.run(req.body(()).expect("request")),
        };
        let mut resp = match resp {
            Ok(r) => r,
            Err(e) => return Resp { status: 0, headers: Default::default(), body: e.to_string() },
        };
        for v in resp.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap_or_default();
            if let Some((k, rest)) = v.split(';').next().and_then(|kv| kv.split_once('=')) {
                let expired = v.contains("Max-Age=0");
                self.set_cookie(k, if expired { "" } else { rest });
            }
        }
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        Resp { status, headers, body }
    }

    /// Sends a request with an optional URL-encoded form and extra headers.
    pub fn send(&mut self, method: &str, path: &str, form: Option<&[(&str, &str)]>, extra: &[(&str, &str)]) -> Resp {
        match form {
            Some(pairs) => {
                let body = encode_form(pairs).into_bytes();
                self.send_raw(method, path, Some("application/x-www-form-urlencoded"), Some(body), extra)
            }
            None => self.send_raw(method, path, None, None, extra),
        }
    }

    pub fn get(&mut self, path: &str) -> Resp {
        self.send("GET", path, None, &[])
    }

    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        self.send("POST", path, Some(form), &[])
    }

    /// A CSRF token for this session, from the dashboard's forms.
    pub fn csrf(&mut self) -> String {
        let r = self.get("/console/");
        assert_eq!(r.status, 200, "{}", r.body);
        csrf_of(&r.body)
    }

    pub fn login(&mut self, user: &str, password: &str, next: &str) -> Resp {
        let page = self.get(&format!(
            "/console/login?next={}",
            form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        ));
        assert_eq!(page.status, 200, "{}", page.body);
        let token = csrf_of(&page.body);
        self.post("/console/login", &[("username", user), ("password", password), ("next", next), ("_csrf", &token)])
    }
}

pub fn encode_form(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// The `_csrf` value of the first form on a page.
pub fn csrf_of(body: &str) -> String {
    let at = body.find("name=\"_csrf\" value=\"").expect("a form with _csrf");
    let rest = &body[at + 20..];
    rest[..rest.find('"').expect("end of value")].to_owned()
}
