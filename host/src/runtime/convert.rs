//! Conversions between the current contract's generated types and the
//! host's domain types. A driver is untrusted: every value it returns is
//! size-capped first, then validated, and a malformed one is a `Plugin`
//! error — never a number the host acts on, never text printed whole.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::bindings::current::types as wit;
use crate::domain::{Symbol, amount};
use crate::exchange::{
    Balance, DriverError, DriverInfo, DriverResult, ExchangeState, ExchangeStatus, Fee,
    MarketOrder, MarketRules, MarketStatus, OrderAmount, OrderLookup, OrderReport, OrderState,
    Placement, Side, SigningScheme, Ticker,
};
use crate::text::untrusted;

const MAX_ID_LEN: usize = 128;
const MAX_DECIMAL_LEN: usize = 64;
const MAX_DECIMALS: u8 = 18;
const MAX_FEES: usize = 16;
const MAX_PATHS: usize = 64;
/// Largest result a driver may hand back, all its text together.
pub const MAX_RESULT_BYTES: usize = 1 << 20;
/// Longest driver message kept (errors, status messages).
pub const MAX_MESSAGE_LEN: usize = 500;

fn bad(what: &str, detail: impl std::fmt::Display) -> DriverError {
    DriverError::Plugin(format!("driver returned an invalid {what}: {detail}"))
}

/// The first check on any result: its text is within the size cap.
pub fn within_cap(operation: &str, bytes: usize) -> DriverResult<()> {
    if bytes > MAX_RESULT_BYTES {
        return Err(DriverError::Plugin(format!(
            "driver {operation} returned {bytes} bytes, above the host's result size cap of {MAX_RESULT_BYTES}"
        )));
    }
    Ok(())
}

/// A decimal the driver reported: plain notation, never negative.
fn decimal(what: &str, text: &str) -> DriverResult<Decimal> {
    if text.is_empty()
        || text.len() > MAX_DECIMAL_LEN
        || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        return Err(bad(
            what,
            format!(
                "{:?} is not a non-negative plain decimal",
                untrusted(text, 40)
            ),
        ));
    }
    Decimal::from_str(text).map_err(|e| bad(what, format!("{:?}: {e}", untrusted(text, 40))))
}

fn id(what: &str, text: String) -> DriverResult<String> {
    if text.is_empty() || text.len() > MAX_ID_LEN || !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad(what, format!("{:?}", untrusted(&text, 40))));
    }
    Ok(text)
}

fn symbol(text: &str) -> DriverResult<Symbol> {
    if text.len() > MAX_ID_LEN {
        return Err(bad("symbol", format!("{:?}", untrusted(text, 40))));
    }
    Symbol::parse(text).map_err(|e| bad("symbol", untrusted(&e.message, 120)))
}

fn message(text: String) -> String {
    untrusted(&text, MAX_MESSAGE_LEN)
}

pub fn driver_info(raw: wit::DriverInfo) -> DriverResult<DriverInfo> {
    let size = raw.exchange_id.len()
        + raw.driver_version.len()
        + raw.default_base_url.len()
        + raw.request_paths.iter().map(String::len).sum::<usize>();
    within_cap("info", size)?;
    if raw.request_paths.len() > MAX_PATHS
        || raw.request_paths.iter().any(|p| p.len() > 256)
        || raw.default_base_url.len() > 256
    {
        return Err(bad("driver info", "too many or too long request paths"));
    }
    Ok(DriverInfo {
        exchange_id: id("exchange id", raw.exchange_id)?,
        driver_version: id("driver version", raw.driver_version)?,
        signing: match raw.signing {
            wit::SigningScheme::None => SigningScheme::None,
            wit::SigningScheme::KrakenHmacSha512 => SigningScheme::KrakenHmacSha512,
            wit::SigningScheme::BinanceHmacSha256 => SigningScheme::BinanceHmacSha256,
        },
        default_base_url: untrusted(&raw.default_base_url, 256),
        request_paths: raw.request_paths,
    })
}

fn rules_size(raw: &wit::MarketRules) -> usize {
    raw.symbol.len()
        + raw.pair_id.len()
        + raw.base.len()
        + raw.quote.len()
        + raw.min_size.len()
        + raw.min_cost.len()
}

