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

pub fn event_json(event: &crate::db::Event) -> Value {
    json!({
        "at": time(Some(event.at)),
        "event": event.event,
        "trade_id": event.trade_id,
        "client_order_id": event.client_order_id,
        "order_id": event.order_id,
        "side": event.side,
        "symbol": event.symbol,
        "outcome": event.outcome,
        "message": event.message,
    })
}

pub fn events_table(events: &[crate::db::Event]) -> String {
    if events.is_empty() {
        return "no events\n".to_owned();
    }
    let mut out = String::new();
    for e in events {
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
        out.push_str(&format!(
            "{}  {:<22} {:<5} {:<9} trade {}  client {}  order {}{}\n",
            e.at.format("%Y-%m-%d %H:%M:%S%.3f"),
            e.event,
            dash(&e.side),
            dash(&e.symbol),
            dash(&e.trade_id),
            dash(&e.client_order_id),
            dash(&e.order_id),
            e.outcome
                .as_ref()
                .map(|o| format!("  [{o}] {}", dash(&e.message)))
                .unwrap_or_default(),
        ));
    }
    out
}

fn resolution_parts(
    resolution: &crate::service::Resolution,
) -> (&'static str, String, Option<&TradeRecord>) {
    use crate::service::Resolution;
    match resolution {
        Resolution::Filled(trade) => (
            "filled",
            format!("trade is {}", trade.status.as_str()),
            Some(trade),
        ),
        Resolution::NotPlaced(why) => ("not_placed", why.clone(), None),
        Resolution::StillUnknown(why) => ("still_unknown", why.clone(), None),
    }
}

pub fn reconciled_json(r: &crate::service::Reconciled) -> Value {
    let (outcome, detail, trade) = resolution_parts(&r.resolution);
    json!({
        "trade_id": r.trade_id,
        "client_order_id": r.client_order_id,
        "side": r.side,
        "symbol": r.symbol,
        "outcome": outcome,
        "detail": detail,
        "trade": trade.map(trade_json),
    })
}

pub fn reconciled_text(reconciled: &[crate::service::Reconciled]) -> String {
    if reconciled.is_empty() {
        return "nothing to reconcile\n".to_owned();
    }
    reconciled
        .iter()
        .map(|r| {
            let (outcome, detail, _) = resolution_parts(&r.resolution);
            format!(
                "{} {} {} (client order id {}): {outcome} — {detail}\n",
                r.side, r.symbol, r.trade_id, r.client_order_id
            )
        })
        .collect()
}
