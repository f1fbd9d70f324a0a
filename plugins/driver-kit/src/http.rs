//! The host's `http.send` as a plain trait, so a driver's operations are
//! pure functions over `Http` that unit tests run natively against canned
//! answers; `Host` is the one implementation over the component's imports.

use crate::num;
use crate::wit::tradehost::exchange::http::{self, Auth, HttpError, Request};
use crate::wit::tradehost::exchange::log::{self, Level};
use crate::wit::tradehost::exchange::types::DriverError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
}

/// A request as handed to the host's `http.send`. A driver names only the
/// path and its parameters: the host chooses the base URL and, for a
/// signed request, adds the nonce or timestamp, the key and the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Req {
    pub method: Method,
    pub path: &'static str,
    pub query: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    /// A private endpoint: the host signs it.
    pub signed: bool,
    /// How long the host may answer this from its cache (public reads only).
    pub cache_seconds: u32,
}

impl Req {
    /// A public GET, cached by the host for `cache_seconds` (0: always fresh).
    pub fn public_get(path: &'static str, query: Vec<(String, String)>, cache_seconds: u32) -> Req {
        Req {
            method: Method::Get,
            path,
            query,
            form: Vec::new(),
            signed: false,
            cache_seconds,
        }
    }

    /// A signed GET with its parameters in the query.
    pub fn signed_get(path: &'static str, query: Vec<(String, String)>) -> Req {
        Req {
            method: Method::Get,
            path,
            query,
            form: Vec::new(),
            signed: true,
            cache_seconds: 0,
        }
    }

    /// A signed POST with its parameters in the form body.
    pub fn signed_post(path: &'static str, form: Vec<(String, String)>) -> Req {
        Req {
            method: Method::Post,
            path,
            query: Vec::new(),
            form,
            signed: true,
            cache_seconds: 0,
        }
    }
}

/// Each id once, in the order first seen: several symbols asked together
/// may name one market twice, and a request lists it once.
pub fn unique<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for id in ids {
        if !seen.contains(&id) {
            seen.push(id);
        }
    }
    seen
}

/// One query or form parameter.
pub fn param(key: &str, value: &str) -> (String, String) {
    (key.to_string(), value.to_string())
}

/// Transport failures reported by the host's `http.send`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpFailure {
    /// Proven not to have reached the exchange.
    NotSent(String),
    /// Sent; no complete answer.
    NoAnswer(String),
    /// The host refused to send it.
    Denied(String),
}

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpFailure::NotSent(e) => write!(f, "not sent: {e}"),
            HttpFailure::NoAnswer(e) => write!(f, "no answer: {e}"),
            HttpFailure::Denied(e) => write!(f, "denied by host: {e}"),
        }
    }
}

/// Whether a failed request may have changed anything on the exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// An order placement: may have taken effect.
    Place,
    /// Everything else: repeatable.
    Read,
}

/// A transport failure as the host must read it: only a request that was
/// sent without an answer leaves a placement's outcome unknown.
pub fn transport_error(kind: OpKind, failure: &HttpFailure) -> DriverError {
    match (failure, kind) {
        (HttpFailure::NotSent(e), _) => {
            DriverError::Unavailable(format!("not sent: {}", num::clip(e)))
        }
        (HttpFailure::NoAnswer(e), OpKind::Place) => {
            DriverError::UnknownOutcome(format!("no answer: {}", num::clip(e)))
        }
        (HttpFailure::NoAnswer(e), OpKind::Read) => {
            DriverError::Unavailable(format!("no answer: {}", num::clip(e)))
        }
        (HttpFailure::Denied(e), _) => {
            DriverError::InvalidRequest(format!("denied by host: {}", num::clip(e)))
        }
    }
}

/// Variant name (as in the WIT) and message of an error, for log lines.
pub fn error_parts(e: &DriverError) -> (&'static str, &str) {
    match e {
        DriverError::InsufficientFunds(m) => ("insufficient-funds", m),
        DriverError::InvalidSymbol(m) => ("invalid-symbol", m),
        DriverError::BelowMinimum(m) => ("below-minimum", m),
        DriverError::OrderRejected(m) => ("order-rejected", m),
        DriverError::RateLimited(m) => ("rate-limited", m),
        DriverError::Unavailable(m) => ("unavailable", m),
        DriverError::Auth(m) => ("auth", m),
        DriverError::NotFound(m) => ("not-found", m),
        DriverError::UnknownOutcome(m) => ("unknown-outcome", m),
        DriverError::InvalidRequest(m) => ("invalid-request", m),
    }
}

/// An error as one log line: its WIT variant name, then its message.
pub fn error_line(e: &DriverError) -> String {
    let (name, message) = error_parts(e);
    format!("{name}: {message}")
}

/// The host as a driver's operations see it.
pub trait Http {
    /// `http.send`: status and body, or why there is none.
    fn send(&self, req: &Req) -> Result<(u16, String), HttpFailure>;
    fn log(&self, level: Level, message: &str);
}

/// `Http` over the component's imports. (Natively it only type-checks:
/// the imports exist only inside a component.)
pub struct Host;

impl Http for Host {
    fn send(&self, req: &Req) -> Result<(u16, String), HttpFailure> {
        let request = Request {
            method: match req.method {
                Method::Get => http::Method::Get,
                Method::Post => http::Method::Post,
            },
            path: req.path.into(),
            query: req.query.clone(),
            form: req.form.clone(),
            auth: if req.signed {
                Auth::Signed
            } else {
                Auth::Public
            },
            cache_seconds: req.cache_seconds,
        };
        match http::send(&request) {
            Ok(resp) => Ok((resp.status, resp.body)),
            Err(HttpError::NotSent(e)) => Err(HttpFailure::NotSent(e)),
            Err(HttpError::NoAnswer(e)) => Err(HttpFailure::NoAnswer(e)),
            Err(HttpError::Denied(e)) => Err(HttpFailure::Denied(e)),
        }
    }

    fn log(&self, level: Level, message: &str) {
        log::log(level, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_sent_placement_without_answer_is_unknown() {
        let name = |e: DriverError| error_parts(&e).0;
        for (failure, place, read) in [
            (
                HttpFailure::NotSent("refused".into()),
                "unavailable",
                "unavailable",
            ),
            (
                HttpFailure::NoAnswer("timeout".into()),
                "unknown-outcome",
                "unavailable",
            ),
            (
                HttpFailure::Denied("policy".into()),
                "invalid-request",
                "invalid-request",
            ),
        ] {
            let got = (
                name(transport_error(OpKind::Place, &failure)),
                name(transport_error(OpKind::Read, &failure)),
            );
            assert_eq!(got, (place, read), "{failure:?}");
        }
    }

    #[test]
    fn unique_keeps_the_first_of_each_in_order() {
        assert_eq!(unique(["B", "A", "B", "C", "A"]), ["B", "A", "C"]);
        assert!(unique([]).is_empty());
    }

    #[test]
    fn transport_text_is_clipped() {
        let long = "x".repeat(10 * num::CLIP);
        let e = transport_error(OpKind::Read, &HttpFailure::NotSent(long));
        assert!(error_parts(&e).1.chars().count() <= num::CLIP + 20);
    }
}
