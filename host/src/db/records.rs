//! Rows into domain values: typed statuses and exact decimals. A row that
//! does not parse is reported as corrupt, never defaulted.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::domain::amount;
use crate::domain::trade::{ExitReason, OrderRecord, OrderStatus, TradeRecord, TradeStatus};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Fee, Side};

pub(crate) const TRADE_COLUMNS: &str = "id, symbol, asset, exchange, status, entry_price, entry_size, entry_cost, \
     entry_fee, size, entry_time, entry_quote, stop_loss_price, take_profit_price, exit_price, exit_size, exit_value, exit_fees, \
     exit_time, pnl, fees, other_fees, dust, exit_reason, order_id, client_order_id, created_at";

pub(crate) const ORDER_COLUMNS: &str = "client_order_id, trade_id, side, symbol, amount, quote_price, exit_reason, status, \
     order_id, error_kind, error_message, deadline, created_at";

pub(crate) fn trade(row: &AnyRow) -> Result<TradeRecord> {
    let status = text(row, "status")?;
    Ok(TradeRecord {
        id: text(row, "id")?,
        symbol: text(row, "symbol")?,
        asset: text(row, "asset")?,
        exchange: text(row, "exchange")?,
        status: TradeStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("unknown trade status {status:?}")))?,
        entry_price: opt_decimal(row, "entry_price")?,
        entry_size: opt_decimal(row, "entry_size")?,
        entry_cost: opt_decimal(row, "entry_cost")?,
        entry_fee: opt_decimal(row, "entry_fee")?,
        size: opt_decimal(row, "size")?,
        entry_time: opt_time(row, "entry_time")?,
        entry_quote: opt_decimal(row, "entry_quote")?,
        stop_loss_price: opt_decimal(row, "stop_loss_price")?,
        take_profit_price: opt_decimal(row, "take_profit_price")?,
        exit_price: opt_decimal(row, "exit_price")?,
        exit_size: opt_decimal(row, "exit_size")?,
        exit_value: opt_decimal(row, "exit_value")?,
        exit_fees: opt_decimal(row, "exit_fees")?,
        exit_time: opt_time(row, "exit_time")?,
        pnl: opt_decimal(row, "pnl")?,
        fees: decimal(&text(row, "fees")?)?,
        other_fees: fee_list(opt_text(row, "other_fees")?.as_deref())?,
        dust: opt_decimal(row, "dust")?,
        exit_reason: exit_reason(row)?,
        order_id: opt_text(row, "order_id")?,
        client_order_id: text(row, "client_order_id")?,
        created_at: time(&text(row, "created_at")?)?,
    })
}

pub(crate) fn order(row: &AnyRow) -> Result<OrderRecord> {
    let (side, status) = (text(row, "side")?, text(row, "status")?);
    Ok(OrderRecord {
        client_order_id: text(row, "client_order_id")?,
        trade_id: text(row, "trade_id")?,
        side: Side::parse(&side).ok_or_else(|| corrupt(format!("unknown side {side:?}")))?,
        symbol: text(row, "symbol")?,
        amount: decimal(&text(row, "amount")?)?,
        quote_price: opt_decimal(row, "quote_price")?,
        exit_reason: exit_reason(row)?,
        status: OrderStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("unknown order status {status:?}")))?,
        order_id: opt_text(row, "order_id")?,
        error_kind: opt_text(row, "error_kind")?,
        error_message: opt_text(row, "error_message")?,
        deadline: opt_time(row, "deadline")?,
        created_at: time(&text(row, "created_at")?)?,
    })
}

fn exit_reason(row: &AnyRow) -> Result<Option<ExitReason>> {
    opt_text(row, "exit_reason")?
        .map(|r| ExitReason::parse(&r).ok_or_else(|| corrupt(format!("exit reason {r:?}"))))
        .transpose()
}

/// Fixed-width RFC 3339 in UTC with microseconds: sorts as text.
pub(crate) fn format_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// A decimal is stored as its canonical plain text (`amount::to_plain`).
pub(crate) fn opt_decimal_text(value: Option<Decimal>) -> Option<String> {
    value.map(amount::to_plain)
}

/// A fee list as stored: JSON of plain decimal strings; `None` when empty.
pub(crate) fn fee_list_text(fees: &[Fee]) -> Option<String> {
    if fees.is_empty() {
        return None;
    }
    let list: Vec<serde_json::Value> = fees
        .iter()
        .map(
            |f| serde_json::json!({ "amount": amount::to_plain(f.amount), "currency": f.currency }),
        )
        .collect();
    Some(serde_json::Value::Array(list).to_string())
}

fn fee_list(text: Option<&str>) -> Result<Vec<Fee>> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    let list: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(|e| corrupt(format!("fee list {text:?}: {e}")))?;
    list.iter()
        .map(|f| {
            let amount = f["amount"]
                .as_str()
                .ok_or_else(|| corrupt(format!("fee {f}")))?;
            let currency = f["currency"]
                .as_str()
                .ok_or_else(|| corrupt(format!("fee {f}")))?;
            Ok(Fee {
                amount: decimal(amount)?,
                currency: currency.to_owned(),
            })
        })
        .collect()
}

pub(crate) fn corrupt(message: String) -> Error {
    Error::new(
        ErrorKind::Database,
        format!("unexpected data in the trade database: {message}"),
    )
}

pub(crate) fn text(row: &AnyRow, column: &str) -> Result<String> {
    row.try_get::<String, _>(column)
        .map_err(|e| corrupt(format!("{column}: {e}")))
}

pub(crate) fn opt_text(row: &AnyRow, column: &str) -> Result<Option<String>> {
    row.try_get::<Option<String>, _>(column)
        .map_err(|e| corrupt(format!("{column}: {e}")))
}

fn decimal(text: &str) -> Result<Decimal> {
    Decimal::from_str(text).map_err(|e| corrupt(format!("decimal {text:?}: {e}")))
}

fn opt_decimal(row: &AnyRow, column: &str) -> Result<Option<Decimal>> {
    opt_text(row, column)?.as_deref().map(decimal).transpose()
}

pub(crate) fn time(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(format!("time {text:?}: {e}")))
}

fn opt_time(row: &AnyRow, column: &str) -> Result<Option<DateTime<Utc>>> {
    opt_text(row, column)?.as_deref().map(time).transpose()
}
