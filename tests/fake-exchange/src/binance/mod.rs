//! A faithful local stand-in for Binance's Spot REST API (axum on
//! 127.0.0.1:0), following shared/reference/binance-api.md (§7 checklist).
//!
//! * Public GET `/api/v3/{ping,time,exchangeInfo,ticker/bookTicker,
//!   ticker/price,avgPrice}`.
//! * Signed `GET /api/v3/{account,order,openOrders,allOrders,myTrades}`,
//!   `POST /api/v3/order` and `POST /api/v3/order/test`. Parameters in the
//!   query and/or (POST) the form body, the query winning a name sent in
//!   both. `X-MBX-APIKEY` (missing or not alphanumeric ⇒ 401 `-2014`,
//!   unknown ⇒ 401 `-2015`); `signature` = hex HMAC-SHA256 over the raw
//!   query immediately followed by the raw body, `signature=` left out
//!   ([`binance_sign`], this module's own signer), compared
//!   case-insensitively (⇒ 400 `-1022`); `timestamp` (ms, or µs with 16+
//!   digits) and `recvWindow` (default 5000 ms, ≤ 3 decimals, > 60000 ⇒
//!   `-1131`) checked against the fake's clock (real time +
//!   [`FakeBinance::set_clock_offset`]) with Binance's formula, and for a new
//!   order checked again when it reaches the engine.
//! * MARKET orders only (any other real type ⇒ `-2010` "This fake exchange
//!   executes MARKET orders only."; an unknown type ⇒ `-1116`). They walk a
//!   fixed per-symbol book of a few levels ([`FakeBinance::set_book`]; the
//!   book is not consumed), one fill per level: `quantity` takes levels in
//!   full; BUY or SELL by `quoteOrderQty` executes the largest quantity on
//!   the LOT_SIZE step whose Σ price × qty stays within it. A book too
//!   short ⇒ `EXPIRED` with the partial fills and `expiryReason
//!   "INSUFFICIENT_LIQUIDITY"`. Commission per fill, `rate` (default 0.001)
//!   of what is received: BUY in the base asset (`qty × rate`), SELL in the
//!   quote asset (`price × qty × rate`), each rounded half away from zero
//!   to 8 dp; with [`FakeBinance::set_bnb_fees`] in BNB at a 25 % discount
//!   (converted at BNB's average price) while the BNB balance covers the
//!   fill, then back to the default asset fill by fill.
//! * Decimals are exact inside, 8-dp strings on the wire (half away from
//!   zero when a value has more); times are server-clock milliseconds.
//! * Request weight per IP (all clients here are one IP) in a 1-minute
//!   window starting with its first request: `X-MBX-USED-WEIGHT-1M` (and
//!   `X-MBX-USED-WEIGHT`) on every JSON answer. Over the limit ⇒ 429,
//!   `Retry-After` (seconds to the window's end), `-1003`; any request
//!   before that ⇒ 418 and a ban (default 2 min), `Retry-After` = seconds
//!   left. Accepted orders carry `X-MBX-ORDER-COUNT-10S` / `-1D` and weigh
//!   0 (refused ones 1); over the ORDERS limits ⇒ 429 `-1015`.
//! * HTTP statuses: 400 for every `{"code","msg"}` refusal except 401 for
//!   `-2014`/`-2015`, 429/418 for `-1003` and 429 for `-1015`; injected
//!   faults choose their own ([`Fault`]).
//!
//! Default symbols, all quoted in USDT, every one with PRICE_FILTER and
//! LOT_SIZE: BTCUSDT, ETHUSDT, SOLUSDT, BNBUSDT (MARKET_LOT_SIZE and
//! NOTIONAL, min 5 applied to MARKET); LTCUSDT (legacy MIN_NOTIONAL 10
//! only); XRPUSDT (NOTIONAL only, min 5 and max 1000 both applied to
//! MARKET); ADAUSDT (status `BREAK`: "Market is closed."); DOGEUSDT
//! (`quoteOrderQtyMarketAllowed` false).

