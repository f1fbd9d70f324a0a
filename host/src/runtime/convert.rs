//! Conversions between generated WIT types and the host's domain types.
//! A driver is untrusted: every value it returns is validated here, and a
//! malformed one is a `Plugin` error, never a number the host acts on.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::bindings::types as wit;
use crate::domain::{Symbol, amount};
use crate::exchange::{
    Balance, DriverError, DriverInfo, DriverResult, ExchangeState, ExchangeStatus, MarketOrder,
    MarketRules, MarketStatus, OrderAmount, OrderReport, OrderState, Side, SigningScheme, Ticker,
};

const MAX_ID_LEN: usize = 128;
const MAX_DECIMALS: u8 = 18;

fn bad(what: &str, detail: impl std::fmt::Display) -> DriverError {
    DriverError::Plugin(format!("driver returned an invalid {what}: {detail}"))
}

/// A decimal the driver reported: plain notation, never negative.
fn decimal(what: &str, text: &str) -> DriverResult<Decimal> {
    if text.is_empty() || text.len() > 64 || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        return Err(bad(
            what,
            format!("{text:?} is not a non-negative plain decimal"),
        ));
    }
    Decimal::from_str(text).map_err(|e| bad(what, format!("{text:?}: {e}")))
}

fn id(what: &str, text: String) -> DriverResult<String> {
    if text.is_empty() || text.len() > MAX_ID_LEN || !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad(what, format!("{text:?}")));
    }
    Ok(text)
}

pub fn driver_info(raw: wit::DriverInfo) -> DriverResult<DriverInfo> {
    if raw.request_paths.len() > 64
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
        },
        default_base_url: raw.default_base_url,
        request_paths: raw.request_paths,
    })
}

pub fn market_rules(raw: wit::MarketRules) -> DriverResult<MarketRules> {
    let symbol = Symbol::parse(&raw.symbol).map_err(|e| bad("symbol", e))?;
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

pub fn ticker(raw: wit::Ticker) -> DriverResult<Ticker> {
    let ticker = Ticker {
        bid: decimal("bid", &raw.bid)?,
        ask: decimal("ask", &raw.ask)?,
        last: decimal("last price", &raw.last)?,
    };
    if ticker.bid.is_zero() || ticker.ask.is_zero() || ticker.ask < ticker.bid {
        return Err(bad(
            "ticker",
            format!("bid {} / ask {}", ticker.bid, ticker.ask),
        ));
    }
    Ok(ticker)
}

pub fn balances(raw: Vec<wit::Balance>) -> DriverResult<Vec<Balance>> {
    if raw.len() > super::limits::MAX_LIST_ITEMS {
        return Err(bad("balance list", format!("{} entries", raw.len())));
    }
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
    Ok(ExchangeStatus {
        state: match raw.state {
            wit::ExchangeState::Online => ExchangeState::Online,
            wit::ExchangeState::Maintenance => ExchangeState::Maintenance,
            wit::ExchangeState::CancelOnly => ExchangeState::CancelOnly,
            wit::ExchangeState::PostOnly => ExchangeState::PostOnly,
        },
        message: raw.message,
    })
}

pub fn market_order(order: &MarketOrder) -> wit::MarketOrder {
    wit::MarketOrder {
        client_order_id: order.client_order_id.clone(),
        symbol: order.symbol.to_string(),
        side: match order.side {
            Side::Buy => wit::Side::Buy,
            Side::Sell => wit::Side::Sell,
        },
        deadline: order
            .deadline
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        amount: match order.amount {
            OrderAmount::Quote(q) => wit::OrderAmount::Quote(amount::to_plain(q)),
            OrderAmount::Base(b) => wit::OrderAmount::Base(amount::to_plain(b)),
        },
    }
}

pub fn placed_order(raw: wit::PlacedOrder) -> DriverResult<String> {
    id("order id", raw.order_id)
}

pub fn order_report(raw: wit::OrderReport) -> DriverResult<OrderReport> {
    Ok(OrderReport {
        order_id: id("order id", raw.order_id)?,
        client_order_id: raw.client_order_id,
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
        fee: decimal("fee", &raw.fee)?,
        fee_currency: id("fee currency", raw.fee_currency)?,
    })
}

pub fn driver_error(raw: wit::DriverError) -> DriverError {
    // Messages come from untrusted code: keep them short and printable.
    let clean = |m: String| -> String { m.chars().filter(|c| !c.is_control()).take(500).collect() };
    match raw {
        wit::DriverError::InsufficientFunds(m) => DriverError::InsufficientFunds(clean(m)),
        wit::DriverError::InvalidSymbol(m) => DriverError::InvalidSymbol(clean(m)),
        wit::DriverError::BelowMinimum(m) => DriverError::BelowMinimum(clean(m)),
        wit::DriverError::OrderRejected(m) => DriverError::OrderRejected(clean(m)),
        wit::DriverError::RateLimited(m) => DriverError::RateLimited(clean(m)),
        wit::DriverError::Unavailable(m) => DriverError::Unavailable(clean(m)),
        wit::DriverError::Auth(m) => DriverError::Auth(clean(m)),
        wit::DriverError::NotFound(m) => DriverError::NotFound(clean(m)),
        wit::DriverError::UnknownOutcome(m) => DriverError::UnknownOutcome(clean(m)),
        wit::DriverError::InvalidRequest(m) => DriverError::InvalidRequest(clean(m)),
    }
}
