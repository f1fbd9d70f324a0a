//! What the host has learned from public answers it fetched itself:
//! which market an exchange id names, and recent prices. The host bounds
//! an order with these, never with a driver's word.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

use crate::domain::Symbol;

/// A market as the exchange's reference data describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketRef {
    /// The market, unified.
    pub symbol: Symbol,
    /// The exchange's id of the market (`XXBTZUSD`, `BTCUSDT`).
    pub pair_id: String,
}

/// A price the host read from the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    /// Best bid when read.
    pub bid: Decimal,
    /// Best ask when read.
    pub ask: Decimal,
    /// When it was read.
    pub at: Instant,
}

/// How long an observed price stays usable as an order's bound.
pub const PRICE_MAX_AGE: Duration = Duration::from_secs(30);
/// Names kept per exchange, so a hostile answer cannot grow this forever.
const MAX_NAMES: usize = 50_000;

/// Markets and prices learned from the exchange's public answers, bounded in
/// size.
#[derive(Debug, Default)]
pub struct Observations {
    /// Every name the exchange accepts for a market (id, altname) → market.
    markets: HashMap<String, MarketRef>,
    /// Market id → latest price.
    prices: HashMap<String, Quote>,
    /// The request weight the exchange allows per minute, as it says.
    weight_per_minute: Option<u32>,
}

impl Observations {
    /// Records a market under each of its names.
    pub fn market(&mut self, names: &[&str], market: MarketRef) {
        if self.markets.len() >= MAX_NAMES {
            return;
        }
        for name in names {
            self.markets.insert((*name).to_owned(), market.clone());
        }
    }

    /// Records a market's price, read now.
    pub fn price(&mut self, pair_id: &str, bid: Decimal, ask: Decimal) {
        if self.prices.len() >= MAX_NAMES {
            self.prices.clear();
        }
        self.prices.insert(
            pair_id.to_owned(),
            Quote {
                bid,
                ask,
                at: Instant::now(),
            },
        );
    }

    /// Records the request weight per minute the exchange's reference data
    /// states.
    pub fn set_weight_per_minute(&mut self, limit: u32) {
        self.weight_per_minute = Some(limit);
    }

    /// The request weight per minute the exchange's reference data states.
    pub fn weight_per_minute(&self) -> Option<u32> {
        self.weight_per_minute
    }

    /// The market an exchange name (id or altname) stands for.
    pub fn market_named(&self, name: &str) -> Option<&MarketRef> {
        self.markets.get(name)
    }

    /// A price of the market no older than `PRICE_MAX_AGE`.
    pub fn fresh_price(&self, pair_id: &str) -> Option<Quote> {
        self.prices
            .get(pair_id)
            .copied()
            .filter(|q| q.at.elapsed() <= PRICE_MAX_AGE)
    }
}
