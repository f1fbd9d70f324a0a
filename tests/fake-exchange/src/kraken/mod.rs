//! A faithful local stand-in for Kraken's spot REST API (axum on
//! 127.0.0.1), following shared/reference/kraken-api.md.
//!
//! * Public GET `/0/public/{Time,SystemStatus,Assets,AssetPairs,Ticker}`.
//! * Private POST `/0/private/{Balance,BalanceEx,AddOrder,QueryOrders,
//!   OpenOrders,ClosedOrders,CancelOrder}`, form or JSON bodies, `API-Key`
//!   and `API-Sign` checked over the raw body bytes by this module's own
//!   signer ([`kraken_sign`]), strict per-key nonces (window 0).
//! * Every answer is HTTP 200 with Kraken's envelope, except the injected
//!   HTTP-status faults ([`Fault`]).
//!
//! Market orders execute as an [`Execution`] says: the next one queued by
//! [`FakeKraken::queue_execution`] (any pair, first in first out), else the
//! pair's default ([`FakeKraken::set_execution`]), else
//! [`Execution::default`] — one trade at the ask (buy) or bid (sell), in
//! full. An execution may spread the order over several trades whose prices
//! step from the quote to the quote moved `slippage_bps` against the taker
//! (each rounded to `pair_decimals`), and may fill only a share of it
//! (rounded down to `lot_decimals`): the rest is canceled, the order is
//! `canceled` with `reason` "Insufficient liquidity" and `misc` "partial"
//! (an order that fills nothing is `canceled` with `vol_exec` 0 and moves
//! nothing). Reported numbers are Kraken's: `price` is the volume-weighted
//! average rounded to `pair_decimals`, `cost` the exact Σ volume × price
//! **truncated** to `cost_decimals` (so cost / vol_exec need not equal
//! `price`), and balances move by that cost and the fee.
//!
//! Fees: taker rate 0.26 % ([`FakeKraken::set_taker_fee`]) in the currency
//! `oflags` asks for — `fciq` (quote: rate × cost, 8 dp) or `fcib` (base:
//! rate × vol_exec, `lot_decimals`), both rounded half away from zero —
//! and, without either, Kraken's default: **quote on buys, base on sells**.
//! A sell with the fee in base needs volume + fee in base and debits both;
//! a buy with `fcib` credits vol_exec − fee. `oflags` takes `fcib`, `fciq`
//! and `nompp` (both fee flags at once is `EGeneral:Invalid arguments:oflags`);
//! the order's `oflags` shows the fee flag in force. Funds are checked for
//! the whole volume at the worst price the execution can reach.
//!
//! The fake's clock is system time plus [`FakeKraken::set_clock_offset`]:
//! it drives `Time`, `SystemStatus`, the `deadline` check (before now →
//! `EService:Deadline elapsed`, after now + 61 s → `EGeneral:Invalid
//! arguments:deadline`), and `opentm`/`closetm`.
//!
//! ClosedOrders: 50 a page, newest (open time) first, `ofs`, `start`
//! (exclusive) / `end` (inclusive) as unix seconds or a txid, `closetime`,
//! `without_count`. By default (the strict reading,
//! [`FakeKraken::set_filter_after_paging`]) the `cl_ord_id`/`userref`
//! filters apply to each page *after* paging over the orders in the time
//! range, and `count` counts that range: an order behind 50 newer closed
//! orders is found only with `ofs` or a narrower time range.
//! [`FakeKraken::seed_closed_orders`] adds such newer history.
//!
//! Faults ([`Fault`]) are queued per path: [`FakeKraken::inject`] for
//! AddOrder, [`FakeKraken::inject_on`] for any path (reads too).
//! [`Fault::Hold`] parks an AddOrder unseen until
//! [`FakeKraken::release_held`]. [`FakeKraken::set_latency`] delays every
//! request. Records: [`FakeKraken::received`], [`FakeKraken::applied_orders`],
//! [`FakeKraken::ledger`], [`FakeKraken::requests_per_path`],
//! [`FakeKraken::faults_fired`].
//!
//! Admin routes (always served, never recorded as requests): `GET
//! /__fake/stats` → `{"requests": {path: count}, "applied_orders": n,
//! "add_order_attempts": n, "faults_fired": n, "held": n}`; `GET
//! /__fake/log?since=N` → `{"total": n, "paths": [path, …]}`, the paths of
//! the requests received from the `N`-th on (0-based), in arrival order. The
//! `fake-exchange kraken` binary serves this fake standalone.
//!
//! Tickers: the five default pairs start with default tickers
//! ([`FakeKraken::add_usd_pairs`] lists more, `TK01/USD`…, with tickers);
//! [`FakeKraken::set_ticker`] changes one, [`FakeKraken::remove_ticker`]
//! removes one (a pair without a ticker answers `EQuery:Unknown asset pair`
//! on Ticker and `EService:Unavailable` on AddOrder).

