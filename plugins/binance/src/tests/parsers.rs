//! Reference-data, ticker, balance, ping and error-body parsers on the
//! recorded bodies (order parsers: `orders.rs`).

use super::fixture;
use crate::responses::{self, ApiError, Failure, Listing, Quote};
use crate::symbols::{self, Market};
use crate::tradehost::exchange::types::{Balance, DriverError, MarketRules, MarketStatus};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().expect("test decimal")
}

fn is_malformed<T: std::fmt::Debug>(r: Result<T, Failure>) -> bool {
    matches!(r, Err(Failure::Malformed(_)))
}

fn listings() -> Vec<Listing> {
    responses::exchange_info(fixture!("exchange_info")).expect("fixture parses")
}

fn rules(symbol: &str) -> Result<MarketRules, DriverError> {
    symbols::resolve(&listings(), symbol).map(|m| m.rules())
}

fn market(symbol: &str) -> Market {
    symbols::resolve(&listings(), symbol).expect(symbol)
}

#[test]
fn exchange_info_keeps_named_entries_only() {
    let ids: Vec<String> = listings().into_iter().map(|l| l.id).collect();
    assert_eq!(
        ids,
        [
            "BTCUSDT",
            "ETHBTC",
            "LTCBTC",
            "LTCBNB",
            "BNBBTC",
            "DOGEUSDT",
            "XRPUSDT",
            "LUNAUSDT",
            "SOLUSDT",
            "HALTUSDT",
            "这是测试币456",
            "BADUSDT",
        ]
    );
    for body in [
        r#"{"symbols":[]}"#,
        r#"{"symbols":["x"]}"#,
        r#"{"timezone":"UTC"}"#,
        r#"{"code":-1121,"msg":"Invalid symbol."}"#,
        "<html>502</html>",
        "",
    ] {
        assert!(is_malformed(responses::exchange_info(body)), "{body}");
    }
}

#[test]
fn notional_only_symbol() {
    assert_eq!(
        rules("BTC/USDT"),
        Ok(MarketRules {
            symbol: "BTC/USDT".into(),
            pair_id: "BTCUSDT".into(),
            base: "BTC".into(),
            quote: "USDT".into(),
            // MARKET_LOT_SIZE.minQty 0 is "disabled", LOT_SIZE decides.
            min_size: "0.00001".into(),
            // NOTIONAL with applyMinToMarket.
            min_cost: "5".into(),
            // MARKET_LOT_SIZE step 0: LOT_SIZE's 0.00001.
            size_decimals: 5,
            price_decimals: 2,
            status: MarketStatus::Online,
        })
    );
    let m = market("BTC/USDT");
    // LOT_SIZE maxQty 9000, MARKET_LOT_SIZE maxQty 120: the tighter one.
    assert_eq!((m.max_size, m.quote_decimals), (d("120"), 8));
    assert_eq!(m.steps, [d("0.00001")]);
}

#[test]
fn min_notional_only_symbol_with_a_stricter_market_lot_size() {
    let r = rules("LTC/BTC").expect("LTCBTC");
    assert_eq!(
        (
            r.min_size.as_str(),
            r.min_cost.as_str(),
            r.size_decimals,
            r.price_decimals
        ),
        // max(LOT_SIZE 0.001, MARKET_LOT_SIZE 0.01); MIN_NOTIONAL.applyToMarket;
        // MARKET_LOT_SIZE's step 0.01.
        ("0.01", "0.0001", 2, 6)
    );
    assert_eq!(market("LTC/BTC").steps, [d("0.001"), d("0.01")]);
}

