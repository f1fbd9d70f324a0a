//! The exported operations as pure functions over `Http`, so every flow
//! runs natively against canned answers. Each call starts from nothing (a
//! fresh instance per call); AssetPairs is re-asked every time and the
//! host's cache (`cache-seconds`) makes that cheap.

use crate::errors;
use crate::num;
use crate::requests::{self, Req};
use crate::responses::{self, Failure, Pair, RawOrders};
use crate::symbols::{self, Market};
use crate::time;
use crate::tradehost::exchange::log::Level;
use crate::tradehost::exchange::types::{
    Balance, DriverError, DriverInfo, ExchangeStatus, MarketOrder, MarketRules, MarketStatus,
    OrderLookup, OrderReport, PlacedOrder, Side, SigningScheme, Ticker,
};
use driver_kit::http::{Http, OpKind, error_line, transport_error, unique};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::value::RawValue;

/// Sends `req` and parses a 200 answer; every other outcome is mapped by
/// `errors` according to `kind`.
fn call<T>(
    http: &impl Http,
    kind: OpKind,
    req: &Req,
    parse: impl FnOnce(&str) -> Result<T, Failure>,
) -> Result<T, DriverError> {
    match http.send(req) {
        Err(failure) => Err(transport_error(kind, &failure)),
        Ok((200, body)) => parse(&body).map_err(|f| errors::from_failure(kind, f)),
        Ok((status, body)) => Err(errors::from_status(kind, status, &body)),
    }
}

pub fn info() -> DriverInfo {
    DriverInfo {
        exchange_id: "kraken".into(),
        driver_version: env!("CARGO_PKG_VERSION").into(),
        signing: SigningScheme::KrakenHmacSha512,
        default_base_url: "https://api.kraken.com".into(),
        request_paths: requests::PATHS.iter().map(ToString::to_string).collect(),
    }
}

fn pairs(http: &impl Http) -> Result<Vec<Pair>, DriverError> {
    call(
        http,
        OpKind::Read,
        &requests::asset_pairs(),
        responses::asset_pairs,
    )
}

fn market(http: &impl Http, symbol: &str) -> Result<Market, DriverError> {
    symbols::resolve(&pairs(http)?, symbol)
}

fn quote(http: &impl Http, m: &Market) -> Result<responses::Quote, DriverError> {
    call(http, OpKind::Read, &requests::ticker(&m.id), |body| {
        responses::ticker(body, &m.id)
    })
}

pub fn market_rules(http: &impl Http, symbol: &str) -> Result<MarketRules, DriverError> {
    let m = market(http, symbol)?;
    Ok(MarketRules {
        symbol: m.symbol,
        pair_id: m.id,
        base: m.base,
        quote: m.quote,
        min_size: num::fmt(m.ordermin),
        min_cost: num::fmt(m.costmin),
        size_decimals: m.lot_decimals,
        price_decimals: m.pair_decimals,
        status: m.status,
    })
}

pub fn ticker(http: &impl Http, symbol: &str) -> Result<Ticker, DriverError> {
    let m = market(http, symbol)?;
    let q = quote(http, &m)?;
    Ok(Ticker {
        symbol: m.symbol,
        bid: num::fmt(q.bid),
        ask: num::fmt(q.ask),
        last: num::fmt(q.last),
    })
}

/// Tickers of several markets from one Ticker request (`pair=A,B,…`), in
/// the order asked. Every symbol is resolved first: an unknown one fails
/// the call before the Ticker request.
pub fn tickers(http: &impl Http, symbols: &[String]) -> Result<Vec<Ticker>, DriverError> {
    if symbols.is_empty() {
        return Ok(Vec::new());
    }
    let pairs = pairs(http)?;
    let markets = symbols
        .iter()
        .map(|s| symbols::resolve(&pairs, s))
        .collect::<Result<Vec<Market>, DriverError>>()?;
    // Each pair once in the request, even if asked twice.
    let ids = unique(markets.iter().map(|m| m.id.as_str()));
    let quotes = call(http, OpKind::Read, &requests::tickers(&ids), |body| {
        responses::tickers(body, &ids)
    })?;
    markets
        .iter()
        .map(|m| {
            // `quotes` holds one quote per id, in the order of `ids`.
            let q = ids
                .iter()
                .position(|id| *id == m.id)
                .and_then(|i| quotes.get(i))
                .ok_or_else(|| DriverError::Unavailable(format!("no quote for {}", m.id)))?;
            Ok(Ticker {
                symbol: m.symbol.clone(),
                bid: num::fmt(q.bid),
                ask: num::fmt(q.ask),
                last: num::fmt(q.last),
            })
        })
        .collect()
}

