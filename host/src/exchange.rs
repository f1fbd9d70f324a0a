//! The seam between the host and an exchange: a plain Rust trait with
//! domain types. The WebAssembly runtime (`crate::runtime`) is one
//! implementation; nothing outside it sees generated bindings.

use std::future::Future;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::domain::Symbol;
use crate::error::{Error, ErrorKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }

    /// The stored spelling back; anything else is not a side.
    pub fn parse(text: &str) -> Option<Side> {
        match text {
            "BUY" => Some(Side::Buy),
            "SELL" => Some(Side::Sell),
            _ => None,
        }
    }
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the host authenticates a driver's private requests; it also names
/// the host's exchange profile (`crate::profile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningScheme {
    None,
    KrakenHmacSha512,
    BinanceHmacSha256,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverInfo {
    pub exchange_id: String,
    pub driver_version: String,
    pub signing: SigningScheme,
    pub default_base_url: String,
    pub request_paths: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketStatus {
    Online,
    CancelOnly,
    PostOnly,
    LimitOnly,
    ReduceOnly,
    Maintenance,
    Delisted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketRules {
    pub symbol: Symbol,
    pub pair_id: String,
    pub min_size: Decimal,
    pub min_cost: Decimal,
    pub size_decimals: u32,
    pub price_decimals: u32,
    pub status: MarketStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticker {
    pub symbol: Symbol,
    pub bid: Decimal,
    pub ask: Decimal,
    pub last: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub currency: String,
    pub total: Decimal,
    pub available: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeState {
    Online,
    Maintenance,
    CancelOnly,
    PostOnly,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeStatus {
    pub state: ExchangeState,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderAmount {
    /// Spend this much of the quote currency (buys).
    Quote(Decimal),
    /// Sell this much of the base currency (sells).
    Base(Decimal),
}

impl OrderAmount {
    pub fn value(self) -> Decimal {
        match self {
            OrderAmount::Quote(amount) | OrderAmount::Base(amount) => amount,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketOrder {
    pub client_order_id: String,
    pub symbol: Symbol,
    pub side: Side,
    pub amount: OrderAmount,
    /// The exchange must not execute the order after this.
    pub deadline: Option<DateTime<Utc>>,
    /// The price the pre-trade check read (ask for a buy, bid for a sell).
    pub quote_price: Option<Decimal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    Pending,
    Open,
    Closed,
    Canceled,
    Expired,
}

impl OrderState {
    /// The order can no longer execute.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderState::Closed | OrderState::Canceled | OrderState::Expired
        )
    }
}

/// One fee charged on an order, in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fee {
    pub amount: Decimal,
    pub currency: String,
}

/// What the exchange says about one order, already validated by the host
/// (see `runtime::convert`): decimals parsed, never negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderReport {
    pub order_id: String,
    pub client_order_id: Option<String>,
    pub symbol: Symbol,
    pub side: Side,
    pub state: OrderState,
    pub filled_size: Decimal,
    pub average_price: Decimal,
    pub cost: Decimal,
    /// Every fee, summed per currency.
    pub fees: Vec<Fee>,
}

/// What the host knows of an order it sent, to look it up again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLookup {
    pub order_id: Option<String>,
    pub client_order_id: String,
    pub symbol: Symbol,
    pub side: Side,
    pub sent_at: DateTime<Utc>,
}

/// An order the exchange accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub order_id: String,
    /// The order's report, when the exchange answered with its fills.
    pub fill: Option<OrderReport>,
}

/// Failures reported by a driver, one per WIT `driver-error` case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriverError {
    #[error("insufficient funds: {0}")]
    InsufficientFunds(String),
    #[error("invalid symbol: {0}")]
    InvalidSymbol(String),
    #[error("below the exchange minimum: {0}")]
    BelowMinimum(String),
    #[error("order rejected by the exchange: {0}")]
    OrderRejected(String),
    #[error("rate limited by the exchange: {0}")]
    RateLimited(String),
    #[error("exchange unavailable: {0}")]
    Unavailable(String),
    #[error("exchange refused the credentials: {0}")]
    Auth(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("outcome unknown: {0}")]
    UnknownOutcome(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The driver itself failed: trap, limit, malformed answer, load error,
    /// or a request the host refused to send for it.
    #[error("driver failure: {0}")]
    Plugin(String),
}

impl DriverError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            DriverError::InsufficientFunds(_) => ErrorKind::InsufficientFunds,
            DriverError::InvalidSymbol(_) => ErrorKind::InvalidSymbol,
            DriverError::BelowMinimum(_) => ErrorKind::BelowMinimum,
            DriverError::OrderRejected(_) => ErrorKind::OrderRejected,
            DriverError::RateLimited(_) => ErrorKind::RateLimited,
            DriverError::Unavailable(_) => ErrorKind::ExchangeUnavailable,
            DriverError::Auth(_) => ErrorKind::Auth,
            DriverError::NotFound(_) => ErrorKind::NotFound,
            DriverError::UnknownOutcome(_) => ErrorKind::UnknownOutcome,
            DriverError::InvalidRequest(_) => ErrorKind::InvalidInput,
            DriverError::Plugin(_) => ErrorKind::Plugin,
        }
    }

    /// For an order placement, on the driver's word alone: does this answer
    /// prove the exchange did not take the order? A driver failure (trap,
    /// limit) mid-placement proves nothing.
    pub fn proves_not_placed(&self) -> bool {
        !matches!(
            self,
            DriverError::UnknownOutcome(_) | DriverError::Plugin(_)
        )
    }
}

