//! Outbound HTTP on a driver's behalf: the host decides where a request may
//! go, signs it, sends it and caps what comes back. A driver only names a
//! path and parameters; it never sees the base URL's credentials, a header,
//! a socket or a key.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tracing::Instrument;

use crate::credentials::Credentials;
use crate::db::Database;
use crate::exchange::SigningScheme;
use crate::ratelimit::{RestCounter, Tier};
use crate::signing::{NonceSource, kraken_signature};

/// Largest response body handed to a driver.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;
/// Largest request (path + parameters) a driver may ask for.
pub const MAX_REQUEST_BYTES: usize = 64 << 10;

/// Path fragments of endpoints that move money off the exchange or between
/// accounts. Refused whatever a driver declares: tradehost only trades.
const FORBIDDEN_PATH_PARTS: [&str; 6] = [
    "withdraw",
    "deposit",
    "transfer",
    "funding",
    "subaccount",
    "wallet",
];

/// The forbidden fragment a path contains, if any.
pub fn forbidden_part(path: &str) -> Option<&'static str> {
    let lower = path.to_ascii_lowercase();
    FORBIDDEN_PATH_PARTS
        .iter()
        .copied()
        .find(|part| lower.contains(part))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    pub signed: bool,
    /// For public GETs: answer from the per-process cache if this fresh.
    pub cache_for: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// Proven not to have reached the server.
    #[error("request not sent: {0}")]
    NotSent(String),
    /// Sent, but no complete answer came back.
    #[error("no answer: {0}")]
    NoAnswer(String),
    /// Refused by the host's policy.
    #[error("request denied by the host: {0}")]
    Denied(String),
}

pub struct OutboundHttp {
    client: reqwest::Client,
    base_url: String,
    credentials: Option<Arc<Credentials>>,
    nonces: NonceSource,
    /// Where nonces are made durable and shared across processes.
    nonce_store: Option<Database>,
    rest_counter: RestCounter,
    /// Signed requests for one key go out one at a time, so nonces arrive
    /// at the exchange in the order they were issued.
    signed_lane: tokio::sync::Mutex<()>,
    /// The driver's signing scheme and request paths, set once after load.
    declaration: OnceLock<(SigningScheme, Vec<String>)>,
    /// Recent 200 answers to public GETs, by URL path and query.
    cache: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Response)>>,
}

/// Entries kept in the public-response cache.
const CACHE_ENTRIES: usize = 64;

