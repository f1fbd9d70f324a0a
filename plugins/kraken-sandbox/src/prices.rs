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
    let mut ids: Vec<&str> = Vec::new();
    for m in markets {
        if !ids.contains(&m.pair_id) {
            ids.push(m.pair_id);
        }
    }
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
mod tests {
    use super::*;
    use crate::config;
    use crate::env::mem::MemEnv;

    const SAMPLE: &str = r#"{"error":[],"result":{"XXBTZUSD":{"a":["30300.10000","1","1.000"],"b":["30300.00000","1","1.000"],"c":["30303.20000","0.00067643"],"v":["4083.67001100","4412.73601799"],"p":["30706.77771","30689.13205"],"t":[34619,38907],"l":["29868.30000","29868.30000"],"h":["31631.00000","31631.00000"],"o":"30502.80000"}}}"#;

    fn parse_kraken_ticker(body: &str, pair_id: &str) -> Result<Quote, DriverError> {
        parse_kraken_tickers(body, &[pair_id]).map(|mut quotes| quotes.remove(0))
    }

    fn tick(env: &MemEnv, symbol: &str) -> Result<Ticker, DriverError> {
        let cfg = config::load(env)?;
        ticker(env, &cfg, symbol)
    }

    /// Symbol, bid, ask, last of each; an error as its debug text.
    fn ticks(env: &MemEnv, symbols: &[&str]) -> Result<Vec<[String; 4]>, String> {
        let cfg = config::load(env).map_err(|e| format!("{e:?}"))?;
        let symbols: Vec<String> = symbols.iter().map(ToString::to_string).collect();
        let list = tickers(env, &cfg, &symbols).map_err(|e| format!("{e:?}"))?;
        Ok(list
            .into_iter()
            .map(|t| [t.symbol, t.bid, t.ask, t.last])
            .collect())
    }

    fn fails_with(r: Result<Vec<[String; 4]>, String>, variant: &str) -> bool {
        r.is_err_and(|e| e.starts_with(&format!("DriverError::{variant}(")))
    }

    fn row(symbol: &str, bid: &str, ask: &str, last: &str) -> [String; 4] {
        [symbol, bid, ask, last].map(String::from)
    }

    #[test]
    fn parses_kraken_sample() {
        let q = parse_kraken_ticker(SAMPLE, "XXBTZUSD").expect("parses");
        assert_eq!(
            (num::fmt(q.ask), num::fmt(q.bid), num::fmt(q.last)),
            ("30300.1".into(), "30300".into(), "30303.2".into())
        );
    }

