//! The error table of `errors`, row by row, for an order placement and for
//! a read: what each Binance code, message, status and transport failure
//! becomes.

use crate::errors::{from_failure, from_status};
use crate::responses::Failure;
use crate::tradehost::exchange::types::DriverError;
use driver_kit::http::{OpKind, error_parts};

const UO: &str = "unknown-outcome";
const UN: &str = "unavailable";
const RJ: &str = "order-rejected";
const IR: &str = "invalid-request";
const RL: &str = "rate-limited";
const AU: &str = "auth";
const IF: &str = "insufficient-funds";
const BM: &str = "below-minimum";
const IS: &str = "invalid-symbol";
const NF: &str = "not-found";

fn name(e: &DriverError) -> &'static str {
    error_parts(e).0
}

fn body(code: i64, msg: &str) -> String {
    serde_json::json!({ "code": code, "msg": msg }).to_string()
}

/// (place, read) outcome of a 400 answer carrying `code` and `msg`; the
/// code and message are quoted in both errors.
fn classify(code: i64, msg: &str) -> (&'static str, &'static str) {
    let b = body(code, msg);
    let place = from_status(OpKind::Place, 400, &b);
    let read = from_status(OpKind::Read, 400, &b);
    for e in [&place, &read] {
        assert!(
            error_parts(e).1.contains(&code.to_string()) && error_parts(e).1.contains(msg),
            "{e:?}"
        );
    }
    (name(&place), name(&read))
}

macro_rules! row {
    ($test:ident, $code:expr, $msg:expr, $place:expr, $read:expr) => {
        #[test]
        fn $test() {
            assert_eq!(classify($code, $msg), ($place, $read), "{} {}", $code, $msg);
        }
    };
}

// Execution status unknown.
row!(
    unknown,
    -1000,
    "An unknown error occurred while processing the request.",
    UO,
    UN
);
row!(
    disconnected,
    -1001,
    "Internal error; unable to process your request. Please try again.",
    UO,
    UN
);
row!(
    unexpected_resp,
    -1006,
    "An unexpected response was received from the message bus. Execution status unknown.",
    UO,
    UN
);
row!(
    timeout,
    -1007,
    "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
    UO,
    UN
);
row!(
    server_busy,
    -1008,
    "Server is currently overloaded with other requests. Please try again in a few minutes.",
    UO,
    UN
);
row!(duplicate, -2010, "Duplicate order sent.", UO, UN);
row!(unknown_order_sent, -2010, "Unknown order sent.", UO, UN);
row!(
    new_2010_message,
    -2010,
    "Something Binance added later.",
    UO,
    UN
);
row!(unlisted_code, -9999, "Never heard of it.", UO, UN);
row!(
    unlisted_code_1010,
    -1010,
    "Account has insufficient balance for requested action.",
    UO,
    UN
);
row!(cancel_rejected_code, -2011, "Unknown order sent.", UO, UN);
// Certain refusals.
row!(
    insufficient,
    -2010,
    "Account has insufficient balance for requested action.",
    IF,
    IF
);
row!(lot_size, -1013, "Filter failure: LOT_SIZE", BM, BM);
row!(
    market_lot_size,
    -1013,
    "Filter failure: MARKET_LOT_SIZE",
    BM,
    BM
);
row!(notional, -1013, "Filter failure: NOTIONAL", BM, BM);
row!(min_notional, -1013, "Filter failure: MIN_NOTIONAL", BM, BM);
row!(price_filter, -1013, "Filter failure: PRICE_FILTER", RJ, IR);
row!(
    max_num_orders,
    -1013,
    "Filter failure: MAX_NUM_ORDERS",
    RJ,
    IR
);
row!(other_1013, -1013, "Invalid quantity.", RJ, IR);
row!(closed_2010, -2010, "Market is closed.", UN, UN);
row!(closed_1013, -1013, "Market is closed.", UN, UN);
row!(
    no_market_orders,
    -2010,
    "Market orders are not supported for this symbol.",
    RJ,
    IR
);
row!(
    no_quote_qty,
    -2010,
    "Quote order qty market orders are not support for this symbol.",
    RJ,
    IR
);
row!(
    not_permitted,
    -2010,
    "This symbol is not permitted for this account.",
    RJ,
    IR
);
row!(
    restricted,
    -2010,
    "This symbol is restricted for this account.",
    RJ,
    IR
);
row!(
    rest_disabled,
    -2010,
    "Rest API trading is not enabled.",
    RJ,
    IR
);
row!(
    may_not_place,
    -2010,
    "This account may not place or cancel orders.",
    RJ,
    IR
);
row!(
    action_disabled,
    -2010,
    "This action is disabled on this account.",
    RJ,
    IR
);
row!(
    liquidity_lot,
    -2010,
    "Order book liquidity is less than `LOT_SIZE` filter minimum quantity.",
    RJ,
    IR
);
row!(
    liquidity_lot_plain,
    -2010,
    "Order book liquidity is less than LOT_SIZE filter minimum quantity.",
    RJ,
    IR
);
row!(
    liquidity_market_lot,
    -2010,
    "Order book liquidity is less than `MARKET_LOT_SIZE` filter minimum quantity.",
    RJ,
    IR
);
row!(
    liquidity_symbol,
    -2010,
    "Order book liquidity is less than symbol minimum quantity.",
    RJ,
    IR
);
row!(max_position, -2010, "Filter failure: MAX_POSITION", RJ, IR);
row!(composition, -1014, "Unsupported order combination.", RJ, IR);
row!(bad_symbol, -1121, "Invalid symbol.", IS, IS);
row!(
    too_many_requests,
    -1003,
    "Too much request weight used; current limit is 6000 request weight per 1 MINUTE.",
    RL,
    RL
);
row!(
    too_many_orders,
    -1015,
    "Too many new orders; current limit is 50 orders per 10 SECOND.",
    RL,
    RL
);
row!(
    timestamp,
    -1021,
    "Timestamp for this request is outside of the recvWindow.",
    RJ,
    UN
);
row!(
    unauthorized,
    -1002,
    "You are not authorized to execute this request.",
    AU,
    AU
);
row!(
    signature,
    -1022,
    "Signature for this request is not valid.",
    AU,
    AU
);
row!(key_format, -2014, "API-key format invalid.", AU, AU);
row!(
    rejected_key,
    -2015,
    "Invalid API-key, IP, or permissions for action.",
    AU,
    AU
);
row!(
    illegal_chars,
    -1100,
    "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.",
    IR,
    IR
);
row!(
    mandatory,
    -1102,
    "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
    IR,
    IR
);
row!(
    precision,
    -1111,
    "Parameter 'quoteOrderQty' has too much precision.",
    IR,
    IR
);
row!(
    recv_window,
    -1131,
    "recvWindow must be less than 60000",
    IR,
    IR
);
// Lookups.
row!(no_such_order, -2013, "Order does not exist.", UO, NF);
row!(
    archived,
    -2026,
    "Order was canceled or expired with no executed qty over 90 days ago and has been archived.",
    UO,
    NF
);
row!(
    id_mismatch,
    -2039,
    "Client order ID is not correct for this order ID.",
    UO,
    IR
);

