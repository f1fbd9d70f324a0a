//! Outbound HTTP on a driver's behalf. The host decides where a request may
//! go (the profile's allow-list, among the paths the driver declared),
//! bounds the one order a `place-market-order` call may send to the order
//! the host reserved, signs it, keeps under the exchange's rate limits,
//! sends it and caps what comes back. A driver only names a path and
//! parameters; it never sees the base URL's credentials, a header, a socket
//! or a key.
//!
//! Parts: `policy` (allow-list), `signer` (keys and nonces, over a
//! `NonceStore`), `transport` (the HTTP client), `limits`, `cache`.

mod cache;
mod limits;
mod policy;
mod request;
mod signer;
mod transport;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tracing::Instrument;

use crate::profile::{
    Endpoint, MarketRef, Observations, OrderAnswer, OrderPermit, OrderSize, Profile, Purpose,
    Quote, check_order,
};
pub use limits::{CounterLimits, PublicRate, RestCounter};
pub use policy::MAX_REQUEST_BYTES;
pub use request::{HttpError, Method, Request, Response};
pub use signer::{NonceSource, NonceStore, Signer};
pub use transport::MAX_RESPONSE_BYTES;

use cache::ResponseCache;
use limits::{Backoff, PauseReason, PublicLimiter};
use transport::{Outgoing, Transport};

/// How the network layer is set up for a process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetSettings {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Host-side rate limits; off only against a local fake.
    pub limits: bool,
    /// The account's own call-counter size, else the profile's default.
    pub counter: Option<CounterLimits>,
    /// The operator's public-request budget, else the profile's.
    pub public_rate: Option<PublicRate>,
}

/// What the host binds the network to once the driver has said who it is:
/// the profile its signing scheme names, the paths it declared, the base
/// URL the operator chose, and the signer when there are credentials.
pub struct Binding {
    /// The exchange profile the driver's signing scheme names.
    pub profile: Arc<dyn Profile>,
    /// The paths the driver declared; the profile narrows them further.
    pub declared: Vec<String>,
    /// Where requests go: the operator's choice, else the profile's.
    pub base_url: String,
    /// Signs private requests; none without credentials.
    pub signer: Option<Signer>,
}

/// The only code that sends requests for a driver: policy, signing, rate
/// limits, caching and size caps in one place. One per loaded driver.
pub struct Outbound {
    transport: Transport,
    binding: OnceLock<Bound>,
    cache: ResponseCache,
    observations: Mutex<Observations>,
    settings: NetSettings,
    backoff: Backoff,
}

/// The binding with the rate limiters made for it, published together so
/// that a send never sees a binding without its limiters.
struct Bound {
    binding: Binding,
    /// From the settings and the profile; none when limits are off.
    private: Option<RestCounter>,
    public: Option<PublicLimiter>,
}

impl Outbound {
    /// An unbound network layer: nothing is sent until `bind`. Fails only if
    /// the HTTP client cannot be built.
    pub fn new(settings: &NetSettings) -> Result<Outbound, String> {
        Ok(Outbound {
            transport: Transport::new(settings.timeout)?,
            binding: OnceLock::new(),
            cache: ResponseCache::default(),
            observations: Mutex::new(Observations::default()),
            settings: *settings,
            backoff: Backoff::default(),
        })
    }

    /// Binds the network to the loaded driver; set once, later calls
    /// change nothing. Until then nothing is sent for the driver.
    pub fn bind(&self, binding: Binding) {
        let limits = self.settings.limits;
        let counter = binding
            .profile
            .call_counter()
            .map(|default| self.settings.counter.unwrap_or(default));
        let public = self
            .settings
            .public_rate
            .unwrap_or_else(|| binding.profile.public_rate());
        let _ = self.binding.set(Bound {
            binding,
            private: counter.filter(|_| limits).map(RestCounter::new),
            public: limits.then(|| PublicLimiter::new(public)),
        });
    }

    /// The bound profile, once bound.
    pub fn profile(&self) -> Option<&Arc<dyn Profile>> {
        self.binding.get().map(|b| &b.binding.profile)
    }

    /// The bound base URL, once bound.
    pub fn base_url(&self) -> Option<&str> {
        self.binding.get().map(|b| b.binding.base_url.as_str())
    }

    fn bound(&self) -> Result<&Binding, HttpError> {
        self.binding.get().map(|b| &b.binding).ok_or_else(|| {
            HttpError::Denied("the driver has not been bound to an exchange profile yet".to_owned())
        })
    }

