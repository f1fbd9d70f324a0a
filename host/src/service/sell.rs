//! Reducing or closing a position.

use chrono::Utc;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::Executor;
use crate::db::{TradeRecord, TradeStatus};
use crate::domain::{Symbol, amount};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{ExchangeDriver, MarketOrder, OrderAmount, Side};

/// A validated sell decision. `amount` `None` sells the whole position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellRequest {
    pub symbol: Symbol,
    pub amount: Option<Decimal>,
    pub trade_id: Option<String>,
}

impl SellRequest {
    pub fn parse(
        symbol: &str,
        amount_token: Option<&str>,
        trade_id: Option<&str>,
    ) -> Result<SellRequest> {
        let trade_id = match trade_id.map(str::trim) {
            Some(id) if uuid::Uuid::parse_str(id).is_err() => {
                return Err(Error::invalid_input(format!(
                    "trade id {id:?} is not a trade id (a UUID)"
                )));
            }
            other => other.map(str::to_owned),
        };
        Ok(SellRequest {
            symbol: Symbol::parse(symbol)?,
            amount: amount_token
                .map(|a| amount::parse_positive("amount", a))
                .transpose()?,
            trade_id,
        })
    }
}

impl<D: ExchangeDriver> Executor<D> {
    async fn trade_to_sell(&self, request: &SellRequest) -> Result<TradeRecord> {
        let asset = request.symbol.base();
        let trade =
            match &request.trade_id {
                Some(id) => self.db.trade(id).await?,
                None => self.db.active_position(asset).await?.ok_or_else(|| {
                    Error::not_found(format!("there is no open position in {asset}"))
                })?,
            };
        if trade.asset != asset {
            return Err(Error::invalid_input(format!(
                "trade {} is a {} position, not {asset}",
                trade.id, trade.asset
            )));
        }
        if trade.status != TradeStatus::Open {
            return Err(Error::invalid_input(format!(
                "trade {} is {}, not OPEN; only an open position can be sold",
                trade.id,
                trade.status.as_str()
            )));
        }
        Ok(trade)
    }

    #[tracing::instrument(name = "service.sell", skip_all, fields(symbol = %request.symbol, trade_id = tracing::field::Empty))]
    pub async fn sell(&self, request: &SellRequest) -> Result<TradeRecord> {
        let symbol = &request.symbol;
        self.recover_before_trading().await?;
        let trade = self.trade_to_sell(request).await?;
        tracing::Span::current().record("trade_id", trade.id.as_str());
        let open_size = trade.size.unwrap_or_default();
        let amount = request.amount.unwrap_or(open_size);
        if amount > open_size {
            return Err(Error::invalid_input(format!(
                "cannot sell {amount} {}: the open position is {open_size}",
                symbol.base()
            )));
        }
        let rules = self.tradable_rules(symbol).await?;
        if amount.scale() > rules.size_decimals && amount.normalize().scale() > rules.size_decimals
        {
            return Err(Error::invalid_input(format!(
                "{amount} has more than the {} decimals {symbol} allows",
                rules.size_decimals
            )));
        }
        if amount < rules.min_size {
            return Err(Error::new(
                ErrorKind::BelowMinimum,
                format!(
                    "{amount} {} is below {symbol}'s minimum order size of {}",
                    symbol.base(),
                    rules.min_size
                ),
            ));
        }
        let rest = open_size - amount;
        if !rest.is_zero() && rest < rules.min_size {
            return Err(Error::invalid_input(format!(
                "selling {amount} would leave {rest} {}, below the minimum order size of {} and so unsellable; sell all {open_size} instead",
                symbol.base(),
                rules.min_size
            )));
        }

        let client_order_id = Uuid::new_v4().to_string();
        let now = Utc::now();
        let deadline = self.order_deadline(now);
        // Claims the trade (CLOSING) and writes the order row before sending.
        self.db
            .claim_sell(&trade.id, &client_order_id, amount, now, deadline)
            .await?;
        let order = MarketOrder {
            client_order_id,
            symbol: symbol.clone(),
            side: Side::Sell,
            amount: OrderAmount::Base(amount),
            deadline: Some(deadline),
        };
        self.send_reserved(&trade.id, &order).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_sell_input() {
        assert_eq!(
            SellRequest::parse("SOL/USD", Some("0"), None)
                .unwrap_err()
                .kind,
            ErrorKind::InvalidInput
        );
        assert_eq!(
            SellRequest::parse("SOL/USD", Some("NaN"), None)
                .unwrap_err()
                .kind,
            ErrorKind::InvalidInput
        );
        assert_eq!(
            SellRequest::parse("SOL/USD", None, Some("42"))
                .unwrap_err()
                .kind,
            ErrorKind::InvalidInput
        );
        assert_eq!(
            SellRequest::parse("nope", None, None).unwrap_err().kind,
            ErrorKind::InvalidSymbol
        );
        assert!(
            SellRequest::parse(
                "SOL/USD",
                Some("0.5"),
                Some("0b7f3c1e-8f8e-4a3b-9a53-8d2c1f0e6a11")
            )
            .is_ok()
        );
    }
}