pub fn balances(http: &impl Http) -> Result<Vec<Balance>, DriverError> {
    call(
        http,
        OpKind::Read,
        &requests::balance_ex(),
        responses::balances,
    )
}

pub fn status(http: &impl Http) -> Result<ExchangeStatus, DriverError> {
    call(
        http,
        OpKind::Read,
        &requests::system_status(),
        responses::system_status,
    )
}

/// Volume of a market buy spending `spend` quote units at `ask`: spend /
/// ask, rounded down to the pair's lot decimals, so at the quoted ask it
/// never costs more than asked. (Kraken's `oflags=viqc` would take a quote
/// volume, but QueryOrders is then ambiguous about the units of `vol`, and
/// the result could not be checked against `ordermin` beforehand.) A fill
/// worse than the ask still costs more: that is market-order slippage.
fn buy_volume(m: &Market, spend: Decimal, ask: Decimal) -> Result<Decimal, DriverError> {
    if ask <= Decimal::ZERO {
        return Err(DriverError::Unavailable(format!(
            "kraken quotes no ask for {}",
            m.symbol
        )));
    }
    let too_large = || DriverError::InvalidRequest(format!("amount {spend} is out of range"));
    let volume = spend
        .checked_div(ask)
        .ok_or_else(too_large)?
        .round_dp_with_strategy(u32::from(m.lot_decimals), RoundingStrategy::ToZero);
    let cost = volume.checked_mul(ask).ok_or_else(too_large)?;
    if volume.is_zero() || volume < m.ordermin || cost < m.costmin {
        return Err(DriverError::BelowMinimum(format!(
            "{spend} {} buys {} {} at ask {}; kraken's minimum is {} {} and {} {}",
            m.quote,
            num::fmt(volume),
            m.base,
            num::fmt(ask),
            num::fmt(m.ordermin),
            m.base,
            num::fmt(m.costmin),
            m.quote
        )));
    }
    Ok(volume)
}

fn sell_volume(m: &Market, volume: Decimal) -> Result<Decimal, DriverError> {
    if num::frac_digits(volume) > u32::from(m.lot_decimals) {
        return Err(DriverError::InvalidRequest(format!(
            "{} {} has more than {} decimals",
            num::fmt(volume),
            m.base,
            m.lot_decimals
        )));
    }
    if volume < m.ordermin {
        return Err(DriverError::BelowMinimum(format!(
            "{} {} is below kraken's minimum of {} {}",
            num::fmt(volume),
            m.base,
            num::fmt(m.ordermin),
            m.base
        )));
    }
    Ok(volume)
}

/// Places a market order. Every check happens before AddOrder, and every
/// failure before AddOrder is sent is a plain read failure (nothing was
/// placed); only AddOrder's own outcome can be `unknown-outcome`. A buy is
/// sized at `order.quote-price` (the ask the host's pre-trade check read)
/// when given, and only otherwise at a freshly fetched ask; a sell needs
/// no price. Kraken's AddOrder answer carries no fill, so `fill` is none.
pub fn place_market_order(
    http: &impl Http,
    order: &MarketOrder,
) -> Result<PlacedOrder, DriverError> {
    let amount = driver_kit::order::market_amount(order)?;
    if order.client_order_id.is_empty() {
        return Err(DriverError::InvalidRequest("empty client order id".into()));
    }
    // Only a buy needs a price; a sell ignores it rather than fail on it.
    let quote_price = match (order.side, &order.quote_price) {
        (Side::Buy, Some(p)) => Some(
            num::parse_amount(p)
                .map_err(|e| DriverError::InvalidRequest(format!("quote price: {e}")))?,
        ),
        _ => None,
    };
    let m = market(http, &order.symbol)?;
    if m.status != MarketStatus::Online {
        return Err(DriverError::Unavailable(format!(
            "kraken pair {} is {:?}; order not sent",
            m.id, m.status
        )));
    }
    let volume = match (order.side, quote_price) {
        (Side::Buy, Some(ask)) => buy_volume(&m, amount, ask)?,
        (Side::Buy, None) => buy_volume(&m, amount, quote(http, &m)?.ask)?,
        (Side::Sell, _) => sell_volume(&m, amount)?,
    };
    let volume = num::fmt(volume);
    let req = requests::add_order(
        &m.id,
        order.side,
        &volume,
        &order.client_order_id,
        order.deadline.as_deref(),
    );
    let outcome = call(http, OpKind::Place, &req, responses::add_order);
    let side = match order.side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    };
    let what = format!(
        "kraken AddOrder {side} {volume} {} cl_ord_id={}",
        m.id,
        num::clip(&order.client_order_id)
    );
    let result = match &outcome {
        Ok(txid) => format!("placed {}", num::clip(txid)),
        Err(e) => error_line(e),
    };
    http.log(Level::Info, &format!("{what}: {result}"));
    outcome.map(|order_id| PlacedOrder {
        order_id,
        fill: None,
    })
}