mod api;
mod market;
mod orders;
mod queries;
mod request;
mod server;
mod sign;
mod state;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rust_decimal::Decimal;

pub use sign::{binance_sign, signature_payload, verify_signature, without_signature};
use state::State;

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The path, e.g. `/api/v3/order`.
    pub path: String,
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// Query parameters, decoded, in the order sent.
    pub query: Vec<(String, String)>,
    /// Form body parameters (not for GET), decoded, in the order sent.
    pub form: Vec<(String, String)>,
    /// The query string as sent (still percent-encoded).
    pub raw_query: String,
    /// The body as sent.
    pub body: String,
    /// The `X-MBX-APIKEY` header.
    pub api_key: Option<String>,
    /// Key known, `signature` present and valid over query + body.
    pub signature_ok: bool,
    /// `timestamp` as sent, when a number.
    pub timestamp: Option<u64>,
    /// `recvWindow` as sent, when valid.
    pub recv_window: Option<Decimal>,
    /// The fake's clock (ms) on arrival.
    pub received_at: i64,
}

impl Received {
    /// A parameter, from the query first, then the form body.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .chain(self.form.iter())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One fill of an order, at one price level.
#[derive(Debug, Clone, PartialEq)]
pub struct Fill {
    /// The level's price.
    pub price: Decimal,
    /// Base quantity filled at it.
    pub qty: Decimal,
    /// Commission charged on this fill.
    pub commission: Decimal,
    /// The asset the commission was charged in (the received asset, or BNB).
    pub commission_asset: String,
    /// The fill's trade id.
    pub trade_id: u64,
}

/// A new order the engine executed (`FILLED`, or `EXPIRED` with partial
/// fills), oldest first. Refused orders are not here.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedOrder {
    /// The exchange's order id.
    pub order_id: u64,
    /// `newClientOrderId` as sent (or the one the fake made up).
    pub client_order_id: String,
    /// The symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// `quantity` as sent; for a `quoteOrderQty` order, the executed qty.
    pub orig_qty: Decimal,
    /// `quoteOrderQty` as sent, 0 for a `quantity` order.
    pub orig_quote_order_qty: Decimal,
    /// Base quantity executed.
    pub executed_qty: Decimal,
    /// Σ price × qty of the fills, gross of commission.
    pub cummulative_quote_qty: Decimal,
    /// `FILLED` or `EXPIRED`.
    pub status: String,
    /// Its fills, in execution order.
    pub fills: Vec<Fill>,
    /// Server-clock ms.
    pub transact_time: i64,
    /// The account that sent it.
    pub api_key: String,
}

impl AppliedOrder {
    /// Commission per asset (a BNB-mode order can mix assets).
    pub fn commissions(&self) -> BTreeMap<String, Decimal> {
        let mut total = BTreeMap::new();
        for f in &self.fills {
            *total
                .entry(f.commission_asset.clone())
                .or_insert(Decimal::ZERO) += f.commission;
        }
        total
    }
}

/// Scripted misbehaviour. [`FakeBinance::inject`] queues one for the next
/// `POST /api/v3/order` requests (first in, first out, one per request
/// whatever it turns out to be); [`FakeBinance::inject_on`] for the next
/// request on a path. The "after" faults act on whatever the request came
/// to, a refusal included: a `-1007` or a cut connection proves nothing
/// about execution, as on the real exchange.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Processes the request as usual (an order executes when valid), then
    /// closes the TCP connection without writing a byte of the answer.
    DropAfterApply,
    /// Answers this HTTP status with a CloudFront-style HTML page before
    /// Binance sees the request: no weight, no authentication, nothing
    /// applied.
    StatusBeforeApply(u16),
    /// Processes the request as usual, then answers this HTTP status with
    /// an HTML page instead of the JSON answer.
    StatusAfterApply(u16),
    /// Processes the request as usual, then answers `{"code":-1007,"msg":
    /// "Timeout waiting for response from backend server. Send status
    /// unknown; execution status unknown."}` with this HTTP status. The
    /// reference leaves -1007's status open; 503 is the likely one (a 5xx:
    /// "execution status UNKNOWN"), and 400 is what a client that maps
    /// statuses naively would see — test both.
    TimeoutAfterApply(u16),
    /// For an order: executes it, answers normally, but order lookups
    /// (`GET /api/v3/order`, `openOrders`, `allOrders`, `myTrades`) do not
    /// see it (`-2013 "Order does not exist."`) until this long after the
    /// placement (Binance's reported API lag).
    LookupLag(Duration),
    /// Authenticates and checks timing on arrival, waits this long, then
    /// processes and answers. Processing runs on its own task, so it happens
    /// even if the client gave up; an order is checked against its
    /// recvWindow again when processing starts (`-1021` if past it).
    Delay(Duration),
    /// 403 with a WAF HTML page, before anything is looked at.
    Forbidden,
    /// 429 `-1003` with `Retry-After: <secs>` before anything is looked
    /// at; a request within those seconds gets 418 and a ban.
    TooManyRequests(u64),
}

