//! Prices: fixed reference prices with a configured spread, or Kraken's
//! public Ticker fetched through the host; either way, an operator's
//! override in the durable state wins.
//!
//! Override: state key `price/<SYMBOL>`, SYMBOL the canonical unified
//! symbol (`price/SOL/USD`, `price/BTC/USD`; not `XBT/USD`), value a plain
//! positive decimal mid price ("142.5"; surrounding whitespace ignored).
//! Bid and ask are set around it with the configured spread and `last` is
//! the value itself, exactly as for a configured price. It applies to
//! tickers and fills alike, with either price source (a market with an
//! override is never fetched from Kraken), from the next call on. An empty
//! (or all-blank) value clears the override, since the state interface
//! cannot delete a key; any other invalid value is an error naming the
//! key, never a silent fallback. The host writes the key; the sandbox only
//! reads it.

use crate::config::{Config, PriceSource};
use crate::env::Env;
use crate::market::{self, Market};
use crate::num;
use crate::tradehost::exchange::types::{DriverError, Ticker};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;
use std::collections::BTreeMap;

pub const TICKER_PATH: &str = "/0/public/Ticker";

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quote {
    pub bid: Decimal,
    pub ask: Decimal,
    pub last: Decimal,
}

/// Default reference price of a market, in USD.
fn default_price(market: &Market) -> Decimal {
    match market.base {
        "BTC" => Decimal::from(60_000),
        "ETH" => Decimal::from(3_000),
        "SOL" => Decimal::from(150),
        "DOGE" => Decimal::new(15, 2),
        "ADA" => Decimal::new(5, 1),
        _ => Decimal::from(10), // extra simulated markets
    }
}

/// State key of the price override of `market`: `price/<SYMBOL>`.
pub fn override_key(market: &Market) -> String {
    format!("price/{}", market.symbol)
}

/// The mid price the operator set in the state for `market`, if any.
fn state_override(env: &impl Env, market: &Market) -> Result<Option<Decimal>, DriverError> {
    let key = override_key(market);
    let Some(value) = env.state_get(&key) else {
        return Ok(None);
    };
    // Cleared: the store has no delete.
    if value.trim().is_empty() {
        return Ok(None);
    }
    num::parse_positive(value.trim()).map(Some).map_err(|_| {
        DriverError::InvalidRequest(format!(
            "state key `{key}` has invalid value {value:?}: expected a positive plain \
             decimal mid price, e.g. 142.5"
        ))
    })
}

/// Reference price ± half the spread; ask rounds up and bid down to the
/// pair's price decimals, so the spread never shrinks through rounding.
/// `origin` names where the price came from, for the overflow message.
fn around(
    cfg: &Config,
    market: &Market,
    reference: Decimal,
    origin: &str,
) -> Result<Quote, DriverError> {
    let half = cfg.spread_bps / Decimal::from(20_000);
    let dp = u32::from(market.price_decimals);
    // Only an absurd configured price can overflow here.
    let scaled = |factor: Decimal, strategy| {
        reference
            .checked_mul(factor)
            .map(|p| p.round_dp_with_strategy(dp, strategy))
            .ok_or_else(|| {
                DriverError::InvalidRequest(format!(
                    "{origin}: price {reference} of {} is too large",
                    market.symbol
                ))
            })
    };
    Ok(Quote {
        ask: scaled(Decimal::ONE + half, RoundingStrategy::ToPositiveInfinity)?,
        bid: scaled(Decimal::ONE - half, RoundingStrategy::ToNegativeInfinity)?,
        last: reference,
    })
}

/// The configured price (`prices`), else the default, around the spread.
pub fn fixed(cfg: &Config, market: &Market) -> Result<Quote, DriverError> {
    match cfg.price_override(market) {
        Some(price) => around(cfg, market, price, "config key `prices`"),
        None => around(cfg, market, default_price(market), "default price"),
    }
}

/// The quote from the state override of `market`, if one is set.
fn overridden(env: &impl Env, cfg: &Config, market: &Market) -> Result<Option<Quote>, DriverError> {
    match state_override(env, market)? {
        Some(mid) => {
            let origin = format!("state key `{}`", override_key(market));
            around(cfg, market, mid, &origin).map(Some)
        }
        None => Ok(None),
    }
}

#[derive(Deserialize)]
struct TickerResponse {
    #[serde(default)]
    error: Vec<String>,
    #[serde(default)]
    result: BTreeMap<String, PairTicker>,
}

/// Only the fields used: a = ask [price, whole lot volume, lot volume],
/// b = bid [...], c = last trade [price, lot volume].
#[derive(Deserialize)]
struct PairTicker {
    a: Vec<String>,
    b: Vec<String>,
    c: Vec<String>,
}

fn unavailable(what: impl std::fmt::Display) -> DriverError {
    DriverError::Unavailable(format!("kraken ticker: {what}"))
}

