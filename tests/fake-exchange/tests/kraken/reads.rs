//! Faults on reads (private and public), latency, and the request counts.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Client, error, http, result};
use fake_exchange::kraken::{FakeKraken, Fault};

const QUERY: &str = "/0/private/QueryOrders";
const CLOSED: &str = "/0/private/ClosedOrders";
const CANCEL: &str = "/0/private/CancelOrder";
const TICKER: &str = "/0/public/Ticker";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_fires_on_private_reads() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    let resting = kraken.seed_open_order("SOLUSD", "buy", "1", "100", Some("rest-1"));
    let txid = [("txid", resting.as_str())];

    kraken.inject_on(QUERY, Fault::KrakenError("EService:Busy".into()));
    kraken.inject_on(QUERY, Fault::StatusBeforeApply(502));
    kraken.inject_on(QUERY, Fault::Delay(Duration::from_millis(300)));
    assert_eq!(kraken.pending_faults_on(QUERY), 3);
    assert_eq!(kraken.pending_faults(), 0, "the AddOrder queue is apart");

    // KrakenError: authenticated (nonce taken), then the error.
    let busy = client.call("QueryOrders", &txid).await;
    assert_eq!(busy, json!({"error": ["EService:Busy"]}));
    let taken = kraken.last_nonce().unwrap();
    // StatusBeforeApply: the status, the nonce not consumed.
    let (nonce, body) = client.body(&txid);
    let response = client.send_signed(QUERY, &nonce, &body).await.unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(kraken.last_nonce(), Some(taken));
    // Delay: answered normally, later.
    let started = Instant::now();
    let slow = client.call("QueryOrders", &txid).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(result(&slow)[&resting]["status"], "open");
    assert_eq!(kraken.pending_faults_on(QUERY), 0);
    result(&client.call("QueryOrders", &txid).await);

    // StatusAfterApply: the cancel happens, the answer is a 520.
    kraken.inject_on(CANCEL, Fault::StatusAfterApply(520));
    let (nonce, body) = client.body(&[("cl_ord_id", "rest-1")]);
    let response = client.send_signed(CANCEL, &nonce, &body).await.unwrap();
    assert_eq!(response.status(), 520);
    let open = client.call("OpenOrders", &[]).await;
    assert_eq!(result(&open), &json!({"open": {}}));

    // LoseAnswerAfterApply: processed, then the connection drops.
    let second = kraken.seed_open_order("SOLUSD", "buy", "1", "100", Some("rest-2"));
    kraken.inject_on(CANCEL, Fault::LoseAnswerAfterApply);
    kraken.inject_on(CLOSED, Fault::LoseAnswerAfterApply);
    let (nonce, body) = client.body(&[("txid", &second)]);
    let err = client.send_signed(CANCEL, &nonce, &body).await.unwrap_err();
    assert!(!err.is_timeout() && err.status().is_none(), "{err:?}");
    let (nonce, body) = client.body(&[]);
    let err = client.send_signed(CLOSED, &nonce, &body).await.unwrap_err();
    assert!(!err.is_timeout() && err.status().is_none(), "{err:?}");
    let closed = client.call("ClosedOrders", &[]).await;
    assert_eq!(result(&closed)["closed"][&second]["status"], "canceled");

    // Hold on a read: the request is swallowed, never processed.
    let third = kraken.seed_open_order("SOLUSD", "buy", "1", "100", Some("rest-3"));
    kraken.inject_on(CANCEL, Fault::Hold);
    let (nonce, body) = client.body(&[("txid", &third)]);
    assert!(client.send_signed(CANCEL, &nonce, &body).await.is_err());
    let open = client.call("OpenOrders", &[]).await;
    assert_eq!(result(&open)["open"][&third]["status"], "open");
    assert_eq!(kraken.faults_fired(), 7);

    // A fault taken by a request that fails authentication does not fire.
    kraken.inject_on(QUERY, Fault::KrakenError("EService:Busy".into()));
    let forger = Client::with(&kraken, FakeKraken::API_KEY, "d3Jvbmctc2VjcmV0", None);
    let refused = forger.call("QueryOrders", &txid).await;
    assert_eq!(error(&refused), Some("EAPI:Invalid signature"));
    assert_eq!(kraken.pending_faults_on(QUERY), 0);
    assert_eq!(kraken.faults_fired(), 7);
}

async fn get(kraken: &FakeKraken, path: &str) -> reqwest::Result<reqwest::Response> {
    http(None)
        .get(format!("{}{path}", kraken.url))
        .query(&[("pair", "SOLUSD")])
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_fires_on_public_reads_first_in_first_out() {
    let kraken = FakeKraken::start().await;
    for fault in [
        Fault::StatusBeforeApply(503),
        Fault::KrakenError("EGeneral:Internal error".into()),
        Fault::Delay(Duration::from_millis(250)),
        Fault::StatusAfterApply(504),
        Fault::LoseAnswerAfterApply,
        Fault::Hold,
    ] {
        kraken.inject_on(TICKER, fault);
    }
    // Other paths do not take Ticker's faults.
    let time = get(&kraken, "/0/public/Time").await.unwrap();
    assert_eq!(time.status(), 200);

    assert_eq!(get(&kraken, TICKER).await.unwrap().status(), 503);
    let internal: Value = get(&kraken, TICKER).await.unwrap().json().await.unwrap();
    assert_eq!(internal, json!({"error": ["EGeneral:Internal error"]}));
    let started = Instant::now();
    let slow: Value = get(&kraken, TICKER).await.unwrap().json().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_eq!(result(&slow)["SOLUSD"]["a"][0], "150.05");
    assert_eq!(get(&kraken, TICKER).await.unwrap().status(), 504);
    let lost = get(&kraken, TICKER).await.unwrap_err();
    assert!(!lost.is_timeout() && lost.status().is_none(), "{lost:?}");
    assert!(get(&kraken, TICKER).await.is_err());
    assert_eq!(get(&kraken, TICKER).await.unwrap().status(), 200);
    assert_eq!(kraken.faults_fired(), 6);
    assert_eq!(kraken.pending_faults_on(TICKER), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_delays_every_request_and_requests_are_counted_per_path() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    kraken.set_latency(Duration::from_millis(200));
    let started = Instant::now();
    assert_eq!(get(&kraken, "/0/public/Time").await.unwrap().status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(200));
    let started = Instant::now();
    result(&client.call("Balance", &[]).await);
    assert!(started.elapsed() >= Duration::from_millis(200));
    kraken.set_latency(Duration::ZERO);
    result(&client.add_order(&super::buy("SOLUSD", "0.1")).await);
    result(&client.call("Balance", &[]).await);

    let expected: BTreeMap<String, usize> = [
        ("/0/private/AddOrder", 1),
        ("/0/private/Balance", 2),
        ("/0/public/Time", 1),
    ]
    .map(|(p, n)| (p.to_owned(), n))
    .into();
    assert_eq!(kraken.requests_per_path(), expected);

    // The admin route reports the same, and is not itself counted.
    let stats: Value = get(&kraken, "/__fake/stats")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        stats["requests"],
        json!({"/0/private/AddOrder": 1, "/0/private/Balance": 2, "/0/public/Time": 1})
    );
    assert_eq!(stats["applied_orders"], 1);
    assert_eq!(stats["add_order_attempts"], 1);
    assert_eq!(kraken.requests_per_path().len(), 3);
}
