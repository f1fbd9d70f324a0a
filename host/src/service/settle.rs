//! From a reserved order to a settled one: send it once, read its fill,
//! and record whatever the exchange's answer proves. Shared by buys, sells
//! and reconciliation, so each outcome is recorded one way only.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::Executor;
use super::fill::{self, Expected};
use crate::db::{EventKind, Settling};
use crate::domain::Symbol;
use crate::domain::trade::{ExitReason, OrderRecord, OrderStatus, TradeRecord};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{
    ExchangeDriver, Exposure, MarketOrder, OrderLookup, OrderReport, PlacementError, Side,
};

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

/// A reserved order, ready to send.
pub(super) struct Sending<'a> {
    pub trade_id: &'a str,
    pub order: &'a MarketOrder,
    pub sent_at: DateTime<Utc>,
    /// The market's minimum order size (dust below it).
    pub min_size: Decimal,
    /// A sell's reason.
    pub reason: Option<ExitReason>,
}

/// A report to settle an order with.
pub(super) struct Report<'a> {
    pub report: &'a OrderReport,
    pub via: Via,
    /// It answers a lookup by client order id.
    pub by_client_id: bool,
    /// The market's minimum order size, when known: a remainder below it
    /// closes the trade as dust.
    pub min_size: Option<Decimal>,
}

impl<D: ExchangeDriver> Executor<D> {
    /// Sends a reserved order exactly once and settles it.
    pub(super) async fn send_reserved(&self, sending: Sending<'_>) -> Result<TradeRecord> {
        let side = sending.order.side;
        let result = self.send_and_settle(sending).await;
        let outcome = match &result {
            Ok(_) => "filled",
            // Not recorded as settled: the slot stays reserved either way.
            Err(err) if matches!(err.kind, ErrorKind::UnknownOutcome | ErrorKind::Database) => {
                "unknown"
            }
            Err(_) => "rejected",
        };
        super::count_order(side, outcome);
        result
    }

    async fn send_and_settle(&self, sending: Sending<'_>) -> Result<TradeRecord> {
        let Sending {
            trade_id,
            order,
            sent_at,
            min_size,
            reason,
        } = sending;
        let client_order_id = &order.client_order_id;
        let placement = match self.driver.place_market_order(order).await {
            Ok(placement) => placement,
            Err(failure) => {
                return Err(self
                    .settle_failure(trade_id, client_order_id, failure)
                    .await);
            }
        };
        let lookup = OrderLookup {
            order_id: Some(placement.order_id.clone()),
            client_order_id: client_order_id.clone(),
            symbol: order.symbol.clone(),
            side: order.side,
            sent_at,
        };
        // A market order has usually filled by the first look (or the answer
        // carried its fill): then the acknowledgement and the fill are
        // recorded in one transaction. If the host dies before that, the
        // order is PENDING and reconciliation finds it by its client order id.
        let first = match placement.fill {
            Some(report) => Ok(report),
            None => self.driver.query_order(&lookup).await,
        };
        let (report, status) = match first {
            Ok(report) if report.state.is_terminal() => (report, OrderStatus::Pending),
            _ => {
                self.db
                    .mark_order_placed(trade_id, client_order_id, &placement.order_id, Utc::now())
                    .await?;
                match self.await_fill(&lookup).await {
                    Ok(report) => (report, OrderStatus::Placed),
                    Err(err) => {
                        let failure = PlacementError::may_exist(err, Some(placement.order_id));
                        return Err(self
                            .settle_failure(trade_id, client_order_id, failure)
                            .await);
                    }
                }
            }
        };
        // The order as recorded before sending; no read back needed.
        let order_id = placement.order_id.clone();
        let record = OrderRecord {
            client_order_id: client_order_id.clone(),
            trade_id: trade_id.to_owned(),
            side: order.side,
            symbol: order.symbol.to_string(),
            amount: order.amount.value(),
            quote_price: order.quote_price,
            exit_reason: reason,
            status,
            order_id: Some(placement.order_id),
            error_kind: None,
            error_message: None,
            deadline: order.deadline,
            created_at: sent_at,
        };
        let report = Report {
            report: &report,
            via: Via::Placement,
            by_client_id: false,
            min_size: Some(min_size),
        };
        match self.settle_report(&record, report).await {
            Err(err) if err.kind != ErrorKind::OrderRejected => {
                // The exchange accepted the order; whatever went wrong after
                // (a report that cannot be true, the database), it stays
                // reserved and is reconciled by its exchange id.
                let failure = PlacementError::may_exist(
                    crate::exchange::DriverError::UnknownOutcome(err.message),
                    Some(order_id),
                );
                Err(self
                    .settle_failure(trade_id, client_order_id, failure)
                    .await)
            }
            settled => settled,
        }
    }

