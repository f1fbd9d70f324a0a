//! Drivers built against `tradehost:exchange@0.1.0` keep working: their
//! imports are served by the same host logic as the current contract's,
//! and their results are lifted into the current contract's types, from
//! where `convert` validates them like any other.
//!
//! What 0.1.0 lacks is filled in conservatively: a placement never carries
//! its fill (the host queries it), a report's single fee becomes a list of
//! one, a lookup passes only the id it had then, and batch tickers are one
//! call per symbol (see `WasmDriver::tickers`).

use super::bindings::current::types as now;
use super::bindings::v0_1::types as old;
use super::store::CallState;

pub fn market_order(order: now::MarketOrder) -> old::MarketOrder {
    old::MarketOrder {
        client_order_id: order.client_order_id,
        symbol: order.symbol,
        side: side(order.side),
        amount: match order.amount {
            now::OrderAmount::Quote(q) => old::OrderAmount::Quote(q),
            now::OrderAmount::Base(b) => old::OrderAmount::Base(b),
        },
        deadline: order.deadline,
    }
}

fn side(side: now::Side) -> old::Side {
    match side {
        now::Side::Buy => old::Side::Buy,
        now::Side::Sell => old::Side::Sell,
    }
}

pub fn driver_info(info: old::DriverInfo) -> now::DriverInfo {
    now::DriverInfo {
        exchange_id: info.exchange_id,
        driver_version: info.driver_version,
        signing: match info.signing {
            old::SigningScheme::None => now::SigningScheme::None,
            old::SigningScheme::KrakenHmacSha512 => now::SigningScheme::KrakenHmacSha512,
        },
        default_base_url: info.default_base_url,
        request_paths: info.request_paths,
    }
}

pub fn market_rules(rules: old::MarketRules) -> now::MarketRules {
    now::MarketRules {
        symbol: rules.symbol,
        pair_id: rules.pair_id,
        base: rules.base,
        quote: rules.quote,
        min_size: rules.min_size,
        min_cost: rules.min_cost,
        size_decimals: rules.size_decimals,
        price_decimals: rules.price_decimals,
        status: match rules.status {
            old::MarketStatus::Online => now::MarketStatus::Online,
            old::MarketStatus::CancelOnly => now::MarketStatus::CancelOnly,
            old::MarketStatus::PostOnly => now::MarketStatus::PostOnly,
            old::MarketStatus::LimitOnly => now::MarketStatus::LimitOnly,
            old::MarketStatus::ReduceOnly => now::MarketStatus::ReduceOnly,
            old::MarketStatus::Maintenance => now::MarketStatus::Maintenance,
            old::MarketStatus::Delisted => now::MarketStatus::Delisted,
        },
    }
}

pub fn ticker(t: old::Ticker) -> now::Ticker {
    now::Ticker {
        symbol: t.symbol,
        bid: t.bid,
        ask: t.ask,
        last: t.last,
    }
}

pub fn balances(list: Vec<old::Balance>) -> Vec<now::Balance> {
    list.into_iter()
        .map(|b| now::Balance {
            currency: b.currency,
            total: b.total,
            available: b.available,
        })
        .collect()
}

pub fn exchange_status(s: old::ExchangeStatus) -> now::ExchangeStatus {
    now::ExchangeStatus {
        state: match s.state {
            old::ExchangeState::Online => now::ExchangeState::Online,
            old::ExchangeState::Maintenance => now::ExchangeState::Maintenance,
            old::ExchangeState::CancelOnly => now::ExchangeState::CancelOnly,
            old::ExchangeState::PostOnly => now::ExchangeState::PostOnly,
        },
        message: s.message,
    }
}

pub fn placed_order(p: old::PlacedOrder) -> now::PlacedOrder {
    now::PlacedOrder {
        order_id: p.order_id,
        fill: None,
    }
}

pub fn order_report(r: old::OrderReport) -> now::OrderReport {
    now::OrderReport {
        order_id: r.order_id,
        client_order_id: r.client_order_id,
        symbol: r.symbol,
        side: match r.side {
            old::Side::Buy => now::Side::Buy,
            old::Side::Sell => now::Side::Sell,
        },
        state: match r.state {
            old::OrderState::Pending => now::OrderState::Pending,
            old::OrderState::Open => now::OrderState::Open,
            old::OrderState::Closed => now::OrderState::Closed,
            old::OrderState::Canceled => now::OrderState::Canceled,
            old::OrderState::Expired => now::OrderState::Expired,
        },
        filled_size: r.filled_size,
        average_price: r.average_price,
        cost: r.cost,
        fees: vec![now::Fee {
            amount: r.fee,
            currency: r.fee_currency,
        }],
    }
}

pub fn driver_error(e: old::DriverError) -> now::DriverError {
    match e {
        old::DriverError::InsufficientFunds(m) => now::DriverError::InsufficientFunds(m),
        old::DriverError::InvalidSymbol(m) => now::DriverError::InvalidSymbol(m),
        old::DriverError::BelowMinimum(m) => now::DriverError::BelowMinimum(m),
        old::DriverError::OrderRejected(m) => now::DriverError::OrderRejected(m),
        old::DriverError::RateLimited(m) => now::DriverError::RateLimited(m),
        old::DriverError::Unavailable(m) => now::DriverError::Unavailable(m),
        old::DriverError::Auth(m) => now::DriverError::Auth(m),
        old::DriverError::NotFound(m) => now::DriverError::NotFound(m),
        old::DriverError::UnknownOutcome(m) => now::DriverError::UnknownOutcome(m),
        old::DriverError::InvalidRequest(m) => now::DriverError::InvalidRequest(m),
    }
}

/// A 0.1.0 result lifted into the current contract.
pub fn lift<T, U>(
    result: Result<T, old::DriverError>,
    convert: impl FnOnce(T) -> U,
) -> Result<U, now::DriverError> {
    result.map(convert).map_err(driver_error)
}

// The 0.1.0 imports, served by the same host logic as the current ones.

impl old::Host for CallState {}

mod imports {
    use super::CallState;
    super::super::host_impl::serve_imports!(crate::runtime::bindings::v0_1);
}
