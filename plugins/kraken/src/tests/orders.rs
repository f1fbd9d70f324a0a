//! Order parsers: QueryOrders / OpenOrders / ClosedOrders bodies into
//! order reports, numbers as strings and as JSON numbers.

use super::fixture;
use crate::responses::{self, Failure, Pair, RawOrders};
use crate::tradehost::exchange::types::{Fee, OrderReport, OrderState, Side};

fn spec_pairs() -> Vec<Pair> {
    responses::asset_pairs(fixture!("assetpairs_spec")).expect("pairs")
}

fn fee(amount: &str, currency: &str) -> Vec<Fee> {
    vec![Fee {
        amount: amount.into(),
        currency: currency.into(),
    }]
}

fn report(orders: &RawOrders, txid: &str, pairs: &[Pair]) -> Result<OrderReport, Failure> {
    let raw = orders.get(txid).expect("order present");
    responses::report(txid, raw, pairs)
}

#[test]
fn query_orders_with_json_numbers() {
    let orders = responses::query_orders(fixture!("queryorders_numbers")).expect("parses");
    let sell = report(&orders, "OMMDB2-FSB6Z-7W3HPO", &spec_pairs());
    assert_eq!(
        sell,
        Ok(OrderReport {
            order_id: "OMMDB2-FSB6Z-7W3HPO".into(),
            client_order_id: None,
            symbol: "BTC/USD".into(),
            side: Side::Sell,
            state: OrderState::Closed,
            filled_size: "0.25".into(),
            average_price: "30000".into(),
            cost: "7500".into(),
            // oflags=fcib: fee in base.
            fees: fee("7.5", "BTC"),
        })
    );
    let buy = report(&orders, "OBCMZD-JIEE7-77TH3F", &spec_pairs()).expect("buy");
    assert_eq!((buy.side, buy.fees), (Side::Buy, fee("26.2", "USD")));
    // Kraken's own `price` (its average), even where cost/vol disagrees.
    assert_eq!(buy.average_price, "27500");
}

#[test]
fn query_orders_with_strings_and_an_unlisted_pair() {
    let orders = responses::query_orders(fixture!("queryorders_strings")).expect("parses");
    // LTCUSDT is not in the AssetPairs fixture: its altname is split on a
    // known quote instead.
    let r = report(&orders, "OGMZCL-KC6MC-ZRBGM6", &spec_pairs()).expect("report");
    assert_eq!(r.symbol, "LTC/USDT");
    assert_eq!(
        [&r.filled_size, &r.average_price, &r.cost],
        ["0.1", "71.05741", "7.105741"]
    );
    assert_eq!(r.fees, fee("0.018475", "USDT"));
    assert_eq!((r.state, r.side), (OrderState::Closed, Side::Buy));
}

#[test]
fn listed_altname_wins_over_the_quote_heuristic() {
    let pairs = [Pair {
        id: "XLTCZUSD".into(),
        altname: Some("LTCUSD".into()),
        wsname: Some("LTC/USD".into()),
        ..Pair::default()
    }];
    let body = fixture!("queryorders_strings").replace("LTCUSDT", "LTCUSD");
    let orders = responses::query_orders(&body).expect("parses");
    let r = report(&orders, "OGMZCL-KC6MC-ZRBGM6", &pairs).expect("report");
    assert_eq!(
        (r.symbol.as_str(), r.fees),
        ("LTC/USD", fee("0.018475", "USD"))
    );
}

#[test]
fn unknown_pair_without_known_quote_is_reported() {
    let body = fixture!("queryorders_strings").replace("LTCUSDT", "FOOBAR");
    let orders = responses::query_orders(&body).expect("parses");
    assert_eq!(
        report(&orders, "OGMZCL-KC6MC-ZRBGM6", &[]),
        Err(Failure::UnknownPair("FOOBAR".into()))
    );
}

#[test]
fn empty_query_result() {
    let orders = responses::query_orders(fixture!("queryorders_empty")).expect("parses");
    assert!(orders.is_empty());
}

