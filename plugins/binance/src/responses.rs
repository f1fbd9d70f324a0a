//! Binance response bodies: serde models of each answer and their
//! conversion into WIT records. Binance answers 200 with the bare result
//! and 4xx with `{"code": -1121, "msg": "Invalid symbol."}`; every money
//! field goes through `num::Dec` (exact), and every sum or quotient of
//! exchange values is checked.

use crate::num::{self, Dec, Text};
use crate::tradehost::exchange::types::{Balance, Fee, OrderReport, OrderState, Side};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// Why a 200 body did not yield a result; `errors` decides what that means
/// for the operation at hand.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// The body is not what Binance sends on success.
    Malformed(String),
}

pub fn malformed(what: impl std::fmt::Display) -> Failure {
    Failure::Malformed(num::clip(&what.to_string()))
}

fn parse<T: DeserializeOwned>(body: &str, what: &str) -> Result<T, Failure> {
    serde_json::from_str(body).map_err(|e| malformed(format!("unexpected {what}: {e}")))
}

/// Binance's error body, as sent with a 4xx status.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ApiError {
    pub code: i64,
    #[serde(default)]
    pub msg: String,
}

/// The error a non-200 body carries, if it is Binance's error shape.
pub fn api_error(body: &str) -> Option<ApiError> {
    serde_json::from_str(body).ok()
}

/// Reads a field as `T`, or none when it is absent, null or of another
/// type: one odd field must not hide a whole exchangeInfo entry.
fn lenient<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    let raw = Box::<RawValue>::deserialize(d)?;
    Ok(serde_json::from_str(raw.get()).ok())
}

// ---------------------------------------------------------------- ping

/// `GET /api/v3/ping` answers `{}`; any JSON object will do, but not an
/// HTML page a proxy answered with 200.
pub fn ping(body: &str) -> Result<(), Failure> {
    parse::<serde_json::Map<String, serde_json::Value>>(body, "ping answer").map(|_| ())
}

// ---------------------------------------------------------- exchangeInfo

/// One exchangeInfo symbol: its names, read eagerly, and the rest of the
/// entry left raw (`symbol_info` reads it when the symbol is the one asked).
#[derive(Clone, Debug)]
pub struct Listing {
    /// The exchange's symbol, e.g. "BTCUSDT".
    pub id: String,
    pub base: String,
    pub quote: String,
    pub raw: Box<RawValue>,
}

#[derive(Deserialize)]
struct Info {
    symbols: Vec<Box<RawValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Names {
    symbol: String,
    base_asset: String,
    quote_asset: String,
}

/// exchangeInfo: every entry with a symbol, base and quote asset. Odd
/// entries are skipped, but an answer without a single symbol is refused
/// (it would make every symbol look invalid).
pub fn exchange_info(body: &str) -> Result<Vec<Listing>, Failure> {
    let info: Info = parse(body, "exchangeInfo")?;
    let listings: Vec<Listing> = info
        .symbols
        .into_iter()
        .filter_map(|raw| {
            let n: Names = serde_json::from_str(raw.get()).ok()?;
            let named = [&n.symbol, &n.base_asset, &n.quote_asset]
                .iter()
                .all(|s| !s.is_empty());
            named.then_some(Listing {
                id: n.symbol,
                base: n.base_asset,
                quote: n.quote_asset,
                raw,
            })
        })
        .collect();
    if listings.is_empty() {
        return Err(malformed("exchangeInfo lists no symbol"));
    }
    Ok(listings)
}

/// The fields of an exchangeInfo entry the driver uses. Absent optional
/// fields are read as the restrictive choice by `symbols::market`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SymbolInfo {
    pub status: String,
    #[serde(default, deserialize_with = "lenient")]
    pub base_asset_precision: Option<u32>,
    #[serde(default, deserialize_with = "lenient")]
    pub quote_asset_precision: Option<u32>,
    /// Deprecated duplicate of `quoteAssetPrecision`.
    #[serde(default, deserialize_with = "lenient")]
    pub quote_precision: Option<u32>,
    #[serde(default, deserialize_with = "lenient")]
    pub order_types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient")]
    pub quote_order_qty_market_allowed: Option<bool>,
    #[serde(skip)]
    pub filters: Filters,
}

/// LOT_SIZE and MARKET_LOT_SIZE. Each value "0" means that part is off.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LotSize {
    pub min_qty: Dec,
    pub max_qty: Dec,
    pub step_size: Dec,
}

#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceFilter {
    pub tick_size: Dec,
}

/// Legacy MIN_NOTIONAL.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MinNotional {
    pub min_notional: Dec,
    pub apply_to_market: bool,
}

/// NOTIONAL (the current filter; MIN_NOTIONAL is often absent).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notional {
    pub min_notional: Dec,
    pub apply_min_to_market: bool,
}

/// The filters the driver reads; other filter types are ignored.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Filters {
    pub price: Option<PriceFilter>,
    pub lot_size: Option<LotSize>,
    pub market_lot_size: Option<LotSize>,
    pub min_notional: Option<MinNotional>,
    pub notional: Option<Notional>,
}

