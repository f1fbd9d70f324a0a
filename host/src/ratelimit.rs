//! Kraken's REST call counter, kept on the host side so a key never trips
//! the exchange's limit: a counter that rises per private call and decays
//! continuously is a leaky bucket, which is what GCRA (governor) models.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::error::{Error, Result};

/// Counter size and decay per second of one Kraken verification tier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tier {
    pub max: u32,
    pub decay_per_second: f64,
}

impl Tier {
    pub const STARTER: Tier = Tier {
        max: 15,
        decay_per_second: 0.33,
    };
    pub const INTERMEDIATE: Tier = Tier {
        max: 20,
        decay_per_second: 0.5,
    };
    pub const PRO: Tier = Tier {
        max: 20,
        decay_per_second: 1.0,
    };

    /// `starter`, `intermediate`, `pro`, or a custom `MAX/DECAY` (e.g. `10/0.5`).
    pub fn parse(text: &str) -> Result<Tier> {
        let bad = || {
            Error::config(format!(
                "rate-limit tier {text:?} is not starter, intermediate, pro or MAX/DECAY (e.g. 15/0.33)"
            ))
        };
        match text.trim().to_ascii_lowercase().as_str() {
            "starter" => Ok(Tier::STARTER),
            "intermediate" => Ok(Tier::INTERMEDIATE),
            "pro" => Ok(Tier::PRO),
            custom => {
                let (max, decay) = custom.split_once('/').ok_or_else(bad)?;
                let max: u32 = max.parse().map_err(|_| bad())?;
                let decay: f64 = decay.parse().map_err(|_| bad())?;
                if max == 0 || max > 1000 || !(0.01..=1000.0).contains(&decay) {
                    return Err(bad());
                }
                Ok(Tier {
                    max,
                    decay_per_second: decay,
                })
            }
        }
    }
}

/// What one private call adds to Kraken's counter.
pub fn kraken_cost(path: &str) -> u32 {
    match path.rsplit('/').next().unwrap_or_default() {
        // Trading calls have the matching engine's own limiter instead.
        "AddOrder" | "AddOrderBatch" | "CancelOrder" | "CancelOrderBatch" | "EditOrder"
        | "AmendOrder" => 0,
        "Ledgers" | "QueryLedgers" | "TradesHistory" | "QueryTrades" => 2,
        _ => 1,
    }
}

pub struct RestCounter {
    limiter: DefaultDirectRateLimiter,
}

impl RestCounter {
    pub fn new(tier: Tier) -> RestCounter {
        let period = Duration::from_secs_f64(1.0 / tier.decay_per_second);
        // One count of headroom: the exchange measures decay from when each
        // request arrives, and arrival times jitter.
        let burst = NonZeroU32::new(tier.max.saturating_sub(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        RestCounter {
            limiter: RateLimiter::direct(quota),
        }
    }

    /// Takes room for a call to `path` if there is some now.
    pub fn try_acquire(&self, path: &str) -> bool {
        match NonZeroU32::new(kraken_cost(path)) {
            Some(cost) => matches!(self.limiter.check_n(cost), Ok(Ok(()))),
            None => true,
        }
    }

    /// Waits until a call to `path` fits under the counter.
    pub async fn acquire(&self, path: &str) {
        if let Some(cost) = NonZeroU32::new(kraken_cost(path)) {
            // A cost above the burst can never fit; the tier parser prevents it.
            let _ = self.limiter.until_n_ready(cost).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_follow_krakens_table() {
        assert_eq!(kraken_cost("/0/private/AddOrder"), 0);
        assert_eq!(kraken_cost("/0/private/Ledgers"), 2);
        assert_eq!(kraken_cost("/0/private/BalanceEx"), 1);
    }

    #[test]
    fn tiers_parse() {
        assert_eq!(Tier::parse("Starter").unwrap(), Tier::STARTER);
        assert_eq!(
            Tier::parse("3/20").unwrap(),
            Tier {
                max: 3,
                decay_per_second: 20.0
            }
        );
        for bad in ["", "gold", "0/1", "3/0", "x/1", "3"] {
            assert!(Tier::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_burst_fits_then_the_counter_is_full_except_for_orders() {
        let counter = RestCounter::new(Tier {
            max: 4,
            decay_per_second: 0.01,
        });
        for _ in 0..3 {
            assert!(counter.try_acquire("/0/private/BalanceEx"));
        }
        assert!(
            !counter.try_acquire("/0/private/QueryOrders"),
            "the counter is full"
        );
        assert!(
            counter.try_acquire("/0/private/AddOrder"),
            "orders do not count here"
        );
    }
}
