//! AddOrder (validation, execution, balances) and the seeded orders.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::fill::{self, FeeIn};
use super::server::Params;
use super::state::{Account, State};
use super::{AppliedOrder, Execution};

#[derive(Debug, Clone)]
pub(super) struct Order {
    pub txid: String,
    /// One id per trade, in execution order.
    pub trade_ids: Vec<String>,
    pub altname: String,
    pub base: String,
    pub quote: String,
    pub side: String,
    pub ordertype: String,
    pub limit_price: Option<Decimal>,
    pub volume: Decimal,
    pub vol_exec: Decimal,
    pub cost: Decimal,
    pub fee: Decimal,
    /// Average fill price, 0 when nothing executed.
    pub avg_price: Decimal,
    pub lot_decimals: u32,
    pub pair_decimals: u32,
    pub cost_decimals: u32,
    pub cl_ord_id: Option<String>,
    pub userref: Option<i64>,
    pub status: String,
    pub reason: Option<String>,
    pub misc: String,
    pub oflags: String,
    /// Unix microseconds on the fake's clock.
    pub opentm: i64,
    pub closetm: Option<i64>,
    pub descr_order: String,
}

impl Order {
    pub fn is_open(&self) -> bool {
        self.status == "open" || self.status == "pending"
    }
}

const ORDER_TYPES: [&str; 10] = [
    "market",
    "limit",
    "iceberg",
    "stop-loss",
    "take-profit",
    "stop-loss-limit",
    "take-profit-limit",
    "trailing-stop",
    "trailing-stop-limit",
    "settle-position",
];

pub(super) fn invalid(field: &str) -> String {
    format!("EGeneral:Invalid arguments:{field}")
}

/// A plain decimal (`123`, `0.5`, `.5`): digits and at most one dot.
pub(super) fn plain_decimal(s: &str) -> Option<Decimal> {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let dots = s.chars().filter(|&c| c == '.').count();
    if digits == 0 || dots > 1 || digits + dots != s.len() {
        return None;
    }
    let s = s.strip_suffix('.').unwrap_or(s);
    let s = if s.starts_with('.') {
        format!("0{s}")
    } else {
        s.to_owned()
    };
    Decimal::from_str(&s).ok()
}

/// A long UUID, a short (32 hex) UUID, or printable ASCII of at most 18 chars.
fn valid_cl_ord_id(id: &str) -> bool {
    let hex = |s: &str| s.chars().all(|c| c.is_ascii_hexdigit());
    let long_uuid = id.len() == 36
        && id.split('-').map(str::len).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && hex(&id.replace('-', ""));
    let short_uuid = id.len() == 32 && hex(id);
    let text =
        !id.is_empty() && id.len() <= 18 && id.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    long_uuid || short_uuid || text
}

/// Funds held by open orders, per asset.
pub(super) fn holds(account: &Account, fee_rate: Decimal) -> BTreeMap<String, Decimal> {
    let mut held = BTreeMap::new();
    for o in account.orders.iter().filter(|o| o.is_open()) {
        let left = o.volume - o.vol_exec;
        let (asset, amount) = match o.side.as_str() {
            "buy" => (
                &o.quote,
                left * o.limit_price.unwrap_or_default() * (Decimal::ONE + fee_rate),
            ),
            _ => (&o.base, left),
        };
        *held.entry(asset.clone()).or_insert(Decimal::ZERO) += amount;
    }
    held
}

/// `oflags`: a comma list of `fcib`, `fciq`, `nompp`. Returns the fee
/// currency asked for (if any) and the flags as sent, deduplicated.
fn parse_oflags(flags: Option<&str>) -> Result<(Option<FeeIn>, Vec<&str>), String> {
    let mut fee_in = None;
    let mut seen: Vec<&str> = Vec::new();
    for flag in flags.unwrap_or("").split(',').filter(|f| !f.is_empty()) {
        let asked = match flag {
            "fcib" => Some(FeeIn::Base),
            "fciq" => Some(FeeIn::Quote),
            "nompp" => None,
            _ => return Err(invalid("oflags")),
        };
        if let Some(asked) = asked {
            if fee_in.is_some_and(|f| f != asked) {
                // Fee in base and in quote at once.
                return Err(invalid("oflags"));
            }
            fee_in = Some(asked);
        }
        if !seen.contains(&flag) {
            seen.push(flag);
        }
    }
    Ok((fee_in, seen))
}

