//! The server-rendered web console under `/console/`: askama templates compiled into the
//! binary, one stylesheet and a vendored htmx under `/assets/`. Every page works without
//! JavaScript; htmx only boosts links and forms and swaps alert rows in place.
//!
//! Pages call the same [`crate::service`] functions as the JSON API. Security: a strict
//! Content-Security-Policy on every page (no inline script or style), a session cookie as the
//! API uses, an anti-CSRF token derived from the session on every state-changing form (also
//! accepted as `X-CSRF-Token` for htmx) and cross-origin `Origin` headers refused.

pub(crate) mod assets;
pub(crate) mod breach;
pub(crate) mod incidents;
mod pages;
pub(crate) mod status;

use std::borrow::Borrow;

use axum::http::header::{self, HeaderName};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use ww_store::{Role, TenantId, TenantScope, User};

use crate::Ctx;
use crate::auth::{Principal, cookie_value, cross_origin, csrf_matches, csrf_token, session_secret, session_user};
use crate::error::ApiError;
use crate::views::Slugs;

pub(crate) use pages::*;

/// The cookie holding the tenant picked in the switcher (validated against the scope on every
/// request; a slug outside it is ignored).
pub(crate) const TENANT_COOKIE: &str = "ww_tenant";
/// The pre-session anti-CSRF secret of the login form.
pub(crate) const LOGIN_COOKIE: &str = "ww_login";
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'";

/// Headers every console page carries.
pub(crate) fn security_headers() -> [(HeaderName, HeaderValue); 4] {
    [
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (header::REFERRER_POLICY, HeaderValue::from_static("same-origin")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ]
}

/// A `next` path we will redirect to after login or a form: our own console pages only (no
/// scheme, no host, no `//` or backslash tricks, no control characters).
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if (n == "/console" || n.starts_with("/console/"))
                && !n.contains("//")
                && !n.contains('\\')
                && n.len() <= 2048
                && !n.chars().any(|c| c.is_control()) =>
        {
            n.to_owned()
        }
        _ => "/console/".to_owned(),
    }
}

/// 303 See Other to `to`.
pub(crate) fn see_other(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response(),
        Err(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, HeaderValue::from_static("/console/"))]).into_response(),
    }
}

/// URL-encodes query pairs.
pub(crate) fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    s.finish()
}

fn login_redirect(parts: &Parts) -> Response {
    let next = if parts.method == Method::GET {
        safe_next(parts.uri.path_and_query().map(|p| p.as_str()))
    } else {
        "/console/".to_owned()
    };
    see_other(&format!("/console/login?{}", query_string(&[("next", &next)])))
}

/// What the layout shows and what pages ask about the caller.
#[derive(Debug, Clone, Default)]
pub(crate) struct Chrome {
    pub(crate) username: String,
    /// "service admin", "admin of council-a", ...
    pub(crate) role_label: String,
    /// (slug, name) of every tenant the user can see.
    pub(crate) tenants: Vec<(String, String)>,
    /// The picked tenant's slug; empty for all of them.
    pub(crate) selected: String,
    pub(crate) selected_name: String,
    pub(crate) csrf: String,
    /// Which nav entry is current.
    pub(crate) nav: &'static str,
    /// The current page's path and query (the switcher and forms come back to it).
    pub(crate) here: String,
    triage: Vec<String>,
    admin: Vec<String>,
    pub(crate) audit: bool,
}

impl Chrome {
    /// An instant as Europe/London time.
    pub(crate) fn t(&self, ts: impl Borrow<DateTime<Utc>>) -> String {
        ww_core::time::format_london(ts.borrow())
    }
    /// An instant as an HTML `datetime` value (UTC).
    pub(crate) fn iso(&self, ts: impl Borrow<DateTime<Utc>>) -> String {
        ww_core::time::format_utc(ts.borrow())
    }
    pub(crate) fn can_triage(&self, tenant: &str) -> bool {
        self.triage.iter().any(|t| t == tenant)
    }
    pub(crate) fn is_admin_of(&self, tenant: &str) -> bool {
        self.admin.iter().any(|t| t == tenant)
    }
    /// How an alert's entity kind reads on a page.
    pub(crate) fn entity_label<'a>(&self, kind: &'a str) -> &'a str {
        match kind {
            "source_ip" => "Source IP",
            "user" => "User",
            "host" => "Host",
            "none" => "No entity",
            other => other,
        }
    }
    pub(crate) fn logged_in(&self) -> bool {
        !self.username.is_empty()
    }
    pub(crate) fn switcher(&self) -> bool {
        self.tenants.len() > 1
    }
    /// Shows the tenant column when more than one tenant is in view.
    pub(crate) fn multi(&self) -> bool {
        self.selected.is_empty() && self.tenants.len() > 1
    }
    pub(crate) fn tenant_name<'a>(&'a self, slug: &'a str) -> &'a str {
        self.tenants.iter().find(|(s, _)| s == slug).map_or(slug, |(_, n)| n.as_str())
    }
}

