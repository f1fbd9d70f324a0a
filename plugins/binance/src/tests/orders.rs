//! Order parsers: POST /api/v3/order answers (ACK, RESULT, FULL), GET
//! /api/v3/order and myTrades bodies into order reports and fees.

use super::fixture;
use crate::responses::{self, Failure, Order};
use crate::tradehost::exchange::types::{Fee, OrderReport, OrderState, Side};

fn fee(amount: &str, currency: &str) -> Fee {
    Fee {
        amount: amount.into(),
        currency: currency.into(),
    }
}

fn details(body: &str) -> Order {
    let (_, details) = responses::placed(body).expect("placed");
    details.expect("details")
}

fn full_report(body: &str, symbol: &str) -> OrderReport {
    let o = details(body);
    let (fees, _) = responses::fees(o.fills.as_deref().expect("fills")).expect("fees");
    responses::report(&o, symbol, fees).expect("report")
}

#[test]
fn full_buy_with_commissions_in_two_assets() {
    assert_eq!(
        full_report(fixture!("order_full_buy"), "BTC/USDT"),
        OrderReport {
            order_id: "12345".into(),
            client_order_id: Some("6d1b345e-2821-40e2-ad83-4ecb18a06876".into()),
            symbol: "BTC/USDT".into(),
            side: Side::Buy,
            state: OrderState::Closed,
            filled_size: "0.00166".into(),
            // 99.60066 / 0.00166 = 60000.397590361445783…, 12 places.
            average_price: "60000.397590361446".into(),
            cost: "99.60066".into(),
            // Summed per asset, in order of first appearance.
            fees: vec![fee("0.0000375", "BNB"), fee("0.00000066", "BTC")],
        }
    );
}

#[test]
fn full_sell() {
    let r = full_report(fixture!("order_full_sell"), "BTC/USDT");
    assert_eq!(
        (
            r.side,
            r.filled_size.as_str(),
            r.cost.as_str(),
            r.average_price.as_str()
        ),
        (Side::Sell, "0.002", "119.9995", "59999.75")
    );
    assert_eq!(r.fees, [fee("0.1199995", "USDT")]);
}

#[test]
fn documented_full_answer_reports_binance_own_totals() {
    // The doc sample's cummulativeQuoteQty is a placeholder ("10"); the
    // report carries Binance's totals, not a sum recomputed from fills.
    let r = full_report(fixture!("order_full_doc"), "BTC/USDT");
    assert_eq!(
        (
            r.filled_size.as_str(),
            r.cost.as_str(),
            r.average_price.as_str()
        ),
        ("10", "10", "1")
    );
    assert_eq!(r.fees, [fee("39.983", "USDT")]);
    assert_eq!(r.order_id, "28");
}

#[test]
fn partial_fill_then_expired() {
    let r = full_report(fixture!("market_buy_expired"), "LTC/BNB");
    assert_eq!(
        (
            r.state,
            r.filled_size.as_str(),
            r.cost.as_str(),
            r.average_price.as_str()
        ),
        (OrderState::Expired, "4", "4", "1")
    );
    assert_eq!(r.fees, [fee("0.002", "BNB")]);
}

#[test]
fn ack_and_result_answers_prove_placement_without_fills() {
    let (ack, details) = responses::placed(fixture!("order_ack")).expect("ack");
    assert_eq!(
        (ack.symbol.as_str(), ack.order_id.0.as_str()),
        ("BTCUSDT", "28")
    );
    assert_eq!(
        ack.client_order_id.as_deref(),
        Some("6gCrw2kRUAF9CvJDGP16IP")
    );
    assert!(details.is_err(), "an ACK has no status");
    let (_, details) = responses::placed(fixture!("order_result")).expect("result");
    assert_eq!(details.map(|o| o.fills), Ok(None));
}

#[test]
fn answers_without_an_order_id_prove_nothing() {
    for body in [
        r#"{"symbol":"BTCUSDT","clientOrderId":"x"}"#,
        r#"{"symbol":"BTCUSDT","orderId":"abc"}"#,
        r#"{"symbol":"BTCUSDT","orderId":-1}"#,
        r#"{"symbol":"BTCUSDT","orderId":""}"#,
        r#"{"code":-1013,"msg":"Filter failure: LOT_SIZE"}"#,
        "<html>200 OK</html>",
        "",
    ] {
        assert!(
            matches!(responses::placed(body), Err(Failure::Malformed(_))),
            "{body}"
        );
        assert!(responses::order(body).is_err(), "{body}");
    }
}

#[test]
fn queried_order_with_nothing_executed() {
    let o = responses::order(fixture!("query_order_new")).expect("order");
    let r = responses::report(&o, "LTC/BTC", Vec::new()).expect("report");
    assert_eq!(
        r,
        OrderReport {
            order_id: "1".into(),
            client_order_id: Some("myOrder1".into()),
            symbol: "LTC/BTC".into(),
            side: Side::Buy,
            state: OrderState::Open,
            filled_size: "0".into(),
            average_price: "0".into(),
            cost: "0".into(),
            fees: Vec::new(),
        }
    );
}

