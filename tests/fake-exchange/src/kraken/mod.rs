//! A faithful local stand-in for Kraken's spot REST API (axum on
//! 127.0.0.1:0), following shared/reference/kraken-api.md.
//!
//! * Public GET `/0/public/{Time,SystemStatus,Assets,AssetPairs,Ticker}`.
//! * Private POST `/0/private/{Balance,BalanceEx,AddOrder,QueryOrders,
//!   OpenOrders,ClosedOrders,CancelOrder}`, form or JSON bodies, `API-Key`
//!   and `API-Sign` checked over the raw body bytes by this module's own
//!   signer ([`kraken_sign`]), strict per-key nonces (window 0).
//! * Market orders fill at once and in full at the ask (buy) or bid (sell),
//!   taker fee 0.26 % of the cost in the quote currency (`fciq`), rounded to
//!   8 dp half away from zero; cost, fee and balances are exact decimals.
//! * Every answer is HTTP 200 with Kraken's envelope, except the injected
//!   HTTP-status faults ([`Fault`]).
//!
//! Tickers: the five default pairs start with default tickers;
//! [`FakeKraken::set_ticker`] changes one, [`FakeKraken::remove_ticker`]
//! removes one (a pair without a ticker answers `EQuery:Unknown asset pair`
//! on Ticker and `EService:Unavailable` on AddOrder).

mod conn;
mod market;
mod orders;
mod server;
mod sign;
mod state;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rust_decimal::Decimal;

pub use sign::{kraken_sign, verify_signature};
use state::{Account, State};

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub method: String,
    pub query: HashMap<String, String>,
    /// Body parameters (form or JSON object), in the order sent.
    pub form: Vec<(String, String)>,
    /// The raw body as text.
    pub body: String,
    pub had_api_key: bool,
    pub api_key: Option<String>,
    /// The body's `nonce`, when present and a valid u64.
    pub nonce: Option<u64>,
    /// `API-Sign` present, key known, and the signature verified.
    pub signature_ok: bool,
}

impl Received {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An AddOrder that changed the book: filled (or seeded open).
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedOrder {
    pub txid: String,
    /// Pair id, e.g. `XXBTZUSD`.
    pub pair: String,
    /// `buy` or `sell`.
    pub side: String,
    pub volume: Decimal,
    /// Fill price (ask for a buy, bid for a sell).
    pub price: Decimal,
    /// volume × price, exact.
    pub cost: Decimal,
    /// Fee in the quote currency, 8 dp.
    pub fee: Decimal,
    pub cl_ord_id: Option<String>,
    pub userref: Option<i64>,
    pub api_key: String,
}

/// Faults for the next AddOrder calls, consumed one per AddOrder request
/// (first in, first out), whatever that request turns out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Authenticates and processes the order as usual (filling it when it
    /// is valid), then closes the TCP connection without writing a single
    /// byte of the answer: the client sees the connection end before any
    /// status line ("connection closed before message completed"), at once
    /// rather than after its timeout.
    LoseAnswerAfterApply,
    /// Answers this HTTP status (a Cloudflare-style HTML body) before
    /// Kraken sees the request: no authentication, nonce not consumed,
    /// nothing applied.
    StatusBeforeApply(u16),
    /// Processes the order as usual (filling it when valid), then answers
    /// this HTTP status instead of the JSON result.
    StatusAfterApply(u16),
    /// Authenticates at once (the nonce is consumed on arrival), then waits
    /// this long before processing, then answers normally. Processing runs
    /// on its own task, so it still happens if the client gave up waiting;
    /// `deadline` is checked when processing starts.
    Delay(Duration),
    /// Authenticates, then answers `{"error":[<this>]}` without applying.
    KrakenError(String),
}

/// Kraken's REST call-counter tiers (max counter, decay per second).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateTier {
    Starter,
    Intermediate,
    Pro,
}

impl RateTier {
    pub fn limits(self) -> (u32, f64) {
        match self {
            RateTier::Starter => (15, 0.33),
            RateTier::Intermediate => (20, 0.5),
            RateTier::Pro => (20, 1.0),
        }
    }
}

