//! Kraken response bodies: the `{"error": [...], "result": ...}` envelope,
//! serde models of each result, and their conversion into WIT records.
//! Every money field goes through `num::Dec` (string or number, exact).

use crate::num::{self, Dec, Text};
use crate::symbols;
use crate::tradehost::exchange::types::{
    Balance, ExchangeState, ExchangeStatus, Fee, OrderReport, OrderState, Side,
};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// Why a 200 body did not yield a result; `errors` decides what it means
/// for the operation at hand.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// Kraken answered with error strings.
    Kraken(Vec<String>),
    /// The body is not what Kraken sends on success.
    Malformed(String),
    /// An order names a pair that AssetPairs no longer lists.
    UnknownPair(String),
}

fn malformed(what: impl std::fmt::Display) -> Failure {
    Failure::Malformed(num::clip(&what.to_string()))
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    error: Option<Vec<String>>,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
}

/// Unwraps the envelope. Warnings ("W…") alone are not failures; errors
/// win over any result (Kraken may send `"result": {}` or null with them).
pub fn envelope(body: &str) -> Result<&RawValue, Failure> {
    let env: Envelope =
        serde_json::from_str(body).map_err(|e| malformed(format!("not a kraken envelope: {e}")))?;
    let errors: Vec<String> = env
        .error
        .unwrap_or_default()
        .into_iter()
        .filter(|e| !e.starts_with('W'))
        .collect();
    if !errors.is_empty() {
        return Err(Failure::Kraken(errors));
    }
    env.result
        .ok_or_else(|| malformed("no result and no error"))
}

fn result<T: DeserializeOwned>(body: &str) -> Result<T, Failure> {
    let raw = envelope(body)?;
    serde_json::from_str(raw.get()).map_err(|e| malformed(format!("unexpected result: {e}")))
}

/// Reads a field as `T`, or none when it is absent, null or of another type:
/// one odd field must not hide a whole AssetPairs entry.
fn lenient<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    let raw = Box::<RawValue>::deserialize(d)?;
    Ok(serde_json::from_str(raw.get()).ok())
}

/// One AssetPairs entry; `symbols::market` insists on the needed fields.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Pair {
    /// The AssetPairs key, filled in after parsing.
    #[serde(skip)]
    pub id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub altname: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub wsname: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub base: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub quote: Option<String>,
    #[serde(default, deserialize_with = "lenient_dec")]
    pub ordermin: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient_dec")]
    pub costmin: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient")]
    pub lot_decimals: Option<u8>,
    #[serde(default, deserialize_with = "lenient")]
    pub pair_decimals: Option<u8>,
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<String>,
}

fn lenient_dec<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    Ok(lenient::<D, Dec>(d)?.map(|d| d.0))
}

/// AssetPairs result: entries that are not objects are skipped, but an
/// answer without a single pair is refused (it would make every symbol
/// look invalid).
pub fn asset_pairs(body: &str) -> Result<Vec<Pair>, Failure> {
    let map: BTreeMap<String, Box<RawValue>> = result(body)?;
    let pairs: Vec<Pair> = map
        .into_iter()
        .filter_map(|(id, raw)| {
            let pair: Pair = serde_json::from_str(raw.get()).ok()?;
            Some(Pair { id, ..pair })
        })
        .collect();
    if pairs.is_empty() {
        return Err(malformed("AssetPairs lists no pair"));
    }
    Ok(pairs)
}

/// Prices of one pair.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quote {
    pub ask: Decimal,
    pub bid: Decimal,
    pub last: Decimal,
}

/// Only the fields used: a = ask [price, whole lot volume, lot volume],
/// b = bid [...], c = last trade [price, lot volume].
#[derive(Deserialize)]
struct PairTicker {
    a: Vec<Dec>,
    b: Vec<Dec>,
    c: Vec<Dec>,
}

/// Ticker result for one pair, keyed by pair id: the asked id, else the
/// only key.
pub fn ticker(body: &str, pair_id: &str) -> Result<Quote, Failure> {
    let mut quotes = tickers(body, &[pair_id])?;
    quotes.pop().ok_or_else(|| malformed("empty"))
}

/// Ticker result for several pairs, one quote per asked id in the order
/// asked. Every id must have its entry; only when a single id is asked
/// does a single entry under another key stand in for it.
pub fn tickers(body: &str, pair_ids: &[&str]) -> Result<Vec<Quote>, Failure> {
    let map: BTreeMap<String, PairTicker> = result(body)?;
    let only = match (pair_ids, map.len()) {
        ([_], 1) => map.values().next(),
        _ => None,
    };
    pair_ids
        .iter()
        .map(|id| {
            let entry = map
                .get(*id)
                .or(only)
                .ok_or_else(|| malformed(format!("Ticker has no entry for {id}")))?;
            quote_of(entry)
        })
        .collect()
}