#[derive(Deserialize)]
struct FilterType {
    #[serde(rename = "filterType")]
    filter_type: String,
}

#[derive(Deserialize)]
struct RawFilters {
    filters: Vec<Box<RawValue>>,
}

fn read_filter<T: DeserializeOwned>(
    slot: &mut Option<T>,
    raw: &RawValue,
    kind: &str,
) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("two {kind} filters"));
    }
    let filter = serde_json::from_str(raw.get()).map_err(|e| format!("{kind} filter: {e}"))?;
    *slot = Some(filter);
    Ok(())
}

/// The full entry. A known filter that cannot be read makes the entry
/// unusable (its rules would be wrong), unlike an unknown filter type.
pub fn symbol_info(raw: &RawValue) -> Result<SymbolInfo, String> {
    let mut info: SymbolInfo = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
    let list: RawFilters = serde_json::from_str(raw.get()).map_err(|e| format!("filters: {e}"))?;
    let f = &mut info.filters;
    for raw in &list.filters {
        let kind = serde_json::from_str::<FilterType>(raw.get())
            .map_err(|e| format!("filter without a type: {e}"))?
            .filter_type;
        match kind.as_str() {
            "PRICE_FILTER" => read_filter(&mut f.price, raw, &kind)?,
            "LOT_SIZE" => read_filter(&mut f.lot_size, raw, &kind)?,
            "MARKET_LOT_SIZE" => read_filter(&mut f.market_lot_size, raw, &kind)?,
            "MIN_NOTIONAL" => read_filter(&mut f.min_notional, raw, &kind)?,
            "NOTIONAL" => read_filter(&mut f.notional, raw, &kind)?,
            _ => {}
        }
    }
    Ok(info)
}

// ------------------------------------------------------------ bookTicker

/// Best bid and ask of one symbol.
#[derive(Clone, Debug, PartialEq)]
pub struct Quote {
    pub id: String,
    pub bid: Decimal,
    pub ask: Decimal,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BookTicker {
    symbol: String,
    bid_price: Dec,
    ask_price: Dec,
}

impl BookTicker {
    fn quote(self) -> Result<Quote, Failure> {
        let check = |d: Dec, what: &str| num::non_negative(d.0, what).map_err(malformed);
        Ok(Quote {
            bid: check(self.bid_price, "bidPrice")?,
            ask: check(self.ask_price, "askPrice")?,
            id: self.symbol,
        })
    }
}

/// bookTicker with `symbol`: one object.
pub fn book_ticker(body: &str) -> Result<Quote, Failure> {
    parse::<BookTicker>(body, "bookTicker")?.quote()
}

/// bookTicker with `symbols`: an array, in no promised order.
pub fn book_tickers(body: &str) -> Result<Vec<Quote>, Failure> {
    parse::<Vec<BookTicker>>(body, "bookTicker list")?
        .into_iter()
        .map(BookTicker::quote)
        .collect()
}

// --------------------------------------------------------------- account

#[derive(Deserialize)]
struct Account {
    balances: Vec<AssetBalance>,
}

#[derive(Deserialize)]
struct AssetBalance {
    asset: String,
    free: Dec,
    locked: Dec,
}

/// Account balances: total = free + locked, available = free. Binance's
/// asset codes are the unified codes. An asset listed twice (never seen)
/// is summed so the host never sees a currency twice.
pub fn balances(body: &str) -> Result<Vec<Balance>, Failure> {
    let account: Account = parse(body, "account")?;
    let mut sums: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    let overflow = || malformed("balance out of range");
    for b in account.balances {
        if b.asset.is_empty() {
            return Err(malformed("balance without an asset"));
        }
        let free = num::non_negative(b.free.0, "free").map_err(malformed)?;
        let locked = num::non_negative(b.locked.0, "locked").map_err(malformed)?;
        let total = free.checked_add(locked).ok_or_else(overflow)?;
        let entry = sums.entry(b.asset).or_default();
        entry.0 = entry.0.checked_add(total).ok_or_else(overflow)?;
        entry.1 = entry.1.checked_add(free).ok_or_else(overflow)?;
    }
    Ok(sums
        .into_iter()
        .map(|(currency, (total, available))| Balance {
            currency,
            total: num::fmt(total),
            available: num::fmt(available),
        })
        .collect())
}

// ---------------------------------------------------------------- orders

/// What proves an order exists: the fields of even an ACK answer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ack {
    pub symbol: String,
    pub order_id: Text,
    #[serde(default)]
    pub client_order_id: Option<String>,
}

/// One fill of a FULL answer, or one trade of myTrades (which also names
/// its order).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fill {
    pub qty: Dec,
    pub commission: Dec,
    pub commission_asset: String,
    #[serde(default)]
    pub order_id: Option<Text>,
}

