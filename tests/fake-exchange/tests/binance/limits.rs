//! Request weight, order counts, 429 and 418.

use std::time::Duration;

use super::{Client, buy_quote, market};
use fake_exchange::binance::FakeBinance;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_used_weight() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    let mut expected = 0;
    let mut check = |answer: &super::Answer, weight: u32, what: &str| {
        expected += weight;
        assert_eq!(answer.weight(), Some(expected), "{what}: {}", answer.text);
        assert_eq!(
            answer.header("x-mbx-used-weight"),
            Some(expected.to_string().as_str())
        );
    };
    check(&client.public("/api/v3/ping", &[]).await, 1, "ping");
    check(&client.public("/api/v3/time", &[]).await, 1, "time");
    check(
        &client.public("/api/v3/exchangeInfo", &[]).await,
        20,
        "exchangeInfo",
    );
    let one = [("symbol", "BTCUSDT")];
    check(
        &client.public("/api/v3/ticker/bookTicker", &one).await,
        2,
        "bookTicker symbol",
    );
    check(
        &client.public("/api/v3/ticker/bookTicker", &[]).await,
        4,
        "bookTicker all",
    );
    check(
        &client.public("/api/v3/avgPrice", &one).await,
        2,
        "avgPrice",
    );
    check(&client.get("/api/v3/account", &[]).await, 20, "account");

    // An accepted order weighs 0 and carries the order counts.
    let placed = client.order(&buy_quote("BTCUSDT", "100", "w-1")).await;
    check(&placed, 0, "accepted order");
    assert_eq!(placed.header("x-mbx-order-count-10s"), Some("1"));
    assert_eq!(placed.header("x-mbx-order-count-1d"), Some("1"));
    // A refused one weighs 1 and has no order count.
    let refused = client.order(&market("BTCUSDT", "BUY", "0.000001")).await;
    check(&refused, 1, "refused order");
    assert_eq!(refused.header("x-mbx-order-count-10s"), None);
    let placed = client.order(&buy_quote("BTCUSDT", "100", "w-2")).await;
    check(&placed, 0, "second order");
    assert_eq!(placed.header("x-mbx-order-count-10s"), Some("2"));
    assert_eq!(placed.header("x-mbx-order-count-1d"), Some("2"));
    let order_id = placed.ok()["orderId"].as_u64().unwrap().to_string();

    let by_id = [("symbol", "BTCUSDT"), ("orderId", order_id.as_str())];
    check(&client.get("/api/v3/order", &by_id).await, 4, "order");
    check(
        &client.get("/api/v3/openOrders", &one).await,
        6,
        "openOrders",
    );
    check(
        &client.get("/api/v3/openOrders", &[]).await,
        80,
        "openOrders all",
    );
    check(
        &client.get("/api/v3/myTrades", &by_id).await,
        5,
        "myTrades orderId",
    );
    check(&client.get("/api/v3/myTrades", &one).await, 20, "myTrades");
    check(
        &client.get("/api/v3/allOrders", &one).await,
        20,
        "allOrders",
    );
    // Refusals carry it too.
    let forger = Client::with(&fake, FakeBinance::API_KEY, "wrong", None);
    check(&forger.get("/api/v3/account", &[]).await, 20, "-1022");
    assert_eq!(fake.used_weight(), 206);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_weight_limit_429_then_418() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    fake.set_weight_limit(30);
    client.public("/api/v3/ping", &[]).await.ok();
    client.public("/api/v3/exchangeInfo", &[]).await.ok();
    // 21 + 20 > 30.
    let limited = client.get("/api/v3/account", &[]).await;
    limited.assert_error(
        429,
        -1003,
        "Too much request weight used; current limit is 30 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
    );
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(limited.weight(), Some(21));

    // Keeping on before Retry-After: banned, whatever the request weighs.
    let banned = client.public("/api/v3/ping", &[]).await;
    assert_eq!(banned.status, 418);
    assert_eq!(banned.body["code"], -1003);
    let until = fake.server_time_ms() + 120_000;
    let msg = banned.body["msg"].as_str().unwrap();
    let ms: i64 = msg
        .strip_prefix("Way too much request weight used; IP banned until ")
        .and_then(|rest| rest.split('.').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!((until - ms).abs() < 2_000, "{ms} vs {until}");
    assert!(msg.ends_with("Please use WebSocket Streams for live updates to avoid bans."));
    let retry: u64 = banned.header("retry-after").unwrap().parse().unwrap();
    assert!((110..=120).contains(&retry), "{retry}");
    assert_eq!(client.public("/api/v3/ping", &[]).await.status, 418);
    assert_eq!(
        client
            .order(&buy_quote("BTCUSDT", "100", "b-1"))
            .await
            .status,
        418
    );
    assert_eq!(fake.orders_for_client_id("b-1"), 0);
    assert_eq!((fake.rate_limit_hits(), fake.ban_hits()), (1, 3));

    fake.reset_rate_limits();
    let ping = client.public("/api/v3/ping", &[]).await;
    assert_eq!(ping.weight(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_lifts_after_its_duration() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    fake.set_weight_limit(25);
    fake.set_ban_duration(Duration::from_millis(500));
    client.public("/api/v3/exchangeInfo", &[]).await.ok();
    assert_eq!(client.public("/api/v3/exchangeInfo", &[]).await.status, 429);
    let banned = client.public("/api/v3/ping", &[]).await;
    assert_eq!(banned.status, 418);
    assert_eq!(banned.header("retry-after"), Some("1"));
    tokio::time::sleep(Duration::from_millis(600)).await;
    // Unbanned; the window's weight still counts (20 of 25 used).
    let ping = client.public("/api/v3/ping", &[]).await;
    assert_eq!(ping.weight(), Some(21));
    assert_eq!(client.public("/api/v3/exchangeInfo", &[]).await.status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_orders_limit_1015() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    fake.set_order_limits(2, 100);
    for id in ["o-1", "o-2"] {
        assert_eq!(
            client.order(&buy_quote("BTCUSDT", "10", id)).await.ok()["status"],
            "FILLED"
        );
    }
    let refused = client.order(&buy_quote("BTCUSDT", "10", "o-3")).await;
    refused.assert_error(
        429,
        -1015,
        "Too many new orders; current limit is 2 orders per 10 SECOND.",
    );
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry));
    assert_eq!(fake.orders_for_client_id("o-3"), 0);
    fake.set_order_limits(50, 2);
    client
        .order(&buy_quote("BTCUSDT", "10", "o-4"))
        .await
        .assert_error(
            429,
            -1015,
            "Too many new orders; current limit is 2 orders per 1 DAY.",
        );
    // Other requests still go.
    client.get("/api/v3/account", &[]).await.ok();
}
