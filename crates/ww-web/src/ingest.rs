//! `POST /api/v1/ingest` and what it shares with `_bulk`: body decoding, queue submission with a
//! bounded wait, and waiting for the durable acknowledgement.

use std::io::Read;
use std::net::IpAddr;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use ww_ingest::{AckReceiver, IntakeError, RawRecord, SourceInfo};
use ww_store::{ApiToken, Timestamp};

use crate::Ctx;
use crate::auth::{Ingester, Peer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::views::IngestResponse;

/// The request body, inflated when it is gzip (Beats and Vector may compress), never larger
/// than `limit` bytes either way.
pub(crate) fn body_bytes(headers: &HeaderMap, body: Bytes, limit: usize) -> ApiResult<Bytes> {
    let enc = headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).map(str::trim);
    match enc.map(str::to_ascii_lowercase).as_deref() {
        None | Some("identity") => Ok(body),
        Some("gzip") => {
            let mut out = Vec::new();
            let mut dec = flate2::read::GzDecoder::new(&body[..]).take(limit as u64 + 1);
            dec.read_to_end(&mut out).map_err(|_| ApiError::BadRequest("body: invalid gzip data".into()))?;
            if out.len() > limit {
                return Err(ApiError::TooLarge(format!("body: larger than {limit} bytes once decompressed")));
            }
            Ok(Bytes::from(out))
        }
        Some(_) => Err(ApiError::Unsupported("Content-Encoding: only gzip is supported".into())),
    }
}

/// Parses one line as a JSON object, naming the 1-based line on failure.
pub(crate) fn parse_object_line(line: &[u8], lineno: usize) -> ApiResult<serde_json::Map<String, serde_json::Value>> {
    match serde_json::from_slice::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::BadRequest(format!("line {lineno}: expected a JSON object"))),
        Err(e) => Err(ApiError::BadRequest(format!("line {lineno}: {e}"))),
    }
}

/// Non-blank lines with their 1-based numbers (a trailing `\r` is dropped).
pub(crate) fn ndjson_lines(body: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    body.split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
}

fn compact(doc: &serde_json::Map<String, serde_json::Value>) -> ApiResult<Vec<u8>> {
    serde_json::to_vec(doc).map_err(|_| ApiError::Internal)
}

pub(crate) fn record(bytes: Vec<u8>, peer: Option<IpAddr>, now: Timestamp) -> RawRecord {
    RawRecord { received_at: now, bytes, peer, context: None }
}

/// The documents of an ingest body, each as compact JSON bytes.
fn documents(content_type: &str, body: &[u8], max_docs: usize) -> ApiResult<Vec<Vec<u8>>> {
    let too_many = || ApiError::TooLarge(format!("more than {max_docs} documents in one request"));
    let mut docs = Vec::new();
    match content_type {
        "application/json" => {
            let v: serde_json::Value = serde_json::from_slice(body)
                .map_err(|e| ApiError::BadRequest(format!("line {}: {e}", e.line().max(1))))?;
            match v {
                serde_json::Value::Object(m) => docs.push(compact(&m)?),
                serde_json::Value::Array(items) => {
                    if items.len() > max_docs {
                        return Err(too_many());
                    }
                    for (i, item) in items.into_iter().enumerate() {
                        match item {
                            serde_json::Value::Object(m) => docs.push(compact(&m)?),
                            _ => {
                                return Err(ApiError::BadRequest(format!(
                                    "document {}: expected a JSON object",
                                    i + 1
                                )));
                            }
                        }
                    }
                }
                _ => return Err(ApiError::BadRequest("line 1: expected a JSON object or an array of objects".into())),
            }
        }
        "application/x-ndjson" | "application/ndjson" => {
            for (n, line) in ndjson_lines(body) {
                if docs.len() == max_docs {
                    return Err(too_many());
                }
                docs.push(compact(&parse_object_line(line, n)?)?);
            }
        }
        _ => {
            return Err(ApiError::Unsupported(
                "Content-Type: expected application/json or application/x-ndjson".into(),
            ));
        }
    }
    Ok(docs)
}

pub(crate) fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The tenant's slug for the token (the intake labels batches with it).
pub(crate) async fn source_for(ctx: &Ctx, tok: &ApiToken, name: String) -> ApiResult<Arc<SourceInfo>> {
    let slug = crate::service::slugs(ctx).await?.of(tok.tenant);
    Ok(Arc::new(SourceInfo { tenant: tok.tenant, tenant_slug: slug, name, format: "json".into() }))
}

