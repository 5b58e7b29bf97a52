//! Syslog listeners: UDP (RFC 5426, one message per datagram) and TCP/TLS (RFC 6587 framing,
//! RFC 5425 over TLS).
//!
//! UDP cannot be acknowledged: datagrams are batched (≈1,000 or ≈10 ms) and offered to the
//! queue with `try_submit`; when it is full the batch is dropped and counted. TCP is the durable
//! path: a connection reads what is available (up to a batch), submits it, and reads nothing more
//! until the batch is acknowledged as stored, so a slow pipeline pushes back on the sender through
//! the kernel's buffers.

use std::collections::VecDeque;
use std::future::pending;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until, timeout, timeout_at};

use crate::framing::{Frame, Framer};
use crate::intake::{AckError, AckReceiver, Intake, IntakeError, RawRecord, SourceInfo};
use crate::stats::SourceStats;
use crate::{IngestError, Shutdown, stopped};

/// Limits and batching for the syslog listeners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest message kept, in bytes; longer ones are cut and counted (`oversized`).
    pub max_message: usize,
    /// Open connections per TCP listener; more are closed at once and counted (`rejected`).
    pub max_connections: usize,
    /// A connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// A connection that has started a message and not finished it within this long is closed
    /// (slow-loris).
    pub message_timeout: Duration,
    /// A TLS handshake must finish within this long.
    pub tls_handshake_timeout: Duration,
    /// UDP: records per batch.
    pub udp_batch_records: usize,
    /// UDP: longest wait before a partial batch is submitted.
    pub udp_batch_delay: Duration,
    /// TCP: most records one connection submits at once.
    pub tcp_batch_records: usize,
    /// TCP: batches one connection may have queued and not yet stored. Reading stops at this
    /// many, so memory stays bounded, while the next batch is parsed and matched as the store
    /// commits the previous one.
    pub tcp_window: usize,
    /// Most bytes read into one batch (TCP) or held in one batch (UDP).
    pub batch_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message: 64 * 1024,
            max_connections: 512,
            idle_timeout: Duration::from_secs(600),
            message_timeout: Duration::from_secs(30),
            tls_handshake_timeout: Duration::from_secs(10),
            udp_batch_records: 1000,
            udp_batch_delay: Duration::from_millis(10),
            tcp_batch_records: 5000,
            tcp_window: 4,
            batch_bytes: 1 << 20,
        }
    }
}

/// Largest UDP payload.
const DATAGRAM: usize = 65_536;

