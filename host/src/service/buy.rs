//! Opening a position.

use chrono::Utc;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::Executor;
use crate::db::{Event, EventKind, NewBuy, TradeRecord};
use crate::domain::{Symbol, amount};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{ExchangeDriver, MarketOrder, OrderAmount, Side};

/// A validated buy decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyRequest {
    pub symbol: Symbol,
    pub amount_usd: Decimal,
    pub stop_loss: Option<Decimal>,
    pub take_profit: Option<Decimal>,
}

impl BuyRequest {
    pub fn parse(
        symbol: &str,
        amount_usd: &str,
        stop_loss: Option<&str>,
        take_profit: Option<&str>,
    ) -> Result<BuyRequest> {
        let symbol = Symbol::parse(symbol)?;
        if symbol.quote() != "USD" {
            return Err(Error::invalid_input(format!(
                "buy amounts are in USD, but {symbol} is quoted in {}; use a /USD market",
                symbol.quote()
            )));
        }
        let request = BuyRequest {
            symbol,
            amount_usd: amount::parse_positive("amount_usd", amount_usd)?,
            stop_loss: stop_loss
                .map(|p| amount::parse_positive("stop_loss_price", p))
                .transpose()?,
            take_profit: take_profit
                .map(|p| amount::parse_positive("take_profit_price", p))
                .transpose()?,
        };
        if let (Some(sl), Some(tp)) = (request.stop_loss, request.take_profit) {
            if sl >= tp {
                return Err(Error::invalid_input(format!(
                    "stop-loss {sl} must be below take-profit {tp}"
                )));
            }
        }
        Ok(request)
    }
}

impl<D: ExchangeDriver> Executor<D> {
    /// A buy the host refused by its own rules goes in the audit trail too.
    async fn deny(&self, symbol: &Symbol, error: Error) -> Error {
        let event = Event::new(EventKind::Denied, Utc::now())
            .what("BUY", &symbol.to_string())
            .failure(&error);
        if let Err(db_error) = self.db.record_event(&event).await {
            tracing::warn!(error = %db_error, "could not record a denial");
        }
        error
    }

    #[tracing::instrument(name = "service.buy", skip_all, fields(symbol = %request.symbol, amount_usd = %request.amount_usd, trade_id = tracing::field::Empty))]
    pub async fn buy(&self, request: &BuyRequest) -> Result<TradeRecord> {
        let symbol = &request.symbol;
        // Startup recovery: settle earlier unknown outcomes first (this may
        // free the slot), or refuse to trade if the exchange cannot be asked.
        self.recover_before_trading().await?;
        // A friendly early answer; the database index is what enforces it.
        if let Some(existing) = self.db.active_position(symbol.base()).await? {
            let error = Error::new(
                ErrorKind::DuplicatePosition,
                format!(
                    "a position in {} is already {} (trade {}); close it before opening another",
                    symbol.base(),
                    existing.status.as_str(),
                    existing.id
                ),
            );
            return Err(self.deny(symbol, error).await);
        }
        let rules = self.tradable_rules(symbol).await?;
        if request.amount_usd < rules.min_cost {
            return Err(Error::new(
                ErrorKind::BelowMinimum,
                format!(
                    "{} USD is below {symbol}'s minimum order value of {} USD",
                    request.amount_usd, rules.min_cost
                ),
            ));
        }
        let ticker = self.ticker(symbol).await?;
        let estimated_size = (request.amount_usd / ticker.ask)
            .round_dp_with_strategy(rules.size_decimals, rust_decimal::RoundingStrategy::ToZero);
        if estimated_size < rules.min_size {
            return Err(Error::new(
                ErrorKind::BelowMinimum,
                format!(
                    "{} USD buys about {estimated_size} {} at {}, below the minimum order size of {} (about {} USD)",
                    request.amount_usd,
                    symbol.base(),
                    ticker.ask,
                    rules.min_size,
                    (rules.min_size * ticker.ask).round_dp(2)
                ),
            ));
        }
        if let Some(sl) = request.stop_loss.filter(|sl| *sl >= ticker.bid) {
            return Err(Error::invalid_input(format!(
                "stop-loss {sl} is not below the current price ({}); it would trigger at once",
                ticker.bid
            )));
        }
        if let Some(tp) = request.take_profit.filter(|tp| *tp <= ticker.ask) {
            return Err(Error::invalid_input(format!(
                "take-profit {tp} is not above the current price ({})",
                ticker.ask
            )));
        }

        let now = Utc::now();
        let buy = NewBuy {
            trade_id: Uuid::new_v4().to_string(),
            client_order_id: Uuid::new_v4().to_string(),
            symbol: symbol.to_string(),
            asset: symbol.base().to_owned(),
            exchange: self.driver.info().exchange_id.clone(),
            amount_usd: request.amount_usd,
            stop_loss_price: request.stop_loss,
            take_profit_price: request.take_profit,
            now,
            deadline: self.order_deadline(now),
        };
        tracing::Span::current().record("trade_id", buy.trade_id.as_str());
        // The durable reservation: from here on the slot is ours until the
        // exchange proves the order was not placed.
        if let Err(error) = self.db.reserve_buy(&buy).await {
            return Err(match error.kind {
                ErrorKind::DuplicatePosition => self.deny(symbol, error).await,
                _ => error,
            });
        }
        let order = MarketOrder {
            client_order_id: buy.client_order_id.clone(),
            symbol: symbol.clone(),
            side: Side::Buy,
            amount: OrderAmount::Quote(request.amount_usd),
            deadline: Some(buy.deadline),
        };
        self.send_reserved(&buy.trade_id, &order).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_decision() {
        let r = BuyRequest::parse("sol/usd", "100", Some("95"), Some("120")).unwrap();
        assert_eq!(r.symbol.to_string(), "SOL/USD");
        assert_eq!(r.amount_usd, Decimal::from(100));
        assert_eq!(r.stop_loss, Some(Decimal::from(95)));
    }

    #[test]
    fn rejects_bad_decisions() {
        assert_eq!(
            BuyRequest::parse("SOL/USD", "-5", None, None)
                .unwrap_err()
                .kind,
            ErrorKind::InvalidInput
        );
        assert_eq!(
            BuyRequest::parse("SOL/USD", "1e2", None, None)
                .unwrap_err()
                .kind,
            ErrorKind::InvalidInput
        );
        assert_eq!(
            BuyRequest::parse("", "100", None, None).unwrap_err().kind,
            ErrorKind::InvalidSymbol
        );
        assert_eq!(
            BuyRequest::parse("SOL/EUR", "100", None, None)
                .unwrap_err()
                .kind,
            ErrorKind::InvalidInput
        );
        assert_eq!(
            BuyRequest::parse("SOL/USD", "100", Some("0"), None)
                .unwrap_err()
                .kind,
            ErrorKind::InvalidInput
        );
        assert_eq!(
            BuyRequest::parse("SOL/USD", "100", Some("130"), Some("120"))
                .unwrap_err()
                .kind,
            ErrorKind::InvalidInput
        );
    }
}
