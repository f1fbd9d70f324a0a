//! Public endpoints: ping, time, exchangeInfo, tickers, avgPrice.

use serde_json::{Value, json};

use super::Client;
use fake_exchange::binance::FakeBinance;

fn filter<'a>(symbol: &'a Value, kind: &str) -> Option<&'a Value> {
    symbol["filters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["filterType"] == kind)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_time_and_exchange_info() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    assert_eq!(client.public("/api/v3/ping", &[]).await.ok(), &json!({}));
    let time = client.public("/api/v3/time", &[]).await;
    let server = time.ok()["serverTime"].as_i64().unwrap();
    assert!((server - chrono::Utc::now().timestamp_millis()).abs() < 2_000);

    let info = client.public("/api/v3/exchangeInfo", &[]).await;
    let info = info.ok();
    assert_eq!(info["timezone"], "UTC");
    let names: Vec<&str> = info["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "LTCUSDT", "XRPUSDT", "ADAUSDT", "DOGEUSDT"
        ]
    );
    assert_eq!(
        info["rateLimits"][0],
        json!({"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
            "limit": 6000})
    );

    let one = client
        .public("/api/v3/exchangeInfo", &[("symbol", "BTCUSDT")])
        .await;
    let btc = &one.ok()["symbols"][0];
    assert_eq!(one.ok()["symbols"].as_array().unwrap().len(), 1);
    assert_eq!(btc["status"], "TRADING");
    assert_eq!(btc["baseAsset"], "BTC");
    assert_eq!(btc["quoteAsset"], "USDT");
    assert_eq!(btc["baseAssetPrecision"], 8);
    assert_eq!(btc["quoteOrderQtyMarketAllowed"], true);
    assert!(
        btc["orderTypes"]
            .as_array()
            .unwrap()
            .contains(&json!("MARKET"))
    );
    assert_eq!(
        filter(btc, "LOT_SIZE"),
        Some(&json!({"filterType": "LOT_SIZE", "minQty": "0.00001000",
            "maxQty": "9000.00000000", "stepSize": "0.00001000"}))
    );
    assert_eq!(
        filter(btc, "MARKET_LOT_SIZE"),
        Some(
            &json!({"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000",
            "maxQty": "120.00000000", "stepSize": "0.00000000"})
        )
    );
    assert_eq!(
        filter(btc, "NOTIONAL"),
        Some(
            &json!({"filterType": "NOTIONAL", "minNotional": "5.00000000",
            "applyMinToMarket": true, "maxNotional": "9000000.00000000",
            "applyMaxToMarket": false, "avgPriceMins": 5})
        )
    );
    assert_eq!(
        filter(btc, "PRICE_FILTER").unwrap()["tickSize"],
        "0.01000000"
    );
    assert_eq!(filter(btc, "MIN_NOTIONAL"), None);

    let two = client
        .public(
            "/api/v3/exchangeInfo",
            &[("symbols", r#"["LTCUSDT","XRPUSDT"]"#)],
        )
        .await;
    let (ltc, xrp) = (&two.ok()["symbols"][0], &two.ok()["symbols"][1]);
    assert_eq!(
        filter(ltc, "MIN_NOTIONAL"),
        Some(
            &json!({"filterType": "MIN_NOTIONAL", "minNotional": "10.00000000",
            "applyToMarket": true, "avgPriceMins": 5})
        )
    );
    assert_eq!(filter(ltc, "NOTIONAL"), None);
    assert_eq!(filter(xrp, "MIN_NOTIONAL"), None);
    assert_eq!(filter(xrp, "NOTIONAL").unwrap()["applyMaxToMarket"], true);
    assert_eq!(
        filter(xrp, "NOTIONAL").unwrap()["maxNotional"],
        "1000.00000000"
    );

    let odd = client
        .public(
            "/api/v3/exchangeInfo",
            &[("symbols", r#"["ADAUSDT","DOGEUSDT"]"#)],
        )
        .await;
    assert_eq!(odd.ok()["symbols"][0]["status"], "BREAK");
    assert_eq!(odd.ok()["symbols"][1]["quoteOrderQtyMarketAllowed"], false);
    let breaking = client
        .public("/api/v3/exchangeInfo", &[("symbolStatus", "BREAK")])
        .await;
    assert_eq!(breaking.ok()["symbols"].as_array().unwrap().len(), 1);

    client
        .public("/api/v3/exchangeInfo", &[("symbol", "NOPEUSDT")])
        .await
        .assert_400(-1121, "Invalid symbol.");
    client
        .public(
            "/api/v3/exchangeInfo",
            &[("symbols", r#"["BTCUSDT","NOPEUSDT"]"#)],
        )
        .await
        .assert_400(-1121, "Invalid symbol.");
    let answer = client
        .public("/api/v3/exchangeInfo", &[("symbols", "BTCUSDT")])
        .await;
    assert_eq!(answer.body["code"], -1100);
    client
        .public(
            "/api/v3/exchangeInfo",
            &[("symbol", "BTCUSDT"), ("symbols", r#"["BTCUSDT"]"#)],
        )
        .await
        .assert_400(-1128, "Combination of optional parameters invalid.");

    // The configured weight limit is what exchangeInfo tells.
    fake.set_weight_limit(1200);
    let info = client.public("/api/v3/exchangeInfo", &[]).await;
    assert_eq!(info.ok()["rateLimits"][0]["limit"], 1200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn book_tickers_and_average_prices_follow_the_book() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    let one = client
        .public("/api/v3/ticker/bookTicker", &[("symbol", "BTCUSDT")])
        .await;
    assert_eq!(
        one.ok(),
        &json!({"symbol": "BTCUSDT", "bidPrice": "59999.99000000", "bidQty": "0.50000000",
            "askPrice": "60000.00000000", "askQty": "0.01000000"})
    );
    let two = client
        .public(
            "/api/v3/ticker/bookTicker",
            &[("symbols", r#"["SOLUSDT","ETHUSDT"]"#)],
        )
        .await;
    let two = two.ok().as_array().unwrap();
    assert_eq!(two.len(), 2);
    assert_eq!(two[0]["symbol"], "SOLUSDT");
    assert_eq!(two[1]["askPrice"], "3000.00000000");
    let all = client.public("/api/v3/ticker/bookTicker", &[]).await;
    assert_eq!(all.ok().as_array().unwrap().len(), 8);

    let avg = client
        .public("/api/v3/avgPrice", &[("symbol", "BTCUSDT")])
        .await;
    assert_eq!(avg.ok()["mins"], 5);
    assert_eq!(avg.ok()["price"], "59999.99500000");
    assert!(avg.ok()["closeTime"].as_i64().unwrap() > 0);
    let price = client
        .public("/api/v3/ticker/price", &[("symbol", "BTCUSDT")])
        .await;
    assert_eq!(
        price.ok(),
        &json!({"symbol": "BTCUSDT", "price": "59999.99500000"})
    );

    // Levels are sorted best first, whatever order they are given in.
    fake.set_book(
        "BTCUSDT",
        &[("61000", "1"), ("61500", "2")],
        &[("62500", "3"), ("62000", "4")],
    );
    let one = client
        .public("/api/v3/ticker/bookTicker", &[("symbol", "BTCUSDT")])
        .await;
    assert_eq!(one.ok()["bidPrice"], "61500.00000000");
    assert_eq!(one.ok()["bidQty"], "2.00000000");
    assert_eq!(one.ok()["askPrice"], "62000.00000000");
    let avg = client
        .public("/api/v3/avgPrice", &[("symbol", "BTCUSDT")])
        .await;
    assert_eq!(avg.ok()["price"], "61750.00000000");
    fake.set_avg_price("BTCUSDT", "61234.5");
    let avg = client
        .public("/api/v3/avgPrice", &[("symbol", "BTCUSDT")])
        .await;
    assert_eq!(avg.ok()["price"], "61234.50000000");
    client.public("/api/v3/avgPrice", &[]).await.assert_400(
        -1102,
        "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
    );
    // Unmodelled paths are 404.
    assert_eq!(client.public("/api/v3/depth", &[]).await.status, 404);
}
