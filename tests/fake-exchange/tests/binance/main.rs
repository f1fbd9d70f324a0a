//! Proves the fake Binance faithful to shared/reference/binance-api.md, with
//! a plain reqwest client and the fake's own signer (not tradehost's).

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod faults;
mod limits;
mod market;
mod orders;
mod queries;
mod signing;

use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::Duration;

use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::Value;

use fake_exchange::binance::{FakeBinance, binance_sign};

const ORDER: &str = "/api/v3/order";

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

/// An HTTP answer: status, headers, body (JSON when it parses).
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
    body: Value,
}

impl Answer {
    async fn read(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            text,
            body,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// `X-MBX-USED-WEIGHT-1M`.
    fn weight(&self) -> Option<u32> {
        self.header("x-mbx-used-weight-1m")
            .map(|v| v.parse().unwrap())
    }

    /// The successful JSON answer.
    #[track_caller]
    fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "{}", self.text);
        &self.body
    }

    /// A `{"code","msg"}` refusal with this HTTP status.
    #[track_caller]
    fn assert_error(&self, status: u16, code: i64, msg: &str) {
        assert_eq!(
            (
                self.status,
                self.body["code"].as_i64(),
                self.body["msg"].as_str()
            ),
            (status, Some(code), Some(msg)),
            "{}",
            self.text
        );
    }

    /// A 400 refusal.
    #[track_caller]
    fn assert_400(&self, code: i64, msg: &str) {
        self.assert_error(400, code, msg);
    }
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn key_set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// A minimal signed Binance client.
struct Client {
    http: reqwest::Client,
    url: String,
    key: String,
    secret: String,
    /// Added to the local clock for `timestamp`.
    skew_ms: i64,
    recv_window: Option<String>,
}

impl Client {
    fn new(fake: &FakeBinance) -> Client {
        Client::with(fake, FakeBinance::API_KEY, FakeBinance::SECRET_KEY, None)
    }

    fn with(fake: &FakeBinance, key: &str, secret: &str, timeout: Option<Duration>) -> Client {
        Client {
            http: http(timeout),
            url: fake.url.clone(),
            key: key.to_owned(),
            secret: secret.to_owned(),
            skew_ms: 0,
            recv_window: None,
        }
    }

    fn timestamp(&self) -> String {
        (chrono::Utc::now().timestamp_millis() + self.skew_ms).to_string()
    }

    /// `params`, `timestamp` (and `recvWindow`), form-encoded, unsigned.
    fn encode(&self, params: &[(&str, &str)]) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.extend_pairs(params);
        if let Some(w) = &self.recv_window {
            s.append_pair("recvWindow", w);
        }
        s.append_pair("timestamp", &self.timestamp());
        s.finish()
    }

    /// `encoded` with its signature appended.
    fn sign(&self, encoded: &str) -> String {
        format!(
            "{encoded}&signature={}",
            binance_sign(&self.secret, encoded)
        )
    }

    /// Sends as is, with the API key header.
    async fn send_raw(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: &str,
    ) -> reqwest::Result<Answer> {
        let mut url = format!("{}{path}", self.url);
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        let mut request = self
            .http
            .request(method, url)
            .header("X-MBX-APIKEY", &self.key);
        if !body.is_empty() {
            request = request
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body.to_owned());
        }
        Ok(Answer::read(request.send().await?).await)
    }

    /// A signed GET, everything in the query.
    async fn get(&self, path: &str, params: &[(&str, &str)]) -> Answer {
        let query = self.sign(&self.encode(params));
        self.send_raw(Method::GET, path, &query, "").await.unwrap()
    }

    /// A signed POST, everything in the form body.
    async fn post(&self, path: &str, params: &[(&str, &str)]) -> Answer {
        let body = self.sign(&self.encode(params));
        self.send_raw(Method::POST, path, "", &body).await.unwrap()
    }

    async fn order(&self, params: &[(&str, &str)]) -> Answer {
        self.post(ORDER, params).await
    }

    /// A public GET.
    async fn public(&self, path: &str, query: &[(&str, &str)]) -> Answer {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .query(query)
            .send()
            .await
            .unwrap();
        Answer::read(response).await
    }
}

/// MARKET BUY by `quoteOrderQty`.
fn buy_quote<'a>(symbol: &'a str, quote: &'a str, client_id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("symbol", symbol),
        ("side", "BUY"),
        ("type", "MARKET"),
        ("quoteOrderQty", quote),
        ("newClientOrderId", client_id),
    ]
}

/// MARKET order by `quantity`.
fn market<'a>(symbol: &'a str, side: &'a str, qty: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("symbol", symbol),
        ("side", side),
        ("type", "MARKET"),
        ("quantity", qty),
    ]
}

fn with<'a>(
    mut base: Vec<(&'a str, &'a str)>,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    base.extend_from_slice(extra);
    base
}
