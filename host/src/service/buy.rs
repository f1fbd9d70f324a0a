//! Opening a position.

use chrono::Utc;
use rust_decimal::{Decimal, RoundingStrategy};
use uuid::Uuid;

use super::Executor;
use super::settle::Sending;
use crate::db::NewBuy;
use crate::domain::trade::TradeRecord;
use crate::domain::{Symbol, amount};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{ExchangeDriver, MarketOrder, MarketRules, OrderAmount, Side, Ticker};

/// The ids a decision executes under, when its caller must be able to find
/// it again (the service's idempotency keys); random otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderIds {
    /// The trade's id.
    pub trade_id: String,
    /// The buy order's client order id.
    pub client_order_id: String,
}

/// A validated buy decision: spend `amount` of the market's quote currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyRequest {
    /// The market.
    pub symbol: Symbol,
    /// Quote currency to spend.
    pub amount: Decimal,
    /// The soft stop-loss to set, if any.
    pub stop_loss: Option<Decimal>,
    /// The soft take-profit to set, if any (above the stop-loss when both
    /// are set).
    pub take_profit: Option<Decimal>,
    /// The ids to execute under; random when `None`.
    pub ids: Option<OrderIds>,
}

impl BuyRequest {
    /// A buy from its text: a valid symbol, positive plain decimals, a
    /// stop-loss below the take-profit.
    pub fn parse(
        symbol: &str,
        amount: &str,
        stop_loss: Option<&str>,
        take_profit: Option<&str>,
    ) -> Result<BuyRequest> {
        let request = BuyRequest {
            symbol: Symbol::parse(symbol)?,
            amount: amount::parse_positive("amount", amount)?,
            stop_loss: stop_loss
                .map(|p| amount::parse_positive("stop_loss_price", p))
                .transpose()?,
            take_profit: take_profit
                .map(|p| amount::parse_positive("take_profit_price", p))
                .transpose()?,
            ids: None,
        };
        if let (Some(sl), Some(tp)) = (request.stop_loss, request.take_profit)
            && sl >= tp
        {
            return Err(Error::invalid_input(format!(
                "stop-loss {sl} must be below take-profit {tp}"
            )));
        }
        Ok(request)
    }

    /// A buy given in USD: only for a market quoted in USD.
    pub fn parse_usd(
        symbol: &str,
        usd: &str,
        stop_loss: Option<&str>,
        take_profit: Option<&str>,
    ) -> Result<BuyRequest> {
        let request = BuyRequest::parse(symbol, usd, stop_loss, take_profit)?;
        if request.symbol.quote() != "USD" {
            return Err(Error::invalid_input(format!(
                "an amount in USD buys only /USD markets, but {} is quoted in {}; give the amount in {} instead",
                request.symbol,
                request.symbol.quote(),
                request.symbol.quote()
            )));
        }
        Ok(request)
    }
}

