//! query-order and find-order against a canned host.

use super::{Canned, fixture, kraken_error, lookup, outcome};
use crate::ops;
use crate::requests;
use crate::tradehost::exchange::types::{Fee, OrderLookup, OrderState};
use driver_kit::http::HttpFailure;

fn form(kv: &[(&str, &str)]) -> Vec<(String, String)> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn by_id(order_id: &str) -> OrderLookup {
    lookup("cid-7", Some(order_id))
}

fn by_client(client_order_id: &str) -> OrderLookup {
    lookup(client_order_id, None)
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
    let r = ops::query_order(&host, &by_id("OMMDB2-FSB6Z-7W3HPO")).expect("report");
    assert_eq!(
        (r.symbol.as_str(), r.state, r.fees.as_slice()),
        (
            "BTC/USD",
            OrderState::Closed,
            [Fee {
                amount: "7.5".into(),
                currency: "BTC".into()
            }]
            .as_slice()
        )
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
        outcome(&ops::query_order(&host, &by_id("OUF4EM-FRGI2-MQMWZD"))),
        "not-found"
    );
    let host = Canned::live().ok(requests::QUERY_ORDERS, fixture!("queryorders_numbers"));
    assert_eq!(
        outcome(&ops::query_order(&host, &by_id("OTHER1-AAAAA-BBBBBB"))),
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
            outcome(&ops::query_order(&host, &by_id("OUF4EM-FRGI2-MQMWZD"))),
            expected,
            "{error}"
        );
    }
    let host = Canned::live().answer(
        requests::QUERY_ORDERS,
        Err(HttpFailure::NoAnswer("reset".into())),
    );
    assert_eq!(
        outcome(&ops::query_order(&host, &by_id("OUF4EM-FRGI2-MQMWZD"))),
        "unavailable"
    );
    let host = Canned::live();
    assert_eq!(
        outcome(&ops::query_order(&host, &by_id("A,B"))),
        "invalid-request"
    );
    assert_eq!(
        outcome(&ops::query_order(&host, &by_id(""))),
        "invalid-request"
    );
    // Without the exchange's id there is nothing to query.
    assert_eq!(
        outcome(&ops::query_order(&host, &by_client("cid-7"))),
        "invalid-request"
    );
    assert!(host.paths().is_empty());
}

