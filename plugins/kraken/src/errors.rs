//! What a failure means for the host, per operation kind.
//!
//! The host frees an order's position slot on every AddOrder error except
//! `unknown-outcome`, so for `OpKind::Place` a failure may only be anything
//! else when Kraken certainly did not place the order. Reads have no such
//! risk: their transient failures are `unavailable`, which the host retries.
//!
//! | Kraken error (prefix match)                  | class     | AddOrder           | reads             |
//! |----------------------------------------------|-----------|--------------------|-------------------|
//! | EService:Unavailable, EService:Busy,         | Unknown   | unknown-outcome    | unavailable       |
//! | EService:Timeout, EGeneral:Internal error…,  |           |                    |                   |
//! | EDatabase:Internal error…                    |           |                    |                   |
//! | EAPI:Invalid nonce                           | Nonce     | order-rejected     | unavailable       |
//! | EOrder:Insufficient funds                    | Funds     | insufficient-funds | insufficient-funds|
//! | EOrder:Order minimum not met,                | Minimum   | below-minimum      | below-minimum     |
//! | EOrder:Cost minimum not met                  |           |                    |                   |
//! | EQuery:Unknown asset pair, EQuery:Invalid    | Symbol    | invalid-symbol     | invalid-symbol    |
//! | asset pair, EQuery:Unknown asset             |           |                    |                   |
//! | EAPI:Rate limit exceeded, EOrder:Rate limit  | Rate      | rate-limited       | rate-limited      |
//! | exceeded, EOrder:Domain rate limit exceeded, |           |                    |                   |
//! | EGeneral:Too many requests, EGeneral:        |           |                    |                   |
//! | Temporary lockout, EService:Throttled…,      |           |                    |                   |
//! | EAuth:Rate limit exceeded, EAuth:Too many    |           |                    |                   |
//! | requests                                     |           |                    |                   |
//! | EAPI:Invalid key, EAPI:Invalid signature,    | Auth      | auth               | auth              |
//! | EAPI:Feature disabled, EGeneral:Permission   |           |                    |                   |
//! | denied, EAccount:Invalid permissions,        |           |                    |                   |
//! | ESession:Invalid session                     |           |                    |                   |
//! | EService:Market in … mode,                   | Halted    | unavailable        | unavailable       |
//! | EService:Deadline elapsed                    |           |                    |                   |
//! | anything else (EGeneral:Invalid arguments…,  | Rejected  | order-rejected     | invalid-request   |
//! | EOrder:Invalid order, other E-strings)       |           |                    |                   |
//!
//! Several errors in one answer: any Unknown one makes the whole answer
//! Unknown; otherwise the first error decides. Non-error outcomes:
//!
//! | outcome                                | AddOrder        | reads          |
//! |----------------------------------------|-----------------|----------------|
//! | host http-error not-sent               | unavailable     | unavailable    |
//! | host http-error no-answer              | unknown-outcome | unavailable    |
//! | host http-error denied                 | invalid-request | invalid-request|
//! | HTTP 429                               | unknown-outcome | rate-limited   |
//! | other non-200 (5xx, 52x, 4xx…)         | unknown-outcome | unavailable    |
//! | 4xx whose body holds Kraken errors     | per table above | per table above|
//! | 200, body unreadable / no result/txid  | unknown-outcome | unavailable    |

use crate::num;
use crate::responses::Failure;
use crate::tradehost::exchange::types::DriverError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// AddOrder: may have taken effect.
    Place,
    /// Everything else: repeatable.
    Read,
}

/// Transport failures reported by the host's `http.send`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpFailure {
    /// Proven not to have reached Kraken.
    NotSent(String),
    /// Sent; no complete answer.
    NoAnswer(String),
    /// The host refused to send it.
    Denied(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Unknown,
    Nonce,
    Funds,
    Minimum,
    Symbol,
    Rate,
    Auth,
    Halted,
    Rejected,
}

