//! New MARKET orders: the "matching engine" and its answers. The request
//! is checked first (`request.rs`); queries of orders, trades and the
//! account are in `queries.rs`.

use std::time::{Duration, Instant};

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value, json};

use super::api::{ApiError, Params};
use super::market::{Symbol, dec, fmt8};
use super::request::{Amount, RespType, auto_client_id, validate};
use super::state::{Balance, State};
use super::{AppliedOrder, Fill};

#[derive(Debug, Clone)]
pub(super) struct Order {
    pub symbol: String,
    pub order_id: u64,
    pub client_order_id: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// `MARKET`, or `LIMIT` for seeded resting orders.
    pub order_type: String,
    /// 0 for MARKET.
    pub price: Decimal,
    pub orig_qty: Decimal,
    pub orig_quote_order_qty: Decimal,
    pub executed_qty: Decimal,
    pub cummulative_quote_qty: Decimal,
    pub status: String,
    pub expiry_reason: Option<String>,
    pub stp_mode: String,
    /// Server time (ms) the order was placed, also its transactTime.
    pub time: i64,
    pub update_time: i64,
    pub fills: Vec<Fill>,
    /// Lookups answer -2013 before this instant (injected API lag).
    pub visible_from: Option<Instant>,
}

impl Order {
    pub(super) fn visible(&self, now: Instant) -> bool {
        self.visible_from.is_none_or(|t| now >= t)
    }

    pub(super) fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "NEW" | "PARTIALLY_FILLED")
    }
}

/// What an accepted order answers, and the account's order counts after it
/// (10 s, 1 day) for the `X-MBX-ORDER-COUNT-*` headers.
pub(super) struct Placed {
    pub answer: Value,
    pub counts: (usize, usize),
}

fn floor_to(value: Decimal, step: Decimal) -> Decimal {
    if step.is_zero() {
        value
    } else {
        (value / step).floor() * step
    }
}

/// Takes `qty` from `levels`, best first: the (price, qty) fills, and
/// whether the book ran out before `qty` was filled.
fn take(levels: &[(Decimal, Decimal)], qty: Decimal) -> (Vec<(Decimal, Decimal)>, bool) {
    let mut left = qty;
    let mut fills = Vec::new();
    for &(price, available) in levels {
        if left <= Decimal::ZERO {
            break;
        }
        let q = available.min(left);
        if q > Decimal::ZERO {
            fills.push((price, q));
            left -= q;
        }
    }
    (fills, left > Decimal::ZERO)
}

fn cost(fills: &[(Decimal, Decimal)]) -> Decimal {
    fills.iter().map(|(p, q)| p * q).sum()
}

/// The largest quantity on `step` whose cost Σ price × qty stays within
/// `budget`, walking `levels` best first; and whether the book ran out
/// before the budget did.
fn take_for_quote(
    levels: &[(Decimal, Decimal)],
    budget: Decimal,
    step: Decimal,
) -> (Vec<(Decimal, Decimal)>, bool) {
    let mut spent = Decimal::ZERO;
    let mut qty = Decimal::ZERO;
    let mut exhausted = true;
    for &(price, available) in levels {
        if price <= Decimal::ZERO {
            continue;
        }
        let affordable = (budget - spent) / price;
        if affordable >= available {
            spent += price * available;
            qty += available;
        } else {
            qty += affordable;
            exhausted = false;
            break;
        }
    }
    if spent >= budget {
        exhausted = false;
    }
    let mut qty = floor_to(qty, step);
    loop {
        let (fills, _) = take(levels, qty);
        // Guards against a rounded division: never spend past the budget.
        if cost(&fills) <= budget || qty <= Decimal::ZERO {
            return (fills, exhausted);
        }
        qty -= step;
    }
}

/// The BNB price in `quote` for BNB-paid commission.
fn bnb_price(st: &State, quote: &str) -> Option<Decimal> {
    if quote == "BNB" {
        return Some(Decimal::ONE);
    }
    st.symbol(&format!("BNB{quote}"))
        .map(Symbol::avg_price)
        .filter(|p| !p.is_zero())
}