/// An order as GET /api/v3/order and the FULL/RESULT answers describe it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub symbol: String,
    pub order_id: Text,
    #[serde(default)]
    pub client_order_id: Option<String>,
    pub status: String,
    pub side: String,
    pub executed_qty: Dec,
    pub cummulative_quote_qty: Dec,
    /// Only in a FULL answer.
    #[serde(default)]
    pub fills: Option<Vec<Fill>>,
}

/// An order id is Binance's integer `orderId`, as its decimal digits.
pub fn is_order_id(id: &str) -> bool {
    (1..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

fn ack(body: &str) -> Result<Ack, Failure> {
    let ack: Ack = parse(body, "order answer")?;
    if !is_order_id(&ack.order_id.0) {
        return Err(malformed(format!("orderId {}", num::clip(&ack.order_id.0))));
    }
    Ok(ack)
}

/// POST /api/v3/order: the acknowledgement, which alone proves placement,
/// and separately the order's details, which may fail to read without
/// casting doubt on the placement.
pub fn placed(body: &str) -> Result<(Ack, Result<Order, Failure>), Failure> {
    let ack = ack(body)?;
    Ok((ack, parse(body, "order details")))
}

/// GET /api/v3/order.
pub fn order(body: &str) -> Result<Order, Failure> {
    ack(body)?;
    parse(body, "order")
}

/// GET /api/v3/myTrades: an array of trades.
pub fn my_trades(body: &str) -> Result<Vec<Fill>, Failure> {
    parse(body, "myTrades")
}

/// Commissions summed per asset, in the order the assets first appear;
/// assets whose commissions sum to zero are left out (nothing was charged
/// in them). Also returns the summed quantity, so the caller can tell
/// whether the fills cover the whole executed quantity.
pub fn fees(fills: &[Fill]) -> Result<(Vec<Fee>, Decimal), Failure> {
    let overflow = || malformed("commission out of range");
    let mut sums: Vec<(String, Decimal)> = Vec::new();
    let mut qty = Decimal::ZERO;
    for f in fills {
        let commission = num::non_negative(f.commission.0, "commission").map_err(malformed)?;
        let q = num::non_negative(f.qty.0, "qty").map_err(malformed)?;
        qty = qty.checked_add(q).ok_or_else(overflow)?;
        if f.commission_asset.is_empty() {
            if commission.is_zero() {
                continue;
            }
            return Err(malformed("commission without an asset"));
        }
        match sums.iter_mut().find(|(a, _)| *a == f.commission_asset) {
            Some((_, sum)) => *sum = sum.checked_add(commission).ok_or_else(overflow)?,
            None => sums.push((f.commission_asset.clone(), commission)),
        }
    }
    let fees = sums
        .into_iter()
        .filter(|(_, sum)| !sum.is_zero())
        .map(|(currency, sum)| Fee {
            amount: num::fmt(sum),
            currency,
        })
        .collect();
    Ok((fees, qty))
}

/// Decimal places of a reported average price (half-even rounding).
pub const AVERAGE_DECIMALS: u32 = 12;

/// Binance order status → WIT state. PENDING_CANCEL ("currently unused")
/// is still live until the cancel completes.
pub fn order_state(status: &str) -> Option<OrderState> {
    Some(match status {
        "PENDING_NEW" => OrderState::Pending,
        "NEW" | "PARTIALLY_FILLED" | "PENDING_CANCEL" => OrderState::Open,
        "FILLED" => OrderState::Closed,
        "CANCELED" | "REJECTED" => OrderState::Canceled,
        "EXPIRED" | "EXPIRED_IN_MATCH" => OrderState::Expired,
        _ => return None,
    })
}

/// An order as an order report under the unified `symbol`, with `fees`
/// gathered by the caller (from the fills or from myTrades).
pub fn report(o: &Order, symbol: &str, fees: Vec<Fee>) -> Result<OrderReport, Failure> {
    let id = num::clip(&o.order_id.0);
    let state = order_state(&o.status)
        .ok_or_else(|| malformed(format!("order {id} has status {}", o.status)))?;
    let side = match o.side.as_str() {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        other => return Err(malformed(format!("order {id} has side {other}"))),
    };
    let filled = num::non_negative(o.executed_qty.0, "executedQty").map_err(malformed)?;
    // Very old orders may report a negative (unknown) cost: not ours.
    let cost =
        num::non_negative(o.cummulative_quote_qty.0, "cummulativeQuoteQty").map_err(malformed)?;
    let average = if filled.is_zero() {
        Decimal::ZERO
    } else {
        cost.checked_div(filled)
            .ok_or_else(|| malformed(format!("order {id}: average price out of range")))?
            .round_dp_with_strategy(AVERAGE_DECIMALS, RoundingStrategy::MidpointNearestEven)
    };
    Ok(OrderReport {
        order_id: o.order_id.0.clone(),
        client_order_id: o.client_order_id.clone(),
        symbol: symbol.to_string(),
        side,
        state,
        filled_size: num::fmt(filled),
        average_price: num::fmt(average),
        cost: num::fmt(cost),
        fees,
    })
}
