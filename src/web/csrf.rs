//! CSRF protection for every state-changing request, in one place so no handler can forget it.
//! The token lives in the (encrypted) session and must come back as the form field
//! `csrf_token` or the `X-CSRF-Token` header.

use actix_session::SessionExt;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use crate::error::AppError;
use crate::web::security::constant_time_eq;
use crate::web::session::existing_csrf_token;

pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

pub async fn protect(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let expected = existing_csrf_token(&req.get_session());
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
    // A file upload's body is not read here: its token comes in the form's action URL.
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if provided.is_none() && is_multipart {
        provided = form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(name, _)| name == FIELD)
            .map(|(_, value)| value.into_owned());
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
        return Ok(req.error_response(AppError::Csrf).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

fn bytes_to_payload(body: web::Bytes) -> actix_web::dev::Payload {
    let (_, mut payload) = actix_http::h1::Payload::create(true);
    payload.unread_data(body);
    actix_web::dev::Payload::from(payload)
}