pub(super) fn add_order(st: &mut State, api_key: &str, params: &Params) -> Result<Value, String> {
    let now = st.now();
    if st.system_status != "online" {
        return Err("EService:Unavailable".into());
    }
    let pair = match params.get("pair") {
        None | Some("") => return Err(invalid("pair")),
        Some(name) => st.pair(name).cloned().ok_or("EQuery:Unknown asset pair")?,
    };
    let side = match params.get("type") {
        Some(side @ ("buy" | "sell")) => side.to_owned(),
        _ => return Err(invalid("type")),
    };
    match params.get("ordertype") {
        Some("market") => {}
        Some(t) if ORDER_TYPES.contains(&t) => {
            // Real Kraken takes these; this fake only fills market orders.
            return Err(invalid("ordertype"));
        }
        _ => return Err(invalid("ordertype")),
    }
    let volume = params
        .get("volume")
        .and_then(plain_decimal)
        .filter(|v| *v > Decimal::ZERO && v.normalize().scale() <= pair.lot_decimals)
        .ok_or_else(|| invalid("volume"))?;
    let (fee_asked, mut flags) = parse_oflags(params.get("oflags"))?;
    let userref = match params.get("userref") {
        None => None,
        Some(u) => Some(i32::from_str(u).map_err(|_| invalid("userref"))?.into()),
    };
    let cl_ord_id = params.get("cl_ord_id").map(str::to_owned);
    if let Some(id) = &cl_ord_id
        && (userref.is_some() || !valid_cl_ord_id(id))
    {
        return Err(invalid("cl_ord_id"));
    }
    let deadline = params.get("deadline").map(str::to_owned);
    if let Some(deadline) = &deadline {
        let deadline =
            chrono::DateTime::parse_from_rfc3339(deadline).map_err(|_| invalid("deadline"))?;
        if deadline < now {
            return Err("EService:Deadline elapsed".into());
        }
        if deadline > now + chrono::Duration::seconds(61) {
            return Err(invalid("deadline"));
        }
    }
    match pair.status.as_str() {
        "online" => {}
        mode @ ("cancel_only" | "post_only" | "limit_only") => {
            return Err(format!("EService:Market in {mode} mode"));
        }
        _ => return Err("EService:Unavailable".into()),
    }
    let (bid, ask) = st
        .tickers
        .get(&pair.id)
        .and_then(|q| q.prices())
        .ok_or("EService:Unavailable")?;
    let buy = side == "buy";
    let quote = if buy { ask } else { bid };
    if volume < pair.ordermin {
        return Err("EOrder:Order minimum not met".into());
    }
    if volume * quote < pair.costmin {
        return Err("EOrder:Cost minimum not met".into());
    }
    let mut volume_text = volume;
    volume_text.rescale(pair.lot_decimals);
    let descr = format!("{side} {volume_text} {} @ market", pair.altname);
    if params.get("validate").is_some() {
        return Ok(json!({ "descr": { "order": descr } }));
    }

    let fee_in = fee_asked.unwrap_or_else(|| FeeIn::default_for(&side));
    if fee_asked.is_none() {
        flags.insert(0, fee_in.flag());
    }
    let oflags = flags.join(",");
    let queued = st.queued_executions.front().cloned();
    let exec: Execution = queued
        .clone()
        .or_else(|| st.executions.get(&pair.id).cloned())
        .unwrap_or_default();
    let fill = fill::execute(&pair, buy, quote, volume, &exec);
    let rate = st.taker_fee;
    let fee = match fee_in {
        FeeIn::Quote => fill::quote_fee(rate, fill.cost),
        FeeIn::Base => fill::base_fee(&pair, rate, fill.vol_exec),
    };
    // Funds must cover the whole volume at the worst price it may get.
    let worst_cost = volume * fill::worst_price(&pair, buy, quote, &exec);
    let account = st.account_mut(api_key);
    if let Some(id) = &cl_ord_id
        && account
            .orders
            .iter()
            .any(|o| o.is_open() && o.cl_ord_id.as_ref() == Some(id))
    {
        return Err("EOrder:Duplicate cl_ord_id".into());
    }
    let held = holds(account, rate);
    let available =
        |asset: &str| account.balance(asset) - held.get(asset).copied().unwrap_or_default();
    let enough = match (buy, fee_in) {
        (true, FeeIn::Quote) => {
            let needed = (worst_cost * (Decimal::ONE + rate))
                .max(worst_cost + fill::quote_fee(rate, worst_cost));
            available(&pair.quote) >= needed
        }
        (true, FeeIn::Base) => available(&pair.quote) >= worst_cost,
        (false, FeeIn::Quote) => available(&pair.base) >= volume,
        (false, FeeIn::Base) => {
            available(&pair.base) >= volume + fill::base_fee(&pair, rate, volume)
        }
    };
    if !enough {
        return Err("EOrder:Insufficient funds".into());
    }

    // Accepted: the engine executes it.
    let (quote_fee, base_fee) = match fee_in {
        FeeIn::Quote => (fee, Decimal::ZERO),
        FeeIn::Base => (Decimal::ZERO, fee),
    };
    if buy {
        account.add(&pair.quote, -(fill.cost + quote_fee));
        account.add(&pair.base, fill.vol_exec - base_fee);
    } else {
        account.add(&pair.base, -(fill.vol_exec + base_fee));
        account.add(&pair.quote, fill.cost - quote_fee);
    }
    if queued.is_some() {
        st.queued_executions.pop_front();
    }
    let txid = st.new_id('O');
    let trade_ids: Vec<String> = fill.trades.iter().map(|_| st.new_id('T')).collect();
    let full = fill.vol_exec == volume;
    let status = if full { "closed" } else { "canceled" };
    let opentm = now.timestamp_micros();
    let order = Order {
        txid: txid.clone(),
        trade_ids,
        altname: pair.altname.clone(),
        base: pair.base.clone(),
        quote: pair.quote.clone(),
        side: side.clone(),
        ordertype: "market".into(),
        limit_price: None,
        volume,
        vol_exec: fill.vol_exec,
        cost: fill.cost,
        fee,
        avg_price: fill.avg_price,
        lot_decimals: pair.lot_decimals,
        pair_decimals: pair.pair_decimals,
        cost_decimals: pair.cost_decimals,
        cl_ord_id: cl_ord_id.clone(),
        userref,
        status: status.into(),
        reason: (!full).then(|| "Insufficient liquidity".to_owned()),
        misc: if full || fill.vol_exec.is_zero() {
            String::new()
        } else {
            "partial".into()
        },
        oflags,
        opentm,
        closetm: Some(st.now().timestamp_micros().max(opentm + 100)),
        descr_order: descr.clone(),
    };
    st.account_mut(api_key).orders.push(order);
    if !fill.vol_exec.is_zero() {
        st.applied.push(AppliedOrder {
            txid: txid.clone(),
            pair: pair.id,
            side,
            volume: fill.vol_exec,
            requested_volume: volume,
            price: fill.avg_price,
            cost: fill.cost,
            fee,
            fee_asset: match fee_in {
                FeeIn::Quote => pair.quote,
                FeeIn::Base => pair.base,
            },
            status: status.into(),
            trades: fill.trades,
            deadline,
            cl_ord_id,
            userref,
            api_key: api_key.to_owned(),
        });
    }
    Ok(json!({ "descr": { "order": descr }, "txid": [txid] }))
}

