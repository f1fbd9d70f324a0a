//! Arithmetic from an exchange's order report to trade values, and the
//! checks that make a report safe to record. Pure: every input, including
//! the time, is a parameter. Every operation on a reported value is
//! checked; an overflow is a `plugin` error, never a panic.
//!
//! The exchange's fill is the truth: a fill worse than the quote is
//! recorded as it happened. Refused are only reports that cannot be true:
//! another order's (order id, client order id, symbol or side), more than
//! was ordered, a cost that is not size × price, a fee that is not in the
//! market's currencies' plausible range, a price an order of magnitude
//! away from the market.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::domain::Symbol;
use crate::domain::trade::{EntryValues, FillUpdate, OrderRecord, SellResult, TradeRecord};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Fee, OrderReport, Side};

/// Slack allowed between reported cost and size × price (exchange rounding).
const COST_TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 2); // 0.01 = 1 %
/// No taker fee is anywhere near this share of the order value.
const MAX_FEE_SHARE: Decimal = Decimal::from_parts(5, 0, 0, false, 2); // 5 %
/// A market fill this many times away from the quote is not a market.
const MAX_PRICE_FACTOR: Decimal = Decimal::from_parts(10, 0, 0, false, 0);
/// Decimals kept in computed prices and prorated values.
const DP: u32 = 12;

/// What the host knows of the order a report must be about.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub order: &'a OrderRecord,
    pub symbol: &'a Symbol,
    /// The exchange order id the host recorded, if any.
    pub order_id: Option<&'a str>,
    /// The report answers a lookup by client order id, so it must carry it.
    pub by_client_id: bool,
    /// Allowance on a buy sized in base units at the quote price.
    pub slippage_margin: Decimal,
}

fn implausible(report: &OrderReport, why: String) -> Error {
    Error::new(
        ErrorKind::Plugin,
        format!(
            "the driver reported an impossible fill for order {} ({why}); the position stays reserved — check the order on the exchange",
            crate::text::untrusted(&report.order_id, 64)
        ),
    )
}

fn overflow(report: &OrderReport) -> Error {
    implausible(report, "a value out of range".to_owned())
}

fn mul(report: &OrderReport, a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_mul(b).ok_or_else(|| overflow(report))
}

fn div(report: &OrderReport, a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_div(b).ok_or_else(|| overflow(report))
}

fn add(report: &OrderReport, a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(|| overflow(report))
}

fn sub(report: &OrderReport, a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_sub(b).ok_or_else(|| overflow(report))
}

/// Fees split by what they do: a base fee shrinks what is held, a quote fee
/// is cash; either is valued in quote. Others are kept apart, unvalued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fees {
    pub base: Decimal,
    pub quote: Decimal,
    /// Base and quote fees together, in quote.
    pub value: Decimal,
    pub other: Vec<Fee>,
}

fn fees(report: &OrderReport, symbol: &Symbol) -> Result<Fees> {
    let (mut base, mut quote, mut other): (Decimal, Decimal, Vec<Fee>) =
        (Decimal::ZERO, Decimal::ZERO, Vec::new());
    for fee in &report.fees {
        if fee.currency.eq_ignore_ascii_case(symbol.base()) {
            base = add(report, base, fee.amount)?;
        } else if fee.currency.eq_ignore_ascii_case(symbol.quote()) {
            quote = add(report, quote, fee.amount)?;
        } else if !fee.amount.is_zero() {
            other.push(fee.clone());
        }
    }
    let base_value = mul(report, base, report.average_price)?.round_dp(DP);
    Ok(Fees {
        base,
        quote,
        value: add(report, base_value, quote)?,
        other,
    })
}

