//! The exported operations as pure functions over `Http`, so every flow
//! runs natively against canned answers. Each call starts from nothing (a
//! fresh instance per call); exchangeInfo is asked every time (for the
//! symbols at hand only) and the host's cache (`cache-seconds`) makes that
//! cheap.
//!
//! What the host can rely on:
//! - The order request is exactly `symbol, side, type=MARKET,
//!   quoteOrderQty|quantity, newClientOrderId, newOrderRespType=FULL`, in
//!   that order, in the form of a signed POST. `symbol` is the entry whose
//!   `baseAsset`/`quoteAsset` equal the order's BASE/QUOTE (exactly, else
//!   ignoring ASCII case). `quoteOrderQty` is the quote amount cut down to
//!   `quoteAssetPrecision`; `quantity` is the base amount unchanged (or
//!   refused). Both are plain decimals without trailing zeros.
//! - `ticker.last` is the best bid; an empty side of a book is an error.
//! - Fees are exact sums of Binance's commissions per asset (no rounding),
//!   in order of first appearance, zero sums left out. `average-price` is
//!   cummulativeQuoteQty / executedQty rounded half-even to 12 places.
//! - An order answer with a readable `orderId` for the request's symbol and
//!   client id proves placement: the result is `placed-order` even when
//!   the rest cannot be read, with `fill: none` (the host then queries).

use crate::errors;
use crate::num;
use crate::requests::{self, Req, Size};
use crate::responses::{self, Ack, Failure, Fill, Listing, Order, Quote};
use crate::symbols::{self, Market};
use crate::tradehost::exchange::log::Level;
use crate::tradehost::exchange::types::{
    Balance, DriverError, DriverInfo, ExchangeState, ExchangeStatus, MarketOrder, MarketRules,
    MarketStatus, OrderLookup, OrderReport, PlacedOrder, Side, SigningScheme, Ticker,
};
use driver_kit::http::{Http, HttpFailure, OpKind, error_line, transport_error, unique};
use rust_decimal::Decimal;

/// Longest log line written for an order attempt.
pub const LOG_LINE: usize = 400;

/// Maps an answer: 200 is parsed, everything else goes through `errors`
/// according to `kind`.
fn answer<T>(
    kind: OpKind,
    sent: Result<(u16, String), HttpFailure>,
    parse: impl FnOnce(&str) -> Result<T, Failure>,
) -> Result<T, DriverError> {
    match sent {
        Err(failure) => Err(transport_error(kind, &failure)),
        Ok((200, body)) => parse(&body).map_err(|f| errors::from_failure(kind, f)),
        Ok((status, body)) => Err(errors::from_status(kind, status, &body)),
    }
}

/// Sends `req` and maps its answer.
fn call<T>(
    http: &impl Http,
    kind: OpKind,
    req: &Req,
    parse: impl FnOnce(&str) -> Result<T, Failure>,
) -> Result<T, DriverError> {
    answer(kind, http.send(req), parse)
}

pub fn info() -> DriverInfo {
    DriverInfo {
        exchange_id: "binance".into(),
        driver_version: env!("CARGO_PKG_VERSION").into(),
        signing: SigningScheme::BinanceHmacSha256,
        default_base_url: "https://api.binance.com".into(),
        request_paths: requests::PATHS.iter().map(ToString::to_string).collect(),
    }
}

/// The exchangeInfo entries that can be these host symbols. Binance's id
/// of BASE/QUOTE is BASEQUOTE; the entry's own `baseAsset`/`quoteAsset`
/// still decide (`symbols::resolve`), so a concatenation that means another
/// split is never taken for this one. An id Binance does not list is its
/// -1121, `invalid-symbol`.
fn listings(http: &impl Http, symbols: &[&str]) -> Result<Vec<Listing>, DriverError> {
    let candidates = symbols
        .iter()
        .map(|s| symbols::candidate_id(s))
        .collect::<Result<Vec<String>, _>>()?;
    let ids = unique(candidates.iter().map(String::as_str));
    call(
        http,
        OpKind::Read,
        &requests::exchange_info(&ids),
        responses::exchange_info,
    )
}

fn market(http: &impl Http, symbol: &str) -> Result<Market, DriverError> {
    symbols::resolve(&listings(http, &[symbol])?, symbol)
}

pub fn market_rules(http: &impl Http, symbol: &str) -> Result<MarketRules, DriverError> {
    market(http, symbol).map(|m| m.rules())
}