pub(super) fn seed_open(
    st: &mut State,
    api_key: &str,
    pair: &str,
    side: &str,
    volume: &str,
    limit_price: &str,
    cl_ord_id: Option<&str>,
) -> String {
    let pair = st
        .pair(pair)
        .cloned()
        .unwrap_or_else(|| panic!("unknown pair {pair}"));
    let volume = Decimal::from_str(volume).unwrap_or_else(|e| panic!("volume: {e}"));
    let limit = Decimal::from_str(limit_price).unwrap_or_else(|e| panic!("price: {e}"));
    let txid = st.new_id('O');
    let mut vol_text = volume;
    vol_text.rescale(pair.lot_decimals);
    let descr = format!("{side} {vol_text} {} @ limit {limit}", pair.altname);
    let opentm = st.now().timestamp_micros();
    st.account_mut(api_key).orders.push(Order {
        txid: txid.clone(),
        trade_ids: Vec::new(),
        altname: pair.altname,
        base: pair.base,
        quote: pair.quote,
        side: side.to_owned(),
        ordertype: "limit".into(),
        limit_price: Some(limit),
        volume,
        vol_exec: Decimal::ZERO,
        cost: Decimal::ZERO,
        fee: Decimal::ZERO,
        avg_price: Decimal::ZERO,
        lot_decimals: pair.lot_decimals,
        pair_decimals: pair.pair_decimals,
        cost_decimals: pair.cost_decimals,
        cl_ord_id: cl_ord_id.map(str::to_owned),
        userref: None,
        status: "open".into(),
        reason: None,
        misc: String::new(),
        oflags: FeeIn::default_for(side).flag().into(),
        opentm,
        closetm: None,
        descr_order: descr,
    });
    txid
}