fn report(http: &impl Http, txid: &str, raw: &RawValue) -> Result<OrderReport, DriverError> {
    let pairs = pairs(http)?;
    responses::report(txid, raw, &pairs).map_err(|f| errors::from_failure(OpKind::Read, f))
}

/// The order by its Kraken id (QueryOrders); the lookup must carry it.
pub fn query_order(http: &impl Http, lookup: &OrderLookup) -> Result<OrderReport, DriverError> {
    let order_id = lookup.order_id.as_deref().ok_or_else(|| {
        DriverError::InvalidRequest(format!(
            "no kraken order id to query for {}",
            num::clip(&lookup.client_order_id)
        ))
    })?;
    // A comma would make QueryOrders look up several orders.
    if order_id.is_empty() || order_id.contains(',') {
        return Err(DriverError::InvalidRequest(format!(
            "not a kraken order id: {}",
            num::clip(order_id)
        )));
    }
    let orders = call(
        http,
        OpKind::Read,
        &requests::query_orders(order_id),
        responses::query_orders,
    )?;
    let raw = orders
        .get(order_id)
        .ok_or_else(|| DriverError::NotFound(format!("kraken has no order {order_id}")))?;
    report(http, order_id, raw)
}

/// The first order carrying `client_order_id`. Kraken filters already; the
/// check guards against a filter it ignored. An unreadable entry fails the
/// lookup: it might be the order sought, and "none" lets the host re-send.
fn matching<'a>(
    orders: &'a RawOrders,
    client_order_id: &str,
) -> Result<Option<(&'a str, &'a RawValue)>, DriverError> {
    for (txid, raw) in orders {
        let id = responses::cl_ord_id(raw).map_err(|f| errors::from_failure(OpKind::Read, f))?;
        if id.as_deref() == Some(client_order_id) {
            return Ok(Some((txid, raw)));
        }
    }
    Ok(None)
}

/// ClosedOrders is searched from this long before the host sent the order:
/// its clock and Kraken's may differ, and `start` is exclusive.
pub const CLOSED_SEARCH_MARGIN_SECONDS: i64 = 60;

/// Pages of ClosedOrders read at most per lookup.
pub const MAX_CLOSED_PAGES: u32 = 20;
/// Orders per ClosedOrders page.
pub const CLOSED_PAGE_SIZE: u64 = 50;

/// The order by its client order id: OpenOrders, then ClosedOrders from
/// shortly before `lookup.sent-at`, page by page. None only when every
/// page was read: a lookup that cannot finish fails instead, since "none"
/// lets the host send the order again.
pub fn find_order(
    http: &impl Http,
    lookup: &OrderLookup,
) -> Result<Option<OrderReport>, DriverError> {
    let client_order_id = lookup.client_order_id.as_str();
    // Without a filter value Kraken would list every order.
    if client_order_id.is_empty() {
        return Err(DriverError::InvalidRequest("empty client order id".into()));
    }
    let sent = time::unix_seconds(&lookup.sent_at)
        .map_err(|e| DriverError::InvalidRequest(format!("sent-at: {e}")))?;
    let start = sent - CLOSED_SEARCH_MARGIN_SECONDS;
    let open = call(
        http,
        OpKind::Read,
        &requests::open_orders(client_order_id),
        responses::open_orders,
    )?;
    if let Some((txid, raw)) = matching(&open, client_order_id)? {
        return report(http, txid, raw).map(Some);
    }
    let mut ofs: u64 = 0;
    for _ in 0..MAX_CLOSED_PAGES {
        let page = call(
            http,
            OpKind::Read,
            &requests::closed_orders(client_order_id, start, ofs),
            responses::closed_orders,
        )?;
        if let Some((txid, raw)) = matching(&page.orders, client_order_id)? {
            return report(http, txid, raw).map(Some);
        }
        // Kraken pages 50 orders at a time, and may filter a page after
        // paging it: an empty page ends the search only when no `count`
        // says more remain.
        ofs = ofs
            .checked_add(CLOSED_PAGE_SIZE)
            .ok_or_else(|| DriverError::Unavailable("ClosedOrders offset overflow".into()))?;
        match page.count {
            Some(count) if ofs >= count => return Ok(None),
            None if page.orders.is_empty() => return Ok(None),
            _ => {}
        }
    }
    Err(DriverError::Unavailable(format!(
        "kraken ClosedOrders: {client_order_id} not in the first {MAX_CLOSED_PAGES} pages \
         since {start}; more remain",
        client_order_id = num::clip(client_order_id)
    )))
}
