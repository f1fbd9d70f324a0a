//! The fake's public value types: what it saw, what it applied, how it
//! executes, and the faults it can inject.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use rust_decimal::Decimal;

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The path, e.g. `/0/private/AddOrder`.
    pub path: String,
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// Query string parameters, decoded.
    pub query: HashMap<String, String>,
    /// Body parameters (form or JSON object), in the order sent.
    pub form: Vec<(String, String)>,
    /// The raw body as text.
    pub body: String,
    /// An `API-Key` header was sent.
    pub had_api_key: bool,
    /// The `API-Key` header as sent.
    pub api_key: Option<String>,
    /// The body's `nonce`, when present and a valid u64.
    pub nonce: Option<u64>,
    /// `API-Sign` present, key known, and the signature verified.
    pub signature_ok: bool,
    /// The `API-Sign` header as sent (to check it never leaks).
    pub api_sign: Option<String>,
}

impl Received {
    /// A body parameter as sent.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An AddOrder that changed the book: filled in full (`closed`) or in part
/// (`canceled` with the rest). An order that filled nothing is not one.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedOrder {
    /// The exchange's order id.
    pub txid: String,
    /// Pair id, e.g. `XXBTZUSD`.
    pub pair: String,
    /// `buy` or `sell`.
    pub side: String,
    /// Executed volume (`vol_exec`).
    pub volume: Decimal,
    /// The volume asked for (`vol`).
    pub requested_volume: Decimal,
    /// Reported average price: the volume-weighted fill price rounded to
    /// the pair's `pair_decimals`.
    pub price: Decimal,
    /// Reported cost: Σ volume × price, truncated to `cost_decimals`.
    pub cost: Decimal,
    /// Fee in [`AppliedOrder::fee_asset`].
    pub fee: Decimal,
    /// Asset id the fee was charged in: the quote (`ZUSD`) for `fciq`, the
    /// base (`SOL`, `XXBT`, …) for `fcib`.
    pub fee_asset: String,
    /// `closed` (filled in full) or `canceled` (partly filled).
    pub status: String,
    /// One (volume, price) per trade, in execution order.
    pub trades: Vec<(Decimal, Decimal)>,
    /// The `deadline` parameter as sent.
    pub deadline: Option<String>,
    /// The `cl_ord_id` parameter as sent.
    pub cl_ord_id: Option<String>,
    /// The `userref` parameter as sent.
    pub userref: Option<i64>,
    /// The account that sent it.
    pub api_key: String,
}

/// How market orders execute against the quote.
///
/// A market order fills in `trades` trades whose prices step evenly from the
/// quote (ask for a buy, bid for a sell) to the quote moved `slippage_bps`
/// basis points against the taker, each rounded to the pair's
/// `pair_decimals` (with one trade, the whole volume fills at the moved
/// price). With `fill_ratio`, only that share of the volume (rounded down to
/// `lot_decimals`) fills and the rest is canceled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    /// How far the last trade's price is from the quote, against the taker
    /// (< 10000).
    pub slippage_bps: u32,
    /// Number of trades (at least 1; fewer when the volume has fewer lots).
    pub trades: u32,
    /// Share of the volume that fills, 0 ..= 1; `None` = all of it.
    pub fill_ratio: Option<Decimal>,
}

impl Default for Execution {
    /// Today's behaviour: one trade at the quote, in full.
    fn default() -> Execution {
        Execution {
            slippage_bps: 0,
            trades: 1,
            fill_ratio: None,
        }
    }
}

impl Execution {
    /// With the last trade `bps` basis points from the quote, against the
    /// taker.
    pub fn slippage_bps(mut self, bps: u32) -> Execution {
        self.slippage_bps = bps;
        self
    }

    /// In this many trades.
    pub fn trades(mut self, trades: u32) -> Execution {
        self.trades = trades;
        self
    }

    /// `ratio` is a decimal string, e.g. `"0.4"`.
    pub fn fill_ratio(mut self, ratio: &str) -> Execution {
        self.fill_ratio = Some(super::dec(ratio));
        self
    }

    pub(super) fn check(&self) {
        assert!(
            self.slippage_bps < 10_000,
            "slippage_bps must be below 10000: {self:?}"
        );
        if let Some(r) = self.fill_ratio {
            assert!(
                r >= Decimal::ZERO && r <= Decimal::ONE,
                "fill_ratio must be within 0..=1: {self:?}"
            );
        }
    }
}

/// What the exchange executed per client order id, and the balances.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ledger {
    /// `cl_ord_id` -> net executed base volume over the applied orders that
    /// carry it (buys add `vol_exec`, sells subtract it).
    pub executed: BTreeMap<String, Decimal>,
    /// Asset id -> exact balance.
    pub balances: BTreeMap<String, Decimal>,
}

/// Faults for the next requests: [`super::FakeKraken::inject`] queues them
/// for AddOrder, [`super::FakeKraken::inject_on`] for any path. Each request
/// on a path takes the next fault of that path's queue (first in, first
/// out), whatever that request turns out to be; a fault taken by a request
/// that then fails authentication is spent without firing.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Authenticates and processes the request as usual (filling an order
    /// when it is valid), then closes the TCP connection without writing a
    /// single byte of the answer: the client sees the connection end before
    /// any status line ("connection closed before message completed"), at
    /// once rather than after its timeout.
    LoseAnswerAfterApply,
    /// Answers this HTTP status (a Cloudflare-style HTML body) before
    /// Kraken sees the request: no authentication, nonce not consumed,
    /// nothing applied.
    StatusBeforeApply(u16),
    /// Processes the request as usual (filling an order when valid), then
    /// answers this HTTP status instead of the JSON result.
    StatusAfterApply(u16),
    /// Authenticates at once (the nonce is consumed on arrival), then waits
    /// this long before processing, then answers normally. Processing runs
    /// on its own task, so it still happens if the client gave up waiting;
    /// an order's `deadline` is checked when processing starts.
    Delay(Duration),
    /// Authenticates, then answers `{"error":[<this>]}` without processing.
    KrakenError(String),
    /// Authenticates (the nonce is consumed), then drops the connection at
    /// once without an answer. On AddOrder the order is parked, unapplied
    /// and invisible to every query, until
    /// [`super::FakeKraken::release_held`]; on any other path the request is
    /// simply never processed.
    Hold,
}

/// Kraken's REST call-counter tiers (max counter, decay per second).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateTier {
    /// Counter of 15, decaying 0.33 a second.
    Starter,
    /// Counter of 20, decaying 0.5 a second.
    Intermediate,
    /// Counter of 20, decaying 1 a second.
    Pro,
}

impl RateTier {
    /// The tier's counter size and decay per second.
    pub fn limits(self) -> (u32, f64) {
        match self {
            RateTier::Starter => (15, 0.33),
            RateTier::Intermediate => (20, 0.5),
            RateTier::Pro => (20, 1.0),
        }
    }
}