/// Receives syslog datagrams until shutdown. Returns an error only if the socket fails for good.
pub async fn serve_udp(
    socket: UdpSocket,
    source: Arc<SourceInfo>,
    intake: Intake,
    limits: Limits,
    stats: Arc<SourceStats>,
    mut shutdown: Shutdown,
) -> Result<(), IngestError> {
    let mut buf = vec![0u8; DATAGRAM];
    let mut batch = UdpBatch::default();
    let mut deadline: Option<Instant> = None;
    let mut errors_in_row = 0u32;
    loop {
        let wait = async {
            match deadline {
                Some(d) => sleep_until(d).await,
                None => pending().await,
            }
        };
        tokio::select! {
            biased;
            () = stopped(&mut shutdown) => {
                batch.flush(&intake, &source, &stats);
                return Ok(());
            }
            () = wait => {
                deadline = None;
                if !batch.flush(&intake, &source, &stats) {
                    return Ok(());
                }
            }
            r = socket.recv_from(&mut buf) => match r {
                Ok((n, peer)) => {
                    errors_in_row = 0;
                    batch.add(&buf[..n], peer.ip(), limits.max_message, &stats);
                    if batch.records.len() >= limits.udp_batch_records || batch.bytes >= limits.batch_bytes {
                        deadline = None;
                        if !batch.flush(&intake, &source, &stats) {
                            return Ok(());
                        }
                    } else if deadline.is_none() && !batch.records.is_empty() {
                        deadline = Some(Instant::now() + limits.udp_batch_delay);
                    }
                }
                Err(error) => {
                    // Transient errors (ICMP feedback, ENOBUFS) must not stop the listener; a
                    // socket that only fails is given up.
                    errors_in_row += 1;
                    if errors_in_row > 1000 {
                        return Err(IngestError::Socket { source_name: source.name.clone(), error });
                    }
                    tracing::debug!(source = %source.name, %error, "UDP receive failed");
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        }
    }
}

#[derive(Default)]
struct UdpBatch {
    records: Vec<RawRecord>,
    bytes: usize,
}

impl UdpBatch {
    fn add(&mut self, datagram: &[u8], peer: IpAddr, max: usize, stats: &SourceStats) {
        let mut d = datagram;
        while let Some((last, rest)) = d.split_last() {
            if matches!(last, b'\n' | b'\r' | b'\0') {
                d = rest;
            } else {
                break;
            }
        }
        if d.is_empty() {
            return;
        }
        if d.len() > max {
            stats.oversized.inc();
            d = &d[..max];
        }
        self.bytes += d.len();
        self.records.push(RawRecord { received_at: Utc::now(), bytes: d.to_vec(), peer: Some(peer), context: None });
    }

    /// Offers the batch to the queue; a full queue drops it (counted). False once the intake
    /// is closed.
    fn flush(&mut self, intake: &Intake, source: &Arc<SourceInfo>, stats: &SourceStats) -> bool {
        if self.records.is_empty() {
            return true;
        }
        let records = std::mem::take(&mut self.records);
        let (n, bytes) = (records.len(), std::mem::take(&mut self.bytes));
        let last = records.last().map(|r| r.received_at).unwrap_or_else(Utc::now);
        match intake.try_submit(source.clone(), records, false) {
            Ok(_) => {
                stats.accepted(n, bytes, last);
                true
            }
            Err(IntakeError::Full) => {
                stats.dropped.add(n as u64);
                tracing::debug!(source = %source.name, records = n, "intake queue full: UDP batch dropped");
                true
            }
            Err(IntakeError::Closed) => false,
        }
    }
}

/// Accepts syslog connections (TLS when `tls` is given) until shutdown, then waits for the open
/// connections to finish their batch and close.
pub async fn serve_tcp(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    source: Arc<SourceInfo>,
    intake: Intake,
    limits: Limits,
    stats: Arc<SourceStats>,
    mut shutdown: Shutdown,
) -> Result<(), IngestError> {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut tasks = JoinSet::new();
    let mut errors_in_row = 0u32;
    loop {
        tokio::select! {
            biased;
            () = stopped(&mut shutdown) => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    errors_in_row = 0;
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        stats.rejected.inc();
                        tracing::debug!(source = %source.name, "connection limit reached: connection closed");
                        drop(stream);
                        continue;
                    };
                    let conn = Conn {
                        source: source.clone(),
                        intake: intake.clone(),
                        limits,
                        stats: stats.clone(),
                        peer: peer.ip(),
                    };
                    let acceptor = acceptor.clone();
                    let shutdown = shutdown.clone();
                    tasks.spawn(async move {
                        let _permit = permit;
                        conn.stats.connections.add(1);
                        let reason = conn.run(stream, acceptor, shutdown).await;
                        conn.stats.connections.add(-1);
                        tracing::debug!(source = %conn.source.name, reason, "syslog connection closed");
                    });
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off rather than spin.
                    errors_in_row += 1;
                    if errors_in_row > 1000 {
                        return Err(IngestError::Socket { source_name: source.name.clone(), error });
                    }
                    tracing::warn!(source = %source.name, %error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
    drop(listener);
    while tasks.join_next().await.is_some() {}
    Ok(())
}

struct Conn {
    source: Arc<SourceInfo>,
    intake: Intake,
    limits: Limits,
    stats: Arc<SourceStats>,
    peer: IpAddr,
}

impl Conn {
    async fn run(
        &self,
        stream: TcpStream,
        acceptor: Option<tokio_rustls::TlsAcceptor>,
        shutdown: Shutdown,
    ) -> &'static str {
        match acceptor {
            None => self.read_loop(stream, shutdown).await,
            Some(acceptor) => match timeout(self.limits.tls_handshake_timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => self.read_loop(tls, shutdown).await,
                Ok(Err(_)) => {
                    self.stats.rejected.inc();
                    "TLS handshake failed"
                }
                Err(_) => {
                    self.stats.rejected.inc();
                    "TLS handshake timed out"
                }
            },
        }
    }

    /// Reads, frames and submits until the peer closes, a limit closes the connection, or
    /// shutdown. Returns why it stopped.
    async fn read_loop<S: AsyncRead + Unpin>(&self, mut stream: S, mut shutdown: Shutdown) -> &'static str {
        let limits = &self.limits;
        let mut framer = Framer::new(limits.max_message);
        let mut buf = vec![0u8; 64 * 1024];
        let mut frames: Vec<Frame> = Vec::new();
        let mut last_read = Instant::now();
        let mut partial_since: Option<Instant> = None;
        let mut inflight: VecDeque<Submitted> = VecDeque::new();
        loop {
            let deadline = match partial_since {
                Some(t) => t + limits.message_timeout,
                None => last_read + limits.idle_timeout,
            };
            let n = tokio::select! {
                biased;
                () = stopped(&mut shutdown) => return self.settle_all(&mut inflight, "shutdown").await,
                // Count stored batches as they are acknowledged, even while the peer is quiet.
                r = async { (&mut inflight[0].ack).await }, if !inflight.is_empty() => {
                    let done = inflight.pop_front().map(|s| (s.n, s.bytes, s.received_at));
                    if let Err(reason) = self.settled(r, done) {
                        return reason;
                    }
                    continue;
                }
                r = timeout_at(deadline, stream.read(&mut buf)) => match r {
                    Err(_) if partial_since.is_some() => return "a message was not completed in time",
                    Err(_) => return "idle",
                    Ok(Err(_)) => return "read error",
                    Ok(Ok(n)) => n,
                },
            };
            let mut closing = None;
            if n == 0 {
                framer.finish(&mut frames);
                closing = Some("closed by peer");
            } else {
                framer.push(&buf[..n], &mut frames);
                // Take what else has arrived, up to a batch, without waiting for more.
                let mut got = n;
                while frames.len() < limits.tcp_batch_records && got < limits.batch_bytes {
                    match timeout(Duration::ZERO, stream.read(&mut buf)).await {
                        Ok(Ok(0)) => {
                            framer.finish(&mut frames);
                            closing = Some("closed by peer");
                            break;
                        }
                        Ok(Ok(m)) => {
                            framer.push(&buf[..m], &mut frames);
                            got += m;
                        }
                        Ok(Err(_)) => {
                            closing = Some("read error");
                            break;
                        }
                        Err(_) => break, // nothing more ready
                    }
                }
            }
            let now = Instant::now();
            last_read = now;
            if !frames.is_empty() || !framer.has_partial() {
                partial_since = framer.has_partial().then_some(now);
            } else if partial_since.is_none() {
                partial_since = Some(now);
            }
            // One read can frame more than a batch: submit in batches, never more than the window
            // unstored at once.
            while !frames.is_empty() {
                let rest = frames.split_off(frames.len().min(limits.tcp_batch_records.max(1)));
                let batch = std::mem::replace(&mut frames, rest);
                match self.submit(batch).await {
                    Ok(s) => inflight.push_back(s),
                    Err(reason) => return self.settle_all(&mut inflight, reason).await,
                }
                while inflight.len() >= limits.tcp_window.max(1) {
                    if let Err(reason) = self.settle_oldest(&mut inflight).await {
                        return self.settle_all(&mut inflight, reason).await;
                    }
                }
            }
            if let Some(reason) = closing {
                return self.settle_all(&mut inflight, reason).await;
            }
        }
    }

    /// Waits for the oldest unstored batch.
    async fn settle_oldest(&self, inflight: &mut VecDeque<Submitted>) -> Result<(), &'static str> {
        match inflight.pop_front() {
            Some(s) => {
                let r = s.ack.await;
                self.settled(r, Some((s.n, s.bytes, s.received_at)))
            }
            None => Ok(()),
        }
    }

    /// Waits for every unstored batch (so that the counts are right), then gives `reason`.
    async fn settle_all(&self, inflight: &mut VecDeque<Submitted>, reason: &'static str) -> &'static str {
        while !inflight.is_empty() {
            if let Err(r) = self.settle_oldest(inflight).await {
                inflight.clear();
                return r;
            }
        }
        reason
    }

    /// Counts a batch once the store has it; a batch that was not stored closes the connection.
    fn settled(
        &self,
        r: Result<Result<(), AckError>, tokio::sync::oneshot::error::RecvError>,
        done: Option<(usize, usize, chrono::DateTime<Utc>)>,
    ) -> Result<(), &'static str> {
        match r {
            Ok(Ok(())) => {
                if let Some((n, bytes, received_at)) = done {
                    self.stats.accepted(n, bytes, received_at);
                }
                Ok(())
            }
            Ok(Err(e)) => {
                tracing::warn!(source = %self.source.name, error = %e, "batch not stored: closing the connection");
                Err("batch not stored")
            }
            Err(_) => Err("intake dropped the batch"),
        }
    }

    /// Queues one batch; it is durable once its acknowledgement arrives.
    async fn submit(&self, frames: Vec<Frame>) -> Result<Submitted, &'static str> {
        let received_at = Utc::now();
        let mut bytes = 0;
        let records: Vec<RawRecord> = frames
            .into_iter()
            .map(|f| {
                if f.truncated {
                    self.stats.oversized.inc();
                }
                bytes += f.bytes.len();
                RawRecord { received_at, bytes: f.bytes, peer: Some(self.peer), context: None }
            })
            .collect();
        let n = records.len();
        let ack = self.intake.submit(self.source.clone(), records, None).await.map_err(|_| "intake closed")?;
        Ok(Submitted { ack, n, bytes, received_at })
    }
}

/// A batch queued by a TCP connection and not yet acknowledged.
struct Submitted {
    ack: AckReceiver,
    n: usize,
    bytes: usize,
    received_at: chrono::DateTime<Utc>,
}
