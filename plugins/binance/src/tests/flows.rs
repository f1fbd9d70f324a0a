//! Orders against a canned host: which requests go out, in what order and
//! with what parameters, and what each answer becomes.

use super::{
    Answer, Canned, GET_INFO, POST_ORDER, binance_error, error_parts, fixture, outcome, params,
};
use crate::ops;
use crate::requests;
use crate::tradehost::exchange::types::{
    Fee, MarketOrder, OrderAmount, OrderReport, OrderState, PlacedOrder, Side,
};
use driver_kit::http::HttpFailure;
use driver_kit::http::Method;

const CID: &str = "6d1b345e-2821-40e2-ad83-4ecb18a06876";

fn buy(symbol: &str, quote: &str) -> MarketOrder {
    MarketOrder {
        client_order_id: CID.into(),
        symbol: symbol.into(),
        side: Side::Buy,
        amount: OrderAmount::Quote(quote.into()),
        deadline: Some("2026-11-24T04:20:00Z".into()),
        quote_price: Some("60000".into()),
    }
}

fn sell(symbol: &str, base: &str) -> MarketOrder {
    MarketOrder {
        side: Side::Sell,
        amount: OrderAmount::Base(base.into()),
        ..buy(symbol, "1")
    }
}

fn fee(amount: &str, currency: &str) -> Fee {
    Fee {
        amount: amount.into(),
        currency: currency.into(),
    }
}

fn with_order(answer: Answer) -> Canned {
    Canned::new().answer(Method::Post, requests::ORDER, answer)
}

fn order_form(host: &Canned) -> Vec<(String, String)> {
    host.sent_to(Method::Post, requests::ORDER).form
}

#[test]
fn buy_full_answer_with_fees_in_two_assets() {
    let host = with_order(Ok((200, fixture!("order_full_buy").into())));
    let placed = ops::place_market_order(&host, &buy("BTC/USDT", "100"));
    assert_eq!(
        placed,
        Ok(PlacedOrder {
            order_id: "12345".into(),
            fill: Some(OrderReport {
                order_id: "12345".into(),
                client_order_id: Some(CID.into()),
                symbol: "BTC/USDT".into(),
                side: Side::Buy,
                state: OrderState::Closed,
                filled_size: "0.00166".into(),
                average_price: "60000.397590361446".into(),
                cost: "99.60066".into(),
                fees: vec![fee("0.0000375", "BNB"), fee("0.00000066", "BTC")],
            }),
        })
    );
    assert_eq!(host.calls(), [GET_INFO, POST_ORDER]);
    let req = host.sent_to(Method::Post, requests::ORDER);
    assert_eq!((req.signed, req.query.len()), (true, 0));
    assert_eq!(
        req.form,
        params(&[
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "MARKET"),
            ("quoteOrderQty", "100"),
            ("newClientOrderId", CID),
            ("newOrderRespType", "FULL"),
        ])
    );
    let logs = host.logs();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(
        logs[0].starts_with(&format!(
            "info: binance POST /api/v3/order BUY BTCUSDT quoteOrderQty=100 newClientOrderId={CID}: placed orderId=12345"
        )) && logs[0].contains("0.0000375 BNB + 0.00000066 BTC"),
        "{logs:?}"
    );
}

#[test]
fn buy_quote_is_cut_to_the_quote_precision_never_rounded_up() {
    let host = with_order(Ok((200, fixture!("order_full_buy").into())));
    assert!(ops::place_market_order(&host, &buy("BTC/USDT", "100.123456789")).is_ok());
    assert_eq!(
        order_form(&host)[3],
        ("quoteOrderQty".into(), "100.12345678".into())
    );
    // A quote asset of 2 decimals.
    let info = fixture!("exchange_info").replacen(
        r#""quoteAssetPrecision": 8"#,
        r#""quoteAssetPrecision": 2"#,
        1,
    );
    let host = with_order(Ok((200, fixture!("order_full_buy").into()))).ok(
        Method::Get,
        requests::EXCHANGE_INFO,
        &info,
    );
    assert!(ops::place_market_order(&host, &buy("BTC/USDT", "100.129")).is_ok());
    assert_eq!(
        order_form(&host)[3],
        ("quoteOrderQty".into(), "100.12".into())
    );
}

