//! The audit trail: one row per order attempt and state change, only ever
//! inserted. Written in the same transaction as the change it records.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::records::format_time;
use super::{Database, db_error};
use crate::error::Result;

/// What happened to an order (or a decision that never became one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The intent row was written; the request is about to leave the host.
    Reserved,
    /// The exchange acknowledged the order with its id.
    Placed,
    Filled,
    /// The exchange refused the order; proven not placed.
    Rejected,
    /// Sent, answer unknown: the slot stays reserved.
    Unknown,
    /// Reconciliation found the order executed and recorded its fill.
    ReconciledFilled,
    /// Reconciliation proved the order never executed (absent after its deadline).
    ReconciledNotPlaced,
    /// Refused by the host before anything was written or sent.
    Denied,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Reserved => "RESERVED",
            EventKind::Placed => "PLACED",
            EventKind::Filled => "FILLED",
            EventKind::Rejected => "REJECTED",
            EventKind::Unknown => "UNKNOWN",
            EventKind::ReconciledFilled => "RECONCILED_FILLED",
            EventKind::ReconciledNotPlaced => "RECONCILED_NOT_PLACED",
            EventKind::Denied => "DENIED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub trade_id: Option<String>,
    pub client_order_id: Option<String>,
    pub order_id: Option<String>,
    pub side: Option<String>,
    pub symbol: Option<String>,
    pub event: String,
    pub outcome: Option<String>,
    pub message: Option<String>,
}

impl Event {
    pub fn new(kind: EventKind, at: DateTime<Utc>) -> Event {
        Event {
            at,
            trade_id: None,
            client_order_id: None,
            order_id: None,
            side: None,
            symbol: None,
            event: kind.as_str().to_owned(),
            outcome: None,
            message: None,
        }
    }

    pub fn order(mut self, trade_id: &str, client_order_id: &str) -> Event {
        self.trade_id = Some(trade_id.to_owned());
        self.client_order_id = Some(client_order_id.to_owned());
        self
    }

    pub fn exchange_id(mut self, order_id: Option<&str>) -> Event {
        self.order_id = order_id.map(str::to_owned);
        self
    }

    pub fn what(mut self, side: &str, symbol: &str) -> Event {
        self.side = Some(side.to_owned());
        self.symbol = Some(symbol.to_owned());
        self
    }

    pub fn failure(mut self, error: &crate::error::Error) -> Event {
        self.outcome = Some(error.kind.as_str().to_owned());
        self.message = Some(error.message.clone());
        self
    }
}

pub(crate) async fn insert(conn: &mut AnyConnection, event: &Event) -> Result<()> {
    sqlx::query(
        "INSERT INTO order_events (id, at, trade_id, client_order_id, order_id, side, symbol, event, outcome, message) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(format_time(event.at))
    .bind(&event.trade_id)
    .bind(&event.client_order_id)
    .bind(&event.order_id)
    .bind(&event.side)
    .bind(&event.symbol)
    .bind(&event.event)
    .bind(&event.outcome)
    .bind(&event.message)
    .execute(conn)
    .await
    .map_err(|e| db_error("cannot append to the audit trail", e))?;
    Ok(())
}

impl Database {
    /// Records an event outside any other change (e.g. a local denial).
    pub async fn record_event(&self, event: &Event) -> Result<()> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(|e| db_error("cannot reach the database", e))?;
        insert(&mut conn, event).await
    }

    /// The audit trail, oldest first: of one trade, or the latest `limit`.
    pub async fn events(&self, trade_id: Option<&str>, limit: i64) -> Result<Vec<Event>> {
        let rows = match trade_id {
            Some(id) => sqlx::query(
                "SELECT * FROM (SELECT * FROM order_events WHERE trade_id = $1 ORDER BY id DESC LIMIT $2) e ORDER BY id",
            )
            .bind(id)
            .bind(limit),
            None => sqlx::query("SELECT * FROM (SELECT * FROM order_events ORDER BY id DESC LIMIT $1) e ORDER BY id")
                .bind(limit),
        }
        .fetch_all(self.pool())
        .await
        .map_err(|e| db_error("cannot read the audit trail", e))?;
        rows.iter()
            .map(|row| {
                let text = |c: &str| row.try_get::<Option<String>, _>(c).ok().flatten();
                Ok(Event {
                    at: text("at")
                        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                        .map(|t| t.with_timezone(&Utc))
                        .unwrap_or_default(),
                    trade_id: text("trade_id"),
                    client_order_id: text("client_order_id"),
                    order_id: text("order_id"),
                    side: text("side"),
                    symbol: text("symbol"),
                    event: text("event").unwrap_or_default(),
                    outcome: text("outcome"),
                    message: text("message"),
                })
            })
            .collect()
    }
}
