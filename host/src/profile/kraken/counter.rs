//! Kraken's REST call counter: its size and decay per verification tier,
//! and what each private call adds to it. The host keeps a mirror of it
//! (`net::RestCounter`) so a key never trips Kraken's.

use crate::error::{Error, Result};
use crate::net::CounterLimits;

/// The Starter tier: the default, and the safest guess.
pub const STARTER: CounterLimits = CounterLimits {
    max: 15,
    decay_per_second: 0.33,
};
/// The Intermediate tier.
pub const INTERMEDIATE: CounterLimits = CounterLimits {
    max: 20,
    decay_per_second: 0.5,
};
/// The Pro tier.
pub const PRO: CounterLimits = CounterLimits {
    max: 20,
    decay_per_second: 1.0,
};

/// `starter`, `intermediate`, `pro`, or a custom `MAX/DECAY` (e.g. `10/0.5`).
pub fn parse_tier(text: &str) -> Result<CounterLimits> {
    let bad = || {
        Error::config(format!(
            "rate-limit tier {text:?} is not starter, intermediate, pro or MAX/DECAY (e.g. 15/0.33)"
        ))
    };
    match text.trim().to_ascii_lowercase().as_str() {
        "starter" => Ok(STARTER),
        "intermediate" => Ok(INTERMEDIATE),
        "pro" => Ok(PRO),
        custom => {
            let (max, decay) = custom.split_once('/').ok_or_else(bad)?;
            let max: u32 = max.parse().map_err(|_| bad())?;
            let decay: f64 = decay.parse().map_err(|_| bad())?;
            if max == 0 || max > 1000 || !(0.01..=1000.0).contains(&decay) {
                return Err(bad());
            }
            Ok(CounterLimits {
                max,
                decay_per_second: decay,
            })
        }
    }
}

/// What one private call adds to the counter.
pub fn call_cost(path: &str) -> u32 {
    match path.rsplit('/').next().unwrap_or_default() {
        // Trading calls have the matching engine's own limiter instead.
        "AddOrder" | "AddOrderBatch" | "CancelOrder" | "CancelOrderBatch" | "EditOrder"
        | "AmendOrder" => 0,
        "Ledgers" | "QueryLedgers" | "TradesHistory" | "QueryTrades" => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_follow_krakens_table() {
        assert_eq!(call_cost("/0/private/AddOrder"), 0);
        assert_eq!(call_cost("/0/private/Ledgers"), 2);
        assert_eq!(call_cost("/0/private/BalanceEx"), 1);
    }

    #[test]
    fn tiers_parse() {
        assert_eq!(parse_tier("Starter").unwrap(), STARTER);
        assert_eq!(
            parse_tier("3/20").unwrap(),
            CounterLimits {
                max: 3,
                decay_per_second: 20.0
            }
        );
        for bad in ["", "gold", "0/1", "3/0", "x/1", "3"] {
            assert!(parse_tier(bad).is_err(), "{bad}");
        }
    }
}