    /// Records a terminal report for `order`: a fill opens, reduces or closes
    /// the trade; no fill at all frees the slot. A report that cannot be
    /// about this order, or cannot be true, is refused and nothing changes.
    pub(super) async fn settle_report(
        &self,
        order: &OrderRecord,
        report: Report<'_>,
    ) -> Result<TradeRecord> {
        let Report {
            report,
            via,
            by_client_id,
            min_size,
        } = report;
        let symbol = Symbol::parse(&order.symbol)?;
        let expected = Expected {
            order,
            symbol: &symbol,
            order_id: order.order_id.as_deref(),
            by_client_id,
            slippage_margin: self.policy.max_slippage,
        };
        let settling = Settling {
            trade_id: &order.trade_id,
            client_order_id: &order.client_order_id,
            kind: via.filled(),
        };
        let now = Utc::now();
        fill::check_report(report, expected)?;
        if report.filled_size.is_zero() {
            let error = Error::new(
                ErrorKind::OrderRejected,
                format!(
                    "order {} ended {:?} without filling; the position is unchanged",
                    report.order_id, report.state
                ),
            );
            let settling = Settling {
                kind: via.rejected(),
                ..settling
            };
            self.db.reject_order(settling, &error, now).await?;
            return Err(error);
        }
        // An order filled before its acknowledgement was written gets both
        // recorded in the fill's transaction.
        let acknowledged = order.status != OrderStatus::Pending;
        // Reconciliation may not know the market's minimum yet; without it
        // a remainder simply stays open.
        let min_size = match min_size {
            Some(min) => Some(min),
            None => self
                .driver
                .market_rules(&symbol)
                .await
                .ok()
                .map(|r| r.min_size),
        };
        let trade = match order.side {
            Side::Buy => {
                let (mut update, entry) = fill::entry_from_report(report, expected, now)?;
                update.acknowledged = acknowledged;
                let dust = min_size.is_some_and(|min| entry.size < min);
                self.db
                    .open_from_fill(settling, &entry, &update, dust)
                    .await?
            }
            Side::Sell => {
                let trade = self.db.trade(&order.trade_id).await?;
                let (mut update, result) =
                    fill::sell_result(&trade, report, expected, min_size, now)?;
                update.acknowledged = acknowledged;
                self.db.apply_sell_fill(settling, &update, &result).await?
            }
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
        failure: PlacementError,
    ) -> Error {
        let now = Utc::now();
        let error: Error = failure.error.into();
        let recorded = match &failure.exposure {
            Exposure::NotPlaced => {
                let settling = Settling {
                    trade_id,
                    client_order_id,
                    kind: EventKind::Rejected,
                };
                self.db.reject_order(settling, &error, now).await
            }
            Exposure::MayExist { order_id } => {
                self.db
                    .mark_order_unknown(trade_id, client_order_id, &error, order_id.as_deref(), now)
                    .await
            }
        };
        if let Err(db_error) = recorded {
            tracing::error!(%trade_id, %client_order_id, error = %db_error, "could not record an order's outcome");
        }
        if failure.exposure == Exposure::NotPlaced {
            return error;
        }
        Error::new(
            ErrorKind::UnknownOutcome,
            format!(
                "order outcome unknown ({}): the exchange may have executed it. The position stays reserved \
                 (trade {trade_id}, client order id {client_order_id}); do not resubmit — it is reconciled by its \
                 client order id before the next trade of this asset",
                error.message
            ),
        )
    }
}