    /// Sends a driver's request. `permit` is given only inside
    /// `place-market-order`: it is the one order that call may place.
    pub async fn send(
        &self,
        request: Request,
        permit: Option<&OrderPermit>,
    ) -> Result<Response, HttpError> {
        let binding = self.bound()?;
        let endpoint = match policy::check(&*binding.profile, &binding.declared, &request) {
            Ok(endpoint) => endpoint,
            Err(HttpError::Denied(why)) => {
                // An order request refused by policy spends the permit: the
                // call may not try another, and the rule is what it failed.
                if let Some(permit) = permit.filter(|p| p.unused())
                    && binding.profile.is_order_path(request.method, &request.path)
                {
                    permit.refuse(format!("order refused by the host: {why}"));
                }
                return Err(HttpError::Denied(why));
            }
            Err(err) => return Err(err),
        };
        if endpoint.purpose == Purpose::PlaceOrder {
            return self.place(binding, endpoint, &request, permit).await;
        }
        self.exchange(binding, endpoint, &request, None).await
    }

    /// The exchange's clock, read by the host itself.
    pub async fn server_time(&self) -> Result<chrono::DateTime<chrono::Utc>, HttpError> {
        let binding = self.bound()?;
        let request = binding.profile.time_request();
        let response = self.host_fetch(binding, &request).await?;
        if response.status != 200 {
            return Err(HttpError::NoAnswer(format!(
                "the exchange's clock answered HTTP {}",
                response.status
            )));
        }
        binding.profile.parse_time(&response.body).ok_or_else(|| {
            HttpError::NoAnswer("the exchange's clock answer is unreadable".to_owned())
        })
    }

    async fn place(
        &self,
        binding: &Binding,
        endpoint: &'static Endpoint,
        request: &Request,
        permit: Option<&OrderPermit>,
    ) -> Result<Response, HttpError> {
        let Some(permit) = permit else {
            return Err(HttpError::Denied(
                "orders are placed only by place-market-order, for the order the host reserved"
                    .to_owned(),
            ));
        };
        if !permit.unused() {
            return Err(HttpError::Denied(
                "place-market-order may send one order request, and it was sent or refused"
                    .to_owned(),
            ));
        }
        if let Err(rule) = self.check_order(binding, request, permit).await {
            let rule = format!("order refused by the host: {rule}");
            permit.refuse(rule.clone());
            return Err(HttpError::Denied(rule));
        }
        // Binance executes an order no later than its receive window: the
        // host's deadline, as the window.
        let window = permit
            .intent()
            .deadline
            .and_then(|d| (d - chrono::Utc::now()).to_std().ok());
        permit.sending();
        let result = self.exchange(binding, endpoint, request, window).await;
        permit.sent(match &result {
            Ok(response) => binding
                .profile
                .decode_order_answer(response.status, &response.body),
            Err(HttpError::NoAnswer(why)) => OrderAnswer::Unclear(why.clone()),
            Err(HttpError::NotSent(why) | HttpError::Denied(why)) => {
                OrderAnswer::NotSent(why.clone())
            }
        });
        result
    }

    /// Whether `request` is exactly the permitted order, by what the host
    /// itself read from the exchange. Returns the rule broken.
    async fn check_order(
        &self,
        binding: &Binding,
        request: &Request,
        permit: &OrderPermit,
    ) -> Result<(), String> {
        let decoded = binding.profile.decode_order(request)?;
        let market = self.market_named(binding, &decoded.pair).await?;
        let price = match decoded.size {
            OrderSize::Base(_) if permit.intent().side == crate::exchange::Side::Buy => {
                self.price_of(binding, &market.pair_id).await
            }
            _ => None,
        };
        check_order(
            permit.intent(),
            &decoded,
            &market,
            price,
            permit.slippage_margin(),
            binding.profile.order_carries_deadline(),
        )
    }

