//! One log line per request: method, path (never the query string, which may carry a NIK or a
//! name from a search), status and duration.

use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let result = next.call(req).await;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &result {
        Ok(res) => tracing::info!(
            %method, %path, status = res.status().as_u16(), elapsed_ms = format!("{elapsed_ms:.1}"),
            "request"
        ),
        Err(err) => tracing::warn!(%method, %path, error = %err, "request failed"),
    }
    result
}
