//! The driver's configuration, read from the host's `config` import.
//! Every key is optional; a present but invalid value is an error that names
//! the key and the value, so a typo never silently falls back to a default.

use crate::env::Env;
use crate::market::{self, Market};
use crate::num;
use crate::tradehost::exchange::types::{DriverError, ExchangeState, ExchangeStatus, MarketStatus};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PriceSource {
    Fixed,
    Kraken,
}

/// Failure injection for place-market-order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fail {
    InsufficientFunds,
    RateLimit,
    Unavailable,
    Rejected,
    LostAnswer,
}

#[derive(Debug)]
pub struct Config {
    pub price_source: PriceSource,
    /// Reference price overrides, by canonical symbol.
    pub prices: BTreeMap<&'static str, Decimal>,
    pub spread_bps: Decimal,
    pub balance_usd: Decimal,
    pub fee_rate: Decimal,
    pub state: ExchangeState,
    pub fail: Option<Fail>,
}

fn invalid(key: &str, value: &str, expected: &str) -> DriverError {
    DriverError::InvalidRequest(format!(
        "config key `{key}` has invalid value {value:?}: expected {expected}"
    ))
}

/// A decimal in [0, max) (or [0, ∞) without max).
fn decimal(
    key: &str,
    value: &str,
    max: Option<Decimal>,
    expected: &str,
) -> Result<Decimal, DriverError> {
    match num::parse_plain(value) {
        Ok(d) if max.is_none_or(|m| d < m) => Ok(d),
        _ => Err(invalid(key, value, expected)),
    }
}

/// "BTC/USD=65000,SOL/USD=150.5" (aliases and any case allowed).
fn prices(value: &str) -> Result<BTreeMap<&'static str, Decimal>, DriverError> {
    let expected = "comma-separated SYMBOL=PRICE with a known symbol and a positive price";
    let mut out = BTreeMap::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parsed = entry.split_once('=').and_then(|(sym, price)| {
            let mk = market::parse_symbol(sym.trim()).ok()?;
            Some((mk.symbol, num::parse_positive(price.trim()).ok()?))
        });
        let (sym, price) = parsed.ok_or_else(|| invalid("prices", value, expected))?;
        out.insert(sym, price);
    }
    Ok(out)
}

pub fn load(env: &impl Env) -> Result<Config, DriverError> {
    // Values are trimmed; enum values are case-insensitive.
    let get = |key: &str| env.config(key).map(|v| v.trim().to_string());
    let lower = |key: &str| get(key).map(|v| v.to_ascii_lowercase());

    let price_source = match lower("price-source").as_deref() {
        None | Some("fixed") => PriceSource::Fixed,
        Some("kraken") => PriceSource::Kraken,
        Some(v) => return Err(invalid("price-source", v, "`fixed` or `kraken`")),
    };
    if let Some(list) = get("extra-markets") {
        market::register_extra(&list)
            .map_err(|bad| invalid("extra-markets", &bad, "comma-separated BASE/USD symbols"))?;
    }
    let prices = match get("prices") {
        Some(v) => prices(&v)?,
        None => BTreeMap::new(),
    };
    // A spread of 10000 bps or more would put the bid at or below zero.
    let spread_bps = match get("spread-bps") {
        Some(v) => decimal(
            "spread-bps",
            &v,
            Some(Decimal::from(10_000)),
            "a decimal in [0, 10000)",
        )?,
        None => Decimal::from(10),
    };
    let balance_usd = match get("balance-usd") {
        Some(v) => decimal("balance-usd", &v, None, "a non-negative decimal")?,
        None => Decimal::from(10_000),
    };
    let fee_rate = match get("fee-rate") {
        Some(v) => decimal(
            "fee-rate",
            &v,
            Some(Decimal::ONE),
            "a fraction in [0, 1), e.g. 0.0026",
        )?,
        None => Decimal::new(26, 4),
    };
    let state = match lower("status").as_deref() {
        None | Some("online") => ExchangeState::Online,
        Some("maintenance") => ExchangeState::Maintenance,
        Some("cancel-only") => ExchangeState::CancelOnly,
        Some("post-only") => ExchangeState::PostOnly,
        Some(v) => {
            return Err(invalid(
                "status",
                v,
                "online, maintenance, cancel-only or post-only",
            ));
        }
    };
    let fail = match lower("fail").as_deref() {
        None | Some("none") => None,
        Some("insufficient-funds") => Some(Fail::InsufficientFunds),
        Some("rate-limit") => Some(Fail::RateLimit),
        Some("unavailable") => Some(Fail::Unavailable),
        Some("rejected") => Some(Fail::Rejected),
        Some("lost-answer") => Some(Fail::LostAnswer),
        Some(v) => {
            let expected =
                "none, insufficient-funds, rate-limit, unavailable, rejected or lost-answer";
            return Err(invalid("fail", v, expected));
        }
    };
    Ok(Config {
        price_source,
        prices,
        spread_bps,
        balance_usd,
        fee_rate,
        state,
        fail,
    })
}