mod control;
mod fill;
mod market;
mod orders;
mod queries;
mod server;
mod sign;
mod state;
mod types;

use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rust_decimal::Decimal;

pub use sign::{kraken_sign, verify_signature};
use state::{Account, State};
pub use types::{AppliedOrder, Execution, Fault, Ledger, RateTier, Received};

/// A fake Kraken spot REST API on 127.0.0.1, serving until dropped.
pub struct FakeKraken {
    /// Its base URL, e.g. `http://127.0.0.1:40123`.
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

    /// Serves on 127.0.0.1 at any free port.
    pub async fn start() -> FakeKraken {
        FakeKraken::start_on_port(0)
            .await
            .unwrap_or_else(|e| panic!("bind 127.0.0.1:0: {e}"))
    }

    /// Serves on 127.0.0.1:`port` (0 = any free port).
    pub async fn start_on_port(port: u16) -> std::io::Result<FakeKraken> {
        let state = Arc::new(Mutex::new(State::new()));
        let (url, server) = server::spawn(state.clone(), port).await?;
        Ok(FakeKraken { url, state, server })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        crate::conn::lock(&self.state)
    }

    // ---- market data -------------------------------------------------

    /// Sets one pair's ticker (id or altname), keeping the others.
    pub fn set_ticker(&self, pair: &str, bid: &str, ask: &str, last: &str) {
        self.lock().put_ticker(pair, bid, ask, last);
    }

    /// Lists `n` more USD pairs after those already listed, each with a
    /// ticker: `TK01/USD`, `TK02/USD`, … (pair id `TK01USD`, base asset
    /// `TK01`, also listed by Assets), priced around 10 USD (bid 9.99, ask
    /// 10.01), with generic rules (ordermin 0.01, costmin 0.5, 8 lot and 2
    /// price decimals). The account holds none of them: buys spend ZUSD.
    /// For benchmarks across many assets. Returns their unified symbols.
    pub fn add_usd_pairs(&self, n: usize) -> Vec<String> {
        let mut st = self.lock();
        // Numbering goes on after the extra pairs already listed.
        let first = (1..)
            .find(|&i| st.pair(&format!("{}USD", market::extra_base(i))).is_none())
            .unwrap_or(1);
        (first..first + n)
            .map(|i| {
                let (pair, quote) = market::extra_usd_pair(i);
                let symbol = format!("{}/USD", pair.base);
                st.tickers.insert(pair.id.clone(), quote);
                st.pairs.push(pair);
                symbol
            })
            .collect()
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

    /// Sets an account's balance of `asset_id`.
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

    /// An account's exact balance of `asset_id` (0 when absent).
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

    /// Sets the call counter to a verification tier's size and decay.
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

    /// Switches the REST call counter off: private calls are never
    /// refused for rate (benchmarks that compare clients, not limiters).
    pub fn disable_rate_limit(&self) {
        let mut st = self.lock();
        st.rate_max = f64::INFINITY;
        st.rate_decay = 0.0;
    }

    /// Private calls refused with `EAPI:Rate limit exceeded` by the counter.
    pub fn rate_limit_hits(&self) -> usize {
        self.lock().rate_limit_hits
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

pub(crate) fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("not a decimal: {s:?}: {e}"))
}
