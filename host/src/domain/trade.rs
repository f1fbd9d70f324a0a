//! Positions and orders as the host records them, and the values a fill
//! makes of them. Plain data: `db` stores it, `service` computes it.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::exchange::{Fee, Side};

/// Where a position stands. PENDING, OPEN and CLOSING hold the asset's one
/// position slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeStatus {
    /// Slot reserved, buy order in flight or its outcome not yet known.
    Pending,
    /// Bought: the fill is recorded and the position is held.
    Open,
    /// Sell order in flight or its outcome not yet known.
    Closing,
    /// Nothing left to sell (sold, or only dust remains); the slot is free.
    Closed,
    /// The buy was proven not placed; the slot is free.
    Rejected,
}

impl TradeStatus {
    /// Every status, for parsing the stored spelling back.
    pub const ALL: [TradeStatus; 5] = [
        TradeStatus::Pending,
        TradeStatus::Open,
        TradeStatus::Closing,
        TradeStatus::Closed,
        TradeStatus::Rejected,
    ];

    /// The spelling stored and shown ("OPEN").
    pub fn as_str(self) -> &'static str {
        match self {
            TradeStatus::Pending => "PENDING",
            TradeStatus::Open => "OPEN",
            TradeStatus::Closing => "CLOSING",
            TradeStatus::Closed => "CLOSED",
            TradeStatus::Rejected => "REJECTED",
        }
    }

    /// The stored spelling back; anything else is not a status.
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

/// Why a sell was sent (and so why a trade closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitReason {
    /// A decision: the CLI, `run`, or the API.
    Manual,
    /// The soft stop-loss monitor: the bid fell to the stop.
    StopLoss,
    /// The soft take-profit monitor: the bid rose to the target.
    TakeProfit,
    /// Emergency liquidation of every position.
    Liquidation,
}

impl ExitReason {
    /// Every reason, for parsing the stored spelling back.
    pub const ALL: [ExitReason; 4] = [
        ExitReason::Manual,
        ExitReason::StopLoss,
        ExitReason::TakeProfit,
        ExitReason::Liquidation,
    ];

    /// The spelling stored and shown ("stop_loss").
    pub fn as_str(self) -> &'static str {
        match self {
            ExitReason::Manual => "manual",
            ExitReason::StopLoss => "stop_loss",
            ExitReason::TakeProfit => "take_profit",
            ExitReason::Liquidation => "liquidation",
        }
    }

    /// The stored spelling back; anything else is not a reason.
    pub fn parse(text: &str) -> Option<ExitReason> {
        ExitReason::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// Where one order the host sent stands, as the host knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    /// Written before the request is sent.
    Pending,
    /// The exchange acknowledged it; the fill is not yet recorded.
    Placed,
    /// The fill is recorded.
    Filled,
    /// Proven not placed.
    Rejected,
    /// Sent, answer unknown: must be reconciled, never re-sent.
    Unknown,
}

impl OrderStatus {
    /// Every status, for parsing the stored spelling back.
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::Pending,
        OrderStatus::Placed,
        OrderStatus::Filled,
        OrderStatus::Rejected,
        OrderStatus::Unknown,
    ];

    /// The spelling stored and shown ("FILLED").
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::Placed => "PLACED",
            OrderStatus::Filled => "FILLED",
            OrderStatus::Rejected => "REJECTED",
            OrderStatus::Unknown => "UNKNOWN",
        }
    }

    /// The stored spelling back; anything else is not a status.
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

