//! The order lifecycle: validate, reserve the slot with a durable row, send
//! through the driver, read the actual fill, record the outcome. Only a
//! proven rejection frees a slot; an unknown outcome keeps it reserved.

mod buy;
pub mod decision;
mod fill;
mod liquidate;
mod reconcile;
mod reference;
mod retry;
mod sell;
mod settle;

use std::time::Duration;

use chrono::Utc;
use rust_decimal::Decimal;

use crate::db::{Database, Event, EventKind};
use crate::domain::Symbol;
use crate::domain::trade::{TradeRecord, TradeStatus};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{
    Balance, DriverError, DriverResult, ExchangeDriver, ExchangeState, ExchangeStatus, MarketRules,
    MarketStatus, OrderLookup, OrderReport, Side, Ticker,
};

pub use buy::{BuyRequest, OrderIds, check_buy};
pub use liquidate::Liquidated;
pub use reconcile::{HandResolution, Reconciled, Resolution};
pub use sell::SellRequest;

/// How long to wait for an accepted market order to report its fill.
const FILL_POLLS: u32 = 12;
const FILL_POLL_START: Duration = Duration::from_millis(25);
const FILL_POLL_MAX: Duration = Duration::from_secs(1);

/// Rules of the order lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Sent with each order: the exchange must not execute it afterwards.
    /// Kraken accepts 2 to 60 seconds.
    pub order_deadline: Duration,
    /// Allowance for clock skew between host and exchange: an order is
    /// declared never executed only once its deadline is this far past on
    /// the exchange's clock, and only while the two clocks agree this well.
    pub reconcile_grace: Duration,
    /// The pre-trade guard: how much more than the quote a buy sized in
    /// base units may be worth at the price the host saw (a fraction). A
    /// fill itself is recorded as it happened, whatever its slippage.
    pub max_slippage: Decimal,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            order_deadline: Duration::from_secs(30),
            reconcile_grace: Duration::from_secs(10),
            max_slippage: Decimal::new(1, 2),
        }
    }
}

/// Counts an order decision by how it ended (`/metrics` while serving).
fn count_order(side: Side, outcome: &'static str) {
    let side = match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    };
    metrics::counter!("tradehost_orders_total", "side" => side, "outcome" => outcome).increment(1);
}

/// Executes decisions against one exchange driver and one trade database.
pub struct Executor<D> {
    db: Database,
    driver: D,
    policy: Policy,
    reference: reference::Reference,
}

impl<D: ExchangeDriver> Executor<D> {
    /// An executor over `db` and `driver`, with the default policy.
    pub fn new(db: Database, driver: D) -> Executor<D> {
        Executor {
            db,
            driver,
            policy: Policy::default(),
            reference: reference::Reference::default(),
        }
    }

    /// The same executor under `policy`.
    pub fn with_policy(mut self, policy: Policy) -> Executor<D> {
        self.policy = policy;
        self
    }

    /// The deadline for an order created now.
    fn order_deadline(&self, now: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
        now + chrono::Duration::from_std(self.policy.order_deadline)
            .unwrap_or(chrono::Duration::seconds(30))
    }

    /// The trade database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The exchange driver.
    pub fn driver(&self) -> &D {
        &self.driver
    }

    /// The exchange this executor trades on: its positions and orders are
    /// this exchange's only (another deployment may share the database).
    pub fn exchange(&self) -> &str {
        &self.driver.info().exchange_id
    }

    /// Market-buys `amount` of `symbol`'s quote currency and records an
    /// OPEN trade with the exchange's actual fill.
    pub async fn execute_buy(
        &self,
        symbol: &str,
        amount: &str,
        stop_loss: Option<&str>,
        take_profit: Option<&str>,
    ) -> Result<TradeRecord> {
        let request = BuyRequest::parse(symbol, amount, stop_loss, take_profit)?;
        self.buy(&request).await
    }

    /// Market-sells `amount_token` (the whole position when `None`) of the
    /// open trade `trade_id`, or of the asset's open position.
    pub async fn execute_sell(
        &self,
        symbol: &str,
        amount_token: Option<&str>,
        trade_id: Option<&str>,
    ) -> Result<TradeRecord> {
        let request = SellRequest::parse(symbol, amount_token, trade_id)?;
        self.sell(&request).await
    }

    /// Sells the whole open position in `symbol`.
    pub async fn close(&self, symbol: &str) -> Result<TradeRecord> {
        self.execute_sell(symbol, None, None).await
    }

    /// Positions holding a slot on this exchange (pending, open or closing),
    /// oldest first.
    pub async fn positions(&self) -> Result<Vec<TradeRecord>> {
        self.db.positions(self.exchange()).await
    }

    /// The latest `limit` trades, newest first, on any exchange.
    pub async fn trades(&self, limit: i64) -> Result<Vec<TradeRecord>> {
        self.db.trades(limit).await
    }

