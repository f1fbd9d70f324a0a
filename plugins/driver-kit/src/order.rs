//! What every driver checks of a market order before anything is sent.

use crate::num;
use crate::wit::tradehost::exchange::types::{DriverError, MarketOrder, OrderAmount, Side};
use rust_decimal::Decimal;

/// The order's amount: a buy spends a quote amount, a sell sells a base
/// amount, and either is a plain positive decimal. Anything else is an
/// `invalid-request` (nothing was sent, so nothing can have been placed).
pub fn market_amount(order: &MarketOrder) -> Result<Decimal, DriverError> {
    match (order.side, &order.amount) {
        (Side::Buy, OrderAmount::Quote(a)) | (Side::Sell, OrderAmount::Base(a)) => {
            num::parse_amount(a).map_err(DriverError::InvalidRequest)
        }
        (Side::Buy, OrderAmount::Base(_)) => Err(DriverError::InvalidRequest(
            "a market buy takes a quote amount".into(),
        )),
        (Side::Sell, OrderAmount::Quote(_)) => Err(DriverError::InvalidRequest(
            "a market sell takes a base amount".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(side: Side, amount: OrderAmount) -> MarketOrder {
        MarketOrder {
            symbol: "BTC/USD".into(),
            side,
            amount,
            client_order_id: "c".into(),
            quote_price: None,
            deadline: None,
        }
    }

    #[test]
    fn buys_spend_quote_and_sells_sell_base() {
        let buy = order(Side::Buy, OrderAmount::Quote("100.50".into()));
        assert_eq!(market_amount(&buy).map(num::fmt), Ok("100.5".into()));
        let sell = order(Side::Sell, OrderAmount::Base("0.001".into()));
        assert_eq!(market_amount(&sell).map(num::fmt), Ok("0.001".into()));
        for wrong in [
            order(Side::Buy, OrderAmount::Base("1".into())),
            order(Side::Sell, OrderAmount::Quote("1".into())),
            order(Side::Buy, OrderAmount::Quote("-1".into())),
            order(Side::Sell, OrderAmount::Base("0".into())),
        ] {
            assert!(matches!(
                market_amount(&wrong),
                Err(DriverError::InvalidRequest(_))
            ));
        }
    }
}
