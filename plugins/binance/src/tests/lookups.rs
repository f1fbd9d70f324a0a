//! query-order and find-order against a canned host.

use super::{
    Answer, Canned, GET_INFO, GET_ORDER, GET_TRADES, binance_error, fixture, outcome, params,
};
use crate::ops;
use crate::requests;
use crate::tradehost::exchange::types::{Fee, OrderLookup, OrderReport, OrderState, Side};
use driver_kit::http::HttpFailure;
use driver_kit::http::Method;

const CID: &str = "6d1b345e-2821-40e2-ad83-4ecb18a06876";

fn lookup(order_id: Option<&str>) -> OrderLookup {
    OrderLookup {
        order_id: order_id.map(String::from),
        client_order_id: CID.into(),
        symbol: "BTC/USDT".into(),
        side: Side::Buy,
        sent_at: "2026-11-24T04:19:50Z".into(),
    }
}

fn host(order: Answer) -> Canned {
    Canned::new()
        .answer(Method::Get, requests::ORDER, order)
        .ok(Method::Get, requests::MY_TRADES, &trades_with_a_stranger())
}

fn filled() -> Answer {
    Ok((200, fixture!("query_order_filled").into()))
}

/// The order's three trades, and one of another order (a filter Binance
/// ignored), which must not count.
fn trades_with_a_stranger() -> String {
    let mut trades: Vec<serde_json::Value> =
        serde_json::from_str(fixture!("my_trades_filled")).expect("fixture");
    let mut stranger = trades[0].clone();
    stranger["orderId"] = 999.into();
    stranger["commissionAsset"] = "USDT".into();
    trades.insert(1, stranger);
    serde_json::to_string(&trades).expect("json")
}

fn expected_report() -> OrderReport {
    OrderReport {
        order_id: "12345".into(),
        client_order_id: Some(CID.into()),
        symbol: "BTC/USDT".into(),
        side: Side::Buy,
        state: OrderState::Closed,
        filled_size: "0.00166".into(),
        average_price: "60000.397590361446".into(),
        cost: "99.60066".into(),
        fees: vec![
            Fee {
                amount: "0.0000375".into(),
                currency: "BNB".into(),
            },
            Fee {
                amount: "0.00000066".into(),
                currency: "BTC".into(),
            },
        ],
    }
}

#[test]
fn query_order_with_its_trades() {
    let host = host(filled());
    assert_eq!(
        ops::query_order(&host, &lookup(Some("12345"))),
        Ok(expected_report())
    );
    assert_eq!(host.calls(), [GET_INFO, GET_ORDER, GET_TRADES]);
    let req = host.sent_to(Method::Get, requests::ORDER);
    assert_eq!(
        (req.signed, req.query),
        (true, params(&[("symbol", "BTCUSDT"), ("orderId", "12345")]))
    );
    let req = host.sent_to(Method::Get, requests::MY_TRADES);
    assert_eq!(
        (req.signed, req.query),
        (true, params(&[("symbol", "BTCUSDT"), ("orderId", "12345")]))
    );
}

#[test]
fn nothing_executed_needs_no_trades() {
    let host = Canned::new().ok(Method::Get, requests::ORDER, fixture!("query_order_new"));
    let l = OrderLookup {
        symbol: "LTC/BTC".into(),
        ..lookup(Some("1"))
    };
    let r = ops::query_order(&host, &l).expect("report");
    assert_eq!(
        (
            r.state,
            r.filled_size.as_str(),
            r.average_price.as_str(),
            r.fees.len()
        ),
        (OrderState::Open, "0", "0", 0)
    );
    assert_eq!(host.calls(), [GET_INFO, GET_ORDER]);
}

#[test]
fn query_order_failures() {
    for (answer, expected) in [
        (
            binance_error(400, -2013, "Order does not exist."),
            "not-found",
        ),
        (
            Ok((400, fixture!("error_order_archived").into())),
            "not-found",
        ),
        (
            binance_error(400, -1121, "Invalid symbol."),
            "invalid-symbol",
        ),
        (
            binance_error(400, -1000, "An unknown error occurred."),
            "unavailable",
        ),
        (
            binance_error(
                400,
                -1021,
                "Timestamp for this request is outside of the recvWindow.",
            ),
            "unavailable",
        ),
        (
            binance_error(429, -1003, "Too much request weight used"),
            "rate-limited",
        ),
        (
            binance_error(401, -1022, "Signature for this request is not valid."),
            "auth",
        ),
        (Ok((502, "<html>Bad Gateway</html>".into())), "unavailable"),
        (Ok((200, "{\"symbol\":".into())), "unavailable"),
        (Err(HttpFailure::NoAnswer("reset".into())), "unavailable"),
        // Binance answered about another order.
        (
            Ok((
                200,
                fixture!("query_order_filled").replace("12345", "12399"),
            )),
            "unavailable",
        ),
        (
            Ok((
                200,
                fixture!("query_order_filled").replace("BTCUSDT", "ETHBTC"),
            )),
            "unavailable",
        ),
    ] {
        let host = host(answer.clone());
        assert_eq!(
            outcome(&ops::query_order(&host, &lookup(Some("12345")))),
            expected,
            "{answer:?}"
        );
    }
    let host = host(filled());
    for id in [None, Some(""), Some("abc"), Some("12 34"), Some("-1")] {
        assert_eq!(
            outcome(&ops::query_order(&host, &lookup(id))),
            "invalid-request",
            "{id:?}"
        );
    }
    assert!(host.calls().is_empty());
}

