//! The seam between the host and an exchange: a plain Rust trait with
//! domain types. The WebAssembly runtime (`crate::runtime`) is one
//! implementation; nothing outside it sees generated bindings.

use std::future::Future;

use rust_decimal::Decimal;

use crate::domain::Symbol;
use crate::error::{Error, ErrorKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningScheme {
    None,
    KrakenHmacSha512,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketOrder {
    pub client_order_id: String,
    pub symbol: Symbol,
    pub side: Side,
    pub amount: OrderAmount,
    /// The exchange must not execute the order after this.
    pub deadline: Option<chrono::DateTime<chrono::Utc>>,
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

/// What the exchange says about one order, already validated by the host
/// (see `runtime::convert`): decimals parsed, never negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderReport {
    pub order_id: String,
    pub client_order_id: Option<String>,
    pub side: Side,
    pub state: OrderState,
    pub filled_size: Decimal,
    pub average_price: Decimal,
    pub cost: Decimal,
    pub fee: Decimal,
    pub fee_currency: String,
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
    /// The driver itself failed: trap, limit, malformed answer, load error.
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

    /// For an order placement: does this answer prove the exchange did not
    /// take the order? Only then may the position slot be freed.
    /// A driver failure (trap, limit) mid-placement proves nothing.
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
    fn balances(&self) -> impl Future<Output = DriverResult<Vec<Balance>>> + Send;
    fn status(&self) -> impl Future<Output = DriverResult<ExchangeStatus>> + Send;
    /// Places a market order. `Ok` is the exchange's acknowledgement only;
    /// the fill is read with `query_order`.
    fn place_market_order(
        &self,
        order: &MarketOrder,
    ) -> impl Future<Output = DriverResult<String>> + Send;
    fn query_order(&self, order_id: &str)
    -> impl Future<Output = DriverResult<OrderReport>> + Send;
    fn find_order(
        &self,
        client_order_id: &str,
    ) -> impl Future<Output = DriverResult<Option<OrderReport>>> + Send;
}
