//! Binance Spot driver behind the tradehost `driver` world (contract
//! `tradehost:exchange@0.2.0`). This file is only glue: the WIT bindings,
//! an `ops::Http` over the host imports, and the export table. The logic
//! lives in pure modules that unit tests run natively against canned
//! answers.

wit_bindgen::generate!({
    path: "../../wit/since_v0.2.0",
    world: "driver",
    // Lets tests compare whole records.
    additional_derives: [PartialEq],
});

mod errors;
mod num;
mod ops;
mod requests;
mod responses;
mod symbols;
#[cfg(test)]
mod tests;

use errors::HttpFailure;
use exports::tradehost::exchange::exchange::Guest;
use tradehost::exchange::http::{self, Auth, HttpError, Method, Request};
use tradehost::exchange::log;
use tradehost::exchange::types::{
    Balance, DriverError, DriverInfo, ExchangeStatus, MarketOrder, MarketRules, OrderLookup,
    OrderReport, PlacedOrder, Ticker,
};

/// `ops::Http` over the host's imports. (Natively only type-checked:
/// nothing is exported there, so the glue is unused.)
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(
        dead_code,
        reason = "used only by the export, which exists only in the component"
    )
)]
struct Host;

impl ops::Http for Host {
    fn send(&self, req: &requests::Req) -> Result<(u16, String), HttpFailure> {
        let request = Request {
            method: match req.method {
                requests::Method::Get => Method::Get,
                requests::Method::Post => Method::Post,
            },
            path: req.path.into(),
            query: req.query.clone(),
            form: req.form.clone(),
            auth: if req.signed {
                Auth::Signed
            } else {
                Auth::Public
            },
            cache_seconds: req.cache_seconds,
        };
        match http::send(&request) {
            Ok(resp) => Ok((resp.status, resp.body)),
            Err(HttpError::NotSent(e)) => Err(HttpFailure::NotSent(e)),
            Err(HttpError::NoAnswer(e)) => Err(HttpFailure::NoAnswer(e)),
            Err(HttpError::Denied(e)) => Err(HttpFailure::Denied(e)),
        }
    }

    fn log(&self, level: log::Level, message: &str) {
        log::log(level, message);
    }
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
        ops::info()
    }

    fn market_rules(symbol: String) -> Result<MarketRules, DriverError> {
        ops::market_rules(&Host, &symbol)
    }

    fn ticker(symbol: String) -> Result<Ticker, DriverError> {
        ops::ticker(&Host, &symbol)
    }

    fn tickers(symbols: Vec<String>) -> Result<Vec<Ticker>, DriverError> {
        ops::tickers(&Host, &symbols)
    }

    fn balances() -> Result<Vec<Balance>, DriverError> {
        ops::balances(&Host)
    }

    fn status() -> Result<ExchangeStatus, DriverError> {
        ops::status(&Host)
    }

    fn place_market_order(order: MarketOrder) -> Result<PlacedOrder, DriverError> {
        ops::place_market_order(&Host, &order)
    }

    fn query_order(lookup: OrderLookup) -> Result<OrderReport, DriverError> {
        ops::query_order(&Host, &lookup)
    }

    fn find_order(lookup: OrderLookup) -> Result<Option<OrderReport>, DriverError> {
        ops::find_order(&Host, &lookup)
    }
}

// Only a component exports: native builds (unit tests) would otherwise emit
// symbols named like `tradehost:exchange/...`, which native linkers refuse.
#[cfg(target_arch = "wasm32")]
#[allow(
    unsafe_code,
    reason = "the export glue wit-bindgen generates: the only unsafe code in a driver"
)]
mod export {
    use super::Driver;
    crate::export!(Driver with_types_in crate);
}
