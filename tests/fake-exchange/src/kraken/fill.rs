//! How a market order executes: its trades, the reported average price,
//! the (truncated) cost and the fee, all exact decimals.

use rust_decimal::{Decimal, RoundingStrategy};

use super::Execution;
use super::market::Pair;

/// A market order's execution.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Fill {
    /// (volume, price) per trade, in execution order.
    pub trades: Vec<(Decimal, Decimal)>,
    pub vol_exec: Decimal,
    /// Volume-weighted average price rounded to `pair_decimals`; 0 when
    /// nothing filled.
    pub avg_price: Decimal,
    /// Σ volume × price truncated to `cost_decimals`, as Kraken reports it.
    pub cost: Decimal,
}

/// Where the fee is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FeeIn {
    Base,
    Quote,
}

impl FeeIn {
    pub fn flag(self) -> &'static str {
        match self {
            FeeIn::Base => "fcib",
            FeeIn::Quote => "fciq",
        }
    }

    /// Kraken's default: fee in quote on buys, in base on sells.
    pub fn default_for(side: &str) -> FeeIn {
        if side == "buy" {
            FeeIn::Quote
        } else {
            FeeIn::Base
        }
    }
}

fn round_half_away(v: Decimal, dp: u32) -> Decimal {
    v.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

fn truncate(v: Decimal, dp: u32) -> Decimal {
    v.round_dp_with_strategy(dp, RoundingStrategy::ToZero)
}

/// The price of trade `i` of `n`: the quote moved `bps × i / (n − 1)`
/// against the taker (the full `bps` when `n` is 1), rounded to the pair's
/// `pair_decimals`, never below one tick.
fn step_price(pair: &Pair, buy: bool, quote: Decimal, bps: u32, i: u32, n: u32) -> Decimal {
    let share = if n <= 1 {
        Decimal::ONE
    } else {
        Decimal::from(i) / Decimal::from(n - 1)
    };
    let moved = Decimal::from(bps) * share / Decimal::from(10_000);
    let raw = if buy {
        quote * (Decimal::ONE + moved)
    } else {
        quote * (Decimal::ONE - moved)
    };
    let tick = Decimal::new(1, pair.pair_decimals);
    round_half_away(raw, pair.pair_decimals).max(tick)
}

/// The worst price any trade of this order can get (for the funds check).
pub(super) fn worst_price(pair: &Pair, buy: bool, quote: Decimal, exec: &Execution) -> Decimal {
    step_price(pair, buy, quote, exec.slippage_bps, 1, 1)
}

/// Executes `volume` against `quote` (ask for a buy, bid for a sell).
pub(super) fn execute(
    pair: &Pair,
    buy: bool,
    quote: Decimal,
    volume: Decimal,
    exec: &Execution,
) -> Fill {
    let lot = pair.lot_decimals;
    let executed = match exec.fill_ratio {
        Some(ratio) => truncate(volume * ratio, lot),
        None => volume,
    };
    let mut scaled = executed;
    scaled.rescale(lot);
    let units = scaled.mantissa();
    let n = i128::from(exec.trades.max(1)).min(units);
    let mut trades = Vec::new();
    if n > 0 {
        let (per, extra) = (units / n, units % n);
        let count = u32::try_from(n).unwrap_or(1);
        for i in 0..count {
            let lots = per + i128::from(i128::from(i) < extra);
            let price = step_price(pair, buy, quote, exec.slippage_bps, i, count);
            trades.push((Decimal::from_i128_with_scale(lots, lot), price));
        }
    }
    let exact: Decimal = trades.iter().map(|(v, p)| v * p).sum();
    let vol_exec: Decimal = trades.iter().map(|(v, _)| v).sum();
    let avg_price = if vol_exec.is_zero() {
        Decimal::ZERO
    } else {
        round_half_away(exact / vol_exec, pair.pair_decimals)
    };
    Fill {
        trades,
        vol_exec,
        avg_price,
        cost: truncate(exact, pair.cost_decimals),
    }
}

/// Fee in quote: rate × cost, 8 dp, half away from zero.
pub(super) fn quote_fee(rate: Decimal, cost: Decimal) -> Decimal {
    round_half_away(rate * cost, 8)
}

/// Fee in base: rate × volume, rounded to the pair's `lot_decimals`, half
/// away from zero.
pub(super) fn base_fee(pair: &Pair, rate: Decimal, volume: Decimal) -> Decimal {
    round_half_away(rate * volume, pair.lot_decimals)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::kraken::market::default_pairs;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn pair(id: &str) -> Pair {
        default_pairs()
            .into_iter()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("{id}"))
    }

    #[test]
    fn the_default_fills_in_one_trade_at_the_quote() {
        let fill = execute(
            &pair("SOLUSD"),
            true,
            d("150.05"),
            d("0.5"),
            &Execution::default(),
        );
        assert_eq!(fill.trades, vec![(d("0.5"), d("150.05"))]);
        assert_eq!((fill.avg_price, fill.cost), (d("150.05"), d("75.025")));
    }

    #[test]
    fn trades_step_from_the_quote_to_the_slipped_price() {
        let exec = Execution::default().slippage_bps(100).trades(3);
        let sol = pair("SOLUSD");
        let buy = execute(&sol, true, d("150.05"), d("1"), &exec);
        let prices: Vec<Decimal> = buy.trades.iter().map(|t| t.1).collect();
        // 150.05 × 1.005 = 150.80025 → 150.80; × 1.01 = 151.5505 → 151.55.
        assert_eq!(prices, [d("150.05"), d("150.80"), d("151.55")]);
        let vols: Vec<Decimal> = buy.trades.iter().map(|t| t.0).collect();
        assert_eq!(vols, [d("0.33333334"), d("0.33333333"), d("0.33333333")]);
        let sell = execute(&sol, false, d("149.95"), d("1"), &exec);
        // 149.95 × 0.995 = 149.20025 → 149.20; × 0.99 = 148.4505 → 148.45.
        let prices: Vec<Decimal> = sell.trades.iter().map(|t| t.1).collect();
        assert_eq!(prices, [d("149.95"), d("149.20"), d("148.45")]);
        assert_eq!(worst_price(&sol, false, d("149.95"), &exec), d("148.45"));
        // Fewer lots than trades: one trade per lot.
        let tiny = execute(&sol, true, d("150.05"), d("0.00000002"), &exec);
        assert_eq!(tiny.trades.len(), 2);
    }

    #[test]
    fn a_fill_ratio_rounds_the_volume_down_to_whole_lots() {
        let exec = Execution::default().fill_ratio("0.333");
        let fill = execute(&pair("SOLUSD"), true, d("150.05"), d("0.12345679"), &exec);
        // 0.12345679 × 0.333 = 0.04111111107 → 0.04111111.
        assert_eq!(fill.vol_exec, d("0.04111111"));
        let none = execute(
            &pair("SOLUSD"),
            true,
            d("150.05"),
            d("1"),
            &Execution::default().fill_ratio("0"),
        );
        assert!(none.trades.is_empty() && none.avg_price.is_zero() && none.cost.is_zero());
    }
}
