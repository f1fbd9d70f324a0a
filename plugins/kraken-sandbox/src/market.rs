//! The static market table (Kraken's AssetPairs values) and symbol parsing.

use crate::num;
use crate::tradehost::exchange::types::{DriverError, MarketRules, MarketStatus};
use rust_decimal::Decimal;

pub struct Market {
    /// Canonical unified symbol.
    pub symbol: &'static str,
    pub pair_id: &'static str,
    pub base: &'static str,
    pub quote: &'static str,
    /// ordermin and costmin as (mantissa, scale): Decimal::new is not const.
    min_size: (i64, u32),
    min_cost: (i64, u32),
    pub size_decimals: u8,
    pub price_decimals: u8,
}

impl Market {
    pub fn min_size(&self) -> Decimal {
        Decimal::new(self.min_size.0, self.min_size.1)
    }

    pub fn min_cost(&self) -> Decimal {
        Decimal::new(self.min_cost.0, self.min_cost.1)
    }
}

/// Every pair here quotes in USD and has Kraken's costmin of 0.5 USD.
const fn m(
    symbol: &'static str,
    base: &'static str,
    pair_id: &'static str,
    min_size: (i64, u32),
    size_decimals: u8,
    price_decimals: u8,
) -> Market {
    Market {
        symbol,
        pair_id,
        base,
        quote: "USD",
        min_size,
        min_cost: (5, 1),
        size_decimals,
        price_decimals,
    }
}

/// Kraken AssetPairs: ordermin, lot_decimals, pair_decimals.
pub static MARKETS: [Market; 5] = [
    m("BTC/USD", "BTC", "XXBTZUSD", (5, 5), 8, 1),
    m("ETH/USD", "ETH", "XETHZUSD", (2, 3), 8, 2),
    m("SOL/USD", "SOL", "SOLUSD", (6, 2), 8, 2),
    m("DOGE/USD", "DOGE", "XDGUSD", (50, 0), 8, 7),
    m("ADA/USD", "ADA", "ADAUSD", (5, 0), 8, 6),
];

/// Kraken's legacy asset codes mapped to unified ones.
fn unalias(code: &str) -> &str {
    match code {
        "XBT" => "BTC",
        "XDG" => "DOGE",
        other => other,
    }
}

/// Extra simulated USD markets from the `extra-markets` config, for paper
/// trading or load tests on more assets than the table holds. Each driver
/// call runs in a fresh instance, so this is set at most once per call.
static EXTRA: std::sync::OnceLock<Vec<Market>> = std::sync::OnceLock::new();

/// Registers "AAA/USD,BBB/USD" as markets with generic rules (min size
/// 0.0001, min cost 0.5 USD, 8 size and 4 price decimals).
pub fn register_extra(list: &str) -> Result<(), String> {
    let mut markets = Vec::new();
    for symbol in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let upper = symbol.to_ascii_uppercase();
        let base = match upper.split_once('/') {
            Some((base, "USD"))
                if (2..=10).contains(&base.len())
                    && base.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                base.to_owned()
            }
            _ => return Err(symbol.to_owned()),
        };
        if MARKETS.iter().any(|mk| mk.base == base) {
            continue;
        }
        // Leaked on purpose: the instance, and its memory, ends with the call.
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        markets.push(Market {
            symbol: leak(format!("{base}/USD")),
            pair_id: leak(format!("{base}USD")),
            base: leak(base),
            quote: "USD",
            min_size: (1, 4),
            min_cost: (5, 1),
            size_decimals: 8,
            price_decimals: 4,
        });
    }
    let _ = EXTRA.set(markets);
    Ok(())
}

fn all_markets() -> impl Iterator<Item = &'static Market> {
    MARKETS.iter().chain(EXTRA.get().into_iter().flatten())
}

/// Resolves "btc/usd", "XBT/USD", "xdg/usd", ... to the market.
pub fn parse_symbol(symbol: &str) -> Result<&'static Market, DriverError> {
    let upper = symbol.to_ascii_uppercase();
    let found = upper.split_once('/').and_then(|(b, q)| {
        let (b, q) = (unalias(b), unalias(q));
        all_markets().find(|mk| mk.base == b && mk.quote == q)
    });
    found.ok_or_else(|| {
        let supported: Vec<&str> = MARKETS.iter().map(|mk| mk.symbol).collect();
        DriverError::InvalidSymbol(format!(
            "unknown symbol {symbol:?}; supported: {}",
            supported.join(", ")
        ))
    })
}