impl Config {
    pub fn online(&self) -> bool {
        self.state == ExchangeState::Online
    }

    pub fn market_status(&self) -> MarketStatus {
        match self.state {
            ExchangeState::Online => MarketStatus::Online,
            ExchangeState::Maintenance => MarketStatus::Maintenance,
            ExchangeState::CancelOnly => MarketStatus::CancelOnly,
            ExchangeState::PostOnly => MarketStatus::PostOnly,
        }
    }

    /// The config spelling of the state, for messages.
    pub fn state_name(&self) -> &'static str {
        match self.state {
            ExchangeState::Online => "online",
            ExchangeState::Maintenance => "maintenance",
            ExchangeState::CancelOnly => "cancel-only",
            ExchangeState::PostOnly => "post-only",
        }
    }

    pub fn exchange_status(&self) -> ExchangeStatus {
        let message = (!self.online())
            .then(|| format!("sandbox status set to {} by config", self.state_name()));
        ExchangeStatus {
            state: self.state,
            message,
        }
    }

    /// The override for this market, if configured.
    pub fn price_override(&self, market: &Market) -> Option<Decimal> {
        self.prices.get(market.symbol).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::mem::MemEnv;

    fn err_of(cfg: &[(&str, &str)]) -> String {
        match load(&MemEnv::with(cfg)) {
            Err(DriverError::InvalidRequest(msg)) => msg,
            other => panic!("expected invalid-request, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let cfg = load(&MemEnv::default()).expect("defaults load");
        assert_eq!(cfg.price_source, PriceSource::Fixed);
        assert!(cfg.prices.is_empty());
        assert_eq!(cfg.spread_bps.to_string(), "10");
        assert_eq!(cfg.balance_usd.to_string(), "10000");
        assert_eq!(cfg.fee_rate.to_string(), "0.0026");
        assert_eq!(cfg.state, ExchangeState::Online);
        assert_eq!(cfg.fail, None);
        assert_eq!(cfg.exchange_status().message, None);
    }

    #[test]
    fn parses_every_key() {
        let env = MemEnv::with(&[
            ("price-source", "Kraken"),
            ("prices", "BTC/USD=65000, xbt/usd=65001,SOL/USD=150.5"),
            ("spread-bps", "2.5"),
            ("balance-usd", "500"),
            ("fee-rate", "0.001"),
            ("status", "cancel-only"),
            ("fail", "lost-answer"),
        ]);
        let cfg = load(&env).expect("loads");
        assert_eq!(cfg.price_source, PriceSource::Kraken);
        assert_eq!(
            cfg.prices.get("BTC/USD").map(ToString::to_string),
            Some("65001".into())
        );
        assert_eq!(
            cfg.prices.get("SOL/USD").map(ToString::to_string),
            Some("150.5".into())
        );
        assert_eq!(cfg.spread_bps.to_string(), "2.5");
        assert_eq!(cfg.balance_usd.to_string(), "500");
        assert_eq!(cfg.fee_rate.to_string(), "0.001");
        assert_eq!(cfg.market_status(), MarketStatus::CancelOnly);
        assert_eq!(cfg.fail, Some(Fail::LostAnswer));
    }

    #[test]
    fn bad_values_name_key_and_value() {
        let cases: &[(&str, &str)] = &[
            ("price-source", "binance"),
            ("prices", "BTC/USD=abc"),
            ("prices", "FOO/USD=1"),
            ("prices", "BTC/USD=0"),
            ("prices", "BTC/USD"),
            ("spread-bps", "-1"),
            ("spread-bps", "10000"),
            ("spread-bps", "1e2"),
            ("balance-usd", "lots"),
            ("fee-rate", "1"),
            ("fee-rate", ""),
            ("status", "closed"),
            ("fail", "sometimes"),
        ];
        for (key, value) in cases {
            let msg = err_of(&[(key, value)]);
            assert!(msg.contains(&format!("`{key}`")), "{msg}");
            assert!(msg.contains(&format!("{value:?}")), "{msg}");
        }
    }
}
