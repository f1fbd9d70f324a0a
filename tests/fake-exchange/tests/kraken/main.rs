//! Proves the fake Kraken faithful to shared/reference/kraken-api.md, with a
//! plain reqwest client and the fake's own signer (not tradehost's).

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod binary;
mod execution;
mod faults;
mod fees;
mod history;
mod hold;
mod market;
mod orders;
mod reads;
mod signing;

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use fake_exchange::kraken::{FakeKraken, kraken_sign};

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
        Client::at(&kraken.url, key, secret_b64, timeout)
    }

    /// A client of the fake served at `url`.
    fn at(url: &str, key: &str, secret_b64: &str, timeout: Option<Duration>) -> Client {
        Client {
            http: http(timeout),
            url: url.to_owned(),
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

fn sell(pair: &'static str, volume: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("pair", pair),
        ("type", "sell"),
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
