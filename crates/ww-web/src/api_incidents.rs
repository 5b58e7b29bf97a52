//! The incidents part of the JSON API: `/api/v1/incidents/...`. Handlers parse, call
//! [`crate::service_incidents`] and answer JSON; evidence comes in as `multipart/form-data` and
//! goes out only as an attachment.

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::Ctx;
use crate::auth::Reader;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::service_incidents::{self as svc, *};

type Pairs = Query<Vec<(String, String)>>;

#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents",
    params(
        ("tenant" = Option<Vec<String>>, Query, description = "Tenant slug(s); repeatable or comma-separated"),
        ("status" = Option<Vec<String>>, Query, description = "open, investigating, contained, recovering, closed; default: all but closed"),
        ("limit" = Option<u32>, Query, description = "1..=1000, default 100"),
        ("cursor" = Option<String>, Query),
    ),
    responses((status = 200, body = IncidentPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn list(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Query(pairs): Pairs,
) -> ApiResult<Json<IncidentPage>> {
    let (mut tenants, mut statuses, mut limit, mut cursor) = (Vec::new(), Vec::new(), 100, None);
    for (k, v) in &pairs {
        let values = || v.split(',').map(str::trim).filter(|s| !s.is_empty());
        match k.as_str() {
            "tenant" => tenants.extend(values().map(str::to_owned)),
            "status" => {
                for s in values() {
                    statuses.push(svc::parse_status(s)?);
                }
            }
            "limit" => match v.parse::<u32>() {
                Ok(n) if (1..=1000).contains(&n) => limit = n,
                _ => return Err(ApiError::BadRequest("limit: must be 1..=1000".into())),
            },
            "cursor" => cursor = Some(v.clone()),
            other => {
                let k: String = other.chars().take(40).collect();
                return Err(ApiError::BadRequest(format!("unknown query parameter {k:?}")));
            }
        }
    }
    let (scope, slugs) = crate::service::scope_of(&ctx, &p, &tenants).await?;
    Ok(Json(svc::list_incidents(&ctx, &scope, &slugs, statuses, limit, cursor).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", request_body = NewIncidentRequest,
    responses((status = 201, description = "Opened", body = IncidentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "Read-only in that council", body = ErrorBody), (status = 404, description = "Unknown tenant or alert", body = ErrorBody)))]
pub(crate) async fn create(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Json(req): Json<NewIncidentRequest>,
) -> ApiResult<Response> {
    let v = svc::create_incident(&ctx, &p, req).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents", params(("id" = i64, Path)),
    responses((status = 200, body = IncidentDetailView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
) -> ApiResult<Json<IncidentDetailView>> {
    Ok(Json(svc::incident_detail(&ctx, &p, id, chrono::Utc::now()).await?))
}

#[utoipa::path(patch, path = "/api/v1/incidents/{id}", tag = "incidents", params(("id" = i64, Path)), request_body = UpdateIncidentRequest,
    responses((status = 200, body = IncidentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn update(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
    Json(req): Json<UpdateIncidentRequest>,
) -> ApiResult<Json<IncidentView>> {
    Ok(Json(svc::update_incident(&ctx, &p, id, req).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/tasks", tag = "incidents", params(("id" = i64, Path)), request_body = NewTaskRequest,
    responses((status = 201, body = TaskView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn add_task(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
    Json(req): Json<NewTaskRequest>,
) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, Json(svc::add_task(&ctx, &p, id, req).await?)).into_response())
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/tasks/{task_id}/done", tag = "incidents",
    params(("id" = i64, Path), ("task_id" = i64, Path)), request_body = TaskDoneRequest,
    responses((status = 200, body = TaskView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn task_done(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path((id, task_id)): Path<(i64, i64)>,
    Json(req): Json<TaskDoneRequest>,
) -> ApiResult<Json<TaskView>> {
    Ok(Json(svc::set_task_done(&ctx, &p, id, task_id, req.done).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/observables", tag = "incidents", params(("id" = i64, Path)), request_body = NewObservableRequest,
    responses((status = 201, body = ObservableView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn add_observable(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
    Json(req): Json<NewObservableRequest>,
) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, Json(svc::add_observable(&ctx, &p, id, req).await?)).into_response())
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/notes", tag = "incidents", params(("id" = i64, Path)), request_body = NewNoteRequest,
    responses((status = 201, body = NoteView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn add_note(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
    Json(req): Json<NewNoteRequest>,
) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, Json(svc::add_note(&ctx, &p, id, req).await?)).into_response())
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/alerts", tag = "incidents", params(("id" = i64, Path)), request_body = LinkAlertRequest,
    responses((status = 204, description = "Linked; the alert is escalated if it was new or acknowledged"), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn link_alert(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
    Json(req): Json<LinkAlertRequest>,
) -> ApiResult<StatusCode> {
    svc::link_alert(&ctx, &p, id, req.alert).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/events", tag = "incidents", params(("id" = i64, Path)), request_body = LinkEventRequest,
    responses((status = 204, description = "Linked"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn link_event(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
    Json(req): Json<LinkEventRequest>,
) -> ApiResult<StatusCode> {
    svc::link_event(&ctx, &p, id, req.event).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/tenants", tag = "incidents", params(("id" = i64, Path)), request_body = AddTenantRequest,
    responses((status = 200, body = IncidentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn add_tenant(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
    Json(req): Json<AddTenantRequest>,
) -> ApiResult<Json<IncidentView>> {
    Ok(Json(svc::add_tenant(&ctx, &p, id, &req.tenant).await?))
}

/// Reads an evidence upload: `file` (required), `description`, `tenant`; other fields are kept
/// in `extra` for the caller (the console's `_csrf`). A body over the route's limit is 413.
pub(crate) async fn read_upload(mut m: Multipart) -> ApiResult<(Upload, Vec<(String, String)>)> {
    let mut up = Upload {
        filename: String::new(),
        content_type: String::new(),
        description: None,
        tenant: None,
        bytes: Vec::new(),
    };
    let mut seen_file = false;
    let mut extra = Vec::new();
    let fail = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(format!("upload: larger than {MAX_EVIDENCE_BYTES} bytes"))
        } else {
            ApiError::BadRequest("upload: not a readable multipart/form-data body".into())
        }
    };
    while let Some(field) = m.next_field().await.map_err(fail)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                up.filename = field.file_name().unwrap_or("evidence").to_owned();
                up.content_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
                let mut field = field;
                while let Some(chunk) = field.chunk().await.map_err(fail)? {
                    if up.bytes.len() + chunk.len() > MAX_EVIDENCE_BYTES {
                        return Err(ApiError::TooLarge(format!("file: larger than {MAX_EVIDENCE_BYTES} bytes")));
                    }
                    up.bytes.extend_from_slice(&chunk);
                }
                seen_file = true;
            }
            _ => {
                let text = field.text().await.map_err(fail)?;
                if text.len() > 20_000 {
                    return Err(ApiError::BadRequest(format!(
                        "{}: too long",
                        name.chars().take(40).collect::<String>()
                    )));
                }
                match name.as_str() {
                    "description" => up.description = Some(text),
                    "tenant" => up.tenant = Some(text),
                    _ => extra.push((name, text)),
                }
            }
        }
    }
    if !seen_file {
        return Err(ApiError::BadRequest("file: required".into()));
    }
    Ok((up, extra))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/evidence", tag = "incidents", params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", description = "`file` (at most 25 MiB), optional `description` and `tenant` (slug)"),
    responses((status = 201, body = EvidenceView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 413, description = "File over 25 MiB; nothing is stored", body = ErrorBody)))]
pub(crate) async fn upload_evidence(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
    m: Multipart,
) -> ApiResult<Response> {
    svc::may_add_evidence(&ctx, &p, id).await?;
    let (up, extra) = read_upload(m).await?;
    if let Some((k, _)) = extra.first() {
        let k: String = k.chars().take(40).collect();
        return Err(ApiError::BadRequest(format!("unknown form field {k:?}")));
    }
    Ok((StatusCode::CREATED, Json(svc::add_evidence(&ctx, &p, id, up).await?)).into_response())
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/evidence/{evidence_id}", tag = "incidents",
    params(("id" = i64, Path), ("evidence_id" = i64, Path)),
    responses((status = 200, description = "The file, as an attachment (`application/octet-stream`)", content_type = "application/octet-stream"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn download_evidence(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path((id, evidence_id)): Path<(i64, i64)>,
) -> ApiResult<Response> {
    let (e, bytes) = svc::evidence_content(&ctx, &p, Some(id), evidence_id).await?;
    Ok(download(&e.filename, bytes))
}

/// The download response both front ends send.
pub(crate) fn download(filename: &str, bytes: Vec<u8>) -> Response {
    let size = bytes.len();
    let mut r = (StatusCode::OK, bytes).into_response();
    for (name, value) in svc::download_headers(filename, size) {
        if let Ok(v) = axum::http::HeaderValue::from_str(&value) {
            r.headers_mut().insert(name, v);
        }
    }
    r
}