pub fn rules(market: &Market, status: MarketStatus) -> MarketRules {
    MarketRules {
        symbol: market.symbol.into(),
        pair_id: market.pair_id.into(),
        base: market.base.into(),
        quote: market.quote.into(),
        min_size: num::fmt(market.min_size()),
        min_cost: num::fmt(market.min_cost()),
        size_decimals: market.size_decimals,
        price_decimals: market.price_decimals,
        status,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn extra_markets_get_generic_rules() {
        super::register_extra("ZZA/USD, zzb/usd").expect("valid list");
        let m = super::parse_symbol("zza/usd").expect("registered");
        assert_eq!(
            (m.symbol, m.pair_id, m.size_decimals),
            ("ZZA/USD", "ZZAUSD", 8)
        );
        assert!(super::parse_symbol("ZZB/USD").is_ok());
        assert!(super::register_extra("ZZC/EUR").is_err());
    }

    use super::*;

    #[test]
    fn aliases_and_case() {
        let sym = |s| parse_symbol(s).map(|m| m.symbol).ok();
        assert_eq!(sym("XBT/USD"), Some("BTC/USD"));
        assert_eq!(sym("btc/usd"), Some("BTC/USD"));
        assert_eq!(sym("xdg/Usd"), Some("DOGE/USD"));
        assert_eq!(sym("DOGE/USD"), Some("DOGE/USD"));
        assert_eq!(sym("eth/usd"), Some("ETH/USD"));
    }

    #[test]
    fn unknown_symbol_names_it_and_lists_supported() {
        for bad in ["BTC/EUR", "BTCUSD", "", "/", "BTC/USD/X", "XXBTZUSD"] {
            match parse_symbol(bad) {
                Err(DriverError::InvalidSymbol(msg)) => {
                    assert!(msg.contains(&format!("{bad:?}")), "{msg}");
                    assert!(
                        msg.contains("BTC/USD, ETH/USD, SOL/USD, DOGE/USD, ADA/USD"),
                        "{msg}"
                    );
                }
                _ => panic!("{bad:?} accepted"),
            }
        }
    }

    #[test]
    fn rules_match_kraken_asset_pairs() {
        let r = |s| {
            parse_symbol(s)
                .map(|mk| rules(mk, MarketStatus::Online))
                .ok()
        };
        let btc = r("BTC/USD").expect("btc");
        assert_eq!(
            (btc.pair_id.as_str(), btc.base.as_str(), btc.quote.as_str()),
            ("XXBTZUSD", "BTC", "USD")
        );
        assert_eq!(
            (btc.min_size.as_str(), btc.min_cost.as_str()),
            ("0.00005", "0.5")
        );
        assert_eq!((btc.size_decimals, btc.price_decimals), (8, 1));
        let doge = r("XDG/USD").expect("doge");
        assert_eq!(
            (
                doge.symbol.as_str(),
                doge.pair_id.as_str(),
                doge.base.as_str()
            ),
            ("DOGE/USD", "XDGUSD", "DOGE")
        );
        assert_eq!((doge.min_size.as_str(), doge.price_decimals), ("50", 7));
        let eth = r("ETH/USD").expect("eth");
        assert_eq!(
            (
                eth.pair_id.as_str(),
                eth.min_size.as_str(),
                eth.price_decimals
            ),
            ("XETHZUSD", "0.002", 2)
        );
        let sol = r("SOL/USD").expect("sol");
        assert_eq!(
            (
                sol.pair_id.as_str(),
                sol.min_size.as_str(),
                sol.price_decimals
            ),
            ("SOLUSD", "0.06", 2)
        );
        let ada = r("ADA/USD").expect("ada");
        assert_eq!(
            (
                ada.pair_id.as_str(),
                ada.min_size.as_str(),
                ada.price_decimals
            ),
            ("ADAUSD", "5", 6)
        );
    }
}