impl From<DriverError> for Error {
    fn from(err: DriverError) -> Self {
        Error::new(err.kind(), err.to_string())
    }
}

/// Whether an order whose placement failed can exist at the exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exposure {
    /// Proven not placed: the slot may be freed.
    NotPlaced,
    /// It may have been placed; `order_id` when the exchange's answer
    /// named it. The slot stays reserved until reconciliation settles it.
    MayExist { order_id: Option<String> },
}

/// A failed order placement: what went wrong, and what the host knows of
/// whether the order can exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct PlacementError {
    pub error: DriverError,
    pub exposure: Exposure,
}

impl PlacementError {
    pub fn not_placed(error: DriverError) -> PlacementError {
        PlacementError {
            error,
            exposure: Exposure::NotPlaced,
        }
    }

    pub fn may_exist(error: DriverError, order_id: Option<String>) -> PlacementError {
        PlacementError {
            error,
            exposure: Exposure::MayExist { order_id },
        }
    }
}

/// On the driver's word alone, as for an exchange the host cannot observe
/// (a simulator) or a driver that is not a component.
impl From<DriverError> for PlacementError {
    fn from(error: DriverError) -> Self {
        if error.proves_not_placed() {
            PlacementError::not_placed(error)
        } else {
            PlacementError::may_exist(error, None)
        }
    }
}

pub type DriverResult<T> = Result<T, DriverError>;

/// An exchange as the rest of the host sees it. Each call is independent:
/// implementations must not keep per-call state between calls.
pub trait ExchangeDriver: Send + Sync {
    fn info(&self) -> &DriverInfo;
    fn market_rules(
        &self,
        symbol: &Symbol,
    ) -> impl Future<Output = DriverResult<MarketRules>> + Send;
    fn ticker(&self, symbol: &Symbol) -> impl Future<Output = DriverResult<Ticker>> + Send;
    /// Tickers of several markets, in the order asked.
    fn tickers(&self, symbols: &[Symbol])
    -> impl Future<Output = DriverResult<Vec<Ticker>>> + Send;
    fn balances(&self) -> impl Future<Output = DriverResult<Vec<Balance>>> + Send;
    fn status(&self) -> impl Future<Output = DriverResult<ExchangeStatus>> + Send;
    /// Places a market order. `Ok` is the exchange's acknowledgement (with
    /// the fill when the answer carried it); otherwise the fill is read
    /// with `query_order`.
    fn place_market_order(
        &self,
        order: &MarketOrder,
    ) -> impl Future<Output = Result<Placement, PlacementError>> + Send;
    /// The order by its exchange id (`lookup.order_id` is set).
    fn query_order(
        &self,
        lookup: &OrderLookup,
    ) -> impl Future<Output = DriverResult<OrderReport>> + Send;
    /// The order by its client order id.
    fn find_order(
        &self,
        lookup: &OrderLookup,
    ) -> impl Future<Output = DriverResult<Option<OrderReport>>> + Send;
    /// The exchange's clock (the host's own for a simulator).
    fn server_time(&self) -> impl Future<Output = DriverResult<DateTime<Utc>>> + Send;
}