    fn observations(&self) -> std::sync::MutexGuard<'_, Observations> {
        self.observations.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The market an exchange name stands for, from the exchange's own
    /// reference data (read by the host if it has not seen it yet).
    async fn market_named(&self, binding: &Binding, name: &str) -> Result<MarketRef, String> {
        if let Some(market) = self.observations().market_named(name) {
            return Ok(market.clone());
        }
        let request = binding.profile.markets_request(name);
        self.host_fetch(binding, &request)
            .await
            .map_err(|e| format!("the host could not read the exchange's markets: {e}"))?;
        self.observations()
            .market_named(name)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "{} is not a market the exchange lists",
                    crate::text::untrusted(name, 40)
                )
            })
    }

    /// A recent price of the market, read by the host if it has none.
    async fn price_of(&self, binding: &Binding, pair_id: &str) -> Option<Quote> {
        if let Some(quote) = self.observations().fresh_price(pair_id) {
            return Some(quote);
        }
        let request = binding.profile.price_request(pair_id);
        self.host_fetch(binding, &request).await.ok()?;
        self.observations().fresh_price(pair_id)
    }

    /// A public request the host makes itself, through the same limits,
    /// cache and observation as a driver's.
    async fn host_fetch(
        &self,
        binding: &Binding,
        request: &Request,
    ) -> Result<Response, HttpError> {
        let endpoint = binding
            .profile
            .endpoint(request.method, &request.path)
            .ok_or_else(|| HttpError::Denied(format!("{} is not in the profile", request.path)))?;
        self.exchange(binding, endpoint, request, None).await
    }

    async fn exchange(
        &self,
        binding: &Binding,
        endpoint: &'static Endpoint,
        request: &Request,
        recv_window: Option<Duration>,
    ) -> Result<Response, HttpError> {
        let span = tracing::info_span!("http.send", path = %request.path, signed = request.signed, status = tracing::field::Empty);
        async move {
            if let Some((left, why)) = self.backoff.remaining() {
                return Err(HttpError::NotSent(format!(
                    "{why}: the host sends nothing to it for {left} more seconds"
                )));
            }
            let result = if request.signed {
                self.send_signed(binding, request, recv_window).await
            } else {
                self.send_public(binding, endpoint, request).await
            };
            match &result {
                Ok(response) => {
                    tracing::Span::current().record("status", response.status);
                    if matches!(response.status, 418 | 429) {
                        self.backoff.pause_for(response.retry_after.unwrap_or(60));
                    }
                    self.mind_the_weight(binding, response);
                }
                Err(err) => tracing::warn!(error = %err, "request failed"),
            }
            result
        }
        .instrument(span)
        .await
    }

    /// Pauses sending until the minute turns once the exchange reports 90 %
    /// of its per-minute request weight used, so the host never trips the
    /// limit (a 429, then an IP ban). The budget is what the exchange's
    /// reference data says, else the profile's default.
    fn mind_the_weight(&self, binding: &Binding, response: &Response) {
        let Some(used) = response.used_weight else {
            return;
        };
        let Some(budget) = self
            .observations()
            .weight_per_minute()
            .or(binding.profile.weight_per_minute())
        else {
            return;
        };
        if limits::weight_nearly_spent(used, budget) {
            let pause = limits::until_the_minute_turns(std::time::SystemTime::now());
            tracing::warn!(
                used,
                budget,
                pause_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
                "request weight nearly spent; pausing until the minute turns"
            );
            self.backoff.pause(pause, PauseReason::WeightBudget);
        }
    }

    async fn send_public(
        &self,
        binding: &Binding,
        endpoint: &'static Endpoint,
        request: &Request,
    ) -> Result<Response, HttpError> {
        let fresh = request.cache_for.min(endpoint.max_cache);
        if let Some(cached) = self.cache.get(request, fresh) {
            return Ok(cached);
        }
        if let Some(public) = self.binding.get().and_then(|b| b.public.as_ref()) {
            public.acquire().await;
        }
        let post = request.method == Method::Post;
        let response = self
            .transport
            .send(Outgoing {
                post,
                url: signer::url(&binding.base_url, &request.path, &request.query),
                headers: Vec::new(),
                body: post.then(|| request::encode(&request.form)),
            })
            .await?;
        if response.status == 200 {
            if !fresh.is_zero() {
                self.cache.put(request, &response);
            }
            if matches!(endpoint.purpose, Purpose::Markets | Purpose::Prices) {
                binding.profile.observe(
                    endpoint,
                    request,
                    &response.body,
                    &mut self.observations(),
                );
            }
        }
        Ok(response)
    }

    async fn send_signed(
        &self,
        binding: &Binding,
        request: &Request,
        recv_window: Option<Duration>,
    ) -> Result<Response, HttpError> {
        let Some(signer) = &binding.signer else {
            return Err(HttpError::Denied(
                "no exchange credentials are configured".to_owned(),
            ));
        };
        if let Some(counter) = self.binding.get().and_then(|b| b.private.as_ref()) {
            counter
                .acquire(binding.profile.private_cost(&request.path))
                .await;
        }
        let _lane = signer.lane().await;
        let outgoing = signer.sign(&binding.base_url, request, recv_window).await?;
        self.transport.send(outgoing).await
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_binance;
