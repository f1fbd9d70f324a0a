//! What a failure means for the host, per operation kind.
//!
//! The host frees an order's position slot on every AddOrder error except
//! `unknown-outcome`, so for `OpKind::Place` a failure may only be anything
//! else when Kraken certainly did not place the order: only the strings
//! listed below as proven refusals qualify, and any string not listed is
//! `unknown-outcome`. Reads have no such risk: their transient failures are
//! `unavailable`, which the host retries.
//!
//! | Kraken error (prefix match)                  | class     | AddOrder           | reads             |
//! |----------------------------------------------|-----------|--------------------|-------------------|
//! | EService:Unavailable, EService:Busy,         | Unknown   | unknown-outcome    | unavailable       |
//! | EService:Timeout, EGeneral:Internal error…,  |           |                    |                   |
//! | EDatabase:Internal error…                    |           |                    |                   |
//! | EOrder:Duplicate cl_ord_id (an open order    | Duplicate | unknown-outcome    | invalid-request   |
//! | with that id exists: the host looks it up)   |           |                    |                   |
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
//! | EGeneral:Invalid arguments…, EOrder:Invalid  | Rejected  | order-rejected     | invalid-request   |
//! | order, EOrder:Invalid price…, EOrder:Tick    |           |                    |                   |
//! | size check failed, EOrder:Orders limit       |           |                    |                   |
//! | exceeded, EOrder:Scheduled orders limit      |           |                    |                   |
//! | exceeded, EOrder:Reduce only…, the margin    |           |                    |                   |
//! | refusals (EOrder:Positions limit exceeded,   |           |                    |                   |
//! | Unknown position, Cannot open [opposing]     |           |                    |                   |
//! | position, Margin allowance exceeded, Margin  |           |                    |                   |
//! | level too low, Margin position size          |           |                    |                   |
//! | exceeded, Insufficient margin), ETrade:      |           |                    |                   |
//! | Invalid request, ETrade:User Locked,         |           |                    |                   |
//! | ETrade:Locked, EAuth:Account temporary       |           |                    |                   |
//! | disabled, EAuth:Account unconfirmed,         |           |                    |                   |
//! | EBM:limit exceeded…                          |           |                    |                   |
//! | anything else (unrecognised)                 | Unlisted  | unknown-outcome    | invalid-request   |
//!
//! Several errors in one answer: for AddOrder, any Unknown, Duplicate or
//! Unlisted one (or none at all) makes the whole answer `unknown-outcome`;
//! for reads any Unknown one makes it `unavailable`. Otherwise the first
//! error decides. Non-error outcomes:
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
use driver_kit::http::OpKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Kraken may or may not have acted.
    Unknown,
    /// An open order already carries this `cl_ord_id`.
    Duplicate,
    Nonce,
    Funds,
    Minimum,
    Symbol,
    Rate,
    Auth,
    Halted,
    /// A documented refusal: nothing was placed.
    Rejected,
    /// Not in the table: for AddOrder we cannot know what happened.
    Unlisted,
}

const TABLE: &[(&str, Class)] = &[
    ("EService:Unavailable", Class::Unknown),
    ("EService:Busy", Class::Unknown),
    ("EService:Timeout", Class::Unknown),
    ("EGeneral:Internal error", Class::Unknown),
    ("EDatabase:Internal error", Class::Unknown),
    ("EOrder:Duplicate cl_ord_id", Class::Duplicate),
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
    ("EGeneral:Invalid arguments", Class::Rejected),
    ("EOrder:Invalid order", Class::Rejected),
    ("EOrder:Invalid price", Class::Rejected),
    ("EOrder:Tick size check failed", Class::Rejected),
    ("EOrder:Orders limit exceeded", Class::Rejected),
    ("EOrder:Scheduled orders limit exceeded", Class::Rejected),
    ("EOrder:Reduce only", Class::Rejected),
    ("EOrder:Positions limit exceeded", Class::Rejected),
    ("EOrder:Unknown position", Class::Rejected),
    ("EOrder:Cannot open position", Class::Rejected),
    ("EOrder:Cannot open opposing position", Class::Rejected),
    ("EOrder:Margin allowance exceeded", Class::Rejected),
    ("EOrder:Margin level too low", Class::Rejected),
    ("EOrder:Margin position size exceeded", Class::Rejected),
    ("EOrder:Insufficient margin", Class::Rejected),
    ("ETrade:Invalid request", Class::Rejected),
    ("ETrade:User Locked", Class::Rejected),
    ("ETrade:Locked", Class::Rejected),
    ("EAuth:Account temporary disabled", Class::Rejected),
    ("EAuth:Account unconfirmed", Class::Rejected),
    ("EBM:limit exceeded", Class::Rejected),
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
        .map_or(Class::Unlisted, |(_, class)| *class)
}

