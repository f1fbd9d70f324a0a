//! GET /api/v3/order, openOrders, allOrders, myTrades and the account.

use serde_json::json;

use super::{Client, buy_quote, d, key_set, keys, market};
use fake_exchange::binance::FakeBinance;

const ORDER_FIELDS: [&str; 20] = [
    "symbol",
    "orderId",
    "orderListId",
    "clientOrderId",
    "price",
    "origQty",
    "executedQty",
    "cummulativeQuoteQty",
    "status",
    "timeInForce",
    "type",
    "side",
    "stopPrice",
    "icebergQty",
    "time",
    "updateTime",
    "isWorking",
    "workingTime",
    "origQuoteOrderQty",
    "selfTradePreventionMode",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_found_by_order_id_or_client_id() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    let placed = client.order(&buy_quote("BTCUSDT", "100", "look-1")).await;
    let order_id = placed.ok()["orderId"].as_u64().unwrap().to_string();

    let by_id = client
        .get(
            "/api/v3/order",
            &[("symbol", "BTCUSDT"), ("orderId", &order_id)],
        )
        .await;
    let o = by_id.ok();
    assert_eq!(keys(o), key_set(&ORDER_FIELDS));
    assert_eq!(o["clientOrderId"], "look-1");
    assert_eq!(o["status"], "FILLED");
    assert_eq!(o["type"], "MARKET");
    assert_eq!(o["side"], "BUY");
    // 100 / 60000 → 0.00166 on the step.
    assert_eq!(o["executedQty"], "0.00166000");
    assert_eq!(o["origQty"], "0.00166000");
    assert_eq!(o["cummulativeQuoteQty"], "99.60000000");
    assert_eq!(o["origQuoteOrderQty"], "100.00000000");
    assert_eq!(o["time"], placed.ok()["transactTime"]);
    assert_eq!(o["stopPrice"], "0.00000000");
    assert_eq!(o["isWorking"], true);

    let by_client = client
        .get(
            "/api/v3/order",
            &[("symbol", "BTCUSDT"), ("origClientOrderId", "look-1")],
        )
        .await;
    assert_eq!(by_client.ok(), o);
    let both = client
        .get(
            "/api/v3/order",
            &[
                ("symbol", "BTCUSDT"),
                ("orderId", &order_id),
                ("origClientOrderId", "look-1"),
            ],
        )
        .await;
    assert_eq!(both.ok(), o);

    client
        .get(
            "/api/v3/order",
            &[
                ("symbol", "BTCUSDT"),
                ("orderId", &order_id),
                ("origClientOrderId", "other-1"),
            ],
        )
        .await
        .assert_400(-2039, "Client order ID is not correct for this order ID.");
    let absent = "Order does not exist.";
    client
        .get(
            "/api/v3/order",
            &[("symbol", "BTCUSDT"), ("orderId", "999")],
        )
        .await
        .assert_400(-2013, absent);
    client
        .get(
            "/api/v3/order",
            &[("symbol", "BTCUSDT"), ("origClientOrderId", "never-sent")],
        )
        .await
        .assert_400(-2013, absent);
    // Ids are looked up within the symbol.
    client
        .get(
            "/api/v3/order",
            &[("symbol", "ETHUSDT"), ("orderId", &order_id)],
        )
        .await
        .assert_400(-2013, absent);
    client
        .get("/api/v3/order", &[("symbol", "BTCUSDT")])
        .await
        .assert_400(
            -1102,
            "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
        );
    client
        .get("/api/v3/order", &[("orderId", &order_id)])
        .await
        .assert_400(
            -1102,
            "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
        );
    client
        .get(
            "/api/v3/order",
            &[("symbol", "BTCUSDT"), ("orderId", "12a")],
        )
        .await
        .assert_400(
            -1100,
            "Illegal characters found in parameter 'orderId'; legal range is '^[0-9]{1,20}$'.",
        );

    // A reused client id finds its latest order.
    let again = client.order(&buy_quote("BTCUSDT", "200", "look-1")).await;
    let latest = client
        .get(
            "/api/v3/order",
            &[("symbol", "BTCUSDT"), ("origClientOrderId", "look-1")],
        )
        .await;
    assert_eq!(latest.ok()["orderId"], again.ok()["orderId"]);

    // Another key's orders are not visible.
    fake.add_key("otherKey", "other-secret");
    let other = Client::with(&fake, "otherKey", "other-secret", None);
    other
        .get(
            "/api/v3/order",
            &[("symbol", "BTCUSDT"), ("orderId", &order_id)],
        )
        .await
        .assert_400(-2013, absent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_trades_list_each_fill_with_its_commission() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    let first = client.order(&buy_quote("BTCUSDT", "5000", "t-1")).await;
    let first_id = first.ok()["orderId"].as_u64().unwrap().to_string();
    fake.set_balance("BTC", "1");
    client.order(&market("BTCUSDT", "SELL", "0.001")).await.ok();
    client.order(&market("ETHUSDT", "BUY", "0.01")).await.ok();

    let trades = client
        .get(
            "/api/v3/myTrades",
            &[("symbol", "BTCUSDT"), ("orderId", &first_id)],
        )
        .await;
    let list = trades.ok().as_array().unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(
        list[1],
        json!({
            "symbol": "BTCUSDT",
            "id": 2,
            "orderId": first.ok()["orderId"],
            "orderListId": -1,
            "price": "60001.00000000",
            "qty": "0.02000000",
            "quoteQty": "1200.02000000",
            "commission": "0.00002000",
            "commissionAsset": "BTC",
            "time": first.ok()["transactTime"],
            "isBuyer": true,
            "isMaker": false,
            "isBestMatch": true,
        })
    );
    // The fills of the answer and of myTrades agree.
    for (trade, fill) in list.iter().zip(first.ok()["fills"].as_array().unwrap()) {
        assert_eq!(trade["id"], fill["tradeId"]);
        assert_eq!(trade["commission"], fill["commission"]);
        assert_eq!(trade["price"], fill["price"]);
    }

    // Without orderId: every BTCUSDT trade; the sell pays in USDT.
    let all = client
        .get("/api/v3/myTrades", &[("symbol", "BTCUSDT")])
        .await;
    let all = all.ok().as_array().unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[4]["isBuyer"], false);
    assert_eq!(all[4]["commissionAsset"], "USDT");
    assert_eq!(all[4]["commission"], "0.05999999");
    let from = client
        .get(
            "/api/v3/myTrades",
            &[("symbol", "BTCUSDT"), ("fromId", "4")],
        )
        .await;
    assert_eq!(from.ok().as_array().unwrap().len(), 2);
    let limited = client
        .get("/api/v3/myTrades", &[("symbol", "BTCUSDT"), ("limit", "2")])
        .await;
    assert_eq!(limited.ok().as_array().unwrap().len(), 2);
    let eth = client
        .get("/api/v3/myTrades", &[("symbol", "ETHUSDT")])
        .await;
    assert_eq!(eth.ok().as_array().unwrap().len(), 1);
    client
        .get(
            "/api/v3/myTrades",
            &[
                ("symbol", "BTCUSDT"),
                ("startTime", "1000"),
                ("endTime", "86401001"),
            ],
        )
        .await
        .assert_400(-1127, "More than 24 hours between startTime and endTime.");
    client.get("/api/v3/myTrades", &[]).await.assert_400(
        -1102,
        "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_and_all_orders() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    let empty = client.get("/api/v3/openOrders", &[]).await;
    assert_eq!(empty.ok(), &json!([]));
    fake.set_balance("ETH", "2");
    let resting = fake.seed_open_order("ETHUSDT", "SELL", "0.5", "3500", Some("rest-1"));
    let resting2 = fake.seed_open_order("ETHUSDT", "SELL", "0.5", "3600", None);
    assert_eq!((fake.balance("ETH"), fake.locked("ETH")), (d("1"), d("1")));
    client.order(&market("ETHUSDT", "BUY", "0.01")).await.ok();

    let open = client
        .get("/api/v3/openOrders", &[("symbol", "ETHUSDT")])
        .await;
    let open = open.ok().as_array().unwrap();
    assert_eq!(open.len(), 2, "the MARKET order is not open");
    assert_eq!(keys(&open[0]), key_set(&ORDER_FIELDS));
    assert_eq!(open[0]["orderId"], resting);
    assert_eq!(open[0]["clientOrderId"], "rest-1");
    assert_eq!(open[0]["status"], "NEW");
    assert_eq!(open[0]["type"], "LIMIT");
    assert_eq!(open[0]["price"], "3500.00000000");
    assert_eq!(open[0]["executedQty"], "0.00000000");
    assert_eq!(open[1]["orderId"], resting2);
    let none = client
        .get("/api/v3/openOrders", &[("symbol", "BTCUSDT")])
        .await;
    assert_eq!(none.ok(), &json!([]));
    client
        .get("/api/v3/openOrders", &[("symbol", "NOPEUSDT")])
        .await
        .assert_400(-1121, "Invalid symbol.");

    let all = client
        .get("/api/v3/allOrders", &[("symbol", "ETHUSDT")])
        .await;
    let all = all.ok().as_array().unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[2]["status"], "FILLED");
    let from = client
        .get(
            "/api/v3/allOrders",
            &[("symbol", "ETHUSDT"), ("orderId", &resting2.to_string())],
        )
        .await;
    assert_eq!(from.ok().as_array().unwrap().len(), 2);
    client
        .get(
            "/api/v3/allOrders",
            &[
                ("symbol", "ETHUSDT"),
                ("startTime", "0"),
                ("endTime", "86400001"),
            ],
        )
        .await
        .assert_400(-1127, "More than 24 hours between startTime and endTime.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_shows_free_and_locked_balances() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    let account = client
        .get("/api/v3/account", &[("omitZeroBalances", "true")])
        .await;
    let a = account.ok();
    assert_eq!(
        a["balances"],
        json!([{"asset": "USDT", "free": "10000.00000000", "locked": "0.00000000"}])
    );
    assert_eq!(a["makerCommission"], 10);
    assert_eq!(a["takerCommission"], 10);
    assert_eq!(a["commissionRates"]["taker"], "0.00100000");
    assert_eq!(a["accountType"], "SPOT");
    assert_eq!(a["canTrade"], true);
    assert_eq!(a["permissions"], json!(["SPOT"]));
    for field in ["uid", "updateTime", "canWithdraw", "canDeposit", "brokered"] {
        assert!(!a[field].is_null(), "{field}");
    }

    // Without omitZeroBalances every listed asset shows, zeros included.
    let full = client.get("/api/v3/account", &[]).await;
    let balances = full.ok()["balances"].as_array().unwrap();
    let assets: Vec<&str> = balances
        .iter()
        .map(|b| b["asset"].as_str().unwrap())
        .collect();
    for asset in [
        "ADA", "BNB", "BTC", "DOGE", "ETH", "LTC", "SOL", "USDT", "XRP",
    ] {
        assert!(assets.contains(&asset), "{asset}");
    }
    assert!(
        balances.contains(&json!({"asset": "BTC", "free": "0.00000000", "locked": "0.00000000"}))
    );

    fake.seed_open_order("BTCUSDT", "BUY", "0.01", "50000", None);
    client
        .order(&buy_quote("BTCUSDT", "600", "acc-1"))
        .await
        .ok();
    let after = client
        .get("/api/v3/account", &[("omitZeroBalances", "true")])
        .await;
    assert_eq!(
        after.ok()["balances"],
        json!([
            {"asset": "BTC", "free": "0.00999000", "locked": "0.00000000"},
            {"asset": "USDT", "free": "8900.00000000", "locked": "500.00000000"},
        ])
    );
    assert!(after.ok()["updateTime"].as_i64().unwrap() > 0);
    client
        .get("/api/v3/account", &[("omitZeroBalances", "yes")])
        .await
        .assert_400(
            -1130,
            "Data sent for parameter 'omitZeroBalances' is not valid.",
        );
}
