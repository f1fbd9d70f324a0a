//! Signatures, API keys, timestamps and recvWindow.

use reqwest::Method;
use serde_json::json;

use super::{Client, ORDER, buy_quote, d, market, with};
use fake_exchange::binance::{
    FakeBinance, binance_sign, signature_payload, verify_signature, without_signature,
};

/// The reference's vector key pair (binance-api.md §2).
const VECTOR_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const VECTOR_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const VECTOR_TS: i64 = 1_499_827_319_559;

const V1_PAYLOAD: &str = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
const V1_SIG: &str = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
const V2_PAYLOAD: &str = "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
const V2_SIG: &str = "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3";
const V3_QUERY: &str = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC";
const V3_BODY: &str = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
const V3_SIG: &str = "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77";

#[test]
fn the_three_reference_vectors_sign_and_verify() {
    assert_eq!(binance_sign(VECTOR_SECRET, V1_PAYLOAD), V1_SIG);
    assert_eq!(binance_sign(VECTOR_SECRET, V2_PAYLOAD), V2_SIG);
    // Query + body, no separator between them.
    let payload = signature_payload(V3_QUERY.as_bytes(), V3_BODY.as_bytes());
    assert_eq!(
        String::from_utf8(payload.clone()).unwrap(),
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
    );
    assert_eq!(binance_sign(VECTOR_SECRET, &payload), V3_SIG);
    // With a `&` between query and body it is another payload.
    let joined = format!("{V3_QUERY}&{V3_BODY}");
    assert_ne!(binance_sign(VECTOR_SECRET, &joined), V3_SIG);

    for (payload, sig) in [(V1_PAYLOAD, V1_SIG), (V2_PAYLOAD, V2_SIG)] {
        assert!(verify_signature(VECTOR_SECRET, payload, sig));
        // Case-insensitive signature, case-sensitive payload and secret.
        assert!(verify_signature(
            VECTOR_SECRET,
            payload,
            &sig.to_ascii_uppercase()
        ));
        assert!(!verify_signature(
            VECTOR_SECRET,
            payload.to_ascii_uppercase(),
            sig
        ));
        assert!(!verify_signature(
            &VECTOR_SECRET.to_ascii_lowercase(),
            payload,
            sig
        ));
    }
    // Vector 2 signs the percent-encoded form, not the raw characters.
    assert_ne!(
        binance_sign(
            VECTOR_SECRET,
            V2_PAYLOAD.replace(
                "%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96",
                "１２３４５６"
            )
        ),
        V2_SIG
    );
    assert_eq!(
        without_signature(format!("{V1_PAYLOAD}&signature={V1_SIG}").as_bytes()),
        V1_PAYLOAD.as_bytes()
    );
}