pub fn market_rules(raw: wit::MarketRules, asked: &Symbol) -> DriverResult<MarketRules> {
    within_cap("market_rules", rules_size(&raw))?;
    let symbol = symbol(&raw.symbol)?;
    if &symbol != asked {
        return Err(bad(
            "market rules",
            format!("asked for {asked}, got rules for {symbol}"),
        ));
    }
    if raw.size_decimals > MAX_DECIMALS || raw.price_decimals > MAX_DECIMALS {
        return Err(bad("market rules", "more than 18 decimals"));
    }
    Ok(MarketRules {
        symbol,
        pair_id: id("pair id", raw.pair_id)?,
        min_size: decimal("minimum size", &raw.min_size)?,
        min_cost: decimal("minimum cost", &raw.min_cost)?,
        size_decimals: u32::from(raw.size_decimals),
        price_decimals: u32::from(raw.price_decimals),
        status: match raw.status {
            wit::MarketStatus::Online => MarketStatus::Online,
            wit::MarketStatus::CancelOnly => MarketStatus::CancelOnly,
            wit::MarketStatus::PostOnly => MarketStatus::PostOnly,
            wit::MarketStatus::LimitOnly => MarketStatus::LimitOnly,
            wit::MarketStatus::ReduceOnly => MarketStatus::ReduceOnly,
            wit::MarketStatus::Maintenance => MarketStatus::Maintenance,
            wit::MarketStatus::Delisted => MarketStatus::Delisted,
        },
    })
}

fn ticker_size(raw: &wit::Ticker) -> usize {
    raw.symbol.len() + raw.bid.len() + raw.ask.len() + raw.last.len()
}

pub fn ticker(raw: wit::Ticker, asked: &Symbol) -> DriverResult<Ticker> {
    within_cap("ticker", ticker_size(&raw))?;
    let ticker = Ticker {
        symbol: symbol(&raw.symbol)?,
        bid: decimal("bid", &raw.bid)?,
        ask: decimal("ask", &raw.ask)?,
        last: decimal("last price", &raw.last)?,
    };
    if &ticker.symbol != asked {
        return Err(bad(
            "ticker",
            format!("asked for {asked}, got {}", ticker.symbol),
        ));
    }
    if ticker.bid.is_zero() || ticker.ask.is_zero() || ticker.ask < ticker.bid {
        return Err(bad(
            "ticker",
            format!("bid {} / ask {}", ticker.bid, ticker.ask),
        ));
    }
    Ok(ticker)
}

pub fn tickers(raw: Vec<wit::Ticker>, asked: &[Symbol]) -> DriverResult<Vec<Ticker>> {
    within_cap("tickers", raw.iter().map(ticker_size).sum())?;
    if raw.len() != asked.len() {
        return Err(bad(
            "ticker list",
            format!("{} tickers for {} symbols", raw.len(), asked.len()),
        ));
    }
    raw.into_iter()
        .zip(asked)
        .map(|(raw, asked)| ticker(raw, asked))
        .collect()
}

pub fn balances(raw: Vec<wit::Balance>) -> DriverResult<Vec<Balance>> {
    if raw.len() > super::limits::MAX_LIST_ITEMS {
        return Err(bad("balance list", format!("{} entries", raw.len())));
    }
    within_cap(
        "balances",
        raw.iter()
            .map(|b| b.currency.len() + b.total.len() + b.available.len())
            .sum(),
    )?;
    raw.into_iter()
        .map(|b| {
            Ok(Balance {
                currency: id("currency", b.currency)?,
                total: decimal("balance", &b.total)?,
                available: decimal("available balance", &b.available)?,
            })
        })
        .collect()
}

pub fn exchange_status(raw: wit::ExchangeStatus) -> DriverResult<ExchangeStatus> {
    within_cap("status", raw.message.as_ref().map_or(0, String::len))?;
    Ok(ExchangeStatus {
        state: match raw.state {
            wit::ExchangeState::Online => ExchangeState::Online,
            wit::ExchangeState::Maintenance => ExchangeState::Maintenance,
            wit::ExchangeState::CancelOnly => ExchangeState::CancelOnly,
            wit::ExchangeState::PostOnly => ExchangeState::PostOnly,
        },
        message: raw.message.map(message),
    })
}