/// `n` filled market buys of 0.1 SOLUSD (at the current ask, or 150.05
/// without a ticker) on `api_key`'s history, with client ids `seeded-N`,
/// each newer than every order already there. History only: no balance
/// moves and they are not applied orders.
pub(super) fn seed_closed(st: &mut State, api_key: &str, n: usize) {
    let pair = st
        .pair("SOLUSD")
        .cloned()
        .unwrap_or_else(|| panic!("no SOLUSD pair"));
    let ask = st
        .tickers
        .get(&pair.id)
        .and_then(|q| q.prices())
        .map_or(Decimal::new(15005, 2), |(_, ask)| ask);
    let volume = Decimal::new(1, 1);
    let fill = fill::execute(&pair, true, ask, volume, &Execution::default());
    let fee = fill::quote_fee(st.taker_fee, fill.cost);
    let newest = st
        .account_mut(api_key)
        .orders
        .iter()
        .map(|o| o.opentm.max(o.closetm.unwrap_or(o.opentm)))
        .max()
        .unwrap_or(i64::MIN);
    let first = st.now().timestamp_micros().max(newest + 1);
    for t in (first..).take(n) {
        st.seeded += 1;
        let txid = st.new_id('O');
        let trade_id = st.new_id('T');
        let order = Order {
            txid,
            trade_ids: vec![trade_id],
            altname: pair.altname.clone(),
            base: pair.base.clone(),
            quote: pair.quote.clone(),
            side: "buy".into(),
            ordertype: "market".into(),
            limit_price: None,
            volume,
            vol_exec: fill.vol_exec,
            cost: fill.cost,
            fee,
            avg_price: fill.avg_price,
            lot_decimals: pair.lot_decimals,
            pair_decimals: pair.pair_decimals,
            cost_decimals: pair.cost_decimals,
            cl_ord_id: Some(format!("seeded-{}", st.seeded)),
            userref: None,
            status: "closed".into(),
            reason: None,
            misc: String::new(),
            oflags: "fciq".into(),
            opentm: t,
            closetm: Some(t),
            descr_order: format!("buy 0.10000000 {} @ market", pair.altname),
        };
        st.account_mut(api_key).orders.push(order);
    }
}
