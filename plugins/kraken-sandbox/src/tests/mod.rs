//! Behaviour of the simulated account, through the same entry points the
//! component exports, against an in-memory host.
//!
//! Helpers live here; `fills` covers the trading math and validation,
//! `failures` the error paths, injected failures and state contention.

use crate::config::{self, Config};
use crate::env::mem::MemEnv;
use crate::market::{self, MARKETS};
use crate::orders::{self, order_id};
use crate::prices::Quote;
use crate::tradehost::exchange::types::{
    DriverError, MarketOrder, MarketStatus, OrderAmount, OrderLookup, OrderReport, OrderState, Side,
};
use crate::{prices, sim};
use rust_decimal::Decimal;
use std::collections::BTreeSet;

fn buy(cid: &str, symbol: &str, quote: &str) -> MarketOrder {
    MarketOrder {
        client_order_id: cid.into(),
        symbol: symbol.into(),
        side: Side::Buy,
        amount: OrderAmount::Quote(quote.into()),
        deadline: None,
        quote_price: None,
    }
}

fn sell(cid: &str, symbol: &str, base: &str) -> MarketOrder {
    MarketOrder {
        client_order_id: cid.into(),
        symbol: symbol.into(),
        side: Side::Sell,
        amount: OrderAmount::Base(base.into()),
        deadline: None,
        quote_price: None,
    }
}

fn cfg(env: &MemEnv) -> Config {
    config::load(env).expect("config loads")
}

fn place(env: &MemEnv, order: &MarketOrder) -> Result<String, DriverError> {
    orders::place_market_order(env, &cfg(env), order).map(|p| p.order_id)
}

fn balances(env: &MemEnv) -> Vec<(String, String)> {
    let list = orders::balances(env, &cfg(env)).expect("balances");
    list.into_iter()
        .map(|b| {
            assert_eq!(b.total, b.available);
            (b.currency, b.total)
        })
        .collect()
}

fn bal(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(c, v)| (c.to_string(), v.to_string()))
        .collect()
}

/// Symbol, size, price, cost, then the one fee and its currency.
fn report_fields(r: &OrderReport) -> [&str; 6] {
    assert_eq!(r.fees.len(), 1, "{r:?}");
    [
        &r.symbol,
        &r.filled_size,
        &r.average_price,
        &r.cost,
        &r.fees[0].amount,
        &r.fees[0].currency,
    ]
}

fn lookup(client_order_id: &str, order_id: Option<&str>) -> OrderLookup {
    OrderLookup {
        order_id: order_id.map(str::to_string),
        client_order_id: client_order_id.into(),
        symbol: "BTC/USD".into(),
        side: Side::Buy,
        sent_at: "2026-11-24T04:20:00Z".into(),
    }
}

fn find(env: &MemEnv, client_order_id: &str) -> Result<Option<OrderReport>, DriverError> {
    orders::find_order(env, &lookup(client_order_id, None))
}

fn query(env: &MemEnv, order_id: &str) -> Result<OrderReport, DriverError> {
    orders::query_order(env, &lookup("any", Some(order_id)))
}

/// Asserts the error variant and that the state was left untouched;
/// yields the error.
macro_rules! fails_clean {
    ($env:expr, $order:expr, $pat:pat) => {{
        let before = $env.state.borrow().clone();
        let res = place(&$env, &$order);
        assert!(matches!(res, Err($pat)), "{res:?}");
        assert_eq!(*$env.state.borrow(), before, "state changed");
        res.err()
    }};
}

mod failures;
mod fills;
