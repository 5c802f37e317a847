//! CSRF protection for every state-changing request, in one place so no handler can forget it.
//! The token lives in the (encrypted) session and must come back as the form field
//! `csrf_token` or the `X-CSRF-Token` header. File uploads (`MULTIPART_PATHS`) carry it as the
//! first field of their multipart body, checked by the handler with `verify_multipart` before
//! the file is read; never in the URL, where it would land in proxy logs.

use actix_multipart::Multipart;
use actix_session::SessionExt;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest, web};
use futures_util::TryStreamExt;

use crate::error::AppError;
use crate::web::security::constant_time_eq;
use crate::web::session::existing_csrf_token;

pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

/// The upload routes whose handlers check the token themselves (`verify_multipart`): the
/// middleware does not read a multipart body, as that would consume the file stream.
pub const MULTIPART_PATHS: &[&str] = &["/data/impor", "/data/roster"];

/// Marks a request whose token the middleware already checked (it came in the header).
#[derive(Clone, Copy)]
struct Checked;

/// Marks a same-origin form posted without any session token (the cookie is gone). The access
/// check (`web::routes`) refuses it as `AppError::Csrf` unless it answers with the re-login
/// page; it never reaches a handler.
#[derive(Clone, Copy)]
pub struct NoSessionToken;

/// Whether the browser says the request comes from one of our pages: `Sec-Fetch-Site`, or else
/// an `Origin` naming the host the request was sent to. A request saying neither is refused.
fn same_origin(req: &ServiceRequest) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return site == "same-origin";
    }
    match (header("origin"), header("host")) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, origin_host)| origin_host == host),
        _ => false,
    }
}

pub async fn protect(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let expected = existing_csrf_token(&req.get_session());
    let expected_missing = expected.is_none();
    let mut provided = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    // A file upload's body is not read here: its handler checks the token (the body's first
    // field) before reading the file. Any other multipart POST needs the header.
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if provided.is_none() && is_multipart && MULTIPART_PATHS.contains(&req.path()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    if provided.is_none() && is_form {
        let body = match req.extract::<web::Bytes>().await {
            Ok(body) => body,
            Err(_) => {
                return Ok(req
                    .error_response(AppError::PayloadTooLarge)
                    .map_into_right_body());
            }
        };
        provided = form_urlencoded::parse(&body)
            .find(|(name, _)| name == FIELD)
            .map(|(_, value)| value.into_owned());
        req.set_payload(bytes_to_payload(body));
    }
    let valid = match (expected, provided) {
        (Some(expected), Some(provided)) => constant_time_eq(&expected, &provided),
        _ => false,
    };
    if !valid {
        // No token in the session at all: the cookie is gone (cleared, expired in the browser,
        // or unreadable after a key change). A form from one of our own pages goes on to the
        // access check, which answers with the re-login page keeping what was typed, as for a
        // session that expired; no handler runs for it (`NoSessionToken`).
        if expected_missing && is_form && same_origin(&req) {
            req.extensions_mut().insert(NoSessionToken);
            return Ok(next.call(req).await?.map_into_left_body());
        }
        return Ok(req.error_response(AppError::Csrf).map_into_right_body());
    }
    req.extensions_mut().insert(Checked);
    Ok(next.call(req).await?.map_into_left_body())
}

/// For `MULTIPART_PATHS`: unless the header carried a valid token, the body's first field must
/// be `csrf_token` with the session's token (the same check as the middleware's). Call before
/// reading anything else of the body.
pub async fn verify_multipart(
    req: &HttpRequest,
    multipart: &mut Multipart,
) -> Result<(), AppError> {
    if req.extensions().get::<Checked>().is_some() {
        return Ok(());
    }
    let expected = existing_csrf_token(&req.get_session());
    let Ok(Some(mut field)) = multipart.try_next().await else {
        return Err(AppError::Csrf);
    };
    if field.name() != Some(FIELD) {
        return Err(AppError::Csrf);
    }
    let mut provided = Vec::new();
    while let Ok(Some(chunk)) = field.try_next().await {
        if provided.len() + chunk.len() > 256 {
            return Err(AppError::Csrf);
        }
        provided.extend_from_slice(&chunk);
    }
    let provided = String::from_utf8_lossy(&provided);
    match expected {
        Some(expected) if constant_time_eq(&expected, provided.trim()) => Ok(()),
        _ => Err(AppError::Csrf),
    }
}

fn bytes_to_payload(body: web::Bytes) -> actix_web::dev::Payload {
    let (_, mut payload) = actix_http::h1::Payload::create(true);
    payload.unread_data(body);
    actix_web::dev::Payload::from(payload)
}
