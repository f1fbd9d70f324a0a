//! Whole operations against a canned host: which requests go out, in what
//! order, and what each failure becomes.

use super::{Canned, error_parts, fixture, kraken_error, outcome, ticker_body};
use crate::ops;
use crate::requests;
use crate::tradehost::exchange::types::{
    MarketOrder, MarketRules, MarketStatus, OrderAmount, Side, SigningScheme,
};
use driver_kit::http::HttpFailure;
use driver_kit::http::Method;

fn buy(symbol: &str, quote: &str) -> MarketOrder {
    MarketOrder {
        client_order_id: "cid-1".into(),
        symbol: symbol.into(),
        side: Side::Buy,
        amount: OrderAmount::Quote(quote.into()),
        deadline: None,
        quote_price: None,
    }
}

/// A buy carrying the ask the host's pre-trade check read.
fn buy_at(symbol: &str, quote: &str, ask: &str) -> MarketOrder {
    MarketOrder {
        quote_price: Some(ask.into()),
        ..buy(symbol, quote)
    }
}

fn sell(symbol: &str, base: &str) -> MarketOrder {
    MarketOrder {
        side: Side::Sell,
        amount: OrderAmount::Base(base.into()),
        ..buy(symbol, "1")
    }
}

fn form(host: &Canned, path: &str) -> Vec<(String, String)> {
    host.sent_to(path).form
}

fn pairs(kv: &[(&str, &str)]) -> Vec<(String, String)> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn info_declares_exactly_the_paths_used() {
    let info = ops::info();
    assert_eq!(info.exchange_id, "kraken");
    assert_eq!(info.driver_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.signing, SigningScheme::KrakenHmacSha512);
    assert_eq!(info.default_base_url, "https://api.kraken.com");
    assert_eq!(
        info.request_paths,
        [
            "/0/public/SystemStatus",
            "/0/public/AssetPairs",
            "/0/public/Ticker",
            "/0/private/BalanceEx",
            "/0/private/AddOrder",
            "/0/private/QueryOrders",
            "/0/private/OpenOrders",
            "/0/private/ClosedOrders",
        ]
    );
}

#[test]
fn market_rules_from_asset_pairs() {
    let host = Canned::live();
    assert_eq!(
        ops::market_rules(&host, "DOGE/USD"),
        Ok(MarketRules {
            symbol: "DOGE/USD".into(),
            pair_id: "XDGUSD".into(),
            base: "DOGE".into(),
            quote: "USD".into(),
            min_size: "50".into(),
            min_cost: "0.5".into(),
            size_decimals: 8,
            price_decimals: 7,
            status: MarketStatus::Online,
        })
    );
    let req = host.sent_to(requests::ASSET_PAIRS);
    assert_eq!(
        (req.method, req.signed, req.cache_seconds),
        (Method::Get, false, 3600)
    );
    assert!(req.query.is_empty());
    let btc = ops::market_rules(&host, "XBT/USD").expect("btc");
    assert_eq!(
        (
            btc.symbol.as_str(),
            btc.pair_id.as_str(),
            btc.min_size.as_str()
        ),
        ("BTC/USD", "XXBTZUSD", "0.00005")
    );
}

