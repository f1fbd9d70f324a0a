//! Order rows: what was sent, what the exchange answered, what is still
//! unknown. Each change writes its audit event in the same transaction.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::events::{self, Event, EventKind};
use super::records::{ORDER_COLUMNS, format_time};
use super::{Database, OrderRecord, OrderStatus, TradeRecord, db_error};
use crate::error::{Error, ErrorKind, Result};

impl Database {
    pub async fn mark_order_placed(
        &self,
        trade_id: &str,
        client_order_id: &str,
        order_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE orders SET status = 'PLACED', order_id = $2, updated_at = $3 \
             WHERE client_order_id = $1 AND status IN ('PENDING', 'UNKNOWN')",
        )
        .bind(client_order_id)
        .bind(order_id)
        .bind(format_time(now))
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error("cannot record the order id", e))?;
        let placed = Event::new(EventKind::Placed, now).order(trade_id, client_order_id);
        events::insert(&mut tx, &placed.exchange_id(Some(order_id))).await?;
        tx.commit()
            .await
            .map_err(|e| db_error("cannot record the order id", e))
    }

    /// The order may or may not exist at the exchange: keep the slot reserved.
    pub async fn mark_order_unknown(
        &self,
        trade_id: &str,
        client_order_id: &str,
        error: &Error,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE orders SET status = 'UNKNOWN', error_kind = $2, error_message = $3, updated_at = $4 \
             WHERE client_order_id = $1 AND status IN ('PENDING', 'PLACED', 'UNKNOWN')",
        )
        .bind(client_order_id)
        .bind(error.kind.as_str())
        .bind(&error.message)
        .bind(format_time(now))
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error("cannot record the unknown outcome", e))?;
        let unknown = Event::new(EventKind::Unknown, now).order(trade_id, client_order_id);
        events::insert(&mut tx, &unknown.failure(error)).await?;
        tx.commit()
            .await
            .map_err(|e| db_error("cannot record the unknown outcome", e))
    }

    /// A proven rejection: the order row says why, and the trade returns the
    /// slot (a buy becomes REJECTED, a sell's trade goes back to OPEN).
    pub async fn reject_order(
        &self,
        trade_id: &str,
        client_order_id: &str,
        error: &Error,
        kind: EventKind,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let at = now;
        let now = format_time(now);
        let mut tx = self.begin().await?;
        let settled = sqlx::query(
            "UPDATE orders SET status = 'REJECTED', error_kind = $2, error_message = $3, updated_at = $4 \
             WHERE client_order_id = $1 AND status IN ('PENDING', 'PLACED', 'UNKNOWN')",
        )
        .bind(client_order_id)
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
            "UPDATE trades SET status = CASE status WHEN 'PENDING' THEN 'REJECTED' ELSE 'OPEN' END, updated_at = $2 \
             WHERE id = $1 AND status IN ('PENDING', 'CLOSING')",
        )
        .bind(trade_id)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error("cannot free the position", e))?;
        let rejected = Event::new(kind, at).order(trade_id, client_order_id);
        events::insert(&mut tx, &rejected.failure(error)).await?;
        tx.commit()
            .await
            .map_err(|e| db_error("cannot commit the rejection", e))
    }

    /// A fill that someone else (a concurrent reconciliation) already
    /// recorded is not an error; anything else is.
    pub(super) async fn already_filled(
        &self,
        trade_id: &str,
        client_order_id: &str,
    ) -> Result<TradeRecord> {
        let order = self.order(client_order_id).await?;
        if order.status == OrderStatus::Filled {
            return self.trade(trade_id).await;
        }
        Err(Error::new(
            ErrorKind::Database,
            format!("trade {trade_id} changed while its order {client_order_id} was being filled"),
        ))
    }

    pub async fn order(&self, client_order_id: &str) -> Result<OrderRecord> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE client_order_id = $1"
        )))
        .bind(client_order_id)
        .fetch_optional(self.pool())
        .await
        .map_err(|e| db_error("cannot read the order", e))?;
        match row {
            Some(row) => OrderRecord::from_row(&row),
            None => Err(Error::not_found(format!(
                "no order with client order id {client_order_id:?}"
            ))),
        }
    }

    /// Orders whose outcome is not yet settled (for reconciliation).
    pub async fn unsettled_orders(&self) -> Result<Vec<OrderRecord>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE status IN ('{}', '{}', '{}') ORDER BY created_at",
            OrderStatus::Pending.as_str(),
            OrderStatus::Placed.as_str(),
            OrderStatus::Unknown.as_str()
        )))
        .fetch_all(self.pool())
        .await
        .map_err(|e| db_error("cannot read orders", e))?;
        rows.iter().map(OrderRecord::from_row).collect()
    }
}
