//! How results look: JSON for machines (decimals as strings), short tables
//! for people.

use serde_json::{Value, json};

use crate::db::TradeRecord;
use crate::error::Error;
use crate::exchange::Balance;

fn dec(value: Option<rust_decimal::Decimal>) -> Value {
    value.map_or(Value::Null, |d| Value::String(d.normalize().to_string()))
}

fn time(value: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    value.map_or(Value::Null, |t| {
        Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
    })
}

/// A trade as the JSON contract describes it.
pub fn trade_json(trade: &TradeRecord) -> Value {
    json!({
        "id": trade.id,
        "symbol": trade.symbol,
        "asset": trade.asset,
        "status": trade.status.as_str(),
        "entry_price": dec(trade.entry_price),
        "size": dec(trade.size),
        "entry_time": time(trade.entry_time),
        "stop_loss_price": dec(trade.stop_loss_price),
        "take_profit_price": dec(trade.take_profit_price),
        "exit_price": dec(trade.exit_price),
        "exit_time": time(trade.exit_time),
        "pnl": dec(trade.pnl),
        "order_id": trade.order_id,
        "client_order_id": trade.client_order_id,
        "fees": dec(Some(trade.fees)),
        "exchange": trade.exchange,
    })
}

pub fn balance_json(balance: &Balance) -> Value {
    json!({
        "currency": balance.currency,
        "total": balance.total.normalize().to_string(),
        "available": balance.available.normalize().to_string(),
    })
}

pub fn error_json(error: &Error) -> Value {
    json!({ "error": { "kind": error.kind.as_str(), "message": error.message } })
}

fn cell(value: Option<rust_decimal::Decimal>) -> String {
    value.map_or_else(|| "-".to_owned(), |d| d.normalize().to_string())
}

/// A fixed-width table of trades for a terminal.
pub fn trades_table(trades: &[TradeRecord]) -> String {
    if trades.is_empty() {
        return "no trades\n".to_owned();
    }
    let header = [
        "ID", "SYMBOL", "STATUS", "SIZE", "ENTRY", "EXIT", "PNL", "FEES", "ORDER",
    ];
    let rows: Vec<[String; 9]> = trades
        .iter()
        .map(|t| {
            [
                t.id.clone(),
                t.symbol.clone(),
                t.status.as_str().to_owned(),
                cell(t.size),
                cell(t.entry_price),
                cell(t.exit_price),
                cell(t.pnl),
                cell(Some(t.fees)),
                t.order_id.clone().unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

pub fn trade_line(verb: &str, trade: &TradeRecord) -> String {
    format!(
        "{verb} {} {}: size {} at {} (order {}, fees {}{})\n",
        trade.symbol,
        trade.status.as_str(),
        cell(trade.size),
        cell(if trade.exit_price.is_some() {
            trade.exit_price
        } else {
            trade.entry_price
        }),
        trade.order_id.as_deref().unwrap_or("-"),
        trade.fees.normalize(),
        trade
            .pnl
            .map(|p| format!(", pnl {}", p.normalize()))
            .unwrap_or_default(),
    ) + &format!("trade id {}\n", trade.id)
}
