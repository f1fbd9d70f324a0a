//! How results look: JSON for machines (decimals as strings), short tables
//! for people. This module owns the CLI's JSON shapes. Text that came from
//! a driver or an exchange is shown with its control characters escaped.

use serde_json::{Value, json};

use crate::db::Event;
use crate::domain::amount::to_plain;
use crate::domain::trade::{ExitReason, TradeRecord};
use crate::error::Error;
use crate::exchange::{Balance, Fee};
use crate::service::{Liquidated, Reconciled, Resolution};
use crate::text::printable;

/// `--json` or text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON on stdout, errors as JSON on stderr.
    Json,
    /// Short lines and tables for a person.
    Text,
}

impl Format {
    /// JSON when `--json` was given.
    pub fn of(json: bool) -> Format {
        if json { Format::Json } else { Format::Text }
    }

    /// Prints `value` as JSON, or `text()` for a person.
    pub fn value(self, value: &Value, text: impl FnOnce() -> String) {
        match self {
            Format::Json => println!("{value}"),
            Format::Text => print!("{}", text()),
        }
    }

    /// Prints an error on stderr.
    pub fn error(self, error: &Error) {
        match self {
            Format::Json => eprintln!("{}", error_json(error)),
            Format::Text => eprintln!("error [{}]: {}", error.kind, printable(&error.message)),
        }
    }

    /// Prints one trade; `verb` says what happened to it ("bought").
    pub fn trade(self, verb: &str, trade: &TradeRecord) {
        self.value(&trade_json(trade), || trade_line(verb, trade));
    }

    /// Prints trades, as a list or a table.
    pub fn trades(self, trades: &[TradeRecord]) {
        self.value(
            &json!(trades.iter().map(trade_json).collect::<Vec<_>>()),
            || trades_table(trades),
        );
    }

    /// Prints audit events, as a list or a table.
    pub fn events(self, events: &[Event]) {
        self.value(
            &json!(events.iter().map(event_json).collect::<Vec<_>>()),
            || events_table(events),
        );
    }

    /// Prints what reconciliation settled.
    pub fn reconciled(self, reconciled: &[Reconciled]) {
        self.value(
            &json!({ "reconciled": reconciled.iter().map(reconciled_json).collect::<Vec<_>>() }),
            || reconciled_text(reconciled),
        );
    }

    /// Prints what a liquidation did, position by position.
    pub fn liquidated(self, report: &[Liquidated]) {
        self.value(&liquidated_json(report), || {
            if report.is_empty() {
                return "no open positions\n".to_owned();
            }
            report
                .iter()
                .map(|l| match &l.outcome {
                    Ok(trade) => trade_line("liquidated", trade),
                    Err(err) => format!(
                        "{} {}: not sold [{}] {}\n",
                        l.symbol,
                        l.trade_id,
                        err.kind,
                        printable(&err.message)
                    ),
                })
                .collect()
        });
    }

    /// Prints balances, one currency a line.
    pub fn balances(self, balances: &[Balance]) {
        self.value(
            &json!(balances.iter().map(balance_json).collect::<Vec<_>>()),
            || {
                balances
                    .iter()
                    .map(|b| {
                        format!(
                            "{:<6} total {:>20}  available {:>20}\n",
                            printable(&b.currency),
                            to_plain(b.total),
                            to_plain(b.available)
                        )
                    })
                    .collect()
            },
        );
    }
}

fn dec(value: Option<rust_decimal::Decimal>) -> Value {
    value.map_or(Value::Null, |d| Value::String(to_plain(d)))
}

fn time(value: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    value.map_or(Value::Null, |t| {
        Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
    })
}

fn fees_json(fees: &[Fee]) -> Value {
    json!(
        fees.iter()
            .map(|f| json!({ "amount": to_plain(f.amount), "currency": f.currency }))
            .collect::<Vec<_>>()
    )
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
        "entry_slippage_bps": dec(trade.entry_slippage_bps()),
        "stop_loss_price": dec(trade.stop_loss_price),
        "take_profit_price": dec(trade.take_profit_price),
        "exit_price": dec(trade.exit_price),
        "exit_time": time(trade.exit_time),
        "exit_reason": trade.exit_reason.map(ExitReason::as_str),
        "pnl": dec(trade.pnl),
        "order_id": trade.order_id,
        "client_order_id": trade.client_order_id,
        "fees": dec(Some(trade.fees)),
        "other_fees": fees_json(&trade.other_fees),
        "dust": dec(trade.dust),
        "exchange": trade.exchange,
    })
}

/// A balance as the JSON contract describes it.
pub fn balance_json(balance: &Balance) -> Value {
    json!({
        "currency": balance.currency,
        "total": to_plain(balance.total),
        "available": to_plain(balance.available),
    })
}

/// An error as the JSON contract describes it: `{"error":{"kind","message"}}`.
pub fn error_json(error: &Error) -> Value {
    json!({ "error": { "kind": error.kind.as_str(), "message": error.message } })
}

