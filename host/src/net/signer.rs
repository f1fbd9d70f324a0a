//! Signing a driver's private request with the operator's key: the only
//! code that reads key material (with `signing` and `credentials`).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::request::{HttpError, Request, encode};
use super::transport::Outgoing;
use crate::credentials::Credentials;
use crate::profile::SignStyle;
use crate::profile::binance::signing::binance_signature;
use crate::profile::kraken::signing::kraken_signature;

/// Where nonces are made durable and shared across processes and hosts
/// (the trade database implements it).
pub trait NonceStore: Send + Sync {
    /// A nonce for `key_id` greater than any handed out before: `candidate`
    /// (the local clock) if it is ahead, else the last one + 1.
    fn next_nonce<'a>(
        &'a self,
        key_id: &'a str,
        candidate: u64,
    ) -> Pin<Box<dyn Future<Output = Result<u64, String>> + Send + 'a>>;
}

/// Strictly increasing local nonces (microseconds since the epoch, bumped
/// past the last one issued), so two requests in one microsecond differ.
#[derive(Debug, Default)]
pub struct NonceSource {
    last: Mutex<u64>,
}

impl NonceSource {
    /// The next nonce: now in microseconds, or one past the last, whichever is
    /// greater.
    pub fn next(&self) -> u64 {
        let now = micros_now();
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        *last = now.max(last.saturating_add(1));
        *last
    }
}

fn micros_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Binance's default receive window; an order's follows its deadline.
pub const DEFAULT_RECV_WINDOW: Duration = Duration::from_secs(5);
const MAX_RECV_WINDOW: Duration = Duration::from_secs(60);

/// Signs a driver's private requests with the operator's credentials, in
/// the profile's style; nonce-signed ones go out one at a time (`lane`).
pub struct Signer {
    style: SignStyle,
    credentials: Arc<Credentials>,
    nonces: Option<Arc<dyn NonceStore>>,
    local: NonceSource,
    /// Nonce-signed requests for one key go out one at a time, so nonces
    /// arrive at the exchange in the order they were issued.
    lane: tokio::sync::Mutex<()>,
}

impl Signer {
    /// A signer for these credentials; nonces kept durable in `nonces` when
    /// given, else only locally.
    pub fn new(
        style: SignStyle,
        credentials: Arc<Credentials>,
        nonces: Option<Arc<dyn NonceStore>>,
    ) -> Signer {
        Signer {
            style,
            credentials,
            nonces,
            local: NonceSource::default(),
            lane: tokio::sync::Mutex::new(()),
        }
    }

    /// Held while a signed request is built, sent and answered, for a
    /// signature with a nonce: the exchange refuses a nonce below one it
    /// has seen, so requests must arrive in the order they were signed.
    /// A timestamped signature (Binance) needs no order: no lane.
    pub async fn lane(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.style {
            SignStyle::KrakenNonce => Some(self.lane.lock().await),
            SignStyle::BinanceTimestamp => None,
        }
    }

    /// The request signed, ready for the transport. `recv_window` bounds
    /// how late Binance may still execute it.
    pub async fn sign(
        &self,
        base_url: &str,
        request: &Request,
        recv_window: Option<Duration>,
    ) -> Result<Outgoing, HttpError> {
        match self.style {
            SignStyle::KrakenNonce => self.kraken(base_url, request).await,
            SignStyle::BinanceTimestamp => Ok(self.binance(base_url, request, recv_window)),
        }
    }

    async fn kraken(&self, base_url: &str, request: &Request) -> Result<Outgoing, HttpError> {
        let candidate = self.local.next();
        let nonce = match &self.nonces {
            Some(store) => store
                .next_nonce(&self.credentials.key_id(), candidate)
                .await
                .map_err(|e| HttpError::NotSent(format!("no nonce could be reserved: {e}")))?,
            None => candidate,
        };
        let mut form = Vec::with_capacity(request.form.len() + 1);
        form.push(("nonce".to_owned(), nonce.to_string()));
        form.extend(request.form.iter().cloned());
        let body = encode(&form);
        let signature = kraken_signature(self.credentials.secret(), &request.path, nonce, &body);
        Ok(Outgoing {
            post: true,
            url: url(base_url, &request.path, &request.query),
            headers: vec![
                ("API-Key", self.credentials.api_key().to_owned()),
                ("API-Sign", signature),
            ],
            body: Some(body),
        })
    }

    fn binance(
        &self,
        base_url: &str,
        request: &Request,
        recv_window: Option<Duration>,
    ) -> Outgoing {
        let window = recv_window
            .unwrap_or(DEFAULT_RECV_WINDOW)
            .clamp(Duration::from_secs(1), MAX_RECV_WINDOW);
        let timing = [
            ("timestamp".to_owned(), (micros_now() / 1000).to_string()),
            ("recvWindow".to_owned(), window.as_millis().to_string()),
        ];
        let post = request.method == super::Method::Post;
        let (mut query, mut form) = (request.query.clone(), request.form.clone());
        if post { &mut form } else { &mut query }.extend(timing);
        let (query_text, body) = (encode(&query), encode(&form));
        let signature =
            binance_signature(self.credentials.secret(), &format!("{query_text}{body}"));
        let signature = ("signature".to_owned(), signature);
        if post {
            form.push(signature);
        } else {
            query.push(signature);
        }
        Outgoing {
            post,
            url: url(base_url, &request.path, &query),
            headers: vec![("X-MBX-APIKEY", self.credentials.api_key().to_owned())],
            body: post.then(|| encode(&form)),
        }
    }
}

/// `base_url` + `path`, with the query string if any.
pub fn url(base_url: &str, path: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        format!("{base_url}{path}")
    } else {
        format!("{base_url}{path}?{}", encode(query))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_nonces_strictly_increase() {
        let source = NonceSource::default();
        let mut previous = 0;
        for _ in 0..10_000 {
            let n = source.next();
            assert!(n > previous);
            previous = n;
        }
    }

    #[tokio::test]
    async fn only_a_nonce_signature_queues_requests() {
        let credentials = || {
            Arc::new(
                Credentials::for_profile(
                    crate::profile::kraken::CREDENTIALS,
                    Some("key".into()),
                    Some("c2VjcmV0".into()),
                )
                .expect("credentials"),
            )
        };
        let kraken = Signer::new(SignStyle::KrakenNonce, credentials(), None);
        let held = kraken.lane().await;
        assert!(held.is_some());
        let second =
            tokio::time::timeout(std::time::Duration::from_millis(20), kraken.lane()).await;
        assert!(
            second.is_err(),
            "a second Kraken request waits for the first"
        );
        drop(held);
        let binance = Signer::new(SignStyle::BinanceTimestamp, credentials(), None);
        let (a, b) = (binance.lane().await, binance.lane().await);
        assert!(
            a.is_none() && b.is_none(),
            "Binance requests go side by side"
        );
    }
}
