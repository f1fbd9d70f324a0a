//! Order placement and lookup against the host's shared key-value store.
//!
//! Keys: `account` (balances + order sequence, updated by compare-and-swap),
//! `order/<order-id>` (the report), `client/<client-order-id>` (order id).
//! (`price/<SYMBOL>`, the host's price override, is read in `prices.rs`.)
//! Every call runs in a fresh instance and several host processes may trade
//! at once, so all state lives in the store and `account` is only ever
//! replaced by CAS against the value the computation was based on.

use crate::config::{Config, Fail};
use crate::env::{Env, Level};
use crate::market::{self, Market};
use crate::sim::{self, Account, Fill};
use crate::tradehost::exchange::types::{
    Balance, DriverError, Fee, MarketOrder, OrderLookup, OrderReport, OrderState, PlacedOrder, Side,
};
use crate::{num, prices};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

const ACCOUNT: &str = "account";
/// Attempts at the account CAS before giving up under contention.
const MAX_CAS_TRIES: usize = 32;

fn order_key(order_id: &str) -> String {
    format!("order/{order_id}")
}

fn client_key(client_order_id: &str) -> String {
    format!("client/{client_order_id}")
}

fn corrupt(what: impl std::fmt::Display) -> DriverError {
    DriverError::Unavailable(format!("corrupt state: {what}"))
}