#[test]
fn fees_wait_for_every_trade() {
    // myTrades lags: two of the three trades so far.
    let mut trades: Vec<serde_json::Value> =
        serde_json::from_str(fixture!("my_trades_filled")).expect("fixture");
    trades.pop();
    let host = Canned::new()
        .answer(Method::Get, requests::ORDER, filled())
        .ok(
            Method::Get,
            requests::MY_TRADES,
            &serde_json::to_string(&trades).expect("json"),
        );
    let r = ops::query_order(&host, &lookup(Some("12345")));
    assert_eq!(outcome(&r), "unavailable");
    assert!(format!("{r:?}").contains("0.001 of the 0.00166"), "{r:?}");
    for answer in [
        Ok((503, String::new())),
        Ok((200, "[{\"qty\":".to_string())),
        Err(HttpFailure::NotSent("rate limit wait".into())),
    ] {
        let host = Canned::new()
            .answer(Method::Get, requests::ORDER, filled())
            .answer(Method::Get, requests::MY_TRADES, answer.clone());
        assert_eq!(
            outcome(&ops::query_order(&host, &lookup(Some("12345")))),
            "unavailable",
            "{answer:?}"
        );
    }
}

#[test]
fn a_full_page_of_trades_is_all_there_is() {
    // 500 trades of 0.000001 each: 0.0005 of the 0.00166 executed, and
    // `limit` may not be sent to see more.
    let trade = serde_json::json!({
        "symbol": "BTCUSDT", "id": 1, "orderId": 12345, "price": "60000",
        "qty": "0.00000100", "commission": "0.00000001", "commissionAsset": "BTC",
    });
    let trades = vec![trade; requests::MY_TRADES_PAGE];
    let host = Canned::new()
        .answer(Method::Get, requests::ORDER, filled())
        .ok(
            Method::Get,
            requests::MY_TRADES,
            &serde_json::to_string(&trades).expect("json"),
        );
    let r = ops::query_order(&host, &lookup(Some("12345"))).expect("report");
    assert_eq!(r.fees.len(), 1);
    assert_eq!(
        (r.fees[0].amount.as_str(), r.fees[0].currency.as_str()),
        ("0.000005", "BTC")
    );
    let logs = host.logs();
    assert!(
        logs.len() == 1 && logs[0].starts_with("warn: ") && logs[0].contains("first 500 trades"),
        "{logs:?}"
    );
}

#[test]
fn find_order_by_client_id() {
    let host = host(filled());
    assert_eq!(
        ops::find_order(&host, &lookup(None)),
        Ok(Some(expected_report()))
    );
    assert_eq!(host.calls(), [GET_INFO, GET_ORDER, GET_TRADES]);
    let req = host.sent_to(Method::Get, requests::ORDER);
    assert_eq!(
        (req.signed, req.query),
        (
            true,
            params(&[("symbol", "BTCUSDT"), ("origClientOrderId", CID)])
        )
    );
}

#[test]
fn find_order_none_only_on_2013() {
    let host = host(Ok((400, fixture!("error_no_such_order").into())));
    assert_eq!(ops::find_order(&host, &lookup(None)), Ok(None));
    assert_eq!(host.calls(), [GET_INFO, GET_ORDER]);
}

#[test]
fn find_order_never_says_none_on_doubt() {
    for (answer, expected) in [
        (
            Ok((200, "{\"symbol\":\"BTCUSDT\"".to_string())),
            "unavailable",
        ),
        (Ok((200, "<html>OK</html>".to_string())), "unavailable"),
        (Ok((200, "{}".to_string())), "unavailable"),
        (Ok((200, "null".to_string())), "unavailable"),
        (
            Ok((
                503,
                "{\"code\":-2013,\"msg\":\"Order does not exist.\"}".to_string(),
            )),
            "unavailable",
        ),
        (
            Ok((404, "<html>Not Found</html>".to_string())),
            "unavailable",
        ),
        (
            Ok((400, fixture!("error_order_archived").into())),
            "not-found",
        ),
        (
            binance_error(400, -1000, "An unknown error occurred."),
            "unavailable",
        ),
        (
            binance_error(
                400,
                -2039,
                "Client order ID is not correct for this order ID.",
            ),
            "invalid-request",
        ),
        (Err(HttpFailure::NoAnswer("reset".into())), "unavailable"),
        (Err(HttpFailure::Denied("policy".into())), "invalid-request"),
        // An order of another client id.
        (
            Ok((
                200,
                fixture!("query_order_filled").replace(CID, "someone-else"),
            )),
            "unavailable",
        ),
    ] {
        let host = host(answer.clone());
        let r = ops::find_order(&host, &lookup(None));
        assert_eq!(outcome(&r), expected, "{answer:?}");
    }
    // Trades that cannot be read fail the lookup too.
    let host = Canned::new()
        .answer(Method::Get, requests::ORDER, filled())
        .ok(Method::Get, requests::MY_TRADES, "{}");
    assert_eq!(
        outcome(&ops::find_order(&host, &lookup(None))),
        "unavailable"
    );
}

#[test]
fn find_order_refuses_ids_binance_cannot_hold() {
    let host = host(filled());
    for id in ["", "has space", "x".repeat(37).as_str(), "a&b=c"] {
        let l = OrderLookup {
            client_order_id: id.into(),
            ..lookup(None)
        };
        assert_eq!(
            outcome(&ops::find_order(&host, &l)),
            "invalid-request",
            "{id}"
        );
    }
    assert!(host.calls().is_empty());
    let l = OrderLookup {
        symbol: "BTC/USD".into(),
        ..lookup(None)
    };
    assert_eq!(outcome(&ops::find_order(&host, &l)), "invalid-symbol");
    assert_eq!(host.calls(), [GET_INFO]);
}
