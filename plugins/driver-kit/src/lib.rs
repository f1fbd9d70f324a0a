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
//!   functions over `Http` in one module.

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
/// `find_order`), each given [`http::Host`]. Only a component exports:
/// native builds (unit tests) would otherwise emit symbols named like
/// `tradehost:exchange/...`, which native linkers refuse.
#[macro_export]
macro_rules! guest {
    ($ops:ident) => {
        /// The driver's export table. Public, so that natively (where
        /// nothing is exported) the operations it calls still count as used.
        pub struct Driver;

        impl $crate::wit::exports::tradehost::exchange::exchange::Guest for Driver {
            fn info() -> $crate::wit::tradehost::exchange::types::DriverInfo {
                $ops::info()
            }

            fn market_rules(
                symbol: String,
            ) -> Result<
                $crate::wit::tradehost::exchange::types::MarketRules,
                $crate::wit::tradehost::exchange::types::DriverError,
            > {
                $ops::market_rules(&$crate::http::Host, &symbol)
            }

            fn ticker(
                symbol: String,
            ) -> Result<
                $crate::wit::tradehost::exchange::types::Ticker,
                $crate::wit::tradehost::exchange::types::DriverError,
            > {
                $ops::ticker(&$crate::http::Host, &symbol)
            }

            fn tickers(
                symbols: Vec<String>,
            ) -> Result<
                Vec<$crate::wit::tradehost::exchange::types::Ticker>,
                $crate::wit::tradehost::exchange::types::DriverError,
            > {
                $ops::tickers(&$crate::http::Host, &symbols)
            }

            fn balances() -> Result<
                Vec<$crate::wit::tradehost::exchange::types::Balance>,
                $crate::wit::tradehost::exchange::types::DriverError,
            > {
                $ops::balances(&$crate::http::Host)
            }

            fn status() -> Result<
                $crate::wit::tradehost::exchange::types::ExchangeStatus,
                $crate::wit::tradehost::exchange::types::DriverError,
            > {
                $ops::status(&$crate::http::Host)
            }

            fn place_market_order(
                order: $crate::wit::tradehost::exchange::types::MarketOrder,
            ) -> Result<
                $crate::wit::tradehost::exchange::types::PlacedOrder,
                $crate::wit::tradehost::exchange::types::DriverError,
            > {
                $ops::place_market_order(&$crate::http::Host, &order)
            }

            fn query_order(
                lookup: $crate::wit::tradehost::exchange::types::OrderLookup,
            ) -> Result<
                $crate::wit::tradehost::exchange::types::OrderReport,
                $crate::wit::tradehost::exchange::types::DriverError,
            > {
                $ops::query_order(&$crate::http::Host, &lookup)
            }

            fn find_order(
                lookup: $crate::wit::tradehost::exchange::types::OrderLookup,
            ) -> Result<
                Option<$crate::wit::tradehost::exchange::types::OrderReport>,
                $crate::wit::tradehost::exchange::types::DriverError,
            > {
                $ops::find_order(&$crate::http::Host, &lookup)
            }
        }

        #[cfg(target_arch = "wasm32")]
        #[allow(
            unsafe_code,
            reason = "the export glue wit-bindgen generates: the only unsafe code in a driver"
        )]
        mod export {
            use super::Driver;
            $crate::wit::export!(Driver with_types_in $crate::wit);
        }
    };
}
