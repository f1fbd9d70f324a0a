//! The simulated account: fill math, fees and balances. Pure functions over
//! decimals; `orders.rs` persists the results.

use crate::config::Config;
use crate::market::Market;
use crate::num;
use crate::prices::Quote;
use crate::tradehost::exchange::types::{Balance, DriverError, OrderAmount, Side};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Fees are charged to 8 decimal places, like Kraken's USD ledger.
const FEE_DECIMALS: u32 = 8;

fn invalid(msg: impl Into<String>) -> DriverError {
    DriverError::InvalidRequest(msg.into())
}

/// Arithmetic on input-derived values is checked: an absurd amount is a
/// bad request, never a panic.
fn too_large() -> DriverError {
    invalid("amount too large")
}

/// Checks the side/amount pairing and the amount itself, before any price
/// is fetched: a buy spends a quote amount, a sell sells a base amount.
pub fn order_amount(
    market: &Market,
    side: Side,
    amount: &OrderAmount,
) -> Result<Decimal, DriverError> {
    let (raw, what) = match (side, amount) {
        (Side::Buy, OrderAmount::Quote(q)) => (q, "quote amount"),
        (Side::Sell, OrderAmount::Base(b)) => (b, "base amount"),
        (Side::Buy, OrderAmount::Base(_)) => return Err(invalid("a buy must give a quote amount")),
        (Side::Sell, OrderAmount::Quote(_)) => {
            return Err(invalid("a sell must give a base amount"));
        }
    };
    let value = num::parse_positive(raw).map_err(|e| invalid(format!("{what}: {e}")))?;
    if side == Side::Sell {
        if num::frac_digits(value) > u32::from(market.size_decimals) {
            return Err(invalid(format!(
                "sell size {raw} has more than {} decimal places",
                market.size_decimals
            )));
        }
        below_min_size(market, value)?;
    }
    Ok(value)
}

fn below_min_size(market: &Market, size: Decimal) -> Result<(), DriverError> {
    if size < market.min_size() {
        return Err(DriverError::BelowMinimum(format!(
            "order size {} {} is below the minimum {} {}",
            num::fmt(size),
            market.base,
            num::fmt(market.min_size()),
            market.base
        )));
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fill {
    pub side: Side,
    /// Base units bought or sold.
    pub size: Decimal,
    pub price: Decimal,
    /// size * price, in quote units.
    pub cost: Decimal,
    /// In quote units (USD).
    pub fee: Decimal,
}

/// Fills `value` (from `order_amount`) at the quote: buys at the ask, sells at the bid.
pub fn fill(
    market: &Market,
    side: Side,
    value: Decimal,
    quote: &Quote,
    fee_rate: Decimal,
) -> Result<Fill, DriverError> {
    let (size, price) = match side {
        Side::Buy => {
            let ask = quote.ask;
            let dp = u32::from(market.size_decimals);
            let mut size = value
                .checked_div(ask)
                .ok_or_else(too_large)?
                .round_dp_with_strategy(dp, RoundingStrategy::ToZero);
            // Division keeps 28 digits; never let its rounding spend more than given.
            if size.checked_mul(ask).is_none_or(|c| c > value) {
                size -= Decimal::new(1, dp);
            }
            (size, ask)
        }
        Side::Sell => (value, quote.bid),
    };
    below_min_size(market, size)?;
    let cost = size.checked_mul(price).ok_or_else(too_large)?;
    if cost < market.min_cost() {
        return Err(DriverError::BelowMinimum(format!(
            "order cost {} {} is below the minimum {} {}",
            num::fmt(cost),
            market.quote,
            num::fmt(market.min_cost()),
            market.quote
        )));
    }
    let fee = cost
        .checked_mul(fee_rate)
        .ok_or_else(too_large)?
        .round_dp_with_strategy(FEE_DECIMALS, RoundingStrategy::MidpointAwayFromZero);
    Ok(Fill {
        side,
        size,
        price,
        cost,
        fee,
    })
}

/// The account as stored under `account`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Account {
    pub balances: BTreeMap<String, Decimal>,
    /// Sequence number of the next order; makes order ids unique.
    pub next_seq: u64,
}

impl Account {
    pub fn new(cfg: &Config) -> Self {
        Account {
            balances: BTreeMap::from([("USD".to_string(), cfg.balance_usd)]),
            next_seq: 0,
        }
    }

    /// Stored account, or a fresh one seeded from `balance-usd`.
    pub fn load(raw: Option<&str>, cfg: &Config) -> Result<Self, DriverError> {
        match raw {
            None => Ok(Account::new(cfg)),
            Some(json) => serde_json::from_str(json)
                .map_err(|e| DriverError::Unavailable(format!("corrupt account state: {e}"))),
        }
    }

    fn balance(&self, currency: &str) -> Decimal {
        self.balances
            .get(currency)
            .copied()
            .unwrap_or(Decimal::ZERO)
    }

    fn debit(&mut self, currency: &str, amount: Decimal) -> Result<(), DriverError> {
        let have = self.balance(currency);
        if have < amount {
            return Err(DriverError::InsufficientFunds(format!(
                "need {} {currency}, have {}",
                num::fmt(amount),
                num::fmt(have)
            )));
        }
        self.balances
            .insert(currency.to_string(), (have - amount).normalize());
        Ok(())
    }

    fn credit(&mut self, currency: &str, amount: Decimal) -> Result<(), DriverError> {
        let sum = self
            .balance(currency)
            .checked_add(amount)
            .ok_or_else(too_large)?;
        self.balances.insert(currency.to_string(), sum.normalize());
        Ok(())
    }

    /// Books a fill: a buy debits cost + fee, a sell credits cost - fee.
    pub fn apply(&mut self, market: &Market, fill: &Fill) -> Result<(), DriverError> {
        match fill.side {
            Side::Buy => {
                let debit = fill.cost.checked_add(fill.fee).ok_or_else(too_large)?;
                self.debit(market.quote, debit)?;
                self.credit(market.base, fill.size)
            }
            Side::Sell => {
                self.debit(market.base, fill.size)?;
                self.credit(market.quote, fill.cost - fill.fee)
            }
        }
    }

    /// Market orders never rest, so everything is available.
    pub fn balances(&self) -> Vec<Balance> {
        let b = |(currency, amount): (&String, &Decimal)| Balance {
            currency: currency.clone(),
            total: num::fmt(*amount),
            available: num::fmt(*amount),
        };
        self.balances.iter().map(b).collect()
    }
}