/// The fake's clock set to just after the vectors' timestamp.
fn at_vector_time(fake: &FakeBinance) {
    let now = chrono::Utc::now().timestamp_millis();
    fake.set_clock_offset(chrono::Duration::milliseconds(VECTOR_TS + 200 - now));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vectors_pass_authentication_over_http() {
    let fake = FakeBinance::start().await;
    fake.add_key(VECTOR_KEY, VECTOR_SECRET);
    at_vector_time(&fake);
    let client = Client::with(&fake, VECTOR_KEY, VECTOR_SECRET, None);

    // Vector 3: query + body. Authentication passes, so the answer is about
    // the order itself (LTCBTC is not listed here).
    let body = format!("{V3_BODY}&signature={V3_SIG}");
    let answer = client
        .send_raw(Method::POST, ORDER, V3_QUERY, &body)
        .await
        .unwrap();
    answer.assert_400(-1121, "Invalid symbol.");
    let seen = fake.received_on(ORDER);
    assert!(seen[0].signature_ok);
    assert_eq!(seen[0].timestamp, Some(1_499_827_319_559));
    assert_eq!(seen[0].recv_window, Some(d("5000")));
    assert_eq!(seen[0].param("timeInForce"), Some("GTC"));
    assert_eq!(seen[0].param("quantity"), Some("1"));
    assert_eq!(seen[0].raw_query, V3_QUERY);

    // Vector 1, all in the query of a GET; vector 2, percent-encoded.
    let query = format!("{V1_PAYLOAD}&signature={V1_SIG}");
    let answer = client
        .send_raw(Method::GET, ORDER, &query, "")
        .await
        .unwrap();
    answer.assert_400(-1121, "Invalid symbol.");
    let query = format!("{V2_PAYLOAD}&signature={}", V2_SIG.to_ascii_uppercase());
    let answer = client
        .send_raw(Method::POST, ORDER, &query, "")
        .await
        .unwrap();
    answer.assert_400(
        -1100,
        "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'.",
    );
    assert!(fake.received().iter().all(|r| r.signature_ok));

    // The same bytes with a `&` between query and body, or signed before
    // percent-encoding, are not what was signed.
    let body = format!("&{V3_BODY}&signature={V3_SIG}");
    let answer = client
        .send_raw(Method::POST, ORDER, V3_QUERY, &body)
        .await
        .unwrap();
    answer.assert_400(-1022, "Signature for this request is not valid.");
    let raw = "symbol=%4CTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    let answer = client
        .send_raw(
            Method::POST,
            ORDER,
            &format!("{raw}&signature={V1_SIG}"),
            "",
        )
        .await
        .unwrap();
    answer.assert_400(-1022, "Signature for this request is not valid.");
    assert_eq!(fake.signature_errors(), 2);
    assert!(fake.applied_orders().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signatures_and_keys_are_refused() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    let forger = Client::with(&fake, FakeBinance::API_KEY, "not-the-secret", None);
    let stranger = Client::with(&fake, "unknownKey0123456789", FakeBinance::SECRET_KEY, None);
    let order = buy_quote("BTCUSDT", "100", "sig-1");

    forger
        .order(&order)
        .await
        .assert_400(-1022, "Signature for this request is not valid.");
    stranger.order(&order).await.assert_error(
        401,
        -2015,
        "Invalid API-key, IP, or permissions for action.",
    );
    let malformed = Client::with(&fake, "bad-key!", FakeBinance::SECRET_KEY, None);
    malformed
        .order(&order)
        .await
        .assert_error(401, -2014, "API-key format invalid.");
    // No key header at all.
    let encoded = client.sign(&client.encode(&order));
    let bare = super::http(None)
        .post(format!("{}{ORDER}", fake.url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(encoded)
        .send()
        .await
        .unwrap();
    super::Answer::read(bare)
        .await
        .assert_error(401, -2014, "API-key format invalid.");

    // Signed over one body, sent with another.
    let encoded = client.encode(&order);
    let signed = client
        .sign(&encoded)
        .replace("quoteOrderQty=100", "quoteOrderQty=900");
    client
        .send_raw(Method::POST, ORDER, "", &signed)
        .await
        .unwrap()
        .assert_400(-1022, "Signature for this request is not valid.");
    // No signature, no timestamp.
    client
        .send_raw(Method::POST, ORDER, "", &encoded)
        .await
        .unwrap()
        .assert_400(
            -1102,
            "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
        );
    let no_ts = "symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=100";
    client
        .send_raw(Method::POST, ORDER, "", &client.sign(no_ts))
        .await
        .unwrap()
        .assert_400(
            -1102,
            "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
        );
    assert_eq!(fake.signature_errors(), 2);
    assert_eq!(fake.key_errors(), 3);
    assert!(fake.applied_orders().is_empty());
    assert_eq!(fake.balance("USDT"), d("10000"));

    // An uppercase signature is as good; the order executes once.
    let encoded = client.encode(&order);
    let upper = format!(
        "{encoded}&signature={}",
        binance_sign(FakeBinance::SECRET_KEY, &encoded).to_ascii_uppercase()
    );
    let answer = client
        .send_raw(Method::POST, ORDER, "", &upper)
        .await
        .unwrap();
    assert_eq!(answer.ok()["status"], "FILLED");
    assert_eq!(fake.orders_for_client_id("sig-1"), 1);
    let seen = fake.received_on(ORDER);
    // Validly signed: the request without a timestamp, and this one.
    assert_eq!(seen.iter().filter(|r| r.signature_ok).count(), 2);
    assert_eq!(
        seen.last().unwrap().api_key.as_deref(),
        Some(FakeBinance::API_KEY)
    );

    // Another key signs with its own secret and trades its own account.
    fake.add_key("secondKey42", "second-secret");
    let second = Client::with(&fake, "secondKey42", "second-secret", None);
    let answer = second.order(&buy_quote("ETHUSDT", "300", "k2-1")).await;
    assert_eq!(answer.ok()["status"], "FILLED");
    assert_eq!(fake.balance_for("secondKey42", "ETH"), d("0.0999"));
    assert_eq!(fake.balance("ETH"), d("0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamps_outside_the_window_are_refused_with_both_messages() {
    let fake = FakeBinance::start().await;
    let mut client = Client::new(&fake);
    let ahead = "Timestamp for this request was 1000ms ahead of the server's time.";
    let outside = "Timestamp for this request is outside of the recvWindow.";

    client.skew_ms = 1500;
    client
        .get("/api/v3/account", &[])
        .await
        .assert_400(-1021, ahead);
    // Up to 1000 ms ahead is accepted.
    client.skew_ms = 500;
    client.get("/api/v3/account", &[]).await.ok();
    // Default recvWindow 5000.
    client.skew_ms = -6000;
    client
        .get("/api/v3/account", &[])
        .await
        .assert_400(-1021, outside);
    client.skew_ms = -4000;
    client.get("/api/v3/account", &[]).await.ok();
    client.skew_ms = -6000;
    client.recv_window = Some("10000".into());
    client.get("/api/v3/account", &[]).await.ok();
    client.recv_window = Some("200.5".into());
    client
        .get("/api/v3/account", &[])
        .await
        .assert_400(-1021, outside);
    client.recv_window = Some("60001".into());
    client
        .get("/api/v3/account", &[])
        .await
        .assert_400(-1131, "recvWindow must be less than 60000");
    client.recv_window = Some("100.1234".into());
    client.get("/api/v3/account", &[]).await.assert_400(
        -1100,
        r"Illegal characters found in parameter 'recvWindow'; legal range is '^[0-9]{1,20}(\.[0-9]{1,3})?$'.",
    );
    assert_eq!(fake.timestamp_errors(), 3);

    // The fake's clock moves with the offset; so does the window.
    client.recv_window = None;
    client.skew_ms = 0;
    fake.set_clock_offset(chrono::Duration::seconds(10));
    let time = client.public("/api/v3/time", &[]).await;
    let server = time.ok()["serverTime"].as_i64().unwrap();
    let local = chrono::Utc::now().timestamp_millis();
    assert!(
        (server - local - 10_000).abs() < 2_000,
        "{server} vs {local}"
    );
    client
        .order(&market("BTCUSDT", "BUY", "0.001"))
        .await
        .assert_400(-1021, outside);
    client.skew_ms = 10_000;
    assert_eq!(
        client.order(&market("BTCUSDT", "BUY", "0.001")).await.ok()["status"],
        "FILLED"
    );
    fake.set_clock_offset(chrono::Duration::seconds(-10));
    client.skew_ms = 0;
    client
        .order(&market("BTCUSDT", "BUY", "0.001"))
        .await
        .assert_400(-1021, ahead);
    assert_eq!(fake.applied_orders().len(), 1);

    // Microsecond timestamps are taken as such.
    fake.set_clock_offset(chrono::Duration::zero());
    let us = (chrono::Utc::now().timestamp_micros()).to_string();
    let encoded = format!("omitZeroBalances=true&timestamp={us}");
    let answer = client
        .send_raw(Method::GET, "/api/v3/account", &client.sign(&encoded), "")
        .await
        .unwrap();
    assert_eq!(
        answer.ok()["balances"][0],
        json!({"asset": "BTC", "free": "0.00099900", "locked": "0.00000000"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_and_body_mix_and_the_query_wins_a_duplicate() {
    let fake = FakeBinance::start().await;
    let client = Client::new(&fake);
    // symbol in both: the query's (BTCUSDT) is used; signed over query + body.
    let query = "symbol=BTCUSDT&side=BUY";
    let body = client.encode(&[
        ("symbol", "ETHUSDT"),
        ("type", "MARKET"),
        ("quantity", "0.001"),
        ("newClientOrderId", "mixed-1"),
    ]);
    let payload = format!("{query}{body}");
    let signed_body = format!(
        "{body}&signature={}",
        binance_sign(FakeBinance::SECRET_KEY, &payload)
    );
    let answer = client
        .send_raw(Method::POST, ORDER, query, &signed_body)
        .await
        .unwrap();
    assert_eq!(answer.ok()["symbol"], "BTCUSDT");
    assert_eq!(fake.balance("BTC"), d("0.000999"));
    // The signature may also travel in the query.
    let all = client.encode(&with(market("BTCUSDT", "BUY", "0.001"), &[]));
    let query = format!("signature={}", binance_sign(FakeBinance::SECRET_KEY, &all));
    let answer = client
        .send_raw(Method::POST, ORDER, &query, &all)
        .await
        .unwrap();
    assert_eq!(answer.ok()["status"], "FILLED");
    assert_eq!(fake.applied_orders().len(), 2);
}
