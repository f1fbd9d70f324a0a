//! Reconciliation: settling orders whose outcome is not known, by asking
//! the exchange about their client order id. Runs before any new order of
//! the same asset (recovery), on demand (`tradehost reconcile`, which goes
//! on past an order that fails), and by hand for one order with evidence.

use chrono::{DateTime, Utc};

use super::settle::{Report, Via};
use super::{Executor, retry};
use crate::db::{EventKind, Settling};
use crate::domain::Symbol;
use crate::domain::trade::{OrderRecord, OrderStatus, TradeRecord};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{DriverError, ExchangeDriver, OrderLookup, OrderReport, Side};

/// What reconciliation made of one order.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// The exchange executed it; the trade now holds its fill.
    Filled(Box<TradeRecord>),
    /// Proven never executed (or ended without a fill): the slot is free.
    NotPlaced(String),
    /// Not settled yet; the slot stays reserved.
    StillUnknown(String),
    /// Looking it up or recording it failed; the slot stays reserved.
    Failed(Error),
}

/// One order reconciliation looked at, and what it found.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconciled {
    /// The order's trade.
    pub trade_id: String,
    /// The host's id of the order.
    pub client_order_id: String,
    /// Buy or sell.
    pub side: Side,
    /// The market.
    pub symbol: String,
    /// What reconciliation found and did.
    pub resolution: Resolution,
}

/// How an operator settles one order by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandResolution {
    /// Read it from the exchange again, now, whatever its deadline.
    FromExchange,
    /// Declare it never executed — for an order the exchange no longer
    /// knows. Audited with the reason.
    NotExecuted {
        /// Why, for the audit trail.
        reason: String,
    },
}

impl<D: ExchangeDriver> Executor<D> {
    /// Reconciles every order whose outcome is not settled. An order that
    /// cannot be settled now is reported as such; the others go on. Each
    /// order looked at counts in `tradehost_reconciled_total{outcome}`.
    #[tracing::instrument(name = "service.reconcile", skip_all)]
    pub async fn reconcile(&self) -> Result<Vec<Reconciled>> {
        let mut resolved = Vec::new();
        for order in self.db.unsettled_orders(self.exchange(), None).await? {
            let resolution = match self.reconcile_order(&order, true).await {
                Ok(resolution) => resolution,
                Err(error) => Resolution::Failed(error),
            };
            resolved.push(reconciled(order, resolution));
        }
        count_reconciled(&resolved);
        Ok(resolved)
    }

