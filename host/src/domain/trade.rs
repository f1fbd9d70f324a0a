//! Positions and orders as the host records them, and the values a fill
//! makes of them. Plain data: `db` stores it, `service` computes it.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::exchange::{Fee, Side};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeStatus {
    /// Slot reserved, buy order in flight or its outcome not yet known.
    Pending,
    Open,
    /// Sell order in flight or its outcome not yet known.
    Closing,
    Closed,
    /// The buy was proven not placed; the slot is free.
    Rejected,
}

impl TradeStatus {
    pub const ALL: [TradeStatus; 5] = [
        TradeStatus::Pending,
        TradeStatus::Open,
        TradeStatus::Closing,
        TradeStatus::Closed,
        TradeStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TradeStatus::Pending => "PENDING",
            TradeStatus::Open => "OPEN",
            TradeStatus::Closing => "CLOSING",
            TradeStatus::Closed => "CLOSED",
            TradeStatus::Rejected => "REJECTED",
        }
    }

    pub fn parse(text: &str) -> Option<TradeStatus> {
        TradeStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Holds the asset's one position slot.
    pub fn holds_slot(self) -> bool {
        matches!(
            self,
            TradeStatus::Pending | TradeStatus::Open | TradeStatus::Closing
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    /// Written before the request is sent.
    Pending,
    /// The exchange acknowledged it; the fill is not yet recorded.
    Placed,
    Filled,
    /// Proven not placed.
    Rejected,
    /// Sent, answer unknown: must be reconciled, never re-sent.
    Unknown,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::Pending,
        OrderStatus::Placed,
        OrderStatus::Filled,
        OrderStatus::Rejected,
        OrderStatus::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::Placed => "PLACED",
            OrderStatus::Filled => "FILLED",
            OrderStatus::Rejected => "REJECTED",
            OrderStatus::Unknown => "UNKNOWN",
        }
    }

    pub fn parse(text: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Not yet settled: reconciliation looks at it.
    pub fn is_unsettled(self) -> bool {
        matches!(
            self,
            OrderStatus::Pending | OrderStatus::Placed | OrderStatus::Unknown
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeRecord {
    pub id: String,
    pub symbol: String,
    pub asset: String,
    pub exchange: String,
    pub status: TradeStatus,
    pub entry_price: Option<Decimal>,
    /// Size acquired: the filled size, less a fee charged in the base.
    pub entry_size: Option<Decimal>,
    pub entry_cost: Option<Decimal>,
    /// Fee paid in the quote currency to open (part of the cost basis).
    pub entry_fee: Option<Decimal>,
    /// Open size: the entry size less what has been sold (and sell fees
    /// charged in the base).
    pub size: Option<Decimal>,
    pub entry_time: Option<DateTime<Utc>>,
    /// The ask the buy's pre-trade check read.
    pub entry_quote: Option<Decimal>,
    pub stop_loss_price: Option<Decimal>,
    pub take_profit_price: Option<Decimal>,
    /// Volume-weighted average of the exchange's average prices of the sells.
    pub exit_price: Option<Decimal>,
    /// Base units sold (sell fees charged in the base not included).
    pub exit_size: Option<Decimal>,
    /// Proceeds of the sells, as the exchange reported their costs.
    pub exit_value: Option<Decimal>,
    /// Quote cash paid as fees on the sells (a base fee is counted in the
    /// units that left the position instead).
    pub exit_fees: Option<Decimal>,
    pub exit_time: Option<DateTime<Utc>>,
    pub pnl: Option<Decimal>,
    /// Every fee in base or quote, valued in the quote currency.
    pub fees: Decimal,
    /// Fees charged in a third currency (e.g. BNB), not valued in PnL.
    pub other_fees: Vec<Fee>,
    /// A remainder below the exchange's minimum, left when the trade closed.
    pub dust: Option<Decimal>,
    pub order_id: Option<String>,
    pub client_order_id: String,
    pub created_at: DateTime<Utc>,
}

impl TradeRecord {
    /// How much worse (positive) than the quote the entry filled, in basis
    /// points.
    pub fn entry_slippage_bps(&self) -> Option<Decimal> {
        let quote = self.entry_quote.filter(|q| !q.is_zero())?;
        let ratio = self.entry_price?.checked_div(quote)?;
        ratio
            .checked_sub(Decimal::ONE)?
            .checked_mul(Decimal::from(10_000))
            .map(|bps| bps.round_dp(2))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    pub client_order_id: String,
    pub trade_id: String,
    pub side: Side,
    pub symbol: String,
    /// Quote amount for a buy, base amount for a sell.
    pub amount: Decimal,
    /// The price the pre-trade check read (ask for a buy).
    pub quote_price: Option<Decimal>,
    pub status: OrderStatus,
    pub order_id: Option<String>,
    pub error_kind: Option<String>,
    pub error_message: Option<String>,
    pub deadline: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The exchange's fill of one order, as recorded on the order row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillUpdate {
    pub order_id: String,
    pub filled_size: Decimal,
    pub average_price: Decimal,
    pub cost: Decimal,
    /// Every fee, as the exchange reported it.
    pub fees: Vec<Fee>,
    /// The fees in base or quote, valued in quote.
    pub fee_value: Decimal,
    pub quote: String,
    /// How much worse (positive) or better than the quote price it filled,
    /// in basis points, when the quote is known.
    pub slippage_bps: Option<Decimal>,
    pub now: DateTime<Utc>,
    /// Whether the acknowledgement (PLACED) is already recorded; if not,
    /// it is recorded in the fill's own transaction.
    pub acknowledged: bool,
}

/// What a filled buy makes of its trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryValues {
    /// Size held: the filled size, less a fee charged in the base currency.
    pub size: Decimal,
    /// Quote cash paid as fee (part of the cost basis).
    pub entry_fee: Decimal,
    /// Cost plus the quote fee: what the position cost.
    pub basis: Decimal,
    /// Every base or quote fee, valued in quote.
    pub fees: Decimal,
    pub other_fees: Vec<Fee>,
}

/// New values of a trade after a sell filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellResult {
    /// The open size the sell was computed from (the claim's guard).
    pub size_before: Decimal,
    pub size: Decimal,
    pub exit_price: Decimal,
    pub exit_size: Decimal,
    pub exit_value: Decimal,
    pub exit_fees: Decimal,
    pub fees: Decimal,
    pub other_fees: Vec<Fee>,
    pub pnl: Decimal,
    pub closed: bool,
    /// A remainder below the minimum order size, closed as dust.
    pub dust: Option<Decimal>,
}