#[test]
fn buy_below_the_minimum_value_sends_nothing() {
    for quote in ["4.99", "0.000000001"] {
        let host = with_order(Ok((200, fixture!("order_full_buy").into())));
        let r = ops::place_market_order(&host, &buy("BTC/USDT", quote));
        assert_eq!(outcome(&r), "below-minimum", "{quote}");
        assert_eq!(host.calls(), [GET_INFO]);
        assert!(host.logs().is_empty());
    }
}

#[test]
fn sell_by_quantity() {
    let host = with_order(Ok((200, fixture!("order_full_sell").into())));
    let placed = ops::place_market_order(&host, &sell("BTC/USDT", "0.00200")).expect("placed");
    assert_eq!(placed.order_id, "12346");
    let fill = placed.fill.expect("fill");
    assert_eq!(
        (fill.side, fill.cost.as_str(), fill.average_price.as_str()),
        (Side::Sell, "119.9995", "59999.75")
    );
    assert_eq!(fill.fees, [fee("0.1199995", "USDT")]);
    assert_eq!(
        order_form(&host),
        params(&[
            ("symbol", "BTCUSDT"),
            ("side", "SELL"),
            ("type", "MARKET"),
            ("quantity", "0.002"),
            ("newClientOrderId", CID),
            ("newOrderRespType", "FULL"),
        ])
    );
    assert!(host.logs()[0].starts_with(&format!(
        "info: binance POST /api/v3/order SELL BTCUSDT quantity=0.002 newClientOrderId={CID}: placed orderId=12346"
    )));
}