/// A ticker from a book quote. `last` is the best bid: the price a market
/// sell (what a stop-loss sends) would get now, read exactly, with no
/// extra request (Binance's last trade price is a second endpoint). An
/// empty side of the book is `unavailable`, never a price of 0.
fn to_ticker(m: &Market, q: &Quote) -> Result<Ticker, DriverError> {
    if q.id != m.id {
        return Err(DriverError::Unavailable(format!(
            "binance bookTicker answered for {} instead of {}",
            num::clip(&q.id),
            m.id
        )));
    }
    if q.bid.is_zero() || q.ask.is_zero() {
        return Err(DriverError::Unavailable(format!(
            "binance book of {} is empty (bid {}, ask {})",
            m.id,
            num::fmt(q.bid),
            num::fmt(q.ask)
        )));
    }
    Ok(Ticker {
        symbol: m.symbol.clone(),
        bid: num::fmt(q.bid),
        ask: num::fmt(q.ask),
        last: num::fmt(q.bid),
    })
}

pub fn ticker(http: &impl Http, symbol: &str) -> Result<Ticker, DriverError> {
    let m = market(http, symbol)?;
    let q = call(
        http,
        OpKind::Read,
        &requests::book_ticker(&m.id),
        responses::book_ticker,
    )?;
    to_ticker(&m, &q)
}

/// One bookTicker request for every symbol (each asked once), answered in
/// the order asked. Any symbol unknown, or missing from the answer, fails
/// the whole call: the WIT has no per-symbol error.
pub fn tickers(http: &impl Http, symbols: &[String]) -> Result<Vec<Ticker>, DriverError> {
    if symbols.is_empty() {
        return Ok(Vec::new());
    }
    let asked: Vec<&str> = symbols.iter().map(String::as_str).collect();
    let listings = listings(http, &asked)?;
    let markets = symbols
        .iter()
        .map(|s| symbols::resolve(&listings, s))
        .collect::<Result<Vec<_>, _>>()?;
    let ids = unique(markets.iter().map(|m| m.id.as_str()));
    let quotes = call(
        http,
        OpKind::Read,
        &requests::book_tickers(&ids),
        responses::book_tickers,
    )?;
    markets
        .iter()
        .map(|m| {
            let q = quotes.iter().find(|q| q.id == m.id).ok_or_else(|| {
                DriverError::Unavailable(format!("binance bookTicker has no entry for {}", m.id))
            })?;
            to_ticker(m, q)
        })
        .collect()
}

pub fn balances(http: &impl Http) -> Result<Vec<Balance>, DriverError> {
    call(
        http,
        OpKind::Read,
        &requests::account(),
        responses::balances,
    )
}

/// Binance has no system-status endpoint on /api/v3: a 200 ping is
/// `online`, and anything else is an error per the table in `errors`.
pub fn status(http: &impl Http) -> Result<ExchangeStatus, DriverError> {
    call(http, OpKind::Read, &requests::ping(), responses::ping)?;
    Ok(ExchangeStatus {
        state: ExchangeState::Online,
        message: None,
    })
}

