//! What a failure means for the host, per operation kind.
//!
//! The host frees an order's position slot on every error of
//! `place-market-order` except `unknown-outcome`, so for `OpKind::Place` a
//! failure may only be anything else when Binance certainly did not place
//! the order: a code it documents as refused before the matching engine,
//! or a -2010 message it documents as a refusal. Every other code, every
//! other -2010 message, and every answer that is not Binance's own 4xx
//! error is `unknown-outcome`. Reads have no such risk: their transient
//! failures are `unavailable`, which the host retries.
//!
//! Binance codes (4xx answers with `{"code": …, "msg": …}`; messages are
//! compared ignoring case, backticks and a final '.'):
//!
//! | code / message                                   | class     | place-market-order | reads              |
//! |--------------------------------------------------|-----------|--------------------|--------------------|
//! | -1000 UNKNOWN, -1001 DISCONNECTED,               | Unknown   | unknown-outcome    | unavailable        |
//! | -1006 UNEXPECTED_RESP, -1007 TIMEOUT,            |           |                    |                    |
//! | -1008 SERVER_BUSY                                |           |                    |                    |
//! | -2010 "Duplicate order sent." (an open order     | Unknown   | unknown-outcome    | unavailable        |
//! | with that client id exists: look it up)          |           |                    |                    |
//! | -2010 "Unknown order sent." (a cancel message;   | Unknown   | unknown-outcome    | unavailable        |
//! | nonsense for a new order)                        |           |                    |                    |
//! | -2010 with any message not listed here           | Unknown   | unknown-outcome    | unavailable        |
//! | any code not listed here                         | Unknown   | unknown-outcome    | unavailable        |
//! | -2010 "Account has insufficient balance for      | Funds     | insufficient-funds | insufficient-funds |
//! | requested action."                               |           |                    |                    |
//! | -1013 "Filter failure: LOT_SIZE",                | Minimum   | below-minimum      | below-minimum      |
//! | "…: MARKET_LOT_SIZE", "…: NOTIONAL",             |           |                    |                    |
//! | "…: MIN_NOTIONAL"                                |           |                    |                    |
//! | -1013 or -2010 "Market is closed."               | Closed    | unavailable        | unavailable        |
//! | -1013 any other message (filters are checked     | Rejected  | order-rejected     | invalid-request    |
//! | before the matching engine)                      |           |                    |                    |
//! | -2010 "Market orders are not supported for this  | Rejected  | order-rejected     | invalid-request    |
//! | symbol.", "Quote order qty market orders are not |           |                    |                    |
//! | support(ed) for this symbol.", "This symbol is   |           |                    |                    |
//! | not permitted / restricted for this account.",   |           |                    |                    |
//! | "Rest API trading is not enabled.", "This        |           |                    |                    |
//! | account may not place or cancel orders.", "This  |           |                    |                    |
//! | action is disabled on this account.", "Order     |           |                    |                    |
//! | book liquidity is less than LOT_SIZE /           |           |                    |                    |
//! | MARKET_LOT_SIZE filter / symbol minimum          |           |                    |                    |
//! | quantity.", "Filter failure: …"                  |           |                    |                    |
//! | -1014 UNKNOWN_ORDER_COMPOSITION                  | Rejected  | order-rejected     | invalid-request    |
//! | -1121 BAD_SYMBOL                                 | Symbol    | invalid-symbol     | invalid-symbol     |
//! | -1003 TOO_MANY_REQUESTS, -1015 TOO_MANY_ORDERS   | Rate      | rate-limited       | rate-limited       |
//! | -1021 INVALID_TIMESTAMP                          | Timestamp | order-rejected     | unavailable        |
//! | -1002 UNAUTHORIZED, -1022 INVALID_SIGNATURE,     | Auth      | auth               | auth               |
//! | -2014 BAD_API_KEY_FMT, -2015 REJECTED_MBX_KEY    |           |                    |                    |
//! | -1100 … -1199 but -1121 (parameter errors)       | Params    | invalid-request    | invalid-request    |
//! | -2013 NO_SUCH_ORDER, -2026 ORDER_ARCHIVED        | NoOrder   | unknown-outcome    | not-found          |
//! | -2039 orderId / clientOrderId mismatch           | Lookup    | unknown-outcome    | invalid-request    |
//!
//! (`find-order` turns -2013 alone into `none`; -2026, an order archived
//! with nothing executed, stays a `not-found` error, since it did exist.)
//!
//! Other outcomes:
//!
//! | outcome                                       | place-market-order | reads           |
//! |-----------------------------------------------|--------------------|-----------------|
//! | host http-error not-sent                      | unavailable        | unavailable     |
//! | host http-error no-answer                     | unknown-outcome    | unavailable     |
//! | host http-error denied                        | invalid-request    | invalid-request |
//! | 4xx with a Binance error body                 | per table above    | per table above |
//! | 429 / 418 without a Binance error body        | rate-limited       | rate-limited    |
//! | 5xx (any body, HTML included: Binance says    | unknown-outcome    | unavailable     |
//! | "execution status is UNKNOWN")                |                    |                 |
//! | any other status (403 WAF page, 3xx, 204…)    | unknown-outcome    | unavailable     |
//! | 200 whose body cannot be read                 | unknown-outcome    | unavailable     |

use crate::num;
use crate::responses::{ApiError, Failure};
use crate::tradehost::exchange::types::DriverError;
use driver_kit::http::OpKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Unknown,
    Funds,
    Minimum,
    Closed,
    Rejected,
    Symbol,
    Rate,
    Timestamp,
    Auth,
    Params,
    NoOrder,
    Lookup,
}