#[test]
fn the_documented_filters_prefer_the_notional_that_applies() {
    // ETHBTC carries the documented samples: NOTIONAL 10 not applied to
    // MARKET, MIN_NOTIONAL 0.001 applied.
    let r = rules("ETH/BTC").expect("ETHBTC");
    assert_eq!(
        (
            r.min_size.as_str(),
            r.min_cost.as_str(),
            r.size_decimals,
            r.price_decimals
        ),
        ("0.001", "0.001", 3, 6)
    );
    assert_eq!(r.status, MarketStatus::Online);
    // NOTIONAL applied wins over MIN_NOTIONAL.
    let body = fixture!("exchange_info").replacen(
        r#""applyMinToMarket": false"#,
        r#""applyMinToMarket": true"#,
        1,
    );
    let l = responses::exchange_info(&body).expect("parses");
    assert_eq!(
        symbols::resolve(&l, "ETH/BTC").map(|m| m.rules().min_cost),
        Ok("10".into())
    );
    // Neither applied: no minimum value.
    let body = fixture!("exchange_info").replacen(
        r#""applyToMarket": true"#,
        r#""applyToMarket": false"#,
        1,
    );
    let l = responses::exchange_info(&body).expect("parses");
    assert_eq!(
        symbols::resolve(&l, "ETH/BTC").map(|m| m.rules().min_cost),
        Ok("0".into())
    );
}

#[test]
fn statuses() {
    for (symbol, status) in [
        ("BTC/USDT", MarketStatus::Online),
        ("BNB/BTC", MarketStatus::Maintenance),
        ("XRP/USDT", MarketStatus::CancelOnly),
        ("LUNA/USDT", MarketStatus::Maintenance),
        ("HALT/USDT", MarketStatus::Maintenance),
        // TRADING, but quoteOrderQtyMarketAllowed is false.
        ("DOGE/USDT", MarketStatus::LimitOnly),
        // TRADING, but no MARKET in orderTypes.
        ("SOL/USDT", MarketStatus::LimitOnly),
    ] {
        assert_eq!(rules(symbol).map(|r| r.status), Ok(status), "{symbol}");
    }
    assert_eq!(
        symbols::market_status("PRE_TRADING", true, true),
        MarketStatus::Maintenance
    );
    assert_eq!(
        symbols::market_status("TRADING", true, true),
        MarketStatus::Online
    );
}