    /// The audit trail, oldest first: of one trade, or the latest `limit`.
    pub async fn history(&self, trade_id: Option<&str>, limit: i64) -> Result<Vec<Event>> {
        self.db.events(trade_id, limit).await
    }

    /// The account's balances, read again if the exchange is briefly
    /// unavailable.
    pub async fn balances(&self) -> Result<Vec<Balance>> {
        Ok(retry::read("balances", || self.driver.balances()).await?)
    }

    /// Whether the exchange accepts orders now, read again if it is briefly
    /// unavailable.
    pub async fn status(&self) -> Result<ExchangeStatus> {
        Ok(retry::read("status", || self.driver.status()).await?)
    }

    /// The exchange's status, read once from the driver now (not again if
    /// the exchange is unavailable), and remembered as the orders' own
    /// reads are: an online answer spares the next order's pre-trade check
    /// a round trip; any other answer forgets what was remembered.
    pub async fn fresh_status(&self) -> DriverResult<ExchangeStatus> {
        let status = self.driver.status().await?;
        self.reference.keep_status(&status);
        Ok(status)
    }

    async fn ticker(&self, symbol: &Symbol) -> Result<Ticker> {
        Ok(retry::read("ticker", || self.driver.ticker(symbol)).await?)
    }

    /// The asset's position on this exchange, once the orders that hold it
    /// in flight are settled where the exchange can say — or an error if it
    /// cannot be asked (the asset is not traded blind). An unsettled order
    /// always holds its asset's slot (its trade is PENDING or CLOSING), so a
    /// free slot or an OPEN position means there is nothing to recover, and
    /// other assets' orders are not this decision's business.
    async fn settled_position(&self, asset: &str) -> Result<Option<TradeRecord>> {
        let position = self.db.active_position(self.exchange(), asset).await?;
        let in_flight = position
            .as_ref()
            .is_some_and(|p| matches!(p.status, TradeStatus::Pending | TradeStatus::Closing));
        if !in_flight {
            return Ok(position);
        }
        self.recover_before_trading(asset).await?;
        self.db.active_position(self.exchange(), asset).await
    }

    /// A decision the host refused by its own rules goes in the audit trail.
    async fn deny(
        &self,
        side: Side,
        symbol: &Symbol,
        trade_id: Option<&str>,
        error: Error,
    ) -> Error {
        count_order(side, "refused");
        let mut event = Event::new(EventKind::Denied, Utc::now())
            .what(side, &symbol.to_string())
            .failure(&error);
        event.trade_id = trade_id.map(str::to_owned);
        if let Err(db_error) = self.db.record_event(&event).await {
            tracing::warn!(error = %db_error, "could not record a denial");
        }
        error
    }

    /// Pre-trade checks before anything is written or sent: the exchange is
    /// online and the market takes market orders (both remembered briefly
    /// when good, see `reference`). Returns its rules.
    async fn tradable_rules(&self, symbol: &Symbol) -> Result<MarketRules> {
        let status = match self.reference.status() {
            Some(status) => status,
            None => {
                let status = self.status().await?;
                self.reference.keep_status(&status);
                status
            }
        };
        if status.state != ExchangeState::Online {
            return Err(Error::new(
                ErrorKind::ExchangeUnavailable,
                format!(
                    "the exchange is in {:?} mode{}; nothing was sent — try again when it is online",
                    status.state,
                    status
                        .message
                        .map(|m| format!(" ({m})"))
                        .unwrap_or_default()
                ),
            ));
        }
        let key = symbol.to_string();
        let rules = match self.reference.rules(&key) {
            Some(rules) => rules,
            None => {
                let rules =
                    retry::read("market_rules", || self.driver.market_rules(symbol)).await?;
                self.reference.keep_rules(&key, &rules);
                rules
            }
        };
        if rules.status != MarketStatus::Online {
            return Err(Error::new(
                ErrorKind::ExchangeUnavailable,
                format!(
                    "{symbol} is not accepting market orders right now (market status {:?}); nothing was sent",
                    rules.status
                ),
            ));
        }
        Ok(rules)
    }

    /// Reads an accepted order's fill, waiting briefly for it to complete;
    /// the caller has already looked once, so each look here follows a pause.
    async fn await_fill(
        &self,
        lookup: &OrderLookup,
    ) -> std::result::Result<OrderReport, DriverError> {
        let mut delay = FILL_POLL_START;
        let mut last_error = None;
        for _ in 0..FILL_POLLS {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(FILL_POLL_MAX);
            match self.driver.query_order(lookup).await {
                Ok(report) if report.state.is_terminal() => return Ok(report),
                Ok(_) => last_error = None,
                Err(err) => last_error = Some(err),
            }
        }
        let order_id = lookup.order_id.as_deref().unwrap_or("?");
        Err(DriverError::UnknownOutcome(match last_error {
            Some(err) => {
                format!("order {order_id} was accepted but its fill could not be read: {err}")
            }
            None => format!("order {order_id} was accepted but has not completed"),
        }))
    }
}

#[cfg(test)]
mod tests;
