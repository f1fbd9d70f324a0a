//! The seam between the host and an exchange: a plain Rust trait with
//! domain types. The WebAssembly runtime (`crate::runtime`) is one
//! implementation; nothing outside it sees generated bindings.

use std::future::Future;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::domain::Symbol;
use crate::error::{Error, ErrorKind};

/// Which way an order trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Spend the quote currency for the base.
    Buy,
    /// Sell the base currency for the quote.
    Sell,
}

impl Side {
    /// The spelling stored and shown: "BUY" or "SELL".
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
    /// No private requests (a simulator); public requests follow the Kraken
    /// profile's public allow-list.
    None,
    /// Kraken spot REST: nonce in the body, `API-Key` and `API-Sign` headers.
    KrakenHmacSha512,
    /// Binance Spot REST: `timestamp` and `recvWindow` added, a hex HMAC-SHA256
    /// `signature`, the `X-MBX-APIKEY` header.
    BinanceHmacSha256,
}

/// What a driver says of itself when loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverInfo {
    /// Stable id of the exchange ("kraken", "binance"): positions and orders
    /// are recorded under it.
    pub exchange_id: String,
    /// The driver's own version, as it reports it.
    pub driver_version: String,
    /// How the host signs the driver's private requests; also picks the host's
    /// exchange profile.
    pub signing: SigningScheme,
    /// Informational: the host takes the base URL from its own profile.
    pub default_base_url: String,
    /// Every path the driver will ask the host to send; the host refuses any
    /// other.
    pub request_paths: Vec<String>,
}

/// Whether a market accepts new market orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketStatus {
    /// Trading: market orders accepted.
    Online,
    /// Orders can only be canceled.
    CancelOnly,
    /// Only orders that add liquidity: no market orders.
    PostOnly,
    /// Only limit orders: no market orders.
    LimitOnly,
    /// Only orders that reduce a margin position.
    ReduceOnly,
    /// Down for maintenance.
    Maintenance,
    /// No longer traded.
    Delisted,
}

/// A market's trading rules, which the pre-trade checks apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketRules {
    /// The market.
    pub symbol: Symbol,
    /// The exchange's own id of the pair ("XXBTZUSD", "BTCUSDT").
    pub pair_id: String,
    /// Smallest order size, in base units.
    pub min_size: Decimal,
    /// Smallest order value, in quote units.
    pub min_cost: Decimal,
    /// Decimal places allowed in an order size.
    pub size_decimals: u32,
    /// Decimal places of prices.
    pub price_decimals: u32,
    /// Whether the market accepts market orders now.
    pub status: MarketStatus,
}

/// A market's current prices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticker {
    /// The market.
    pub symbol: Symbol,
    /// Best bid: about what a market sell gets.
    pub bid: Decimal,
    /// Best ask: about what a market buy pays.
    pub ask: Decimal,
    /// Price of the last trade.
    pub last: Decimal,
}

/// The account's holding of one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    /// Unified currency code ("USD", "BTC").
    pub currency: String,
    /// Everything held, including what open orders hold.
    pub total: Decimal,
    /// The total less what open orders hold.
    pub available: Decimal,
}

/// Whether the exchange as a whole accepts orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeState {
    /// Trading normally.
    Online,
    /// Down for maintenance: no orders.
    Maintenance,
    /// Orders can only be canceled.
    CancelOnly,
    /// Only orders that add liquidity: no market orders.
    PostOnly,
}

/// The exchange's state, as it reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeStatus {
    /// What the exchange accepts now.
    pub state: ExchangeState,
    /// The exchange's own detail, if any.
    pub message: Option<String>,
}

/// How much an order trades: a buy spends quote, a sell sells base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderAmount {
    /// Spend this much of the quote currency (buys).
    Quote(Decimal),
    /// Sell this much of the base currency (sells).
    Base(Decimal),
}

impl OrderAmount {
    /// The amount, in whichever currency it is.
    pub fn value(self) -> Decimal {
        match self {
            OrderAmount::Quote(amount) | OrderAmount::Base(amount) => amount,
        }
    }
}

/// A market order as the host hands it to a driver; the host records it before
/// it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketOrder {
    /// The host's id for the order, recorded first, so that the order can be
    /// found again whatever happens to the answer.
    pub client_order_id: String,
    /// The market.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// How much to spend (buy) or sell (sell).
    pub amount: OrderAmount,
    /// The exchange must not execute the order after this.
    pub deadline: Option<DateTime<Utc>>,
    /// The price the pre-trade check read (ask for a buy, bid for a sell).
    pub quote_price: Option<Decimal>,
}