/// A fake Binance Spot REST API on 127.0.0.1, serving until dropped.
pub struct FakeBinance {
    /// Its base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeBinance {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeBinance {
    /// The default account's API key (send as `X-MBX-APIKEY`); 64
    /// alphanumerics like a real one, for 127.0.0.1 tests only.
    pub const API_KEY: &'static str =
        "fakeBinanceApiKeyFor127001TestsOnly00000000000000000000000000000";
    /// The default account's secret key (HMAC key, used as its ASCII bytes).
    pub const SECRET_KEY: &'static str =
        "fakeBinanceSecretKeyFor127001TestsOnlyNotARealSecretxxxxxxxxxxxx";

    /// Serves on 127.0.0.1 at any free port.
    pub async fn start() -> FakeBinance {
        let state = Arc::new(Mutex::new(State::new()));
        let (url, server) = server::spawn(state.clone()).await;
        FakeBinance { url, state, server }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        crate::conn::lock(&self.state)
    }

    // ---- clock -------------------------------------------------------

    /// Shifts the fake's clock (server time = real time + `offset`).
    pub fn set_clock_offset(&self, offset: chrono::Duration) {
        self.lock().clock_offset = offset;
    }

    /// The fake's clock, ms since the epoch.
    pub fn server_time_ms(&self) -> i64 {
        self.lock().now_ms()
    }

    // ---- market data -------------------------------------------------

    /// Replaces a symbol's book: (price, qty) levels; bids are sorted
    /// best (highest) first, asks best (lowest) first. The average price
    /// follows the new mid unless set with [`Self::set_avg_price`].
    pub fn set_book(&self, symbol: &str, bids: &[(&str, &str)], asks: &[(&str, &str)]) {
        let levels = |raw: &[(&str, &str)]| -> Vec<(Decimal, Decimal)> {
            raw.iter()
                .map(|&(p, q)| (market::dec(p), market::dec(q)))
                .collect()
        };
        let mut st = self.lock();
        let book = &mut st.symbol_mut(symbol).book;
        book.bids = levels(bids);
        book.bids.sort_by_key(|l| std::cmp::Reverse(l.0));
        book.asks = levels(asks);
        book.asks.sort_by_key(|l| l.0);
    }

    /// Fixes the average price (`avgPrice`, `ticker/price`, the MARKET
    /// notional checks, the BNB conversion); default: the book's mid.
    pub fn set_avg_price(&self, symbol: &str, price: &str) {
        self.lock().symbol_mut(symbol).avg_price = Some(market::dec(price));
    }

    /// `TRADING`, `HALT`, `BREAK`, `END_OF_DAY`, `CANCEL_ONLY`: orders on a
    /// symbol not `TRADING` answer `-2010 "Market is closed."`.
    pub fn set_symbol_status(&self, symbol: &str, status: &str) {
        self.lock().symbol_mut(symbol).status = status.to_owned();
    }

