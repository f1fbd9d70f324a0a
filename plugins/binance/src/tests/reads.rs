//! Reads against a canned host: declared paths, market rules, tickers,
//! balances and status, and which requests each sends.

use super::{Canned, GET_INFO, binance_error, fixture, outcome, params};
use crate::ops;
use crate::requests;
use crate::tradehost::exchange::types::{ExchangeState, MarketStatus, SigningScheme, Ticker};
use driver_kit::http::HttpFailure;
use driver_kit::http::Method;

fn book(symbol: &str, bid: &str, ask: &str) -> String {
    format!(
        r#"{{"symbol":"{symbol}","bidPrice":"{bid}","bidQty":"1.00000000","askPrice":"{ask}","askQty":"2.00000000"}}"#
    )
}

#[test]
fn info_declares_exactly_the_paths_used() {
    let info = ops::info();
    assert_eq!(info.exchange_id, "binance");
    assert_eq!(info.driver_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.signing, SigningScheme::BinanceHmacSha256);
    assert_eq!(info.default_base_url, "https://api.binance.com");
    assert_eq!(
        info.request_paths,
        [
            "/api/v3/ping",
            "/api/v3/exchangeInfo",
            "/api/v3/ticker/bookTicker",
            "/api/v3/account",
            "/api/v3/order",
            "/api/v3/myTrades",
        ]
    );
}

#[test]
fn market_rules_ask_for_one_cached_entry() {
    let host = Canned::new();
    let rules = ops::market_rules(&host, "LTC/BTC").expect("rules");
    assert_eq!(
        (
            rules.pair_id.as_str(),
            rules.min_size.as_str(),
            rules.status
        ),
        ("LTCBTC", "0.01", MarketStatus::Online)
    );
    let req = host.sent_to(Method::Get, requests::EXCHANGE_INFO);
    assert_eq!((req.signed, req.cache_seconds), (false, 3600));
    assert_eq!(req.query, params(&[("symbol", "LTCBTC")]));
    assert_eq!(
        outcome(&ops::market_rules(&host, "BTC/USD")),
        "invalid-symbol"
    );
}

#[test]
fn ticker_last_is_the_bid() {
    let host = Canned::new().ok(
        Method::Get,
        requests::BOOK_TICKER,
        &book("BTCUSDT", "60000.10000000", "60000.20000000"),
    );
    assert_eq!(
        ops::ticker(&host, "BTC/USDT"),
        Ok(Ticker {
            symbol: "BTC/USDT".into(),
            bid: "60000.1".into(),
            ask: "60000.2".into(),
            last: "60000.1".into(),
        })
    );
    let req = host.sent_to(Method::Get, requests::BOOK_TICKER);
    assert_eq!(
        (req.query, req.signed, req.cache_seconds),
        (params(&[("symbol", "BTCUSDT")]), false, 0)
    );
    // The documented single sample.
    let host = Canned::new().ok(
        Method::Get,
        requests::BOOK_TICKER,
        fixture!("bookticker_single"),
    );
    let t = ops::ticker(&host, "LTC/BTC").expect("ticker");
    assert_eq!([t.bid, t.ask, t.last], ["4", "4.000002", "4"]);
}

#[test]
fn ticker_refuses_empty_books_and_wrong_answers() {
    for body in [
        book("BTCUSDT", "0.00000000", "60000.00000000"),
        book("BTCUSDT", "60000.00000000", "0.00000000"),
        book("ETHBTC", "1", "2"),
        "<html></html>".into(),
    ] {
        let host = Canned::new().ok(Method::Get, requests::BOOK_TICKER, &body);
        assert_eq!(
            outcome(&ops::ticker(&host, "BTC/USDT")),
            "unavailable",
            "{body}"
        );
    }
    let host = Canned::new();
    assert_eq!(outcome(&ops::ticker(&host, "ETH/USDT")), "invalid-symbol");
    assert_eq!(host.calls(), [GET_INFO]);
}

