use std::str::FromStr;

use super::*;

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn pairs(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn order(form: &[(&str, &str)]) -> Request {
    Request {
        method: Method::Post,
        path: ORDER.to_owned(),
        query: Vec::new(),
        form: pairs(form),
        signed: true,
        cache_for: Duration::ZERO,
    }
}

/// The driver's buy, exactly as `plugins/binance/src/requests.rs` builds it.
const BUY: [(&str, &str); 6] = [
    ("symbol", "BTCUSDT"),
    ("side", "BUY"),
    ("type", "MARKET"),
    ("quoteOrderQty", "100"),
    ("newClientOrderId", "6d1b345e-2821-40e2-ad83-4ecb18a06876"),
    ("newOrderRespType", "FULL"),
];

fn with(name: &'static str, value: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut form = BUY.to_vec();
    form.retain(|(k, _)| *k != name);
    form.push((name, value));
    form
}

fn without(name: &str) -> Vec<(&'static str, &'static str)> {
    let mut form = BUY.to_vec();
    form.retain(|(k, _)| *k != name);
    form
}

#[test]
fn the_profile_is_binances() {
    let binance = Binance;
    assert_eq!(binance.name(), "binance");
    assert_eq!(binance.default_base_url(), "https://api.binance.com");
    assert_eq!(binance.sign_style(), Some(SignStyle::BinanceTimestamp));
    assert_eq!(
        binance.credential_vars(),
        Some(CredentialVars {
            api_key: "BINANCE_API_KEY",
            secret: "BINANCE_API_SECRET",
            secret_is_base64: false,
        })
    );
    assert_eq!(
        binance.reserved_params(),
        ["timestamp", "recvWindow", "signature"]
    );
    assert!(!binance.order_carries_deadline());
    assert!(
        binance.call_counter().is_none(),
        "no Kraken-style call counter"
    );
    assert_eq!(binance.weight_per_minute(), Some(6000));
    let scheme = super::super::for_scheme(crate::exchange::SigningScheme::BinanceHmacSha256);
    assert_eq!(scheme.unwrap().name(), "binance");
}

#[test]
fn the_allow_list_is_exactly_the_drivers() {
    let listed: Vec<(Method, &str, bool, Vec<&str>, Purpose)> = Binance
        .endpoints()
        .iter()
        .map(|e| (e.method, e.path, e.signed, e.params.to_vec(), e.purpose))
        .collect();
    use Method::{Get, Post};
    let expected: Vec<(Method, &str, bool, Vec<&str>, Purpose)> = vec![
        (Get, "/api/v3/ping", false, vec![], Purpose::Read),
        (Get, "/api/v3/time", false, vec![], Purpose::Time),
        (
            Get,
            "/api/v3/exchangeInfo",
            false,
            vec!["symbol", "symbols"],
            Purpose::Markets,
        ),
        (
            Get,
            "/api/v3/ticker/bookTicker",
            false,
            vec!["symbol", "symbols"],
            Purpose::Prices,
        ),
        (
            Get,
            "/api/v3/account",
            true,
            vec!["omitZeroBalances"],
            Purpose::Read,
        ),
        (
            Post,
            "/api/v3/order",
            true,
            vec![
                "symbol",
                "side",
                "type",
                "quoteOrderQty",
                "quantity",
                "newClientOrderId",
                "newOrderRespType",
            ],
            Purpose::PlaceOrder,
        ),
        (
            Get,
            "/api/v3/order",
            true,
            vec!["symbol", "orderId", "origClientOrderId"],
            Purpose::Read,
        ),
        (
            Get,
            "/api/v3/myTrades",
            true,
            vec!["symbol", "orderId"],
            Purpose::Read,
        ),
    ];
    assert_eq!(listed, expected);
    let profile: &dyn Profile = &Binance;
    assert!(profile.is_order_path(Post, ORDER));
    assert!(
        !profile.is_order_path(Get, ORDER),
        "reading an order is not placing one"
    );
    let info = profile.endpoint(Get, EXCHANGE_INFO).unwrap();
    assert_eq!(info.max_cache, HOUR);
    assert!(profile.endpoint(Get, BOOK_TICKER).unwrap().max_cache <= Duration::from_secs(10));
}

#[test]
fn reads_a_market_order() {
    let buy = Binance.decode_order(&order(&BUY)).unwrap();
    assert_eq!(
        buy,
        DecodedOrder {
            pair: "BTCUSDT".into(),
            side: Side::Buy,
            client_order_id: "6d1b345e-2821-40e2-ad83-4ecb18a06876".into(),
            deadline: None,
            size: OrderSize::Quote(d("100")),
        }
    );
    let mut sell = without("quoteOrderQty");
    sell.retain(|(k, _)| *k != "side");
    sell.extend([("side", "SELL"), ("quantity", "0.00165")]);
    let sell = Binance.decode_order(&order(&sell)).unwrap();
    assert_eq!(sell.side, Side::Sell);
    assert_eq!(sell.size, OrderSize::Base(d("0.00165")));
    // ACK and RESULT answers, or none asked for, are all the same order.
    for kind in ["ACK", "RESULT"] {
        assert!(
            Binance
                .decode_order(&order(&with("newOrderRespType", kind)))
                .is_ok()
        );
    }
    assert!(
        Binance
            .decode_order(&order(&without("newOrderRespType")))
            .is_ok()
    );
    // Parameters may travel in the query: Binance reads both.
    let mut split = order(&BUY[3..]);
    split.query = pairs(&BUY[..3]);
    assert_eq!(Binance.decode_order(&split).unwrap(), buy);
}

#[test]
fn refuses_what_is_not_exactly_a_market_order() {
    let refused = |form: &[(&str, &str)]| Binance.decode_order(&order(form)).unwrap_err();
    for (name, value, rule) in [
        ("type", "LIMIT", "MARKET"),
        ("type", "market", "MARKET"),
        ("type", "STOP_LOSS", "MARKET"),
        ("side", "buy", "neither"),
        ("side", "SHORT", "neither"),
        ("newOrderRespType", "NONE", "newOrderRespType"),
        ("quoteOrderQty", "1e3", "plain decimal"),
        ("quoteOrderQty", "-100", "plain decimal"),
        ("quoteOrderQty", " 100", "plain decimal"),
        ("quoteOrderQty", "", "plain decimal"),
        ("timeInForce", "GTC", "not part of a market order"),
        ("price", "1", "not part of a market order"),
        ("stopPrice", "1", "not part of a market order"),
        ("icebergQty", "1", "not part of a market order"),
        (
            "selfTradePreventionMode",
            "NONE",
            "not part of a market order",
        ),
        ("sideEffectType", "MARGIN_BUY", "not part of a market order"),
        ("timestamp", "1", "not part of a market order"),
    ] {
        let why = refused(&with(name, value));
        assert!(why.contains(rule), "{name}={value}: {why}");
    }
    for name in ["symbol", "side", "type", "newClientOrderId"] {
        assert!(refused(&without(name)).contains(name), "{name}");
    }
    let mut both = BUY.to_vec();
    both.push(("quantity", "0.001"));
    assert!(refused(&both).contains("exactly one"));
    assert!(refused(&without("quoteOrderQty")).contains("exactly one"));
    let mut twice = BUY.to_vec();
    twice.push(("quoteOrderQty", "100000"));
    assert!(refused(&twice).contains("twice"));
    // The query wins at Binance: the same name in query and form is refused.
    let mut shadowed = order(&BUY);
    shadowed.query = pairs(&[("symbol", "ETHUSDT")]);
    assert!(
        Binance
            .decode_order(&shadowed)
            .unwrap_err()
            .contains("twice")
    );
}

fn answer(status: u16, body: &str) -> OrderAnswer {
    Binance.decode_order_answer(status, body)
}

fn refusal_kind(status: u16, body: &str) -> crate::error::ErrorKind {
    match answer(status, body) {
        OrderAnswer::Refused(error) => error.kind(),
        other => panic!("{status} {body}: expected a refusal, got {other:?}"),
    }
}

#[test]
fn an_answer_with_an_order_id_is_an_accepted_order() {
    assert_eq!(
        answer(
            200,
            r#"{"symbol":"BTCUSDT","orderId":28,"orderListId":-1,"clientOrderId":"c","transactTime":1507725176595}"#
        ),
        OrderAnswer::Accepted {
            order_id: "28".into()
        }
    );
    assert_eq!(
        answer(
            200,
            r#"{"symbol":"BTCUSDT","orderId":"18446744073709551615"}"#
        ),
        OrderAnswer::Accepted {
            order_id: "18446744073709551615".into()
        }
    );
}

#[test]
fn only_documented_refusals_prove_an_order_was_not_placed() {
    use crate::error::ErrorKind::*;
    let body = |code: i64, msg: &str| format!(r#"{{"code":{code},"msg":"{msg}"}}"#);
    for (status, code, msg, kind) in [
        (
            400,
            -2010,
            "Account has insufficient balance for requested action.",
            InsufficientFunds,
        ),
        (
            400,
            -2010,
            "account has insufficient balance for requested action",
            InsufficientFunds,
        ),
        (400, -2010, "Market is closed.", ExchangeUnavailable),
        (400, -1013, "Market is closed.", ExchangeUnavailable),
        (400, -1013, "Filter failure: NOTIONAL", BelowMinimum),
        (400, -1013, "Filter failure: MIN_NOTIONAL", BelowMinimum),
        (400, -1013, "Filter failure: LOT_SIZE", BelowMinimum),
        (400, -1013, "Filter failure: MARKET_LOT_SIZE", BelowMinimum),
        (
            400,
            -1013,
            "Filter failure: PERCENT_PRICE_BY_SIDE",
            OrderRejected,
        ),
        (
            400,
            -2010,
            "Quote order qty market orders are not support for this symbol.",
            OrderRejected,
        ),
        (
            400,
            -2010,
            "Order book liquidity is less than `LOT_SIZE` filter minimum quantity.",
            OrderRejected,
        ),
        (
            400,
            -2010,
            "This account may not place or cancel orders.",
            OrderRejected,
        ),
        (400, -1121, "Invalid symbol.", InvalidSymbol),
        (
            429,
            -1003,
            "Too much request weight used; current limit is 6000 request weight per 1 MINUTE.",
            RateLimited,
        ),
        (
            418,
            -1003,
            "Way too much request weight used; IP banned until 1660090423228.",
            RateLimited,
        ),
        (
            429,
            -1015,
            "Too many new orders; current limit is 50 orders per 10 SECOND.",
            RateLimited,
        ),
        (
            400,
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
            OrderRejected,
        ),
        (400, -1022, "Signature for this request is not valid.", Auth),
        (401, -2014, "API-key format invalid.", Auth),
        (
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
            Auth,
        ),
        (
            401,
            -1002,
            "You are not authorized to execute this request.",
            Auth,
        ),
        (
            400,
            -1102,
            "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.",
            OrderRejected,
        ),
        (
            400,
            -1111,
            "Parameter 'quoteOrderQty' has too much precision.",
            OrderRejected,
        ),
        (
            400,
            -1131,
            "recvWindow must be less than 60000",
            OrderRejected,
        ),
        (400, -1014, "Unsupported order combination.", OrderRejected),
    ] {
        assert_eq!(refusal_kind(status, &body(code, msg)), kind, "{code} {msg}");
    }
    // 429 and 418 refuse on arrival whatever the body is.
    assert_eq!(
        refusal_kind(429, "<html>Too Many Requests</html>"),
        RateLimited
    );
    assert_eq!(refusal_kind(418, ""), RateLimited);
}

#[test]
fn everything_else_is_an_unknown_outcome() {
    let body = |code: i64, msg: &str| format!(r#"{{"code":{code},"msg":"{msg}"}}"#);
    let mut unclear: Vec<(u16, String)> = [
        (-1000, "An unknown error occurred while processing the request."),
        (-1001, "Internal error; unable to process your request. Please try again."),
        (-1006, "An unexpected response was received from the message bus. Execution status unknown."),
        (-1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown."),
        (-1008, "Server is currently overloaded with other requests. Please try again in a few minutes."),
        (-2010, "Duplicate order sent."),
        (-2010, "Unknown order sent."),
        (-2010, "Something Binance never said."),
        (-2013, "Order does not exist."),
        (-2039, "Client order id is not valid."),
        (-9999, "A code never seen."),
    ]
    .iter()
    .map(|(code, msg)| (400, body(*code, msg)))
    .collect();
    unclear.extend([
        // -1007 with a 5xx, and any 5xx: "execution status UNKNOWN".
        (
            503,
            body(-1007, "Timeout waiting for response from backend server."),
        ),
        (
            503,
            body(
                -2010,
                "Account has insufficient balance for requested action.",
            ),
        ),
        (
            500,
            "<html><body>500 Internal Server Error</body></html>".to_owned(),
        ),
        (502, "<html>502 Bad Gateway</html>".to_owned()),
        (504, String::new()),
        // A WAF page, a proxy, a redirect: not Binance's verdict.
        (403, "<html>403 Forbidden</html>".to_owned()),
        (400, "<html>Bad Request</html>".to_owned()),
        (302, String::new()),
        // A refusal code with a success status is not a refusal.
        (
            200,
            body(
                -2010,
                "Account has insufficient balance for requested action.",
            ),
        ),
        // Accepted, but no order id the host can read.
        (
            200,
            r#"{"symbol":"BTCUSDT","clientOrderId":"c"}"#.to_owned(),
        ),
        (200, r#"{"symbol":"BTCUSDT","orderId":-5}"#.to_owned()),
        (200, r#"{"symbol":"BTCUSDT","orderId":2.5}"#.to_owned()),
        (200, r#"{"symbol":"BTCUSDT","orderId":"12a"}"#.to_owned()),
        (
            200,
            r#"{"symbol":"BTCUSDT","orderId":123456789012345678901234}"#.to_owned(),
        ),
        (200, "<html>".to_owned()),
        (200, String::new()),
    ]);
    for (status, body) in unclear {
        assert!(
            matches!(answer(status, &body), OrderAnswer::Unclear(_)),
            "{status} {body}: {:?}",
            answer(status, &body)
        );
    }
}

fn endpoint_of(path: &str) -> &'static Endpoint {
    let profile: &dyn Profile = &Binance;
    profile.endpoint(Method::Get, path).unwrap()
}

#[test]
fn observes_markets_prices_and_the_weight_budget() {
    let mut seen = Observations::default();
    Binance.observe(
        endpoint_of(EXCHANGE_INFO),
        &Binance.markets_request("BTCUSDT"),
        r#"{"timezone":"UTC","serverTime":1565246363776,
            "rateLimits":[
              {"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":1200},
              {"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":50}],
            "symbols":[
              {"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT"},
              {"symbol":"LTCBTC","status":"TRADING","baseAsset":"LTC","quoteAsset":"BTC"},
              {"symbol":"BROKEN","status":"TRADING","baseAsset":"B"},
              {"symbol":"这是测试币456","baseAsset":"这是测试币","quoteAsset":"456"}]}"#,
        &mut seen,
    );
    let btc = seen.market_named("BTCUSDT").unwrap();
    assert_eq!(btc.symbol.to_string(), "BTC/USDT");
    assert_eq!(btc.pair_id, "BTCUSDT");
    assert_eq!(
        seen.market_named("LTCBTC").unwrap().symbol.to_string(),
        "LTC/BTC",
        "the exchange's assets, not a split of the id"
    );
    assert!(seen.market_named("BROKEN").is_none());
    assert!(seen.market_named("BTC/USDT").is_none(), "only exchange ids");
    assert_eq!(seen.weight_per_minute(), Some(1200));

    let prices = endpoint_of(BOOK_TICKER);
    Binance.observe(
        prices,
        &Binance.price_request("BTCUSDT"),
        r#"{"symbol":"BTCUSDT","bidPrice":"59999.99000000","bidQty":"0.5","askPrice":"60000.00000000","askQty":"0.01"}"#,
        &mut seen,
    );
    let quote = seen.fresh_price("BTCUSDT").unwrap();
    assert_eq!((quote.bid, quote.ask), (d("59999.99"), d("60000")));
    Binance.observe(
        prices,
        &Binance.price_request("ETHUSDT"),
        r#"[{"symbol":"ETHUSDT","bidPrice":"3000.00","bidQty":"1","askPrice":"3000.50","askQty":"1"},
            {"symbol":"SOLUSDT","bidPrice":"0.00000000","bidQty":"0","askPrice":"0.00000000","askQty":"0"},
            {"symbol":"LTCUSDT","bidPrice":"1e2","bidQty":"1","askPrice":"100","askQty":"1"}]"#,
        &mut seen,
    );
    assert_eq!(seen.fresh_price("ETHUSDT").unwrap().ask, d("3000.50"));
    assert!(
        seen.fresh_price("SOLUSDT").is_none(),
        "an empty book is no price"
    );
    assert!(seen.fresh_price("LTCUSDT").is_none(), "not a plain decimal");
}

#[test]
fn the_hosts_own_requests() {
    let markets = Binance.markets_request("BTCUSDT");
    assert_eq!(markets.path, EXCHANGE_INFO);
    assert_eq!(markets.query, pairs(&[("symbol", "BTCUSDT")]));
    assert_eq!(markets.cache_for, HOUR);
    assert!(!markets.signed);
    // A name Binance could not have sent is not put in a query.
    assert!(Binance.markets_request("BTC USDT&x=1").query.is_empty());
    let price = Binance.price_request("ETHUSDT");
    assert_eq!(price.path, BOOK_TICKER);
    assert_eq!(price.query, pairs(&[("symbol", "ETHUSDT")]));
    assert_eq!(Binance.time_request().path, TIME);
    assert_eq!(
        Binance.parse_time(r#"{"serverTime":1499827319559}"#),
        DateTime::from_timestamp_millis(1_499_827_319_559)
    );
    assert_eq!(Binance.parse_time(r#"{"serverTime":"soon"}"#), None);
    assert_eq!(Binance.parse_time("<html>"), None);
}