pub struct FakeKraken {
    pub url: String,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeKraken {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeKraken {
    /// The default account's public key (send as `API-Key`).
    pub const API_KEY: &'static str = "FAKE-KRAKEN-API-KEY-for-127.0.0.1-tests-only";
    /// The default account's private key, base64 of
    /// `fake-kraken-private-key:127.0.0.1-only:not-a-real-secret!!!!!!!!`.
    pub const PRIVATE_KEY: &'static str =
        "ZmFrZS1rcmFrZW4tcHJpdmF0ZS1rZXk6MTI3LjAuMC4xLW9ubHk6bm90LWEtcmVhbC1zZWNyZXQhISEhISEhIQ==";

    pub async fn start() -> FakeKraken {
        let state = Arc::new(Mutex::new(State::new()));
        let (url, server) = server::spawn(state.clone()).await;
        FakeKraken { url, state, server }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    // ---- market data -------------------------------------------------

    /// Sets one pair's ticker (id or altname), keeping the others.
    pub fn set_ticker(&self, pair: &str, bid: &str, ask: &str, last: &str) {
        self.lock().put_ticker(pair, bid, ask, last);
    }

    /// Removes a pair's ticker: Ticker answers `EQuery:Unknown asset pair`
    /// for it and AddOrder `EService:Unavailable`.
    pub fn remove_ticker(&self, pair: &str) {
        let mut st = self.lock();
        let id = st.pair_id(pair);
        st.tickers.remove(&id);
    }

    /// `online` | `maintenance` | `cancel_only` | `post_only`. AddOrder
    /// answers `EService:Unavailable` unless `online`.
    pub fn set_system_status(&self, status: &str) {
        self.lock().system_status = status.to_owned();
    }

    /// A pair's AssetPairs `status` (`online`, `cancel_only`, `post_only`,
    /// `limit_only`, `reduce_only`, …).
    pub fn set_pair_status(&self, pair: &str, status: &str) {
        let mut st = self.lock();
        let id = st.pair_id(pair);
        let pair = st
            .pairs
            .iter_mut()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("unknown pair {id}"));
        pair.status = status.to_owned();
    }

    /// Overrides the taker fee rate (default 0.0026).
    pub fn set_taker_fee(&self, rate: &str) {
        self.lock().taker_fee = dec(rate);
    }

    // ---- accounts ----------------------------------------------------

    /// Adds another API key with its own account (ZUSD 10000), nonces and
    /// rate counter.
    pub fn add_key(&self, api_key: &str, private_key_b64: &str) {
        self.lock()
            .accounts
            .insert(api_key.to_owned(), Account::new(private_key_b64));
    }

    /// Sets the default account's balance of `asset_id` (e.g. `ZUSD`, `XXBT`, `SOL`).
    pub fn set_balance(&self, asset_id: &str, amount: &str) {
        self.set_balance_for(Self::API_KEY, asset_id, amount);
    }

    pub fn set_balance_for(&self, api_key: &str, asset_id: &str, amount: &str) {
        self.lock()
            .account_mut(api_key)
            .balances
            .insert(asset_id.to_owned(), dec(amount));
    }

    /// The default account's exact balance of `asset_id` (0 when absent).
    pub fn balance(&self, asset_id: &str) -> Decimal {
        self.balance_for(Self::API_KEY, asset_id)
    }

    pub fn balance_for(&self, api_key: &str, asset_id: &str) -> Decimal {
        self.lock().account_mut(api_key).balance(asset_id)
    }

    /// The last nonce accepted for the default key.
    pub fn last_nonce(&self) -> Option<u64> {
        self.lock().account_mut(Self::API_KEY).last_nonce
    }

    /// Puts a resting limit order on the default account's book (status
    /// `open`, nothing executed), e.g. to exercise OpenOrders, CancelOrder
    /// and `EOrder:Duplicate cl_ord_id`. Returns its txid.
    pub fn seed_open_order(
        &self,
        pair: &str,
        side: &str,
        volume: &str,
        limit_price: &str,
        cl_ord_id: Option<&str>,
    ) -> String {
        let mut st = self.lock();
        orders::seed_open(
            &mut st,
            Self::API_KEY,
            pair,
            side,
            volume,
            limit_price,
            cl_ord_id,
        )
    }

    // ---- rate limits -------------------------------------------------

    pub fn set_rate_tier(&self, tier: RateTier) {
        let (max, decay) = tier.limits();
        self.set_rate_limit(max, decay);
    }

    /// Private calls other than AddOrder/CancelOrder add 1 to the key's
    /// counter, which decays by `decay_per_sec`; a call that would take it
    /// past `max` answers `EAPI:Rate limit exceeded` (and adds nothing).
    pub fn set_rate_limit(&self, max: u32, decay_per_sec: f64) {
        let mut st = self.lock();
        st.rate_max = f64::from(max);
        st.rate_decay = decay_per_sec;
    }

    pub fn rate_limit_hits(&self) -> usize {
        self.lock().rate_limit_hits
    }

    // ---- faults ------------------------------------------------------

    /// Queues a fault for the next AddOrder request not yet claimed by
    /// an earlier fault.
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    pub fn inject_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.lock().faults.extend(faults);
    }

    pub fn pending_faults(&self) -> usize {
        self.lock().faults.len()
    }

    // ---- records -----------------------------------------------------

    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// Requests received on one path, e.g. `/0/private/AddOrder`.
    pub fn received_on(&self, path: &str) -> Vec<Received> {
        self.lock()
            .received
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Orders that were filled (or seeded), oldest first.
    pub fn applied_orders(&self) -> Vec<AppliedOrder> {
        self.lock().applied.clone()
    }

    /// How many applied orders carry this `cl_ord_id`.
    pub fn orders_for_client_id(&self, cl_ord_id: &str) -> usize {
        self.lock()
            .applied
            .iter()
            .filter(|o| o.cl_ord_id.as_deref() == Some(cl_ord_id))
            .count()
    }

    /// AddOrder requests received, whatever came of them.
    pub fn add_order_attempts(&self) -> usize {
        self.lock().add_order_attempts
    }

    pub fn nonce_errors(&self) -> usize {
        self.lock().nonce_errors
    }

    pub fn signature_errors(&self) -> usize {
        self.lock().signature_errors
    }

    pub fn key_errors(&self) -> usize {
        self.lock().key_errors
    }

    /// Polls `cond` every 10 ms until it holds (true) or `timeout` passes (false).
    pub async fn wait_until(&self, timeout: Duration, cond: impl Fn(&FakeKraken) -> bool) -> bool {
        let start = std::time::Instant::now();
        loop {
            if cond(self) {
                return true;
            }
            if start.elapsed() > timeout {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("not a decimal: {s:?}: {e}"))
}