/// Kraken-style id ("OQCLML-BW3P3-BUCMWZ"), unique per sequence number: the
/// low 13 base-36 digits encode a bijective mix of `seq` (36^13 > 2^64), the
/// top 3 only add variety.
pub fn order_id(seq: u64) -> String {
    // splitmix64 (increment, then finaliser): a bijection on u64.
    fn mix(z: u64) -> u64 {
        let mut z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut out = [b'0'; 16];
    let (mut low, mut high) = (mix(seq), mix(seq ^ 0x5bd1_e995_7f4a_7c15) % (36 * 36 * 36));
    for slot in out[3..].iter_mut().rev() {
        *slot = DIGITS[(low % 36) as usize];
        low /= 36;
    }
    for slot in out[..3].iter_mut().rev() {
        *slot = DIGITS[(high % 36) as usize];
        high /= 36;
    }
    let s = String::from_utf8_lossy(&out);
    format!("O{}-{}-{}", &s[..5], &s[5..10], &s[10..])
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum StoredSide {
    Buy,
    Sell,
}

/// An order report as stored under `order/<id>`. Market orders fill at once,
/// so every stored order is closed. (The stored form predates the fee list
/// and is kept, so orders recorded before stay readable.)
#[derive(Debug, Serialize, Deserialize)]
struct StoredOrder {
    order_id: String,
    client_order_id: Option<String>,
    symbol: String,
    side: StoredSide,
    filled_size: Decimal,
    average_price: Decimal,
    cost: Decimal,
    fee: Decimal,
    fee_currency: String,
}

impl StoredOrder {
    fn report(self) -> OrderReport {
        OrderReport {
            order_id: self.order_id,
            client_order_id: self.client_order_id,
            symbol: self.symbol,
            side: match self.side {
                StoredSide::Buy => Side::Buy,
                StoredSide::Sell => Side::Sell,
            },
            state: OrderState::Closed,
            filled_size: num::fmt(self.filled_size),
            average_price: num::fmt(self.average_price),
            cost: num::fmt(self.cost),
            fees: vec![Fee {
                amount: num::fmt(self.fee),
                currency: self.fee_currency,
            }],
        }
    }
}

/// Applies the fill to the account: re-read, recompute, CAS, bounded.
/// Returns the order's sequence number.
fn commit(env: &impl Env, cfg: &Config, market: &Market, fill: &Fill) -> Result<u64, DriverError> {
    for _ in 0..MAX_CAS_TRIES {
        let raw = env.state_get(ACCOUNT);
        let mut account = Account::load(raw.as_deref(), cfg)?;
        account.apply(market, fill)?;
        let seq = account.next_seq;
        account.next_seq = seq
            .checked_add(1)
            .ok_or_else(|| corrupt("order sequence exhausted"))?;
        let json = serde_json::to_string(&account).map_err(corrupt)?;
        if env.state_cas(ACCOUNT, raw.as_deref(), &json) {
            return Ok(seq);
        }
    }
    Err(DriverError::Unavailable("state contention".into()))
}

/// Fills the order at once at the sandbox's own price (`quote-price` is
/// not used). Like Kraken's AddOrder, the answer carries only the order
/// id (`fill` is none): the host reads the fill with `query-order`, as it
/// does against Kraken.
pub fn place_market_order(
    env: &impl Env,
    cfg: &Config,
    order: &MarketOrder,
) -> Result<PlacedOrder, DriverError> {
    let market = market::parse_symbol(&order.symbol)?;
    let cid = order.client_order_id.as_str();
    if cid.is_empty() {
        return Err(DriverError::InvalidRequest("empty client order id".into()));
    }
    let value = sim::order_amount(market, order.side, &order.amount)?;
    if !cfg.online() {
        return Err(DriverError::Unavailable(format!(
            "exchange is {}; no new orders",
            cfg.state_name()
        )));
    }
    if env.state_get(&client_key(cid)).is_some() {
        return Err(DriverError::OrderRejected(
            "duplicate client order id".into(),
        ));
    }
    match cfg.fail {
        Some(Fail::InsufficientFunds) => {
            return Err(DriverError::InsufficientFunds("injected failure".into()));
        }
        Some(Fail::RateLimit) => return Err(DriverError::RateLimited("injected failure".into())),
        Some(Fail::Unavailable) => return Err(DriverError::Unavailable("injected failure".into())),
        Some(Fail::Rejected) => return Err(DriverError::OrderRejected("injected failure".into())),
        Some(Fail::LostAnswer) | None => {}
    }

    let quote = prices::quote(env, cfg, market)?;
    let fill = sim::fill(market, order.side, value, &quote, cfg.fee_rate)?;
    let seq = commit(env, cfg, market, &fill)?;

    // From here the account has changed: any failure is an unknown outcome.
    let order_id = order_id(seq);
    let stored = StoredOrder {
        order_id: order_id.clone(),
        client_order_id: Some(cid.to_string()),
        symbol: market.symbol.to_string(),
        side: if fill.side == Side::Buy {
            StoredSide::Buy
        } else {
            StoredSide::Sell
        },
        filled_size: fill.size.normalize(),
        average_price: fill.price.normalize(),
        cost: fill.cost.normalize(),
        fee: fill.fee.normalize(),
        fee_currency: market.quote.to_string(),
    };
    let unknown =
        |why: &str| DriverError::UnknownOutcome(format!("order {order_id} applied but {why}"));
    let json =
        serde_json::to_string(&stored).map_err(|_| unknown("its report could not be encoded"))?;
    if !env.state_cas(&order_key(&order_id), None, &json) {
        return Err(unknown("its id was already recorded"));
    }
    // Another process raced us to this client id after our duplicate check.
    if !env.state_cas(&client_key(cid), None, &order_id) {
        return Err(unknown("its client order id was taken concurrently"));
    }
    env.log(
        Level::Info,
        &format!(
            "filled {order_id}: {} {} {} @ {} {}, fee {}",
            if fill.side == Side::Buy {
                "buy"
            } else {
                "sell"
            },
            num::fmt(fill.size),
            market.base,
            num::fmt(fill.price),
            market.quote,
            num::fmt(fill.fee),
        ),
    );
    if cfg.fail == Some(Fail::LostAnswer) {
        return Err(DriverError::UnknownOutcome(
            "sandbox: answer lost (injected failure)".into(),
        ));
    }
    Ok(PlacedOrder {
        order_id,
        fill: None,
    })
}

fn load_order(env: &impl Env, order_id: &str) -> Result<Option<OrderReport>, DriverError> {
    match env.state_get(&order_key(order_id)) {
        None => Ok(None),
        Some(json) => {
            let stored: StoredOrder = serde_json::from_str(&json)
                .map_err(|e| corrupt(format!("order {order_id}: {e}")))?;
            Ok(Some(stored.report()))
        }
    }
}

/// The order by its id; the lookup must carry one.
pub fn query_order(env: &impl Env, lookup: &OrderLookup) -> Result<OrderReport, DriverError> {
    let order_id = lookup.order_id.as_deref().ok_or_else(|| {
        DriverError::InvalidRequest(format!(
            "no order id to query for client order id {:?}",
            lookup.client_order_id
        ))
    })?;
    load_order(env, order_id)?.ok_or_else(|| DriverError::NotFound(format!("order {order_id:?}")))
}

/// The order by its client order id; none if the sandbox never filled it.
pub fn find_order(
    env: &impl Env,
    lookup: &OrderLookup,
) -> Result<Option<OrderReport>, DriverError> {
    let client_order_id = lookup.client_order_id.as_str();
    let Some(order_id) = env.state_get(&client_key(client_order_id)) else {
        return Ok(None);
    };
    // The order is written before its client key, so it must exist.
    match load_order(env, &order_id)? {
        Some(report) => Ok(Some(report)),
        None => Err(corrupt(format!(
            "client id {client_order_id:?} points to missing order {order_id}"
        ))),
    }
}

pub fn balances(env: &impl Env, cfg: &Config) -> Result<Vec<Balance>, DriverError> {
    Ok(Account::load(env.state_get(ACCOUNT).as_deref(), cfg)?.balances())
}
