//! Pure arithmetic from an exchange's order report to trade values, with
//! sanity checks: a driver is untrusted, so a fill that does not add up is
//! refused rather than recorded.

use chrono::Utc;
use rust_decimal::Decimal;

use crate::db::{EntryValues, FillUpdate, SellResult, TradeRecord};
use crate::domain::Symbol;
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{OrderAmount, OrderReport, Side};

/// Slack allowed between reported cost and size × price (exchange rounding).
const COST_TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 2); // 0.01 = 1 %
/// No taker fee is anywhere near this share of the order value.
const MAX_FEE_SHARE: Decimal = Decimal::from_parts(5, 0, 0, false, 2); // 5 %

fn implausible(report: &OrderReport, why: String) -> Error {
    Error::new(
        ErrorKind::Plugin,
        format!(
            "the driver reported an implausible fill for order {} ({why}); the position stays reserved — check the order on the exchange",
            report.order_id
        ),
    )
}

fn check_report(report: &OrderReport, side: Side, requested: OrderAmount) -> Result<()> {
    if report.side != side {
        return Err(implausible(
            report,
            format!("side {:?}, expected {side:?}", report.side),
        ));
    }
    if report.filled_size.is_zero() {
        return Ok(());
    }
    if report.average_price.is_zero() || report.cost.is_zero() {
        return Err(implausible(
            report,
            "a fill with a zero price or cost".to_owned(),
        ));
    }
    let expected_cost = report.filled_size * report.average_price;
    if (report.cost - expected_cost).abs() > expected_cost * COST_TOLERANCE {
        return Err(implausible(
            report,
            format!(
                "cost {} is not size {} × price {}",
                report.cost, report.filled_size, report.average_price
            ),
        ));
    }
    match requested {
        OrderAmount::Quote(q) if report.cost > q * (Decimal::ONE + COST_TOLERANCE) => {
            return Err(implausible(
                report,
                format!("spent {} for an order of {q}", report.cost),
            ));
        }
        OrderAmount::Base(b) if report.filled_size > b => {
            return Err(implausible(
                report,
                format!("filled {} for an order of {b}", report.filled_size),
            ));
        }
        _ => {}
    }
    if report.fee > report.cost * MAX_FEE_SHARE && report.fee > report.filled_size * MAX_FEE_SHARE {
        return Err(implausible(
            report,
            format!("fee {} on a cost of {}", report.fee, report.cost),
        ));
    }
    Ok(())
}

fn update(report: &OrderReport) -> FillUpdate {
    FillUpdate {
        order_id: report.order_id.clone(),
        filled_size: report.filled_size,
        average_price: report.average_price,
        cost: report.cost,
        fee: report.fee,
        fee_currency: report.fee_currency.clone(),
        now: Utc::now(),
        acknowledged: true,
    }
}

/// A filled buy. A fee in the quote currency is cash paid on top (part of
/// the cost basis); a fee in the base currency shrinks the size received.
pub fn entry_from_report(
    report: &OrderReport,
    symbol: &Symbol,
    requested: OrderAmount,
) -> Result<(FillUpdate, EntryValues)> {
    check_report(report, Side::Buy, requested)?;
    let fee_in_base = report.fee_currency.eq_ignore_ascii_case(symbol.base());
    let entry = if fee_in_base {
        EntryValues {
            size: report.filled_size - report.fee,
            entry_fee: Decimal::ZERO,
            fees: (report.fee * report.average_price).round_dp(8),
        }
    } else {
        EntryValues {
            size: report.filled_size,
            entry_fee: report.fee,
            fees: report.fee,
        }
    };
    Ok((update(report), entry))
}