/// Parses Kraken's Ticker answer for several pairs: one quote per id, in
/// the order given. Only when one id is asked may a single entry under
/// another key stand in for it.
pub fn parse_kraken_tickers(body: &str, pair_ids: &[&str]) -> Result<Vec<Quote>, DriverError> {
    let resp: TickerResponse =
        serde_json::from_str(body).map_err(|e| unavailable(format!("malformed answer: {e}")))?;
    if !resp.error.is_empty() {
        return Err(unavailable(resp.error.join("; ")));
    }
    // Kraken keys the result by its canonical pair name, which is the id we ask for.
    let only = match (pair_ids, resp.result.len()) {
        ([_], 1) => resp.result.values().next(),
        _ => None,
    };
    pair_ids
        .iter()
        .map(|id| {
            let pair = resp
                .result
                .get(*id)
                .or(only)
                .ok_or_else(|| unavailable(format!("no entry for {id}")))?;
            quote_of(pair)
        })
        .collect()
}

fn quote_of(pair: &PairTicker) -> Result<Quote, DriverError> {
    let field = |name: &str, v: &[String], positive: bool| {
        let s = v
            .first()
            .ok_or_else(|| unavailable(format!("missing {name} price")))?;
        let parsed = if positive {
            num::parse_positive(s)
        } else {
            num::parse_plain(s)
        };
        parsed.map_err(|e| unavailable(format!("bad {name} price: {e}")))
    };
    Ok(Quote {
        ask: field("ask", &pair.a, true)?,
        bid: field("bid", &pair.b, true)?,
        last: field("last", &pair.c, false)?,
    })
}

/// Any transport failure or non-200 answer is `unavailable`: a read has no
/// side effect, and an order is only placed after its price is known.
pub fn fetch_kraken(env: &impl Env, market: &Market) -> Result<Quote, DriverError> {
    let mut quotes = fetch_kraken_many(env, &[market])?;
    quotes.pop().ok_or_else(|| unavailable("empty result"))
}

/// One Ticker request (`pair=A,B,…`, each pair once) for several markets;
/// one quote per market, in the order given.
fn fetch_kraken_many(env: &impl Env, markets: &[&Market]) -> Result<Vec<Quote>, DriverError> {
    let ids = driver_kit::http::unique(markets.iter().map(|m| m.pair_id));
    let query = [("pair".to_string(), ids.join(","))];
    let (status, body) = env.http_get(TICKER_PATH, &query).map_err(unavailable)?;
    if status != 200 {
        return Err(unavailable(format!("HTTP {status}")));
    }
    let quotes = parse_kraken_tickers(&body, &ids)?;
    markets
        .iter()
        .map(|m| {
            ids.iter()
                .position(|id| *id == m.pair_id)
                .and_then(|i| quotes.get(i).copied())
                .ok_or_else(|| unavailable(format!("no entry for {}", m.pair_id)))
        })
        .collect()
}

/// The price of `market`: the state override, else the configured source.
pub fn quote(env: &impl Env, cfg: &Config, market: &Market) -> Result<Quote, DriverError> {
    if let Some(q) = overridden(env, cfg, market)? {
        return Ok(q);
    }
    match cfg.price_source {
        PriceSource::Fixed => fixed(cfg, market),
        PriceSource::Kraken => fetch_kraken(env, market),
    }
}

fn to_ticker(market: &Market, q: &Quote) -> Ticker {
    Ticker {
        symbol: market.symbol.into(),
        bid: num::fmt(q.bid),
        ask: num::fmt(q.ask),
        last: num::fmt(q.last),
    }
}

pub fn ticker(env: &impl Env, cfg: &Config, symbol: &str) -> Result<Ticker, DriverError> {
    let market = market::parse_symbol(symbol)?;
    Ok(to_ticker(market, &quote(env, cfg, market)?))
}

/// Tickers of several markets, in the order asked: every symbol must be
/// known, overrides come first, and the Kraken-sourced rest comes from a
/// single Ticker request.
pub fn tickers(
    env: &impl Env,
    cfg: &Config,
    symbols: &[String],
) -> Result<Vec<Ticker>, DriverError> {
    let markets = symbols
        .iter()
        .map(|s| market::parse_symbol(s))
        .collect::<Result<Vec<&Market>, DriverError>>()?;
    let set = markets
        .iter()
        .map(|m| overridden(env, cfg, m))
        .collect::<Result<Vec<Option<Quote>>, DriverError>>()?;
    let rest: Vec<&Market> = markets
        .iter()
        .zip(&set)
        .filter(|(_, q)| q.is_none())
        .map(|(m, _)| *m)
        .collect();
    let fetched = if rest.is_empty() {
        Vec::new()
    } else {
        match cfg.price_source {
            PriceSource::Fixed => rest
                .iter()
                .map(|m| fixed(cfg, m))
                .collect::<Result<Vec<Quote>, DriverError>>()?,
            PriceSource::Kraken => fetch_kraken_many(env, &rest)?,
        }
    };
    let mut fetched = fetched.into_iter();
    markets
        .iter()
        .zip(set)
        .map(|(m, q)| {
            let q = q
                .or_else(|| fetched.next())
                .ok_or_else(|| unavailable(format!("no quote for {}", m.pair_id)))?;
            Ok(to_ticker(m, &q))
        })
        .collect()
}

#[cfg(test)]
mod tests;
