//! Reducing or closing a position.

use chrono::Utc;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::Executor;
use super::settle::Sending;
use crate::db::NewSell;
use crate::domain::trade::{ExitReason, TradeRecord, TradeStatus};
use crate::domain::{Symbol, amount};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{ExchangeDriver, MarketOrder, MarketRules, OrderAmount, Side};

/// A validated sell decision. `amount` `None` sells the whole position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellRequest {
    /// The market.
    pub symbol: Symbol,
    /// Base units to sell; the whole position when `None`.
    pub amount: Option<Decimal>,
    /// The trade to sell from; the asset's open position when `None`.
    pub trade_id: Option<String>,
    /// Why the sell is sent.
    pub reason: ExitReason,
    /// The client order id to send under, when its caller must be able to
    /// find it again; random otherwise.
    pub client_order_id: Option<String>,
}

impl SellRequest {
    /// A manual sell from its text: a valid symbol, a positive plain decimal, a
    /// trade id that is a UUID.
    pub fn parse(
        symbol: &str,
        amount_token: Option<&str>,
        trade_id: Option<&str>,
    ) -> Result<SellRequest> {
        let trade_id = match trade_id.map(str::trim) {
            Some(id) if uuid::Uuid::parse_str(id).is_err() => {
                return Err(Error::invalid_input(format!(
                    "trade id {:?} is not a trade id (a UUID)",
                    crate::text::untrusted(id, 64)
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
            reason: ExitReason::Manual,
            client_order_id: None,
        })
    }
}

/// The amount a sell of `open_size` may send under `rules`, or why not.
fn check_sell(
    amount: Decimal,
    open_size: Decimal,
    symbol: &Symbol,
    rules: &MarketRules,
) -> Result<()> {
    if amount > open_size {
        return Err(Error::invalid_input(format!(
            "cannot sell {amount} {}: the open position is {open_size}",
            symbol.base()
        )));
    }
    if amount.normalize().scale() > rules.size_decimals {
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
    Ok(())
}

impl<D: ExchangeDriver> Executor<D> {
    /// The trade the request sells, given the asset's position as read.
    async fn trade_to_sell(
        &self,
        request: &SellRequest,
        position: Option<TradeRecord>,
    ) -> Result<TradeRecord> {
        let asset = request.symbol.base();
        let trade = match &request.trade_id {
            Some(id) => match position.filter(|p| &p.id == id) {
                Some(trade) => trade,
                None => self.db.trade(id).await?,
            },
            None => position
                .ok_or_else(|| Error::not_found(format!("there is no open position in {asset}")))?,
        };
        if trade.asset != asset {
            return Err(Error::invalid_input(format!(
                "trade {} is a {} position, not {asset}",
                trade.id, trade.asset
            )));
        }
        if trade.exchange != self.exchange() {
            return Err(Error::invalid_input(format!(
                "trade {} is on {}, not on {}; sell it with that exchange's driver",
                trade.id,
                trade.exchange,
                self.exchange()
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

    /// Executes a sell: checks it against the market and the open trade,
    /// claims the trade, sends the order and records what the answer proves.
    /// A retried request (same client order id) returns the trade it changed
    /// before.
    #[tracing::instrument(name = "service.sell", skip_all, fields(symbol = %request.symbol, trade_id = tracing::field::Empty))]
    pub async fn sell(&self, request: &SellRequest) -> Result<TradeRecord> {
        let symbol = &request.symbol;
        // Executed before under this id (a retried request): its trade.
        if let Some(id) = &request.client_order_id
            && let Some(trade) = self.db.trade_of_order(id).await?
        {
            return Ok(trade);
        }
        let position = self.settled_position(symbol.base()).await?;
        let trade = match self.trade_to_sell(request, position).await {
            Ok(trade) => trade,
            Err(error) => {
                let trade_id = request.trade_id.as_deref();
                return Err(self.deny(Side::Sell, symbol, trade_id, error).await);
            }
        };
        tracing::Span::current().record("trade_id", trade.id.as_str());
        let open_size = trade.size.unwrap_or_default();
        let rules = match self.tradable_rules(symbol).await {
            Ok(rules) => rules,
            Err(error) => return Err(self.deny(Side::Sell, symbol, Some(&trade.id), error).await),
        };
        // Closing sells all the market's size decimals can express: a fee
        // charged in the base (Binance's buy commission) can leave a size
        // finer than that, and the rest, which no order can sell, closes
        // the trade as dust.
        let (amount, sellable) = match request.amount {
            Some(amount) => (amount, open_size),
            None => {
                let all = open_size.round_dp_with_strategy(
                    rules.size_decimals,
                    rust_decimal::RoundingStrategy::ToZero,
                );
                (all, all)
            }
        };
        if let Err(error) = check_sell(amount, sellable, symbol, &rules) {
            return Err(self.deny(Side::Sell, symbol, Some(&trade.id), error).await);
        }

        let now = Utc::now();
        let sell = NewSell {
            trade_id: trade.id.clone(),
            client_order_id: request
                .client_order_id
                .clone()
                .unwrap_or_else(|| Uuid::new_v4().to_string()),
            symbol: symbol.to_string(),
            amount,
            open_size,
            quote_price: None,
            reason: request.reason,
            now,
            deadline: self.order_deadline(now),
        };
        // Claims the trade (CLOSING) at the size checked above, and writes the
        // order row, before sending: a sell that finished meanwhile makes the
        // claim fail instead of selling more than is held.
        if let Err(error) = self.db.claim_sell(&sell).await {
            return Err(self.deny(Side::Sell, symbol, Some(&trade.id), error).await);
        }
        let order = MarketOrder {
            client_order_id: sell.client_order_id,
            symbol: symbol.clone(),
            side: Side::Sell,
            amount: OrderAmount::Base(amount),
            deadline: Some(sell.deadline),
            quote_price: None,
        };
        self.send_reserved(Sending {
            trade_id: &trade.id,
            order: &order,
            sent_at: now,
            min_size: rules.min_size,
            reason: Some(request.reason),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::exchange::MarketStatus;

    #[test]
    fn rejects_bad_sell_input() {
        for (amount, trade_id, kind) in [
            (Some("0"), None, ErrorKind::InvalidInput),
            (Some("NaN"), None, ErrorKind::InvalidInput),
            (None, Some("42"), ErrorKind::InvalidInput),
        ] {
            assert_eq!(
                SellRequest::parse("SOL/USD", amount, trade_id)
                    .unwrap_err()
                    .kind,
                kind
            );
        }
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

    #[test]
    fn sells_stay_within_the_position_and_the_rules() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        let sol = Symbol::parse("SOL/USD").unwrap();
        let rules = MarketRules {
            symbol: sol.clone(),
            pair_id: "SOLUSD".into(),
            min_size: d("0.06"),
            min_cost: d("0.5"),
            size_decimals: 8,
            price_decimals: 2,
            status: MarketStatus::Online,
        };
        assert!(check_sell(d("0.5"), d("1"), &sol, &rules).is_ok());
        assert!(check_sell(d("1"), d("1"), &sol, &rules).is_ok());
        for (amount, kind) in [
            ("1.1", ErrorKind::InvalidInput),
            ("0.000000001", ErrorKind::InvalidInput),
            ("0.05", ErrorKind::BelowMinimum),
            ("0.95", ErrorKind::InvalidInput),
        ] {
            assert_eq!(
                check_sell(d(amount), d("1"), &sol, &rules)
                    .unwrap_err()
                    .kind,
                kind,
                "{amount}"
            );
        }
    }
}