#[test]
fn messages_compare_loosely_but_not_by_prefix() {
    assert_eq!(
        classify(
            -2010,
            "account has insufficient balance for requested action"
        ),
        (IF, IF)
    );
    assert_eq!(classify(-2010, "  Market is closed  "), (UN, UN));
    assert_eq!(classify(-1013, "Filter failure: lot_size."), (BM, BM));
    // A known message with more after it is not that message.
    assert_eq!(
        classify(-2010, "Market is closed. Duplicate order sent."),
        (UO, UN)
    );
    assert_eq!(classify(-1013, "Filter failure: LOT_SIZE_EXTRA"), (RJ, IR));
}

#[test]
fn http_status() {
    let insufficient = body(
        -2010,
        "Account has insufficient balance for requested action.",
    );
    for (status, body, place, read) in [
        (500, String::new(), UO, UN),
        (
            502,
            "<html><body><h1>502 Bad Gateway</h1></body></html>".into(),
            UO,
            UN,
        ),
        (503, body(-1008, "Server is currently overloaded"), UO, UN),
        // A 5xx is never a verdict, whatever its body says.
        (503, insufficient.clone(), UO, UN),
        (504, String::new(), UO, UN),
        (429, String::new(), RL, RL),
        (418, "<html>banned</html>".into(), RL, RL),
        (429, body(-1003, "Too much request weight used"), RL, RL),
        (
            418,
            body(
                -1003,
                "Way too much request weight used; IP banned until 1660090423228.",
            ),
            RL,
            RL,
        ),
        (429, body(-1015, "Too many new orders"), RL, RL),
        (403, "<html>Request blocked</html>".into(), UO, UN),
        (404, String::new(), UO, UN),
        (
            401,
            body(-2015, "Invalid API-key, IP, or permissions for action."),
            AU,
            AU,
        ),
        (400, insufficient, IF, IF),
        (409, "{}".into(), UO, UN),
        (204, String::new(), UO, UN),
        (302, String::new(), UO, UN),
    ] {
        let got = (
            name(&from_status(OpKind::Place, status, &body)),
            name(&from_status(OpKind::Read, status, &body)),
        );
        assert_eq!(got, (place, read), "{status} {body}");
    }
}

#[test]
fn status_messages_quote_a_clipped_body() {
    let html = format!("<html>{}</html>", "x".repeat(5000));
    let e = from_status(OpKind::Place, 502, &html);
    let msg = error_parts(&e).1;
    assert!(msg.contains("502") && msg.contains("<html>"), "{msg}");
    assert!(msg.chars().count() < 200, "{msg}");
    let long = body(-2010, &"y".repeat(5000));
    let e = from_status(OpKind::Place, 400, &long);
    assert!(error_parts(&e).1.chars().count() < 300, "{e:?}");
}

#[test]
fn unreadable_200() {
    let m = || Failure::Malformed("x".into());
    assert_eq!(name(&from_failure(OpKind::Place, m())), UO);
    assert_eq!(name(&from_failure(OpKind::Read, m())), UN);
}