/// The pre-trade checks of a buy against the market's rules and its quote:
/// pure, so every refusal can be tested without an exchange. Returns the
/// size the amount buys at the ask.
pub fn check_buy(request: &BuyRequest, rules: &MarketRules, ticker: &Ticker) -> Result<Decimal> {
    let symbol = &request.symbol;
    let quote = symbol.quote();
    if request.amount < rules.min_cost {
        return Err(Error::new(
            ErrorKind::BelowMinimum,
            format!(
                "{} {quote} is below {symbol}'s minimum order value of {} {quote}",
                request.amount, rules.min_cost
            ),
        ));
    }
    let out_of_range = || {
        Error::invalid_input(format!(
            "{} {quote} is out of range at the ask {}",
            request.amount, ticker.ask
        ))
    };
    let size = request
        .amount
        .checked_div(ticker.ask)
        .ok_or_else(out_of_range)?
        .round_dp_with_strategy(rules.size_decimals, RoundingStrategy::ToZero);
    if size < rules.min_size {
        let minimum_value = rules
            .min_size
            .checked_mul(ticker.ask)
            .map_or_else(|| "?".to_owned(), |v| v.round_dp(2).to_string());
        return Err(Error::new(
            ErrorKind::BelowMinimum,
            format!(
                "{} {quote} buys about {size} {} at {}, below the minimum order size of {} (about {minimum_value} {quote})",
                request.amount,
                symbol.base(),
                ticker.ask,
                rules.min_size,
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
    Ok(size)
}

impl<D: ExchangeDriver> Executor<D> {
    /// Executes a buy: checks it against the market, reserves the asset's
    /// slot with a durable row, sends the order and records what the answer
    /// proves (the fill, a refusal, or an unknown outcome). A retried request
    /// (same ids) returns the trade it made before.
    #[tracing::instrument(name = "service.buy", skip_all, fields(symbol = %request.symbol, amount = %request.amount, trade_id = tracing::field::Empty))]
    pub async fn buy(&self, request: &BuyRequest) -> Result<TradeRecord> {
        let symbol = &request.symbol;
        // Executed before under these ids (a retried request): its trade.
        if let Some(ids) = &request.ids
            && let Some(trade) = self.db.trade_of_order(&ids.client_order_id).await?
        {
            return Ok(trade);
        }
        // A friendly early answer; the database index is what enforces it.
        if let Some(existing) = self.settled_position(symbol.base()).await? {
            let error = Error::new(
                ErrorKind::DuplicatePosition,
                format!(
                    "a position in {} is already {} (trade {})",
                    symbol.base(),
                    existing.status.as_str(),
                    existing.id
                ),
            );
            return Err(self
                .deny(Side::Buy, symbol, Some(&existing.id), error)
                .await);
        }
        let (rules, ticker) = match self.tradable_rules(symbol).await {
            Ok(rules) => (rules, self.ticker(symbol).await?),
            Err(error) => return Err(self.deny(Side::Buy, symbol, None, error).await),
        };
        if let Err(error) = check_buy(request, &rules, &ticker) {
            return Err(self.deny(Side::Buy, symbol, None, error).await);
        }

        let now = Utc::now();
        let ids = request.ids.clone().unwrap_or_else(|| OrderIds {
            trade_id: Uuid::new_v4().to_string(),
            client_order_id: Uuid::new_v4().to_string(),
        });
        let buy = NewBuy {
            trade_id: ids.trade_id,
            client_order_id: ids.client_order_id,
            symbol: symbol.to_string(),
            asset: symbol.base().to_owned(),
            exchange: self.exchange().to_owned(),
            amount: request.amount,
            quote_price: Some(ticker.ask),
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
                ErrorKind::DuplicatePosition => self.deny(Side::Buy, symbol, None, error).await,
                _ => error,
            });
        }
        let order = MarketOrder {
            client_order_id: buy.client_order_id.clone(),
            symbol: symbol.clone(),
            side: Side::Buy,
            amount: OrderAmount::Quote(request.amount),
            deadline: Some(buy.deadline),
            quote_price: Some(ticker.ask),
        };
        self.send_reserved(Sending {
            trade_id: &buy.trade_id,
            order: &order,
            sent_at: now,
            min_size: rules.min_size,
            reason: None,
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::exchange::MarketStatus;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn rules() -> MarketRules {
        MarketRules {
            symbol: Symbol::parse("SOL/USD").unwrap(),
            pair_id: "SOLUSD".into(),
            min_size: d("0.06"),
            min_cost: d("0.5"),
            size_decimals: 8,
            price_decimals: 2,
            status: MarketStatus::Online,
        }
    }

    fn ticker(bid: &str, ask: &str) -> Ticker {
        Ticker {
            symbol: Symbol::parse("SOL/USD").unwrap(),
            bid: d(bid),
            ask: d(ask),
            last: d(bid),
        }
    }

    fn kind(result: Result<Decimal>) -> ErrorKind {
        result.unwrap_err().kind
    }

    #[test]
    fn parses_a_full_decision() {
        let r = BuyRequest::parse("sol/usd", "100", Some("95"), Some("120")).unwrap();
        assert_eq!(r.symbol.to_string(), "SOL/USD");
        assert_eq!(r.amount, Decimal::from(100));
        assert_eq!(r.stop_loss, Some(Decimal::from(95)));
        // Any quote currency: the amount is in it.
        assert_eq!(
            BuyRequest::parse("BTC/USDT", "50", None, None)
                .unwrap()
                .amount,
            d("50")
        );
    }

    #[test]
    fn rejects_bad_decisions() {
        for (symbol, amount, sl, tp, kind) in [
            ("SOL/USD", "-5", None, None, ErrorKind::InvalidInput),
            ("SOL/USD", "1e2", None, None, ErrorKind::InvalidInput),
            ("", "100", None, None, ErrorKind::InvalidSymbol),
            ("SOL/USD", "100", Some("0"), None, ErrorKind::InvalidInput),
            (
                "SOL/USD",
                "100",
                Some("130"),
                Some("120"),
                ErrorKind::InvalidInput,
            ),
        ] {
            assert_eq!(
                BuyRequest::parse(symbol, amount, sl, tp).unwrap_err().kind,
                kind,
                "{symbol} {amount}"
            );
        }
        assert_eq!(
            BuyRequest::parse_usd("SOL/EUR", "100", None, None)
                .unwrap_err()
                .kind,
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn the_pre_trade_checks() {
        let request = |amount: &str, sl: Option<&str>, tp: Option<&str>| {
            BuyRequest::parse("SOL/USD", amount, sl, tp).unwrap()
        };
        assert_eq!(
            check_buy(
                &request("100", None, None),
                &rules(),
                &ticker("149.95", "150.05")
            )
            .unwrap(),
            d("0.66644451")
        );
        assert_eq!(
            kind(check_buy(
                &request("0.4", None, None),
                &rules(),
                &ticker("149.95", "150.05")
            )),
            ErrorKind::BelowMinimum
        );
        assert_eq!(
            kind(check_buy(
                &request("5", None, None),
                &rules(),
                &ticker("149.95", "150.05")
            )),
            ErrorKind::BelowMinimum
        );
        assert_eq!(
            kind(check_buy(
                &request("100", Some("150"), None),
                &rules(),
                &ticker("149.95", "150.05")
            )),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(check_buy(
                &request("100", None, Some("150"),),
                &rules(),
                &ticker("149.95", "150.05")
            )),
            ErrorKind::InvalidInput
        );
        // An ask of 1e-28 would make the size overflow: refused, not a panic.
        assert!(
            check_buy(
                &request("100", None, None),
                &rules(),
                &ticker(
                    "0.0000000000000000000000000001",
                    "0.0000000000000000000000000001"
                )
            )
            .is_err()
        );
    }
}
