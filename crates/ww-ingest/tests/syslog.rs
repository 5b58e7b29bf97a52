//! Syslog listeners against real sockets on 127.0.0.1.
#![allow(clippy::unwrap_used)] // test helpers: a failure here is a test failure

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{pipeline, source, stats, wait_for};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::watch;
use ww_ingest::syslog::{Limits, serve_tcp, serve_udp};
use ww_ingest::{Intake, Shutdown};
use ww_metrics::{Gauge, Registry};

fn intake(capacity: usize) -> (Intake, tokio::sync::mpsc::Receiver<ww_ingest::IntakeBatch>) {
    Intake::new(capacity, Arc::new(Gauge::default()))
}

fn shutdown() -> (watch::Sender<bool>, Shutdown) {
    watch::channel(false)
}

struct Tcp {
    addr: std::net::SocketAddr,
    stats: Arc<ww_ingest::SourceStats>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), ww_ingest::IngestError>>,
}

async fn start_tcp(intake: Intake, limits: Limits, tls: Option<Arc<rustls::ServerConfig>>) -> Tcp {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let reg = Registry::new();
    let src = source("auto");
    let stats = stats(&reg, &src);
    let (stop, rx) = shutdown();
    let task = tokio::spawn(serve_tcp(listener, tls, src, intake, limits, stats.clone(), rx));
    Tcp { addr, stats, stop, task }
}