#[test]
fn nothing_filled_means_average_zero() {
    let orders = responses::open_orders(fixture!("openorders_spec")).expect("parses");
    assert_eq!(orders.len(), 2);
    let r = report(&orders, "OB5VMB-B4U2U-DK2WRW", &spec_pairs()).expect("report");
    assert_eq!(
        (r.state, r.filled_size.as_str(), r.average_price.as_str()),
        (OrderState::Open, "0", "0")
    );
    let partial = report(&orders, "OQCLML-BW3P3-BUCMWZ", &spec_pairs()).expect("report");
    assert_eq!(
        (partial.filled_size.as_str(), partial.average_price.as_str()),
        ("0.375", "30010")
    );
    // Nothing charged yet is still one entry: zero in the quote.
    assert_eq!(partial.fees, fee("0", "USD"));
}

#[test]
fn client_order_ids() {
    let open = responses::open_orders(fixture!("openorders_clordid")).expect("parses");
    let raw = open.get("O2F2HY-QIPHF-4UCMSW").expect("order");
    assert_eq!(responses::cl_ord_id(raw), Ok(Some("123".into())));
    let r = responses::report("O2F2HY-QIPHF-4UCMSW", raw, &[]).expect("report");
    assert_eq!(r.client_order_id.as_deref(), Some("123"));

    let spec = responses::open_orders(fixture!("openorders_spec")).expect("parses");
    for raw in spec.values() {
        assert_eq!(responses::cl_ord_id(raw), Ok(None));
    }
    let numeric = serde_json::from_str::<Box<serde_json::value::RawValue>>(r#"{"cl_ord_id":42}"#)
        .expect("json");
    assert_eq!(responses::cl_ord_id(&numeric), Ok(Some("42".into())));
}

#[test]
fn closed_orders() {
    let closed = responses::closed_orders(fixture!("closedorders_clordid")).expect("parses");
    assert_eq!(closed.count, Some(1));
    let raw = closed.orders.get("O2F2HY-QIPHF-4UCMSW").expect("order");
    let r = responses::report("O2F2HY-QIPHF-4UCMSW", raw, &[]).expect("report");
    assert_eq!(
        (r.state, r.symbol.as_str()),
        (OrderState::Canceled, "LTC/USDT")
    );
    let spec = responses::closed_orders(fixture!("closedorders_spec")).expect("parses");
    let r = report(&spec.orders, "O6YDQ5-LOMWU-37YKEE", &[]).expect("report");
    assert_eq!(r.symbol, "BTC/EUR");
    assert_eq!(r.fees[0].currency, "EUR");
}

#[test]
fn order_lists_must_be_present() {
    let empty = r#"{"error":[],"result":{}}"#;
    assert!(matches!(
        responses::open_orders(empty),
        Err(Failure::Malformed(_))
    ));
    assert!(matches!(
        responses::closed_orders(empty),
        Err(Failure::Malformed(_))
    ));
    let none = r#"{"error":[],"result":{"open":{}}}"#;
    assert_eq!(responses::open_orders(none).map(|o| o.len()), Ok(0));
    // ClosedOrders' count: number or string, optional, never garbage.
    let count = |c: &str| {
        let body = format!(r#"{{"error":[],"result":{{"closed":{{}}{c}}}}}"#);
        responses::closed_orders(&body).map(|p| p.count)
    };
    assert_eq!(count(r#","count":7"#), Ok(Some(7)));
    assert_eq!(count(r#","count":"7""#), Ok(Some(7)));
    assert_eq!(count(""), Ok(None));
    for bad in [
        r#","count":-1"#,
        r#","count":"x""#,
        r#","count":1.5"#,
        r#","count":{}"#,
    ] {
        assert!(matches!(count(bad), Err(Failure::Malformed(_))), "{bad}");
    }
}

#[test]
fn odd_orders_are_refused() {
    let base = fixture!("queryorders_strings");
    for (from, to) in [
        (r#""status": "closed""#, r#""status": "held""#),
        (r#""type": "buy""#, r#""type": "hold""#),
        (r#""vol_exec": "0.10000000""#, r#""vol_exec": "ten""#),
        (r#""fee": "0.018475""#, r#""fee": null"#),
    ] {
        let body = base.replace(from, to);
        assert_ne!(body, base, "{from}");
        let orders = responses::query_orders(&body).expect("parses");
        let r = report(&orders, "OGMZCL-KC6MC-ZRBGM6", &[]);
        assert!(matches!(r, Err(Failure::Malformed(_))), "{to}: {r:?}");
    }
}
