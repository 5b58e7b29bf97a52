//! Delivery to real peers: an SMTP server (Python's aiosmtpd, installed by `.ci/run`) and an
//! HTTP receiver on loopback.

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ww_notify::smtp::{SmtpConfig, SmtpSecurity};
use ww_notify::webhook::WebhookPolicy;
use ww_notify::{Destination, Message, NotificationKind, Sender};

fn message() -> Message {
    Message {
        kind: NotificationKind::IcoDeadline,
        key: "ico-warning:7:2".into(),
        subject: "[wardwatch] ICO deadline 20 h left: INC-7 at Southby".into(),
        text: "The 72-hour deadline is near.".into(),
        link: Some("https://ww.example/console/incidents/7/breach".into()),
        data: serde_json::json!({"incident_id": 7}),
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

struct Smtpd(Child);
impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn email_reaches_a_real_smtp_server() {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: python3 with aiosmtpd is not installed (pip install aiosmtpd; .ci/run does)");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mbox = dir.path().join("mbox");
    let port = free_port();
    let _server = Smtpd(
        Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&mbox)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "aiosmtpd did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sender = Sender::new(
        Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "wardwatch <wardwatch@council.example>".into(),
            timeout: Duration::from_secs(10),
        }),
        WebhookPolicy::default(),
    )
    .expect("sender");
    sender.send(&Destination::Email("dpo@council.example".into()), &message()).await.expect("sent");

    // aiosmtpd's Mailbox handler writes an mbox file (a maildir-style folder on some versions).
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        let text = read_all(&mbox);
        if text.contains("ICO deadline") || Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(text.contains("Subject: [wardwatch] ICO deadline 20 h left: INC-7 at Southby"), "got: {text}");
    assert!(text.contains("dpo@council.example"));
    assert!(text.contains("Open in wardwatch: https://ww.example/console/incidents/7/breach"));
}

fn read_all(path: &std::path::Path) -> String {
    if path.is_file() {
        return std::fs::read_to_string(path).unwrap_or_default();
    }
    let mut out = String::new();
    for entry in walk(path) {
        out.push_str(&std::fs::read_to_string(entry).unwrap_or_default());
    }
    out
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                files.extend(walk(&p));
            } else {
                files.push(p);
            }
        }
    }
    files
}

/// Answers one HTTP request with `status` and returns the request it read.
async fn receive_one(listener: tokio::net::TcpListener, status: &'static str) -> String {
    let (mut sock, _) = listener.accept().await.expect("accept");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = sock.read(&mut chunk).await.expect("read");
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(head_end) = text.find("\r\n\r\n") {
            let len = text[..head_end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= head_end + 4 + len {
                break;
            }
        }
    }
    let reply = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    sock.write_all(reply.as_bytes()).await.expect("reply");
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn webhook_posts_json_and_reports_refusals() {
    let sender = Sender::new(None, WebhookPolicy::default()).expect("sender");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let got = tokio::spawn(receive_one(listener, "204 No Content"));
    sender.send(&Destination::Webhook(url), &message()).await.expect("delivered");
    let request = got.await.expect("receiver");
    assert!(request.starts_with("POST /hook HTTP/1.1"));
    let body = &request[request.find("\r\n\r\n").expect("body") + 4..];
    let json: serde_json::Value = serde_json::from_str(body).expect("json body");
    assert_eq!(json["kind"], "ico_deadline");
    assert_eq!(json["data"]["incident_id"], 7);

    // A receiver that refuses is an error, not a silent success.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let got = tokio::spawn(receive_one(listener, "500 Internal Server Error"));
    let err = sender.send(&Destination::Webhook(url), &message()).await.expect_err("refused");
    assert!(err.to_string().contains("HTTP 500"), "{err}");
    got.await.expect("receiver");

    // Email without SMTP settings says so.
    let err = sender.send(&Destination::Email("a@b.example".into()), &message()).await.expect_err("no smtp");
    assert!(err.to_string().contains("notify.smtp"));
    // Non-loopback plain http is refused before any connection.
    let err = sender.send(&Destination::Webhook("http://192.0.2.1/x".into()), &message()).await.expect_err("policy");
    assert!(err.to_string().contains("https"));
}