fn cell(value: Option<rust_decimal::Decimal>) -> String {
    value.map_or_else(|| "-".to_owned(), to_plain)
}

/// A fixed-width table of trades for a terminal.
fn trades_table(trades: &[TradeRecord]) -> String {
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
                printable(t.order_id.as_deref().unwrap_or("-")),
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

fn trade_line(verb: &str, trade: &TradeRecord) -> String {
    let price = if trade.exit_price.is_some() {
        trade.exit_price
    } else {
        trade.entry_price
    };
    let dust = trade
        .dust
        .map(|d| format!(", {} {} left as dust", to_plain(d), trade.asset))
        .unwrap_or_default();
    format!(
        "{verb} {} {}: size {} at {} (order {}, fees {}{}{dust})\ntrade id {}\n",
        trade.symbol,
        trade.status.as_str(),
        cell(trade.size),
        cell(price),
        printable(trade.order_id.as_deref().unwrap_or("-")),
        to_plain(trade.fees),
        trade
            .pnl
            .map(|p| format!(", pnl {}", to_plain(p)))
            .unwrap_or_default(),
        trade.id
    )
}

/// An audit event as the JSON contract describes it.
pub fn event_json(event: &Event) -> Value {
    json!({
        "at": time(Some(event.at)),
        "event": event.kind.as_str(),
        "trade_id": event.trade_id,
        "client_order_id": event.client_order_id,
        "order_id": event.order_id,
        "side": event.side.map(|s| s.as_str()),
        "symbol": event.symbol,
        "outcome": event.outcome,
        "message": event.message,
    })
}

fn events_table(events: &[Event]) -> String {
    if events.is_empty() {
        return "no events\n".to_owned();
    }
    let dash = |v: &Option<String>| printable(v.as_deref().unwrap_or("-"));
    events
        .iter()
        .map(|e| {
            let detail = match (&e.outcome, &e.message) {
                (Some(outcome), message) => format!("  [{outcome}] {}", dash(message)),
                (None, Some(message)) => format!("  {}", printable(message)),
                (None, None) => String::new(),
            };
            format!(
                "{}  {:<22} {:<5} {:<9} trade {}  client {}  order {}{detail}\n",
                e.at.format("%Y-%m-%d %H:%M:%S%.3f"),
                e.kind.as_str(),
                e.side.map_or("-", |s| s.as_str()),
                dash(&e.symbol),
                dash(&e.trade_id),
                dash(&e.client_order_id),
                dash(&e.order_id),
            )
        })
        .collect()
}

fn resolution_parts(resolution: &Resolution) -> (&'static str, String, Option<&TradeRecord>) {
    match resolution {
        Resolution::Filled(trade) => (
            "filled",
            format!("trade is {}", trade.status.as_str()),
            Some(trade),
        ),
        Resolution::NotPlaced(why) => ("not_placed", why.clone(), None),
        Resolution::StillUnknown(why) => ("still_unknown", why.clone(), None),
        Resolution::Failed(error) => (
            "failed",
            format!("[{}] {}", error.kind, error.message),
            None,
        ),
    }
}

/// What an emergency liquidation did, position by position.
pub fn liquidated_json(report: &[Liquidated]) -> Value {
    let list: Vec<Value> = report
        .iter()
        .map(|l| match &l.outcome {
            Ok(trade) => json!({
                "trade_id": l.trade_id, "symbol": l.symbol, "outcome": "sold", "trade": trade_json(trade),
            }),
            Err(err) => json!({
                "trade_id": l.trade_id, "symbol": l.symbol, "outcome": "failed",
                "error": { "kind": err.kind.as_str(), "message": err.message },
            }),
        })
        .collect();
    json!({ "liquidated": list })
}

/// A settled order as the JSON contract describes it.
pub fn reconciled_json(r: &Reconciled) -> Value {
    let (outcome, detail, trade) = resolution_parts(&r.resolution);
    json!({
        "trade_id": r.trade_id,
        "client_order_id": r.client_order_id,
        "side": r.side.as_str(),
        "symbol": r.symbol,
        "outcome": outcome,
        "detail": detail,
        "trade": trade.map(trade_json),
    })
}

fn reconciled_text(reconciled: &[Reconciled]) -> String {
    if reconciled.is_empty() {
        return "nothing to reconcile\n".to_owned();
    }
    reconciled
        .iter()
        .map(|r| {
            let (outcome, detail, _) = resolution_parts(&r.resolution);
            format!(
                "{} {} {} (client order id {}): {outcome} — {}\n",
                r.side,
                r.symbol,
                r.trade_id,
                r.client_order_id,
                printable(&detail)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_text_cannot_forge_a_line() {
        let event = Event::new(crate::db::EventKind::Rejected, chrono::Utc::now())
            .note("fine\n\u{1b}[1A\u{1b}[2Kok   all checks passed");
        let table = events_table(&[event]);
        assert_eq!(table.lines().count(), 1, "{table}");
        assert!(!table.contains('\u{1b}'), "{table}");
    }
}
