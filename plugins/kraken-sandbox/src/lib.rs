//! Kraken sandbox driver: a simulated Kraken spot exchange behind the
//! tradehost `driver` world. This file is only glue: the WIT bindings, an
//! `Env` over the host imports, and the export table. The logic lives in
//! pure modules that unit tests run natively against an in-memory `Env`.
//!
//! # Durable state keys
//!
//! Kept through the host's `state` interface, shared by every process on
//! one database:
//!
//! - `account`: balances and the order sequence (written by the sandbox,
//!   by compare-and-swap);
//! - `order/<order-id>`: an order's report; `client/<client-order-id>`:
//!   its order id (written by the sandbox);
//! - `price/<SYMBOL>`: **the price override**, written by the host (e.g. by
//!   an operator's command) to move a market's price while hosts run, for
//!   stop-loss tests and demos. SYMBOL is the canonical unified symbol
//!   (`price/SOL/USD`, `price/BTC/USD`, `price/DOGE/USD`); the value is a
//!   plain positive decimal mid price (`142.5`). When set it wins over the
//!   configured (`prices`) or default price and over the Kraken price
//!   source; bid and ask are set around it with the configured spread,
//!   `last` is the value. The next call (ticker, tickers, an order's fill)
//!   sees it. An empty value clears it (the store cannot delete a key);
//!   any other value that is not a positive decimal makes that market's
//!   calls fail with `invalid-request` naming the key. Absent, the
//!   behaviour is the configured one.
//!
//! # Orders
//!
//! Market orders fill at once at the sandbox's price (`quote-price` is not
//! used) with one fee, in the quote currency. The answer carries the order
//! id only (`fill` is none), as Kraken's AddOrder does, so the host reads
//! the fill with `query-order`, the same path as against Kraken.

/// Public (with `market`) for the host's benchmark of the wasm boundary.
#[doc(hidden)]
pub use driver_kit::wit::tradehost;

mod config;
mod env;
/// Public for the host's benchmark of the wasm boundary (native baseline).
#[doc(hidden)]
pub mod market;
mod num;
mod orders;
mod prices;
mod sim;
#[cfg(test)]
mod tests;

use driver_kit::http::{Http, Req};
use driver_kit::wit::exports::tradehost::exchange::exchange::Guest;
use tradehost::exchange::types::{
    Balance, DriverError, DriverInfo, ExchangeStatus, MarketOrder, MarketRules, OrderLookup,
    OrderReport, PlacedOrder, SigningScheme, Ticker,
};
use tradehost::exchange::{config as host_config, state};

/// `Env` over the host's imports. (Natively it only type-checks: the
/// imports exist only inside a component.)
struct Host;

impl env::Env for Host {
    fn config(&self, key: &str) -> Option<String> {
        host_config::get(key)
    }

    fn state_get(&self, key: &str) -> Option<String> {
        state::get(key)
    }

    fn state_cas(&self, key: &str, expected: Option<&str>, value: &str) -> bool {
        state::compare_and_swap(key, expected, value)
    }

    fn http_get(
        &self,
        path: &'static str,
        query: &[(String, String)],
    ) -> Result<(u16, String), String> {
        // Prices must be fresh: never from the host's cache.
        let req = Req::public_get(path, query.to_vec(), 0);
        driver_kit::http::Host.send(&req).map_err(|e| e.to_string())
    }

    fn log(&self, level: env::Level, message: &str) {
        driver_kit::http::Host.log(level, message);
    }
}

/// Configuration is read afresh on every call: each call is a new instance.
fn with_config<T>(
    f: impl FnOnce(&Host, &config::Config) -> Result<T, DriverError>,
) -> Result<T, DriverError> {
    let cfg = config::load(&Host)?;
    f(&Host, &cfg)
}

/// The driver's export table. Public, so that natively (where nothing
/// is exported) the code it calls still counts as used.
pub struct Driver;

impl Guest for Driver {
    fn info() -> DriverInfo {
        DriverInfo {
            exchange_id: "kraken-sandbox".into(),
            driver_version: env!("CARGO_PKG_VERSION").into(),
            signing: SigningScheme::None,
            default_base_url: "https://api.kraken.com".into(),
            request_paths: vec![prices::TICKER_PATH.into()],
        }
    }

    fn market_rules(symbol: String) -> Result<MarketRules, DriverError> {
        with_config(|_, cfg| {
            Ok(market::rules(
                market::parse_symbol(&symbol)?,
                cfg.market_status(),
            ))
        })
    }

    fn ticker(symbol: String) -> Result<Ticker, DriverError> {
        with_config(|host, cfg| prices::ticker(host, cfg, &symbol))
    }

    fn tickers(symbols: Vec<String>) -> Result<Vec<Ticker>, DriverError> {
        with_config(|host, cfg| prices::tickers(host, cfg, &symbols))
    }

    fn balances() -> Result<Vec<Balance>, DriverError> {
        with_config(orders::balances)
    }

    fn status() -> Result<ExchangeStatus, DriverError> {
        with_config(|_, cfg| Ok(cfg.exchange_status()))
    }

    fn place_market_order(order: MarketOrder) -> Result<PlacedOrder, DriverError> {
        with_config(|host, cfg| orders::place_market_order(host, cfg, &order))
    }

    fn query_order(lookup: OrderLookup) -> Result<OrderReport, DriverError> {
        orders::query_order(&Host, &lookup)
    }

    fn find_order(lookup: OrderLookup) -> Result<Option<OrderReport>, DriverError> {
        orders::find_order(&Host, &lookup)
    }
}

driver_kit::export_driver!(Driver);
