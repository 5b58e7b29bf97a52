//! The OpenAPI document served at `/api/v1/openapi.json`, generated from the handlers'
//! `#[utoipa::path]` attributes. Tests compare it with the route table the router is built from.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{api, api_breach, api_incidents, es, ingest};

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("ww_<id>_<secret>")
                    .description(Some(
                        "An API or ingest token. Also accepted as the Basic password or as `ApiKey base64(id:token)`.",
                    ))
                    .build(),
            ),
        );
        c.add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("ww_session"))));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "wardwatch", description = "wardwatch serve: events, alerts, rules, sources, audit and ingest. \
Every route except health, this document and `GET /` needs a session cookie or a token; \
cookie-authenticated requests that change something also need `X-Requested-With: wardwatch`."),
    paths(
        api::health, api::openapi_json, api::login, api::logout, api::me,
        api::list_events, api::get_event,
        api::list_alerts, api::get_alert, api::set_alert_state,
        api::list_rules, api::reload_rules, api::enable_rule, api::disable_rule,
        api::list_sources, api::audit_log, api::metrics,
        ingest::ingest,
        api_incidents::list, api_incidents::create, api_incidents::get, api_incidents::update,
        api_incidents::add_task, api_incidents::task_done, api_incidents::add_observable, api_incidents::add_note,
        api_incidents::link_alert, api_incidents::link_event, api_incidents::add_tenant,
        api_incidents::upload_evidence, api_incidents::download_evidence,
        api_breach::get_breach, api_breach::put_breach, api_breach::list_breaches, api_breach::get_report,
        es::info, es::bulk, es::bulk_index, es::bulk_index_type, es::cluster_health, es::license, es::xpack,
        es::get_index_template, es::put_acknowledged, es::get_template, es::put_template_doc,
        es::get_ilm_policy, es::put_ilm_policy_doc, es::nodes, es::nodes_rest_doc,
        crate::api_status::list_services, crate::api_status::set_service,
        crate::api_status::get_notifications, crate::api_status::put_notifications,
    ),
    modifiers(&Security),
    security(("session" = []), ("bearer" = [])),
    tags((name = "elasticsearch", description = "Elasticsearch-compatible intake for Beats, Vector, Fluent Bit and rsyslog (PUT is accepted wherever POST is on `_bulk` paths)"))
)]
struct ApiDoc;

/// The OpenAPI document of every route [`crate::router`] serves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