/// A logged-in console user, with the tenant picked in the switcher.
pub(crate) struct Session {
    pub(crate) p: Principal,
    pub(crate) secret: String,
    pub(crate) slugs: Slugs,
    /// The tenants in view: the picked one, else all the user's.
    pub(crate) scope: TenantScope,
    pub(crate) chrome: Chrome,
}

impl Session {
    /// The user's whole scope, ignoring the switcher.
    pub(crate) fn full_scope(&self) -> TenantScope {
        self.p.scope(&self.slugs)
    }

    /// Refuses a state-changing request whose CSRF token (form field or `X-CSRF-Token`) is
    /// missing or wrong.
    pub(crate) fn check_csrf(&self, headers: &HeaderMap, field: Option<&str>) -> Result<(), PageError> {
        let presented = field.or_else(|| headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()));
        match presented {
            Some(t) if csrf_matches(&csrf_token(&self.secret), t) => Ok(()),
            _ => Err(PageError::new(
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from wardwatch. Reload the page and try again.",
            )),
        }
    }
}

fn role_label(u: &User, slugs: &Slugs) -> String {
    match u.service_role {
        Some(ww_store::ServiceRole::ServiceAdmin) => "Service admin".into(),
        Some(ww_store::ServiceRole::SocAnalyst) => "SOC analyst".into(),
        None => match u.memberships.as_slice() {
            [(t, r)] => format!(
                "{} · {}",
                match r {
                    Role::Admin => "Admin",
                    Role::Analyst => "Analyst",
                    Role::ReadOnly => "Read only",
                },
                slugs.of(*t)
            ),
            _ => "Member of several councils".into(),
        },
    }
}

impl axum::extract::FromRequestParts<Ctx> for Session {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, ctx: &Ctx) -> Result<Self, Response> {
        let safe = matches!(parts.method, Method::GET | Method::HEAD);
        if !safe && cross_origin(&parts.headers) {
            return Err(PageError::new(StatusCode::FORBIDDEN, "Cross-site request refused.").into_response());
        }
        let Some(secret) = session_secret(&parts.headers) else { return Err(login_redirect(parts)) };
        let user = match session_user(ctx, &secret).await {
            Ok(Some(u)) => u,
            Ok(None) => return Err(login_redirect(parts)),
            Err(e) => return Err(PageError::from(e).into_response()),
        };
        let tenants = ctx.app.store.tenants().await.map_err(|e| PageError::from(ApiError::from(e)).into_response())?;
        let slugs = Slugs(tenants.iter().map(|t| (t.id, t.slug.clone())).collect());
        let p = Principal::User(user.clone());
        let full = p.scope(&slugs);
        let mut visible: Vec<(String, String)> =
            tenants.iter().filter(|t| full.contains(t.id)).map(|t| (t.slug.clone(), t.name.clone())).collect();
        visible.sort();
        let picked: Option<(TenantId, String, String)> = cookie_value(&parts.headers, TENANT_COOKIE).and_then(|slug| {
            tenants
                .iter()
                .find(|t| t.slug == slug && full.contains(t.id))
                .map(|t| (t.id, t.slug.clone(), t.name.clone()))
        });
        // One tenant only: it is always the one in view.
        let picked = picked.or_else(|| match full.tenants() {
            [only] => tenants.iter().find(|t| t.id == *only).map(|t| (t.id, t.slug.clone(), t.name.clone())),
            _ => None,
        });
        let scope = picked.as_ref().map_or_else(|| full.clone(), |(id, _, _)| TenantScope::one(*id));
        let chrome = Chrome {
            username: user.username.clone(),
            role_label: role_label(&user, &slugs),
            selected: picked.as_ref().map(|p| p.1.clone()).unwrap_or_default(),
            selected_name: picked.as_ref().map_or_else(|| "All councils".to_owned(), |p| p.2.clone()),
            tenants: visible,
            csrf: csrf_token(&secret),
            nav: "",
            here: safe_next(parts.uri.path_and_query().map(|p| p.as_str())),
            triage: full
                .tenants()
                .iter()
                .filter(|t| crate::service::can_triage(&p, **t))
                .map(|t| slugs.of(*t))
                .collect(),
            admin: full
                .tenants()
                .iter()
                .filter(|t| p.role_in(**t) == Some(Role::Admin))
                .map(|t| slugs.of(*t))
                .collect(),
            audit: crate::service::may_read_audit(&p, &slugs),
        };
        Ok(Session { p, secret, slugs, scope, chrome })
    }
}

/// An error shown as a page.
#[derive(Debug)]
pub(crate) struct PageError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl PageError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> PageError {
        PageError { status, message: message.into() }
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        let status = e.status();
        let message = match e {
            ApiError::NotFound => "There is nothing here, or you do not have access to it.".to_owned(),
            ApiError::Internal => "Something went wrong on the server. The error has been logged.".to_owned(),
            other => other.to_string(),
        };
        PageError { status, message }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        pages::error_page(self.status, &self.message)
    }
}

pub(crate) type PageResult = Result<Response, PageError>;
