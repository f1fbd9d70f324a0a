//! Signatures, nonces and API keys.

use std::sync::atomic::Ordering;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{ADD, Client, buy, d, error, http, result};
use fake_exchange::kraken::{FakeKraken, kraken_sign, verify_signature};

#[test]
fn krakens_published_signing_vectors_verify() {
    let secret = STANDARD
        .decode("kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==")
        .unwrap();
    let body = b"nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
    let published =
        "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ==";
    assert_eq!(kraken_sign(&secret, ADD, "1616492376594", body), published);
    assert!(verify_signature(
        &secret,
        ADD,
        "1616492376594",
        body,
        published
    ));
    assert!(!verify_signature(
        &secret,
        ADD,
        "1616492376595",
        body,
        published
    ));
    assert!(!verify_signature(
        &secret,
        "/0/private/Balance",
        "1616492376594",
        body,
        published
    ));
    assert!(!verify_signature(
        &secret,
        ADD,
        "1616492376594",
        &body[1..],
        published
    ));
    assert!(!verify_signature(
        &secret,
        ADD,
        "1616492376594",
        body,
        "not base64!"
    ));

    // The reference's extra vectors: Balance, and a JSON body.
    assert!(verify_signature(
        &secret,
        "/0/private/Balance",
        "1616492376594",
        b"nonce=1616492376594",
        "1nH4vwR+8FHiYh1QT649xXkGd3JR3x0DWkgv3u9Ed/Qqv6KPtgQpEU4m+Emb/VgpEji3j1XNwI+HCbfXxmrTOg=="
    ));
    assert!(verify_signature(
        &secret,
        ADD,
        "1616492376594",
        br#"{"nonce":"1616492376594","ordertype":"limit","pair":"XBTUSD","price":"37500","type":"buy","volume":"1.25"}"#,
        "r/o+GpKxXjV/mls/r5CKLu5R+yzK5psqvQ4hXxMX1nzdxTBhV+ui82QGgPZMMitpFwCOAdPEZMmXgZxD2chJEg=="
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonces_must_strictly_increase_per_key() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    let path = "/0/private/Balance";
    let send = |nonce: &str| {
        let body = if nonce.is_empty() {
            String::new()
        } else {
            format!("nonce={nonce}")
        };
        let nonce = nonce.to_owned();
        let client = &client;
        async move {
            let response = client.send_signed(path, &nonce, &body).await.unwrap();
            response.json::<Value>().await.unwrap()
        }
    };
    result(&send("5000").await);
    assert_eq!(kraken.last_nonce(), Some(5000));
    assert_eq!(error(&send("5000").await), Some("EAPI:Invalid nonce"));
    assert_eq!(error(&send("4999").await), Some("EAPI:Invalid nonce"));
    assert_eq!(error(&send("").await), Some("EAPI:Invalid nonce"));
    assert_eq!(error(&send("12x").await), Some("EAPI:Invalid nonce"));
    result(&send("5001").await);
    assert_eq!(kraken.nonce_errors(), 4);

    // Re-sending the identical signed AddOrder bytes cannot place a second order.
    let nonce = "9000000";
    let body = format!("nonce={nonce}&pair=SOLUSD&type=buy&ordertype=market&volume=0.1");
    let first: Value = client
        .send_signed(ADD, nonce, &body)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    result(&first);
    let again: Value = client
        .send_signed(ADD, nonce, &body)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error(&again), Some("EAPI:Invalid nonce"));
    assert_eq!(kraken.applied_orders().len(), 1);
    assert_eq!(kraken.add_order_attempts(), 2);

    // Nonces are per key: a second key starts its own sequence.
    kraken.add_key("second-key", "c2Vjb25kLXNlY3JldA==");
    let other = Client::with(&kraken, "second-key", "c2Vjb25kLXNlY3JldA==", None);
    other.nonce.store(0, Ordering::SeqCst);
    let answer = other.call("Balance", &[]).await;
    assert_eq!(result(&answer), &json!({"ZUSD": "10000.0000"}));
    assert_eq!(kraken.received().last().unwrap().nonce, Some(1));
    assert_eq!(kraken.nonce_errors(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_keys_and_signatures_are_refused() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    let stranger = Client::with(&kraken, "no-such-key", FakeKraken::PRIVATE_KEY, None);
    let forger = Client::with(&kraken, FakeKraken::API_KEY, "d3Jvbmctc2VjcmV0", None);

    assert_eq!(
        error(&stranger.add_order(&buy("SOLUSD", "0.1")).await),
        Some("EAPI:Invalid key")
    );
    assert_eq!(
        error(&forger.add_order(&buy("SOLUSD", "0.1")).await),
        Some("EAPI:Invalid signature")
    );
    assert_eq!(kraken.key_errors(), 1);

    // Signed over one body, sent with another.
    let (nonce, body) = client.body(&buy("SOLUSD", "0.1"));
    let sign = kraken_sign(&client.secret, ADD, &nonce, body.as_bytes());
    let tampered = body.replace("0.1", "9.1");
    let answer: Value = client
        .send(ADD, &tampered, &sign, false)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error(&answer), Some("EAPI:Invalid signature"));
    // Signed for another path.
    let sign = kraken_sign(
        &client.secret,
        "/0/private/Balance",
        &nonce,
        body.as_bytes(),
    );
    let answer: Value = client
        .send(ADD, &body, &sign, false)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error(&answer), Some("EAPI:Invalid signature"));
    // No headers at all.
    let bare: Value = http(None)
        .post(format!("{}/0/private/Balance", kraken.url))
        .body("nonce=1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error(&bare), Some("EAPI:Invalid key"));
    assert_eq!(kraken.signature_errors(), 3);
    assert_eq!(kraken.key_errors(), 2);

    // A refused signature did not consume the nonce: the real one still goes.
    let answer: Value = client
        .send_signed(ADD, &nonce, &body)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    result(&answer);
    assert_eq!(kraken.applied_orders().len(), 1);
    let received = kraken.received_on(ADD);
    assert_eq!(received.iter().filter(|r| r.signature_ok).count(), 1);
    assert_eq!(kraken.nonce_errors(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_bodies_are_verified_over_the_raw_text() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    let body = r#"{"nonce":"77777","pair":"XETHZUSD","type":"buy","ordertype":"market","volume":"0.01","cl_ord_id":"json-1"}"#;
    let sign = kraken_sign(&client.secret, ADD, "77777", body.as_bytes());
    let answer: Value = client
        .send(ADD, body, &sign, true)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        result(&answer)["descr"]["order"],
        "buy 0.01000000 ETHUSD @ market"
    );
    assert_eq!(kraken.orders_for_client_id("json-1"), 1);
    assert_eq!(
        kraken.balance("ZUSD"),
        d("10000") - d("30.005") - d("0.078013")
    );
    let received = kraken.received_on(ADD);
    assert_eq!(received[0].nonce, Some(77777));
    assert_eq!(received[0].param("volume"), Some("0.01"));

    // A numeric JSON nonce signs as its decimal text.
    let body = r#"{"nonce":77778}"#;
    let sign = kraken_sign(
        &client.secret,
        "/0/private/Balance",
        "77778",
        body.as_bytes(),
    );
    let answer: Value = client
        .send("/0/private/Balance", body, &sign, true)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(result(&answer)["XETH"], "0.0100000000");
}
