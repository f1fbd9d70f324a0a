//! Request builders: exact parameters, nothing the host adds itself, every
//! path declared, and each parameter name on the host's allow-list.

use super::params;
use crate::requests::{self, Req, Size};
use crate::tradehost::exchange::types::Side;
use driver_kit::http::Method;

const CID: &str = "6d1b345e-2821-40e2-ad83-4ecb18a06876";

fn all() -> Vec<Req> {
    vec![
        requests::ping(),
        requests::exchange_info(&["BTCUSDT"]),
        requests::exchange_info(&["BTCUSDT", "ETHBTC"]),
        requests::book_ticker("BTCUSDT"),
        requests::book_tickers(&["BTCUSDT", "ETHBTC"]),
        requests::account(),
        requests::new_order("BTCUSDT", Side::Buy, Size::Quote("100"), CID),
        requests::new_order("BTCUSDT", Side::Sell, Size::Base("0.002"), CID),
        requests::query_order("BTCUSDT", "12345"),
        requests::find_order("BTCUSDT", CID),
        requests::my_trades("BTCUSDT", "12345"),
    ]
}

/// The host's Binance allow-list: (method, path, signed, parameter names).
const ALLOWED: &[(Method, &str, bool, &[&str])] = &[
    (Method::Get, "/api/v3/ping", false, &[]),
    (
        Method::Get,
        "/api/v3/exchangeInfo",
        false,
        &["symbol", "symbols"],
    ),
    (
        Method::Get,
        "/api/v3/ticker/bookTicker",
        false,
        &["symbol", "symbols"],
    ),
    (Method::Get, "/api/v3/account", true, &["omitZeroBalances"]),
    (
        Method::Post,
        "/api/v3/order",
        true,
        &[
            "symbol",
            "side",
            "type",
            "quoteOrderQty",
            "quantity",
            "newClientOrderId",
            "newOrderRespType",
        ],
    ),
    (
        Method::Get,
        "/api/v3/order",
        true,
        &["symbol", "orderId", "origClientOrderId"],
    ),
    (
        Method::Get,
        "/api/v3/myTrades",
        true,
        &["symbol", "orderId"],
    ),
];

#[test]
fn every_request_is_on_the_allow_list_and_declared() {
    for req in all() {
        assert!(
            requests::PATHS.contains(&req.path),
            "{} undeclared",
            req.path
        );
        let (_, _, signed, names) = ALLOWED
            .iter()
            .find(|(m, p, _, _)| *m == req.method && *p == req.path)
            .unwrap_or_else(|| panic!("{:?} {} not allowed", req.method, req.path));
        assert_eq!(req.signed, *signed, "{}", req.path);
        let sent = if req.method == Method::Post {
            assert!(req.query.is_empty(), "{req:?}");
            &req.form
        } else {
            assert!(req.form.is_empty(), "{req:?}");
            &req.query
        };
        for (k, _) in sent {
            assert!(names.contains(&k.as_str()), "{k} on {}", req.path);
        }
    }
    // And every declared path is used by some request.
    for path in requests::PATHS {
        assert!(all().iter().any(|r| r.path == path), "{path} unused");
    }
}

#[test]
fn nothing_the_host_adds_is_ever_sent() {
    for req in all() {
        for (k, _) in req.query.iter().chain(&req.form) {
            assert!(
                !["timestamp", "recvWindow", "signature", "X-MBX-APIKEY"]
                    .iter()
                    .any(|h| k.eq_ignore_ascii_case(h)),
                "{k} in {req:?}"
            );
        }
    }
}

#[test]
fn market_buy_form_exactly() {
    let req = requests::new_order("BTCUSDT", Side::Buy, Size::Quote("100.5"), CID);
    assert_eq!(
        (req.method, req.path, req.signed),
        (Method::Post, "/api/v3/order", true)
    );
    assert_eq!(
        req.form,
        params(&[
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "MARKET"),
            ("quoteOrderQty", "100.5"),
            ("newClientOrderId", CID),
            ("newOrderRespType", "FULL"),
        ])
    );
    assert_eq!(req.cache_seconds, 0);
}

#[test]
fn market_sell_form_exactly() {
    let req = requests::new_order("LTCBTC", Side::Sell, Size::Base("0.02"), CID);
    assert_eq!(
        req.form,
        params(&[
            ("symbol", "LTCBTC"),
            ("side", "SELL"),
            ("type", "MARKET"),
            ("quantity", "0.02"),
            ("newClientOrderId", CID),
            ("newOrderRespType", "FULL"),
        ])
    );
}

#[test]
fn reads_exactly() {
    let info = requests::exchange_info(&["BTCUSDT"]);
    assert_eq!((info.signed, info.cache_seconds), (false, 3600));
    assert_eq!(
        info.query,
        params(&[("symbol", "BTCUSDT")]),
        "one entry, not megabytes"
    );
    let two = requests::exchange_info(&["BTCUSDT", "ETHBTC"]);
    assert_eq!(two.query, params(&[("symbols", r#"["BTCUSDT","ETHBTC"]"#)]));
    let ping = requests::ping();
    assert_eq!((ping.query.len(), ping.cache_seconds), (0, 0));
    let one = requests::book_ticker("BTCUSDT");
    assert_eq!(
        (one.query, one.cache_seconds),
        (params(&[("symbol", "BTCUSDT")]), 0)
    );
    let many = requests::book_tickers(&["BTCUSDT", "ETHBTC", "这是测试币456"]);
    assert_eq!(
        (many.query, many.cache_seconds),
        (
            params(&[("symbols", r#"["BTCUSDT","ETHBTC","这是测试币456"]"#)]),
            0
        )
    );
    assert_eq!(
        requests::account().query,
        params(&[("omitZeroBalances", "true")])
    );
    assert_eq!(
        requests::query_order("BTCUSDT", "12345").query,
        params(&[("symbol", "BTCUSDT"), ("orderId", "12345")])
    );
    assert_eq!(
        requests::find_order("BTCUSDT", CID).query,
        params(&[("symbol", "BTCUSDT"), ("origClientOrderId", CID)])
    );
    assert_eq!(
        requests::my_trades("BTCUSDT", "12345").query,
        params(&[("symbol", "BTCUSDT"), ("orderId", "12345")])
    );
    for req in all() {
        // Only public GETs may be cached, and only exchangeInfo is.
        let cached = req.path == requests::EXCHANGE_INFO;
        assert_eq!(req.cache_seconds > 0, cached, "{}", req.path);
    }
}