#[test]
fn find_order_in_open_orders_first() {
    let host = Canned::live().ok(requests::OPEN_ORDERS, &listed("open", "cid-7"));
    let r = ops::find_order(&host, &by_client("cid-7"))
        .expect("ok")
        .expect("found");
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
    let r = ops::find_order(&host, &by_client("cid-7"))
        .expect("ok")
        .expect("found");
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
    // From 60 s before the host sent it (2026-11-24T04:20:00Z), page 1.
    assert_eq!(
        host.sent_to(requests::CLOSED_ORDERS).form,
        form(&[
            ("cl_ord_id", "cid-7"),
            ("start", "1795493940"),
            ("ofs", "0")
        ])
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
    assert_eq!(ops::find_order(&host, &by_client("cid-7")), Ok(None));
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
            outcome(&ops::find_order(&host, &by_client("cid-7"))),
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
    assert_eq!(
        outcome(&ops::find_order(&host, &by_client("cid-7"))),
        "unavailable"
    );
    let host = Canned::live();
    assert_eq!(
        outcome(&ops::find_order(&host, &by_client(""))),
        "invalid-request"
    );
    assert!(host.paths().is_empty());
}

/// A ClosedOrders page of `n` orders of other client ids (as if Kraken
/// ignored the filter), plus `extra` entries, and `count` if given.
fn page(
    first: usize,
    n: usize,
    count: Option<&str>,
    extra: &[(&str, serde_json::Value)],
) -> String {
    let template: serde_json::Value =
        serde_json::from_str(fixture!("queryorders_numbers")).expect("fixture");
    let order = template["result"]["OMMDB2-FSB6Z-7W3HPO"].clone();
    let mut closed = serde_json::Map::new();
    for i in first..first + n {
        let mut o = order.clone();
        o["cl_ord_id"] = format!("other-{i}").into();
        closed.insert(format!("OTHER{i:04}-AAAAA-BBBBBB"), o);
    }
    for (txid, o) in extra {
        closed.insert(txid.to_string(), o.clone());
    }
    let mut result = serde_json::json!({ "closed": closed });
    if let Some(count) = count {
        result["count"] = serde_json::from_str(count).expect("count literal");
    }
    serde_json::json!({ "error": [], "result": result }).to_string()
}

fn ours() -> (&'static str, serde_json::Value) {
    let template: serde_json::Value =
        serde_json::from_str(fixture!("queryorders_numbers")).expect("fixture");
    let mut o = template["result"]["OMMDB2-FSB6Z-7W3HPO"].clone();
    o["cl_ord_id"] = "cid-7".into();
    ("OURS01-CCCCC-DDDDDD", o)
}

fn no_open() -> Canned {
    Canned::live().ok(
        requests::OPEN_ORDERS,
        r#"{"error":[],"result":{"open":{}}}"#,
    )
}

fn offsets(host: &Canned) -> Vec<String> {
    host.all_sent_to(requests::CLOSED_ORDERS)
        .iter()
        .map(|r| {
            assert_eq!(
                r.form[..2],
                form(&[("cl_ord_id", "cid-7"), ("start", "1795493940")])
            );
            r.form[2].1.clone()
        })
        .collect()
}

#[test]
fn closed_orders_are_paged_until_the_order_turns_up() {
    let host = no_open()
        .then(requests::CLOSED_ORDERS, &page(0, 50, Some("120"), &[]))
        .then(requests::CLOSED_ORDERS, &page(50, 50, Some("120"), &[]))
        .then(
            requests::CLOSED_ORDERS,
            &page(100, 19, Some("120"), &[ours()]),
        );
    let r = ops::find_order(&host, &by_client("cid-7"))
        .expect("ok")
        .expect("found");
    assert_eq!(
        (r.order_id.as_str(), r.client_order_id.as_deref()),
        ("OURS01-CCCCC-DDDDDD", Some("cid-7"))
    );
    assert_eq!(offsets(&host), ["0", "50", "100"]);
}

#[test]
fn closed_orders_paging_stops_at_count() {
    // count as a string, as some captures send it.
    let host = no_open()
        .then(requests::CLOSED_ORDERS, &page(0, 50, Some(r#""60""#), &[]))
        .then(requests::CLOSED_ORDERS, &page(50, 10, Some(r#""60""#), &[]));
    assert_eq!(ops::find_order(&host, &by_client("cid-7")), Ok(None));
    assert_eq!(offsets(&host), ["0", "50"]);
}

#[test]
fn closed_orders_paging_stops_at_an_empty_page() {
    // No count: only an empty page proves the end, however short the last.
    let host = no_open()
        .then(requests::CLOSED_ORDERS, &page(0, 3, None, &[]))
        .then(requests::CLOSED_ORDERS, &page(50, 0, None, &[]));
    assert_eq!(ops::find_order(&host, &by_client("cid-7")), Ok(None));
    assert_eq!(offsets(&host), ["0", "50"]);
}

#[test]
fn a_page_emptied_by_the_filter_does_not_end_the_search() {
    // Kraken may filter by cl_ord_id after paging: the 50 newest orders
    // hold none of ours, yet `count` says more remain.
    let host = no_open()
        .then(requests::CLOSED_ORDERS, &page(0, 0, Some("61"), &[]))
        .then(requests::CLOSED_ORDERS, &page(50, 0, Some("61"), &[ours()]));
    let r = ops::find_order(&host, &by_client("cid-7"))
        .expect("ok")
        .expect("found");
    assert_eq!(r.order_id, "OURS01-CCCCC-DDDDDD");
    assert_eq!(offsets(&host), ["0", "50"]);
}

#[test]
fn closed_orders_paging_is_capped_and_never_says_none_early() {
    let host = no_open().ok(requests::CLOSED_ORDERS, &page(0, 50, Some("100000"), &[]));
    let r = ops::find_order(&host, &by_client("cid-7"));
    assert_eq!(outcome(&r), "unavailable");
    let offs = offsets(&host);
    assert_eq!(offs.len(), 20);
    assert_eq!((offs[0].as_str(), offs[19].as_str()), ("0", "950"));
    assert!(!host.paths().contains(&requests::ASSET_PAIRS));
}

#[test]
fn closed_orders_failures_on_a_later_page_fail_the_lookup() {
    let unreadable = (
        "ODD001-EEEEE-FFFFFF",
        serde_json::json!({"cl_ord_id": {"x": 1}}),
    );
    let bodies = [
        page(50, 5, Some("55"), &[unreadable]),
        kraken_error("EAPI:Rate limit exceeded"),
        r#"{"error":[],"result":{"closed":{},"count":"many"}}"#.to_string(),
        "<html>".to_string(),
    ];
    for body in bodies {
        let host = no_open()
            .then(requests::CLOSED_ORDERS, &page(0, 50, Some("55"), &[]))
            .then(requests::CLOSED_ORDERS, &body);
        let r = ops::find_order(&host, &by_client("cid-7"));
        assert!(
            matches!(outcome(&r), "unavailable" | "rate-limited"),
            "{body}: {r:?}"
        );
        assert_eq!(offsets(&host), ["0", "50"]);
    }
}

#[test]
fn find_order_needs_a_readable_sent_at() {
    for bad in ["", "yesterday", "2026-11-24T04:20:00", "1795494000"] {
        let host = Canned::live();
        let l = OrderLookup {
            sent_at: bad.into(),
            ..by_client("cid-7")
        };
        assert_eq!(
            outcome(&ops::find_order(&host, &l)),
            "invalid-request",
            "{bad}"
        );
        assert!(host.paths().is_empty());
    }
    // Any offset: start is the instant less 60 s.
    let host = no_open().ok(
        requests::CLOSED_ORDERS,
        r#"{"error":[],"result":{"closed":{},"count":0}}"#,
    );
    let l = OrderLookup {
        sent_at: "2026-11-24T05:20:00.75+01:00".into(),
        ..by_client("cid-7")
    };
    assert_eq!(ops::find_order(&host, &l), Ok(None));
    assert_eq!(
        host.sent_to(requests::CLOSED_ORDERS).form[1],
        ("start".to_string(), "1795493940".to_string())
    );
}
