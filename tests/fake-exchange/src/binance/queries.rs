//! Queries of orders and trades, and the account, as Binance answers them.

use std::collections::BTreeSet;
use std::time::Instant;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};

use super::api::{ApiError, Params};
use super::market::{fmt8, symbol_param};
use super::orders::{Order, fields};
use super::state::State;

/// GET /api/v3/order's (and openOrders', allOrders') order object.
fn order_json(o: &Order) -> Value {
    let mut map = Map::new();
    map.insert("symbol".into(), json!(o.symbol));
    map.insert("orderId".into(), json!(o.order_id));
    map.insert("orderListId".into(), json!(-1));
    map.insert("clientOrderId".into(), json!(o.client_order_id));
    fields(&mut map, o);
    let extra = [
        ("stopPrice", json!(fmt8(Decimal::ZERO))),
        ("icebergQty", json!(fmt8(Decimal::ZERO))),
        ("time", json!(o.time)),
        ("updateTime", json!(o.update_time)),
        ("isWorking", json!(true)),
    ];
    map.extend(extra.map(|(k, v)| (k.to_owned(), v)));
    map.into()
}

fn no_such_order() -> ApiError {
    ApiError::new(-2013, "Order does not exist.")
}

/// GET /api/v3/order: by `orderId` (checked against `origClientOrderId`
/// when both are sent), else by `origClientOrderId` (the latest order with
/// that id).
pub(super) fn query_order(st: &mut State, api_key: &str, p: &Params) -> Result<Value, ApiError> {
    let symbol = symbol_param(st, p)?.name.clone();
    let order_id = p.int("orderId")?;
    let client_id = p.get("origClientOrderId").filter(|c| !c.is_empty());
    let now = Instant::now();
    let account = st.account_mut(api_key);
    let mine = |o: &&Order| o.symbol == symbol && o.visible(now);
    let order = match (order_id, client_id) {
        (None, None) => {
            return Err(ApiError::new(
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            ));
        }
        (Some(id), client_id) => {
            let o = account
                .orders
                .iter()
                .filter(mine)
                .find(|o| i64::try_from(o.order_id).ok() == Some(id))
                .ok_or_else(no_such_order)?;
            if client_id.is_some_and(|c| c != o.client_order_id) {
                return Err(ApiError::new(
                    -2039,
                    "Client order ID is not correct for this order ID.",
                ));
            }
            o
        }
        (None, Some(c)) => account
            .orders
            .iter()
            .filter(mine)
            .rev()
            .find(|o| o.client_order_id == c)
            .ok_or_else(no_such_order)?,
    };
    Ok(order_json(order))
}

/// GET /api/v3/openOrders, for one symbol or all.
pub(super) fn open_orders(st: &mut State, api_key: &str, p: &Params) -> Result<Value, ApiError> {
    let symbol = match p.get("symbol") {
        None => None,
        Some(_) => Some(symbol_param(st, p)?.name.clone()),
    };
    let now = Instant::now();
    let account = st.account_mut(api_key);
    Ok(account
        .orders
        .iter()
        .filter(|o| o.is_open() && o.visible(now))
        .filter(|o| symbol.as_ref().is_none_or(|s| &o.symbol == s))
        .map(order_json)
        .collect::<Vec<_>>()
        .into())
}

/// `startTime`/`endTime` (≤ 24 h apart) and `limit` (default 500, max 1000).
fn window(p: &Params) -> Result<(Option<i64>, Option<i64>, usize), ApiError> {
    let start = p.int("startTime")?;
    let end = p.int("endTime")?;
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            return Err(ApiError::new(
                -1128,
                "Combination of optional parameters invalid.",
            ));
        }
        if e - s > 86_400_000 {
            return Err(ApiError::new(
                -1127,
                "More than 24 hours between startTime and endTime.",
            ));
        }
    }
    let limit = match p.int("limit")? {
        None => 500,
        Some(l) if (1..=1000).contains(&l) => usize::try_from(l).unwrap_or(500),
        Some(_) => return Err(ApiError::invalid_param("limit")),
    };
    Ok((start, end, limit))
}

fn in_window(t: i64, start: Option<i64>, end: Option<i64>) -> bool {
    start.is_none_or(|s| t >= s) && end.is_none_or(|e| t <= e)
}

