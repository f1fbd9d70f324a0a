//! Emergency liquidation: every open position sold now, through the normal
//! sell path (so the one-position rule and exactly-once settlement hold),
//! each one reported on its own.

use rust_decimal::Decimal;

use super::{Executor, SellRequest};
use crate::domain::Symbol;
use crate::domain::trade::{ExitReason, TradeRecord, TradeStatus};
use crate::error::{Error, Result};
use crate::exchange::ExchangeDriver;

/// What became of one position.
#[derive(Debug, Clone, PartialEq)]
pub struct Liquidated {
    /// The trade.
    pub trade_id: String,
    /// Its market.
    pub symbol: String,
    /// The trade after the sell, or why it could not be sold now.
    pub outcome: Result<TradeRecord>,
}

impl<D: ExchangeDriver> Executor<D> {
    /// Sells every open position (a position still in flight is settled
    /// first where possible). One failure does not stop the others.
    #[tracing::instrument(name = "service.liquidate", skip_all)]
    pub async fn liquidate(&self) -> Result<Vec<Liquidated>> {
        let mut report = Vec::new();
        for trade in self.db.positions(self.exchange()).await? {
            let outcome = self.liquidate_one(&trade).await;
            report.push(Liquidated {
                trade_id: trade.id,
                symbol: trade.symbol,
                outcome,
            });
        }
        Ok(report)
    }

    async fn liquidate_one(&self, trade: &TradeRecord) -> Result<TradeRecord> {
        let symbol = Symbol::parse(&trade.symbol)?;
        if trade.status != TradeStatus::Open {
            // In flight: settle what can be settled, then look again.
            self.recover_before_trading(symbol.base()).await?;
        }
        let current = self.db.trade(&trade.id).await?;
        if current.status != TradeStatus::Open {
            return Err(Error::invalid_input(format!(
                "trade {} is {}; it cannot be sold until its order is settled",
                current.id,
                current.status.as_str()
            )));
        }
        if current.size.is_none_or(|s| s <= Decimal::ZERO) {
            return Ok(current);
        }
        let request = SellRequest {
            symbol,
            amount: None,
            trade_id: Some(current.id.clone()),
            reason: ExitReason::Liquidation,
            client_order_id: None,
        };
        self.sell(&request).await
    }

    /// Moves an open trade's soft stop-loss and take-profit (`Some(None)`
    /// clears one). The stop must stay below the target, and a price being
    /// set must not act at once: a stop-loss below the bid, a take-profit
    /// above the ask (a typo would otherwise sell at the monitor's next look).
    pub async fn update_stops(
        &self,
        trade_id: &str,
        stop_loss: Option<Option<Decimal>>,
        take_profit: Option<Option<Decimal>>,
    ) -> Result<TradeRecord> {
        let current = self.db.trade(trade_id).await?;
        if current.exchange != self.exchange() {
            return Err(Error::invalid_input(format!(
                "trade {trade_id} is on {}, not {}; its stops are watched by that exchange's deployment",
                current.exchange,
                self.exchange()
            )));
        }
        if !matches!(current.status, TradeStatus::Open | TradeStatus::Pending) {
            return Err(Error::invalid_input(format!(
                "trade {trade_id} is {}; only an open trade's stops can move",
                current.status.as_str()
            )));
        }
        let stop = stop_loss.unwrap_or(current.stop_loss_price);
        let target = take_profit.unwrap_or(current.take_profit_price);
        if let (Some(sl), Some(tp)) = (stop, target)
            && sl >= tp
        {
            return Err(Error::invalid_input(format!(
                "stop-loss {sl} must be below take-profit {tp}"
            )));
        }
        let new_stop = stop_loss.flatten();
        let new_target = take_profit.flatten();
        if new_stop.is_some() || new_target.is_some() {
            let ticker = self.ticker(&Symbol::parse(&current.symbol)?).await?;
            if let Some(sl) = new_stop.filter(|sl| *sl >= ticker.bid) {
                return Err(Error::invalid_input(format!(
                    "stop-loss {sl} is not below the current price ({}); it would sell at once",
                    ticker.bid
                )));
            }
            if let Some(tp) = new_target.filter(|tp| *tp <= ticker.ask) {
                return Err(Error::invalid_input(format!(
                    "take-profit {tp} is not above the current price ({}); it would sell at once",
                    ticker.ask
                )));
            }
        }
        self.db
            .update_stops(trade_id, stop_loss, take_profit, chrono::Utc::now())
            .await
    }
}
