//! Enough of the Elasticsearch HTTP API that Beats, Vector, Fluent Bit and rsyslog's
//! omelasticsearch send to wardwatch unchanged: the info document, `_bulk`, and the setup calls
//! shippers make first (answered with plausible bodies; nothing is configured by them).
//!
//! `GET /` (and `HEAD /`) answer without credentials, with the info document only, because
//! several shippers probe it before sending credentials. Everything else needs an ingest token.

use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use base64::Engine;
use rand::RngCore;
use serde_json::{Value, json};

use crate::Ctx;
use crate::auth::{Ingester, Peer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::ingest::{body_bytes, durable, ndjson_lines, parse_object_line, record, source_for, submit};

/// A stable fake UUID: shippers only display it.
const CLUSTER_UUID: &str = "d2FyZHdhdGNoLWNsdXN0ZXI";

fn info_body(ctx: &Ctx) -> Value {
    let c = &ctx.app.config;
    json!({
        "name": c.es_cluster_name,
        "cluster_name": c.es_cluster_name,
        "cluster_uuid": CLUSTER_UUID,
        "version": {
            "number": c.es_version,
            "build_flavor": "default",
            "build_type": "wardwatch",
            "build_hash": "0000000000000000000000000000000000000000",
            "build_date": "2023-11-04T10:04:57.184859352Z",
            "build_snapshot": false,
            "lucene_version": "9.8.0",
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0"
        },
        "tagline": "You Know, for Search"
    })
}

#[utoipa::path(get, path = "/", tag = "elasticsearch",
    responses((status = 200, description = "Elasticsearch-style info document (also answers HEAD); no credentials needed", content_type = "application/json"),
              (status = 303, description = "Browsers (an `Accept` header preferring text/html) are sent to the console at `/console/`")))]
pub(crate) async fn info(State(ctx): State<Ctx>, headers: HeaderMap) -> axum::response::Response {
    use axum::response::IntoResponse;
    if prefers_html(&headers) {
        return crate::console::see_other("/console/");
    }
    Json(info_body(&ctx)).into_response()
}

/// Whether the `Accept` header ranks text/html above JSON: browsers do, shippers send
/// application/json, `*/*` or nothing.
pub(crate) fn prefers_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok()) else { return false };
    let (mut html, mut json) = (0.0f32, 0.0f32);
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q =
            parts.filter_map(|p| p.trim().strip_prefix("q=")).find_map(|v| v.trim().parse::<f32>().ok()).unwrap_or(1.0);
        match media.as_str() {
            "text/html" | "application/xhtml+xml" => html = html.max(q),
            "application/json" => json = json.max(q),
            _ => {}
        }
    }
    html > 0.0 && html > json
}

