//! The exchange's status and a market's rules, briefly remembered, so an
//! order does not wait on round trips for facts that rarely change. Only
//! good news is kept: a closed exchange or market is asked again every
//! time, so trading resumes as soon as it reopens. An order sent in the
//! seconds after an unannounced closure is refused by the exchange itself
//! (a proven rejection: the slot is freed, nothing is lost).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::exchange::{ExchangeState, ExchangeStatus, MarketRules, MarketStatus};

/// How long an "online" exchange status is trusted.
pub const STATUS_FRESH: Duration = Duration::from_secs(5);
/// How long an online market's rules (minimums, decimals) are trusted.
pub const RULES_FRESH: Duration = Duration::from_secs(60);

#[derive(Default)]
pub(super) struct Reference {
    status: Mutex<Option<(Instant, ExchangeStatus)>>,
    rules: Mutex<HashMap<String, (Instant, MarketRules)>>,
}

impl Reference {
    pub fn status(&self) -> Option<ExchangeStatus> {
        let cached = self.status.lock().unwrap_or_else(|p| p.into_inner());
        cached
            .as_ref()
            .filter(|(at, _)| at.elapsed() < STATUS_FRESH)
            .map(|(_, status)| status.clone())
    }

    pub fn keep_status(&self, status: &ExchangeStatus) {
        let mut cached = self.status.lock().unwrap_or_else(|p| p.into_inner());
        *cached = (status.state == ExchangeState::Online).then(|| (Instant::now(), status.clone()));
    }

    pub fn rules(&self, symbol: &str) -> Option<MarketRules> {
        let cached = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        cached
            .get(symbol)
            .filter(|(at, _)| at.elapsed() < RULES_FRESH)
            .map(|(_, rules)| rules.clone())
    }

    pub fn keep_rules(&self, symbol: &str, rules: &MarketRules) {
        let mut cached = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        if rules.status == MarketStatus::Online {
            cached.insert(symbol.to_owned(), (Instant::now(), rules.clone()));
        } else {
            cached.remove(symbol);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_good_news_is_kept() {
        let reference = Reference::default();
        let mut status = ExchangeStatus {
            state: ExchangeState::Maintenance,
            message: None,
        };
        reference.keep_status(&status);
        assert!(reference.status().is_none());
        status.state = ExchangeState::Online;
        reference.keep_status(&status);
        assert_eq!(reference.status(), Some(status.clone()));
        // Bad news replaces good news at once.
        status.state = ExchangeState::CancelOnly;
        reference.keep_status(&status);
        assert!(reference.status().is_none());
    }
}