/// Queues one batch, waiting at most the configured time for room.
pub(crate) async fn submit(ctx: &Ctx, source: Arc<SourceInfo>, records: Vec<RawRecord>) -> ApiResult<AckReceiver> {
    let wait = ctx.app.config.queue_wait;
    match tokio::time::timeout(wait, ctx.app.intake.submit(source, records, None)).await {
        Ok(Ok(rx)) => Ok(rx),
        Ok(Err(IntakeError::Closed)) => Err(ApiError::Unavailable("the server is shutting down".into())),
        Ok(Err(IntakeError::Full)) | Err(_) => {
            ctx.m.ingest_queue_full.inc();
            Err(ApiError::QueueFull)
        }
    }
}

/// Waits until the pipeline says the batch is durable.
pub(crate) async fn durable(rx: AckReceiver) -> ApiResult<()> {
    match rx.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "ingest batch not stored");
            Err(ApiError::Unavailable("events could not be stored, retry later".into()))
        }
        Err(_) => Err(ApiError::Unavailable("the server is shutting down".into())),
    }
}

#[utoipa::path(post, path = "/api/v1/ingest", tag = "ingest",
    request_body(content = String, description = "One JSON object, an array of objects (application/json), or one object per line (application/x-ndjson). May be gzip (Content-Encoding).",
                 content_type = "application/x-ndjson"),
    responses((status = 200, description = "Every document is durably stored", body = IngestResponse),
              (status = 400, description = "Malformed body; names the line. Nothing was queued.", body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, description = "Not an ingest token", body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 429, description = "Queue full; see Retry-After", body = ErrorBody),
              (status = 503, description = "Could not be stored; see Retry-After", body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn ingest(
    State(ctx): State<Ctx>,
    Ingester(tok): Ingester,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<IngestResponse>> {
    let body = body_bytes(&headers, body, ctx.app.config.ingest_body_limit)?;
    let docs = documents(&media_type(&headers), &body, ctx.app.config.ingest_max_docs)?;
    let n = docs.len();
    if n == 0 {
        return Ok(Json(IngestResponse { accepted: 0 }));
    }
    let now = chrono::Utc::now();
    let ip = peer.map(|p| p.ip());
    let records = docs.into_iter().map(|d| record(d, ip, now)).collect();
    let source = source_for(&ctx, &tok, tok.source.clone().unwrap_or_else(|| "http".into())).await?;
    let rx = submit(&ctx, source, records).await?;
    durable(rx).await?;
    ctx.m.ingest_docs.add(n as u64);
    Ok(Json(IngestResponse { accepted: n }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_names_the_bad_line() {
        let body = b"{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":\n";
        match documents("application/x-ndjson", body, 10) {
            Err(ApiError::BadRequest(m)) => assert!(m.starts_with("line 4: "), "{m}"),
            other => panic!("unexpected {other:?}"),
        }
        let ok = documents("application/x-ndjson", b"{\"a\":1}\n\n{\"b\" : 2}\r\n", 10).expect("valid");
        assert_eq!(ok, vec![b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]);
    }

    #[test]
    fn json_array_and_limits() {
        let ok = documents("application/json", b"[{\"x\":1},{\"y\":[1,2]}]", 10).expect("valid");
        assert_eq!(ok.len(), 2);
        assert!(matches!(documents("application/json", b"[{},{},{}]", 2), Err(ApiError::TooLarge(_))));
        assert!(
            matches!(documents("application/json", b"[{}, 3]", 5), Err(ApiError::BadRequest(m)) if m.starts_with("document 2"))
        );
        assert!(matches!(documents("text/plain", b"{}", 5), Err(ApiError::Unsupported(_))));
        // serde_json's recursion limit turns absurd nesting into an error, not a stack overflow.
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(documents("application/json", deep.as_bytes(), 5), Err(ApiError::BadRequest(_))));
    }

    #[test]
    fn gzip_bodies_are_inflated_within_the_limit() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&[b'{'; 4096]).expect("write");
        let gz = Bytes::from(enc.finish().expect("finish"));
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_ENCODING, "gzip".parse().expect("header"));
        assert_eq!(body_bytes(&h, gz.clone(), 8192).expect("fits").len(), 4096);
        assert!(matches!(body_bytes(&h, gz, 1000), Err(ApiError::TooLarge(_))));
    }
}
