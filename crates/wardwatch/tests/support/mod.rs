//! A real `wardwatch serve` process for integration tests: its own data directory, free
//! loopback ports, and helpers for the admin CLI and the HTTP API.

#![allow(dead_code)]

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_wardwatch"))
}

/// A port that was free a moment ago (bind to 0, read, release).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

pub struct Server {
    pub dir: tempfile::TempDir,
    pub http: u16,
    pub syslog_tcp: u16,
    pub syslog_udp: u16,
    child: Option<Child>,
}

impl Server {
    /// Writes a two-tenant config (wardshire with TCP and UDP syslog, eastmoor with TCP syslog)
    /// plus `extra` TOML, without starting the server.
    pub fn configure(extra: &str) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let (http, syslog_tcp, syslog_udp, east_tcp) = (free_port(), free_port(), free_port(), free_port());
        let cfg = format!(
            r#"version = 1
data_dir = "{data}"

[http]
listen = "127.0.0.1:{http}"

{store}
[[tenants]]
slug = "wardshire"
name = "Wardshire District Council"

[[tenants]]
slug = "eastmoor"
name = "Eastmoor Borough Council"

[[sources]]
name = "syslog-tcp"
tenant = "wardshire"
type = "syslog_tcp"
listen = "127.0.0.1:{syslog_tcp}"

[[sources]]
name = "syslog-udp"
tenant = "wardshire"
type = "syslog_udp"
listen = "127.0.0.1:{syslog_udp}"

[[sources]]
name = "east-syslog"
tenant = "eastmoor"
type = "syslog_tcp"
listen = "127.0.0.1:{east_tcp}"
{extra}
"#,
            data = dir.path().join("data").display(),
            store = if extra.contains("[store]") { "" } else { "[store]\nsynchronous = \"normal\"\n" },
        );
        std::fs::write(dir.path().join("wardwatch.toml"), cfg).expect("write config");
        Server { dir, http, syslog_tcp, syslog_udp, child: None }
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("wardwatch.toml")
    }

    pub fn start(extra: &str) -> Server {
        let mut s = Server::configure(extra);
        s.spawn();
        s
    }

    pub fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))
            .expect("log file");
        let child = Command::new(bin())
            .args(["serve", "--config"])
            .arg(self.config_path())
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start wardwatch serve");
        self.child = Some(child);
        self.wait_healthy();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                panic!("server exited with {status}:\n{}", self.log());
            }
            if ureq::get(&self.url("/api/v1/health")).call().is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("server did not become healthy:\n{}", self.log());
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http)
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait for a clean exit.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Runs `wardwatch admin --config <cfg> <args>` and returns stdout.
    pub fn admin(&self, args: &[&str]) -> String {
        admin_with_stdin(&self.config_path(), args, None)
    }

    pub fn create_user(&self, name: &str, password: &str, grants: &[&str]) {
        let mut args = vec!["user", "create", name, "--password-stdin"];
        args.extend_from_slice(grants);
        admin_with_stdin(&self.config_path(), &args, Some(password));
    }

    pub fn token(&self, tenant: &str, purpose: &str, extra: &[&str]) -> String {
        let mut args = vec!["token", "create", "--tenant", tenant, "--purpose", purpose, "--name", "test"];
        args.extend_from_slice(extra);
        self.admin(&args).lines().find(|l| l.starts_with("ww_")).expect("token printed").trim().to_owned()
    }

    /// Logs in and returns a session that sends its cookie with every request.
    pub fn login(&self, user: &str, password: &str) -> Session {
        let agent = agent();
        let resp = agent
            .post(&self.url("/api/v1/login"))
            .header("X-Requested-With", "wardwatch")
            .send_json(serde_json::json!({"username": user, "password": password}))
            .expect("login request");
        assert_eq!(resp.status().as_u16(), 200, "login failed");
        let cookie = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.split(';').next().filter(|c| c.starts_with("ww_session=")))
            .expect("session cookie")
            .to_owned();
        Session { agent, cookie }
    }
}

/// A logged-in user: each request carries the session cookie (no cookie jar, so two sessions
/// in one test never mix).
pub struct Session {
    agent: ureq::Agent,
    cookie: String,
}

impl Session {
    pub fn get(&self, url: &str) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        self.agent.get(url).header("Cookie", &self.cookie)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

pub fn admin_with_stdin(config: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut cmd = Command::new(bin());
    cmd.arg("admin").arg("--config").arg(config).args(args);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run admin");
    if let Some(s) = stdin
        && let Some(mut w) = child.stdin.take()
    {
        let _ = w.write_all(s.as_bytes());
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("admin output");
    assert!(out.status.success(), "admin {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An agent that does not turn 4xx/5xx into errors, so tests can assert on status codes.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}