/// Error strings Kraken sent in a 200 (or 4xx) answer.
pub fn from_kraken(kind: OpKind, errors: &[String]) -> DriverError {
    let classes: Vec<Class> = errors.iter().map(|e| classify(e)).collect();
    let doubt = |c: &Class| matches!(c, Class::Unknown | Class::Duplicate | Class::Unlisted);
    let class = match kind {
        // Only an answer made of proven refusals frees the slot.
        OpKind::Place if classes.is_empty() || classes.iter().any(doubt) => Class::Unknown,
        OpKind::Read if classes.contains(&Class::Unknown) => Class::Unknown,
        _ => classes.first().copied().unwrap_or(Class::Unlisted),
    };
    let joined = errors
        .iter()
        .map(|e| num::clip(e))
        .collect::<Vec<_>>()
        .join(", ");
    let msg = format!("kraken: {joined}");
    match (class, kind) {
        (Class::Unknown | Class::Duplicate | Class::Unlisted, OpKind::Place) => {
            DriverError::UnknownOutcome(msg)
        }
        // A stale nonce is refused before anything happens.
        (Class::Nonce | Class::Rejected, OpKind::Place) => DriverError::OrderRejected(msg),
        (Class::Unknown | Class::Nonce | Class::Halted, _) => DriverError::Unavailable(msg),
        (Class::Duplicate | Class::Rejected | Class::Unlisted, OpKind::Read) => {
            DriverError::InvalidRequest(msg)
        }
        (Class::Funds, _) => DriverError::InsufficientFunds(msg),
        (Class::Minimum, _) => DriverError::BelowMinimum(msg),
        (Class::Symbol, _) => DriverError::InvalidSymbol(msg),
        (Class::Rate, _) => DriverError::RateLimited(msg),
        (Class::Auth, _) => DriverError::Auth(msg),
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

#[cfg(test)]
mod tests {
    use super::*;
    use driver_kit::http::error_parts;

    fn name(e: &DriverError) -> &'static str {
        error_parts(e).0
    }

    fn message(e: &DriverError) -> &str {
        error_parts(e).1
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
    row!(
        invalid_price_argument,
        "EOrder:Invalid price:Invalid price argument",
        RJ,
        IR
    );
    row!(tick_size, "EOrder:Tick size check failed", RJ, IR);
    row!(
        scheduled_limit,
        "EOrder:Scheduled orders limit exceeded",
        RJ,
        IR
    );
    row!(reduce_only, "EOrder:Reduce only:No position exists", RJ, IR);
    row!(insufficient_margin, "EOrder:Insufficient margin", RJ, IR);
    row!(
        opposing_position,
        "EOrder:Cannot open opposing position",
        RJ,
        IR
    );
    row!(trade_invalid, "ETrade:Invalid request", RJ, IR);
    row!(trade_locked, "ETrade:User Locked", RJ, IR);
    row!(locked, "ETrade:Locked", RJ, IR);
    row!(account_disabled, "EAuth:Account temporary disabled", RJ, IR);
    row!(acquisition_limit, "EBM:limit exceeded:CAL", RJ, IR);
    // An open order already carries the cl_ord_id: it may be ours.
    row!(duplicate_cl_ord_id, "EOrder:Duplicate cl_ord_id", UO, IR);
    // Unrecognised strings: on AddOrder we cannot know what happened.
    row!(unknown_string, "EFoo:Never heard of it", UO, IR);
    row!(lookalike_prefix, "EAPI:Invalid keyboard", UO, IR);
    row!(unknown_order_on_add, "EOrder:Unknown order", UO, IR);
    row!(cancel_pending, "EOrder:Cancel pending", UO, IR);
    row!(new_order_error, "EOrder:Something new", UO, IR);

    #[test]
    fn any_doubtful_error_makes_an_add_order_answer_unknown() {
        let list = |e: &[&str]| e.iter().map(ToString::to_string).collect::<Vec<_>>();
        let place = |e: &[&str]| name(&from_kraken(OpKind::Place, &list(e)));
        let read = |e: &[&str]| name(&from_kraken(OpKind::Read, &list(e)));
        let funds = "EOrder:Insufficient funds";
        assert_eq!(place(&[funds, "EService:Unavailable"]), UO);
        assert_eq!(place(&[funds, "EOrder:Duplicate cl_ord_id"]), UO);
        assert_eq!(place(&[funds, "EFoo:Never heard of it"]), UO);
        assert_eq!(place(&["EAPI:Invalid key", funds]), AU);
        assert_eq!(place(&[]), UO);
        // Reads keep their mapping: only an Unknown error overrides the first.
        assert_eq!(read(&[funds, "EService:Unavailable"]), UN);
        assert_eq!(
            read(&[funds, "EFoo:Never heard of it"]),
            "insufficient-funds"
        );
        assert_eq!(read(&[]), IR);
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
