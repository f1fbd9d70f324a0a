//! `Fault::Hold`: an AddOrder parked unseen, released later at the fake's now.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{ADD, Client, buy, d, error, result, with};
use fake_exchange::kraken::{FakeKraken, Fault};

/// Sends an AddOrder the fake holds: the connection drops at once.
async fn send_held(client: &Client, params: &[(&str, &str)]) -> u64 {
    let (nonce, body) = client.body(params);
    let started = Instant::now();
    let err = client.send_signed(ADD, &nonce, &body).await.unwrap_err();
    assert!(!err.is_timeout() && err.status().is_none(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no answer, at once"
    );
    nonce.parse().unwrap()
}

async fn closed(client: &Client, cl_ord_id: &str) -> Value {
    let answer = client
        .call("ClosedOrders", &[("cl_ord_id", cl_ord_id)])
        .await;
    result(&answer)["closed"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_order_is_invisible_until_released() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    kraken.inject(Fault::Hold);
    let params = with(buy("SOLUSD", "0.1"), &[("cl_ord_id", "held-1")]);
    let nonce = send_held(&client, &params).await;
    assert_eq!(
        kraken.last_nonce(),
        Some(nonce),
        "authenticated: nonce taken"
    );
    assert_eq!((kraken.held_orders(), kraken.faults_fired()), (1, 1));
    assert_eq!(kraken.add_order_attempts(), 1);

    // Nothing anywhere: not applied, no balance moved, no query shows it.
    assert!(kraken.applied_orders().is_empty());
    assert_eq!(kraken.balance("ZUSD"), d("10000"));
    let open = client.call("OpenOrders", &[("cl_ord_id", "held-1")]).await;
    assert_eq!(result(&open), &json!({"open": {}}));
    assert_eq!(closed(&client, "held-1").await, json!({}));
    let all = client.call("ClosedOrders", &[]).await;
    assert_eq!(result(&all)["count"], 0);

    assert_eq!(kraken.release_held(), 1);
    assert_eq!(kraken.held_orders(), 0);
    assert_eq!(kraken.orders_for_client_id("held-1"), 1);
    let found = closed(&client, "held-1").await;
    let order = found.as_object().unwrap().values().next().unwrap();
    assert_eq!(order["status"], "closed");
    assert_eq!(kraken.balance("SOL"), d("0.1"));
    assert_eq!(kraken.release_held(), 0, "released once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn released_orders_run_in_arrival_order_at_the_fakes_now() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);

    // Its deadline passes while it is held: refused, never applied.
    let deadline = (kraken.now() + chrono::Duration::seconds(5)).to_rfc3339();
    kraken.inject(Fault::Hold);
    send_held(
        &client,
        &with(
            buy("SOLUSD", "0.1"),
            &[("cl_ord_id", "late-1"), ("deadline", &deadline)],
        ),
    )
    .await;
    kraken.set_clock_offset(chrono::Duration::seconds(10));
    assert_eq!(kraken.release_held(), 0);
    assert_eq!(kraken.orders_for_client_id("late-1"), 0);
    assert_eq!(closed(&client, "late-1").await, json!({}));
    kraken.set_clock_offset(chrono::Duration::zero());

    // Funds for one of two: the first to arrive gets them.
    kraken.set_balance("ZUSD", "100");
    kraken.inject_faults([Fault::Hold, Fault::Hold]);
    send_held(
        &client,
        &with(buy("SOLUSD", "0.5"), &[("cl_ord_id", "first")]),
    )
    .await;
    send_held(
        &client,
        &with(buy("SOLUSD", "0.5"), &[("cl_ord_id", "second")]),
    )
    .await;
    assert_eq!(kraken.held_orders(), 2);
    assert_eq!(kraken.release_held(), 1);
    assert_eq!(kraken.orders_for_client_id("first"), 1);
    assert_eq!(kraken.orders_for_client_id("second"), 0);
    assert_eq!(kraken.faults_fired(), 3);

    // The held request's nonce was consumed: the same bytes cannot place it.
    kraken.inject(Fault::Hold);
    let params = with(buy("SOLUSD", "0.1"), &[("cl_ord_id", "once")]);
    let (nonce, body) = client.body(&params);
    assert!(client.send_signed(ADD, &nonce, &body).await.is_err());
    let again: Value = client
        .send_signed(ADD, &nonce, &body)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error(&again), Some("EAPI:Invalid nonce"));
    assert_eq!(kraken.release_held(), 1);
    assert_eq!(kraken.orders_for_client_id("once"), 1);
}