/// Where an order stands at the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// Received, not yet working.
    Pending,
    /// Working: it may (further) execute.
    Open,
    /// Done executing.
    Closed,
    /// Canceled; it may have filled in part first.
    Canceled,
    /// Expired (past its deadline, for one); it may have filled in part first.
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
    /// How much was charged.
    pub amount: Decimal,
    /// The currency it was charged in.
    pub currency: String,
}

/// What the exchange says about one order, already validated by the host
/// (see `runtime::convert`): decimals parsed, never negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderReport {
    /// The exchange's id of the order.
    pub order_id: String,
    /// The host's id of the order, when the exchange reports it.
    pub client_order_id: Option<String>,
    /// The market.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Where the order stands.
    pub state: OrderState,
    /// Executed size, in base units.
    pub filled_size: Decimal,
    /// Volume-weighted average fill price; zero when nothing filled.
    pub average_price: Decimal,
    /// Executed value, in quote units.
    pub cost: Decimal,
    /// Every fee, summed per currency.
    pub fees: Vec<Fee>,
}

/// What the host knows of an order it sent, to look it up again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLookup {
    /// The exchange's id, once an answer named it.
    pub order_id: Option<String>,
    /// The host's id, always known: it is recorded before the order is sent.
    pub client_order_id: String,
    /// The market: Binance looks an order up only together with its symbol.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// When the host sent the order: a search by time (Kraken's ClosedOrders)
    /// starts from it.
    pub sent_at: DateTime<Utc>,
}

/// An order the exchange accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The exchange's id of the order.
    pub order_id: String,
    /// The order's report, when the exchange answered with its fills.
    pub fill: Option<OrderReport>,
}

/// Failures reported by a driver, one per WIT `driver-error` case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriverError {
    /// The account cannot pay for the order; nothing was placed.
    #[error("insufficient funds: {0}")]
    InsufficientFunds(String),
    /// The exchange does not know the market.
    #[error("invalid symbol: {0}")]
    InvalidSymbol(String),
    /// The order is below the market's minimum size or value.
    #[error("below the exchange minimum: {0}")]
    BelowMinimum(String),
    /// The exchange refused the order; nothing was placed.
    #[error("order rejected by the exchange: {0}")]
    OrderRejected(String),
    /// The exchange's rate limit was hit.
    #[error("rate limited by the exchange: {0}")]
    RateLimited(String),
    /// The exchange is down or in maintenance; for an order placement, proven
    /// not placed.
    #[error("exchange unavailable: {0}")]
    Unavailable(String),
    /// The exchange refused the credentials.
    #[error("exchange refused the credentials: {0}")]
    Auth(String),
    /// The exchange knows no such order.
    #[error("not found: {0}")]
    NotFound(String),
    /// The request may or may not have taken effect: the host reconciles, and
    /// never retries blindly.
    #[error("outcome unknown: {0}")]
    UnknownOutcome(String),
    /// The request was malformed.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The driver itself failed: trap, limit, malformed answer, load error,
    /// or a request the host refused to send for it.
    #[error("driver failure: {0}")]
    Plugin(String),
}

impl DriverError {
    /// The kind of host error this failure is reported as.
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
    MayExist {
        /// The exchange's id of the order, when its answer named it.
        order_id: Option<String>,
    },
}

/// A failed order placement: what went wrong, and what the host knows of
/// whether the order can exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct PlacementError {
    /// What went wrong.
    pub error: DriverError,
    /// Whether the order can exist at the exchange.
    pub exposure: Exposure,
}

impl PlacementError {
    /// A failure proven to have placed nothing.
    pub fn not_placed(error: DriverError) -> PlacementError {
        PlacementError {
            error,
            exposure: Exposure::NotPlaced,
        }
    }

    /// A failure after which the order may exist, under `order_id` when the
    /// exchange's answer named it.
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

/// What a driver operation returns.
pub type DriverResult<T> = Result<T, DriverError>;

/// An exchange as the rest of the host sees it. Each call is independent:
/// implementations must not keep per-call state between calls.
pub trait ExchangeDriver: Send + Sync {
    /// What the driver said of itself when loaded.
    fn info(&self) -> &DriverInfo;
    /// The market's trading rules.
    fn market_rules(
        &self,
        symbol: &Symbol,
    ) -> impl Future<Output = DriverResult<MarketRules>> + Send;
    /// The market's current prices.
    fn ticker(&self, symbol: &Symbol) -> impl Future<Output = DriverResult<Ticker>> + Send;
    /// Tickers of several markets, in the order asked.
    fn tickers(&self, symbols: &[Symbol])
    -> impl Future<Output = DriverResult<Vec<Ticker>>> + Send;
    /// The account's balances, one per currency.
    fn balances(&self) -> impl Future<Output = DriverResult<Vec<Balance>>> + Send;
    /// Whether the exchange accepts orders now.
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