/// A message as compared: lower case, no backticks, no final '.'.
fn canonical(msg: &str) -> String {
    let m: String = msg.chars().filter(|c| *c != '`').collect();
    m.trim().trim_end_matches('.').trim().to_lowercase()
}

const MARKET_CLOSED: &str = "market is closed";

/// -1013 messages that name a minimum-size or minimum-value filter.
const MINIMUM_FILTERS: &[&str] = &[
    "filter failure: lot_size",
    "filter failure: market_lot_size",
    "filter failure: notional",
    "filter failure: min_notional",
];

/// -2010 messages that are certain refusals, and their class. Any other
/// -2010 message, "Duplicate order sent." included, is Unknown.
const NEW_ORDER_REJECTED: &[(&str, Class)] = &[
    (
        "account has insufficient balance for requested action",
        Class::Funds,
    ),
    (MARKET_CLOSED, Class::Closed),
    (
        "market orders are not supported for this symbol",
        Class::Rejected,
    ),
    (
        "quote order qty market orders are not support for this symbol",
        Class::Rejected,
    ),
    (
        "quote order qty market orders are not supported for this symbol",
        Class::Rejected,
    ),
    (
        "this symbol is not permitted for this account",
        Class::Rejected,
    ),
    (
        "this symbol is restricted for this account",
        Class::Rejected,
    ),
    ("rest api trading is not enabled", Class::Rejected),
    (
        "this account may not place or cancel orders",
        Class::Rejected,
    ),
    ("this action is disabled on this account", Class::Rejected),
    (
        "order book liquidity is less than lot_size filter minimum quantity",
        Class::Rejected,
    ),
    (
        "order book liquidity is less than market_lot_size filter minimum quantity",
        Class::Rejected,
    ),
    (
        "order book liquidity is less than symbol minimum quantity",
        Class::Rejected,
    ),
];

/// The class of a Binance error.
pub fn classify(code: i64, msg: &str) -> Class {
    match code {
        -1013 => {
            let m = canonical(msg);
            if MINIMUM_FILTERS.contains(&m.as_str()) {
                Class::Minimum
            } else if m == MARKET_CLOSED {
                Class::Closed
            } else {
                Class::Rejected
            }
        }
        -2010 => {
            let m = canonical(msg);
            NEW_ORDER_REJECTED
                .iter()
                .find(|(known, _)| *known == m)
                .map(|(_, class)| *class)
                .or_else(|| m.starts_with("filter failure:").then_some(Class::Rejected))
                .unwrap_or(Class::Unknown)
        }
        -1014 => Class::Rejected,
        -1121 => Class::Symbol,
        -1003 | -1015 => Class::Rate,
        -1021 => Class::Timestamp,
        -1002 | -1022 | -2014 | -2015 => Class::Auth,
        -1199..=-1100 => Class::Params,
        -2013 | -2026 => Class::NoOrder,
        -2039 => Class::Lookup,
        // -1000, -1001, -1006, -1007, -1008 and every code not listed.
        _ => Class::Unknown,
    }
}

/// A Binance error body (from a 4xx answer).
pub fn from_binance(kind: OpKind, status: u16, e: &ApiError) -> DriverError {
    let msg = format!(
        "binance HTTP {status} code {}: {}",
        e.code,
        num::clip(&e.msg)
    );
    match (classify(e.code, &e.msg), kind) {
        (Class::Unknown | Class::NoOrder | Class::Lookup, OpKind::Place) => {
            DriverError::UnknownOutcome(msg)
        }
        (Class::Unknown | Class::Timestamp, OpKind::Read) => DriverError::Unavailable(msg),
        // A stale timestamp is refused before anything happens.
        (Class::Rejected | Class::Timestamp, OpKind::Place) => DriverError::OrderRejected(msg),
        (Class::Rejected | Class::Lookup, OpKind::Read) => DriverError::InvalidRequest(msg),
        (Class::NoOrder, OpKind::Read) => DriverError::NotFound(msg),
        (Class::Funds, _) => DriverError::InsufficientFunds(msg),
        (Class::Minimum, _) => DriverError::BelowMinimum(msg),
        (Class::Closed, _) => DriverError::Unavailable(msg),
        (Class::Symbol, _) => DriverError::InvalidSymbol(msg),
        (Class::Rate, _) => DriverError::RateLimited(msg),
        (Class::Auth, _) => DriverError::Auth(msg),
        (Class::Params, _) => DriverError::InvalidRequest(msg),
    }
}

/// A non-200 answer. Only a 4xx carrying Binance's own error body is taken
/// as Binance's verdict; a 5xx never is (Binance: execution status
/// unknown), and anything else may come from a proxy in front of a
/// Binance that did act on the request.
pub fn from_status(kind: OpKind, status: u16, body: &str) -> DriverError {
    if (400..500).contains(&status)
        && let Some(e) = crate::responses::api_error(body)
    {
        return from_binance(kind, status, &e);
    }
    let msg = format!(
        "binance answered HTTP {status}: {}",
        num::clip_to(body.trim(), 80)
    );
    match (status, kind) {
        (429 | 418, _) => DriverError::RateLimited(msg),
        (_, OpKind::Place) => DriverError::UnknownOutcome(msg),
        (_, OpKind::Read) => DriverError::Unavailable(msg),
    }
}

/// A 200 body that did not yield a result.
pub fn from_failure(kind: OpKind, failure: Failure) -> DriverError {
    let Failure::Malformed(what) = failure;
    let msg = format!("unreadable binance answer: {what}");
    match kind {
        OpKind::Place => DriverError::UnknownOutcome(msg),
        OpKind::Read => DriverError::Unavailable(msg),
    }
}