fn side(side: Side) -> wit::Side {
    match side {
        Side::Buy => wit::Side::Buy,
        Side::Sell => wit::Side::Sell,
    }
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn market_order(order: &MarketOrder) -> wit::MarketOrder {
    wit::MarketOrder {
        client_order_id: order.client_order_id.clone(),
        symbol: order.symbol.to_string(),
        side: side(order.side),
        deadline: order.deadline.map(time),
        amount: match order.amount {
            OrderAmount::Quote(q) => wit::OrderAmount::Quote(amount::to_plain(q)),
            OrderAmount::Base(b) => wit::OrderAmount::Base(amount::to_plain(b)),
        },
        quote_price: order.quote_price.map(amount::to_plain),
    }
}

pub fn order_lookup(lookup: &OrderLookup) -> wit::OrderLookup {
    wit::OrderLookup {
        order_id: lookup.order_id.clone(),
        client_order_id: lookup.client_order_id.clone(),
        symbol: lookup.symbol.to_string(),
        side: side(lookup.side),
        sent_at: lookup
            .sent_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }
}

fn report_size(raw: &wit::OrderReport) -> usize {
    raw.order_id.len()
        + raw.client_order_id.as_ref().map_or(0, String::len)
        + raw.symbol.len()
        + raw.filled_size.len()
        + raw.average_price.len()
        + raw.cost.len()
        + raw
            .fees
            .iter()
            .map(|f| f.amount.len() + f.currency.len())
            .sum::<usize>()
}

pub fn placed_order(raw: wit::PlacedOrder) -> DriverResult<Placement> {
    within_cap(
        "place_market_order",
        raw.order_id.len() + raw.fill.as_ref().map_or(0, report_size),
    )?;
    Ok(Placement {
        order_id: id("order id", raw.order_id)?,
        fill: raw.fill.map(order_report).transpose()?,
    })
}

pub fn order_report(raw: wit::OrderReport) -> DriverResult<OrderReport> {
    within_cap("order report", report_size(&raw))?;
    if raw.fees.len() > MAX_FEES {
        return Err(bad("fee list", format!("{} entries", raw.fees.len())));
    }
    Ok(OrderReport {
        order_id: id("order id", raw.order_id)?,
        client_order_id: raw
            .client_order_id
            .map(|c| id("client order id", c))
            .transpose()?,
        symbol: symbol(&raw.symbol)?,
        side: match raw.side {
            wit::Side::Buy => Side::Buy,
            wit::Side::Sell => Side::Sell,
        },
        state: match raw.state {
            wit::OrderState::Pending => OrderState::Pending,
            wit::OrderState::Open => OrderState::Open,
            wit::OrderState::Closed => OrderState::Closed,
            wit::OrderState::Canceled => OrderState::Canceled,
            wit::OrderState::Expired => OrderState::Expired,
        },
        filled_size: decimal("filled size", &raw.filled_size)?,
        average_price: decimal("average price", &raw.average_price)?,
        cost: decimal("cost", &raw.cost)?,
        fees: raw
            .fees
            .into_iter()
            .map(|f| {
                Ok(Fee {
                    amount: decimal("fee", &f.amount)?,
                    currency: id("fee currency", f.currency)?.to_ascii_uppercase(),
                })
            })
            .collect::<DriverResult<_>>()?,
    })
}

pub fn driver_error(raw: wit::DriverError) -> DriverError {
    match raw {
        wit::DriverError::InsufficientFunds(m) => DriverError::InsufficientFunds(message(m)),
        wit::DriverError::InvalidSymbol(m) => DriverError::InvalidSymbol(message(m)),
        wit::DriverError::BelowMinimum(m) => DriverError::BelowMinimum(message(m)),
        wit::DriverError::OrderRejected(m) => DriverError::OrderRejected(message(m)),
        wit::DriverError::RateLimited(m) => DriverError::RateLimited(message(m)),
        wit::DriverError::Unavailable(m) => DriverError::Unavailable(message(m)),
        wit::DriverError::Auth(m) => DriverError::Auth(message(m)),
        wit::DriverError::NotFound(m) => DriverError::NotFound(message(m)),
        wit::DriverError::UnknownOutcome(m) => DriverError::UnknownOutcome(message(m)),
        wit::DriverError::InvalidRequest(m) => DriverError::InvalidRequest(message(m)),
    }
}