    /// Whether `symbol` takes MARKET orders by `quoteOrderQty` (default yes);
    /// when not, they answer "Quote order qty market orders are not support for
    /// this symbol.".
    pub fn set_quote_order_qty_market_allowed(&self, symbol: &str, allowed: bool) {
        self.lock()
            .symbol_mut(symbol)
            .quote_order_qty_market_allowed = allowed;
    }

    // ---- commission --------------------------------------------------

    /// The commission rate of every fill (default `0.001`).
    pub fn set_commission_rate(&self, rate: &str) {
        self.lock().commission_rate = market::dec(rate);
    }

    /// Pays commission in BNB (discounted) while the BNB balance covers
    /// each fill.
    pub fn set_bnb_fees(&self, on: bool) {
        self.lock().bnb_fees = on;
    }

    /// The BNB discount (default `0.25`).
    pub fn set_bnb_discount(&self, discount: &str) {
        self.lock().bnb_discount = market::dec(discount);
    }

    // ---- accounts ----------------------------------------------------

    /// Adds another API key (ASCII alphanumerics) with its own account
    /// (USDT 10000) and secret.
    pub fn add_key(&self, api_key: &str, secret: &str) {
        assert!(
            !api_key.is_empty() && api_key.chars().all(|c| c.is_ascii_alphanumeric()),
            "a Binance API key is alphanumeric: {api_key:?}"
        );
        self.lock().add_account(api_key, secret);
    }

    /// Sets the default account's free balance of `asset` (e.g. `BTC`).
    pub fn set_balance(&self, asset: &str, amount: &str) {
        self.set_balance_for(Self::API_KEY, asset, amount);
    }

    /// Sets an account's free balance of `asset`.
    pub fn set_balance_for(&self, api_key: &str, asset: &str, amount: &str) {
        self.lock()
            .account_mut(api_key)
            .balances
            .entry(asset.to_owned())
            .or_default()
            .free = market::dec(amount);
    }

    /// The default account's exact free balance of `asset` (0 when absent).
    pub fn balance(&self, asset: &str) -> Decimal {
        self.balance_for(Self::API_KEY, asset)
    }

    /// An account's exact free balance of `asset` (0 when absent).
    pub fn balance_for(&self, api_key: &str, asset: &str) -> Decimal {
        self.lock().account_mut(api_key).free(asset)
    }

    /// The default account's free balances, every asset it ever held.
    pub fn balances(&self) -> BTreeMap<String, Decimal> {
        self.lock()
            .account_mut(Self::API_KEY)
            .balances
            .iter()
            .map(|(asset, b)| (asset.clone(), b.free))
            .collect()
    }

    /// The default account's locked balance of `asset` (held by open orders).
    pub fn locked(&self, asset: &str) -> Decimal {
        self.lock()
            .account_mut(Self::API_KEY)
            .balances
            .get(asset)
            .map(|b| b.locked)
            .unwrap_or_default()
    }

    /// Puts a resting LIMIT order (status `NEW`) on the default account,
    /// locking its funds, e.g. for `openOrders` and a duplicate
    /// `newClientOrderId`. Returns its order id.
    pub fn seed_open_order(
        &self,
        symbol: &str,
        side: &str,
        qty: &str,
        price: &str,
        client_order_id: Option<&str>,
    ) -> u64 {
        let mut st = self.lock();
        orders::seed_open(
            &mut st,
            Self::API_KEY,
            symbol,
            side,
            qty,
            price,
            client_order_id,
        )
    }

    // ---- rate limits -------------------------------------------------

    /// The REQUEST_WEIGHT limit per minute (default 6000).
    pub fn set_weight_limit(&self, limit: u32) {
        self.lock().limits.weight_limit = limit;
    }

    /// The ORDERS limits per account (default 50 per 10 s, 160000 per day).
    pub fn set_order_limits(&self, per_10s: usize, per_day: usize) {
        let mut st = self.lock();
        st.order_limit_10s = per_10s;
        st.order_limit_1d = per_day;
    }

    /// How long a 418 ban lasts (default 2 minutes).
    pub fn set_ban_duration(&self, ban: Duration) {
        self.lock().limits.ban_duration = ban;
    }

