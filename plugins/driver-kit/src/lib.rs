//! What every tradehost exchange driver shares, so that a driver holds only
//! what is its exchange's own (requests, parsers, error table):
//!
//! - [`wit`]: the bindings of contract `tradehost:exchange@0.2.0`, generated
//!   once here; a driver names its types as `driver_kit::wit::…`;
//! - [`http`]: the host's `http.send` as the trait [`http::Http`] (canned in
//!   a driver's native tests, [`http::Host`] in the component) and the
//!   request shape every driver builds;
//! - [`num`]: exact decimals read from JSON text, never through an f64;
//! - [`order`]: the checks every driver makes of a market order;
//! - [`guest!`]: the export table of a driver whose operations are
//!   functions over `Http` in one module; [`export_driver!`] exports any
//!   other `Guest` implementation.

/// Bindings of the `driver` world, contract `tradehost:exchange@0.2.0`.
/// `wit::export!` exports a driver's `Guest`.
#[allow(
    missing_docs,
    reason = "generated bindings; the WIT's own doc comments are carried over"
)]
pub mod wit {
    wit_bindgen::generate!({
        path: "../../wit/since_v0.2.0",
        world: "driver",
        // Lets tests compare whole records.
        additional_derives: [PartialEq],
        pub_export_macro: true,
        default_bindings_module: "driver_kit::wit",
    });
}

pub mod http;
pub mod num;
pub mod order;

/// The export table of a driver whose operations are functions over
/// [`http::Http`] in module `$ops` (`info`, `market_rules`, `ticker`,
/// `tickers`, `balances`, `status`, `place_market_order`, `query_order`,
/// `find_order`), each given [`http::Host`].
#[macro_export]
macro_rules! guest {
    ($ops:ident) => {
        /// The driver's export table. Public, so that natively (where
        /// nothing is exported) the operations it calls still count as used.
        pub struct Driver;

        const _: () = {
            use $crate::http::Host;
            use $crate::wit::exports::tradehost::exchange::exchange::Guest;
            use $crate::wit::tradehost::exchange::types::{
                Balance, DriverError, DriverInfo, ExchangeStatus, MarketOrder, MarketRules,
                OrderLookup, OrderReport, PlacedOrder, Ticker,
            };

            impl Guest for Driver {
                fn info() -> DriverInfo {
                    $ops::info()
                }

                fn market_rules(symbol: String) -> Result<MarketRules, DriverError> {
                    $ops::market_rules(&Host, &symbol)
                }

                fn ticker(symbol: String) -> Result<Ticker, DriverError> {
                    $ops::ticker(&Host, &symbol)
                }

                fn tickers(symbols: Vec<String>) -> Result<Vec<Ticker>, DriverError> {
                    $ops::tickers(&Host, &symbols)
                }

                fn balances() -> Result<Vec<Balance>, DriverError> {
                    $ops::balances(&Host)
                }

                fn status() -> Result<ExchangeStatus, DriverError> {
                    $ops::status(&Host)
                }

                fn place_market_order(order: MarketOrder) -> Result<PlacedOrder, DriverError> {
                    $ops::place_market_order(&Host, &order)
                }

                fn query_order(lookup: OrderLookup) -> Result<OrderReport, DriverError> {
                    $ops::query_order(&Host, &lookup)
                }

                fn find_order(lookup: OrderLookup) -> Result<Option<OrderReport>, DriverError> {
                    $ops::find_order(&Host, &lookup)
                }
            }
        };

        $crate::export_driver!(Driver);
    };
}

/// Exports `$driver`'s `Guest` implementation. Only a component exports:
/// native builds (unit tests) would otherwise emit symbols named like
/// `tradehost:exchange/...`, which native linkers refuse.
#[macro_export]
macro_rules! export_driver {
    ($driver:ident) => {
        #[cfg(target_arch = "wasm32")]
        #[allow(
            unsafe_code,
            reason = "the export glue wit-bindgen generates: the only unsafe code in a driver"
        )]
        mod export {
            use super::$driver;
            $crate::wit::export!($driver with_types_in $crate::wit);
        }
    };
}
