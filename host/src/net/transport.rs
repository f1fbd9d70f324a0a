//! The one HTTP client: sends what the signer built, caps what comes back,
//! and tells "never sent" from "no answer".

use std::time::Duration;

use super::request::{HttpError, Response};

/// Largest response body handed to a driver.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// A request ready to go: URL with its query, headers, body.
pub struct Outgoing {
    pub post: bool,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
}

pub struct Transport {
    client: reqwest::Client,
}

impl Transport {
    pub fn new(timeout: Duration) -> Result<Transport, String> {
        // reqwest is built without a bundled crypto provider; ring is ours.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("tradehost/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Transport { client })
    }

    pub async fn send(&self, outgoing: Outgoing) -> Result<Response, HttpError> {
        let mut builder = if outgoing.post {
            self.client
                .post(&outgoing.url)
                .header("Content-Type", "application/x-www-form-urlencoded")
        } else {
            self.client.get(&outgoing.url)
        };
        for (name, value) in outgoing.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = outgoing.body {
            builder = builder.body(body);
        }
        receive(builder.send().await).await
    }
}

fn header_number<T: std::str::FromStr>(response: &reqwest::Response, name: &str) -> Option<T> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

async fn receive(sent: Result<reqwest::Response, reqwest::Error>) -> Result<Response, HttpError> {
    let mut response = sent.map_err(classify)?;
    let status = response.status().as_u16();
    let retry_after = header_number(&response, "retry-after");
    let used_weight = header_number(&response, "x-mbx-used-weight-1m");
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(HttpError::NoAnswer(format!(
                "response larger than {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    let body = String::from_utf8(body)
        .map_err(|_| HttpError::NoAnswer("response body is not UTF-8".to_owned()))?;
    Ok(Response {
        status,
        body,
        retry_after,
        used_weight,
    })
}

/// Only a failure to connect proves the request never left; anything after
/// that (timeout, reset, truncated body) may have reached the exchange.
/// reqwest's errors carry the URL, which is not secret; headers never appear.
fn classify(err: reqwest::Error) -> HttpError {
    let (connect, builder) = (err.is_connect(), err.is_builder());
    let text = err.without_url().to_string();
    if connect {
        HttpError::NotSent(text)
    } else if builder {
        HttpError::Denied(text)
    } else {
        HttpError::NoAnswer(text)
    }
}
