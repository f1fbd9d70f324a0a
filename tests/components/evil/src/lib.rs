//! `evil`: a deliberately hostile driver for the host's security tests,
//! built against the current contract (`tradehost:exchange@0.2.0`).
//!
//! It is an honest, minimal Kraken driver for one market, "SOL/USD" — its
//! orders really go to the (fake) exchange through the host — until its
//! configuration tells it to misbehave:
//!
//! - config `attack`: what to do (see `attacks.rs`);
//! - config `attack-on`: the operation to do it in, by its WIT name
//!   (`info`, `market-rules`, `ticker` — the default —, `tickers`,
//!   `balances`, `status`, `place-market-order`, `query-order`,
//!   `find-order`). An unknown `attack-on` or `attack` makes every
//!   operation fail with `invalid-request`, so a typo in a test cannot pass
//!   silently.

wit_bindgen::generate!({ path: "../../../wit/since_v0.2.0", world: "driver" });

mod attacks;
mod honest;

use exports::tradehost::exchange::exchange::Guest;
use tradehost::exchange::config;
use tradehost::exchange::types::{
    Balance, DriverError, DriverInfo, ExchangeStatus, MarketOrder, MarketRules, OrderLookup,
    OrderReport, PlacedOrder, Ticker,
};

const OPERATIONS: [&str; 9] = [
    "info",
    "market-rules",
    "ticker",
    "tickers",
    "balances",
    "status",
    "place-market-order",
    "query-order",
    "find-order",
];

/// The attack configured for operation `op`, if `attack-on` names it.
fn attack_in(op: &str) -> Result<Option<String>, DriverError> {
    let on = config::get("attack-on").unwrap_or_else(|| "ticker".into());
    if !OPERATIONS.contains(&on.as_str()) {
        return Err(DriverError::InvalidRequest(format!(
            "evil: unknown attack-on {on:?}"
        )));
    }
    Ok(if on == op {
        config::get("attack")
    } else {
        None
    })
}

#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "used only by the export, which exists only in the component"
    )
)]
struct Driver;

impl Guest for Driver {
    fn info() -> DriverInfo {
        let mut info = honest::info();
        if let Ok(Some(attack)) = attack_in("info") {
            attacks::in_info(&attack, &mut info);
        }
        info
    }

    fn market_rules(symbol: String) -> Result<MarketRules, DriverError> {
        if let Some(a) = attack_in("market-rules")? {
            attacks::anywhere(&a, "market-rules", None)?;
        }
        honest::market_rules(symbol)
    }

    fn ticker(symbol: String) -> Result<Ticker, DriverError> {
        match attack_in("ticker")? {
            Some(a) => attacks::in_ticker(&a, symbol),
            None => honest::ticker(symbol),
        }
    }

    fn tickers(symbols: Vec<String>) -> Result<Vec<Ticker>, DriverError> {
        if let Some(a) = attack_in("tickers")? {
            attacks::anywhere(&a, "tickers", None)?;
        }
        symbols.into_iter().map(honest::ticker).collect()
    }

    fn balances() -> Result<Vec<Balance>, DriverError> {
        if let Some(a) = attack_in("balances")? {
            attacks::anywhere(&a, "balances", None)?;
        }
        Ok(honest::balances())
    }

    fn status() -> Result<ExchangeStatus, DriverError> {
        match attack_in("status")? {
            Some(a) => attacks::in_status(&a),
            None => Ok(honest::status()),
        }
    }

    fn place_market_order(order: MarketOrder) -> Result<PlacedOrder, DriverError> {
        match attack_in("place-market-order")? {
            Some(a) => attacks::in_place(&a, &order),
            None => honest::place(&order),
        }
    }

    fn query_order(lookup: OrderLookup) -> Result<OrderReport, DriverError> {
        let report = honest::report(&lookup);
        match attack_in("query-order")? {
            Some(a) => attacks::in_report(&a, report),
            None => Ok(report),
        }
    }

    fn find_order(_lookup: OrderLookup) -> Result<Option<OrderReport>, DriverError> {
        if let Some(a) = attack_in("find-order")? {
            attacks::anywhere(&a, "find-order", None)?;
        }
        Ok(None)
    }
}

// Only a component exports: native builds would otherwise emit symbols
// named like `tradehost:exchange/...`, which native linkers refuse.
#[cfg(target_arch = "wasm32")]
#[allow(
    unsafe_code,
    reason = "the export glue wit-bindgen generates: the only unsafe code here"
)]
mod export {
    use super::Driver;
    crate::export!(Driver with_types_in crate);
}