fn round_dp(value: Decimal, dp: u32) -> Decimal {
    value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// Validates, then runs `p` through the engine for `api_key`.
pub(super) fn new_order(
    st: &mut State,
    api_key: &str,
    p: &Params,
    hidden_for: Option<Duration>,
) -> Result<Placed, ApiError> {
    let req = validate(st, p)?;
    let now = Instant::now();
    let now_ms = st.now_ms();
    let (limit_10s, limit_1d) = (st.order_limit_10s, st.order_limit_1d);
    let account = st.account_mut(api_key);

    let (recent, today) = account.order_counts(now);
    if recent >= limit_10s || today >= limit_1d {
        let (limit, interval, wait) = if recent >= limit_10s {
            let oldest = account.placed_at.iter().rev().nth(recent - 1).copied();
            let wait = oldest.map_or(10, |t| {
                10u64.saturating_sub(now.duration_since(t).as_secs()).max(1)
            });
            (limit_10s, "10 SECOND", wait)
        } else {
            (limit_1d, "1 DAY", 86_400)
        };
        let mut e = ApiError::new(
            -1015,
            format!("Too many new orders; current limit is {limit} orders per {interval}."),
        );
        e.status = axum::http::StatusCode::TOO_MANY_REQUESTS;
        e.retry_after = Some(wait);
        return Err(e);
    }
    if let Some(id) = &req.client_order_id
        && account
            .orders
            .iter()
            .any(|o| o.is_open() && o.symbol == req.symbol.name && &o.client_order_id == id)
    {
        return Err(ApiError::rejected("Duplicate order sent."));
    }

    // The plan: fills against the book (the book itself is left as is).
    let s = &req.symbol;
    let levels = if req.buy { &s.book.asks } else { &s.book.bids };
    let step = match &s.market_lot_size {
        Some(m) if m.step > s.lot_size.step => m.step,
        _ if s.lot_size.step.is_zero() => Decimal::new(1, s.base_precision),
        _ => s.lot_size.step,
    };
    let (fills, exhausted) = match req.amount {
        Amount::Base(qty) => {
            let (fills, short) = take(levels, qty);
            if short {
                let all: Decimal = fills.iter().map(|f| f.1).sum();
                (take(levels, floor_to(all, step)).0, true)
            } else {
                (fills, false)
            }
        }
        Amount::Quote(budget) => take_for_quote(levels, budget, step),
    };
    let executed: Decimal = fills.iter().map(|f| f.1).sum();
    let spent = cost(&fills);

    let (base, quote) = (s.base.clone(), s.quote.clone());
    let enough = match (req.buy, req.amount) {
        (true, Amount::Quote(budget)) => account.free(&quote) >= budget,
        (true, Amount::Base(_)) => account.free(&quote) >= spent,
        (false, Amount::Base(qty)) => account.free(&base) >= qty,
        (false, Amount::Quote(_)) => account.free(&base) >= executed,
    };
    if !enough {
        return Err(ApiError::rejected(
            "Account has insufficient balance for requested action.",
        ));
    }
    let lot_fails = |min: Decimal| executed.is_zero() || executed < min;
    if lot_fails(s.lot_size.min) {
        if exhausted {
            return Err(ApiError::rejected(
                "Order book liquidity is less than `LOT_SIZE` filter minimum quantity.",
            ));
        }
        return Err(ApiError::filter("LOT_SIZE"));
    }
    if let Some(m) = &s.market_lot_size
        && lot_fails(m.min)
    {
        if exhausted {
            return Err(ApiError::rejected(
                "Order book liquidity is less than `MARKET_LOT_SIZE` filter minimum quantity.",
            ));
        }
        return Err(ApiError::filter("MARKET_LOT_SIZE"));
    }
    if matches!(req.amount, Amount::Quote(_)) {
        if !s.lot_size.max.is_zero() && executed > s.lot_size.max {
            return Err(ApiError::filter("LOT_SIZE"));
        }
        if let Some(m) = &s.market_lot_size
            && !m.max.is_zero()
            && executed > m.max
        {
            return Err(ApiError::filter("MARKET_LOT_SIZE"));
        }
    }

    // Accepted: execute fill by fill.
    let bnb = if st.bnb_fees {
        bnb_price(st, &quote)
    } else {
        None
    };
    let (rate, discount) = (st.commission_rate, st.bnb_discount);
    let mut done = Vec::with_capacity(fills.len());
    for (price, qty) in fills {
        let trade_id = st.new_trade_id();
        let account = st.account_mut(api_key);
        let notional = price * qty;
        let in_bnb = bnb
            .map(|bnb_price| round_dp(notional * rate * (Decimal::ONE - discount) / bnb_price, 8));
        let (commission, asset) = match in_bnb {
            Some(c) if account.free("BNB") >= c => (c, "BNB".to_owned()),
            _ if req.buy => (
                round_dp(qty * rate, s.base_commission_precision),
                base.clone(),
            ),
            _ => (
                round_dp(notional * rate, s.quote_commission_precision),
                quote.clone(),
            ),
        };
        if req.buy {
            account.add_free(&quote, -notional);
            account.add_free(&base, qty);
        } else {
            account.add_free(&base, -qty);
            account.add_free(&quote, notional);
        }
        account.add_free(&asset, -commission);
        done.push(Fill {
            price,
            qty,
            commission,
            commission_asset: asset,
            trade_id,
        });
    }

    let order_id = st.new_order_id();
    let (orig_qty, orig_quote) = match req.amount {
        Amount::Base(q) => (q, Decimal::ZERO),
        Amount::Quote(q) => (executed, q),
    };
    let status = if exhausted { "EXPIRED" } else { "FILLED" };
    let order = Order {
        symbol: s.name.clone(),
        order_id,
        client_order_id: req.client_order_id.unwrap_or_else(auto_client_id),
        side: if req.buy { "BUY" } else { "SELL" }.to_owned(),
        order_type: "MARKET".to_owned(),
        price: Decimal::ZERO,
        orig_qty,
        orig_quote_order_qty: orig_quote,
        executed_qty: executed,
        cummulative_quote_qty: spent,
        status: status.to_owned(),
        expiry_reason: exhausted.then(|| "INSUFFICIENT_LIQUIDITY".to_owned()),
        stp_mode: req.stp_mode,
        time: now_ms,
        update_time: now_ms,
        fills: done,
        visible_from: hidden_for.map(|d| now + d),
    };
    let answer = placed_json(&order, req.resp);
    st.applied.push(AppliedOrder {
        order_id,
        client_order_id: order.client_order_id.clone(),
        symbol: order.symbol.clone(),
        side: order.side.clone(),
        orig_qty: order.orig_qty,
        orig_quote_order_qty: order.orig_quote_order_qty,
        executed_qty: executed,
        cummulative_quote_qty: spent,
        status: order.status.clone(),
        fills: order.fills.clone(),
        transact_time: now_ms,
        api_key: api_key.to_owned(),
    });
    let account = st.account_mut(api_key);
    account.orders.push(order);
    account.update_time = now_ms;
    account.placed_at.push_back(now);
    let counts = account.order_counts(now);
    Ok(Placed { answer, counts })
}

/// POST /api/v3/order/test: the same checks, no engine.
pub(super) fn test_order(st: &State, p: &Params) -> Result<Value, ApiError> {
    validate(st, p)?;
    if p.get("computeCommissionRates") != Some("true") {
        return Ok(json!({}));
    }
    let rate = fmt8(st.commission_rate);
    Ok(json!({
        "standardCommissionForOrder": {"maker": rate, "taker": rate},
        "specialCommissionForOrder": {"maker": fmt8(Decimal::ZERO), "taker": fmt8(Decimal::ZERO)},
        "taxCommissionForOrder": {"maker": fmt8(Decimal::ZERO), "taker": fmt8(Decimal::ZERO)},
        "discount": {
            "enabledForAccount": st.bnb_fees,
            "enabledForSymbol": st.bnb_fees,
            "discountAsset": "BNB",
            "discount": fmt8(st.bnb_discount),
        },
    }))
}

fn fill_json(f: &Fill) -> Value {
    json!({
        "price": fmt8(f.price),
        "qty": fmt8(f.qty),
        "commission": fmt8(f.commission),
        "commissionAsset": f.commission_asset,
        "tradeId": f.trade_id,
    })
}

pub(super) fn fields(map: &mut Map<String, Value>, o: &Order) {
    let fields = [
        ("price", json!(fmt8(o.price))),
        ("origQty", json!(fmt8(o.orig_qty))),
        ("executedQty", json!(fmt8(o.executed_qty))),
        ("origQuoteOrderQty", json!(fmt8(o.orig_quote_order_qty))),
        ("cummulativeQuoteQty", json!(fmt8(o.cummulative_quote_qty))),
        ("status", json!(o.status)),
        ("timeInForce", json!("GTC")),
        ("type", json!(o.order_type)),
        ("side", json!(o.side)),
        ("workingTime", json!(o.time)),
        ("selfTradePreventionMode", json!(o.stp_mode)),
    ];
    map.extend(fields.map(|(k, v)| (k.to_owned(), v)));
    if let Some(reason) = &o.expiry_reason {
        map.insert("expiryReason".into(), json!(reason));
    }
}

/// The new-order answer in the asked shape.
fn placed_json(o: &Order, resp: RespType) -> Value {
    let mut map = Map::new();
    map.insert("symbol".into(), json!(o.symbol));
    map.insert("orderId".into(), json!(o.order_id));
    map.insert("orderListId".into(), json!(-1));
    map.insert("clientOrderId".into(), json!(o.client_order_id));
    map.insert("transactTime".into(), json!(o.time));
    if resp != RespType::Ack {
        fields(&mut map, o);
    }
    if resp == RespType::Full {
        map.insert(
            "fills".into(),
            o.fills.iter().map(fill_json).collect::<Vec<_>>().into(),
        );
    }
    map.into()
}

/// A resting LIMIT order (status NEW), its funds locked: BUY locks
/// qty × price of the quote asset, SELL locks qty of the base asset.
pub(super) fn seed_open(
    st: &mut State,
    api_key: &str,
    symbol: &str,
    side: &str,
    qty: &str,
    price: &str,
    client_order_id: Option<&str>,
) -> u64 {
    let s = st
        .symbol(symbol)
        .cloned()
        .unwrap_or_else(|| panic!("unknown symbol {symbol}"));
    let (qty, price) = (dec(qty), dec(price));
    let buy = match side {
        "BUY" => true,
        "SELL" => false,
        _ => panic!("side must be BUY or SELL, not {side}"),
    };
    let order_id = st.new_order_id();
    let now_ms = st.now_ms();
    let account = st.account_mut(api_key);
    let (asset, amount) = if buy {
        (s.quote.clone(), qty * price)
    } else {
        (s.base.clone(), qty)
    };
    let balance: &mut Balance = account.balances.entry(asset).or_default();
    balance.free -= amount;
    balance.locked += amount;
    account.orders.push(Order {
        symbol: s.name,
        order_id,
        client_order_id: client_order_id.map_or_else(auto_client_id, str::to_owned),
        side: side.to_owned(),
        order_type: "LIMIT".to_owned(),
        price,
        orig_qty: qty,
        orig_quote_order_qty: Decimal::ZERO,
        executed_qty: Decimal::ZERO,
        cummulative_quote_qty: Decimal::ZERO,
        status: "NEW".to_owned(),
        expiry_reason: None,
        stp_mode: "EXPIRE_MAKER".to_owned(),
        time: now_ms,
        update_time: now_ms,
        fills: Vec::new(),
        visible_from: None,
    });
    account.update_time = now_ms;
    order_id
}