impl OutboundHttp {
    /// `nonce_store` makes nonces strictly increase across processes and
    /// restarts; `tier` sizes the per-key REST call counter.
    pub fn new(
        base_url: &str,
        timeout: Duration,
        credentials: Option<Arc<Credentials>>,
        nonce_store: Option<Database>,
        tier: Tier,
    ) -> Result<OutboundHttp, String> {
        // reqwest is built without a bundled crypto provider; ring is ours.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("tradehost/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(OutboundHttp {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            credentials,
            nonces: NonceSource::default(),
            nonce_store,
            rest_counter: RestCounter::new(tier),
            signed_lane: tokio::sync::Mutex::new(()),
            declaration: OnceLock::new(),
            cache: std::sync::Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// Set once, from the driver's own declaration, after loading it;
    /// later calls change nothing.
    pub fn declare(&self, signing: SigningScheme, paths: Vec<String>) {
        let _ = self.declaration.set((signing, paths));
    }

    fn signing(&self) -> SigningScheme {
        self.declaration
            .get()
            .map(|(signing, _)| *signing)
            .unwrap_or(SigningScheme::None)
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Checks a request against the policy without sending it.
    pub fn check(&self, request: &Request) -> Result<(), HttpError> {
        let path = &request.path;
        let size = path.len()
            + request
                .query
                .iter()
                .chain(&request.form)
                .map(|(k, v)| k.len() + v.len() + 2)
                .sum::<usize>();
        if size > MAX_REQUEST_BYTES {
            return Err(HttpError::Denied(format!(
                "request of {size} bytes exceeds {MAX_REQUEST_BYTES}"
            )));
        }
        if !path.starts_with('/')
            || path.contains("..")
            || path.contains("//")
            || !path.bytes().all(|b| b.is_ascii_graphic())
            || path.contains(['?', '#', '%', '\\', '@'])
        {
            return Err(HttpError::Denied(format!("malformed path {path:?}")));
        }
        let lower = path.to_ascii_lowercase();
        if let Some(part) = FORBIDDEN_PATH_PARTS
            .iter()
            .find(|part| lower.contains(*part))
        {
            return Err(HttpError::Denied(format!(
                "path {path:?} is a {part} endpoint; tradehost never calls those"
            )));
        }
        let declared = self
            .declaration
            .get()
            .map(|(_, paths)| paths.as_slice())
            .unwrap_or_default();
        if !declared.iter().any(|declared| declared == path) {
            return Err(HttpError::Denied(format!(
                "path {path:?} is not among the driver's declared request paths"
            )));
        }
        if request.method == Method::Get && !request.form.is_empty() {
            return Err(HttpError::Denied(
                "a GET request cannot carry a form body".to_owned(),
            ));
        }
        if request.signed {
            if request.method != Method::Post {
                return Err(HttpError::Denied("signed requests must be POST".to_owned()));
            }
            if self.signing() == SigningScheme::None {
                return Err(HttpError::Denied(
                    "this driver declared no signing scheme".to_owned(),
                ));
            }
            if self.credentials.is_none() {
                return Err(HttpError::Denied(
                    "no exchange credentials are configured".to_owned(),
                ));
            }
            if request.form.iter().any(|(k, _)| k == "nonce") {
                return Err(HttpError::Denied(
                    "the nonce is the host's to set".to_owned(),
                ));
            }
        }
        Ok(())
    }

    pub async fn send(&self, request: Request) -> Result<Response, HttpError> {
        self.check(&request)?;
        let span = tracing::info_span!("http.send", path = %request.path, signed = request.signed, status = tracing::field::Empty);
        async move {
            let result = if request.signed {
                self.send_signed(&request).await
            } else {
                self.send_public(&request).await
            };
            match &result {
                Ok(response) => {
                    tracing::Span::current().record("status", response.status);
                }
                Err(err) => tracing::warn!(error = %err, "request failed"),
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn send_public(&self, request: &Request) -> Result<Response, HttpError> {
        let cacheable = request.method == Method::Get && !request.cache_for.is_zero();
        let key = format!("{}?{}", request.path, encode(&request.query));
        if cacheable {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, response)) = cache.get(&key) {
                if at.elapsed() <= request.cache_for {
                    return Ok(response.clone());
                }
            }
        }
        let response = self.fetch_public(request).await?;
        if cacheable && response.status == 200 {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(key, (std::time::Instant::now(), response.clone()));
        }
        Ok(response)
    }

    async fn fetch_public(&self, request: &Request) -> Result<Response, HttpError> {
        let url = format!("{}{}", self.base_url, request.path);
        let builder = match request.method {
            Method::Get => self.client.get(url),
            Method::Post => self
                .client
                .post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(encode(&request.form)),
        };
        receive(builder.query(&request.query).send().await).await
    }

    async fn send_signed(&self, request: &Request) -> Result<Response, HttpError> {
        let Some(credentials) = &self.credentials else {
            return Err(HttpError::Denied(
                "no exchange credentials are configured".to_owned(),
            ));
        };
        self.rest_counter.acquire(&request.path).await;
        let _lane = self.signed_lane.lock().await;
        let nonce = match &self.nonce_store {
            Some(db) => db
                .next_nonce(&credentials.key_id(), self.nonces.next())
                .await
                .map_err(|e| {
                    HttpError::NotSent(format!("no nonce could be reserved: {}", e.message))
                })?,
            None => self.nonces.next(),
        };
        let mut form = Vec::with_capacity(request.form.len() + 1);
        form.push(("nonce".to_owned(), nonce.to_string()));
        form.extend(request.form.iter().cloned());
        let body = encode(&form);
        let signature = match self.signing() {
            SigningScheme::KrakenHmacSha512 => {
                kraken_signature(credentials.private_key(), &request.path, nonce, &body)
            }
            SigningScheme::None => {
                return Err(HttpError::Denied(
                    "this driver declared no signing scheme".to_owned(),
                ));
            }
        };
        let sent = self
            .client
            .post(format!("{}{}", self.base_url, request.path))
            .query(&request.query)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("API-Key", credentials.api_key())
            .header("API-Sign", signature)
            .body(body)
            .send()
            .await;
        receive(sent).await
    }
}

fn encode(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn receive(sent: Result<reqwest::Response, reqwest::Error>) -> Result<Response, HttpError> {
    let mut response = sent.map_err(classify)?;
    let status = response.status().as_u16();
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
    Ok(Response { status, body })
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

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn http(credentials: bool, signing: SigningScheme) -> OutboundHttp {
        let creds = credentials.then(|| {
            Arc::new(
                Credentials::from_values(
                    Some("key".into()),
                    Some(base64::engine::general_purpose::STANDARD.encode(b"secret")),
                )
                .unwrap(),
            )
        });
        let http = OutboundHttp::new(
            "http://127.0.0.1:9",
            Duration::from_secs(1),
            creds,
            None,
            Tier::STARTER,
        )
        .unwrap();
        http.declare(
            signing,
            vec![
                "/0/public/Ticker".into(),
                "/0/private/AddOrder".into(),
                "/0/private/Withdraw".into(),
            ],
        );
        http
    }

    fn request(path: &str, signed: bool) -> Request {
        Request {
            method: if signed { Method::Post } else { Method::Get },
            path: path.into(),
            query: vec![],
            form: vec![],
            signed,
            cache_for: Duration::ZERO,
        }
    }

    fn denied(result: Result<(), HttpError>) -> String {
        match result {
            Err(HttpError::Denied(why)) => why,
            other => panic!("expected a denial, got {other:?}"),
        }
    }

    #[test]
    fn only_declared_paths_go_out() {
        let http = http(true, SigningScheme::KrakenHmacSha512);
        assert!(http.check(&request("/0/public/Ticker", false)).is_ok());
        assert!(http.check(&request("/0/private/AddOrder", true)).is_ok());
        assert!(denied(http.check(&request("/0/public/Assets", false))).contains("declared"));
        for path in [
            "/0/public/../private/AddOrder",
            "0/public/Ticker",
            "/0/public/Ticker?x=1",
            "//evil.example/x",
            "/0/public/Tick%65r",
        ] {
            denied(http.check(&request(path, false)));
        }
    }

    #[test]
    fn funding_endpoints_are_refused_even_when_declared() {
        let http = http(true, SigningScheme::KrakenHmacSha512);
        assert!(denied(http.check(&request("/0/private/Withdraw", true))).contains("withdraw"));
    }

    #[test]
    fn signing_needs_a_scheme_credentials_and_a_host_nonce() {
        assert!(
            denied(
                http(false, SigningScheme::KrakenHmacSha512)
                    .check(&request("/0/private/AddOrder", true))
            )
            .contains("credentials")
        );
        assert!(
            denied(http(true, SigningScheme::None).check(&request("/0/private/AddOrder", true)))
                .contains("signing")
        );
        let mut with_nonce = request("/0/private/AddOrder", true);
        with_nonce.form.push(("nonce".into(), "1".into()));
        assert!(
            denied(http(true, SigningScheme::KrakenHmacSha512).check(&with_nonce))
                .contains("nonce")
        );
    }

    #[test]
    fn an_undeclared_driver_can_send_nothing() {
        let http = OutboundHttp::new(
            "http://127.0.0.1:9",
            Duration::from_secs(1),
            None,
            None,
            Tier::STARTER,
        )
        .unwrap();
        denied(http.check(&request("/0/public/Ticker", false)));
    }

    #[test]
    fn oversized_requests_are_refused() {
        let http = http(true, SigningScheme::KrakenHmacSha512);
        let mut big = request("/0/public/Ticker", false);
        big.query
            .push(("pair".into(), "X".repeat(MAX_REQUEST_BYTES)));
        assert!(denied(http.check(&big)).contains("exceeds"));
    }

    #[tokio::test]
    async fn a_refused_connection_is_proven_not_sent() {
        // Port 9 (discard) on loopback: nothing listens there.
        let result = http(false, SigningScheme::None)
            .send(request("/0/public/Ticker", false))
            .await;
        assert!(matches!(result, Err(HttpError::NotSent(_))), "{result:?}");
    }
}