/// A position as recorded: from the reserved slot through the buy's fill and
/// every sell. Prices and values are in the market's quote currency, sizes
/// in its base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeRecord {
    /// The trade's id.
    pub id: String,
    /// The market, unified ("SOL/USD").
    pub symbol: String,
    /// The base asset: the one position slot is per asset and exchange.
    pub asset: String,
    /// The exchange it trades on (the driver's exchange id).
    pub exchange: String,
    /// Where the position stands.
    pub status: TradeStatus,
    /// The buy's average fill price.
    pub entry_price: Option<Decimal>,
    /// Size acquired: the filled size, less a fee charged in the base.
    pub entry_size: Option<Decimal>,
    /// What the buy's fill cost, as the exchange reported it (fees apart).
    pub entry_cost: Option<Decimal>,
    /// Fee paid in the quote currency to open (part of the cost basis).
    pub entry_fee: Option<Decimal>,
    /// Open size: the entry size less what has been sold (and sell fees
    /// charged in the base).
    pub size: Option<Decimal>,
    /// When the buy's fill was recorded.
    pub entry_time: Option<DateTime<Utc>>,
    /// The ask the buy's pre-trade check read.
    pub entry_quote: Option<Decimal>,
    /// The soft stop-loss: the monitor sells when the bid falls to it.
    pub stop_loss_price: Option<Decimal>,
    /// The soft take-profit: the monitor sells when the bid rises to it.
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
    /// When the latest sell filled (or the trade closed as dust).
    pub exit_time: Option<DateTime<Utc>>,
    /// Realised profit or loss so far, fee-inclusive.
    pub pnl: Option<Decimal>,
    /// Every fee in base or quote, valued in the quote currency.
    pub fees: Decimal,
    /// Fees charged in a third currency (e.g. BNB), not valued in PnL.
    pub other_fees: Vec<Fee>,
    /// A remainder below the exchange's minimum, left when the trade closed.
    pub dust: Option<Decimal>,
    /// Why the sell that closed it was sent.
    pub exit_reason: Option<ExitReason>,
    /// The exchange's id of the buy order, once known.
    pub order_id: Option<String>,
    /// The host's id of the buy order.
    pub client_order_id: String,
    /// When the slot was reserved.
    pub created_at: DateTime<Utc>,
}

impl TradeRecord {
    /// Whether the soft stops close this trade at `bid` (a market sell
    /// fills at about the bid): the stop-loss when the bid has fallen to
    /// it, the take-profit when it has risen to it. Only an open trade
    /// with something to sell is ever closed.
    pub fn exit_trigger(&self, bid: Decimal) -> Option<ExitReason> {
        if self.status != TradeStatus::Open || self.size.is_none_or(|s| s <= Decimal::ZERO) {
            return None;
        }
        if self.stop_loss_price.is_some_and(|stop| bid <= stop) {
            return Some(ExitReason::StopLoss);
        }
        if self.take_profit_price.is_some_and(|target| bid >= target) {
            return Some(ExitReason::TakeProfit);
        }
        None
    }

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

/// One order the host sent (or is about to send), as recorded: written before
/// the request leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// The host's id of the order: the row's key.
    pub client_order_id: String,
    /// The trade it opens or closes.
    pub trade_id: String,
    /// Buy or sell.
    pub side: Side,
    /// The market, unified.
    pub symbol: String,
    /// Quote amount for a buy, base amount for a sell.
    pub amount: Decimal,
    /// The price the pre-trade check read (ask for a buy).
    pub quote_price: Option<Decimal>,
    /// A sell's reason.
    pub exit_reason: Option<ExitReason>,
    /// Where the order stands.
    pub status: OrderStatus,
    /// The exchange's id, once an answer named it.
    pub order_id: Option<String>,
    /// The kind of the failure that rejected it or left it unknown, as spelled
    /// by `ErrorKind::as_str`.
    pub error_kind: Option<String>,
    /// That failure's message.
    pub error_message: Option<String>,
    /// The exchange must not execute the order after this.
    pub deadline: Option<DateTime<Utc>>,
    /// When the row was written, before the request was sent.
    pub created_at: DateTime<Utc>,
}

/// The exchange's fill of one order, as recorded on the order row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillUpdate {
    /// The exchange's id of the order.
    pub order_id: String,
    /// Executed size, in base units.
    pub filled_size: Decimal,
    /// Volume-weighted average fill price.
    pub average_price: Decimal,
    /// Executed value, in quote units.
    pub cost: Decimal,
    /// Every fee, as the exchange reported it.
    pub fees: Vec<Fee>,
    /// The fees in base or quote, valued in quote.
    pub fee_value: Decimal,
    /// The market's quote currency, in which `fee_value` is counted.
    pub quote: String,
    /// How much worse (positive) or better than the quote price it filled,
    /// in basis points, when the quote is known.
    pub slippage_bps: Option<Decimal>,
    /// When the fill is recorded.
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
    /// Fees in a third currency, kept apart and not valued.
    pub other_fees: Vec<Fee>,
}

