//! Rows as the rest of the host sees them: typed statuses and exact decimals.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{Error, ErrorKind, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeStatus {
    /// Slot reserved, buy order in flight or its outcome not yet known.
    Pending,
    Open,
    /// Sell order in flight or its outcome not yet known.
    Closing,
    Closed,
    /// The buy was proven not placed; the slot is free.
    Rejected,
}

impl TradeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TradeStatus::Pending => "PENDING",
            TradeStatus::Open => "OPEN",
            TradeStatus::Closing => "CLOSING",
            TradeStatus::Closed => "CLOSED",
            TradeStatus::Rejected => "REJECTED",
        }
    }

    fn parse(text: &str) -> Result<TradeStatus> {
        Ok(match text {
            "PENDING" => TradeStatus::Pending,
            "OPEN" => TradeStatus::Open,
            "CLOSING" => TradeStatus::Closing,
            "CLOSED" => TradeStatus::Closed,
            "REJECTED" => TradeStatus::Rejected,
            other => return Err(corrupt(format!("unknown trade status {other:?}"))),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    /// Written before the request is sent.
    Pending,
    /// The exchange acknowledged it; the fill is not yet recorded.
    Placed,
    Filled,
    /// Proven not placed.
    Rejected,
    /// Sent, answer unknown: must be reconciled, never re-sent.
    Unknown,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::Placed => "PLACED",
            OrderStatus::Filled => "FILLED",
            OrderStatus::Rejected => "REJECTED",
            OrderStatus::Unknown => "UNKNOWN",
        }
    }

    fn parse(text: &str) -> Result<OrderStatus> {
        Ok(match text {
            "PENDING" => OrderStatus::Pending,
            "PLACED" => OrderStatus::Placed,
            "FILLED" => OrderStatus::Filled,
            "REJECTED" => OrderStatus::Rejected,
            "UNKNOWN" => OrderStatus::Unknown,
            other => return Err(corrupt(format!("unknown order status {other:?}"))),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeRecord {
    pub id: String,
    pub symbol: String,
    pub asset: String,
    pub exchange: String,
    pub status: TradeStatus,
    pub entry_price: Option<Decimal>,
    pub entry_size: Option<Decimal>,
    pub entry_cost: Option<Decimal>,
    pub entry_fee: Option<Decimal>,
    /// Open size: the entry size less what has been sold.
    pub size: Option<Decimal>,
    pub entry_time: Option<DateTime<Utc>>,
    pub stop_loss_price: Option<Decimal>,
    pub take_profit_price: Option<Decimal>,
    pub exit_price: Option<Decimal>,
    pub exit_value: Option<Decimal>,
    pub exit_fees: Option<Decimal>,
    pub exit_time: Option<DateTime<Utc>>,
    pub pnl: Option<Decimal>,
    pub fees: Decimal,
    pub order_id: Option<String>,
    pub client_order_id: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    pub client_order_id: String,
    pub trade_id: String,
    pub side: String,
    pub symbol: String,
    pub amount: Decimal,
    pub status: OrderStatus,
    pub order_id: Option<String>,
    pub error_kind: Option<String>,
    pub error_message: Option<String>,
    pub deadline: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub(crate) const TRADE_COLUMNS: &str = "id, symbol, asset, exchange, status, entry_price, entry_size, entry_cost, \
     entry_fee, size, entry_time, stop_loss_price, take_profit_price, exit_price, exit_value, exit_fees, exit_time, pnl, fees, \
     order_id, client_order_id, created_at";

pub(crate) const ORDER_COLUMNS: &str = "client_order_id, trade_id, side, symbol, amount, status, order_id, error_kind, error_message, deadline, created_at";

impl TradeRecord {
    pub(crate) fn from_row(row: &AnyRow) -> Result<TradeRecord> {
        Ok(TradeRecord {
            id: text(row, "id")?,
            symbol: text(row, "symbol")?,
            asset: text(row, "asset")?,
            exchange: text(row, "exchange")?,
            status: TradeStatus::parse(&text(row, "status")?)?,
            entry_price: opt_decimal(row, "entry_price")?,
            entry_size: opt_decimal(row, "entry_size")?,
            entry_cost: opt_decimal(row, "entry_cost")?,
            entry_fee: opt_decimal(row, "entry_fee")?,
            size: opt_decimal(row, "size")?,
            entry_time: opt_time(row, "entry_time")?,
            stop_loss_price: opt_decimal(row, "stop_loss_price")?,
            take_profit_price: opt_decimal(row, "take_profit_price")?,
            exit_price: opt_decimal(row, "exit_price")?,
            exit_value: opt_decimal(row, "exit_value")?,
            exit_fees: opt_decimal(row, "exit_fees")?,
            exit_time: opt_time(row, "exit_time")?,
            pnl: opt_decimal(row, "pnl")?,
            fees: decimal(&text(row, "fees")?)?,
            order_id: opt_text(row, "order_id")?,
            client_order_id: text(row, "client_order_id")?,
            created_at: time(&text(row, "created_at")?)?,
        })
    }
}

impl OrderRecord {
    pub(crate) fn from_row(row: &AnyRow) -> Result<OrderRecord> {
        Ok(OrderRecord {
            client_order_id: text(row, "client_order_id")?,
            trade_id: text(row, "trade_id")?,
            side: text(row, "side")?,
            symbol: text(row, "symbol")?,
            amount: decimal(&text(row, "amount")?)?,
            status: OrderStatus::parse(&text(row, "status")?)?,
            order_id: opt_text(row, "order_id")?,
            error_kind: opt_text(row, "error_kind")?,
            error_message: opt_text(row, "error_message")?,
            deadline: opt_time(row, "deadline")?,
            created_at: time(&text(row, "created_at")?)?,
        })
    }
}

/// Fixed-width RFC 3339 in UTC with microseconds: sorts as text.
pub(crate) fn format_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn format_decimal(value: Decimal) -> String {
    value.normalize().to_string()
}

fn corrupt(message: String) -> Error {
    Error::new(
        ErrorKind::Database,
        format!("unexpected data in the trade database: {message}"),
    )
}

fn text(row: &AnyRow, column: &str) -> Result<String> {
    row.try_get::<String, _>(column)
        .map_err(|e| corrupt(format!("{column}: {e}")))
}

fn opt_text(row: &AnyRow, column: &str) -> Result<Option<String>> {
    row.try_get::<Option<String>, _>(column)
        .map_err(|e| corrupt(format!("{column}: {e}")))
}

fn decimal(text: &str) -> Result<Decimal> {
    Decimal::from_str(text).map_err(|e| corrupt(format!("decimal {text:?}: {e}")))
}

fn opt_decimal(row: &AnyRow, column: &str) -> Result<Option<Decimal>> {
    opt_text(row, column)?.as_deref().map(decimal).transpose()
}

fn time(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(format!("time {text:?}: {e}")))
}

fn opt_time(row: &AnyRow, column: &str) -> Result<Option<DateTime<Utc>>> {
    opt_text(row, column)?.as_deref().map(time).transpose()
}