#[test]
fn every_status() {
    for (status, state) in [
        ("NEW", OrderState::Open),
        ("PENDING_NEW", OrderState::Pending),
        ("PARTIALLY_FILLED", OrderState::Open),
        ("FILLED", OrderState::Closed),
        ("CANCELED", OrderState::Canceled),
        ("REJECTED", OrderState::Canceled),
        ("EXPIRED", OrderState::Expired),
        ("EXPIRED_IN_MATCH", OrderState::Expired),
        ("PENDING_CANCEL", OrderState::Open),
    ] {
        let body = fixture!("query_order_filled").replace("FILLED", status);
        let o = responses::order(&body).expect(status);
        assert_eq!(
            responses::report(&o, "BTC/USDT", Vec::new()).map(|r| r.state),
            Ok(state),
            "{status}"
        );
    }
}

#[test]
fn odd_orders_are_refused() {
    let base = fixture!("query_order_filled");
    for (from, to) in [
        (r#""status": "FILLED""#, r#""status": "HELD""#),
        (r#""side": "BUY""#, r#""side": "buy""#),
        (
            r#""cummulativeQuoteQty": "99.60066000""#,
            r#""cummulativeQuoteQty": "-1.00000000""#,
        ),
        (r#""executedQty": "0.00166000""#, r#""executedQty": "-0.1""#),
    ] {
        let body = base.replace(from, to);
        assert_ne!(body, base, "{from}");
        let r = responses::order(&body).and_then(|o| responses::report(&o, "BTC/USDT", Vec::new()));
        assert!(matches!(r, Err(Failure::Malformed(_))), "{to}: {r:?}");
    }
    for (from, to) in [
        (r#""executedQty": "0.00166000""#, r#""executedQty": null"#),
        (r#""side": "BUY""#, r#""side": 1"#),
    ] {
        let body = base.replace(from, to);
        assert!(responses::order(&body).is_err(), "{to}");
    }
}

#[test]
fn average_price_division_is_checked() {
    // A tiny executed quantity makes cost / filled overflow a Decimal.
    let body = fixture!("query_order_filled")
        .replace(
            r#""executedQty": "0.00166000""#,
            r#""executedQty": "0.0000000000000000000000000001""#,
        )
        .replace(
            r#""cummulativeQuoteQty": "99.60066000""#,
            r#""cummulativeQuoteQty": "79228162514264337593543950335""#,
        );
    let o = responses::order(&body).expect("order");
    assert!(matches!(
        responses::report(&o, "BTC/USDT", Vec::new()),
        Err(Failure::Malformed(_))
    ));
}

#[test]
fn my_trades_and_fee_sums() {
    let trades = responses::my_trades(fixture!("my_trades_doc")).expect("trades");
    assert_eq!(trades.len(), 1);
    assert_eq!(
        trades[0].order_id.as_ref().map(|t| t.0.as_str()),
        Some("100234")
    );
    assert_eq!(
        responses::fees(&trades).map(|(f, q)| (f, q.to_string())),
        Ok((vec![fee("10.1", "BNB")], "12.00000000".into()))
    );
    let trades = responses::my_trades(fixture!("my_trades_filled")).expect("trades");
    let (fees, qty) = responses::fees(&trades).expect("fees");
    assert_eq!(fees, [fee("0.0000375", "BNB"), fee("0.00000066", "BTC")]);
    assert_eq!(qty.normalize().to_string(), "0.00166");
    assert!(responses::my_trades(r#"{"trades":[]}"#).is_err());
}

#[test]
fn zero_commissions_are_left_out_and_bad_ones_refused() {
    let body = r#"[
        {"qty":"1","commission":"0.00000000","commissionAsset":"BTC","orderId":1},
        {"qty":"1","commission":"0","commissionAsset":"","orderId":1},
        {"qty":"1","commission":"0.5","commissionAsset":"BNB","orderId":1}]"#;
    let trades = responses::my_trades(body).expect("trades");
    assert_eq!(
        responses::fees(&trades).map(|(f, q)| (f, q.to_string())),
        Ok((vec![fee("0.5", "BNB")], "3".into()))
    );
    for bad in [
        r#"[{"qty":"1","commission":"-0.1","commissionAsset":"BNB"}]"#,
        r#"[{"qty":"1","commission":"0.1","commissionAsset":""}]"#,
        r#"[{"qty":"1","commission":"79228162514264337593543950335","commissionAsset":"BNB"},
            {"qty":"1","commission":"1","commissionAsset":"BNB"}]"#,
    ] {
        let trades = responses::my_trades(bad).expect("parses");
        assert!(responses::fees(&trades).is_err(), "{bad}");
    }
}