#[test]
fn sell_checks_decimals_steps_minimum_and_maximum() {
    let info = fixture!("exchange_info")
        // BTCUSDT LOT_SIZE minQty 0.0001.
        .replacen(r#""minQty": "0.00001000""#, r#""minQty": "0.00010000""#, 1)
        // LTCBNB step 5.
        .replace(
            r#""minQty": "1.00000000",
          "maxQty": "100000.00000000",
          "stepSize": "1.00000000""#,
            r#""minQty": "1.00000000",
          "maxQty": "100000.00000000",
          "stepSize": "5.00000000""#,
        );
    assert_ne!(info, fixture!("exchange_info"));
    let host = with_order(Ok((200, fixture!("order_full_sell").into()))).ok(
        Method::Get,
        requests::EXCHANGE_INFO,
        &info,
    );
    for (symbol, base, expected) in [
        ("BTC/USDT", "0.000015", "invalid-request"),
        ("BTC/USDT", "0.00005", "below-minimum"),
        ("BTC/USDT", "121", "invalid-request"),
        ("LTC/BNB", "7", "invalid-request"),
        ("LTC/BTC", "0.015", "invalid-request"),
    ] {
        let r = ops::place_market_order(&host, &sell(symbol, base));
        assert_eq!(outcome(&r), expected, "{symbol} {base}: {r:?}");
    }
    assert!(!host.calls().contains(&POST_ORDER.to_string()));
    assert_eq!(
        outcome(&ops::place_market_order(&host, &sell("LTC/BNB", "10"))),
        // The sell fixture is a BTCUSDT answer: contradiction, but sent.
        "unknown-outcome"
    );
    assert_eq!(order_form(&host)[3], ("quantity".into(), "10".into()));
}

#[test]
fn partly_filled_market_buy_that_expired() {
    let host = with_order(Ok((200, fixture!("market_buy_expired").into())));
    let order = MarketOrder {
        client_order_id: "8LGC97RRgNPVQk979VIhjt".into(),
        ..buy("LTC/BNB", "6")
    };
    let placed = ops::place_market_order(&host, &order).expect("placed");
    assert_eq!(placed.order_id, "32");
    let fill = placed.fill.expect("fill");
    assert_eq!(
        (
            fill.state,
            fill.filled_size.as_str(),
            fill.cost.as_str(),
            fill.average_price.as_str()
        ),
        (OrderState::Expired, "4", "4", "1")
    );
    assert_eq!(fill.fees, [fee("0.002", "BNB")]);
    assert_eq!(order_form(&host)[0], ("symbol".into(), "LTCBNB".into()));
}

#[test]
fn bad_requests_send_nothing() {
    let host = with_order(Ok((200, fixture!("order_full_buy").into())));
    let cases = [
        MarketOrder {
            amount: OrderAmount::Base("1".into()),
            ..buy("BTC/USDT", "1")
        },
        MarketOrder {
            amount: OrderAmount::Quote("1".into()),
            ..sell("BTC/USDT", "1")
        },
        buy("BTC/USDT", "-5"),
        buy("BTC/USDT", "0"),
        buy("BTC/USDT", "1e3"),
        buy("BTC/USDT", "ten"),
        MarketOrder {
            client_order_id: String::new(),
            ..buy("BTC/USDT", "100")
        },
        MarketOrder {
            client_order_id: "a".repeat(37),
            ..buy("BTC/USDT", "100")
        },
        MarketOrder {
            client_order_id: "id with spaces".into(),
            ..buy("BTC/USDT", "100")
        },
        MarketOrder {
            client_order_id: "id/1".into(),
            ..buy("BTC/USDT", "100")
        },
    ];
    for order in cases {
        assert_eq!(
            outcome(&ops::place_market_order(&host, &order)),
            "invalid-request",
            "{order:?}"
        );
    }
    assert!(host.calls().is_empty());
    assert_eq!(
        outcome(&ops::place_market_order(&host, &buy("BTC/USD", "100"))),
        "invalid-symbol"
    );
    assert_eq!(host.calls(), [GET_INFO]);
}

#[test]
fn markets_not_taking_the_order_are_unavailable_and_not_sent() {
    for (order, why) in [
        (buy("BNB/BTC", "1"), "BNBBTC is BREAK;"),
        (buy("XRP/USDT", "100"), "XRPUSDT is CANCEL_ONLY;"),
        (buy("LUNA/USDT", "100"), "LUNAUSDT is END_OF_DAY;"),
        (sell("HALT/USDT", "1"), "HALTUSDT is HALT;"),
        (
            buy("DOGE/USDT", "100"),
            "takes no MARKET orders by quoteOrderQty;",
        ),
        (sell("SOL/USDT", "1"), "takes no MARKET orders;"),
    ] {
        let host = with_order(Ok((200, fixture!("order_full_buy").into())));
        let e = ops::place_market_order(&host, &order).expect_err("refused");
        assert_eq!(error_parts(&e).0, "unavailable", "{order:?}");
        assert!(error_parts(&e).1.contains(why), "{e:?}");
        assert_eq!(host.calls(), [GET_INFO], "{order:?}");
    }
    // A sell needs no quoteOrderQty: DOGEUSDT takes it.
    let host = with_order(Ok((200, fixture!("order_full_buy").into())));
    let _ = ops::place_market_order(&host, &sell("DOGE/USDT", "100"));
    assert_eq!(host.calls(), [GET_INFO, POST_ORDER]);
}

#[test]
fn failures_before_the_order_are_never_unknown_outcome() {
    for answer in [
        Err(HttpFailure::NoAnswer("timeout".into())),
        Err(HttpFailure::NotSent("refused".into())),
        Ok((502, "<html>Bad Gateway</html>".into())),
        Ok((200, "{\"symbols\":".into())),
    ] {
        let host = with_order(Ok((200, fixture!("order_full_buy").into()))).answer(
            Method::Get,
            requests::EXCHANGE_INFO,
            answer.clone(),
        );
        let r = ops::place_market_order(&host, &buy("BTC/USDT", "100"));
        assert_eq!(outcome(&r), "unavailable", "{answer:?}");
        assert_eq!(host.calls(), [GET_INFO]);
    }
}

#[test]
fn order_outcomes() {
    let err = |status, code, msg| binance_error(status, code, msg);
    let cases: Vec<(Answer, &str, &str)> = vec![
        (Err(HttpFailure::NotSent("connection refused".into())), "unavailable", "connection refused"),
        (Err(HttpFailure::NoAnswer("timed out".into())), "unknown-outcome", "timed out"),
        (Err(HttpFailure::Denied("not exactly the intended order".into())), "invalid-request", "intended order"),
        (Ok((502, "<html><head><title>502 Bad Gateway</title></head></html>".into())), "unknown-outcome", "502"),
        (Ok((500, String::new())), "unknown-outcome", "500"),
        (Ok((503, "{\"code\":-2010,\"msg\":\"Account has insufficient balance for requested action.\"}".into())), "unknown-outcome", "503"),
        (Ok((200, "{\"symbol\":\"BTCUSDT\",\"orderI".into())), "unknown-outcome", "unreadable"),
        (Ok((200, "<html>OK</html>".into())), "unknown-outcome", "unreadable"),
        (err(400, -1000, "An unknown error occurred while processing the request."), "unknown-outcome", "-1000"),
        (err(400, -1007, "Timeout waiting for response from backend server."), "unknown-outcome", "-1007"),
        (err(400, -2010, "Duplicate order sent."), "unknown-outcome", "Duplicate order sent."),
        (err(400, -4242, "A code nobody documented."), "unknown-outcome", "-4242"),
        (err(400, -2010, "A message nobody documented."), "unknown-outcome", "nobody documented"),
        (err(400, -2010, "Account has insufficient balance for requested action."), "insufficient-funds", "insufficient balance"),
        (err(400, -1013, "Filter failure: NOTIONAL"), "below-minimum", "NOTIONAL"),
        (err(400, -1013, "Filter failure: PERCENT_PRICE_BY_SIDE"), "order-rejected", "PERCENT_PRICE_BY_SIDE"),
        (err(400, -1121, "Invalid symbol."), "invalid-symbol", "-1121"),
        (err(400, -2010, "Market is closed."), "unavailable", "Market is closed."),
        (err(429, -1003, "Too much request weight used"), "rate-limited", "-1003"),
        (Ok((418, String::new())), "rate-limited", "418"),
        (err(400, -1021, "Timestamp for this request is outside of the recvWindow."), "order-rejected", "-1021"),
        (err(401, -2015, "Invalid API-key, IP, or permissions for action."), "auth", "-2015"),
        (err(400, -1111, "Parameter 'quoteOrderQty' has too much precision."), "invalid-request", "-1111"),
        (err(400, -2013, "Order does not exist."), "unknown-outcome", "-2013"),
    ];
    for (answer, expected, quoted) in cases {
        let host = with_order(answer.clone());
        let e = ops::place_market_order(&host, &buy("BTC/USDT", "100")).expect_err("fails");
        assert_eq!(error_parts(&e).0, expected, "{answer:?}");
        assert!(error_parts(&e).1.contains(quoted), "{e:?}");
        let logs = host.logs();
        assert_eq!(logs.len(), 1, "one line per order attempt");
        assert!(
            logs[0].starts_with(&format!(
                "warn: binance POST /api/v3/order BUY BTCUSDT quoteOrderQty=100 newClientOrderId={CID}: {expected}: "
            )) && logs[0].contains(quoted),
            "{logs:?}"
        );
    }
}

#[test]
fn answers_about_another_order_are_unknown_outcome() {
    let full = fixture!("order_full_buy");
    for body in [
        full.replace(r#""symbol": "BTCUSDT""#, r#""symbol": "ETHBTC""#),
        full.replace(CID, "someone-else"),
    ] {
        assert_ne!(body, full);
        let host = with_order(Ok((200, body)));
        let r = ops::place_market_order(&host, &buy("BTC/USDT", "100"));
        assert_eq!(outcome(&r), "unknown-outcome");
    }
}

#[test]
fn placed_without_a_usable_fill_report() {
    let ack = fixture!("order_ack").replace("6gCrw2kRUAF9CvJDGP16IP", CID);
    let short = fixture!("order_full_buy").replace(
        r#""executedQty": "0.00166000""#,
        r#""executedQty": "0.00200000""#,
    );
    let odd = fixture!("order_full_buy").replace(r#""status": "FILLED""#, r#""status": "NEWISH""#);
    for (body, why) in [
        (ack, "status"),
        (short, "fills sum to 0.00166 but executedQty is 0.002"),
        (odd, "NEWISH"),
    ] {
        let host = with_order(Ok((200, body)));
        let placed = ops::place_market_order(&host, &buy("BTC/USDT", "100"));
        let id = if why == "status" { "28" } else { "12345" };
        assert_eq!(
            placed,
            Ok(PlacedOrder {
                order_id: id.into(),
                fill: None
            }),
            "{why}"
        );
        let logs = host.logs();
        assert!(
            logs[0].starts_with("info: ")
                && logs[0].contains("no fill report")
                && logs[0].contains(why),
            "{logs:?}"
        );
    }
}

#[test]
fn log_lines_stay_short() {
    let host = with_order(binance_error(400, -2010, &"z".repeat(10_000)));
    let _ = ops::place_market_order(&host, &buy("BTC/USDT", "100"));
    let logs = host.logs();
    assert_eq!(logs.len(), 1);
    assert!(
        logs[0].chars().count() <= ops::LOG_LINE + 10,
        "{}",
        logs[0].len()
    );
}
