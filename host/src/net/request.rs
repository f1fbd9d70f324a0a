//! Requests and answers as the host's network layer sees them.

use std::time::Duration;

/// The HTTP method: exchanges' REST APIs need no other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET: parameters in the query string.
    Get,
    /// POST: parameters in the query string or a form body.
    Post,
}

/// A request a driver (or the host itself) asks to send: a path below the
/// profile's base URL, parameters, and whether it must be signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// GET or POST.
    pub method: Method,
    /// The path below the base URL, e.g. `/0/public/Ticker`.
    pub path: String,
    /// Query string parameters, in order.
    pub query: Vec<(String, String)>,
    /// Form body parameters, in order (POST only).
    pub form: Vec<(String, String)>,
    /// The host signs it with the operator's key.
    pub signed: bool,
    /// For public GETs: answer from the per-process cache if this fresh.
    pub cache_for: Duration,
}

impl Request {
    /// Every parameter, query and form.
    pub fn params(&self) -> impl Iterator<Item = &(String, String)> {
        self.query.iter().chain(&self.form)
    }
}

/// An exchange's answer, capped in size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The body, as text.
    pub body: String,
    /// `Retry-After`, in seconds, when the exchange sent one.
    pub retry_after: Option<u64>,
    /// Binance's `X-MBX-USED-WEIGHT-1M`, when sent.
    pub used_weight: Option<u32>,
}

/// Why a request got no answer; which case decides whether an order can have
/// been placed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// Proven not to have reached the server.
    #[error("request not sent: {0}")]
    NotSent(String),
    /// Sent, but no complete answer came back.
    #[error("no answer: {0}")]
    NoAnswer(String),
    /// Refused by the host's policy.
    #[error("request denied by the host: {0}")]
    Denied(String),
}

pub(crate) fn encode(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}
