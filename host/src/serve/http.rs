//! The API's answers: the CLI's JSON shapes, an HTTP status per error kind,
//! and strict request bodies (size-capped, no unknown field).

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::cli::output::error_json;
use crate::error::{Error, ErrorKind};

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 16 << 10;

/// The HTTP status of an error kind (docs/API.md lists them).
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::InvalidInput | ErrorKind::InvalidSymbol => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::DuplicatePosition | ErrorKind::RequestInFlight => StatusCode::CONFLICT,
        ErrorKind::BelowMinimum
        | ErrorKind::InsufficientFunds
        | ErrorKind::OrderRejected
        | ErrorKind::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        // Sent, outcome not known yet: accepted, being reconciled — retry
        // with the same Idempotency-Key, never with a new one.
        ErrorKind::UnknownOutcome => StatusCode::ACCEPTED,
        ErrorKind::Auth | ErrorKind::Plugin => StatusCode::BAD_GATEWAY,
        ErrorKind::ExchangeUnavailable | ErrorKind::Database => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Config => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub fn error_response(error: &Error) -> Response {
    (status_of(error.kind), Json(error_json(error))).into_response()
}

pub fn json(status: StatusCode, value: Value) -> Response {
    (status, Json(value)).into_response()
}

/// The body's bytes, or a 400 if it is larger than the cap.
pub async fn body(body: Body) -> Result<axum::body::Bytes, Error> {
    to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
        Error::invalid_input(format!("request body larger than {MAX_BODY_BYTES} bytes"))
    })
}

/// A body as UTF-8 text.
pub fn text(bytes: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(bytes).map_err(|_| Error::invalid_input("request body is not UTF-8"))
}

/// One log line per request: method, route, status, time. Never headers
/// (the bearer token) or bodies.
pub async fn log_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().clone();
    let path = crate::text::untrusted(request.uri().path(), 120);
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path = %path,
        status = response.status().as_u16(),
        ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "request"
    );
    response
}