#[test]
fn fallbacks_when_filters_are_off() {
    // HALTUSDT has no PRICE_FILTER: quote precision (8) instead.
    let r = rules("HALT/USDT").expect("HALTUSDT");
    assert_eq!((r.price_decimals, r.size_decimals), (8, 0));
    // LUNAUSDT has no notional filter at all.
    assert_eq!(rules("LUNA/USDT").map(|r| r.min_cost), Ok("0".into()));
    // No step anywhere: the base asset precision.
    let body = fixture!("exchange_info")
        .replace(r#""stepSize": "0.00001000""#, r#""stepSize": "0.00000000""#);
    let l = responses::exchange_info(&body).expect("parses");
    let m = symbols::resolve(&l, "BTC/USDT").expect("BTCUSDT");
    assert_eq!((m.size_decimals, m.steps.len()), (8, 0));
}

#[test]
fn symbols_are_never_split_nor_aliased() {
    assert_eq!(
        rules("这是测试币/456").map(|r| r.pair_id),
        Ok("这是测试币456".into())
    );
    assert_eq!(rules("btc/usdt").map(|r| r.symbol), Ok("BTC/USDT".into()));
    for bad in [
        "BTC/USD",
        "USDT/BTC",
        "BTCUSDT",
        "BTC/",
        "/USDT",
        "BTC/USDT/X",
        "BTC /USDT",
        "",
        "NOBASE/USDT",
    ] {
        match rules(bad) {
            Err(DriverError::InvalidSymbol(msg)) => assert!(msg.contains(bad), "{msg}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
}

#[test]
fn unreadable_entry_is_unavailable_not_invalid() {
    match rules("BAD/USDT") {
        Err(DriverError::Unavailable(msg)) => {
            assert!(msg.contains("BADUSDT") && msg.contains("LOT_SIZE"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    let body = fixture!("exchange_info").replacen(
        r#""quoteAssetPrecision": 8,"#,
        r#""quoteAssetPrecision": "eight","#,
        1,
    );
    let body = body.replacen(r#""quotePrecision": 8,"#, r#""quotePrecision": null,"#, 1);
    let l = responses::exchange_info(&body).expect("parses");
    assert!(matches!(
        symbols::resolve(&l, "BTC/USDT"),
        Err(DriverError::Unavailable(_))
    ));
    // A second LOT_SIZE makes the rules ambiguous.
    let body = fixture!("exchange_info").replacen(
        r#""filterType": "ICEBERG_PARTS""#,
        r#""filterType": "LOT_SIZE", "minQty": "1", "maxQty": "2", "stepSize": "1""#,
        1,
    );
    let l = responses::exchange_info(&body).expect("parses");
    assert!(matches!(
        symbols::resolve(&l, "BTC/USDT"),
        Err(DriverError::Unavailable(_))
    ));
}

#[test]
fn book_tickers() {
    let q = |id: &str, bid: &str, ask: &str| Quote {
        id: id.into(),
        bid: d(bid),
        ask: d(ask),
    };
    assert_eq!(
        responses::book_ticker(fixture!("bookticker_single")),
        Ok(q("LTCBTC", "4", "4.000002"))
    );
    assert_eq!(
        responses::book_tickers(fixture!("bookticker_array")),
        Ok(vec![
            q("LTCBTC", "4", "4.000002"),
            q("ETHBTC", "0.079467", "100000")
        ])
    );
    for body in [
        r#"{"symbol":"X","bidPrice":"1"}"#,
        r#"{"symbol":"X","bidPrice":"-1","askPrice":"1"}"#,
        r#"{"symbol":"X","bidPrice":"NaN","askPrice":"1"}"#,
        "[]",
    ] {
        assert!(is_malformed(responses::book_ticker(body)), "{body}");
    }
    assert!(is_malformed(responses::book_tickers(fixture!(
        "bookticker_single"
    ))));
}

fn bal(currency: &str, total: &str, available: &str) -> Balance {
    Balance {
        currency: currency.into(),
        total: total.into(),
        available: available.into(),
    }
}

#[test]
fn account_balances() {
    assert_eq!(
        responses::balances(fixture!("account")),
        Ok(vec![
            bal("BTC", "4723846.89208129", "4723846.89208129"),
            bal("LTC", "4763368.68006011", "4763368.68006011"),
        ])
    );
    let body = r#"{"balances":[
        {"asset":"USDT","free":"100.5","locked":"20.25"},
        {"asset":"BNB","free":"0.00000000","locked":"1.00000000"},
        {"asset":"USDT","free":"1","locked":"0"}]}"#;
    assert_eq!(
        responses::balances(body),
        Ok(vec![bal("BNB", "1", "0"), bal("USDT", "121.75", "101.5")])
    );
    for bad in [
        r#"{"balances":[{"asset":"BTC","free":"lots","locked":"0"}]}"#,
        r#"{"balances":[{"asset":"BTC","free":"1"}]}"#,
        r#"{"balances":[{"asset":"BTC","free":"-1","locked":"0"}]}"#,
        r#"{"balances":[{"asset":"","free":"1","locked":"0"}]}"#,
        r#"{"balances":[{"asset":"BTC","free":"79228162514264337593543950335","locked":"1"}]}"#,
        r#"{"canTrade":true}"#,
    ] {
        assert!(is_malformed(responses::balances(bad)), "{bad}");
    }
}

#[test]
fn ping_wants_an_object() {
    assert_eq!(responses::ping(fixture!("ping")), Ok(()));
    for bad in ["", "<html>ok</html>", "[]", "null"] {
        assert!(is_malformed(responses::ping(bad)), "{bad}");
    }
}

#[test]
fn error_bodies() {
    let e = |code: i64, msg: &str| {
        Some(ApiError {
            code,
            msg: msg.into(),
        })
    };
    assert_eq!(
        responses::api_error(fixture!("error_invalid_symbol")),
        e(-1121, "Invalid symbol.")
    );
    assert_eq!(
        responses::api_error(fixture!("error_no_such_order")),
        e(-2013, "Order does not exist.")
    );
    assert_eq!(responses::api_error(r#"{"code":-1000}"#), e(-1000, ""));
    for not_binance in ["<html>", "{}", r#"{"code":"x","msg":"y"}"#, "", "[]"] {
        assert_eq!(responses::api_error(not_binance), None, "{not_binance}");
    }
}
