//! From a reserved order to a settled one: send it once, read its fill,
//! and record whatever the exchange's answer proves. Shared by buys, sells
//! and reconciliation, so each outcome is recorded one way only.

use chrono::Utc;

use super::{Executor, fill};
use crate::db::{EventKind, OrderRecord, OrderStatus, TradeRecord};
use crate::domain::Symbol;
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{DriverError, ExchangeDriver, MarketOrder, OrderAmount, OrderReport, Side};

/// How an order's report was obtained: decides the audit event names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Via {
    Placement,
    Reconciliation,
}

impl Via {
    fn filled(self) -> EventKind {
        match self {
            Via::Placement => EventKind::Filled,
            Via::Reconciliation => EventKind::ReconciledFilled,
        }
    }

    fn rejected(self) -> EventKind {
        match self {
            Via::Placement => EventKind::Rejected,
            Via::Reconciliation => EventKind::ReconciledNotPlaced,
        }
    }
}

impl<D: ExchangeDriver> Executor<D> {
    /// Sends a reserved order exactly once and settles it.
    pub(super) async fn send_reserved(
        &self,
        trade_id: &str,
        order: &MarketOrder,
    ) -> Result<TradeRecord> {
        let client_order_id = &order.client_order_id;
        let order_id = match self.driver.place_market_order(order).await {
            Ok(order_id) => order_id,
            Err(err) => return Err(self.settle_failure(trade_id, client_order_id, err).await),
        };
        // A market order has usually filled by the first look: then the
        // acknowledgement and the fill are recorded in one transaction. If
        // the host dies before that, the order is PENDING and reconciliation
        // finds it by its client order id.
        let (report, status) = match self.driver.query_order(&order_id).await {
            Ok(report) if report.state.is_terminal() => (report, OrderStatus::Pending),
            _ => {
                self.db
                    .mark_order_placed(trade_id, client_order_id, &order_id, Utc::now())
                    .await?;
                match self.await_fill(&order_id).await {
                    Ok(report) => (report, OrderStatus::Placed),
                    Err(err) => {
                        return Err(self.settle_failure(trade_id, client_order_id, err).await);
                    }
                }
            }
        };
        // The order as recorded before sending; no read back needed.
        let record = OrderRecord {
            client_order_id: client_order_id.clone(),
            trade_id: trade_id.to_owned(),
            side: order.side.as_str().to_owned(),
            symbol: order.symbol.to_string(),
            amount: match order.amount {
                OrderAmount::Quote(amount) | OrderAmount::Base(amount) => amount,
            },
            status,
            order_id: Some(order_id),
            error_kind: None,
            error_message: None,
            deadline: order.deadline,
            created_at: Utc::now(),
        };
        self.settle_report(&record, &report, Via::Placement).await
    }

    /// Records a terminal report for `order`: a fill opens, reduces or closes
    /// the trade; no fill at all frees the slot.
    pub(super) async fn settle_report(
        &self,
        order: &OrderRecord,
        report: &OrderReport,
        via: Via,
    ) -> Result<TradeRecord> {
        let symbol = Symbol::parse(&order.symbol)?;
        if report.filled_size.is_zero() {
            let error = Error::new(
                ErrorKind::OrderRejected,
                format!(
                    "order {} ended {:?} without filling; the position is unchanged",
                    report.order_id, report.state
                ),
            );
            self.db
                .reject_order(
                    &order.trade_id,
                    &order.client_order_id,
                    &error,
                    via.rejected(),
                    Utc::now(),
                )
                .await?;
            return Err(error);
        }
        // An order filled before its acknowledgement was written gets both
        // recorded in the fill's transaction.
        let acknowledged = order.status != OrderStatus::Pending;
        let trade = if order.side == Side::Buy.as_str() {
            let (mut update, entry) =
                fill::entry_from_report(report, &symbol, OrderAmount::Quote(order.amount))?;
            update.acknowledged = acknowledged;
            self.db
                .open_from_fill(
                    &order.trade_id,
                    &order.client_order_id,
                    &entry,
                    &update,
                    via.filled(),
                )
                .await?
        } else {
            let trade = self.db.trade(&order.trade_id).await?;
            let (mut update, result) = fill::sell_result(&trade, report, order.amount, &symbol)?;
            update.acknowledged = acknowledged;
            self.db
                .apply_sell_fill(
                    &order.trade_id,
                    &order.client_order_id,
                    &update,
                    &result,
                    via.filled(),
                )
                .await?
        };
        tracing::info!(order_id = %report.order_id, side = %order.side, filled = %report.filled_size, price = %report.average_price, "order settled");
        Ok(trade)
    }

    /// Records a failed placement and returns the error to surface. Only a
    /// proven refusal frees the slot.
    async fn settle_failure(
        &self,
        trade_id: &str,
        client_order_id: &str,
        err: DriverError,
    ) -> Error {
        let now = Utc::now();
        let proven = err.proves_not_placed();
        let error: Error = err.into();
        let recorded = if proven {
            self.db
                .reject_order(trade_id, client_order_id, &error, EventKind::Rejected, now)
                .await
        } else {
            self.db
                .mark_order_unknown(trade_id, client_order_id, &error, now)
                .await
        };
        if let Err(db_error) = recorded {
            tracing::error!(%trade_id, %client_order_id, error = %db_error, "could not record an order's outcome");
        }
        if proven {
            return error;
        }
        Error::new(
            ErrorKind::UnknownOutcome,
            format!(
                "order outcome unknown ({}): the exchange may have executed it. The position stays reserved \
                 (trade {trade_id}, client order id {client_order_id}); do not resubmit — it is reconciled by its \
                 client order id before the next trade, or now with `tradehost reconcile`",
                error.message
            ),
        )
    }
}
