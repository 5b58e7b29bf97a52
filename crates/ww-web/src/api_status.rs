//! JSON API for an incident's affected services and the caller's notification settings. The
//! public status JSON (`/status/{slug}.json`) is served with the public page (`console/status.rs`).

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;

use crate::Ctx;
use crate::auth::Reader;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::service_status::{self as svc, AffectedServiceView, IncidentServicesView, NotificationSettings};

#[utoipa::path(get, path = "/api/v1/incidents/{id}/services", tag = "incidents", params(("id" = i64, Path)),
    responses((status = 200, description = "The incident's affected services in the councils you can see, with their history", body = IncidentServicesView),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, description = "No such incident in your councils", body = ErrorBody)))]
pub(crate) async fn list_services(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
) -> ApiResult<Json<IncidentServicesView>> {
    Ok(Json(svc::incident_services(&ctx, &p, id).await?.view))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/services", tag = "incidents", params(("id" = i64, Path)),
    request_body = svc::ServiceStatusRequest,
    responses((status = 200, description = "The service after the change (the change is added to its history and audited)", body = AffectedServiceView),
              (status = 400, description = "A field is missing or wrong (the message names it)", body = ErrorBody),
              (status = 401, body = ErrorBody),
              (status = 403, description = "Read-only in that council, or an ingest token", body = ErrorBody),
              (status = 404, description = "No such incident or council in your scope", body = ErrorBody)))]
pub(crate) async fn set_service(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Path(id): Path<i64>,
    Json(req): Json<svc::ServiceStatusRequest>,
) -> ApiResult<Json<AffectedServiceView>> {
    let change = svc::check_service_change(req.tenant.as_deref(), &req.service, &req.status, req.at, Utc::now())
        .map_err(|e| ApiError::BadRequest(svc::field_errors_message(&e)))?;
    Ok(Json(svc::set_service_status(&ctx, &p, id, change).await?))
}

#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "auth",
    responses((status = 200, description = "Your notification settings (defaults: all off, no addresses)", body = NotificationSettings),
              (status = 401, body = ErrorBody),
              (status = 403, description = "Tokens have no notification settings", body = ErrorBody)))]
pub(crate) async fn get_notifications(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
) -> ApiResult<Json<NotificationSettings>> {
    Ok(Json(svc::notification_settings(&ctx, &p).await?))
}

#[utoipa::path(put, path = "/api/v1/me/notifications", tag = "auth", request_body = NotificationSettings,
    responses((status = 200, description = "Saved (audited as `settings.notifications`, without the addresses)", body = NotificationSettings),
              (status = 400, description = "The email address or webhook URL cannot be used (the message names the field)", body = ErrorBody),
              (status = 401, body = ErrorBody),
              (status = 403, description = "Tokens have no notification settings", body = ErrorBody)))]
pub(crate) async fn put_notifications(
    State(ctx): State<Ctx>,
    Reader(p): Reader,
    Json(req): Json<NotificationSettings>,
) -> ApiResult<Json<NotificationSettings>> {
    // Tokens are refused before the body is judged.
    svc::settings_user(&p)?;
    let s = svc::check_settings(req).map_err(|e| ApiError::BadRequest(svc::field_errors_message(&e)))?;
    Ok(Json(svc::set_notification_settings(&ctx, &p, s).await?))
}