/// New values of a trade after a sell filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellResult {
    /// The open size the sell was computed from (the claim's guard).
    pub size_before: Decimal,
    /// The open size left.
    pub size: Decimal,
    /// Volume-weighted average price of every sell so far.
    pub exit_price: Decimal,
    /// Base units sold so far.
    pub exit_size: Decimal,
    /// Proceeds of every sell so far.
    pub exit_value: Decimal,
    /// Quote cash paid as fees on every sell so far.
    pub exit_fees: Decimal,
    /// Every base or quote fee of the trade, valued in quote.
    pub fees: Decimal,
    /// Fees in a third currency, kept apart and not valued.
    pub other_fees: Vec<Fee>,
    /// Realised profit or loss so far, fee-inclusive.
    pub pnl: Decimal,
    /// Nothing (or only dust) is left: the trade closes.
    pub closed: bool,
    /// A remainder below the minimum order size, closed as dust.
    pub dust: Option<Decimal>,
    /// Why the sell was sent; recorded on the trade when it closes it.
    pub exit_reason: Option<ExitReason>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trade(
        status: TradeStatus,
        size: &str,
        stop: Option<i64>,
        target: Option<i64>,
    ) -> TradeRecord {
        TradeRecord {
            id: "t".into(),
            symbol: "SOL/USD".into(),
            asset: "SOL".into(),
            exchange: "kraken".into(),
            status,
            entry_price: Some(Decimal::from(100)),
            entry_size: Some(size.parse().unwrap()),
            entry_cost: None,
            entry_fee: None,
            size: Some(size.parse().unwrap()),
            entry_time: None,
            entry_quote: None,
            stop_loss_price: stop.map(Decimal::from),
            take_profit_price: target.map(Decimal::from),
            exit_price: None,
            exit_size: None,
            exit_value: None,
            exit_fees: None,
            exit_time: None,
            pnl: None,
            fees: Decimal::ZERO,
            other_fees: Vec::new(),
            dust: None,
            exit_reason: None,
            order_id: None,
            client_order_id: "c".into(),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn stops_trigger_at_their_prices_on_the_bid() {
        let open = trade(TradeStatus::Open, "1", Some(95), Some(120));
        let at = |bid: i64| open.exit_trigger(Decimal::from(bid));
        assert_eq!(at(96), None);
        assert_eq!(at(95), Some(ExitReason::StopLoss));
        assert_eq!(at(10), Some(ExitReason::StopLoss));
        assert_eq!(at(119), None);
        assert_eq!(at(120), Some(ExitReason::TakeProfit));
        assert_eq!(
            open.exit_trigger("95.00000001".parse().unwrap()),
            None,
            "a hair above the stop is not the stop"
        );
    }

    #[test]
    fn only_an_open_trade_with_a_size_and_a_stop_triggers() {
        for status in [
            TradeStatus::Pending,
            TradeStatus::Closing,
            TradeStatus::Closed,
            TradeStatus::Rejected,
        ] {
            assert_eq!(
                trade(status, "1", Some(95), None).exit_trigger(Decimal::ONE),
                None,
                "{status:?}"
            );
        }
        assert_eq!(
            trade(TradeStatus::Open, "0", Some(95), None).exit_trigger(Decimal::ONE),
            None
        );
        assert_eq!(
            trade(TradeStatus::Open, "1", None, None).exit_trigger(Decimal::ONE),
            None
        );
        assert_eq!(
            trade(TradeStatus::Open, "1", None, Some(120)).exit_trigger(Decimal::from(1000)),
            Some(ExitReason::TakeProfit)
        );
    }
}