const TABLE: &[(&str, Class)] = &[
    ("EService:Unavailable", Class::Unknown),
    ("EService:Busy", Class::Unknown),
    ("EService:Timeout", Class::Unknown),
    ("EGeneral:Internal error", Class::Unknown),
    ("EDatabase:Internal error", Class::Unknown),
    ("EAPI:Invalid nonce", Class::Nonce),
    ("EOrder:Insufficient funds", Class::Funds),
    ("EOrder:Order minimum not met", Class::Minimum),
    ("EOrder:Cost minimum not met", Class::Minimum),
    ("EQuery:Unknown asset pair", Class::Symbol),
    ("EQuery:Invalid asset pair", Class::Symbol),
    ("EQuery:Unknown asset", Class::Symbol),
    ("EAPI:Rate limit exceeded", Class::Rate),
    ("EOrder:Rate limit exceeded", Class::Rate),
    ("EOrder:Domain rate limit exceeded", Class::Rate),
    ("EGeneral:Too many requests", Class::Rate),
    ("EGeneral:Temporary lockout", Class::Rate),
    ("EService:Throttled", Class::Rate),
    ("EAuth:Rate limit exceeded", Class::Rate),
    ("EAuth:Too many requests", Class::Rate),
    ("EAPI:Invalid key", Class::Auth),
    ("EAPI:Invalid signature", Class::Auth),
    ("EAPI:Feature disabled", Class::Auth),
    ("EGeneral:Permission denied", Class::Auth),
    ("EAccount:Invalid permissions", Class::Auth),
    ("ESession:Invalid session", Class::Auth),
    ("EService:Market in", Class::Halted),
    ("EService:Deadline elapsed", Class::Halted),
];

/// Kraken varies spacing ("EService: Throttled: 1700000000"); compare the
/// colon-separated parts trimmed.
fn canonical(error: &str) -> String {
    error
        .split(':')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(":")
}

pub fn classify(error: &str) -> Class {
    let e = canonical(error);
    TABLE
        .iter()
        .find(|(prefix, _)| {
            // A prefix matches whole words only: "EQuery:Unknown asset"
            // must not swallow "EQuery:Unknown asset pair" (same class
            // anyway) nor odd strings like "EAPI:Invalid keyboard".
            e.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', ' ']))
        })
        .map_or(Class::Rejected, |(_, class)| *class)
}

/// Error strings Kraken sent in a 200 (or 4xx) answer.
pub fn from_kraken(kind: OpKind, errors: &[String]) -> DriverError {
    let class = if errors.iter().any(|e| classify(e) == Class::Unknown) {
        Class::Unknown
    } else {
        errors.first().map_or(Class::Rejected, |e| classify(e))
    };
    let joined = errors
        .iter()
        .map(|e| num::clip(e))
        .collect::<Vec<_>>()
        .join(", ");
    let msg = format!("kraken: {joined}");
    match (class, kind) {
        (Class::Unknown, OpKind::Place) => DriverError::UnknownOutcome(msg),
        // A stale nonce is refused before anything happens.
        (Class::Nonce | Class::Rejected, OpKind::Place) => DriverError::OrderRejected(msg),
        (Class::Unknown | Class::Nonce | Class::Halted, _) => DriverError::Unavailable(msg),
        (Class::Rejected, OpKind::Read) => DriverError::InvalidRequest(msg),
        (Class::Funds, _) => DriverError::InsufficientFunds(msg),
        (Class::Minimum, _) => DriverError::BelowMinimum(msg),
        (Class::Symbol, _) => DriverError::InvalidSymbol(msg),
        (Class::Rate, _) => DriverError::RateLimited(msg),
        (Class::Auth, _) => DriverError::Auth(msg),
    }
}

pub fn from_transport(kind: OpKind, failure: &HttpFailure) -> DriverError {
    match (failure, kind) {
        (HttpFailure::NotSent(e), _) => DriverError::Unavailable(format!("not sent: {e}")),
        (HttpFailure::NoAnswer(e), OpKind::Place) => {
            DriverError::UnknownOutcome(format!("no answer: {e}"))
        }
        (HttpFailure::NoAnswer(e), OpKind::Read) => {
            DriverError::Unavailable(format!("no answer: {e}"))
        }
        (HttpFailure::Denied(e), _) => DriverError::InvalidRequest(format!("denied by host: {e}")),
    }
}