/// Binance's client order id charset, `^[a-zA-Z0-9-_]{1,36}$`. The host's
/// ids (36-char UUIDs with dashes) pass unchanged.
pub fn is_client_order_id(id: &str) -> bool {
    (1..=36).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `quoteOrderQty` of a buy: the quote amount cut (never rounded up) to
/// the quote asset's precision.
fn buy_quote(m: &Market, spend: Decimal) -> Result<String, DriverError> {
    let quote = num::round_down(spend, m.quote_decimals);
    if quote.is_zero() || quote < m.min_cost {
        return Err(DriverError::BelowMinimum(format!(
            "{} {} (at {} decimals: {}) is below binance's minimum order value of {} {} on {}",
            num::fmt(spend),
            m.quote,
            m.quote_decimals,
            num::fmt(quote),
            num::fmt(m.min_cost),
            m.quote,
            m.id
        )));
    }
    Ok(num::fmt(quote))
}

/// `quantity` of a sell, refused rather than rounded: the host sells what
/// it holds, and a silently smaller sell would leave dust behind.
fn sell_quantity(m: &Market, volume: Decimal) -> Result<String, DriverError> {
    let shown = num::fmt(volume);
    if num::frac_digits(volume) > u32::from(m.size_decimals) {
        return Err(DriverError::InvalidRequest(format!(
            "{shown} {} has more than the {} decimals {} allows",
            m.base, m.size_decimals, m.id
        )));
    }
    if let Some(step) = m.steps.iter().find(|s| !num::is_multiple(volume, **s)) {
        return Err(DriverError::InvalidRequest(format!(
            "{shown} {} is not a multiple of {}'s step {}",
            m.base,
            m.id,
            num::fmt(*step)
        )));
    }
    if volume < m.min_size {
        return Err(DriverError::BelowMinimum(format!(
            "{shown} {} is below binance's minimum of {} {} on {}",
            m.base,
            num::fmt(m.min_size),
            m.base,
            m.id
        )));
    }
    if !m.max_size.is_zero() && volume > m.max_size {
        return Err(DriverError::InvalidRequest(format!(
            "{shown} {} is above binance's maximum of {} {} on {}",
            m.base,
            num::fmt(m.max_size),
            m.base,
            m.id
        )));
    }
    Ok(shown)
}

/// The order report of a FULL answer, or why there is none. The answer's
/// fills must cover its executed quantity; otherwise the host is left to
/// query the order rather than be told a wrong fee.
fn fill_report(m: &Market, details: Result<Order, Failure>) -> Result<OrderReport, String> {
    let why = |Failure::Malformed(w)| w;
    let order = details.map_err(why)?;
    let fills = order.fills.as_deref().ok_or("answer has no fills")?;
    let (fees, qty) = responses::fees(fills).map_err(why)?;
    if qty != order.executed_qty.0 {
        return Err(format!(
            "fills sum to {} but executedQty is {}",
            num::fmt(qty),
            num::fmt(order.executed_qty.0)
        ));
    }
    responses::report(&order, &m.symbol, fees).map_err(why)
}

/// The placement outcome from an acknowledgement. An answer about another
/// symbol or client order id contradicts the request: unknown outcome.
fn placed(
    m: &Market,
    order: &MarketOrder,
    ack: Ack,
    details: Result<Order, Failure>,
) -> Result<(PlacedOrder, String), DriverError> {
    if ack.symbol != m.id
        || ack
            .client_order_id
            .as_ref()
            .is_some_and(|id| *id != order.client_order_id)
    {
        return Err(DriverError::UnknownOutcome(format!(
            "binance answered orderId {} for {} / {}, not {} / {}",
            num::clip(&ack.order_id.0),
            num::clip(&ack.symbol),
            num::clip(ack.client_order_id.as_deref().unwrap_or("")),
            m.id,
            order.client_order_id
        )));
    }
    let order_id = ack.order_id.0;
    let (fill, note) = match fill_report(m, details) {
        Ok(r) => {
            let note = format!(
                "placed orderId={order_id} state={:?} executedQty={} cummulativeQuoteQty={} fees={}",
                r.state,
                r.filled_size,
                r.cost,
                r.fees
                    .iter()
                    .map(|f| format!("{} {}", f.amount, f.currency))
                    .collect::<Vec<_>>()
                    .join(" + ")
            );
            (Some(r), note)
        }
        Err(why) => (
            None,
            format!("placed orderId={order_id}, no fill report: {why}"),
        ),
    };
    Ok((PlacedOrder { order_id, fill }, note))
}

/// Places a market order. Every check happens before POST /api/v3/order,
/// and every failure before it is sent is a plain read failure (nothing
/// was placed); only the order request's own outcome can be
/// `unknown-outcome`. `deadline` and `quote-price` are not used: the host
/// bounds execution time through `recvWindow`, and Binance sizes a buy by
/// `quoteOrderQty` itself.
pub fn place_market_order(
    http: &impl Http,
    order: &MarketOrder,
) -> Result<PlacedOrder, DriverError> {
    let amount = driver_kit::order::market_amount(order)?;
    if !is_client_order_id(&order.client_order_id) {
        return Err(DriverError::InvalidRequest(format!(
            "binance takes 1 to 36 of [A-Za-z0-9_-] as a client order id, not {}",
            num::clip(&order.client_order_id)
        )));
    }
    let m = market(http, &order.symbol)?;
    // A sell needs MARKET orders; a buy also needs them by quoteOrderQty.
    let accepted = match order.side {
        Side::Buy => m.status == MarketStatus::Online,
        Side::Sell => m.exchange_status == "TRADING" && m.market_orders,
    };
    if !accepted {
        let why = if m.exchange_status != "TRADING" {
            format!("is {}", m.exchange_status)
        } else if !m.market_orders {
            "takes no MARKET orders".into()
        } else {
            "takes no MARKET orders by quoteOrderQty".into()
        };
        return Err(DriverError::Unavailable(format!(
            "binance symbol {} {why}; order not sent",
            m.id
        )));
    }
    let (side, size_name, size) = match order.side {
        Side::Buy => ("BUY", "quoteOrderQty", buy_quote(&m, amount)?),
        Side::Sell => ("SELL", "quantity", sell_quantity(&m, amount)?),
    };
    let req = requests::new_order(
        &m.id,
        order.side,
        match order.side {
            Side::Buy => Size::Quote(&size),
            Side::Sell => Size::Base(&size),
        },
        &order.client_order_id,
    );
    let outcome = call(http, OpKind::Place, &req, responses::placed)
        .and_then(|(ack, details)| placed(&m, order, ack, details));
    let what = format!(
        "binance POST {} {side} {} {size_name}={size} newClientOrderId={}",
        requests::ORDER,
        m.id,
        order.client_order_id
    );
    let (level, result) = match &outcome {
        Ok((_, note)) => (Level::Info, note.clone()),
        Err(e) => (Level::Warn, error_line(e)),
    };
    http.log(level, &num::clip_to(&format!("{what}: {result}"), LOG_LINE));
    outcome.map(|(placed, _)| placed)
}

/// GET /api/v3/order: the order, or none on -2013 ("Order does not
/// exist."). Every other failure is an error, never none.
fn order_lookup(http: &impl Http, req: &Req) -> Result<Option<Order>, DriverError> {
    let sent = http.send(req);
    if let Ok((status, body)) = &sent
        && (400..500).contains(status)
        && responses::api_error(body).is_some_and(|e| e.code == -2013)
    {
        return Ok(None);
    }
    answer(OpKind::Read, sent, responses::order).map(Some)
}

/// The report of a queried order, its fees from myTrades. Nothing executed
/// means no fee and no myTrades request. The trades must cover the
/// executed quantity (myTrades can lag just after a fill: `unavailable`,
/// try again), unless a full page came back: `limit` is not on the host's
/// allow-list, so the fees of the first 500 trades are all there is.
fn report(http: &impl Http, m: &Market, o: &Order) -> Result<OrderReport, DriverError> {
    let unreadable = |f| errors::from_failure(OpKind::Read, f);
    let executed = o.executed_qty.0;
    let fees = if executed > Decimal::ZERO {
        let trades = call(
            http,
            OpKind::Read,
            &requests::my_trades(&m.id, &o.order_id.0),
            responses::my_trades,
        )?;
        let full_page = trades.len() >= requests::MY_TRADES_PAGE;
        let mine: Vec<Fill> = trades
            .into_iter()
            .filter(|t| t.order_id.as_ref().is_some_and(|id| id.0 == o.order_id.0))
            .collect();
        let (fees, qty) = responses::fees(&mine).map_err(unreadable)?;
        if qty != executed && !(full_page && qty < executed) {
            return Err(DriverError::Unavailable(format!(
                "binance myTrades lists {} of the {} executed for order {} on {}",
                num::fmt(qty),
                num::fmt(executed),
                o.order_id.0,
                m.id
            )));
        }
        if qty != executed {
            http.log(
                Level::Warn,
                &format!(
                    "binance order {} on {}: fees of the first {} trades only ({} of {} executed)",
                    o.order_id.0,
                    m.id,
                    requests::MY_TRADES_PAGE,
                    num::fmt(qty),
                    num::fmt(executed)
                ),
            );
        }
        fees
    } else {
        Vec::new()
    };
    responses::report(o, &m.symbol, fees).map_err(unreadable)
}

/// An answer about another order than the one asked is unreadable.
fn check_answer(m: &Market, o: &Order, matches: bool, asked: &str) -> Result<(), DriverError> {
    if o.symbol == m.id && matches {
        return Ok(());
    }
    Err(DriverError::Unavailable(format!(
        "binance answered order {} ({}) on {} when asked for {asked} on {}",
        num::clip(&o.order_id.0),
        num::clip(o.client_order_id.as_deref().unwrap_or("")),
        num::clip(&o.symbol),
        m.id
    )))
}

pub fn query_order(http: &impl Http, lookup: &OrderLookup) -> Result<OrderReport, DriverError> {
    let order_id = match lookup.order_id.as_deref() {
        Some(id) if responses::is_order_id(id) => id,
        other => {
            return Err(DriverError::InvalidRequest(format!(
                "not a binance order id: {}",
                num::clip(other.unwrap_or("(none)"))
            )));
        }
    };
    let m = market(http, &lookup.symbol)?;
    let o = order_lookup(http, &requests::query_order(&m.id, order_id))?.ok_or_else(|| {
        DriverError::NotFound(format!("binance has no order {order_id} on {}", m.id))
    })?;
    check_answer(
        &m,
        &o,
        o.order_id.0 == order_id,
        &format!("orderId {order_id}"),
    )?;
    report(http, &m, &o)
}

pub fn find_order(
    http: &impl Http,
    lookup: &OrderLookup,
) -> Result<Option<OrderReport>, DriverError> {
    let id = &lookup.client_order_id;
    if !is_client_order_id(id) {
        return Err(DriverError::InvalidRequest(format!(
            "not a binance client order id: {}",
            num::clip(id)
        )));
    }
    let m = market(http, &lookup.symbol)?;
    let Some(o) = order_lookup(http, &requests::find_order(&m.id, id))? else {
        return Ok(None);
    };
    let matches = o.client_order_id.as_deref() == Some(id.as_str());
    check_answer(&m, &o, matches, &format!("clientOrderId {id}"))?;
    report(http, &m, &o).map(Some)
}
