//! Reconciliation: settling orders whose outcome is not known, by asking
//! the exchange about their client order id. Runs before any new order
//! (startup recovery) and on demand (`tradehost reconcile`).

use chrono::{DateTime, Utc};

use super::settle::Via;
use super::{Executor, retry};
use crate::db::{EventKind, OrderRecord, OrderStatus, TradeRecord};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{DriverError, ExchangeDriver, OrderReport};

/// What reconciliation made of one order.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// The exchange executed it; the trade now holds its fill.
    Filled(Box<TradeRecord>),
    /// Proven never executed (or ended without a fill): the slot is free.
    NotPlaced(String),
    /// Not settled yet; the slot stays reserved.
    StillUnknown(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reconciled {
    pub trade_id: String,
    pub client_order_id: String,
    pub side: String,
    pub symbol: String,
    pub resolution: Resolution,
}

impl<D: ExchangeDriver> Executor<D> {
    /// Reconciles every order whose outcome is not settled.
    #[tracing::instrument(name = "service.reconcile", skip_all)]
    pub async fn reconcile(&self) -> Result<Vec<Reconciled>> {
        let mut resolved = Vec::new();
        for order in self.db.unsettled_orders().await? {
            let resolution = self.reconcile_order(&order, true).await?;
            resolved.push(Reconciled {
                trade_id: order.trade_id,
                client_order_id: order.client_order_id,
                side: order.side,
                symbol: order.symbol,
                resolution,
            });
        }
        Ok(resolved)
    }

    /// Startup recovery, before any new order: settles what can be settled.
    /// If the exchange cannot be asked, the host refuses to trade.
    pub(super) async fn recover_before_trading(&self) -> Result<()> {
        for order in self.db.unsettled_orders().await? {
            if let Err(err) = self.reconcile_order(&order, false).await {
                return Err(Error::new(
                    ErrorKind::ExchangeUnavailable,
                    format!(
                        "order {} ({} {}) has an unknown outcome and the exchange could not be asked about it ({}); \
                         refusing to trade until it is reconciled — retry, or run `tradehost reconcile`",
                        order.client_order_id, order.side, order.symbol, err.message
                    ),
                ));
            }
        }
        Ok(())
    }

    async fn reconcile_order(
        &self,
        order: &OrderRecord,
        include_in_flight: bool,
    ) -> Result<Resolution> {
        let now = Utc::now();
        let final_after = order.deadline.map(|d| {
            d + chrono::Duration::from_std(self.policy.reconcile_grace).unwrap_or_default()
        });
        // A PENDING order younger than its deadline may be in flight in this
        // or another process: leave it to its sender.
        let in_flight = order.status == OrderStatus::Pending && final_after.is_none_or(|t| now < t);
        if in_flight && !include_in_flight {
            return Ok(Resolution::StillUnknown("in flight".to_owned()));
        }
        let report = self.look_up(order).await.map_err(Error::from)?;
        let resolution = match report {
            Some(report) if report.state.is_terminal() => match self
                .settle_report(order, &report, Via::Reconciliation)
                .await
            {
                Ok(trade) => Resolution::Filled(Box::new(trade)),
                Err(err) if err.kind == ErrorKind::OrderRejected => {
                    Resolution::NotPlaced(err.message)
                }
                Err(err) => return Err(err),
            },
            Some(report) => Resolution::StillUnknown(format!(
                "order {} is still {:?} at the exchange",
                report.order_id, report.state
            )),
            // Acknowledged with an id, yet not found: never assume it away.
            None if order.order_id.is_some() => Resolution::StillUnknown(
                "acknowledged by the exchange but not found by its id".to_owned(),
            ),
            None => match final_after {
                Some(t) if now >= t => self.not_placed(order, now).await?,
                Some(t) => Resolution::StillUnknown(format!(
                    "not found at the exchange yet; final after {}",
                    t.to_rfc3339()
                )),
                None => Resolution::StillUnknown(
                    "not found at the exchange, and the order had no deadline".to_owned(),
                ),
            },
        };
        tracing::info!(client_order_id = %order.client_order_id, ?resolution, "reconciled");
        Ok(resolution)
    }

    /// Absent after its deadline (plus grace): the exchange can no longer
    /// execute it, so it never will.
    async fn not_placed(&self, order: &OrderRecord, now: DateTime<Utc>) -> Result<Resolution> {
        let message = format!(
            "order {} was not found at the exchange after its deadline; it was never executed",
            order.client_order_id
        );
        let error = Error::new(ErrorKind::OrderRejected, message.clone());
        self.db
            .reject_order(
                &order.trade_id,
                &order.client_order_id,
                &error,
                EventKind::ReconciledNotPlaced,
                now,
            )
            .await?;
        Ok(Resolution::NotPlaced(message))
    }

    /// The exchange's report on an order: by exchange id when known, else by
    /// client order id among open and closed orders.
    async fn look_up(&self, order: &OrderRecord) -> Result<Option<OrderReport>, DriverError> {
        if let Some(order_id) = &order.order_id {
            return match retry::read("query_order", || self.driver.query_order(order_id)).await {
                Ok(report) => Ok(Some(report)),
                Err(DriverError::NotFound(_)) => Ok(None),
                Err(err) => Err(err),
            };
        }
        retry::read("find_order", || {
            self.driver.find_order(&order.client_order_id)
        })
        .await
    }
}