    /// Clears used weight, the 429 state and any ban.
    pub fn reset_rate_limits(&self) {
        self.lock().limits.reset();
    }

    /// The weight used in the current 1-minute window.
    pub fn used_weight(&self) -> u32 {
        self.lock().limits.used_now(std::time::Instant::now())
    }

    /// 429 answers for request weight (including injected ones).
    pub fn rate_limit_hits(&self) -> usize {
        self.lock().limits.hits_429
    }

    /// 418 answers.
    pub fn ban_hits(&self) -> usize {
        self.lock().limits.hits_418
    }

    // ---- faults ------------------------------------------------------

    /// Queues a fault for the next `POST /api/v3/order` not yet claimed by
    /// an earlier one.
    pub fn inject(&self, fault: Fault) {
        self.lock().order_faults.push_back(fault);
    }

    /// Queues faults for the next new orders, one each, in order.
    pub fn inject_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.lock().order_faults.extend(faults);
    }

    /// Queues a fault for the next request on `path` (any method), or on
    /// `"GET /api/v3/order"`-style method and path. A new order takes the
    /// [`Self::inject`] queue first.
    pub fn inject_on(&self, path: &str, fault: Fault) {
        self.lock().path_faults.push_back((path.to_owned(), fault));
    }

    /// Faults queued and not yet taken by a request.
    pub fn pending_faults(&self) -> usize {
        let st = self.lock();
        st.order_faults.len() + st.path_faults.len()
    }

    /// Faults taken by requests so far.
    pub fn faults_fired(&self) -> usize {
        self.lock().faults_fired
    }

    // ---- records -----------------------------------------------------

    /// Every request received, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// Requests received on one path, e.g. `/api/v3/order`.
    pub fn received_on(&self, path: &str) -> Vec<Received> {
        self.lock()
            .received
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Requests per path (any method, whatever came of them).
    pub fn requests_per_path(&self) -> HashMap<String, usize> {
        self.lock().requests_per_path.clone()
    }

    /// `POST /api/v3/order` requests received, whatever came of them.
    pub fn order_attempts(&self) -> usize {
        self.lock().order_attempts
    }

    /// Executed orders, oldest first.
    pub fn applied_orders(&self) -> Vec<AppliedOrder> {
        self.lock().applied.clone()
    }

    /// How many executed orders carry this client order id.
    pub fn orders_for_client_id(&self, client_order_id: &str) -> usize {
        self.lock()
            .applied
            .iter()
            .filter(|o| o.client_order_id == client_order_id)
            .count()
    }

    /// The ledger: per client order id, the net executed base quantity
    /// (BUY +, SELL −, gross of commission) over every executed order.
    pub fn net_base_qty_by_client_id(&self) -> BTreeMap<String, Decimal> {
        let mut ledger = BTreeMap::new();
        for o in &self.lock().applied {
            let signed = if o.side == "BUY" {
                o.executed_qty
            } else {
                -o.executed_qty
            };
            *ledger
                .entry(o.client_order_id.clone())
                .or_insert(Decimal::ZERO) += signed;
        }
        ledger
    }

    /// The ledger entry of one client order id (0 when none executed).
    pub fn net_base_qty(&self, client_order_id: &str) -> Decimal {
        self.net_base_qty_by_client_id()
            .get(client_order_id)
            .copied()
            .unwrap_or_default()
    }

    /// Requests refused with `-1022`: a signature that does not verify.
    pub fn signature_errors(&self) -> usize {
        self.lock().signature_errors
    }

    /// `-2014` and `-2015` answers.
    pub fn key_errors(&self) -> usize {
        self.lock().key_errors
    }

    /// `-1021` answers, on arrival or at the engine.
    pub fn timestamp_errors(&self) -> usize {
        self.lock().timestamp_errors
    }

    /// Polls `cond` every 10 ms until it holds (true) or `timeout` passes (false).
    pub async fn wait_until(&self, timeout: Duration, cond: impl Fn(&FakeBinance) -> bool) -> bool {
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