/// The report is about this order and adds up.
pub fn check_report(report: &OrderReport, expected: Expected<'_>) -> Result<Fees> {
    let order = expected.order;
    if let Some(id) = expected.order_id
        && report.order_id != id
    {
        return Err(implausible(report, format!("it is not order {id}")));
    }
    match &report.client_order_id {
        Some(id) if id != &order.client_order_id => {
            return Err(implausible(
                report,
                "it carries another client order id".to_owned(),
            ));
        }
        None if expected.by_client_id => {
            return Err(implausible(
                report,
                "it does not carry the client order id asked for".to_owned(),
            ));
        }
        _ => {}
    }
    if &report.symbol != expected.symbol {
        return Err(implausible(
            report,
            format!("it is for {}, not {}", report.symbol, expected.symbol),
        ));
    }
    if report.side != order.side {
        return Err(implausible(
            report,
            format!("it is a {}, not a {}", report.side, order.side),
        ));
    }
    let fees = fees(report, expected.symbol)?;
    if report.filled_size.is_zero() {
        return Ok(fees);
    }
    if report.average_price.is_zero() || report.cost.is_zero() {
        return Err(implausible(
            report,
            "a fill with a zero price or cost".to_owned(),
        ));
    }
    let expected_cost = mul(report, report.filled_size, report.average_price)?;
    let slack = mul(report, expected_cost, COST_TOLERANCE)?;
    if sub(report, report.cost, expected_cost)?.abs() > slack {
        return Err(implausible(
            report,
            format!(
                "cost {} is not size {} × price {}",
                report.cost, report.filled_size, report.average_price
            ),
        ));
    }
    check_size(report, expected)?;
    if let Some(quote) = order.quote_price.filter(|q| !q.is_zero()) {
        let (low, high) = (
            div(report, quote, MAX_PRICE_FACTOR)?,
            mul(report, quote, MAX_PRICE_FACTOR)?,
        );
        if report.average_price < low || report.average_price > high {
            return Err(implausible(
                report,
                format!("price {} against a quote of {quote}", report.average_price),
            ));
        }
    }
    if fees.value > mul(report, report.cost, MAX_FEE_SHARE)? {
        return Err(implausible(
            report,
            format!("fees worth {} on a cost of {}", fees.value, report.cost),
        ));
    }
    Ok(fees)
}

/// Never more than was ordered: a sell's base amount; a buy's quote amount
/// (an exchange that buys by quote) or the volume the quote price bought
/// (an exchange that buys by volume; a worse fill costs more, not more size).
fn check_size(report: &OrderReport, expected: Expected<'_>) -> Result<()> {
    let order = expected.order;
    let more = |what: String| Err(implausible(report, what));
    match order.side {
        Side::Sell if report.filled_size > order.amount => more(format!(
            "filled {} for an order of {}",
            report.filled_size, order.amount
        )),
        Side::Sell => Ok(()),
        Side::Buy => {
            if report.cost <= order.amount {
                return Ok(());
            }
            let Some(quote) = order.quote_price.filter(|q| !q.is_zero()) else {
                return more(format!(
                    "spent {} for an order of {}",
                    report.cost, order.amount
                ));
            };
            let bound = mul(
                report,
                order.amount,
                add(report, Decimal::ONE, expected.slippage_margin)?,
            )?;
            if report.filled_size > div(report, bound, quote)? {
                return more(format!(
                    "filled {} for an order of {} at {quote}",
                    report.filled_size, order.amount
                ));
            }
            Ok(())
        }
    }
}

/// Basis points the fill is worse (positive) than the quote price.
fn slippage_bps(report: &OrderReport, order: &OrderRecord) -> Option<Decimal> {
    let quote = order.quote_price.filter(|q| !q.is_zero())?;
    if report.filled_size.is_zero() {
        return None;
    }
    let ratio = report.average_price.checked_div(quote)?;
    let worse = match order.side {
        Side::Buy => ratio.checked_sub(Decimal::ONE)?,
        Side::Sell => Decimal::ONE.checked_sub(ratio)?,
    };
    worse
        .checked_mul(Decimal::from(10_000))
        .map(|bps| bps.round_dp(4))
}

fn update(
    report: &OrderReport,
    fees: &Fees,
    expected: Expected<'_>,
    now: DateTime<Utc>,
) -> FillUpdate {
    FillUpdate {
        slippage_bps: slippage_bps(report, expected.order),
        order_id: report.order_id.clone(),
        filled_size: report.filled_size,
        average_price: report.average_price,
        cost: report.cost,
        fees: report.fees.clone(),
        fee_value: fees.value,
        quote: expected.symbol.quote().to_owned(),
        now,
        acknowledged: true,
    }
}