fn quote_of(entry: &PairTicker) -> Result<Quote, Failure> {
    let first = |v: &[Dec], what: &str| {
        v.first()
            .map(|d| d.0)
            .ok_or_else(|| malformed(format!("Ticker {what} is empty")))
    };
    Ok(Quote {
        ask: first(&entry.a, "ask")?,
        bid: first(&entry.b, "bid")?,
        last: first(&entry.c, "last")?,
    })
}

#[derive(Deserialize)]
struct BalanceEx {
    balance: Dec,
    #[serde(default)]
    hold_trade: Option<Dec>,
}

/// BalanceEx: total = balance, available = balance − hold_trade (credit is
/// ignored, as ccxt does), floored at 0. Ids that normalise to one code
/// are summed so the host never sees a currency twice.
pub fn balances(body: &str) -> Result<Vec<Balance>, Failure> {
    let map: BTreeMap<String, BalanceEx> = result(body)?;
    let mut sums: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    let overflow = || malformed("balance out of range");
    for (asset, b) in map {
        let hold = b.hold_trade.map_or(Decimal::ZERO, |h| h.0);
        let available = b
            .balance
            .0
            .checked_sub(hold)
            .ok_or_else(overflow)?
            .max(Decimal::ZERO);
        let entry = sums.entry(symbols::currency(&asset)).or_default();
        entry.0 = entry.0.checked_add(b.balance.0).ok_or_else(overflow)?;
        entry.1 = entry.1.checked_add(available).ok_or_else(overflow)?;
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

#[derive(Deserialize)]
struct SystemStatus {
    status: String,
    #[serde(default)]
    timestamp: Option<String>,
}

/// SystemStatus. limit_only/reduce_only (not documented for SystemStatus,
/// but pair statuses) map to post-only: no market orders, cancels work.
/// Anything else unknown is maintenance.
pub fn system_status(body: &str) -> Result<ExchangeStatus, Failure> {
    let s: SystemStatus = result(body)?;
    let state = match s.status.as_str() {
        "online" => ExchangeState::Online,
        "cancel_only" => ExchangeState::CancelOnly,
        "post_only" | "limit_only" | "reduce_only" => ExchangeState::PostOnly,
        _ => ExchangeState::Maintenance,
    };
    let status = num::clip(&s.status);
    let message = match s.timestamp {
        Some(ts) => format!("{status} at {}", num::clip(&ts)),
        None => status,
    };
    Ok(ExchangeStatus {
        state,
        message: Some(message),
    })
}

#[derive(Deserialize)]
struct Added {
    #[serde(default)]
    txid: Option<Vec<String>>,
}

/// AddOrder: the first txid. No txid (e.g. a validate-only answer) is not
/// proof of placement, so it is malformed.
pub fn add_order(body: &str) -> Result<String, Failure> {
    let first = |added: Added| {
        added
            .txid
            .and_then(|ids| ids.into_iter().next())
            .filter(|id| !id.is_empty())
    };
    match result::<Added>(body) {
        Ok(added) => first(added).ok_or_else(|| malformed("AddOrder answer has no txid")),
        // Errors next to a txid contradict each other: not a certain rejection.
        Err(Failure::Kraken(errors)) => {
            let txid = serde_json::from_str::<Envelope>(body)
                .ok()
                .and_then(|env| env.result)
                .and_then(|raw| serde_json::from_str::<Added>(raw.get()).ok())
                .and_then(first);
            match txid {
                Some(txid) => Err(malformed(format!(
                    "AddOrder answer has errors {errors:?} and txid {txid}"
                ))),
                None => Err(Failure::Kraken(errors)),
            }
        }
        Err(other) => Err(other),
    }
}

/// Orders keyed by txid, each left raw: only the ones we report are parsed
/// fully, so an exotic unrelated order cannot break a lookup.
pub type RawOrders = BTreeMap<String, Box<RawValue>>;

/// QueryOrders result: `{ "<txid>": order }`.
pub fn query_orders(body: &str) -> Result<RawOrders, Failure> {
    result(body)
}

#[derive(Deserialize)]
struct OpenList {
    open: RawOrders,
}

#[derive(Deserialize)]
struct ClosedList {
    closed: RawOrders,
    #[serde(default)]
    count: Option<Text>,
}

/// One page of ClosedOrders.
#[derive(Debug)]
pub struct ClosedPage {
    pub orders: RawOrders,
    /// How many orders match in all pages; none when Kraken left it out.
    pub count: Option<u64>,
}

/// OpenOrders result: `{"open": {...}}`. The key is required: reading a
/// missing list as empty could make a live order look absent.
pub fn open_orders(body: &str) -> Result<RawOrders, Failure> {
    result::<OpenList>(body).map(|l| l.open)
}

/// ClosedOrders result: `{"closed": {...}, "count": n}` (count a number
/// or a string). A count that is present but unreadable is refused.
pub fn closed_orders(body: &str) -> Result<ClosedPage, Failure> {
    let list = result::<ClosedList>(body)?;
    let count = match list.count {
        None => None,
        Some(Text(text)) => Some(
            text.parse::<u64>()
                .map_err(|_| malformed(format!("ClosedOrders count {}", num::clip(&text))))?,
        ),
    };
    Ok(ClosedPage {
        orders: list.closed,
        count,
    })
}

#[derive(Deserialize)]
struct ClOrdId {
    #[serde(default)]
    cl_ord_id: Option<Text>,
}

/// The order's client id; a body we cannot read is an error, never "none".
pub fn cl_ord_id(raw: &RawValue) -> Result<Option<String>, Failure> {
    serde_json::from_str::<ClOrdId>(raw.get())
        .map(|c| c.cl_ord_id.map(|t| t.0))
        .map_err(|e| malformed(format!("unreadable order: {e}")))
}

#[derive(Deserialize)]
struct Descr {
    pair: String,
    #[serde(rename = "type")]
    side: String,
}

#[derive(Deserialize)]
struct Order {
    status: String,
    descr: Descr,
    vol_exec: Dec,
    cost: Dec,
    fee: Dec,
    /// Average fill price (not the limit price).
    price: Dec,
    #[serde(default)]
    oflags: Option<String>,
    #[serde(default)]
    cl_ord_id: Option<Text>,
}

/// Quote altnames tried, longest first, when an order's pair is no longer
/// listed (delisted since it was placed).
const QUOTES: &[&str] = &[
    "USDT", "USDC", "USD", "EUR", "GBP", "CAD", "JPY", "AUD", "CHF", "XBT", "ETH", "DAI",
];

fn names(pairs: &[Pair], altname: &str) -> Result<(String, String, String), Failure> {
    if let Some(names) = symbols::by_altname(pairs, altname) {
        return Ok(names);
    }
    QUOTES
        .iter()
        .find_map(|q| {
            altname
                .strip_suffix(q)
                .filter(|b| !b.is_empty())
                .map(|b| (b, *q))
        })
        .map(|(b, q)| {
            let (base, quote) = (symbols::currency(b), symbols::currency(q));
            (format!("{base}/{quote}"), base, quote)
        })
        .ok_or_else(|| Failure::UnknownPair(num::clip(altname)))
}

/// One Kraken order as an order report.
pub fn report(txid: &str, raw: &RawValue, pairs: &[Pair]) -> Result<OrderReport, Failure> {
    let o: Order = serde_json::from_str(raw.get())
        .map_err(|e| malformed(format!("unreadable order {txid}: {e}")))?;
    let state = match o.status.as_str() {
        "pending" => OrderState::Pending,
        "open" => OrderState::Open,
        "closed" => OrderState::Closed,
        "canceled" => OrderState::Canceled,
        "expired" => OrderState::Expired,
        other => return Err(malformed(format!("order {txid} has status {other}"))),
    };
    let side = match o.descr.side.as_str() {
        "buy" => Side::Buy,
        "sell" => Side::Sell,
        other => return Err(malformed(format!("order {txid} has type {other}"))),
    };
    let (symbol, base, quote) = names(pairs, &o.descr.pair)?;
    let fcib = o
        .oflags
        .as_deref()
        .unwrap_or("")
        .split(',')
        .any(|f| f.trim() == "fcib");
    let filled = o.vol_exec.0;
    Ok(OrderReport {
        order_id: txid.to_string(),
        client_order_id: o.cl_ord_id.map(|t| t.0),
        symbol,
        side,
        state,
        filled_size: num::fmt(filled),
        // Kraken's `price` is the average fill price; "0" when nothing filled.
        average_price: num::fmt(if filled > Decimal::ZERO {
            o.price.0
        } else {
            Decimal::ZERO
        }),
        cost: num::fmt(o.cost.0),
        // Kraken reports one total fee, in the quote currency unless the
        // order asked for the base (`fcib`). Our orders send `fciq`.
        fees: vec![Fee {
            amount: num::fmt(o.fee.0),
            currency: if fcib { base } else { quote },
        }],
    })
}