/// A non-200 answer. Only a 4xx carrying Kraken's own error strings is
/// taken as Kraken's verdict; anything else may come from a proxy in front
/// of a Kraken that did act on the request.
pub fn from_status(kind: OpKind, status: u16, body: &str) -> DriverError {
    if (400..500).contains(&status)
        && let Err(Failure::Kraken(errors)) = crate::responses::envelope(body)
    {
        return from_kraken(kind, &errors);
    }
    let msg = format!("kraken answered HTTP {status}");
    match kind {
        OpKind::Place => DriverError::UnknownOutcome(msg),
        OpKind::Read if status == 429 => DriverError::RateLimited(msg),
        OpKind::Read => DriverError::Unavailable(msg),
    }
}

/// A 200 body that did not yield a result.
pub fn from_failure(kind: OpKind, failure: Failure) -> DriverError {
    match (failure, kind) {
        (Failure::Kraken(errors), _) => from_kraken(kind, &errors),
        (Failure::Malformed(what), OpKind::Place) => {
            DriverError::UnknownOutcome(format!("unreadable kraken answer: {what}"))
        }
        (Failure::Malformed(what), OpKind::Read) => {
            DriverError::Unavailable(format!("unreadable kraken answer: {what}"))
        }
        (Failure::UnknownPair(alt), _) => {
            DriverError::InvalidSymbol(format!("kraken no longer lists pair {alt}"))
        }
    }
}

