//! The audit trail: one row per order attempt, state change and refusal,
//! only ever inserted. Written in the same transaction as the change it
//! records, and only when a change happened.

use chrono::{DateTime, Utc};
use sqlx::any::AnyArguments;
use sqlx::{Any, AnyConnection, AssertSqlSafe};

use super::records::{corrupt, format_time, opt_text, text, time};
use super::{Database, db_error};
use crate::error::Result;
use crate::exchange::Side;

/// What happened to an order (or a decision that never became one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The intent row was written; the request is about to leave the host.
    Reserved,
    /// The exchange acknowledged the order with its id.
    Placed,
    /// The order's fill was recorded.
    Filled,
    /// The exchange refused the order, or the host refused to send it.
    Rejected,
    /// Sent, answer unknown: the slot stays reserved.
    Unknown,
    /// Reconciliation found the order executed and recorded its fill.
    ReconciledFilled,
    /// Reconciliation proved the order never executed (absent after its deadline).
    ReconciledNotPlaced,
    /// An operator declared, with a reason, that the order never executed.
    MarkedNotExecuted,
    /// Refused by the host before anything was written or sent.
    Denied,
    /// A stop-loss or take-profit was set or moved.
    StopsUpdated,
}

impl EventKind {
    /// Every kind, for parsing the stored spelling back.
    pub const ALL: [EventKind; 10] = [
        EventKind::Reserved,
        EventKind::Placed,
        EventKind::Filled,
        EventKind::Rejected,
        EventKind::Unknown,
        EventKind::ReconciledFilled,
        EventKind::ReconciledNotPlaced,
        EventKind::MarkedNotExecuted,
        EventKind::Denied,
        EventKind::StopsUpdated,
    ];

    /// The spelling stored and shown ("RECONCILED_FILLED").
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Reserved => "RESERVED",
            EventKind::Placed => "PLACED",
            EventKind::Filled => "FILLED",
            EventKind::Rejected => "REJECTED",
            EventKind::Unknown => "UNKNOWN",
            EventKind::ReconciledFilled => "RECONCILED_FILLED",
            EventKind::ReconciledNotPlaced => "RECONCILED_NOT_PLACED",
            EventKind::MarkedNotExecuted => "MARKED_NOT_EXECUTED",
            EventKind::Denied => "DENIED",
            EventKind::StopsUpdated => "STOPS_UPDATED",
        }
    }

    /// The stored spelling back; anything else is not a kind.
    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One row of the audit trail. Built with `new` and the setters below; what an
/// event is not about stays empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The trade concerned.
    pub trade_id: Option<String>,
    /// The host's id of the order concerned.
    pub client_order_id: Option<String>,
    /// The exchange's id of the order, when known.
    pub order_id: Option<String>,
    /// The order's side.
    pub side: Option<Side>,
    /// The market.
    pub symbol: Option<String>,
    /// What happened.
    pub kind: EventKind,
    /// The error kind (e.g. `unknown_outcome`), when the event is a failure.
    pub outcome: Option<String>,
    /// The failure's message, or a note (an operator's reason, the stops set).
    pub message: Option<String>,
}

impl Event {
    /// An event of `kind` at `at`, about nothing yet.
    pub fn new(kind: EventKind, at: DateTime<Utc>) -> Event {
        Event {
            at,
            trade_id: None,
            client_order_id: None,
            order_id: None,
            side: None,
            symbol: None,
            kind,
            outcome: None,
            message: None,
        }
    }

    /// About this trade's order.
    pub fn order(mut self, trade_id: &str, client_order_id: &str) -> Event {
        self.trade_id = Some(trade_id.to_owned());
        self.client_order_id = Some(client_order_id.to_owned());
        self
    }

    /// With the exchange's id of the order, when known.
    pub fn exchange_id(mut self, order_id: Option<&str>) -> Event {
        self.order_id = order_id.map(str::to_owned);
        self
    }

    /// With the order's side and market.
    pub fn what(mut self, side: Side, symbol: &str) -> Event {
        self.side = Some(side);
        self.symbol = Some(symbol.to_owned());
        self
    }

    /// With the failure's kind (as `outcome`) and message.
    pub fn failure(mut self, error: &crate::error::Error) -> Event {
        self.outcome = Some(error.kind.as_str().to_owned());
        self.message = Some(error.message.clone());
        self
    }

    /// With a note as its message.
    pub fn note(mut self, message: impl Into<String>) -> Event {
        self.message = Some(message.into());
        self
    }
}

/// The start of an insert into the audit trail, up to its rows.
macro_rules! insert_events {
    () => {
        "INSERT INTO order_events (id, at, trade_id, client_order_id, order_id, side, symbol, event, outcome, message) VALUES "
    };
}

/// Columns of one event, and so placeholders per row.
const EVENT_COLUMNS: usize = 10;

/// The insert of one event: the same text every time.
const INSERT_ONE: &str = concat!(
    insert_events!(),
    "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
);

type Insert<'q> = sqlx::query::Query<'q, Any, AnyArguments>;

/// Binds one event's values, in the columns' order, after those bound before.
fn bind<'q>(query: Insert<'q>, event: &'q Event) -> Insert<'q> {
    query
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(format_time(event.at))
        .bind(&event.trade_id)
        .bind(&event.client_order_id)
        .bind(&event.order_id)
        .bind(event.side.map(Side::as_str))
        .bind(&event.symbol)
        .bind(event.kind.as_str())
        .bind(&event.outcome)
        .bind(&event.message)
}

async fn execute(conn: &mut AnyConnection, query: Insert<'_>) -> Result<()> {
    query
        .execute(conn)
        .await
        .map_err(|e| db_error("cannot append to the audit trail", e))?;
    Ok(())
}

/// Appends one event.
pub(crate) async fn insert(conn: &mut AnyConnection, event: &Event) -> Result<()> {
    execute(conn, bind(sqlx::query(INSERT_ONE), event)).await
}

/// Appends events in one statement (in order: their ids are time-ordered).
pub(crate) async fn insert_all(conn: &mut AnyConnection, events: &[Event]) -> Result<()> {
    match events {
        [] => Ok(()),
        [event] => insert(conn, event).await,
        _ => {
            // Placeholders only: the statement's text is built from counts.
            let rows: Vec<String> = (0..events.len())
                .map(|i| {
                    let n = i * EVENT_COLUMNS;
                    let marks: Vec<String> =
                        (1..=EVENT_COLUMNS).map(|k| format!("${}", n + k)).collect();
                    format!("({})", marks.join(", "))
                })
                .collect();
            let sql = format!(concat!(insert_events!(), "{}"), rows.join(", "));
            let query = events.iter().fold(sqlx::query(AssertSqlSafe(sql)), bind);
            execute(conn, query).await
        }
    }
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Event> {
    let kind = text(row, "event")?;
    let side = opt_text(row, "side")?;
    Ok(Event {
        at: time(&text(row, "at")?)?,
        trade_id: opt_text(row, "trade_id")?,
        client_order_id: opt_text(row, "client_order_id")?,
        order_id: opt_text(row, "order_id")?,
        side: side
            .as_deref()
            .map(|s| Side::parse(s).ok_or_else(|| corrupt(format!("event side {s:?}"))))
            .transpose()?,
        symbol: opt_text(row, "symbol")?,
        kind: EventKind::parse(&kind).ok_or_else(|| corrupt(format!("event kind {kind:?}")))?,
        outcome: opt_text(row, "outcome")?,
        message: opt_text(row, "message")?,
    })
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
        rows.iter().map(from_row).collect()
    }
}