#[test]
fn market_rules_status_and_missing_costmin() {
    let body = fixture!("assetpairs_live")
        .replacen(r#""status": "online""#, r#""status": "cancel_only""#, 1)
        .replacen(r#""costmin": "0.5","#, "", 1);
    let host = Canned::live().ok(requests::ASSET_PAIRS, &body);
    let rules = ops::market_rules(&host, "BTC/USD").expect("rules");
    assert_eq!(
        (rules.status, rules.min_cost.as_str()),
        (MarketStatus::CancelOnly, "0")
    );
}

#[test]
fn ticker_asks_by_pair_id() {
    let host = Canned::live();
    let t = ops::ticker(&host, "BTC/USD").expect("ticker");
    assert_eq!(
        [t.symbol, t.ask, t.bid, t.last],
        ["BTC/USD", "30300.1", "30300", "30303.2"]
    );
    let req = host.sent_to(requests::TICKER);
    assert_eq!(req.query, pairs(&[("pair", "XXBTZUSD")]));
    assert_eq!((req.signed, req.cache_seconds), (false, 0));
    assert_eq!(outcome(&ops::ticker(&host, "ETH/USD")), "invalid-symbol");
}

#[test]
fn balances_and_status() {
    let host = Canned::live()
        .ok(requests::BALANCE_EX, fixture!("balanceex_numbers"))
        .ok(requests::SYSTEM_STATUS, fixture!("systemstatus_online"));
    assert_eq!(ops::balances(&host).map(|b| b.len()), Ok(2));
    let req = host.sent_to(requests::BALANCE_EX);
    assert_eq!(
        (req.method, req.signed, req.form.len()),
        (Method::Post, true, 0)
    );
    assert!(ops::status(&host).is_ok());
    let host = Canned::live().ok(requests::BALANCE_EX, fixture!("error_emptyresult"));
    assert_eq!(outcome(&ops::balances(&host)), "auth");
}

#[test]
fn buy_computes_volume_from_ask_rounding_down() {
    let host = Canned::live().ok(requests::ADD_ORDER, fixture!("addorder_limit"));
    let placed = ops::place_market_order(&host, &buy("BTC/USD", "100"));
    // AddOrder's answer carries no fill.
    assert_eq!(
        placed.map(|p| (p.order_id, p.fill)),
        Ok(("OUF4EM-FRGI2-MQMWZD".into(), None))
    );
    assert_eq!(
        host.paths(),
        [requests::ASSET_PAIRS, requests::TICKER, requests::ADD_ORDER]
    );
    // 100 / 30300.1 = 0.0033003191…, down to 8 decimals.
    assert_eq!(
        form(&host, requests::ADD_ORDER),
        pairs(&[
            ("pair", "XXBTZUSD"),
            ("type", "buy"),
            ("ordertype", "market"),
            ("volume", "0.00330031"),
            ("oflags", "fciq"),
            ("cl_ord_id", "cid-1"),
        ])
    );
    let req = host.sent_to(requests::ADD_ORDER);
    assert_eq!((req.method, req.signed), (Method::Post, true));
    let logs = host.logs.borrow();
    assert_eq!(logs.len(), 1);
    assert!(
        logs[0].starts_with("info: kraken AddOrder buy 0.00330031 XXBTZUSD cl_ord_id=cid-1: ")
            && logs[0].contains("OUF4EM-FRGI2-MQMWZD"),
        "{logs:?}"
    );
}

#[test]
fn buy_below_minimum_sends_nothing() {
    // DOGE at 0.2: 5 USD buys 25 < ordermin 50.
    let host = Canned::live().ok(requests::TICKER, &ticker_body("XDGUSD", "0.2"));
    let r = ops::place_market_order(&host, &buy("DOGE/USD", "5"));
    assert_eq!(outcome(&r), "below-minimum");
    // SOL at 5: 0.4 USD buys 0.08 >= ordermin 0.06, but costs 0.4 < costmin 0.5.
    let host = Canned::live().ok(requests::TICKER, &ticker_body("SOLUSD", "5"));
    let r = ops::place_market_order(&host, &buy("SOL/USD", "0.4"));
    assert_eq!(outcome(&r), "below-minimum");
    assert_eq!(host.paths(), [requests::ASSET_PAIRS, requests::TICKER]);
    // An ask so high that the volume rounds to zero.
    let host = Canned::live().ok(requests::TICKER, &ticker_body("XXBTZUSD", "1000000000000"));
    assert_eq!(
        outcome(&ops::place_market_order(&host, &buy("BTC/USD", "1"))),
        "below-minimum"
    );
    assert!(host.logs.borrow().is_empty());
}

#[test]
fn sell_checks_decimals_and_minimum() {
    let host = Canned::live().ok(requests::ADD_ORDER, fixture!("addorder_market"));
    assert_eq!(
        outcome(&ops::place_market_order(
            &host,
            &sell("SOL/USD", "0.123456789")
        )),
        "invalid-request"
    );
    assert_eq!(
        outcome(&ops::place_market_order(&host, &sell("SOL/USD", "0.05"))),
        "below-minimum"
    );
    assert!(!host.paths().contains(&requests::ADD_ORDER));
    assert!(ops::place_market_order(&host, &sell("SOL/USD", "0.0600")).is_ok());
    // The fee in USD, not SOL: the whole position stays sellable.
    assert_eq!(
        form(&host, requests::ADD_ORDER),
        pairs(&[
            ("pair", "SOLUSD"),
            ("type", "sell"),
            ("ordertype", "market"),
            ("volume", "0.06"),
            ("oflags", "fciq"),
            ("cl_ord_id", "cid-1"),
        ])
    );
    assert!(
        !host.paths().contains(&requests::TICKER),
        "a sell needs no price"
    );
}

#[test]
fn bad_requests_send_nothing() {
    let host = Canned::live();
    let wrong_kind = MarketOrder {
        amount: OrderAmount::Base("1".into()),
        ..buy("BTC/USD", "1")
    };
    let cases = [
        (wrong_kind, "invalid-request"),
        (
            MarketOrder {
                amount: OrderAmount::Quote("1".into()),
                ..sell("BTC/USD", "1")
            },
            "invalid-request",
        ),
        (buy("BTC/USD", "-5"), "invalid-request"),
        (buy("BTC/USD", "0"), "invalid-request"),
        (buy("BTC/USD", "1e3"), "invalid-request"),
        (
            MarketOrder {
                client_order_id: String::new(),
                ..buy("BTC/USD", "100")
            },
            "invalid-request",
        ),
    ];
    for (order, expected) in cases {
        assert_eq!(
            outcome(&ops::place_market_order(&host, &order)),
            expected,
            "{order:?}"
        );
    }
    assert!(host.paths().is_empty());
    assert_eq!(
        outcome(&ops::place_market_order(&host, &buy("ETH/USD", "100"))),
        "invalid-symbol"
    );
    assert_eq!(host.paths(), [requests::ASSET_PAIRS]);
}

#[test]
fn pair_not_online_is_unavailable_and_not_sent() {
    let body = fixture!("assetpairs_live").replacen(
        r#""status": "online""#,
        r#""status": "post_only""#,
        1,
    );
    let host = Canned::live().ok(requests::ASSET_PAIRS, &body);
    let r = ops::place_market_order(&host, &buy("BTC/USD", "100"));
    assert_eq!(outcome(&r), "unavailable");
    assert_eq!(host.paths(), [requests::ASSET_PAIRS]);
}

#[test]
fn failures_before_add_order_are_never_unknown_outcome() {
    for failure in [
        HttpFailure::NoAnswer("timeout".into()),
        HttpFailure::NotSent("refused".into()),
    ] {
        let host = Canned::live().answer(requests::TICKER, Err(failure));
        assert_eq!(
            outcome(&ops::place_market_order(&host, &buy("BTC/USD", "100"))),
            "unavailable"
        );
        assert!(!host.paths().contains(&requests::ADD_ORDER));
    }
    let host = Canned::live().answer(requests::ASSET_PAIRS, Ok((502, String::new())));
    assert_eq!(
        outcome(&ops::place_market_order(&host, &buy("BTC/USD", "100"))),
        "unavailable"
    );
}

#[test]
fn add_order_outcomes() {
    let kraken = |e: &str| Ok((200, kraken_error(e)));
    let cases: [(super::Answer, &str, &str); 16] = [
        (
            Err(HttpFailure::NotSent("connection refused".into())),
            "unavailable",
            "connection refused",
        ),
        (
            Err(HttpFailure::NoAnswer("timed out".into())),
            "unknown-outcome",
            "timed out",
        ),
        (
            Err(HttpFailure::Denied("no credentials".into())),
            "invalid-request",
            "no credentials",
        ),
        (
            Ok((502, "<html>Bad Gateway</html>".into())),
            "unknown-outcome",
            "502",
        ),
        (Ok((520, String::new())), "unknown-outcome", "520"),
        (
            kraken("EService:Unavailable"),
            "unknown-outcome",
            "EService:Unavailable",
        ),
        (
            kraken("EGeneral:Internal error:42"),
            "unknown-outcome",
            "EGeneral:Internal error:42",
        ),
        (
            Ok((200, "{\"error\":[],\"resu".into())),
            "unknown-outcome",
            "unreadable",
        ),
        (
            Ok((200, fixture!("addorder_validate").into())),
            "unknown-outcome",
            "no txid",
        ),
        (
            kraken("EOrder:Insufficient funds"),
            "insufficient-funds",
            "EOrder:Insufficient funds",
        ),
        (
            kraken("EAPI:Invalid nonce"),
            "order-rejected",
            "EAPI:Invalid nonce",
        ),
        (
            kraken("EGeneral:Invalid arguments:volume"),
            "order-rejected",
            "EGeneral:Invalid arguments:volume",
        ),
        (
            kraken("EService:Market in cancel_only mode"),
            "unavailable",
            "cancel_only",
        ),
        // Never seen before: it may have been placed.
        (
            kraken("EOrder:Something new"),
            "unknown-outcome",
            "EOrder:Something new",
        ),
        // An open order already has this cl_ord_id: maybe ours.
        (
            kraken("EOrder:Duplicate cl_ord_id"),
            "unknown-outcome",
            "EOrder:Duplicate cl_ord_id",
        ),
        (
            Ok((400, kraken_error("EFoo:Bar"))),
            "unknown-outcome",
            "EFoo:Bar",
        ),
    ];
    for (answer, expected, quoted) in cases {
        let host = Canned::live().answer(requests::ADD_ORDER, answer.clone());
        let r = ops::place_market_order(&host, &buy("BTC/USD", "100"));
        let e = r.expect_err("fails");
        assert_eq!(error_parts(&e).0, expected, "{answer:?}");
        assert!(error_parts(&e).1.contains(quoted), "{e:?}");
        let logs = host.logs.borrow();
        assert_eq!(logs.len(), 1, "one line per AddOrder outcome");
        assert!(
            logs[0].starts_with("info: kraken AddOrder buy 0.00330031 XXBTZUSD cl_ord_id=cid-1: ")
                && logs[0].contains(quoted),
            "{logs:?}"
        );
    }
}

#[test]
fn buy_at_the_host_quote_price_fetches_no_ticker() {
    let host = Canned::live().ok(requests::ADD_ORDER, fixture!("addorder_limit"));
    let placed = ops::place_market_order(&host, &buy_at("BTC/USD", "100", "30300.1"));
    assert!(placed.is_ok(), "{placed:?}");
    assert_eq!(host.paths(), [requests::ASSET_PAIRS, requests::ADD_ORDER]);
    // Same volume as sized from the fetched ask of the same value.
    assert_eq!(
        form(&host, requests::ADD_ORDER),
        pairs(&[
            ("pair", "XXBTZUSD"),
            ("type", "buy"),
            ("ordertype", "market"),
            ("volume", "0.00330031"),
            ("oflags", "fciq"),
            ("cl_ord_id", "cid-1"),
        ])
    );
    // The given price wins over the ticker (which would say 30300.1).
    let host = Canned::live().ok(requests::ADD_ORDER, fixture!("addorder_limit"));
    assert!(ops::place_market_order(&host, &buy_at("BTC/USD", "100", "40000")).is_ok());
    assert_eq!(
        form(&host, requests::ADD_ORDER)[3],
        pairs(&[("volume", "0.0025")])[0]
    );
    assert!(!host.paths().contains(&requests::TICKER));
}

#[test]
fn buy_at_quote_price_checks_minimums() {
    // DOGE at 0.2: 5 USD buys 25 < ordermin 50.
    let host = Canned::live();
    let r = ops::place_market_order(&host, &buy_at("DOGE/USD", "5", "0.2"));
    assert_eq!(outcome(&r), "below-minimum");
    assert_eq!(host.paths(), [requests::ASSET_PAIRS]);
}

#[test]
fn bad_quote_price_is_refused_before_any_request() {
    let host = Canned::live();
    for bad in ["0", "-1", "abc", "1e3", ""] {
        let r = ops::place_market_order(&host, &buy_at("BTC/USD", "100", bad));
        assert_eq!(outcome(&r), "invalid-request", "{bad}");
    }
    assert!(host.paths().is_empty());
}

#[test]
fn a_sell_ignores_the_quote_price() {
    let host = Canned::live().ok(requests::ADD_ORDER, fixture!("addorder_market"));
    let order = MarketOrder {
        quote_price: Some("not a price".into()),
        ..sell("SOL/USD", "0.06")
    };
    assert!(ops::place_market_order(&host, &order).is_ok());
    assert_eq!(host.paths(), [requests::ASSET_PAIRS, requests::ADD_ORDER]);
}

/// A Ticker body for several pairs, each with its ask, bid and last.
fn tickers_body(entries: &[(&str, &str, &str, &str)]) -> String {
    let entries: Vec<String> = entries
        .iter()
        .map(|(id, a, b, c)| {
            format!(
                r#""{id}":{{"a":["{a}","1","1.000"],"b":["{b}","1","1.000"],"c":["{c}","0.1"]}}"#
            )
        })
        .collect();
    format!(r#"{{"error":[],"result":{{{}}}}}"#, entries.join(","))
}

#[test]
fn tickers_in_one_request_in_the_order_asked() {
    let body = tickers_body(&[
        ("SOLUSD", "150.01", "150", "150.005"),
        ("XDGUSD", "0.1501", "0.15", "0.1502"),
        ("XXBTZUSD", "30300.1", "30300", "30303.2"),
    ]);
    let host = Canned::live().ok(requests::TICKER, &body);
    let asked = ["SOL/USD", "XBT/USD", "doge/usd", "SOL/USD"].map(String::from);
    let got = ops::tickers(&host, &asked).expect("tickers");
    let got: Vec<[&str; 4]> = got
        .iter()
        .map(|t| [t.symbol.as_str(), &t.bid, &t.ask, &t.last])
        .collect();
    assert_eq!(
        got,
        [
            ["SOL/USD", "150", "150.01", "150.005"],
            ["BTC/USD", "30300", "30300.1", "30303.2"],
            ["DOGE/USD", "0.15", "0.1501", "0.1502"],
            ["SOL/USD", "150", "150.01", "150.005"],
        ]
    );
    assert_eq!(host.paths(), [requests::ASSET_PAIRS, requests::TICKER]);
    let req = host.sent_to(requests::TICKER);
    assert_eq!(req.query, pairs(&[("pair", "SOLUSD,XXBTZUSD,XDGUSD")]));
    assert_eq!(
        (req.method, req.signed, req.cache_seconds),
        (Method::Get, false, 0)
    );
}

#[test]
fn tickers_refuse_unknown_symbols_and_missing_entries() {
    let host = Canned::live();
    let asked = ["BTC/USD", "ETH/USD"].map(String::from);
    assert_eq!(outcome(&ops::tickers(&host, &asked)), "invalid-symbol");
    assert_eq!(host.paths(), [requests::ASSET_PAIRS]);
    // Kraken left one pair out: never a quote from another pair.
    let body = tickers_body(&[("XXBTZUSD", "30300.1", "30300", "30303.2")]);
    let host = Canned::live().ok(requests::TICKER, &body);
    let asked = ["BTC/USD", "SOL/USD"].map(String::from);
    assert_eq!(outcome(&ops::tickers(&host, &asked)), "unavailable");
    let host = Canned::live().ok(requests::TICKER, &kraken_error("EQuery:Unknown asset pair"));
    assert_eq!(outcome(&ops::tickers(&host, &asked)), "invalid-symbol");
    // Nothing asked, nothing sent.
    let host = Canned::live();
    assert_eq!(ops::tickers(&host, &[]), Ok(Vec::new()));
    assert!(host.paths().is_empty());
}

#[test]
fn one_ticker_through_tickers_matches_ticker() {
    let host = Canned::live();
    let many = ops::tickers(&host, &["BTC/USD".to_string()]).expect("tickers");
    assert_eq!(many, vec![ops::ticker(&host, "BTC/USD").expect("ticker")]);
}
