//! Rate limits kept on the host side so a key (or the host's IP) never
//! trips the exchange's: a per-key call counter (a counter that rises per
//! private call and decays continuously is a leaky bucket, which is what
//! GCRA (governor) models; the profile says what each call costs), a
//! public-request budget, a weight budget read from the answers, and the
//! pause an exchange asks for with `Retry-After`.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::error::{Error, Result};

/// A per-key call counter that rises per private call and decays
/// continuously (Kraken's REST counter): its size and decay per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CounterLimits {
    /// The counter's size: a call that would take it past this waits.
    pub max: u32,
    /// How much the counter falls per second.
    pub decay_per_second: f64,
}

/// A leaky bucket of `burst` calls refilled at `per_second`.
fn bucket(burst: u32, per_second: f64) -> DefaultDirectRateLimiter {
    let period = Duration::from_secs_f64(1.0 / per_second);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst);
    RateLimiter::direct(quota)
}

/// Waits for `cost` units, never more than the bucket holds: a cost above
/// the burst waits for a full bucket rather than not at all.
async fn take(limiter: &DefaultDirectRateLimiter, burst: u32, cost: u32) {
    if let Some(cost) = NonZeroU32::new(cost.min(burst.max(1))) {
        if matches!(limiter.check_n(cost), Ok(Ok(()))) {
            return;
        }
        metrics::counter!("tradehost_rate_limit_waits_total").increment(1);
        let _ = limiter.until_n_ready(cost).await;
    }
}

/// The host's mirror of an exchange's per-key call counter.
pub struct RestCounter {
    limiter: DefaultDirectRateLimiter,
    burst: u32,
}

impl RestCounter {
    /// A counter for an account with these limits (less one count of headroom).
    pub fn new(limits: CounterLimits) -> RestCounter {
        // One count of headroom: the exchange measures decay from when each
        // request arrives, and arrival times jitter.
        let burst = limits.max.saturating_sub(1).max(1);
        RestCounter {
            limiter: bucket(burst, limits.decay_per_second),
            burst,
        }
    }

    /// Waits until a call costing `cost` fits under the counter.
    pub async fn acquire(&self, cost: u32) {
        take(&self.limiter, self.burst, cost).await;
    }
}

/// Public requests per process (per IP, as exchanges count them).
pub struct PublicLimiter {
    limiter: DefaultDirectRateLimiter,
    burst: u32,
}

/// `burst` requests at once, then `per_second`. The default suits the
/// strictest exchange (Kraken asks for about one public call a second); a
/// short burst lets one order's reads go at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PublicRate {
    /// Requests that may go at once.
    pub burst: u32,
    /// Requests per second after the burst.
    pub per_second: f64,
}

impl PublicRate {
    /// Ten at once, then one a second.
    pub const DEFAULT: PublicRate = PublicRate {
        burst: 10,
        per_second: 1.0,
    };

    /// `BURST/PER_SECOND`, e.g. `10/1`.
    pub fn parse(text: &str) -> Result<PublicRate> {
        let bad = || {
            Error::config(format!(
                "public rate {text:?} is not BURST/PER_SECOND (e.g. 10/1)"
            ))
        };
        let (burst, rate) = text.trim().split_once('/').ok_or_else(bad)?;
        let burst: u32 = burst.parse().map_err(|_| bad())?;
        let per_second: f64 = rate.parse().map_err(|_| bad())?;
        if burst == 0 || burst > 10_000 || !(0.01..=10_000.0).contains(&per_second) {
            return Err(bad());
        }
        Ok(PublicRate { burst, per_second })
    }
}

impl PublicLimiter {
    pub fn new(rate: PublicRate) -> PublicLimiter {
        PublicLimiter {
            limiter: bucket(rate.burst, rate.per_second),
            burst: rate.burst,
        }
    }

    pub async fn acquire(&self) {
        take(&self.limiter, self.burst, 1).await;
    }
}

/// Why the host is not sending to the exchange for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseReason {
    /// The exchange said so (`Retry-After` on 429/418).
    RetryAfter,
    /// Its request-weight budget for the minute is nearly spent.
    WeightBudget,
}

impl std::fmt::Display for PauseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PauseReason::RetryAfter => "the exchange asked the host to pause (Retry-After)",
            PauseReason::WeightBudget => {
                "the exchange's request weight for this minute is nearly spent"
            }
        })
    }
}

/// A pause in sending to the exchange: until it passes, the host sends
/// nothing to it and says so. A longer pause is never shortened.
#[derive(Default)]
pub struct Backoff {
    until: std::sync::Mutex<Option<(std::time::Instant, PauseReason)>>,
}

/// Share of the weight budget at which the host stops sending: what is left
/// covers requests already in flight (Binance's heaviest read weighs 20,
/// 0.3 % of its 6000).
const WEIGHT_PAUSE_PERCENT: u64 = 90;