    #[test]
    fn kraken_error_body_is_unavailable() {
        let body = r#"{"error":["EQuery:Unknown asset pair"]}"#;
        match parse_kraken_ticker(body, "XXBTZUSD") {
            Err(DriverError::Unavailable(msg)) => {
                assert!(msg.contains("EQuery:Unknown asset pair"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        for bad in [
            "",
            "not json",
            r#"{"error":[],"result":{}}"#,
            r#"{"error":[],"result":{"XXBTZUSD":{"a":["1e3"],"b":["1"],"c":["1"]}}}"#,
        ] {
            assert!(
                matches!(
                    parse_kraken_ticker(bad, "XXBTZUSD"),
                    Err(DriverError::Unavailable(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn kraken_source_sends_ticker_request() {
        let mut env = MemEnv::with(&[("price-source", "kraken")]);
        env.http = Some(Ok((200, SAMPLE.into())));
        let t = tick(&env, "xbt/usd").expect("ticker");
        assert_eq!(
            (
                t.symbol.as_str(),
                t.bid.as_str(),
                t.ask.as_str(),
                t.last.as_str()
            ),
            ("BTC/USD", "30300", "30300.1", "30303.2")
        );
        let calls = env.http_calls.borrow();
        assert_eq!(
            calls.as_slice(),
            &[(
                TICKER_PATH.to_string(),
                vec![("pair".to_string(), "XXBTZUSD".to_string())]
            )]
        );
    }

    #[test]
    fn kraken_transport_failures_are_unavailable() {
        for answer in [
            Err("no-answer: timeout".to_string()),
            Ok((503, "busy".to_string())),
            Ok((200, r#"{"error":["EService:Unavailable"]}"#.to_string())),
        ] {
            let mut env = MemEnv::with(&[("price-source", "kraken")]);
            env.http = Some(answer);
            assert!(matches!(
                tick(&env, "BTC/USD"),
                Err(DriverError::Unavailable(_))
            ));
        }
    }

    #[test]
    fn absurd_configured_price_is_an_error_not_a_panic() {
        let env = MemEnv::with(&[("prices", "BTC/USD=79228162514264337593543950335")]);
        assert!(matches!(
            tick(&env, "BTC/USD"),
            Err(DriverError::InvalidRequest(_))
        ));
    }

    #[test]
    fn fixed_prices_spread_and_rounding() {
        let env = MemEnv::with(&[("prices", "SOL/USD=150.5")]);
        let t = tick(&env, "BTC/USD").expect("btc");
        assert_eq!(
            (t.bid.as_str(), t.ask.as_str(), t.last.as_str()),
            ("59970", "60030", "60000")
        );
        // 150.5 * 1.0005 = 150.57525 -> up 150.58; 150.5 * 0.9995 = 150.42475 -> down 150.42
        let t = tick(&env, "SOL/USD").expect("sol");
        assert_eq!(
            (t.bid.as_str(), t.ask.as_str(), t.last.as_str()),
            ("150.42", "150.58", "150.5")
        );
        let t = tick(&env, "DOGE/USD").expect("doge");
        assert_eq!((t.bid.as_str(), t.ask.as_str()), ("0.149925", "0.150075"));
        assert!(env.http_calls.borrow().is_empty());
    }

    #[test]
    fn tickers_fixed_in_the_order_asked() {
        let env = MemEnv::with(&[("prices", "SOL/USD=150.5")]);
        assert_eq!(
            ticks(&env, &["sol/usd", "XBT/USD", "DOGE/USD", "SOL/USD"]),
            Ok(vec![
                row("SOL/USD", "150.42", "150.58", "150.5"),
                row("BTC/USD", "59970", "60030", "60000"),
                row("DOGE/USD", "0.149925", "0.150075", "0.15"),
                row("SOL/USD", "150.42", "150.58", "150.5"),
            ])
        );
        assert_eq!(ticks(&env, &[]), Ok(Vec::new()));
        assert!(fails_with(
            ticks(&env, &["BTC/USD", "BTC/EUR"]),
            "InvalidSymbol"
        ));
        assert!(env.http_calls.borrow().is_empty());
        // One market: the same answer as `ticker`.
        let one = tick(&env, "ETH/USD").expect("ticker");
        assert_eq!(
            ticks(&env, &["ETH/USD"]),
            Ok(vec![[one.symbol, one.bid, one.ask, one.last]])
        );
    }

    #[test]
    fn tickers_from_kraken_in_one_request() {
        let body = r#"{"error":[],"result":{
            "SOLUSD":{"a":["150.01"],"b":["150"],"c":["150.005"]},
            "XXBTZUSD":{"a":["30300.1"],"b":["30300"],"c":["30303.2"]}}}"#;
        let mut env = MemEnv::with(&[("price-source", "kraken")]);
        env.http = Some(Ok((200, body.into())));
        assert_eq!(
            ticks(&env, &["BTC/USD", "SOL/USD", "xbt/usd"]),
            Ok(vec![
                row("BTC/USD", "30300", "30300.1", "30303.2"),
                row("SOL/USD", "150", "150.01", "150.005"),
                row("BTC/USD", "30300", "30300.1", "30303.2"),
            ])
        );
        assert_eq!(
            env.http_calls.borrow().as_slice(),
            &[(
                TICKER_PATH.to_string(),
                vec![("pair".to_string(), "XXBTZUSD,SOLUSD".to_string())]
            )]
        );
        // An entry missing from Kraken's answer: no quote is made up.
        assert!(fails_with(
            ticks(&env, &["BTC/USD", "ETH/USD"]),
            "Unavailable"
        ));
        // Unknown symbols fail before any request; none asked, none sent.
        env.http_calls.borrow_mut().clear();
        assert!(fails_with(
            ticks(&env, &["BTC/USD", "FOO/USD"]),
            "InvalidSymbol"
        ));
        assert_eq!(ticks(&env, &[]), Ok(Vec::new()));
        assert!(env.http_calls.borrow().is_empty());
    }

    /// What the host's command does: write `price/<SYMBOL>`.
    fn set_price(env: &MemEnv, key: &str, value: &str) {
        let old = env.get(key);
        assert!(env.state_cas(key, old.as_deref(), value), "{key}");
    }

    #[test]
    fn state_override_wins_over_configured_and_default_prices() {
        let env = MemEnv::with(&[("prices", "SOL/USD=150.5"), ("spread-bps", "20")]);
        assert_eq!(
            ticks(&env, &["SOL/USD", "BTC/USD"]),
            Ok(vec![
                row("SOL/USD", "150.34", "150.66", "150.5"),
                row("BTC/USD", "59940", "60060", "60000"),
            ])
        );
        set_price(&env, "price/SOL/USD", "142.5");
        set_price(&env, "price/BTC/USD", " 50000\n");
        // 142.5 * 1.001 = 142.6425 -> up 142.65; 142.5 * 0.999 = 142.3575 -> down 142.35
        assert_eq!(
            ticks(&env, &["SOL/USD", "XBT/USD", "ETH/USD"]),
            Ok(vec![
                row("SOL/USD", "142.35", "142.65", "142.5"),
                row("BTC/USD", "49950", "50050", "50000"),
                row("ETH/USD", "2997", "3003", "3000"),
            ])
        );
        let t = tick(&env, "sol/usd").expect("ticker");
        assert_eq!((t.bid.as_str(), t.ask.as_str()), ("142.35", "142.65"));
        // Moved again: the next call sees it.
        set_price(&env, "price/SOL/USD", "99");
        let t = tick(&env, "SOL/USD").expect("ticker");
        assert_eq!(t.last, "99");
        // Cleared (an empty value): the configured price again.
        set_price(&env, "price/SOL/USD", "");
        let t = tick(&env, "SOL/USD").expect("ticker");
        assert_eq!(t.last, "150.5");
        set_price(&env, "price/SOL/USD", " ");
        assert_eq!(
            tick(&env, "SOL/USD").map(|t| t.last).ok(),
            Some("150.5".into())
        );
        assert_eq!(
            override_key(market::parse_symbol("xdg/usd").expect("doge")),
            "price/DOGE/USD"
        );
    }

    #[test]
    fn only_the_canonical_symbol_key_counts() {
        let env = MemEnv::default();
        set_price(&env, "price/XBT/USD", "1");
        set_price(&env, "price/btc/usd", "1");
        set_price(&env, "price/BTCUSD", "1");
        let t = tick(&env, "BTC/USD").expect("ticker");
        assert_eq!(t.last, "60000");
    }

    #[test]
    fn state_override_wins_over_kraken_and_is_not_fetched() {
        let mut env = MemEnv::with(&[("price-source", "kraken")]);
        env.http = Some(Ok((200, SAMPLE.into())));
        set_price(&env, "price/SOL/USD", "142.5");
        let t = tick(&env, "SOL/USD").expect("ticker");
        assert_eq!(
            (t.bid.as_str(), t.ask.as_str(), t.last.as_str()),
            ("142.42", "142.58", "142.5")
        );
        assert!(env.http_calls.borrow().is_empty());
        assert_eq!(
            ticks(&env, &["SOL/USD", "BTC/USD"]),
            Ok(vec![
                row("SOL/USD", "142.42", "142.58", "142.5"),
                row("BTC/USD", "30300", "30300.1", "30303.2"),
            ])
        );
        // Only the pair without an override was asked for.
        assert_eq!(
            env.http_calls.borrow().as_slice(),
            &[(
                TICKER_PATH.to_string(),
                vec![("pair".to_string(), "XXBTZUSD".to_string())]
            )]
        );
    }

    #[test]
    fn invalid_override_names_key_and_value() {
        for bad in ["abc", "0", "-1", "1e3", "1,5", "150 USD"] {
            let env = MemEnv::default();
            set_price(&env, "price/ETH/USD", bad);
            match tick(&env, "ETH/USD") {
                Err(DriverError::InvalidRequest(msg)) => {
                    assert!(msg.contains("`price/ETH/USD`"), "{msg}");
                    assert!(msg.contains(&format!("{bad:?}")), "{msg}");
                }
                other => panic!("{bad:?}: {other:?}"),
            }
            assert!(fails_with(
                ticks(&env, &["BTC/USD", "ETH/USD"]),
                "InvalidRequest"
            ));
            // Other markets are unaffected.
            assert!(tick(&env, "BTC/USD").is_ok());
        }
        let env = MemEnv::default();
        set_price(&env, "price/BTC/USD", "79228162514264337593543950335");
        match tick(&env, "BTC/USD") {
            Err(DriverError::InvalidRequest(msg)) => {
                assert!(msg.contains("`price/BTC/USD`"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
    }
}