/// A filled sell of part or all of `trade`'s open size. PnL is fee-inclusive:
/// proceeds less sell fees less the sold share of the cost basis (entry cost
/// plus entry fee); exact when the whole position is sold.
pub fn sell_result(
    trade: &TradeRecord,
    report: &OrderReport,
    requested: Decimal,
    symbol: &Symbol,
) -> Result<(FillUpdate, SellResult)> {
    check_report(report, Side::Sell, OrderAmount::Base(requested))?;
    let missing = |what: &str| {
        Error::new(
            ErrorKind::Database,
            format!("open trade {} has no {what}", trade.id),
        )
    };
    let open_size = trade.size.ok_or_else(|| missing("size"))?;
    let entry_size = trade.entry_size.ok_or_else(|| missing("entry size"))?;
    let entry_cost = trade.entry_cost.ok_or_else(|| missing("entry cost"))?;
    let entry_fee = trade.entry_fee.unwrap_or_default();
    let sold_before = entry_size - open_size;

    let sold = report.filled_size;
    let fee_quote = if report.fee_currency.eq_ignore_ascii_case(symbol.base()) {
        (report.fee * report.average_price).round_dp(8)
    } else {
        report.fee
    };
    let size = open_size - sold;
    let exit_value = trade.exit_value.unwrap_or_default() + report.cost;
    let exit_fees = trade.exit_fees.unwrap_or_default() + fee_quote;
    let sold_total = sold_before + sold;
    let closed = size.is_zero();
    let basis_share = if closed {
        entry_cost + entry_fee
    } else {
        ((entry_cost + entry_fee) * sold_total / entry_size).round_dp(8)
    };
    let result = SellResult {
        size,
        exit_price: if sold_total.is_zero() {
            Decimal::ZERO
        } else {
            (exit_value / sold_total).round_dp(12)
        },
        exit_value,
        exit_fees,
        fees: trade.fees + fee_quote,
        pnl: exit_value - exit_fees - basis_share,
        closed,
    };
    Ok((update(report), result))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::TradeStatus;
    use crate::exchange::OrderState;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn report(side: Side, size: &str, price: &str, cost: &str, fee: &str) -> OrderReport {
        OrderReport {
            order_id: "OABCDE-FGHIJ-KLMNOP".into(),
            client_order_id: None,
            side,
            state: OrderState::Closed,
            filled_size: d(size),
            average_price: d(price),
            cost: d(cost),
            fee: d(fee),
            fee_currency: "USD".into(),
        }
    }

    fn open_trade(size: &str, price: &str, cost: &str, fee: &str) -> TradeRecord {
        TradeRecord {
            id: "t".into(),
            symbol: "SOL/USD".into(),
            asset: "SOL".into(),
            exchange: "x".into(),
            status: TradeStatus::Closing,
            entry_price: Some(d(price)),
            entry_size: Some(d(size)),
            entry_cost: Some(d(cost)),
            entry_fee: Some(d(fee)),
            size: Some(d(size)),
            entry_time: None,
            stop_loss_price: None,
            take_profit_price: None,
            exit_price: None,
            exit_value: None,
            exit_fees: None,
            exit_time: None,
            pnl: None,
            fees: d(fee),
            order_id: None,
            client_order_id: "c".into(),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn full_close_pnl_is_exact_and_fee_inclusive() {
        let sol = Symbol::parse("SOL/USD").unwrap();
        let trade = open_trade("0.66", "150.08", "99.0528", "0.25753728");
        let (_, r) = sell_result(
            &trade,
            &report(Side::Sell, "0.66", "160.00", "105.6", "0.27456"),
            d("0.66"),
            &sol,
        )
        .unwrap();
        assert!(r.closed);
        assert_eq!(
            r.pnl,
            d("105.6") - d("0.27456") - d("99.0528") - d("0.25753728")
        );
        assert_eq!(r.fees, d("0.53209728"));
        assert_eq!(r.exit_price, d("160"));
    }

    #[test]
    fn partial_sell_keeps_the_rest_open_and_prorates_the_basis() {
        let sol = Symbol::parse("SOL/USD").unwrap();
        let trade = open_trade("1", "100", "100", "0.26");
        let (_, r) = sell_result(
            &trade,
            &report(Side::Sell, "0.25", "120", "30", "0.078"),
            d("0.25"),
            &sol,
        )
        .unwrap();
        assert!(!r.closed);
        assert_eq!(r.size, d("0.75"));
        assert_eq!(r.pnl, d("30") - d("0.078") - d("25.065"));
    }

    #[test]
    fn refuses_lying_fills() {
        let sol = Symbol::parse("SOL/USD").unwrap();
        let quote = OrderAmount::Quote(d("100"));
        assert!(
            entry_from_report(&report(Side::Buy, "1", "100", "500", "0.26"), &sol, quote).is_err()
        );
        assert!(
            entry_from_report(&report(Side::Buy, "5", "100", "500", "1"), &sol, quote).is_err()
        );
        assert!(
            entry_from_report(&report(Side::Sell, "1", "100", "100", "0.26"), &sol, quote).is_err()
        );
        assert!(
            entry_from_report(&report(Side::Buy, "1", "100", "100", "50"), &sol, quote).is_err()
        );
        let trade = open_trade("1", "100", "100", "0.26");
        assert!(
            sell_result(
                &trade,
                &report(Side::Sell, "2", "100", "200", "0.5"),
                d("1"),
                &sol
            )
            .is_err()
        );
    }

    #[test]
    fn a_fee_in_the_base_currency_shrinks_the_position() {
        let sol = Symbol::parse("SOL/USD").unwrap();
        let mut r = report(Side::Buy, "1", "100", "100", "0.0026");
        r.fee_currency = "SOL".into();
        let (_, entry) = entry_from_report(&r, &sol, OrderAmount::Quote(d("100"))).unwrap();
        assert_eq!(entry.size, d("0.9974"));
        assert_eq!(entry.entry_fee, Decimal::ZERO);
        assert_eq!(entry.fees, d("0.26"));
    }
}
