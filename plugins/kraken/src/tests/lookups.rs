//! query-order and find-order against a canned host.

use super::{Canned, fixture, kraken_error, outcome};
use crate::errors::HttpFailure;
use crate::ops;
use crate::requests;
use crate::tradehost::exchange::types::OrderState;

fn form(kv: &[(&str, &str)]) -> Vec<(String, String)> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An OpenOrders/ClosedOrders body holding the spec's two orders, the
/// market sell (altname XBTUSD, listed in the live AssetPairs) carrying
/// `cl_ord_id`.
fn listed(list: &str, cl_ord_id: &str) -> String {
    let mut body: serde_json::Value =
        serde_json::from_str(fixture!("queryorders_numbers")).expect("fixture");
    let mut orders = body["result"].take();
    orders["OMMDB2-FSB6Z-7W3HPO"]["cl_ord_id"] = cl_ord_id.into();
    body["result"] = serde_json::json!({ list: orders, "count": 1 });
    body.to_string()
}

#[test]
fn query_order_reports_the_order() {
    let host = Canned::live().ok(requests::QUERY_ORDERS, fixture!("queryorders_numbers"));
    let r = ops::query_order(&host, "OMMDB2-FSB6Z-7W3HPO").expect("report");
    assert_eq!(
        (r.symbol.as_str(), r.state, r.fee_currency.as_str()),
        ("BTC/USD", OrderState::Closed, "BTC")
    );
    let req = host.sent_to(requests::QUERY_ORDERS);
    assert_eq!(
        (req.signed, req.form),
        (true, form(&[("txid", "OMMDB2-FSB6Z-7W3HPO")]))
    );
    assert_eq!(
        host.paths(),
        [requests::QUERY_ORDERS, requests::ASSET_PAIRS]
    );
}

#[test]
fn query_order_failures() {
    let host = Canned::live().ok(requests::QUERY_ORDERS, fixture!("queryorders_empty"));
    assert_eq!(
        outcome(&ops::query_order(&host, "OUF4EM-FRGI2-MQMWZD")),
        "not-found"
    );
    let host = Canned::live().ok(requests::QUERY_ORDERS, fixture!("queryorders_numbers"));
    assert_eq!(
        outcome(&ops::query_order(&host, "OTHER1-AAAAA-BBBBBB")),
        "not-found"
    );
    for (error, expected) in [
        ("EOrder:Invalid order", "invalid-request"),
        ("EAPI:Invalid nonce", "unavailable"),
        ("EService:Unavailable", "unavailable"),
        ("EAPI:Rate limit exceeded", "rate-limited"),
        ("EAPI:Invalid signature", "auth"),
    ] {
        let host = Canned::live().ok(requests::QUERY_ORDERS, &kraken_error(error));
        assert_eq!(
            outcome(&ops::query_order(&host, "OUF4EM-FRGI2-MQMWZD")),
            expected,
            "{error}"
        );
    }
    let host = Canned::live().answer(
        requests::QUERY_ORDERS,
        Err(HttpFailure::NoAnswer("reset".into())),
    );
    assert_eq!(
        outcome(&ops::query_order(&host, "OUF4EM-FRGI2-MQMWZD")),
        "unavailable"
    );
    let host = Canned::live();
    assert_eq!(outcome(&ops::query_order(&host, "A,B")), "invalid-request");
    assert_eq!(outcome(&ops::query_order(&host, "")), "invalid-request");
    assert!(host.paths().is_empty());
}

#[test]
fn find_order_in_open_orders_first() {
    let host = Canned::live().ok(requests::OPEN_ORDERS, &listed("open", "cid-7"));
    let r = ops::find_order(&host, "cid-7").expect("ok").expect("found");
    assert_eq!(
        (r.order_id.as_str(), r.client_order_id.as_deref()),
        ("OMMDB2-FSB6Z-7W3HPO", Some("cid-7"))
    );
    assert_eq!(host.paths(), [requests::OPEN_ORDERS, requests::ASSET_PAIRS]);
    let req = host.sent_to(requests::OPEN_ORDERS);
    assert_eq!(
        (req.signed, req.form),
        (true, form(&[("cl_ord_id", "cid-7")]))
    );
}

#[test]
fn find_order_falls_back_to_closed_orders() {
    let host = Canned::live()
        .ok(
            requests::OPEN_ORDERS,
            r#"{"error":[],"result":{"open":{}}}"#,
        )
        .ok(requests::CLOSED_ORDERS, &listed("closed", "cid-7"));
    let r = ops::find_order(&host, "cid-7").expect("ok").expect("found");
    assert_eq!(
        (r.state, r.filled_size.as_str()),
        (OrderState::Closed, "0.25")
    );
    assert_eq!(
        host.paths(),
        [
            requests::OPEN_ORDERS,
            requests::CLOSED_ORDERS,
            requests::ASSET_PAIRS
        ]
    );
    assert_eq!(
        host.sent_to(requests::CLOSED_ORDERS).form,
        form(&[("cl_ord_id", "cid-7")])
    );
}

#[test]
fn find_order_ignores_other_client_ids_and_reports_none() {
    // The open list holds an order of another client id (a filter Kraken
    // ignored); the closed list nothing.
    let host = Canned::live()
        .ok(requests::OPEN_ORDERS, &listed("open", "someone-else"))
        .ok(
            requests::CLOSED_ORDERS,
            r#"{"error":[],"result":{"closed":{},"count":0}}"#,
        );
    assert_eq!(ops::find_order(&host, "cid-7"), Ok(None));
    assert_eq!(
        host.paths(),
        [requests::OPEN_ORDERS, requests::CLOSED_ORDERS]
    );
}

#[test]
fn find_order_never_says_none_on_doubt() {
    let unreadable = r#"{"error":[],"result":{"open":{"O1":{"cl_ord_id":{"x":1}}}}}"#;
    let missing = r#"{"error":[],"result":{}}"#;
    for body in [unreadable, missing, "<html>", fixture!("error_nullresult")] {
        let host = Canned::live().ok(requests::OPEN_ORDERS, body);
        assert_eq!(
            outcome(&ops::find_order(&host, "cid-7")),
            "unavailable",
            "{body}"
        );
    }
    let host = Canned::live()
        .ok(
            requests::OPEN_ORDERS,
            r#"{"error":[],"result":{"open":{}}}"#,
        )
        .answer(requests::CLOSED_ORDERS, Ok((503, String::new())));
    assert_eq!(outcome(&ops::find_order(&host, "cid-7")), "unavailable");
    let host = Canned::live();
    assert_eq!(outcome(&ops::find_order(&host, "")), "invalid-request");
    assert!(host.paths().is_empty());
}