/// Variant name (as in the WIT) and message of an error, for log lines.
pub fn parts(e: &DriverError) -> (&'static str, &str) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn name(e: &DriverError) -> &'static str {
        parts(e).0
    }

    fn message(e: &DriverError) -> &str {
        parts(e).1
    }

    /// One test per row: Kraken string -> (AddOrder, read) outcome, and
    /// the string is quoted in both messages.
    macro_rules! row {
        ($test:ident, $kraken:expr, $place:expr, $read:expr) => {
            #[test]
            fn $test() {
                let errors = [String::from($kraken)];
                let place = from_kraken(OpKind::Place, &errors);
                let read = from_kraken(OpKind::Read, &errors);
                assert_eq!((name(&place), name(&read)), ($place, $read), "{}", $kraken);
                assert!(message(&place).contains($kraken), "{place:?}");
                assert!(message(&read).contains($kraken), "{read:?}");
            }
        };
    }

    const UO: &str = "unknown-outcome";
    const UN: &str = "unavailable";
    const RJ: &str = "order-rejected";
    const IR: &str = "invalid-request";
    const RL: &str = "rate-limited";
    const AU: &str = "auth";

    row!(service_unavailable, "EService:Unavailable", UO, UN);
    row!(service_busy, "EService:Busy", UO, UN);
    row!(service_timeout, "EService:Timeout", UO, UN);
    row!(internal_error, "EGeneral:Internal error", UO, UN);
    row!(internal_error_code, "EGeneral:Internal error:1234", UO, UN);
    row!(database_error, "EDatabase:Internal error", UO, UN);
    row!(invalid_nonce, "EAPI:Invalid nonce", RJ, UN);
    row!(
        insufficient_funds,
        "EOrder:Insufficient funds",
        "insufficient-funds",
        "insufficient-funds"
    );
    row!(
        order_minimum,
        "EOrder:Order minimum not met",
        "below-minimum",
        "below-minimum"
    );
    row!(
        cost_minimum,
        "EOrder:Cost minimum not met",
        "below-minimum",
        "below-minimum"
    );
    row!(
        unknown_pair,
        "EQuery:Unknown asset pair",
        "invalid-symbol",
        "invalid-symbol"
    );
    row!(
        invalid_pair,
        "EQuery:Invalid asset pair",
        "invalid-symbol",
        "invalid-symbol"
    );
    row!(
        unknown_asset,
        "EQuery:Unknown asset",
        "invalid-symbol",
        "invalid-symbol"
    );
    row!(api_rate, "EAPI:Rate limit exceeded", RL, RL);
    row!(order_rate, "EOrder:Rate limit exceeded", RL, RL);
    row!(domain_rate, "EOrder:Domain rate limit exceeded", RL, RL);
    row!(too_many, "EGeneral:Too many requests", RL, RL);
    row!(lockout, "EGeneral:Temporary lockout", RL, RL);
    row!(throttled, "EService:Throttled:1700000000", RL, RL);
    row!(throttled_spaced, "EService: Throttled: 1700000000", RL, RL);
    row!(auth_rate, "EAuth:Rate limit exceeded", RL, RL);
    row!(auth_too_many, "EAuth:Too many requests", RL, RL);
    row!(invalid_key, "EAPI:Invalid key", AU, AU);
    row!(invalid_signature, "EAPI:Invalid signature", AU, AU);
    row!(feature_disabled, "EAPI:Feature disabled", AU, AU);
    row!(permission_denied, "EGeneral:Permission denied", AU, AU);
    row!(account_permissions, "EAccount:Invalid permissions", AU, AU);
    row!(invalid_session, "ESession:Invalid session", AU, AU);
    row!(cancel_only, "EService:Market in cancel_only mode", UN, UN);
    row!(post_only, "EService:Market in post_only mode", UN, UN);
    row!(limit_only, "EService:Market in limit_only mode", UN, UN);
    row!(deadline, "EService:Deadline elapsed", UN, UN);
    row!(invalid_arguments, "EGeneral:Invalid arguments", RJ, IR);
    row!(
        invalid_arguments_field,
        "EGeneral:Invalid arguments:volume",
        RJ,
        IR
    );
    row!(invalid_order, "EOrder:Invalid order", RJ, IR);
    row!(orders_limit, "EOrder:Orders limit exceeded", RJ, IR);
    row!(invalid_price, "EOrder:Invalid price", RJ, IR);
    row!(trade_locked, "ETrade:User Locked", RJ, IR);
    row!(unknown_string, "EFoo:Never heard of it", RJ, IR);
    row!(lookalike_prefix, "EAPI:Invalid keyboard", RJ, IR);

    #[test]
    fn any_unknown_error_makes_the_answer_unknown() {
        let errors = [
            "EOrder:Insufficient funds".into(),
            "EService:Unavailable".into(),
        ];
        assert_eq!(name(&from_kraken(OpKind::Place, &errors)), UO);
        let errors = [
            "EAPI:Invalid key".into(),
            "EOrder:Insufficient funds".into(),
        ];
        assert_eq!(name(&from_kraken(OpKind::Place, &errors)), AU);
        assert_eq!(name(&from_kraken(OpKind::Place, &[])), RJ);
    }

    #[test]
    fn transport() {
        let cases = [
            (HttpFailure::NotSent("refused".into()), UN, UN),
            (HttpFailure::NoAnswer("timeout".into()), UO, UN),
            (HttpFailure::Denied("path".into()), IR, IR),
        ];
        for (failure, place, read) in cases {
            let got = (
                name(&from_transport(OpKind::Place, &failure)),
                name(&from_transport(OpKind::Read, &failure)),
            );
            assert_eq!(got, (place, read), "{failure:?}");
        }
    }

    #[test]
    fn http_status() {
        let kraken_body = r#"{"error":["EGeneral:Invalid arguments"]}"#;
        for (status, body, place, read) in [
            (500, "", UO, UN),
            (502, "<html>bad gateway</html>", UO, UN),
            (520, "", UO, UN),
            (524, "", UO, UN),
            (503, r#"{"error":["EGeneral:Invalid arguments"]}"#, UO, UN),
            (429, "", UO, RL),
            (403, "<html>blocked</html>", UO, UN),
            (400, kraken_body, RJ, IR),
            (204, "", UO, UN),
        ] {
            let got = (
                name(&from_status(OpKind::Place, status, body)),
                name(&from_status(OpKind::Read, status, body)),
            );
            assert_eq!(got, (place, read), "{status} {body}");
        }
    }

    #[test]
    fn malformed_answers() {
        let m = || Failure::Malformed("x".into());
        assert_eq!(name(&from_failure(OpKind::Place, m())), UO);
        assert_eq!(name(&from_failure(OpKind::Read, m())), UN);
        let p = Failure::UnknownPair("FOOUSD".into());
        assert_eq!(name(&from_failure(OpKind::Read, p)), "invalid-symbol");
    }
}
