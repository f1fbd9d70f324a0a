//! MARKET orders: the book walk, commission, answers, filters and refusals.

use serde_json::json;

use super::{Client, buy_quote, d, key_set, keys, market, with};
use fake_exchange::binance::{FakeBinance, Fill};

fn fill(price: &str, qty: &str, commission: &str, asset: &str, trade_id: u64) -> Fill {
    Fill {
        price: d(price),
        qty: d(qty),
        commission: d(commission),
        commission_asset: asset.into(),
        trade_id,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quote_buy_walks_the_asks_on_the_lot_step_with_commission_in_base() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);

    // Asks 60000.00×0.01, 60001.00×0.02, 60002.50×0.05, 60010.00×0.5, …
    // 5000 USDT: the first three levels (4800.145), then 199.855 / 60010 =
    // 0.0033303… → 0.00333 on the 0.00001 step (0.00334 would cost 200.4334).
    let answer = client.order(&buy_quote("BTCUSDT", "5000", "q-buy-1")).await;
    let body = answer.ok();
    assert_eq!(body["symbol"], "BTCUSDT");
    assert_eq!(body["clientOrderId"], "q-buy-1");
    assert_eq!(body["orderListId"], -1);
    assert_eq!(body["price"], "0.00000000");
    assert_eq!(body["origQty"], "0.08333000");
    assert_eq!(body["executedQty"], "0.08333000");
    assert_eq!(body["origQuoteOrderQty"], "5000.00000000");
    assert_eq!(body["cummulativeQuoteQty"], "4999.97830000");
    assert_eq!(body["status"], "FILLED");
    assert_eq!(body["type"], "MARKET");
    assert_eq!(body["side"], "BUY");
    assert_eq!(body["timeInForce"], "GTC");
    assert_eq!(body["workingTime"], body["transactTime"]);
    assert_eq!(
        body["fills"],
        json!([
            {"price": "60000.00000000", "qty": "0.01000000", "commission": "0.00001000",
                "commissionAsset": "BTC", "tradeId": 1},
            {"price": "60001.00000000", "qty": "0.02000000", "commission": "0.00002000",
                "commissionAsset": "BTC", "tradeId": 2},
            {"price": "60002.50000000", "qty": "0.05000000", "commission": "0.00005000",
                "commissionAsset": "BTC", "tradeId": 3},
            {"price": "60010.00000000", "qty": "0.00333000", "commission": "0.00000333",
                "commissionAsset": "BTC", "tradeId": 4},
        ])
    );
    let now = fake.server_time_ms();
    let transact = body["transactTime"].as_i64().unwrap();
    assert!((now - transact).abs() < 5_000);

    // Quote spent gross; base credited net of commission.
    assert_eq!(fake.balance("USDT"), d("5000.0217"));
    assert_eq!(fake.balance("BTC"), d("0.08324667"));
    let applied = fake.applied_orders();
    assert_eq!(applied.len(), 1);
    let o = &applied[0];
    assert_eq!(o.order_id, body["orderId"].as_u64().unwrap());
    assert_eq!((o.symbol.as_str(), o.side.as_str()), ("BTCUSDT", "BUY"));
    assert_eq!(o.executed_qty, d("0.08333"));
    assert_eq!(o.cummulative_quote_qty, d("4999.9783"));
    assert_eq!(o.orig_quote_order_qty, d("5000"));
    assert_eq!(o.status, "FILLED");
    assert_eq!(o.fills[3], fill("60010", "0.00333", "0.00000333", "BTC", 4));
    assert_eq!(
        o.commissions().into_iter().collect::<Vec<_>>(),
        vec![("BTC".to_owned(), d("0.00008333"))]
    );
    assert_eq!(fake.net_base_qty("q-buy-1"), d("0.08333"));

    // A small quote order inside the first level.
    let answer = client.order(&buy_quote("BTCUSDT", "10", "q-buy-2")).await;
    // 10 / 60000 = 0.000166… → 0.00016; 9.6 spent.
    assert_eq!(answer.ok()["executedQty"], "0.00016000");
    assert_eq!(answer.ok()["cummulativeQuoteQty"], "9.60000000");
    assert_eq!(fake.balance("USDT"), d("4990.4217"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sell_by_quantity_walks_the_bids_with_commission_in_quote() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    fake.set_balance("BTC", "1");
    // Bids 59999.99×0.5, 59999.00×1, …
    let answer = client
        .order(&with(
            market("BTCUSDT", "SELL", "0.6"),
            &[("newClientOrderId", "sell-1")],
        ))
        .await;
    let body = answer.ok();
    assert_eq!(body["status"], "FILLED");
    assert_eq!(body["origQty"], "0.60000000");
    assert_eq!(body["origQuoteOrderQty"], "0.00000000");
    assert_eq!(body["executedQty"], "0.60000000");
    assert_eq!(body["cummulativeQuoteQty"], "35999.89500000");
    assert_eq!(
        body["fills"],
        json!([
            {"price": "59999.99000000", "qty": "0.50000000", "commission": "29.99999500",
                "commissionAsset": "USDT", "tradeId": 1},
            {"price": "59999.00000000", "qty": "0.10000000", "commission": "5.99990000",
                "commissionAsset": "USDT", "tradeId": 2},
        ])
    );
    assert_eq!(fake.balance("BTC"), d("0.4"));
    assert_eq!(fake.balance("USDT"), d("45963.895105"));
    assert_eq!(fake.net_base_qty("sell-1"), d("-0.6"));

    // A SELL by quoteOrderQty stays within it on the step: 1000 / 59999.99
    // = 0.016666… → 0.01666 (999.5998334).
    let answer = client
        .order(&[
            ("symbol", "BTCUSDT"),
            ("side", "SELL"),
            ("type", "MARKET"),
            ("quoteOrderQty", "1000"),
        ])
        .await;
    assert_eq!(answer.ok()["executedQty"], "0.01666000");
    assert_eq!(answer.ok()["cummulativeQuoteQty"], "999.59983340");
    assert_eq!(fake.balance("BTC"), d("0.38334"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commission_follows_the_rate_and_rounds_to_8_dp() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    fake.set_commission_rate("0.00075");
    // 0.00009 × 0.00075 = 0.0000000675 → 0.00000007 (half away from zero).
    let answer = client.order(&market("BTCUSDT", "BUY", "0.00009")).await;
    assert_eq!(answer.ok()["fills"][0]["commission"], "0.00000007");
    assert_eq!(fake.balance("BTC"), d("0.00008993"));
    assert_eq!(fake.balance("USDT"), d("9994.6"));
    // A zero rate charges nothing.
    fake.set_commission_rate("0");
    let answer = client.order(&market("BTCUSDT", "BUY", "0.0001")).await;
    assert_eq!(answer.ok()["fills"][0]["commission"], "0.00000000");
    assert_eq!(fake.balance("BTC"), d("0.00018993"));
    let account = client.get("/api/v3/account", &[]).await;
    assert_eq!(account.ok()["takerCommission"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bnb_fees_are_discounted_and_fall_back_per_fill_when_bnb_runs_out() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    fake.set_bnb_fees(true);
    fake.set_avg_price("BNBUSDT", "600");
    fake.set_balance("BNB", "0.0023");
    // Fill notionals 600, 1200.02, 3000.125, 199.8333; in BNB: n × 0.001 ×
    // 0.75 / 600 = 0.00075, 0.00150003, 0.00375016, 0.00024979. BNB covers
    // the first two (0.00004997 left), not the last two.
    let answer = client.order(&buy_quote("BTCUSDT", "5000", "bnb-1")).await;
    let fills = &answer.ok()["fills"];
    let assets: Vec<(&str, &str)> = fills
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["commissionAsset"].as_str().unwrap(),
                f["commission"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        assets,
        vec![
            ("BNB", "0.00075000"),
            ("BNB", "0.00150003"),
            ("BTC", "0.00005000"),
            ("BTC", "0.00000333"),
        ]
    );
    assert_eq!(fake.balance("BNB"), d("0.00004997"));
    assert_eq!(fake.balance("BTC"), d("0.08327667"));
    let commissions = fake.applied_orders()[0].commissions();
    assert_eq!(commissions["BNB"], d("0.00225003"));
    assert_eq!(commissions["BTC"], d("0.00005333"));

    // A SELL with enough BNB pays it all in BNB: 0.05 × 59999.99 × 0.00075
    // / 600 = 0.003749999375 → 0.00375000; the quote comes in whole.
    fake.set_balance("BNB", "1");
    let answer = client.order(&market("BTCUSDT", "SELL", "0.05")).await;
    assert_eq!(
        answer.ok()["fills"],
        json!([{"price": "59999.99000000", "qty": "0.05000000", "commission": "0.00375000",
            "commissionAsset": "BNB", "tradeId": 5}])
    );
    assert_eq!(fake.balance("USDT"), d("5000.0217") + d("2999.9995"));
    assert_eq!(fake.balance("BNB"), d("0.99625"));
    assert_eq!(fake.balance("BTC"), d("0.03327667"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_book_expires_the_rest_of_the_order() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    fake.set_book(
        "SOLUSDT",
        &[("149.90", "2")],
        &[("150.50", "0.5"), ("150.00", "1")],
    );
    let answer = client
        .order(&with(
            market("SOLUSDT", "BUY", "2"),
            &[("newClientOrderId", "thin-1")],
        ))
        .await;
    let body = answer.ok();
    assert_eq!(body["status"], "EXPIRED");
    assert_eq!(body["expiryReason"], "INSUFFICIENT_LIQUIDITY");
    assert_eq!(body["origQty"], "2.00000000");
    assert_eq!(body["executedQty"], "1.50000000");
    assert_eq!(body["cummulativeQuoteQty"], "225.25000000");
    assert_eq!(body["fills"].as_array().unwrap().len(), 2);
    assert_eq!(body["fills"][0]["price"], "150.00000000");
    assert_eq!(fake.balance("SOL"), d("1.4985"));
    assert_eq!(fake.balance("USDT"), d("9774.75"));
    assert_eq!(fake.applied_orders()[0].status, "EXPIRED");
    assert_eq!(fake.net_base_qty("thin-1"), d("1.5"));

    // By quoteOrderQty: only what the book holds is spent.
    let answer = client.order(&buy_quote("SOLUSDT", "1000", "thin-2")).await;
    let body = answer.ok();
    assert_eq!(body["status"], "EXPIRED");
    assert_eq!(body["executedQty"], "1.50000000");
    assert_eq!(body["origQuoteOrderQty"], "1000.00000000");
    assert_eq!(body["cummulativeQuoteQty"], "225.25000000");
    assert_eq!(fake.balance("USDT"), d("9549.5"));

    // What the book holds off the 0.001 step is left: 1.0007 → 1.000.
    fake.set_book("SOLUSDT", &[("149.90", "2")], &[("150.00", "1.0007")]);
    let answer = client.order(&market("SOLUSDT", "BUY", "2")).await;
    assert_eq!(answer.ok()["status"], "EXPIRED");
    assert_eq!(answer.ok()["executedQty"], "1.00000000");
    assert_eq!(answer.ok()["cummulativeQuoteQty"], "150.00000000");

    // Less than LOT_SIZE minQty on the book: refused, nothing executed.
    fake.set_book("SOLUSDT", &[("149.90", "2")], &[("150.00", "0.0005")]);
    client
        .order(&market("SOLUSDT", "BUY", "1"))
        .await
        .assert_400(
            -2010,
            "Order book liquidity is less than `LOT_SIZE` filter minimum quantity.",
        );
    assert_eq!(fake.applied_orders().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_type_has_its_fields() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    let ack = [
        "symbol",
        "orderId",
        "orderListId",
        "clientOrderId",
        "transactTime",
    ];
    let result: Vec<&str> = ack
        .iter()
        .copied()
        .chain([
            "price",
            "origQty",
            "executedQty",
            "origQuoteOrderQty",
            "cummulativeQuoteQty",
            "status",
            "timeInForce",
            "type",
            "side",
            "workingTime",
            "selfTradePreventionMode",
        ])
        .collect();
    let full: Vec<&str> = result.iter().copied().chain(["fills"]).collect();

    let order = market("ETHUSDT", "BUY", "0.01");
    let answer = client
        .order(&with(order.clone(), &[("newOrderRespType", "ACK")]))
        .await;
    assert_eq!(keys(answer.ok()), key_set(&ack));
    // Auto-generated client id: 22 characters.
    let id = answer.ok()["clientOrderId"].as_str().unwrap();
    assert_eq!(id.len(), 22);
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    let answer = client
        .order(&with(order.clone(), &[("newOrderRespType", "RESULT")]))
        .await;
    assert_eq!(keys(answer.ok()), key_set(&result));
    assert_eq!(answer.ok()["selfTradePreventionMode"], "EXPIRE_MAKER");
    let answer = client.order(&order).await;
    assert_eq!(keys(answer.ok()), key_set(&full), "FULL is the default");
    let answer = client
        .order(&with(
            order.clone(),
            &[
                ("newOrderRespType", "FULL"),
                ("selfTradePreventionMode", "NONE"),
            ],
        ))
        .await;
    assert_eq!(keys(answer.ok()), key_set(&full));
    assert_eq!(answer.ok()["selfTradePreventionMode"], "NONE");
    // Order ids count up.
    let ids: Vec<u64> = fake.applied_orders().iter().map(|o| o.order_id).collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    // An expired order adds expiryReason.
    fake.set_book("ETHUSDT", &[], &[("3000", "0.005")]);
    let answer = client
        .order(&with(order, &[("newOrderRespType", "RESULT")]))
        .await;
    let mut expired = key_set(&result);
    expired.insert("expiryReason".into());
    assert_eq!(keys(answer.ok()), expired);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_refuse_with_the_documented_messages() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    let lot = "Filter failure: LOT_SIZE";
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        // Off the 0.00001 step; below minQty.
        (market("BTCUSDT", "BUY", "0.000015"), lot),
        (market("BTCUSDT", "BUY", "0.000001"), lot),
        // Within LOT_SIZE (max 9000) but over MARKET_LOT_SIZE (max 120).
        (
            market("BTCUSDT", "BUY", "150"),
            "Filter failure: MARKET_LOT_SIZE",
        ),
        // 0.00008 × 59999.995 (average price) = 4.8 < NOTIONAL 5.
        (
            market("BTCUSDT", "BUY", "0.00008"),
            "Filter failure: NOTIONAL",
        ),
        (
            buy_quote("BTCUSDT", "4.99", "n-1"),
            "Filter failure: NOTIONAL",
        ),
        // XRPUSDT applies maxNotional 1000 to MARKET: 2500 × 0.49995.
        (market("XRPUSDT", "BUY", "2500"), "Filter failure: NOTIONAL"),
        (
            buy_quote("XRPUSDT", "1000.01", "n-2"),
            "Filter failure: NOTIONAL",
        ),
        // LTCUSDT has the legacy MIN_NOTIONAL (10) only: 0.1 × 79.995.
        (
            market("LTCUSDT", "BUY", "0.1"),
            "Filter failure: MIN_NOTIONAL",
        ),
        (
            buy_quote("LTCUSDT", "9.99", "n-3"),
            "Filter failure: MIN_NOTIONAL",
        ),
    ];
    for (params, msg) in &cases {
        client.order(params).await.assert_400(-1013, msg);
    }
    assert!(fake.applied_orders().is_empty());
    assert_eq!(fake.order_attempts(), cases.len());

    // Just inside each filter, the same symbols trade.
    for params in [
        market("BTCUSDT", "BUY", "0.00009"),
        market("XRPUSDT", "BUY", "1999.8"),
        buy_quote("XRPUSDT", "1000", "n-4"),
        market("LTCUSDT", "BUY", "0.2"),
        buy_quote("LTCUSDT", "10", "n-5"),
    ] {
        assert_eq!(client.order(&params).await.ok()["status"], "FILLED");
    }
    // 1000 on XRPUSDT: 1000 × 0.5000 + 999.8 × 0.5001 = 999.99998.
    assert_eq!(fake.applied_orders()[2].executed_qty, d("1999.8"));
    assert_eq!(
        fake.applied_orders()[2].cummulative_quote_qty,
        d("999.99998")
    );
}

fn without<'a>(base: &[(&'a str, &'a str)], name: &str) -> Vec<(&'a str, &'a str)> {
    base.iter().copied().filter(|(k, _)| *k != name).collect()
}

fn replaced<'a>(
    base: &[(&'a str, &'a str)],
    name: &str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    base.iter()
        .map(|&(k, v)| if k == name { (k, value) } else { (k, v) })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_are_refused_before_the_engine() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    let base = market("BTCUSDT", "BUY", "0.001");
    let drop = |name: &str| without(&base, name);
    let set = |name: &str, value: &'static str| replaced(&base, name, value);
    let mandatory =
        |p: &str| format!("Mandatory parameter '{p}' was not sent, was empty/null, or malformed.");
    for name in ["symbol", "side", "type"] {
        client
            .order(&drop(name))
            .await
            .assert_400(-1102, &mandatory(name));
    }
    client
        .order(&set("symbol", ""))
        .await
        .assert_400(-1102, &mandatory("symbol"));
    client.order(&drop("quantity")).await.assert_400(
        -1102,
        "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
    );
    client
        .order(&set("symbol", "FOOBAR"))
        .await
        .assert_400(-1121, "Invalid symbol.");
    client.order(&set("symbol", "btcusdt")).await.assert_400(
        -1100,
        "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'.",
    );
    client
        .order(&set("side", "HOLD"))
        .await
        .assert_400(-1117, "Invalid side.");
    client
        .order(&set("type", "FOO"))
        .await
        .assert_400(-1116, "Invalid orderType.");
    client
        .order(&set("type", "LIMIT"))
        .await
        .assert_400(-2010, "This fake exchange executes MARKET orders only.");
    client
        .order(&with(base.clone(), &[("quoteOrderQty", "10")]))
        .await
        .assert_400(-1106, "Parameter 'quoteOrderQty' sent when not required.");
    client
        .order(&with(base.clone(), &[("timeInForce", "GTC")]))
        .await
        .assert_400(-1106, "Parameter 'timeInForce' sent when not required.");
    client
        .order(&set("quantity", "0.000000001"))
        .await
        .assert_400(-1111, "Parameter 'quantity' has too much precision.");
    for bad in ["1e-3", "-1", ".5", "1,5"] {
        client.order(&set("quantity", bad)).await.assert_400(
            -1100,
            r"Illegal characters found in parameter 'quantity'; legal range is '^([0-9]{1,20})(\.[0-9]{1,20})?$'.",
        );
    }
    let bad_id = r"Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.";
    let long = "a".repeat(37);
    for id in ["has space", "semi;colon", long.as_str()] {
        client
            .order(&with(base.clone(), &[("newClientOrderId", id)]))
            .await
            .assert_400(-1100, bad_id);
    }
    client
        .order(&with(base.clone(), &[("newClientOrderId", "")]))
        .await
        .assert_400(-1118, "New client order ID was empty.");
    client
        .order(&with(base.clone(), &[("newOrderRespType", "ALL")]))
        .await
        .assert_400(
            -1130,
            "Data sent for parameter 'newOrderRespType' is not valid.",
        );
    assert!(fake.applied_orders().is_empty());
    assert_eq!(fake.balance("USDT"), d("10000"));
    // The longest legal id goes through.
    let longest = format!("{}-_", "Z".repeat(34));
    let answer = client
        .order(&with(base, &[("newClientOrderId", &longest)]))
        .await;
    assert_eq!(answer.ok()["clientOrderId"], longest.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_refuses_with_the_documented_2010_messages() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    let insufficient = "Account has insufficient balance for requested action.";
    client
        .order(&buy_quote("BTCUSDT", "10000.01", "poor-1"))
        .await
        .assert_400(-2010, insufficient);
    client
        .order(&market("BTCUSDT", "SELL", "0.001"))
        .await
        .assert_400(-2010, insufficient);
    // By quantity, the walked cost counts: 0.2 BTC ≈ 12000 USDT.
    client
        .order(&market("BTCUSDT", "BUY", "0.2"))
        .await
        .assert_400(-2010, insufficient);
    client
        .order(&buy_quote("ADAUSDT", "10", "closed-1"))
        .await
        .assert_400(-2010, "Market is closed.");
    client
        .order(&buy_quote("DOGEUSDT", "10", "doge-1"))
        .await
        .assert_400(
            -2010,
            "Quote order qty market orders are not support for this symbol.",
        );
    fake.set_symbol_status("BTCUSDT", "HALT");
    client
        .order(&buy_quote("BTCUSDT", "10", "halt-1"))
        .await
        .assert_400(-2010, "Market is closed.");
    fake.set_symbol_status("BTCUSDT", "TRADING");
    assert!(fake.applied_orders().is_empty());

    // DOGEUSDT trades by quantity; ADAUSDT once trading.
    assert_eq!(
        client.order(&market("DOGEUSDT", "BUY", "100")).await.ok()["status"],
        "FILLED"
    );
    fake.set_symbol_status("ADAUSDT", "TRADING");
    assert_eq!(
        client
            .order(&buy_quote("ADAUSDT", "10", "ada-1"))
            .await
            .ok()["status"],
        "FILLED"
    );
    fake.set_quote_order_qty_market_allowed("ADAUSDT", false);
    client
        .order(&buy_quote("ADAUSDT", "10", "ada-2"))
        .await
        .assert_400(
            -2010,
            "Quote order qty market orders are not support for this symbol.",
        );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_id_is_unique_among_open_orders_only() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    let resting = fake.seed_open_order("BTCUSDT", "BUY", "0.001", "50000", Some("resting-1"));
    assert_eq!(fake.locked("USDT"), d("50"));
    assert_eq!(fake.balance("USDT"), d("9950"));
    client
        .order(&buy_quote("BTCUSDT", "10", "resting-1"))
        .await
        .assert_400(-2010, "Duplicate order sent.");
    assert_eq!(fake.orders_for_client_id("resting-1"), 0);

    // A MARKET order is done at once: the same id again executes again.
    for _ in 0..2 {
        let answer = client.order(&buy_quote("BTCUSDT", "10", "again-1")).await;
        assert_eq!(answer.ok()["status"], "FILLED");
        assert_ne!(answer.ok()["orderId"], resting);
    }
    assert_eq!(fake.orders_for_client_id("again-1"), 2);
    assert_eq!(fake.net_base_qty("again-1"), d("0.00032"));
    let ledger = fake.net_base_qty_by_client_id();
    assert_eq!(ledger.len(), 1);
    // The balance the resting order locks is not available.
    client
        .order(&buy_quote("BTCUSDT", "9931", "poor-2"))
        .await
        .assert_400(
            -2010,
            "Account has insufficient balance for requested action.",
        );
}
