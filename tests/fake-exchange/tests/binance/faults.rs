//! Injected faults, and the counters that show what the fake went through.

use std::time::{Duration, Instant};

use reqwest::Method;

use super::{Client, ORDER, buy_quote};
use fake_exchange::binance::{FakeBinance, Fault};

const TIMEOUT_MSG: &str = "Timeout waiting for response from backend server. Send status unknown; execution status unknown.";

async fn lookup(client: &Client, client_id: &str) -> super::Answer {
    client
        .get(
            ORDER,
            &[("symbol", "BTCUSDT"), ("origClientOrderId", client_id)],
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_answer_after_executing_leaves_the_order_to_find() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    // Warm a pooled connection first, so the fault also works on a reused one.
    client.public("/api/v3/ping", &[]).await.ok();
    fake.inject(Fault::DropAfterApply);
    let body = client.sign(&client.encode(&buy_quote("BTCUSDT", "100", "lost-1")));
    let started = Instant::now();
    let err = client
        .send_raw(Method::POST, ORDER, "", &body)
        .await
        .unwrap_err();
    assert!(!err.is_timeout() && err.status().is_none(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "no hang");
    assert_eq!(fake.orders_for_client_id("lost-1"), 1);
    let found = lookup(&client, "lost-1").await;
    assert_eq!(found.ok()["status"], "FILLED");
    assert_eq!(fake.faults_fired(), 1);
    assert_eq!(fake.pending_faults(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_statuses_before_and_after_executing() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    fake.inject_faults([Fault::StatusBeforeApply(502), Fault::StatusAfterApply(503)]);
    assert_eq!(fake.pending_faults(), 2);

    let before = client.order(&buy_quote("BTCUSDT", "100", "f-502")).await;
    assert_eq!(before.status, 502);
    assert_eq!(before.header("content-type"), Some("text/html"));
    assert!(before.text.contains("502 ERROR"), "{}", before.text);
    assert_eq!(before.weight(), None, "answered in front of the API");
    assert_eq!(fake.orders_for_client_id("f-502"), 0);
    assert_eq!(fake.used_weight(), 0);

    let after = client.order(&buy_quote("BTCUSDT", "100", "f-503")).await;
    assert_eq!(after.status, 503);
    assert!(after.text.contains("503 ERROR"));
    assert_eq!(
        fake.orders_for_client_id("f-503"),
        1,
        "executed before the 503"
    );

    // The queue is empty again: the next order is answered normally.
    let normal = client.order(&buy_quote("BTCUSDT", "100", "f-ok")).await;
    assert_eq!(normal.ok()["status"], "FILLED");
    assert_eq!(fake.order_attempts(), 3);
    assert_eq!(fake.faults_fired(), 2);
    assert_eq!(fake.applied_orders().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1007_timeout_comes_after_executing_with_the_chosen_status() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    fake.inject_faults([Fault::TimeoutAfterApply(503), Fault::TimeoutAfterApply(400)]);
    let answer = client.order(&buy_quote("BTCUSDT", "100", "t-503")).await;
    answer.assert_error(503, -1007, TIMEOUT_MSG);
    assert!(answer.weight().is_some());
    let answer = client.order(&buy_quote("BTCUSDT", "100", "t-400")).await;
    answer.assert_400(-1007, TIMEOUT_MSG);
    assert_eq!(fake.orders_for_client_id("t-503"), 1);
    assert_eq!(fake.orders_for_client_id("t-400"), 1);
    assert_eq!(lookup(&client, "t-400").await.ok()["status"], "FILLED");

    // After a refusal the same answers come, and nothing executed.
    fake.inject(Fault::TimeoutAfterApply(503));
    client
        .order(&buy_quote("BTCUSDT", "20000", "t-poor"))
        .await
        .assert_error(503, -1007, TIMEOUT_MSG);
    fake.inject(Fault::DropAfterApply);
    let body = client.sign(&client.encode(&buy_quote("BTCUSDT", "1", "t-small")));
    let err = client
        .send_raw(Method::POST, ORDER, "", &body)
        .await
        .unwrap_err();
    assert!(err.status().is_none(), "{err:?}");
    for id in ["t-poor", "t-small"] {
        assert_eq!(fake.orders_for_client_id(id), 0);
        lookup(&client, id)
            .await
            .assert_400(-2013, "Order does not exist.");
    }
    assert_eq!(fake.applied_orders().len(), 2);
    assert_eq!(
        fake.balances().keys().collect::<Vec<_>>(),
        vec!["BTC", "USDT"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_lag_behind_a_placement() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    fake.inject(Fault::LookupLag(Duration::from_millis(700)));
    let placed = client.order(&buy_quote("BTCUSDT", "100", "lag-1")).await;
    assert_eq!(placed.ok()["status"], "FILLED");
    let order_id = placed.ok()["orderId"].as_u64().unwrap().to_string();
    assert_eq!(fake.orders_for_client_id("lag-1"), 1);

    lookup(&client, "lag-1")
        .await
        .assert_400(-2013, "Order does not exist.");
    client
        .get(ORDER, &[("symbol", "BTCUSDT"), ("orderId", &order_id)])
        .await
        .assert_400(-2013, "Order does not exist.");
    let trades = client
        .get(
            "/api/v3/myTrades",
            &[("symbol", "BTCUSDT"), ("orderId", &order_id)],
        )
        .await;
    assert_eq!(trades.ok().as_array().unwrap().len(), 0);

    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(lookup(&client, "lag-1").await.ok()["status"], "FILLED");
    let trades = client
        .get(
            "/api/v3/myTrades",
            &[("symbol", "BTCUSDT"), ("orderId", &order_id)],
        )
        .await;
    assert_eq!(trades.ok().as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delayed_order_is_held_to_its_recv_window() {
    let fake = FakeBinance::start().await;
    let mut client = Client::new(&fake);

    // Accepted on arrival, past its 300 ms window at the engine: -1021.
    fake.inject(Fault::Delay(Duration::from_millis(800)));
    client.recv_window = Some("300".into());
    let started = Instant::now();
    client
        .order(&buy_quote("BTCUSDT", "100", "late-1"))
        .await
        .assert_400(
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        );
    assert!(started.elapsed() >= Duration::from_millis(800));
    assert_eq!(fake.orders_for_client_id("late-1"), 0);
    assert_eq!(fake.timestamp_errors(), 1);
    assert!(fake.received_on(ORDER)[0].signature_ok);

    // Within the window: a slow, normal answer.
    client.recv_window = Some("5000".into());
    fake.inject(Fault::Delay(Duration::from_millis(100)));
    let answer = client.order(&buy_quote("BTCUSDT", "100", "slow-1")).await;
    assert_eq!(answer.ok()["status"], "FILLED");

    // The client gives up; the engine still executes the order.
    let impatient = Client::with(
        &fake,
        FakeBinance::API_KEY,
        FakeBinance::SECRET_KEY,
        Some(Duration::from_millis(150)),
    );
    fake.inject(Fault::Delay(Duration::from_millis(600)));
    let body = impatient.sign(&impatient.encode(&buy_quote("BTCUSDT", "100", "slow-2")));
    let err = impatient
        .send_raw(Method::POST, ORDER, "", &body)
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(fake.orders_for_client_id("slow-2"), 0);
    assert!(
        fake.wait_until(Duration::from_secs(10), |f| f
            .orders_for_client_id("slow-2")
            == 1)
            .await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_on_any_path() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);

    // 403 from the WAF, then the account answers again.
    fake.inject_on("/api/v3/account", Fault::Forbidden);
    let answer = client.get("/api/v3/account", &[]).await;
    assert_eq!(answer.status, 403);
    assert!(answer.text.contains("403 ERROR"));
    client.get("/api/v3/account", &[]).await.ok();

    // "GET /api/v3/order" hits lookups, not placements.
    fake.inject_on("GET /api/v3/order", Fault::StatusBeforeApply(504));
    let placed = client.order(&buy_quote("BTCUSDT", "100", "p-1")).await;
    assert_eq!(placed.ok()["status"], "FILLED");
    assert_eq!(lookup(&client, "p-1").await.status, 504);
    assert_eq!(lookup(&client, "p-1").await.ok()["status"], "FILLED");

    // 403 on a placement: nothing executes.
    fake.inject(Fault::Forbidden);
    let answer = client.order(&buy_quote("BTCUSDT", "100", "p-2")).await;
    assert_eq!(answer.status, 403);
    assert_eq!(fake.orders_for_client_id("p-2"), 0);

    // A dropped answer on a lookup; a delay on the time endpoint.
    fake.inject_on("/api/v3/myTrades", Fault::DropAfterApply);
    let query = client.sign(&client.encode(&[("symbol", "BTCUSDT")]));
    let err = client
        .send_raw(Method::GET, "/api/v3/myTrades", &query, "")
        .await
        .unwrap_err();
    assert!(err.status().is_none(), "{err:?}");
    fake.inject_on("/api/v3/time", Fault::Delay(Duration::from_millis(300)));
    let started = Instant::now();
    client.public("/api/v3/time", &[]).await.ok();
    assert!(started.elapsed() >= Duration::from_millis(300));

    assert_eq!(fake.faults_fired(), 5);
    assert_eq!(fake.pending_faults(), 0);
    assert_eq!(fake.order_attempts(), 2);
    let per_path = fake.requests_per_path();
    assert_eq!(per_path["/api/v3/account"], 2);
    assert_eq!(per_path["/api/v3/order"], 4);
    assert_eq!(per_path["/api/v3/myTrades"], 1);
    assert_eq!(per_path["/api/v3/time"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_429_turns_into_a_ban_if_the_client_keeps_going() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    fake.inject(Fault::TooManyRequests(30));
    let answer = client.order(&buy_quote("BTCUSDT", "100", "r-1")).await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.header("retry-after"), Some("30"));
    assert_eq!(answer.body["code"], -1003);
    assert_eq!(fake.orders_for_client_id("r-1"), 0);

    let answer = client.public("/api/v3/ping", &[]).await;
    assert_eq!(answer.status, 418);
    assert_eq!(answer.body["code"], -1003);
    let msg = answer.body["msg"].as_str().unwrap();
    assert!(
        msg.starts_with("Way too much request weight used; IP banned until "),
        "{msg}"
    );
    let retry: u64 = answer.header("retry-after").unwrap().parse().unwrap();
    assert!((100..=120).contains(&retry), "{retry}");
    assert_eq!((fake.rate_limit_hits(), fake.ban_hits()), (1, 1));
    fake.reset_rate_limits();
    client.public("/api/v3/ping", &[]).await.ok();
}
