//! Is the order request a driver built exactly the order the host intended?
//! Pure: the decoded request, the intent, and what the host observed.

use rust_decimal::Decimal;

use super::{DecodedOrder, MarketRef, OrderSize, Quote};
use crate::exchange::{MarketOrder, OrderAmount, Side};

/// The deadline as the host sends it to the driver (RFC 3339, whole seconds).
pub fn deadline_text(order: &MarketOrder) -> Option<String> {
    order
        .deadline
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Checks `decoded` against `intent`. `market` is what the exchange's own
/// reference data says the sent pair is; `price` the host's latest
/// observed price of it (needed only for a buy sized in base units).
/// Returns the rule broken.
pub fn check_order(
    intent: &MarketOrder,
    decoded: &DecodedOrder,
    market: &MarketRef,
    price: Option<Quote>,
    slippage_margin: Decimal,
    carries_deadline: bool,
) -> Result<(), String> {
    if market.symbol != intent.symbol {
        return Err(format!(
            "the order names market {} ({}), but the host reserved {}",
            decoded.pair, market.symbol, intent.symbol
        ));
    }
    if decoded.side != intent.side {
        return Err(format!(
            "the order is a {}, but the host reserved a {}",
            decoded.side, intent.side
        ));
    }
    if decoded.client_order_id != intent.client_order_id {
        return Err("the order does not carry the host's client order id".to_owned());
    }
    if carries_deadline && decoded.deadline != deadline_text(intent) {
        return Err("the order does not carry the host's deadline".to_owned());
    }
    match (intent.side, intent.amount, decoded.size) {
        (Side::Sell, OrderAmount::Base(reserved), OrderSize::Base(volume)) => {
            if volume > reserved {
                return Err(format!(
                    "the sell is for {volume}, above the {reserved} the host reserved"
                ));
            }
        }
        (Side::Buy, OrderAmount::Quote(reserved), OrderSize::Quote(spend)) => {
            if spend > reserved {
                return Err(format!(
                    "the buy spends {spend}, above the {reserved} the host reserved"
                ));
            }
        }
        (Side::Buy, OrderAmount::Quote(reserved), OrderSize::Base(volume)) => {
            let Some(price) = price else {
                return Err("the host has no recent price to bound the buy with".to_owned());
            };
            let value = volume.checked_mul(price.ask);
            let bound = Decimal::ONE
                .checked_add(slippage_margin)
                .and_then(|m| reserved.checked_mul(m));
            match (value, bound) {
                (Some(value), Some(bound)) if value <= bound => {}
                _ => {
                    return Err(format!(
                        "the buy of {volume} at the ask the host saw ({}) is worth more than the {reserved} reserved \
                         plus the {}% slippage margin",
                        price.ask,
                        slippage_margin * Decimal::ONE_HUNDRED
                    ));
                }
            }
        }
        _ => return Err("the order's size is not in the units the host reserved".to_owned()),
    }
    if decoded.size_is_zero() {
        return Err("the order is for nothing".to_owned());
    }
    Ok(())
}

impl DecodedOrder {
    fn size_is_zero(&self) -> bool {
        match self.size {
            OrderSize::Base(v) | OrderSize::Quote(v) => v <= Decimal::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;
    use std::time::Instant;

    use super::*;
    use crate::domain::Symbol;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn sol() -> Symbol {
        Symbol::parse("SOL/USD").unwrap()
    }

    fn intent(side: Side, amount: OrderAmount) -> MarketOrder {
        MarketOrder {
            client_order_id: "c-1".into(),
            symbol: sol(),
            side,
            amount,
            deadline: Some(chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap()),
            quote_price: None,
        }
    }

    fn decoded(side: Side, size: OrderSize) -> DecodedOrder {
        DecodedOrder {
            pair: "SOLUSD".into(),
            side,
            client_order_id: "c-1".into(),
            deadline: Some("2027-01-15T08:00:00Z".into()),
            size,
        }
    }

    fn market(symbol: &str) -> MarketRef {
        MarketRef {
            symbol: Symbol::parse(symbol).unwrap(),
            pair_id: "SOLUSD".into(),
        }
    }

    fn ask(price: &str) -> Option<Quote> {
        Some(Quote {
            bid: d(price),
            ask: d(price),
            at: Instant::now(),
        })
    }

    fn check(
        intent: &MarketOrder,
        order: &DecodedOrder,
        price: Option<Quote>,
    ) -> Result<(), String> {
        check_order(intent, order, &market("SOL/USD"), price, d("0.01"), true)
    }

    #[test]
    fn the_intended_order_passes() {
        let buy = intent(Side::Buy, OrderAmount::Quote(d("100")));
        assert_eq!(
            check(
                &buy,
                &decoded(Side::Buy, OrderSize::Base(d("0.66"))),
                ask("150")
            ),
            Ok(())
        );
        let sell = intent(Side::Sell, OrderAmount::Base(d("0.66")));
        assert_eq!(
            check(
                &sell,
                &decoded(Side::Sell, OrderSize::Base(d("0.66"))),
                None
            ),
            Ok(())
        );
    }

    #[test]
    fn every_departure_is_refused_naming_the_rule() {
        let buy = intent(Side::Buy, OrderAmount::Quote(d("100")));
        let order = decoded(Side::Buy, OrderSize::Base(d("0.66")));
        let wrong_market = check_order(
            &buy,
            &order,
            &market("BTC/USD"),
            ask("150"),
            d("0.01"),
            true,
        );
        assert!(wrong_market.unwrap_err().contains("reserved SOL/USD"));
        assert!(
            check(
                &buy,
                &decoded(Side::Sell, OrderSize::Base(d("0.66"))),
                ask("150")
            )
            .unwrap_err()
            .contains("SELL")
        );
        let mut other_id = order.clone();
        other_id.client_order_id = "evil".into();
        assert!(
            check(&buy, &other_id, ask("150"))
                .unwrap_err()
                .contains("client order id")
        );
        let mut no_deadline = order.clone();
        no_deadline.deadline = None;
        assert!(
            check(&buy, &no_deadline, ask("150"))
                .unwrap_err()
                .contains("deadline")
        );
        // 1000× the intended value.
        assert!(
            check(
                &buy,
                &decoded(Side::Buy, OrderSize::Base(d("660"))),
                ask("150")
            )
            .unwrap_err()
            .contains("slippage")
        );
        assert!(
            check(&buy, &order, None)
                .unwrap_err()
                .contains("no recent price")
        );
        let sell = intent(Side::Sell, OrderAmount::Base(d("0.66")));
        assert!(
            check(
                &sell,
                &decoded(Side::Sell, OrderSize::Base(d("0.67"))),
                None
            )
            .unwrap_err()
            .contains("above")
        );
        assert!(
            check(&sell, &decoded(Side::Sell, OrderSize::Quote(d("1"))), None)
                .unwrap_err()
                .contains("units")
        );
        assert!(
            check(&sell, &decoded(Side::Sell, OrderSize::Base(d("0"))), None)
                .unwrap_err()
                .contains("nothing")
        );
    }

    #[test]
    fn a_value_that_overflows_is_refused_not_a_panic() {
        let buy = intent(Side::Buy, OrderAmount::Quote(d("100")));
        let huge = decoded(Side::Buy, OrderSize::Base(Decimal::MAX));
        assert!(check(&buy, &huge, ask("79228162514264337593543950335")).is_err());
    }
}