    /// Recovery before a new order of `asset`: settles what can be settled.
    /// If the exchange cannot be asked about one, the host refuses to
    /// trade that asset — other assets trade on.
    pub(super) async fn recover_before_trading(&self, asset: &str) -> Result<()> {
        for order in self
            .db
            .unsettled_orders(self.exchange(), Some(asset))
            .await?
        {
            if let Err(err) = self.reconcile_order(&order, false).await {
                return Err(Error::new(
                    ErrorKind::ExchangeUnavailable,
                    format!(
                        "order {} ({} {}) has an unknown outcome and could not be settled ({}); \
                         refusing to trade {asset} until it is reconciled",
                        order.client_order_id, order.side, order.symbol, err.message
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Settles one order by hand: reads it again, or declares it never
    /// executed with a reason (refused if the exchange reports it filled).
    pub async fn resolve_by_hand(
        &self,
        client_order_id: &str,
        how: HandResolution,
    ) -> Result<Reconciled> {
        let order = self.db.order(client_order_id).await?;
        let trade = self.db.trade(&order.trade_id).await?;
        if trade.exchange != self.exchange() {
            return Err(Error::invalid_input(format!(
                "order {client_order_id} was sent to {}, not {}; resolve it with that exchange's driver",
                trade.exchange,
                self.exchange()
            )));
        }
        if !order.status.is_unsettled() {
            return Err(Error::invalid_input(format!(
                "order {client_order_id} is already {}; there is nothing to resolve",
                order.status.as_str()
            )));
        }
        let resolution = match how {
            HandResolution::FromExchange => self.reconcile_order(&order, true).await?,
            HandResolution::NotExecuted { reason } => {
                let reason = reason.trim();
                if reason.is_empty() {
                    return Err(Error::invalid_input(
                        "--mark-not-executed needs a --reason, kept in the audit trail",
                    ));
                }
                if let Ok(Some(report)) = self.look_up(&order).await
                    && !report.filled_size.is_zero()
                {
                    return Err(Error::invalid_input(format!(
                        "the exchange reports order {client_order_id} filled {} (order {}); settle it with --filled-from-exchange",
                        report.filled_size, report.order_id
                    )));
                }
                let message = format!(
                    "order {client_order_id} declared never executed by the operator: {}",
                    crate::text::untrusted(reason, 500)
                );
                let error = Error::new(ErrorKind::OrderRejected, message.clone());
                let settling = Settling {
                    trade_id: &order.trade_id,
                    client_order_id: &order.client_order_id,
                    kind: EventKind::MarkedNotExecuted,
                };
                self.db.reject_order(settling, &error, Utc::now()).await?;
                Resolution::NotPlaced(message)
            }
        };
        Ok(reconciled(order, resolution))
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
        let by_client_id = order.order_id.is_none();
        let resolution = match report {
            Some(report) if report.state.is_terminal() => {
                let settle = Report {
                    report: &report,
                    via: Via::Reconciliation,
                    by_client_id,
                    min_size: None,
                };
                match self.settle_report(order, settle).await {
                    Ok(trade) => Resolution::Filled(Box::new(trade)),
                    Err(err) if err.kind == ErrorKind::OrderRejected => {
                        Resolution::NotPlaced(err.message)
                    }
                    Err(err) => return Err(err),
                }
            }
            Some(report) => Resolution::StillUnknown(format!(
                "order {} is still {:?} at the exchange",
                report.order_id, report.state
            )),
            // Acknowledged with an id, yet not found: never assume it away.
            None if order.order_id.is_some() => Resolution::StillUnknown(
                "acknowledged by the exchange but not found by its id".to_owned(),
            ),
            None => self.absent(order, final_after, now).await?,
        };
        tracing::info!(client_order_id = %order.client_order_id, ?resolution, "reconciled");
        Ok(resolution)
    }

    /// Not found by its client order id. Final only once its deadline (plus
    /// the grace) has passed on the exchange's own clock, and only while that
    /// clock and the host's agree within the grace.
    async fn absent(
        &self,
        order: &OrderRecord,
        final_after: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Resolution> {
        let Some(final_after) = final_after else {
            return Ok(Resolution::StillUnknown(
                "not found at the exchange, and the order had no deadline".to_owned(),
            ));
        };
        if now < final_after {
            return Ok(Resolution::StillUnknown(format!(
                "not found at the exchange yet; final after {}",
                final_after.to_rfc3339()
            )));
        }
        let asked = Utc::now();
        let exchange_now = match self.driver.server_time().await {
            Ok(time) => time,
            Err(err) => {
                return Ok(Resolution::StillUnknown(format!(
                    "not found, but the exchange's clock could not be read ({err}); not concluding"
                )));
            }
        };
        // Compared with the host's clock at the middle of the round trip;
        // exchanges report whole seconds, hence one second more allowance.
        let host_now = asked + (Utc::now() - asked) / 2;
        let skew = (exchange_now - host_now).abs();
        let grace = chrono::Duration::from_std(self.policy.reconcile_grace).unwrap_or_default();
        if skew > grace + chrono::Duration::seconds(1) {
            return Ok(Resolution::StillUnknown(format!(
                "not found, but the exchange's clock and the host's differ by {} s, more than the {} s grace; not concluding",
                skew.num_seconds(),
                grace.num_seconds()
            )));
        }
        if exchange_now < final_after {
            return Ok(Resolution::StillUnknown(format!(
                "not found at the exchange yet; final after {} on the exchange's clock",
                final_after.to_rfc3339()
            )));
        }
        self.not_placed(order, now).await
    }

    /// Absent after its deadline (plus grace): the exchange can no longer
    /// execute it, so it never will.
    async fn not_placed(&self, order: &OrderRecord, now: DateTime<Utc>) -> Result<Resolution> {
        let message = format!(
            "order {} was not found at the exchange after its deadline; it was never executed",
            order.client_order_id
        );
        let error = Error::new(ErrorKind::OrderRejected, message.clone());
        let settling = Settling {
            trade_id: &order.trade_id,
            client_order_id: &order.client_order_id,
            kind: EventKind::ReconciledNotPlaced,
        };
        self.db.reject_order(settling, &error, now).await?;
        Ok(Resolution::NotPlaced(message))
    }

    /// The exchange's report on an order: by exchange id when known, else by
    /// client order id among open and closed orders.
    async fn look_up(&self, order: &OrderRecord) -> Result<Option<OrderReport>, DriverError> {
        let lookup = OrderLookup {
            order_id: order.order_id.clone(),
            client_order_id: order.client_order_id.clone(),
            symbol: Symbol::parse(&order.symbol)
                .map_err(|e| DriverError::InvalidRequest(e.message))?,
            side: order.side,
            sent_at: order.created_at,
        };
        if lookup.order_id.is_some() {
            return match retry::read("query_order", || self.driver.query_order(&lookup)).await {
                Ok(report) => Ok(Some(report)),
                Err(DriverError::NotFound(_)) => Ok(None),
                Err(err) => Err(err),
            };
        }
        retry::read("find_order", || self.driver.find_order(&lookup)).await
    }
}

/// Counts reconciliations by what they found (`/metrics` while serving).
fn count_reconciled(reconciled: &[Reconciled]) {
    for r in reconciled {
        let outcome = match r.resolution {
            Resolution::Filled(_) => "filled",
            Resolution::NotPlaced(_) => "not_placed",
            Resolution::StillUnknown(_) => "still_unknown",
            Resolution::Failed(_) => "failed",
        };
        metrics::counter!("tradehost_reconciled_total", "outcome" => outcome).increment(1);
    }
}

fn reconciled(order: OrderRecord, resolution: Resolution) -> Reconciled {
    Reconciled {
        trade_id: order.trade_id,
        client_order_id: order.client_order_id,
        side: order.side,
        symbol: order.symbol,
        resolution,
    }
}