/// Whether `used` of a per-minute `budget` calls for a pause.
pub fn weight_nearly_spent(used: u32, budget: u32) -> bool {
    u64::from(used) * 100 >= u64::from(budget) * WEIGHT_PAUSE_PERCENT
}

/// Time left until the wall clock's minute turns (at least a millisecond):
/// Binance counts request weight per calendar minute.
pub fn until_the_minute_turns(now: std::time::SystemTime) -> Duration {
    let since_epoch = now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let into_minute = u64::try_from(since_epoch.as_millis() % 60_000).unwrap_or(0);
    Duration::from_millis(60_000u64.saturating_sub(into_minute).max(1))
}

impl Backoff {
    pub fn pause_for(&self, seconds: u64) {
        self.pause(
            Duration::from_secs(seconds.min(3 * 24 * 3600)),
            PauseReason::RetryAfter,
        );
    }

    pub fn pause(&self, length: Duration, reason: PauseReason) {
        let until = std::time::Instant::now() + length;
        let mut current = self.until.lock().unwrap_or_else(|p| p.into_inner());
        if current.is_none_or(|(c, _)| c < until) {
            *current = Some((until, reason));
        }
    }

    /// Seconds left of the pause (at least 1), and why, if paused.
    pub fn remaining(&self) -> Option<(u64, PauseReason)> {
        let current = self.until.lock().unwrap_or_else(|p| p.into_inner());
        let (until, reason) = (*current)?;
        let left = until.checked_duration_since(std::time::Instant::now())?;
        Some((left.as_secs().max(1), reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_rates_parse() {
        assert_eq!(PublicRate::parse("10/1").unwrap(), PublicRate::DEFAULT);
        for bad in ["", "0/1", "5/0", "5", "x/y"] {
            assert!(PublicRate::parse(bad).is_err(), "{bad}");
        }
    }

    /// Whether `acquire(cost)` completes at once (within a generous 50 ms;
    /// the waits here are seconds long).
    async fn at_once(counter: &RestCounter, cost: u32) -> bool {
        tokio::time::timeout(Duration::from_millis(50), counter.acquire(cost))
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn a_cost_above_the_burst_waits_for_a_full_bucket() {
        // Max 2 → burst 1: a cost of 2 cannot fit; it must still wait for a
        // full bucket (one unit every 2 s) instead of passing at once.
        let counter = RestCounter::new(CounterLimits {
            max: 2,
            decay_per_second: 0.5,
        });
        assert!(at_once(&counter, 1).await);
        assert!(!at_once(&counter, 2).await, "waits for the bucket");
    }

    #[test]
    fn a_pause_is_kept_until_it_passes() {
        let backoff = Backoff::default();
        assert_eq!(backoff.remaining(), None);
        backoff.pause_for(30);
        assert!(
            backoff
                .remaining()
                .is_some_and(|(s, why)| s <= 30 && why == PauseReason::RetryAfter)
        );
        // A shorter pause does not cut a longer one short.
        backoff.pause(Duration::from_secs(2), PauseReason::WeightBudget);
        assert!(
            backoff
                .remaining()
                .is_some_and(|(s, why)| s > 2 && why == PauseReason::RetryAfter)
        );
        let short = Backoff::default();
        short.pause(Duration::from_millis(20), PauseReason::WeightBudget);
        assert!(short.remaining().is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(short.remaining(), None, "over once it passed");
    }

    #[test]
    fn the_weight_pause_starts_at_ninety_percent_and_ends_with_the_minute() {
        assert!(!weight_nearly_spent(5399, 6000));
        assert!(weight_nearly_spent(5400, 6000));
        assert!(weight_nearly_spent(7000, 6000));
        assert!(weight_nearly_spent(u32::MAX, u32::MAX), "no overflow");
        let at = |ms: u64| std::time::UNIX_EPOCH + Duration::from_millis(ms);
        // 12:00:45.250 → 14.75 s to 12:01:00.
        let noon: u64 = 30_000_000 * 60_000;
        assert_eq!(
            until_the_minute_turns(at(noon + 45_250)),
            Duration::from_millis(14_750)
        );
        assert_eq!(
            until_the_minute_turns(at(noon)),
            Duration::from_secs(60),
            "on the turn: the whole next minute"
        );
        assert_eq!(
            until_the_minute_turns(at(noon + 59_999)),
            Duration::from_millis(1)
        );
    }

    #[tokio::test]
    async fn a_burst_fits_then_the_counter_is_full_except_for_free_calls() {
        let counter = RestCounter::new(CounterLimits {
            max: 4,
            decay_per_second: 0.01,
        });
        for _ in 0..3 {
            assert!(at_once(&counter, 1).await);
        }
        assert!(!at_once(&counter, 1).await, "the counter is full");
        assert!(
            at_once(&counter, 0).await,
            "a call that costs nothing (an order) passes"
        );
    }
}
