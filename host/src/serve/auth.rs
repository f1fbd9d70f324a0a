//! Bearer-token authentication, compared in constant time.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use super::Shared;
use super::http::error_response;
use crate::error::{Error, ErrorKind};

pub async fn require_token(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let expected = state.settings.token.expose_secret().as_bytes();
    if bool::from(presented.as_bytes().ct_eq(expected)) && !expected.is_empty() {
        return next.run(request).await;
    }
    error_response(&Error::new(
        ErrorKind::Unauthorized,
        "a valid bearer token is required (Authorization: Bearer <TRADEHOST_API_TOKEN>)",
    ))
}