#[test]
fn tickers_in_one_request_in_the_order_asked() {
    let host = Canned::new().ok(
        Method::Get,
        requests::BOOK_TICKER,
        fixture!("bookticker_array"),
    );
    let asked = ["ETH/BTC", "LTC/BTC", "ETH/BTC"].map(String::from);
    let got = ops::tickers(&host, &asked).expect("tickers");
    let summary: Vec<(&str, &str, &str)> = got
        .iter()
        .map(|t| (t.symbol.as_str(), t.bid.as_str(), t.last.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("ETH/BTC", "0.079467", "0.079467"),
            ("LTC/BTC", "4", "4"),
            ("ETH/BTC", "0.079467", "0.079467"),
        ]
    );
    assert_eq!(host.calls(), [GET_INFO, "GET /API/V3/TICKER/BOOKTICKER"]);
    let req = host.sent_to(Method::Get, requests::BOOK_TICKER);
    assert_eq!(
        (req.query, req.cache_seconds),
        (params(&[("symbols", r#"["ETHBTC","LTCBTC"]"#)]), 0)
    );
}

#[test]
fn tickers_fail_whole() {
    let host = Canned::new().ok(
        Method::Get,
        requests::BOOK_TICKER,
        fixture!("bookticker_array"),
    );
    assert_eq!(ops::tickers(&host, &[]), Ok(Vec::new()));
    assert!(host.calls().is_empty());
    let asked = ["LTC/BTC", "BTC/USD"].map(String::from);
    assert_eq!(outcome(&ops::tickers(&host, &asked)), "invalid-symbol");
    assert_eq!(
        host.calls(),
        [GET_INFO],
        "nothing asked for an invalid list"
    );
    // BTCUSDT is not in the answer.
    let asked = ["LTC/BTC", "BTC/USDT"].map(String::from);
    assert_eq!(outcome(&ops::tickers(&host, &asked)), "unavailable");
    let host = Canned::new().answer(
        Method::Get,
        requests::BOOK_TICKER,
        binance_error(400, -1121, "Invalid symbol."),
    );
    assert_eq!(
        outcome(&ops::tickers(&host, &["LTC/BTC".into()])),
        "invalid-symbol"
    );
}

#[test]
fn balances_from_the_account() {
    let host = Canned::new().ok(Method::Get, requests::ACCOUNT, fixture!("account"));
    let b = ops::balances(&host).expect("balances");
    assert_eq!(
        b.iter().map(|b| b.currency.as_str()).collect::<Vec<_>>(),
        ["BTC", "LTC"]
    );
    let req = host.sent_to(Method::Get, requests::ACCOUNT);
    assert_eq!(
        (req.signed, req.query),
        (true, params(&[("omitZeroBalances", "true")]))
    );
    assert_eq!(
        host.calls(),
        ["GET /API/V3/ACCOUNT"],
        "no exchangeInfo needed"
    );
    let host = Canned::new().answer(
        Method::Get,
        requests::ACCOUNT,
        binance_error(
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        ),
    );
    assert_eq!(outcome(&ops::balances(&host)), "auth");
}

#[test]
fn status_is_a_ping() {
    let host = Canned::new().ok(Method::Get, requests::PING, fixture!("ping"));
    let s = ops::status(&host).expect("status");
    assert_eq!((s.state, s.message), (ExchangeState::Online, None));
    let req = host.sent_to(Method::Get, requests::PING);
    assert_eq!((req.signed, req.query.len()), (false, 0));
    for (answer, expected) in [
        (
            Ok((503, "<html>Service Unavailable</html>".to_string())),
            "unavailable",
        ),
        (Ok((429, String::new())), "rate-limited"),
        (
            Ok((200, "<html>captive portal</html>".to_string())),
            "unavailable",
        ),
        (Err(HttpFailure::NotSent("dns".into())), "unavailable"),
        (Err(HttpFailure::NoAnswer("reset".into())), "unavailable"),
    ] {
        let host = Canned::new().answer(Method::Get, requests::PING, answer.clone());
        assert_eq!(outcome(&ops::status(&host)), expected, "{answer:?}");
    }
}

#[test]
fn asks_binance_only_for_the_symbols_at_hand() {
    assert_eq!(
        crate::symbols::candidate_id("btc/usdt").as_deref(),
        Ok("BTCUSDT")
    );
    let host = Canned::new();
    for odd in ["BT-C/USDT", "BTC/US DT", "A/BCDEFGHIJKLMNOPQRSTUVWXYZ"] {
        assert_eq!(
            outcome(&ops::market_rules(&host, odd)),
            "invalid-symbol",
            "{odd}"
        );
    }
    assert!(
        host.sent.borrow().is_empty(),
        "nothing sent for a symbol Binance cannot have"
    );
}