#[utoipa::path(get, path = "/_cluster/health", tag = "elasticsearch",
    responses((status = 200, content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn cluster_health(State(ctx): State<Ctx>, _tok: Ingester) -> Json<Value> {
    Json(json!({
        "cluster_name": ctx.app.config.es_cluster_name,
        "status": "green",
        "timed_out": false,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "active_primary_shards": 0,
        "active_shards": 0,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": 0,
        "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": 100.0
    }))
}

#[utoipa::path(get, path = "/_license", tag = "elasticsearch",
    responses((status = 200, content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn license(_tok: Ingester) -> Json<Value> {
    Json(json!({
        "license": {
            "status": "active",
            "uid": CLUSTER_UUID,
            "type": "basic",
            "issue_date": "2023-01-01T00:00:00.000Z",
            "issue_date_in_millis": 1_672_531_200_000_i64,
            "max_nodes": 1000,
            "issued_to": "wardwatch",
            "issuer": "elasticsearch",
            "start_date_in_millis": -1
        }
    }))
}

#[utoipa::path(get, path = "/_xpack", tag = "elasticsearch",
    responses((status = 200, content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn xpack(_tok: Ingester) -> Json<Value> {
    Json(json!({
        "build": { "hash": "0000000000000000000000000000000000000000", "date": "2023-11-04T10:04:57.184859352Z" },
        "license": { "uid": CLUSTER_UUID, "type": "basic", "mode": "basic", "status": "active" },
        "features": {}
    }))
}

fn clip(name: &str) -> String {
    name.chars().take(255).collect()
}

#[utoipa::path(get, path = "/_index_template/{name}", tag = "elasticsearch", params(("name" = String, Path)),
    responses((status = 200, description = "A template matching `name*` (also answers HEAD)", content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn get_index_template(_tok: Ingester, Path(name): Path<String>) -> Json<Value> {
    let name = clip(&name);
    Json(json!({
        "index_templates": [{
            "name": name,
            "index_template": { "index_patterns": [format!("{name}*")], "template": {}, "composed_of": [], "priority": 150 }
        }]
    }))
}

#[utoipa::path(put, path = "/_index_template/{name}", tag = "elasticsearch", params(("name" = String, Path)),
    responses((status = 200, description = "Accepted and ignored", content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn put_acknowledged(_tok: Ingester) -> Json<Value> {
    Json(json!({ "acknowledged": true }))
}

/// Documentation-only twins of [`put_acknowledged`] (one handler serves three paths).
#[utoipa::path(put, path = "/_template/{name}", tag = "elasticsearch", params(("name" = String, Path)),
    responses((status = 200, description = "Accepted and ignored", content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[allow(dead_code)]
pub(crate) async fn put_template_doc() {}

#[utoipa::path(put, path = "/_ilm/policy/{name}", tag = "elasticsearch", params(("name" = String, Path)),
    responses((status = 200, description = "Accepted and ignored", content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[allow(dead_code)]
pub(crate) async fn put_ilm_policy_doc() {}

#[utoipa::path(get, path = "/_template/{name}", tag = "elasticsearch", params(("name" = String, Path)),
    responses((status = 200, description = "A legacy template matching `name*` (also answers HEAD)", content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn get_template(_tok: Ingester, Path(name): Path<String>) -> Json<Value> {
    let name = clip(&name);
    let mut m = serde_json::Map::new();
    m.insert(
        name.clone(),
        json!({ "order": 1, "index_patterns": [format!("{name}*")], "settings": {}, "mappings": {}, "aliases": {} }),
    );
    Json(Value::Object(m))
}

#[utoipa::path(get, path = "/_ilm/policy/{name}", tag = "elasticsearch", params(("name" = String, Path)),
    responses((status = 200, description = "An empty policy (also answers HEAD)", content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn get_ilm_policy(_tok: Ingester, Path(name): Path<String>) -> Json<Value> {
    let mut m = serde_json::Map::new();
    m.insert(
        clip(&name),
        json!({ "version": 1, "modified_date": "2023-01-01T00:00:00.000Z", "policy": { "phases": {} } }),
    );
    Json(Value::Object(m))
}

#[utoipa::path(get, path = "/_nodes", tag = "elasticsearch",
    responses((status = 200, description = "One node; `/_nodes/{rest}` answers the same", content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn nodes(State(ctx): State<Ctx>, _tok: Ingester) -> Json<Value> {
    let c = &ctx.app.config;
    Json(json!({
        "_nodes": { "total": 1, "successful": 1, "failed": 0 },
        "cluster_name": c.es_cluster_name,
        "nodes": {
            "d2FyZHdhdGNo": {
                "name": c.es_cluster_name,
                "version": c.es_version,
                "build_flavor": "default",
                "roles": ["data", "ingest", "master"],
                "http": { "publish_address": "127.0.0.1:9200" }
            }
        }
    }))
}

#[utoipa::path(get, path = "/_nodes/{rest}", tag = "elasticsearch", params(("rest" = String, Path, description = "Any node selector or metric path")),
    responses((status = 200, description = "Same as `/_nodes`", content_type = "application/json"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[allow(dead_code)]
pub(crate) async fn nodes_rest_doc() {}

/// The source name for an index: date, version and rollover suffixes stripped
/// (`winlogbeat-8.11.0-2026.11.21` → `winlogbeat`), restricted to `[A-Za-z0-9_.-]`.
pub(crate) fn source_from_index(index: &str) -> String {
    let index = index.trim_start_matches('.');
    let index = index.strip_prefix("ds-").unwrap_or(index);
    let mut parts: Vec<&str> = index.split('-').collect();
    while parts.len() > 1
        && parts.last().is_some_and(|p| {
            p.is_empty()
                || (p.starts_with(|c: char| c.is_ascii_digit()) && p.chars().all(|c| c.is_ascii_digit() || c == '.'))
        })
    {
        parts.pop();
    }
    let name: String = parts
        .join("-")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        .take(64)
        .collect();
    if name.is_empty() { "bulk".into() } else { name }
}

fn random_id() -> String {
    let mut b = [0u8; 15];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// One parsed item of a bulk body, in order.
enum Item {
    /// A document to store: (action, index, id, compact JSON).
    Doc { action: &'static str, index: String, id: String, doc: Vec<u8> },
    /// An action we answer per item without failing the batch.
    Unsupported { action: String, index: String, id: String },
}

fn meta_str(meta: &Value, key: &str) -> Option<String> {
    meta.get(key).and_then(|v| match v {
        Value::String(s) => Some(clip(s)),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn parse_bulk(body: &[u8], path_index: Option<&str>, max_docs: usize) -> ApiResult<Vec<Item>> {
    let mut items = Vec::new();
    let mut lines = ndjson_lines(body);
    while let Some((n, line)) = lines.next() {
        if items.len() == max_docs {
            return Err(ApiError::TooLarge(format!("more than {max_docs} documents in one request")));
        }
        let action = parse_object_line(line, n)?;
        let mut it = action.into_iter();
        let (Some((op, meta)), None) = (it.next(), it.next()) else {
            return Err(ApiError::BadRequest(format!("line {n}: an action line must have exactly one key")));
        };
        if !meta.is_object() {
            return Err(ApiError::BadRequest(format!("line {n}: action metadata must be an object")));
        }
        let index = meta_str(&meta, "_index").or_else(|| path_index.map(clip));
        let id = meta_str(&meta, "_id");
        match op.as_str() {
            "index" | "create" => {
                let Some((dn, doc_line)) = lines.next() else {
                    return Err(ApiError::BadRequest(format!("line {n}: {op} action without a document")));
                };
                let doc = parse_object_line(doc_line, dn)?;
                let index = index.ok_or_else(|| {
                    ApiError::BadRequest(format!("line {n}: no index given in the action or the path"))
                })?;
                let doc = serde_json::to_vec(&doc).map_err(|_| ApiError::Internal)?;
                let action = if op == "index" { "index" } else { "create" };
                items.push(Item::Doc { action, index, id: id.unwrap_or_else(random_id), doc });
            }
            "update" => {
                // The partial document follows; consume it so the next action parses.
                if lines.next().is_none() {
                    return Err(ApiError::BadRequest(format!("line {n}: update action without a document")));
                }
                items.push(Item::Unsupported {
                    action: op,
                    index: index.unwrap_or_default(),
                    id: id.unwrap_or_default(),
                });
            }
            "delete" => items.push(Item::Unsupported {
                action: op,
                index: index.unwrap_or_default(),
                id: id.unwrap_or_default(),
            }),
            other => {
                let other: String = other.chars().take(40).collect();
                return Err(ApiError::BadRequest(format!("line {n}: unknown bulk action {other:?}")));
            }
        }
    }
    Ok(items)
}

async fn do_bulk(
    ctx: Ctx,
    tok: ww_store::ApiToken,
    peer: Option<std::net::SocketAddr>,
    index: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let started = Instant::now();
    let body = body_bytes(&headers, body, ctx.app.config.ingest_body_limit)?;
    let items = parse_bulk(&body, index.as_deref(), ctx.app.config.ingest_max_docs)?;

    // One intake batch per source name, in first-seen order.
    let now = chrono::Utc::now();
    let ip = peer.map(|p| p.ip());
    let mut groups: Vec<(String, Vec<ww_ingest::RawRecord>)> = Vec::new();
    let mut out = Vec::with_capacity(items.len());
    let mut errors = false;
    let mut accepted = 0u64;
    for (seq, item) in items.into_iter().enumerate() {
        match item {
            Item::Doc { action, index, id, doc } => {
                let name = tok.source.clone().unwrap_or_else(|| source_from_index(&index));
                let rec = record(doc, ip, now);
                match groups.iter_mut().find(|(g, _)| *g == name) {
                    Some((_, recs)) => recs.push(rec),
                    None => groups.push((name, vec![rec])),
                }
                accepted += 1;
                out.push(json!({ action: {
                    "_index": index, "_id": id, "_version": 1, "result": "created",
                    "_shards": { "total": 1, "successful": 1, "failed": 0 },
                    "_seq_no": seq, "_primary_term": 1, "status": 201
                }}));
            }
            Item::Unsupported { action, index, id } => {
                errors = true;
                out.push(json!({ action: {
                    "_index": index, "_id": id, "status": 400,
                    "error": { "type": "illegal_argument_exception",
                               "reason": "wardwatch accepts only index and create actions" }
                }}));
            }
        }
    }
    let mut acks = Vec::with_capacity(groups.len());
    for (name, records) in groups {
        let source = source_for(&ctx, &tok, name).await?;
        acks.push(submit(&ctx, source, records).await?);
    }
    for rx in acks {
        durable(rx).await?;
    }
    ctx.m.ingest_docs.add(accepted);
    let took = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(Json(json!({ "took": took, "errors": errors, "items": out })))
}

#[utoipa::path(method(post, put), path = "/_bulk", tag = "elasticsearch",
    request_body(content = String, content_type = "application/x-ndjson", description = "Action and source line pairs; index and create are stored, update and delete answered per item with 400. May be gzip."),
    responses((status = 200, description = "Elasticsearch bulk response, after the documents are durable", content_type = "application/json"),
              (status = 400, description = "Malformed line, named", body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 429, description = "Queue full; see Retry-After", body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn bulk(
    State(ctx): State<Ctx>,
    Ingester(tok): Ingester,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    do_bulk(ctx, tok, peer, None, headers, body).await
}

#[utoipa::path(method(post, put), path = "/{index}/_bulk", tag = "elasticsearch", params(("index" = String, Path, description = "Default index for actions that name none")),
    request_body(content = String, content_type = "application/x-ndjson"),
    responses((status = 200, content_type = "application/json"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn bulk_index(
    State(ctx): State<Ctx>,
    Ingester(tok): Ingester,
    Peer(peer): Peer,
    Path(index): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    do_bulk(ctx, tok, peer, Some(index), headers, body).await
}

#[utoipa::path(method(post, put), path = "/{index}/{doc_type}/_bulk", tag = "elasticsearch",
    params(("index" = String, Path), ("doc_type" = String, Path, description = "Ignored (pre-7 mapping type)")),
    request_body(content = String, content_type = "application/x-ndjson"),
    responses((status = 200, content_type = "application/json"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn bulk_index_type(
    State(ctx): State<Ctx>,
    Ingester(tok): Ingester,
    Peer(peer): Peer,
    Path((index, _doc_type)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    do_bulk(ctx, tok, peer, Some(index), headers, body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_prefer_html_shippers_do_not() {
        let accept = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(axum::http::header::ACCEPT, v.parse().expect("header"));
            prefers_html(&h)
        };
        assert!(accept("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
        assert!(!accept("application/json"));
        assert!(!accept("*/*"));
        assert!(!accept("application/json, text/html;q=0.5"));
        assert!(!accept("text/html;q=0"));
        assert!(!prefers_html(&HeaderMap::new()));
    }

    #[test]
    fn index_names_lose_dates_and_versions() {
        assert_eq!(source_from_index("winlogbeat-8.11.0-2026.11.21"), "winlogbeat");
        assert_eq!(source_from_index("filebeat-8.11.0"), "filebeat");
        assert_eq!(source_from_index("logs-nginx-2026.01.02"), "logs-nginx");
        assert_eq!(source_from_index(".ds-logs-generic-default-2026.11.21-000001"), "logs-generic-default");
        assert_eq!(source_from_index("syslog"), "syslog");
        assert_eq!(source_from_index("2026.11.21"), "2026.11.21");
        assert_eq!(source_from_index("a b/c"), "abc");
        assert_eq!(source_from_index("///"), "bulk");
    }

    #[test]
    fn bulk_pairs_and_unsupported_actions() {
        let body =
            b"{\"index\":{\"_index\":\"x-2026.01.01\"}}\n{\"m\":1}\n{\"delete\":{\"_index\":\"x\",\"_id\":\"9\"}}\n\
{\"update\":{\"_id\":\"1\"}}\n{\"doc\":{}}\n{\"create\":{}}\n{\"m\":2}\n";
        let items = parse_bulk(body, Some("dflt"), 100).expect("valid");
        assert_eq!(items.len(), 4);
        assert!(matches!(&items[0], Item::Doc { action: "index", index, .. } if index == "x-2026.01.01"));
        assert!(matches!(&items[1], Item::Unsupported { action, id, .. } if action == "delete" && id == "9"));
        assert!(matches!(&items[2], Item::Unsupported { action, .. } if action == "update"));
        assert!(
            matches!(&items[3], Item::Doc { action: "create", index, doc, .. } if index == "dflt" && doc == b"{\"m\":2}")
        );
    }

    #[test]
    fn bulk_errors_name_the_line() {
        let err = |b: &[u8]| match parse_bulk(b, None, 10) {
            Err(ApiError::BadRequest(m)) => m,
            _ => String::from("<ok>"),
        };
        assert!(err(b"{\"index\":{\"_index\":\"a\"}}\n{\"m\":1}\n{\"index\":{}}\n{oops}\n").starts_with("line 4:"));
        assert!(err(b"{\"index\":{\"_index\":\"a\"}}\n").starts_with("line 1: index action without"));
        assert!(err(b"{\"index\":{}}\n{}\n").contains("no index"));
        assert!(err(b"{\"frob\":{}}\n").contains("unknown bulk action"));
        assert!(matches!(
            parse_bulk(b"{\"index\":{\"_index\":\"a\"}}\n{}\n{\"index\":{\"_index\":\"a\"}}\n{}\n", None, 1),
            Err(ApiError::TooLarge(_))
        ));
    }
}