/// GET /api/v3/allOrders: `orderId` (≥), time window, `limit`.
pub(super) fn all_orders(st: &mut State, api_key: &str, p: &Params) -> Result<Value, ApiError> {
    let symbol = symbol_param(st, p)?.name.clone();
    let from_id = p.int("orderId")?;
    let (start, end, limit) = window(p)?;
    let now = Instant::now();
    let account = st.account_mut(api_key);
    Ok(account
        .orders
        .iter()
        .filter(|o| o.symbol == symbol && o.visible(now))
        .filter(|o| from_id.is_none_or(|id| i64::try_from(o.order_id).is_ok_and(|o| o >= id)))
        .filter(|o| in_window(o.time, start, end))
        .take(limit)
        .map(order_json)
        .collect::<Vec<_>>()
        .into())
}

/// GET /api/v3/myTrades: `orderId`, `fromId`, time window, `limit`.
pub(super) fn my_trades(st: &mut State, api_key: &str, p: &Params) -> Result<Value, ApiError> {
    let symbol = symbol_param(st, p)?.name.clone();
    let order_id = p.int("orderId")?;
    let from_id = p.int("fromId")?;
    let (start, end, limit) = window(p)?;
    if from_id.is_some() && (start.is_some() || end.is_some()) {
        return Err(ApiError::new(
            -1128,
            "Combination of optional parameters invalid.",
        ));
    }
    let now = Instant::now();
    let account = st.account_mut(api_key);
    let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let trades: Vec<Value> = account
        .orders
        .iter()
        .filter(|o| o.symbol == symbol && o.visible(now))
        .filter(|o| order_id.is_none_or(|id| as_i64(o.order_id) == id))
        .filter(|o| in_window(o.time, start, end))
        .flat_map(|o| o.fills.iter().map(move |f| (o, f)))
        .filter(|(_, f)| from_id.is_none_or(|id| as_i64(f.trade_id) >= id))
        .take(limit)
        .map(|(o, f)| {
            json!({
                "symbol": o.symbol,
                "id": f.trade_id,
                "orderId": o.order_id,
                "orderListId": -1,
                "price": fmt8(f.price),
                "qty": fmt8(f.qty),
                "quoteQty": fmt8(f.price * f.qty),
                "commission": fmt8(f.commission),
                "commissionAsset": f.commission_asset,
                "time": o.time,
                "isBuyer": o.side == "BUY",
                "isMaker": false,
                "isBestMatch": true,
            })
        })
        .collect();
    Ok(trades.into())
}

/// GET /api/v3/account; `omitZeroBalances=true` leaves out empty assets.
pub(super) fn account(st: &mut State, api_key: &str, p: &Params) -> Result<Value, ApiError> {
    let omit_zero = match p.get("omitZeroBalances") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::invalid_param("omitZeroBalances")),
    };
    let mut assets: BTreeSet<String> = st
        .symbols
        .iter()
        .flat_map(|s| [s.base.clone(), s.quote.clone()])
        .collect();
    let rate = st.commission_rate;
    let account = st.account_mut(api_key);
    assets.extend(account.balances.keys().cloned());
    let balances: Vec<Value> = assets
        .iter()
        .map(|a| (a, account.balances.get(a).copied().unwrap_or_default()))
        .filter(|(_, b)| !omit_zero || !b.free.is_zero() || !b.locked.is_zero())
        .map(|(a, b)| json!({"asset": a, "free": fmt8(b.free), "locked": fmt8(b.locked)}))
        .collect();
    let bps = (rate * Decimal::new(10_000, 0))
        .round()
        .to_i64()
        .unwrap_or(0);
    Ok(json!({
        "makerCommission": bps,
        "takerCommission": bps,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": fmt8(rate),
            "taker": fmt8(rate),
            "buyer": fmt8(Decimal::ZERO),
            "seller": fmt8(Decimal::ZERO),
        },
        "canTrade": true,
        "canWithdraw": true,
        "canDeposit": true,
        "brokered": false,
        "requireSelfTradePrevention": false,
        "preventSor": false,
        "updateTime": account.update_time,
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": account.uid,
    }))
}
