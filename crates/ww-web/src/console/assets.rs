//! Static assets compiled into the binary: the console's stylesheet and script, and the
//! vendored htmx (see `assets/README.md` for its version and licence).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The path pages load htmx from; the file name carries the version so it can be cached for good.
pub(crate) const HTMX_PATH: &str = "/assets/htmx-2.0.11.min.js";

const HTMX: &[u8] = include_bytes!("../../assets/htmx-2.0.11.min.js");
const CONSOLE_JS: &[u8] = include_bytes!("../../assets/console.js");
const CONSOLE_CSS: &[u8] = include_bytes!("../../assets/console.css");
const FAVICON: &[u8] = include_bytes!("../../assets/favicon.svg");

fn asset(body: &'static [u8], content_type: &'static str, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        body,
    )
        .into_response()
}

pub(crate) async fn htmx() -> Response {
    asset(HTMX, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable")
}

pub(crate) async fn console_js() -> Response {
    asset(CONSOLE_JS, "text/javascript; charset=utf-8", "public, max-age=3600")
}

pub(crate) async fn console_css() -> Response {
    asset(CONSOLE_CSS, "text/css; charset=utf-8", "public, max-age=3600")
}

pub(crate) async fn favicon() -> Response {
    asset(FAVICON, "image/svg+xml", "public, max-age=86400")
}

const STATUS_CSS: &[u8] = include_bytes!("../../assets/status.css");

/// The public service-status page's own stylesheet.
pub(crate) async fn status_css() -> Response {
    asset(STATUS_CSS, "text/css; charset=utf-8", "public, max-age=3600")
}
