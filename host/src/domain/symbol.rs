//! Unified market symbols: `BASE/QUOTE`, upper case, with the exchange-era
//! aliases folded (Kraken's API still says XBT and XDG).

use std::fmt;

use crate::error::{Error, Result};

/// A currency code, upper case, with the exchange-era aliases folded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(String);

impl Currency {
    /// A code of 2 to 10 letters or digits, upper-cased, aliases folded (XBT is
    /// BTC).
    pub fn parse(input: &str) -> Result<Currency> {
        let code = input.trim();
        if !valid_code(code) {
            return Err(Error::invalid_input(format!(
                "{:?} is not a currency code (2 to 10 letters or digits, e.g. BTC)",
                crate::text::untrusted(input, 20)
            )));
        }
        Ok(Currency(canonical_currency(code)))
    }

    /// The code ("BTC").
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn valid_code(code: &str) -> bool {
    (2..=10).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A syntactically valid unified symbol. Whether the exchange lists it is
/// the driver's answer (`market-rules`), not this type's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol {
    base: String,
    quote: String,
}

const ALIASES: [(&str, &str); 2] = [("XBT", "BTC"), ("XDG", "DOGE")];

fn canonical_currency(code: &str) -> String {
    let upper = code.to_ascii_uppercase();
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == upper)
        .map(|(_, canonical)| (*canonical).to_owned())
        .unwrap_or(upper)
}

impl Symbol {
    /// `BASE/QUOTE` with two different valid codes, upper-cased, aliases
    /// folded; otherwise an `InvalidSymbol` error.
    pub fn parse(input: &str) -> Result<Symbol> {
        let text = input.trim();
        let bad = |why: &str| {
            Error::new(
                crate::error::ErrorKind::InvalidSymbol,
                format!("symbol {input:?} is not valid: {why}"),
            )
        };
        if text.is_empty() {
            return Err(bad("it is empty; use BASE/QUOTE, e.g. BTC/USD"));
        }
        let Some((base, quote)) = text.split_once('/') else {
            return Err(bad("use BASE/QUOTE, e.g. BTC/USD"));
        };
        if !valid_code(base) || !valid_code(quote) {
            return Err(bad(
                "currency codes are 2 to 10 letters or digits, e.g. BTC/USD",
            ));
        }
        let symbol = Symbol {
            base: canonical_currency(base),
            quote: canonical_currency(quote),
        };
        if symbol.base == symbol.quote {
            return Err(bad("base and quote are the same currency"));
        }
        Ok(symbol)
    }

    /// The asset a position is held in; the one-position rule is per asset.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The currency prices and amounts to spend are in.
    pub fn quote(&self) -> &str {
        &self.quote
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.quote)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_aliases() {
        assert_eq!(Symbol::parse("btc/usd").unwrap().to_string(), "BTC/USD");
        assert_eq!(Symbol::parse("XBT/USD").unwrap().to_string(), "BTC/USD");
        assert_eq!(Symbol::parse(" xdg/usd ").unwrap().to_string(), "DOGE/USD");
        assert_eq!(Symbol::parse("SOL/USD").unwrap().base(), "SOL");
    }

    #[test]
    fn currencies_fold_aliases_and_refuse_junk() {
        assert_eq!(Currency::parse(" xbt ").unwrap().as_str(), "BTC");
        assert_eq!(Currency::parse("usd").unwrap().to_string(), "USD");
        for bad in ["", "X", "US-D", "ABCDEFGHIJK", "\u{1b}[2J"] {
            assert!(Currency::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "BTC",
            "BTCUSD",
            "/USD",
            "BTC/",
            "BTC/USD/EUR",
            "B-C/USD",
            "BTC/BTC",
            "XBT/BTC",
            "BTC USD",
        ] {
            assert!(Symbol::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
