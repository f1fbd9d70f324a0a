//! Injected faults and the REST call-rate counter.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;

use super::{ADD, Client, buy, d, error, result};
use fake_exchange::kraken::{FakeKraken, Fault};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_and_http_status_faults_apply_as_documented() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    let order = |id: &'static str| {
        let mut p = buy("SOLUSD", "0.1");
        p.push(("cl_ord_id", id));
        p
    };
    kraken.inject_faults([
        Fault::KrakenError("EService:Busy".into()),
        Fault::StatusBeforeApply(502),
        Fault::StatusAfterApply(520),
    ]);
    assert_eq!(kraken.pending_faults(), 3);

    assert_eq!(
        client.add_order(&order("f-error")).await,
        json!({"error": ["EService:Busy"]})
    );
    assert_eq!(kraken.orders_for_client_id("f-error"), 0);

    let (nonce, body) = client.body(&order("f-502"));
    let response = client.send_signed(ADD, &nonce, &body).await.unwrap();
    assert_eq!(response.status(), 502);
    assert!(response.text().await.unwrap().contains("502 Bad Gateway"));
    assert_eq!(kraken.orders_for_client_id("f-502"), 0);
    assert_eq!(
        kraken.last_nonce(),
        Some(nonce.parse::<u64>().unwrap() - 1),
        "nonce not consumed"
    );

    let (nonce, body) = client.body(&order("f-520"));
    let response = client.send_signed(ADD, &nonce, &body).await.unwrap();
    assert_eq!(response.status(), 520);
    assert_eq!(
        kraken.orders_for_client_id("f-520"),
        1,
        "applied before the 520"
    );

    // The queue is empty again: the next order is answered normally.
    assert_eq!(kraken.pending_faults(), 0);
    result(&client.add_order(&order("f-normal")).await);
    assert_eq!(kraken.add_order_attempts(), 4);
    assert_eq!(kraken.applied_orders().len(), 2);
    assert_eq!(kraken.balance("SOL"), d("0.2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_closes_the_connection_after_applying() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    // Warm a pooled connection first, so the fault also works on a reused one.
    result(&client.call("Balance", &[]).await);
    kraken.inject(Fault::LoseAnswerAfterApply);
    let mut params = buy("SOLUSD", "0.2");
    params.push(("cl_ord_id", "lost-1"));
    let (nonce, body) = client.body(&params);
    let started = std::time::Instant::now();
    let err = client.send_signed(ADD, &nonce, &body).await.unwrap_err();
    assert!(!err.is_timeout() && err.status().is_none(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered at once, no hang"
    );
    assert_eq!(kraken.orders_for_client_id("lost-1"), 1);

    // Reconciling by cl_ord_id finds the filled order; the client still works.
    let closed = client
        .call("ClosedOrders", &[("cl_ord_id", "lost-1")])
        .await;
    assert_eq!(result(&closed)["count"], 1);
    assert_eq!(kraken.balance("SOL"), d("0.2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delayed_order_applies_after_the_client_gave_up() {
    let kraken = FakeKraken::start().await;
    let impatient = Client::with(
        &kraken,
        FakeKraken::API_KEY,
        FakeKraken::PRIVATE_KEY,
        Some(Duration::from_millis(150)),
    );
    kraken.inject(Fault::Delay(Duration::from_millis(600)));
    let mut params = buy("SOLUSD", "0.1");
    params.push(("cl_ord_id", "slow-1"));
    let (nonce, body) = impatient.body(&params);
    let err = impatient.send_signed(ADD, &nonce, &body).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    // Not yet visible right after the timeout; applied once the delay is over.
    assert_eq!(kraken.orders_for_client_id("slow-1"), 0);
    assert_eq!(
        kraken.last_nonce(),
        Some(nonce.parse().unwrap()),
        "nonce taken on arrival"
    );
    assert!(
        kraken
            .wait_until(Duration::from_secs(10), |k| k
                .orders_for_client_id("slow-1")
                == 1)
            .await
    );

    // A short delay is just a slow, normal answer.
    let client = Client::new(&kraken);
    client
        .nonce
        .store(impatient.nonce.load(Ordering::SeqCst), Ordering::SeqCst);
    kraken.inject(Fault::Delay(Duration::from_millis(50)));
    result(&client.add_order(&buy("SOLUSD", "0.1")).await);

    // The deadline is checked when the engine gets to the order.
    kraken.inject(Fault::Delay(Duration::from_millis(800)));
    let deadline = (chrono::Utc::now() + chrono::Duration::milliseconds(300)).to_rfc3339();
    let mut params = buy("SOLUSD", "0.1");
    params.extend([("cl_ord_id", "late-1"), ("deadline", deadline.as_str())]);
    assert_eq!(
        error(&client.add_order(&params).await),
        Some("EService:Deadline elapsed")
    );
    assert_eq!(kraken.orders_for_client_id("late-1"), 0);
    assert_eq!(kraken.applied_orders().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rest_call_counter_trips_and_decays() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);

    // Starter: 15 calls, decaying 0.33/s; twenty quick calls overrun it.
    let mut refused = 0;
    for _ in 0..20 {
        if error(&client.call("Balance", &[]).await) == Some("EAPI:Rate limit exceeded") {
            refused += 1;
        }
    }
    assert!(refused >= 1, "refused {refused}");
    assert_eq!(kraken.rate_limit_hits(), refused);

    // AddOrder is not counted here.
    result(&client.add_order(&buy("SOLUSD", "0.1")).await);

    // A custom limit without decay trips exactly; with decay it recovers.
    let fresh = FakeKraken::start().await;
    let client = Client::new(&fresh);
    fresh.set_rate_limit(3, 0.0);
    for _ in 0..3 {
        result(&client.call("OpenOrders", &[]).await);
    }
    for _ in 0..3 {
        result(&client.add_order(&buy("SOLUSD", "0.1")).await);
    }
    assert_eq!(
        error(&client.call("ClosedOrders", &[]).await),
        Some("EAPI:Rate limit exceeded")
    );
    assert_eq!(fresh.rate_limit_hits(), 1);
    fresh.set_rate_limit(3, 20.0);
    let mut recovered = false;
    for _ in 0..200 {
        if error(&client.call("Balance", &[]).await).is_none() {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(recovered);
}
