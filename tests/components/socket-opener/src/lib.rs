//! `socket-opener`: a driver whose `ticker` opens a TCP connection, so the
//! component imports `wasi:sockets/…`. The host must refuse to load it.

wit_bindgen::generate!({ path: "../../../wit/since_v0.1.0", world: "driver" });

use exports::tradehost::exchange::exchange::Guest;
use tradehost::exchange::types::{
    Balance, DriverError, DriverInfo, ExchangeStatus, MarketOrder, MarketRules, OrderReport,
    PlacedOrder, SigningScheme, Ticker,
};

const NAME: &str = "socket-opener";

fn unavailable<T>() -> Result<T, DriverError> {
    Err(DriverError::Unavailable(format!(
        "{NAME}: not a real driver"
    )))
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
        DriverInfo {
            exchange_id: NAME.into(),
            driver_version: env!("CARGO_PKG_VERSION").into(),
            signing: SigningScheme::None,
            default_base_url: "https://api.kraken.com".into(),
            request_paths: Vec::new(),
        }
    }

    fn market_rules(_symbol: String) -> Result<MarketRules, DriverError> {
        unavailable()
    }

    fn ticker(_symbol: String) -> Result<Ticker, DriverError> {
        // Reaching this means the host loaded a component with sockets.
        let stream = std::net::TcpStream::connect("127.0.0.1:9");
        Err(DriverError::Unavailable(format!("{NAME}: {stream:?}")))
    }

    fn balances() -> Result<Vec<Balance>, DriverError> {
        unavailable()
    }

    fn status() -> Result<ExchangeStatus, DriverError> {
        unavailable()
    }

    fn place_market_order(_order: MarketOrder) -> Result<PlacedOrder, DriverError> {
        unavailable()
    }

    fn query_order(_order_id: String) -> Result<OrderReport, DriverError> {
        unavailable()
    }

    fn find_order(_client_order_id: String) -> Result<Option<OrderReport>, DriverError> {
        unavailable()
    }
}

#[cfg(target_arch = "wasm32")]
#[allow(
    unsafe_code,
    reason = "the export glue wit-bindgen generates: the only unsafe code here"
)]
mod export {
    use super::Driver;
    crate::export!(Driver with_types_in crate);
}