/// A filled buy. A fee in the quote currency is cash paid on top (part of
/// the cost basis); a fee in the base currency shrinks the size received.
pub fn entry_from_report(
    report: &OrderReport,
    expected: Expected<'_>,
    now: DateTime<Utc>,
) -> Result<(FillUpdate, EntryValues)> {
    let fees = check_report(report, expected)?;
    let size = sub(report, report.filled_size, fees.base)?;
    if size <= Decimal::ZERO {
        return Err(implausible(
            report,
            "the fee takes the whole fill".to_owned(),
        ));
    }
    let entry = EntryValues {
        size,
        entry_fee: fees.quote,
        basis: add(report, report.cost, fees.quote)?,
        fees: fees.value,
        other_fees: fees.other.clone(),
    };
    Ok((update(report, &fees, expected, now), entry))
}

/// A filled sell of part or all of `trade`'s open size. PnL is fee-inclusive:
/// proceeds less the quote cash paid as fees less the cost basis of every
/// unit that left the position (a fee charged in the base leaves it too, so
/// it is paid at its cost basis). A remainder below
/// `min_size` cannot be sold: the trade closes with it as dust, valued at
/// nothing. Exact when the whole position is gone.
pub fn sell_result(
    trade: &TradeRecord,
    report: &OrderReport,
    expected: Expected<'_>,
    min_size: Option<Decimal>,
    now: DateTime<Utc>,
) -> Result<(FillUpdate, SellResult)> {
    let fees = check_report(report, expected)?;
    let missing = |what: &str| {
        Error::new(
            ErrorKind::Database,
            format!("open trade {} has no {what}", trade.id),
        )
    };
    let open_size = trade.size.ok_or_else(|| missing("size"))?;
    let entry_size = trade.entry_size.ok_or_else(|| missing("entry size"))?;
    let entry_cost = trade.entry_cost.ok_or_else(|| missing("entry cost"))?;
    let basis = add(report, entry_cost, trade.entry_fee.unwrap_or_default())?;

    // Units leaving the position: those sold and a fee charged in the base.
    let removed = add(report, report.filled_size, fees.base)?.min(open_size);
    let mut size = sub(report, open_size, removed)?;
    let dust = min_size
        .filter(|min| !size.is_zero() && size < *min)
        .map(|_| size);
    if dust.is_some() {
        size = Decimal::ZERO;
    }
    let closed = size.is_zero();
    let exit_value = add(report, trade.exit_value.unwrap_or_default(), report.cost)?;
    // Quote cash only: a base fee is already counted as units that left.
    let exit_fees = add(report, trade.exit_fees.unwrap_or_default(), fees.quote)?;
    // Rows from before exit sizes were kept: what left the position was sold.
    let sold_before = match (trade.exit_size, trade.exit_value) {
        (Some(sold), _) => sold,
        (None, Some(_)) => sub(report, entry_size, open_size)?,
        (None, None) => Decimal::ZERO,
    };
    let exit_size = add(report, sold_before, report.filled_size)?;
    // The volume-weighted average of the exchange's own average prices.
    let exit_price = if sold_before.is_zero() {
        report.average_price
    } else {
        let before = mul(report, trade.exit_price.unwrap_or_default(), sold_before)?;
        let now_sold = mul(report, report.average_price, report.filled_size)?;
        div(report, add(report, before, now_sold)?, exit_size)?.round_dp(DP)
    };
    let gone = sub(report, entry_size, size)?;
    let basis_share = if closed {
        basis
    } else {
        div(report, mul(report, basis, gone)?, entry_size)?.round_dp(DP)
    };
    let pnl = sub(report, sub(report, exit_value, exit_fees)?, basis_share)?;
    let mut other_fees = trade.other_fees.clone();
    other_fees.extend(fees.other.iter().cloned());
    let result = SellResult {
        size_before: open_size,
        size,
        exit_price,
        exit_size,
        exit_value,
        exit_fees,
        fees: add(report, trade.fees, fees.value)?,
        other_fees,
        pnl,
        closed,
        dust,
        exit_reason: expected.order.exit_reason,
    };
    Ok((update(report, &fees, expected, now), result))
}

#[cfg(test)]
mod tests;
