//! Every request the driver makes. The host chooses the base URL and, for
//! signed requests, adds `timestamp`, `recvWindow`, `signature` and the
//! X-MBX-APIKEY header (it refuses a request that carries any of them), so
//! no builder here ever sets one. Parameter names are exactly those of the
//! host's Binance allow-list.

use crate::tradehost::exchange::types::Side;
pub use driver_kit::http::Req;
use driver_kit::http::param;

pub const PING: &str = "/api/v3/ping";
pub const EXCHANGE_INFO: &str = "/api/v3/exchangeInfo";
pub const BOOK_TICKER: &str = "/api/v3/ticker/bookTicker";
pub const ACCOUNT: &str = "/api/v3/account";
/// POST places an order; GET queries one.
pub const ORDER: &str = "/api/v3/order";
pub const MY_TRADES: &str = "/api/v3/myTrades";

/// Declared in `info()`: the host refuses any other path.
pub const PATHS: [&str; 6] = [PING, EXCHANGE_INFO, BOOK_TICKER, ACCOUNT, ORDER, MY_TRADES];

/// Symbol reference data changes rarely; the host caches it per process.
/// (Each call runs in a fresh instance, so the driver cannot cache it.)
pub const EXCHANGE_INFO_CACHE_SECONDS: u32 = 3600;

/// Trades `GET /api/v3/myTrades` returns by default (`limit` is not on
/// the host's allow-list, so this is also the most one call can list).
pub const MY_TRADES_PAGE: usize = 500;

pub fn ping() -> Req {
    Req::public_get(PING, Vec::new(), 0)
}

/// The entries of the symbols asked for (`symbol` for one, `symbols` for
/// several): Binance's full list is several megabytes, far above what the
/// host accepts in one answer. Each query is cached by the host.
pub fn exchange_info(symbol_ids: &[&str]) -> Req {
    let query = match symbol_ids {
        [one] => param("symbol", one),
        many => symbols_param(many),
    };
    Req::public_get(EXCHANGE_INFO, vec![query], EXCHANGE_INFO_CACHE_SECONDS)
}

/// Best bid and ask of one symbol, always fresh.
pub fn book_ticker(symbol_id: &str) -> Req {
    Req::public_get(BOOK_TICKER, vec![param("symbol", symbol_id)], 0)
}

/// Best bids and asks of several symbols in one request: `symbols` is a
/// compact JSON array text, `["BTCUSDT","ETHUSDT"]`.
pub fn book_tickers(symbol_ids: &[&str]) -> Req {
    Req::public_get(BOOK_TICKER, vec![symbols_param(symbol_ids)], 0)
}

/// `symbols` as Binance reads it: a compact JSON array of ids.
fn symbols_param(symbol_ids: &[&str]) -> (String, String) {
    // Serialising a list of strings cannot fail; the fallback is unused.
    param(
        "symbols",
        &serde_json::to_string(symbol_ids).unwrap_or_default(),
    )
}

/// Balances, without the (many) zero ones.
pub fn account() -> Req {
    Req::signed_get(ACCOUNT, vec![param("omitZeroBalances", "true")])
}

/// How much a market order trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size<'a> {
    /// `quoteOrderQty`: quote units to spend (a buy).
    Quote(&'a str),
    /// `quantity`: base units to sell (a sell).
    Base(&'a str),
}

/// The one order request: a MARKET order with the host's client order id,
/// answered with its fills (`newOrderRespType=FULL`). Nothing else is
/// sent: the host signs only exactly this.
pub fn new_order(symbol_id: &str, side: Side, size: Size, client_order_id: &str) -> Req {
    let side = match side {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    };
    let size = match size {
        Size::Quote(q) => param("quoteOrderQty", q),
        Size::Base(b) => param("quantity", b),
    };
    Req::signed_post(
        ORDER,
        vec![
            param("symbol", symbol_id),
            param("side", side),
            param("type", "MARKET"),
            size,
            param("newClientOrderId", client_order_id),
            param("newOrderRespType", "FULL"),
        ],
    )
}

/// One order by the exchange's id.
pub fn query_order(symbol_id: &str, order_id: &str) -> Req {
    Req::signed_get(
        ORDER,
        vec![param("symbol", symbol_id), param("orderId", order_id)],
    )
}

/// One order by the client order id it was placed with.
pub fn find_order(symbol_id: &str, client_order_id: &str) -> Req {
    Req::signed_get(
        ORDER,
        vec![
            param("symbol", symbol_id),
            param("origClientOrderId", client_order_id),
        ],
    )
}

/// The trades (with their commissions) of one order.
pub fn my_trades(symbol_id: &str, order_id: &str) -> Req {
    Req::signed_get(
        MY_TRADES,
        vec![param("symbol", symbol_id), param("orderId", order_id)],
    )
}
