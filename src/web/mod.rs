//! The shared web core: route table with access rules, sessions, CSRF, headers, assets, pages.

pub mod assets;
pub mod csrf;
pub mod error_page;
pub mod forms;
pub mod logging;
pub mod page;
pub mod policy;
pub mod routes;
pub mod seal;
pub mod security;
pub mod session;
pub mod upload;

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use askama::Template;

use crate::error::AppError;

/// POST → 303 → GET: the answer to every successful form submission.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Settings the request handlers need from the configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    pub secure_cookies: bool,
    /// Reverse-proxy hops in front of pesiar, each appending to `X-Forwarded-For` (0: none;
    /// the client address is then the TCP peer). See `auth::address`.
    pub trusted_proxies: usize,
    /// Progress figures older than this many days carry a warning (`PESIAR_STALE_DAYS`).
    pub stale_after_days: i64,
}

/// Percent-encodes a value for use in a query string.
pub fn query_encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Renders a page with a status code (a form re-rendered with errors is not a 200).
pub fn render(status: StatusCode, template: &impl Template) -> Result<HttpResponse, AppError> {
    let body = template.render().map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// A stored UTC time as people in the field read it: WIB (UTC+7, no daylight saving).
pub fn wib(at: &chrono::NaiveDateTime) -> String {
    (*at + chrono::Duration::hours(7))
        .format("%d-%m-%Y %H:%M WIB")
        .to_string()
}

/// A date as a page shows it, "05‑12‑2026": non-breaking hyphens (U+2011), because browsers
/// break a line after a hyphen and a phone would split the date. Text that leaves the page
/// (WhatsApp, downloads, the API) keeps plain hyphens.
pub const DAY: &str = "%d\u{2011}%m\u{2011}%Y";

/// Today's date in WIB, the day as agents in the field count it.
pub fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
}