#[tokio::test]
async fn udp_batches_and_counts_drops_when_full() {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let (intake, mut rx) = intake(1);
    let reg = Registry::new();
    let src = source("syslog");
    let st = stats(&reg, &src);
    let limits = Limits { udp_batch_records: 5, udp_batch_delay: Duration::from_millis(300), ..Limits::default() };
    let (stop, sd) = shutdown();
    let task = tokio::spawn(serve_udp(socket, src, intake, limits, st.clone(), sd));
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let send = |i: usize| {
        let client = &client;
        async move { client.send_to(format!("<13>msg {i}\r\n").as_bytes(), addr).await.unwrap() }
    };
    // A full batch goes at once.
    for i in 0..5 {
        send(i).await;
    }
    let b = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await.unwrap().unwrap();
    assert!(b.ack.is_none(), "UDP batches are not ackable");
    let texts: Vec<_> = b.records.iter().map(|r| String::from_utf8_lossy(&r.bytes).into_owned()).collect();
    assert_eq!(texts, (0..5).map(|i| format!("<13>msg {i}")).collect::<Vec<_>>());
    assert_eq!(b.records[0].peer, Some(client.local_addr().unwrap().ip()));
    // Not drained: the next batch fills the queue, the one after is dropped and counted.
    for i in 5..15 {
        send(i).await;
    }
    wait_for("10 events accepted and 5 dropped", || st.events.get() == 10 && st.dropped.get() == 5).await;
    assert_eq!(st.status().dropped, 5);
    assert!(reg.render().contains("ww_udp_dropped_total{tenant=\"t1\",source=\"src\"} 5"));
    // A partial batch goes after the delay.
    assert_eq!(rx.recv().await.unwrap().records.len(), 5);
    send(99).await;
    let started = std::time::Instant::now();
    let b = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await.unwrap().unwrap();
    assert_eq!(b.records.len(), 1);
    assert!(started.elapsed() >= Duration::from_millis(200), "waited for the batch delay");
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(2), task).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn tcp_mixed_framing_split_across_reads() {
    let (intake, rx) = intake(8);
    let got = pipeline(rx);
    let tcp = start_tcp(intake, Limits::default(), None).await;
    let mut c = TcpStream::connect(tcp.addr).await.unwrap();
    let wire: &[u8] = b"<13>one\r\n9 <13>t\nw\no<14>thr";
    let rest: &[u8] = b"ee\n\n10 <13>four\0f\x00<13>six\n";
    for piece in [&wire[..3], &wire[3..12], &wire[12..], rest] {
        c.write_all(piece).await.unwrap();
        c.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    c.write_all(b"<13>last, no newline").await.unwrap();
    drop(c);
    wait_for("6 records", || got.lock().unwrap().records.len() == 6).await;
    {
        let g = got.lock().unwrap();
        let want = ["<13>one", "<13>t\nw\no", "<14>three", "<13>four\0f", "<13>six", "<13>last, no newline"];
        assert_eq!(g.texts(), want.map(String::from));
        assert!(g.records.iter().all(|r| r.peer == Some([127, 0, 0, 1].into())));
    }
    wait_for("connection count back to 0", || tcp.stats.connections.get() == 0).await;
    assert_eq!(tcp.stats.events.get(), 6);
}

#[tokio::test]
async fn tcp_reader_stops_at_a_full_window_of_unacknowledged_batches() {
    // The queue has room for many batches but nobody drains it, so no batch is ever
    // acknowledged: a reader that did not wait for acknowledgements would queue more than its
    // window of two.
    let (intake, mut rx) = intake(64);
    let limits = Limits { tcp_batch_records: 100, tcp_window: 2, ..Limits::default() };
    let tcp = start_tcp(intake, limits, None).await;
    let c = TcpStream::connect(tcp.addr).await.unwrap();
    let (rd, mut wr) = c.into_split();
    let line = format!("<13>{}\n", "x".repeat(1019)); // 1 KiB per message
    let writer = tokio::spawn(async move {
        let mut written = 0usize;
        // Far more than any kernel buffer: writing all of it means the listener kept reading.
        while written < 256 << 20 {
            match tokio::time::timeout(Duration::from_secs(1), wr.write_all(line.as_bytes())).await {
                Ok(Ok(())) => written += line.len(),
                _ => return (written, true),
            }
        }
        (written, false)
    });
    let (written, blocked) = writer.await.unwrap();
    assert!(blocked, "the sender was never blocked ({written} bytes written)");
    // Exactly the window was taken, each batch within the batch limit, and nothing since.
    let first = rx.try_recv().expect("first batch queued");
    let second = rx.try_recv().expect("second batch queued");
    assert!(first.records.len() <= 100 && second.records.len() <= 100);
    assert!(rx.try_recv().is_err(), "nothing submitted past the window");
    assert_eq!(tcp.stats.events.get(), 0, "nothing counted before the acknowledgement");
    // Acknowledge the oldest: it is counted and reading resumes.
    let n = first.records.len() as u64;
    first.ack.unwrap().send(Ok(())).unwrap();
    let next = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await.unwrap().unwrap();
    assert!(!next.records.is_empty());
    assert_eq!(tcp.stats.events.get(), n);
    assert!(rx.try_recv().is_err(), "still at most two unacknowledged");
    drop((rd, second, next));
}

#[tokio::test]
async fn tcp_oversized_message_is_cut_and_counted() {
    let (intake, rx) = intake(4);
    let got = pipeline(rx);
    let tcp = start_tcp(intake, Limits { max_message: 16, ..Limits::default() }, None).await;
    let mut c = TcpStream::connect(tcp.addr).await.unwrap();
    c.write_all(b"<13>0123456789abcdefXYZ\n<13>ok\n").await.unwrap();
    wait_for("2 records", || got.lock().unwrap().records.len() == 2).await;
    assert_eq!(got.lock().unwrap().texts(), vec!["<13>0123456789ab", "<13>ok"]);
    assert_eq!(tcp.stats.oversized.get(), 1);
}

#[tokio::test]
async fn tcp_connection_limit_closes_excess() {
    let (intake, rx) = intake(4);
    let got = pipeline(rx);
    let tcp = start_tcp(intake, Limits { max_connections: 1, ..Limits::default() }, None).await;
    let mut c1 = TcpStream::connect(tcp.addr).await.unwrap();
    c1.write_all(b"<13>first\n").await.unwrap();
    wait_for("first connection served", || got.lock().unwrap().records.len() == 1).await;
    assert_eq!(tcp.stats.connections.get(), 1);
    let mut c2 = TcpStream::connect(tcp.addr).await.unwrap();
    let r = tokio::time::timeout(Duration::from_secs(2), c2.read(&mut [0u8; 16])).await.expect("closed at once");
    assert!(matches!(r, Ok(0) | Err(_)), "{r:?}");
    wait_for("rejection counted", || tcp.stats.rejected.get() == 1).await;
    // The first connection still works; once it closes, a new one is accepted.
    c1.write_all(b"<13>second\n").await.unwrap();
    wait_for("second record", || got.lock().unwrap().records.len() == 2).await;
    drop(c1);
    wait_for("slot free", || tcp.stats.connections.get() == 0).await;
    let mut c3 = TcpStream::connect(tcp.addr).await.unwrap();
    c3.write_all(b"<13>third\n").await.unwrap();
    wait_for("third record", || got.lock().unwrap().records.len() == 3).await;
}

#[tokio::test]
async fn tcp_slow_loris_is_closed() {
    let (intake, rx) = intake(4);
    let got = pipeline(rx);
    let limits = Limits { message_timeout: Duration::from_millis(300), ..Limits::default() };
    let tcp = start_tcp(intake, limits, None).await;
    let mut c = TcpStream::connect(tcp.addr).await.unwrap();
    // One byte every 50 ms, never finishing the message.
    let start = std::time::Instant::now();
    let mut closed = false;
    while start.elapsed() < Duration::from_secs(3) {
        if c.write_all(b"a").await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(closed, "a sender that never finishes a message must be cut off");
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert!(got.lock().unwrap().records.is_empty());
    wait_for("connection closed", || tcp.stats.connections.get() == 0).await;
}

#[tokio::test]
async fn tls_round_trip_and_shutdown() {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let server = ww_ingest::tls::server_config(&cert, &key).unwrap();
    let (intake, rx) = intake(4);
    let got = pipeline(rx);
    let tcp = start_tcp(intake, Limits::default(), Some(server)).await;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(ck.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let stream = TcpStream::connect(tcp.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, stream).await.unwrap();
    tls.write_all(b"<13>over tls\n27 <165>1 - h app - - - octets").await.unwrap();
    tls.flush().await.unwrap();
    wait_for("2 records", || got.lock().unwrap().records.len() == 2).await;
    assert_eq!(got.lock().unwrap().texts(), vec!["<13>over tls", "<165>1 - h app - - - octets"]);

    // A plain-text client on the TLS port is refused and counted.
    let mut plain = TcpStream::connect(tcp.addr).await.unwrap();
    plain.write_all(b"<13>not tls\n").await.unwrap();
    wait_for("failed handshake counted", || tcp.stats.rejected.get() == 1).await;

    // Shutdown closes open connections and the listener returns.
    tcp.stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(2), tcp.task).await.unwrap().unwrap().unwrap();
    assert_eq!(tcp.stats.connections.get(), 0);
    assert_eq!(got.lock().unwrap().records.len(), 2);
}

/// Throughput of one TCP connection with an acknowledging pipeline. Run with
/// `cargo test -p ww-ingest --test syslog -- --ignored --nocapture tcp_throughput`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement, not a check"]
async fn tcp_throughput() {
    let (intake, rx) = intake(64);
    let got = pipeline(rx);
    let tcp = start_tcp(intake, Limits::default(), None).await;
    let line = format!("<13>Jan  1 00:00:00 host app[1]: {}\n", "x".repeat(160));
    let n = 500_000usize;
    let payload = line.repeat(10_000);
    let mut c = TcpStream::connect(tcp.addr).await.unwrap();
    let start = std::time::Instant::now();
    for _ in 0..n / 10_000 {
        c.write_all(payload.as_bytes()).await.unwrap();
    }
    drop(c);
    let g = got.clone();
    let started = std::time::Instant::now();
    while g.lock().unwrap().records.len() < n {
        assert!(started.elapsed() < Duration::from_secs(60));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let secs = start.elapsed().as_secs_f64();
    let batches = g.lock().unwrap().batches.len();
    println!(
        "{n} messages of {} bytes in {secs:.2} s: {:.0} msg/s, {:.1} MB/s, {batches} batches",
        line.len(),
        n as f64 / secs,
        (n * line.len()) as f64 / secs / 1e6
    );
}
