//! Order rows: what was sent, what the exchange answered, what is still
//! unknown. Each change writes its audit event in the same transaction —
//! and only when the change happened.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::events::{self, Event, EventKind};
use super::records::{self, ORDER_COLUMNS, format_time};
use super::trades::Settling;
use super::{Database, db_error};
use crate::domain::trade::OrderRecord;
use crate::error::{Error, Result};

impl Database {
    /// The exchange acknowledged the order with its id.
    pub async fn mark_order_placed(
        &self,
        trade_id: &str,
        client_order_id: &str,
        order_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let placed = sqlx::query(
            "UPDATE orders SET status = 'PLACED', order_id = $2, updated_at = $3 \
             WHERE client_order_id = $1 AND status IN ('PENDING', 'UNKNOWN')",
        )
        .bind(client_order_id)
        .bind(order_id)
        .bind(format_time(now))
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error("cannot record the order id", e))?;
        if placed.rows_affected() == 1 {
            let event = Event::new(EventKind::Placed, now).order(trade_id, client_order_id);
            events::insert(&mut tx, &event.exchange_id(Some(order_id))).await?;
        }
        tx.commit()
            .await
            .map_err(|e| db_error("cannot record the order id", e))
    }

    /// The order may or may not exist at the exchange: keep the slot
    /// reserved. `order_id`, when the exchange's answer named it, is kept
    /// for reconciliation.
    pub async fn mark_order_unknown(
        &self,
        trade_id: &str,
        client_order_id: &str,
        error: &Error,
        order_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let changed = sqlx::query(
            "UPDATE orders SET status = 'UNKNOWN', error_kind = $2, error_message = $3, updated_at = $4, \
             order_id = COALESCE($5, order_id) WHERE client_order_id = $1 AND status IN ('PENDING', 'PLACED')",
        )
        .bind(client_order_id)
        .bind(error.kind.as_str())
        .bind(&error.message)
        .bind(format_time(now))
        .bind(order_id)
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error("cannot record the unknown outcome", e))?;
        if changed.rows_affected() == 1 {
            let unknown = Event::new(EventKind::Unknown, now)
                .order(trade_id, client_order_id)
                .exchange_id(order_id);
            events::insert(&mut tx, &unknown.failure(error)).await?;
        }
        tx.commit()
            .await
            .map_err(|e| db_error("cannot record the unknown outcome", e))
    }

    /// A proven rejection: the order row says why, and the trade returns the
    /// slot (a buy becomes REJECTED, a sell's trade goes back to OPEN) —
    /// once, and a sell only while it holds the trade's claim.
    pub async fn reject_order(
        &self,
        settling: Settling<'_>,
        error: &Error,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let at = now;
        let now = format_time(now);
        let mut tx = self.begin().await?;
        let settled = sqlx::query(
            "UPDATE orders SET status = 'REJECTED', error_kind = $2, error_message = $3, updated_at = $4 \
             WHERE client_order_id = $1 AND status IN ('PENDING', 'PLACED', 'UNKNOWN')",
        )
        .bind(settling.client_order_id)
        .bind(error.kind.as_str())
        .bind(&error.message)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error("cannot record the rejection", e))?;
        // Already settled (e.g. by a concurrent reconciliation): the trade may
        // since have moved on, so it must not be touched again.
        if settled.rows_affected() == 0 {
            return Ok(());
        }
        sqlx::query(
            "UPDATE trades SET status = CASE status WHEN 'PENDING' THEN 'REJECTED' ELSE 'OPEN' END, \
             closing_order = NULL, updated_at = $2 \
             WHERE id = $1 AND (status = 'PENDING' OR (status = 'CLOSING' AND (closing_order = $3 OR closing_order IS NULL)))",
        )
        .bind(settling.trade_id)
        .bind(&now)
        .bind(settling.client_order_id)
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error("cannot free the position", e))?;
        let rejected =
            Event::new(settling.kind, at).order(settling.trade_id, settling.client_order_id);
        events::insert(&mut tx, &rejected.failure(error)).await?;
        tx.commit()
            .await
            .map_err(|e| db_error("cannot commit the rejection", e))
    }

    /// The order with this client order id; `NotFound` if there is none.
    pub async fn order(&self, client_order_id: &str) -> Result<OrderRecord> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE client_order_id = $1"
        )))
        .bind(client_order_id)
        .fetch_optional(self.pool())
        .await
        .map_err(|e| db_error("cannot read the order", e))?;
        match row {
            Some(row) => records::order(&row),
            None => Err(Error::not_found(format!(
                "no order with client order id {client_order_id:?}"
            ))),
        }
    }

    /// Orders on `exchange` whose outcome is not yet settled (for
    /// reconciliation), oldest first; only those of one asset's trades when
    /// `asset` is given. Another exchange's orders are never looked up here.
    pub async fn unsettled_orders(
        &self,
        exchange: &str,
        asset: Option<&str>,
    ) -> Result<Vec<OrderRecord>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE status IN ('PENDING', 'PLACED', 'UNKNOWN') \
             AND trade_id IN (SELECT id FROM trades WHERE exchange = $1 AND ($2 IS NULL OR asset = $2)) \
             ORDER BY created_at"
        )))
        .bind(exchange)
        .bind(asset)
        .fetch_all(self.pool())
        .await
        .map_err(|e| db_error("cannot read orders", e))?;
        rows.iter().map(records::order).collect()
    }
}
