//! Proves the fake Kraken faithful to shared/reference/kraken-api.md, with a
//! plain reqwest client and the fake's own signer (not tradehost's).

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::fake_kraken::{FakeKraken, Fault, kraken_sign, verify_signature};

const ADD: &str = "/0/private/AddOrder";

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn http(timeout: Option<Duration>) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder();
    if let Some(t) = timeout {
        builder = builder.timeout(t);
    }
    builder.build().unwrap()
}

/// A minimal signed Kraken client.
struct Client {
    http: reqwest::Client,
    url: String,
    key: String,
    secret: Vec<u8>,
    nonce: AtomicU64,
}

impl Client {
    fn new(kraken: &FakeKraken) -> Client {
        Client::with(kraken, FakeKraken::API_KEY, FakeKraken::PRIVATE_KEY, None)
    }

    fn with(kraken: &FakeKraken, key: &str, secret_b64: &str, timeout: Option<Duration>) -> Client {
        Client {
            http: http(timeout),
            url: kraken.url.clone(),
            key: key.to_owned(),
            secret: STANDARD.decode(secret_b64).unwrap(),
            nonce: AtomicU64::new(1_000),
        }
    }

    fn next_nonce(&self) -> u64 {
        self.nonce.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// The form body `nonce=…&k=v…` for the next nonce.
    fn body(&self, params: &[(&str, &str)]) -> (String, String) {
        let nonce = self.next_nonce().to_string();
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("nonce", &nonce)
            .extend_pairs(params)
            .finish();
        (nonce, body)
    }

    async fn send(
        &self,
        path: &str,
        body: &str,
        sign: &str,
        json: bool,
    ) -> reqwest::Result<reqwest::Response> {
        let content_type = if json {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        self.http
            .post(format!("{}{path}", self.url))
            .header("Content-Type", content_type)
            .header("API-Key", &self.key)
            .header("API-Sign", sign)
            .body(body.to_owned())
            .send()
            .await
    }

    async fn send_signed(
        &self,
        path: &str,
        nonce: &str,
        body: &str,
    ) -> reqwest::Result<reqwest::Response> {
        let sign = kraken_sign(&self.secret, path, nonce, body.as_bytes());
        self.send(path, body, &sign, false).await
    }

    /// Signs and posts `params` to `/0/private/<method>`; the JSON answer.
    async fn call(&self, method: &str, params: &[(&str, &str)]) -> Value {
        let path = format!("/0/private/{method}");
        let (nonce, body) = self.body(params);
        let response = self.send_signed(&path, &nonce, &body).await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn add_order(&self, params: &[(&str, &str)]) -> Value {
        self.call("AddOrder", params).await
    }
}

async fn public(kraken: &FakeKraken, path: &str, query: &[(&str, &str)]) -> Value {
    let response = http(None)
        .get(format!("{}{path}", kraken.url))
        .query(query)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn error(answer: &Value) -> Option<&str> {
    answer["error"]
        .as_array()
        .unwrap()
        .first()
        .map(|e| e.as_str().unwrap())
}

/// The result of a successful answer.
fn result(answer: &Value) -> &Value {
    assert_eq!(answer["error"], json!([]), "{answer}");
    &answer["result"]
}

fn is_txid(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [6, 5, 6]
        && id
            .chars()
            .all(|c| c == '-' || c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn buy(pair: &'static str, volume: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("pair", pair),
        ("type", "buy"),
        ("ordertype", "market"),
        ("volume", volume),
    ]
}

fn with<'a>(
    mut base: Vec<(&'a str, &'a str)>,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    base.extend_from_slice(extra);
    base
}

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
async fn public_endpoints_answer_like_kraken() {
    let kraken = FakeKraken::start().await;

    let time = result(&public(&kraken, "/0/public/Time", &[]).await).clone();
    let now = chrono::Utc::now().timestamp();
    assert!(
        (time["unixtime"].as_i64().unwrap() - now).abs() <= 2,
        "{time}"
    );
    assert!(
        time["rfc1123"].as_str().unwrap().ends_with(" +0000"),
        "{time}"
    );

    let status = public(&kraken, "/0/public/SystemStatus", &[]).await;
    assert_eq!(result(&status)["status"], "online");
    kraken.set_system_status("maintenance");
    let status = public(&kraken, "/0/public/SystemStatus", &[]).await;
    assert_eq!(result(&status)["status"], "maintenance");

    let all = public(&kraken, "/0/public/AssetPairs", &[]).await;
    let mut ids: Vec<&String> = result(&all).as_object().unwrap().keys().collect();
    ids.sort();
    assert_eq!(ids, ["ADAUSD", "SOLUSD", "XDGUSD", "XETHZUSD", "XXBTZUSD"]);
    let btc = &result(&all)["XXBTZUSD"];
    for (field, value) in [
        ("altname", json!("XBTUSD")),
        ("wsname", json!("XBT/USD")),
        ("base", json!("XXBT")),
        ("quote", json!("ZUSD")),
        ("ordermin", json!("0.00005")),
        ("costmin", json!("0.5")),
        ("lot_decimals", json!(8)),
        ("pair_decimals", json!(1)),
        ("tick_size", json!("0.1")),
        ("status", json!("online")),
    ] {
        assert_eq!(btc[field], value, "{field}");
    }
    assert_eq!(result(&all)["XDGUSD"]["base"], "XXDG");
    assert_eq!(result(&all)["XDGUSD"]["pair_decimals"], 7);
    assert_eq!(result(&all)["ADAUSD"]["ordermin"], "5");

    kraken.set_pair_status("SOLUSD", "cancel_only");
    let some = public(
        &kraken,
        "/0/public/AssetPairs",
        &[("pair", "XBTUSD,SOLUSD")],
    )
    .await;
    let mut ids: Vec<&String> = result(&some).as_object().unwrap().keys().collect();
    ids.sort();
    assert_eq!(ids, ["SOLUSD", "XXBTZUSD"]);
    assert_eq!(result(&some)["SOLUSD"]["status"], "cancel_only");
    let unknown = public(&kraken, "/0/public/AssetPairs", &[("pair", "XBTEUR")]).await;
    assert_eq!(unknown, json!({"error": ["EQuery:Unknown asset pair"]}));

    // Ticker: asked by altname, keyed by pair id.
    let ticker = public(&kraken, "/0/public/Ticker", &[("pair", "XBTUSD")]).await;
    let btc = &result(&ticker)["XXBTZUSD"];
    assert_eq!(btc["a"][0], "60010.0");
    assert_eq!(btc["b"][0], "59990.0");
    assert_eq!(btc["c"][0], "60000.0");
    let ticker = public(&kraken, "/0/public/Ticker", &[("pair", "XDGUSD,ADAUSD")]).await;
    assert_eq!(result(&ticker)["XDGUSD"]["a"][0], "0.1501000");
    assert_eq!(result(&ticker)["ADAUSD"]["b"][0], "0.499500");

    // set_ticker changes one pair; remove_ticker takes one away.
    kraken.set_ticker("ETHUSD", "2000.00", "2001.00", "2000.50");
    let ticker = public(&kraken, "/0/public/Ticker", &[]).await;
    assert_eq!(result(&ticker).as_object().unwrap().len(), 5);
    assert_eq!(result(&ticker)["XETHZUSD"]["a"][0], "2001.00");
    kraken.set_ticker("SOLUSD", "171.20", "171.35", "171.30");
    kraken.remove_ticker("XXBTZUSD");
    let ticker = public(&kraken, "/0/public/Ticker", &[("pair", "SOLUSD")]).await;
    assert_eq!(result(&ticker)["SOLUSD"]["a"][0], "171.35");
    let gone = public(&kraken, "/0/public/Ticker", &[("pair", "XXBTZUSD")]).await;
    assert_eq!(gone, json!({"error": ["EQuery:Unknown asset pair"]}));

    let received = kraken.received();
    assert_eq!(received.len(), 11);
    let last = received.last().unwrap();
    assert_eq!(last.path, "/0/public/Ticker");
    assert_eq!(last.method, "GET");
    assert_eq!(last.query.get("pair").map(String::as_str), Some("XXBTZUSD"));
    assert!(!last.had_api_key);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_market_order_fills_at_the_quote_with_the_exact_fee() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);

    let mut params = buy("SOLUSD", "0.6663113");
    params.push(("cl_ord_id", "sol-buy-1"));
    let answer = client.add_order(&params).await;
    let res = result(&answer);
    assert_eq!(
        res["descr"],
        json!({"order": "buy 0.66631130 SOLUSD @ market"})
    );
    let txid = res["txid"][0].as_str().unwrap().to_owned();
    assert!(is_txid(&txid), "{txid}");
    assert_eq!(res["txid"].as_array().unwrap().len(), 1);

    // cost = 0.6663113 × 150.05 (the ask); fee = 0.26 % of it, 8 dp.
    let applied = kraken.applied_orders();
    assert_eq!(applied.len(), 1);
    let order = &applied[0];
    assert_eq!(order.txid, txid);
    assert_eq!(
        (order.pair.as_str(), order.side.as_str()),
        ("SOLUSD", "buy")
    );
    assert_eq!(order.volume, d("0.6663113"));
    assert_eq!(order.price, d("150.05"));
    assert_eq!(order.cost, d("99.980010565"));
    assert_eq!(order.fee, d("0.25994803"));
    assert_eq!(order.cl_ord_id.as_deref(), Some("sol-buy-1"));
    assert_eq!(kraken.orders_for_client_id("sol-buy-1"), 1);
    assert_eq!(kraken.balance("ZUSD"), d("9899.760041405"));
    assert_eq!(kraken.balance("SOL"), d("0.6663113"));

    let balance = client.call("Balance", &[]).await;
    assert_eq!(
        result(&balance),
        &json!({"SOL": "0.6663113000", "ZUSD": "9899.760041405"})
    );
    let balance_ex = client.call("BalanceEx", &[]).await;
    assert_eq!(
        result(&balance_ex),
        &json!({
            "SOL": {"balance": "0.6663113000", "hold_trade": "0.0000000000"},
            "ZUSD": {"balance": "9899.760041405", "hold_trade": "0.0000"},
        })
    );

    // A sell by pair id fills at the bid; the fee comes off the proceeds.
    kraken.set_balance("XXBT", "0.1");
    let answer = client
        .add_order(&[
            ("pair", "XXBTZUSD"),
            ("type", "sell"),
            ("ordertype", "market"),
            ("volume", "0.01"),
        ])
        .await;
    assert_eq!(
        result(&answer)["descr"]["order"],
        "sell 0.01000000 XBTUSD @ market"
    );
    let sell = kraken.applied_orders()[1].clone();
    assert_eq!(
        (sell.price, sell.cost, sell.fee),
        (d("59990.0"), d("599.9"), d("1.55974"))
    );
    assert_eq!(kraken.balance("XXBT"), d("0.09"));
    assert_eq!(kraken.balance("ZUSD"), d("9899.760041405") + d("598.34026"));

    // A fee exactly halfway at the 8th decimal rounds away from zero.
    kraken.set_ticker("ADAUSD", "0.499500", "0.500125", "0.5");
    client.add_order(&buy("ADAUSD", "5.0")).await;
    let ada = kraken.applied_orders()[2].clone();
    // 5 × 0.500125 = 2.500625; × 0.0026 = 0.006501625 → 0.00650163
    assert_eq!((ada.cost, ada.fee), (d("2.500625"), d("0.00650163")));

    let add = kraken.received_on(ADD);
    assert_eq!(add.len(), 3);
    assert!(
        add.iter()
            .all(|r| r.signature_ok && r.had_api_key && r.nonce.is_some())
    );
    assert_eq!(add[0].param("cl_ord_id"), Some("sol-buy-1"));
    assert_eq!(kraken.add_order_attempts(), 3);
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
        .send_signed(ADD, &nonce, &body)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    result(&first);
    let again: Value = client
        .send_signed(ADD, &nonce, &body)
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_found_by_txid_cl_ord_id_and_userref() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    let uuid = "6d1b345e-2821-40e2-ad83-4ecb18a06876";
    let mut first = buy("SOLUSD", "0.5");
    first.push(("cl_ord_id", uuid));
    let a = client.add_order(&first).await;
    let txid_a = result(&a)["txid"][0].as_str().unwrap().to_owned();
    let mut second = buy("XBTUSD", "0.001");
    second.push(("userref", "42"));
    let b = client.add_order(&second).await;
    let txid_b = result(&b)["txid"][0].as_str().unwrap().to_owned();

    let query = client.call("QueryOrders", &[("txid", &txid_a)]).await;
    let mut order = result(&query)[&txid_a].clone();
    let opentm = order["opentm"].as_f64().unwrap();
    let closetm = order["closetm"].as_f64().unwrap();
    assert!(opentm > 1.7e9 && closetm >= opentm, "{order}");
    order["opentm"] = json!(0);
    order["closetm"] = json!(0);
    assert_eq!(
        order,
        json!({
            "refid": null, "userref": null, "cl_ord_id": uuid, "status": "closed",
            "opentm": 0, "closetm": 0, "starttm": 0, "expiretm": 0,
            "descr": {"pair": "SOLUSD", "type": "buy", "ordertype": "market", "price": "0",
                "price2": "0", "leverage": "none", "order": "buy 0.50000000 SOLUSD @ market", "close": ""},
            "vol": "0.50000000", "vol_exec": "0.50000000", "cost": "75.02500", "fee": "0.19506500",
            "price": "150.05", "stopprice": "0.00000", "limitprice": "0.00000", "misc": "",
            "oflags": "fciq", "reason": null,
        })
    );
    let both = client
        .call(
            "QueryOrders",
            &[("txid", &format!("{txid_a},{txid_b}")), ("trades", "true")],
        )
        .await;
    assert_eq!(result(&both).as_object().unwrap().len(), 2);
    assert_eq!(result(&both)[&txid_b]["userref"], 42);
    assert_eq!(result(&both)[&txid_b]["descr"]["pair"], "XBTUSD");
    assert!(is_txid(
        result(&both)[&txid_b]["trades"][0].as_str().unwrap()
    ));

    let unknown = client
        .call("QueryOrders", &[("txid", "OAAAAA-BBBBB-CCCCCC")])
        .await;
    assert_eq!(unknown, json!({"error": [], "result": {}}));
    let missing = client.call("QueryOrders", &[]).await;
    assert_eq!(missing, json!({"error": ["EGeneral:Invalid arguments"]}));
    let malformed = client.call("QueryOrders", &[("txid", "nope")]).await;
    assert_eq!(error(&malformed), Some("EOrder:Invalid order"));

    // A filled market order is never open; it is among the closed ones.
    let open = client.call("OpenOrders", &[("cl_ord_id", uuid)]).await;
    assert_eq!(result(&open), &json!({"open": {}}));
    let closed = client.call("ClosedOrders", &[("cl_ord_id", uuid)]).await;
    assert_eq!(result(&closed)["count"], 1);
    assert_eq!(result(&closed)["closed"][&txid_a]["cl_ord_id"], uuid);
    let by_ref = client.call("ClosedOrders", &[("userref", "42")]).await;
    assert_eq!(result(&by_ref)["count"], 1);
    assert!(result(&by_ref)["closed"][&txid_b].is_object());
    let all = client.call("ClosedOrders", &[]).await;
    assert_eq!(result(&all)["count"], 2);
    let later = client
        .call(
            "ClosedOrders",
            &[("start", &(closetm + 3600.0).to_string())],
        )
        .await;
    assert_eq!(result(&later)["count"], 0);
    let none = client
        .call("ClosedOrders", &[("cl_ord_id", "never-sent")])
        .await;
    assert_eq!(result(&none), &json!({"closed": {}, "count": 0}));

    // A resting order: listed as open, holds funds, blocks its cl_ord_id.
    let resting = kraken.seed_open_order("XBTUSD", "buy", "0.01", "50000.0", Some("resting-1"));
    let open = client
        .call("OpenOrders", &[("cl_ord_id", "resting-1")])
        .await;
    let order = &result(&open)["open"][&resting];
    assert_eq!(order["status"], "open");
    assert_eq!(order["vol_exec"], "0.00000000");
    assert_eq!(order["descr"]["price"], "50000.0");
    assert!(order.get("closetm").is_none());
    let balance_ex = client.call("BalanceEx", &[]).await;
    assert_eq!(result(&balance_ex)["ZUSD"]["hold_trade"], "501.3000");
    let mut dup = buy("SOLUSD", "0.1");
    dup.push(("cl_ord_id", "resting-1"));
    assert_eq!(
        error(&client.add_order(&dup).await),
        Some("EOrder:Duplicate cl_ord_id")
    );
    let cancel = client
        .call("CancelOrder", &[("cl_ord_id", "resting-1")])
        .await;
    assert_eq!(result(&cancel), &json!({"count": 1}));
    let cancel = client.call("CancelOrder", &[("txid", &resting)]).await;
    assert_eq!(error(&cancel), Some("EOrder:Unknown order"));
    let closed = client
        .call("ClosedOrders", &[("cl_ord_id", "resting-1")])
        .await;
    assert_eq!(result(&closed)["closed"][&resting]["status"], "canceled");
    assert_eq!(
        result(&closed)["closed"][&resting]["reason"],
        "User requested"
    );
    // Once closed, the cl_ord_id may be used again.
    result(&client.add_order(&dup).await);
    assert_eq!(kraken.orders_for_client_id("resting-1"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_order_enforces_krakens_rules() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    let in_a_minute = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc3339();
    let a_second_ago = (chrono::Utc::now() - chrono::Duration::seconds(1)).to_rfc3339();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (buy("BTCEUR", "0.1"), "EQuery:Unknown asset pair"),
        (
            vec![("type", "buy"), ("ordertype", "market"), ("volume", "1")],
            "EGeneral:Invalid arguments:pair",
        ),
        (
            vec![
                ("pair", "SOLUSD"),
                ("type", "hold"),
                ("ordertype", "market"),
                ("volume", "1"),
            ],
            "EGeneral:Invalid arguments:type",
        ),
        (
            vec![
                ("pair", "SOLUSD"),
                ("type", "buy"),
                ("ordertype", "limit"),
                ("volume", "1"),
                ("price", "150"),
            ],
            "EGeneral:Invalid arguments:ordertype",
        ),
        (
            vec![("pair", "SOLUSD"), ("type", "buy"), ("volume", "1")],
            "EGeneral:Invalid arguments:ordertype",
        ),
        (
            buy("SOLUSD", "0.123456789"),
            "EGeneral:Invalid arguments:volume",
        ),
        (buy("SOLUSD", "1e1"), "EGeneral:Invalid arguments:volume"),
        (buy("SOLUSD", "-1"), "EGeneral:Invalid arguments:volume"),
        (buy("SOLUSD", "0"), "EGeneral:Invalid arguments:volume"),
        (buy("SOLUSD", "0.05"), "EOrder:Order minimum not met"),
        (buy("XBTUSD", "0.00004"), "EOrder:Order minimum not met"),
        (buy("XDGUSD", "49.99999999"), "EOrder:Order minimum not met"),
        (buy("XBTUSD", "0.2"), "EOrder:Insufficient funds"),
        (
            vec![
                ("pair", "SOLUSD"),
                ("type", "sell"),
                ("ordertype", "market"),
                ("volume", "1"),
            ],
            "EOrder:Insufficient funds",
        ),
        (
            with(
                buy("SOLUSD", "0.1"),
                &[("userref", "1"), ("cl_ord_id", "x")],
            ),
            "EGeneral:Invalid arguments:cl_ord_id",
        ),
        (
            with(
                buy("SOLUSD", "0.1"),
                &[("cl_ord_id", "nineteen-chars-long")],
            ),
            "EGeneral:Invalid arguments:cl_ord_id",
        ),
        (
            with(buy("SOLUSD", "0.1"), &[("userref", "abc")]),
            "EGeneral:Invalid arguments:userref",
        ),
        (
            with(buy("SOLUSD", "0.1"), &[("oflags", "viqc")]),
            "EGeneral:Invalid arguments:oflags",
        ),
        (
            with(buy("SOLUSD", "0.1"), &[("deadline", "soon")]),
            "EGeneral:Invalid arguments:deadline",
        ),
    ];
    for (params, expected) in &cases {
        let answer = client.add_order(params).await;
        assert_eq!(answer, json!({"error": [expected]}), "{params:?}");
    }
    let past = with(buy("SOLUSD", "0.1"), &[("deadline", &a_second_ago)]);
    assert_eq!(
        error(&client.add_order(&past).await),
        Some("EService:Deadline elapsed")
    );

    // Cost minimum: 5 ADA at 0.05 is 0.25 USD < 0.5.
    kraken.set_ticker("ADAUSD", "0.049", "0.05", "0.05");
    assert_eq!(
        error(&client.add_order(&buy("ADAUSD", "5")).await),
        Some("EOrder:Cost minimum not met")
    );

    // Funds must cover cost and fee: 66.5 SOL × 150.05 = 9978.325, + 25.94 fee > 10000.
    assert_eq!(
        error(&client.add_order(&buy("SOLUSD", "66.5")).await),
        Some("EOrder:Insufficient funds")
    );

    // validate: the description, no txid, nothing applied.
    let validated = client
        .add_order(&with(buy("SOLUSD", "0.1"), &[("validate", "true")]))
        .await;
    assert_eq!(
        result(&validated),
        &json!({"descr": {"order": "buy 0.10000000 SOLUSD @ market"}})
    );

    // Market modes.
    kraken.set_pair_status("SOLUSD", "cancel_only");
    assert_eq!(
        error(&client.add_order(&buy("SOLUSD", "0.1")).await),
        Some("EService:Market in cancel_only mode")
    );
    kraken.set_pair_status("SOLUSD", "post_only");
    assert_eq!(
        error(&client.add_order(&buy("SOLUSD", "0.1")).await),
        Some("EService:Market in post_only mode")
    );
    kraken.set_pair_status("SOLUSD", "online");
    for status in ["maintenance", "cancel_only", "post_only"] {
        kraken.set_system_status(status);
        assert_eq!(
            error(&client.add_order(&buy("SOLUSD", "0.1")).await),
            Some("EService:Unavailable")
        );
    }
    kraken.set_system_status("online");

    assert!(kraken.applied_orders().is_empty());
    assert_eq!(kraken.balance("ZUSD"), d("10000"));
    assert_eq!(kraken.add_order_attempts(), cases.len() + 9);

    // The same order within the rules goes through, by altname and with a deadline.
    let ok = with(
        buy("SOLUSD", "66.4"),
        &[("deadline", &in_a_minute), ("cl_ord_id", "fits")],
    );
    result(&client.add_order(&ok).await);
    assert_eq!(kraken.orders_for_client_id("fits"), 1);
}

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
