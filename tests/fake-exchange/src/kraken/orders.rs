//! AddOrder, the order queries, CancelOrder and the balances.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value, json};

use super::AppliedOrder;
use super::market::{asset_decimals, fmt_min_dp};
use super::server::Params;
use super::state::{Account, State};

#[derive(Debug, Clone)]
pub(super) struct Order {
    pub txid: String,
    pub trade_id: String,
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
    pub cl_ord_id: Option<String>,
    pub userref: Option<i64>,
    pub status: String,
    pub reason: Option<String>,
    pub opentm: f64,
    pub closetm: Option<f64>,
    pub descr_order: String,
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

fn invalid(field: &str) -> String {
    format!("EGeneral:Invalid arguments:{field}")
}

fn epoch(t: DateTime<Utc>) -> f64 {
    t.timestamp_micros() as f64 / 1e6
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

fn truthy(v: Option<&str>) -> bool {
    matches!(v, Some("true" | "True" | "TRUE" | "1"))
}

/// Funds held by open orders, per asset.
fn holds(account: &Account, fee_rate: Decimal) -> BTreeMap<String, Decimal> {
    let mut held = BTreeMap::new();
    for o in account
        .orders
        .iter()
        .filter(|o| o.status == "open" || o.status == "pending")
    {
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

pub(super) fn add_order(
    st: &mut State,
    api_key: &str,
    params: &Params,
    now: DateTime<Utc>,
) -> Result<Value, String> {
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
    if let Some(flags) = params.get("oflags") {
        // Only the default fee-in-quote behaviour is modelled.
        if !flags.split(',').all(|f| matches!(f, "fciq" | "nompp" | "")) {
            return Err(invalid("oflags"));
        }
    }
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
    if let Some(deadline) = params.get("deadline") {
        let deadline = DateTime::parse_from_rfc3339(deadline).map_err(|_| invalid("deadline"))?;
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
    let price = if side == "buy" { ask } else { bid };
    if volume < pair.ordermin {
        return Err("EOrder:Order minimum not met".into());
    }
    let cost = volume * price;
    if cost < pair.costmin {
        return Err("EOrder:Cost minimum not met".into());
    }
    let mut volume_text = volume;
    volume_text.rescale(pair.lot_decimals);
    let descr = format!("{side} {volume_text} {} @ market", pair.altname);
    if params.get("validate").is_some() {
        return Ok(json!({ "descr": { "order": descr } }));
    }

    let fee_rate = st.taker_fee;
    let fee = (cost * fee_rate).round_dp_with_strategy(8, RoundingStrategy::MidpointAwayFromZero);
    let account = st.account_mut(api_key);
    if let Some(id) = &cl_ord_id {
        let open = |o: &&Order| o.status == "open" || o.status == "pending";
        if account
            .orders
            .iter()
            .filter(open)
            .any(|o| o.cl_ord_id.as_ref() == Some(id))
        {
            return Err("EOrder:Duplicate cl_ord_id".into());
        }
    }
    let held = holds(account, fee_rate);
    let available =
        |asset: &str| account.balance(asset) - held.get(asset).copied().unwrap_or_default();
    let enough = if side == "buy" {
        let needed = (cost * (Decimal::ONE + fee_rate)).max(cost + fee);
        available(&pair.quote) >= needed
    } else {
        available(&pair.base) >= volume
    };
    if !enough {
        return Err("EOrder:Insufficient funds".into());
    }
    if side == "buy" {
        account.add(&pair.quote, -(cost + fee));
        account.add(&pair.base, volume);
    } else {
        account.add(&pair.base, -volume);
        account.add(&pair.quote, cost - fee);
    }

    let txid = st.new_id('O');
    let trade_id = st.new_id('T');
    let opened = epoch(now);
    let order = Order {
        txid: txid.clone(),
        trade_id,
        altname: pair.altname.clone(),
        base: pair.base.clone(),
        quote: pair.quote.clone(),
        side: side.clone(),
        ordertype: "market".into(),
        limit_price: None,
        volume,
        vol_exec: volume,
        cost,
        fee,
        avg_price: price,
        lot_decimals: pair.lot_decimals,
        pair_decimals: pair.pair_decimals,
        cl_ord_id: cl_ord_id.clone(),
        userref,
        status: "closed".into(),
        reason: None,
        opentm: opened,
        closetm: Some(epoch(Utc::now()).max(opened + 0.0001)),
        descr_order: descr.clone(),
    };
    st.account_mut(api_key).orders.push(order);
    st.applied.push(AppliedOrder {
        txid: txid.clone(),
        pair: pair.id,
        side,
        volume,
        price,
        cost,
        fee,
        cl_ord_id,
        userref,
        api_key: api_key.to_owned(),
    });
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
    let trade_id = st.new_id('T');
    let mut vol_text = volume;
    vol_text.rescale(pair.lot_decimals);
    let descr = format!("{side} {vol_text} {} @ limit {limit}", pair.altname);
    st.account_mut(api_key).orders.push(Order {
        txid: txid.clone(),
        trade_id,
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
        cl_ord_id: cl_ord_id.map(str::to_owned),
        userref: None,
        status: "open".into(),
        reason: None,
        opentm: epoch(Utc::now()),
        closetm: None,
        descr_order: descr,
    });
    txid
}

/// Kraken's order object.
fn order_json(o: &Order, with_trades: bool) -> Value {
    let vol = |mut v: Decimal| {
        v.rescale(o.lot_decimals);
        v.to_string()
    };
    let mut fee = o.fee;
    fee.rescale(8);
    let descr_price = match o.limit_price {
        Some(p) => fmt_min_dp(p, o.pair_decimals),
        None => "0".to_owned(),
    };
    let mut obj = json!({
        "refid": null,
        "userref": o.userref,
        "status": o.status,
        "opentm": o.opentm,
        "starttm": 0,
        "expiretm": 0,
        "descr": {
            "pair": o.altname,
            "type": o.side,
            "ordertype": o.ordertype,
            "price": descr_price,
            "price2": "0",
            "leverage": "none",
            "order": o.descr_order,
            "close": "",
        },
        "vol": vol(o.volume),
        "vol_exec": vol(o.vol_exec),
        "cost": fmt_min_dp(o.cost, 5),
        "fee": fee.to_string(),
        "price": fmt_min_dp(o.avg_price, if o.avg_price.is_zero() { 5 } else { o.pair_decimals }),
        "stopprice": "0.00000",
        "limitprice": "0.00000",
        "misc": "",
        "oflags": "fciq",
    });
    let map = obj.as_object_mut().unwrap_or_else(|| unreachable!());
    if let Some(id) = &o.cl_ord_id {
        map.insert("cl_ord_id".into(), json!(id));
    }
    if let Some(closetm) = o.closetm {
        map.insert("closetm".into(), json!(closetm));
        map.insert("reason".into(), json!(o.reason));
    }
    if with_trades && !o.vol_exec.is_zero() {
        map.insert("trades".into(), json!([o.trade_id]));
    }
    obj
}

fn is_open(o: &Order) -> bool {
    o.status == "open" || o.status == "pending"
}

/// The `cl_ord_id` and `userref` filters.
fn filter(params: &Params) -> Result<impl Fn(&Order) -> bool, String> {
    let cl_ord_id = params.get("cl_ord_id").map(str::to_owned);
    let userref = match params.get("userref") {
        None => None,
        Some(u) => Some(i64::from(i32::from_str(u).map_err(|_| invalid("userref"))?)),
    };
    Ok(move |o: &Order| {
        cl_ord_id
            .as_ref()
            .is_none_or(|id| o.cl_ord_id.as_ref() == Some(id))
            && userref.is_none_or(|u| o.userref == Some(u))
    })
}

fn is_txid(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [6, 5, 6]
        && parts.iter().all(|p| {
            p.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
}

pub(super) fn private(
    st: &mut State,
    api_key: &str,
    method: &str,
    params: &Params,
) -> Result<Value, String> {
    let fee_rate = st.taker_fee;
    let account = st.account_mut(api_key);
    let trades = truthy(params.get("trades"));
    match method {
        "Balance" => Ok(account
            .balances
            .iter()
            .map(|(asset, v)| (asset.clone(), json!(fmt_min_dp(*v, asset_decimals(asset)))))
            .collect::<Map<_, _>>()
            .into()),
        "BalanceEx" => {
            let held = holds(account, fee_rate);
            Ok(account
                .balances
                .iter()
                .map(|(asset, v)| {
                    let dp = asset_decimals(asset);
                    let hold = held.get(asset).copied().unwrap_or_default();
                    let entry =
                        json!({"balance": fmt_min_dp(*v, dp), "hold_trade": fmt_min_dp(hold, dp)});
                    (asset.clone(), entry)
                })
                .collect::<Map<_, _>>()
                .into())
        }
        "QueryOrders" => {
            let ids = match params.get("txid") {
                None | Some("") => return Err("EGeneral:Invalid arguments".into()),
                Some(ids) => ids.split(',').map(str::trim).collect::<Vec<_>>(),
            };
            if ids.len() > 50 {
                return Err("EGeneral:Invalid arguments".into());
            }
            if !ids.iter().all(|id| is_txid(id)) {
                return Err("EOrder:Invalid order".into());
            }
            let keep = filter(params)?;
            let mut result = Map::new();
            for id in ids {
                if let Some(o) = account.orders.iter().find(|o| o.txid == id && keep(o)) {
                    result.insert(o.txid.clone(), order_json(o, trades));
                }
            }
            Ok(result.into())
        }
        "OpenOrders" => {
            let keep = filter(params)?;
            let open: Map<_, _> = account
                .orders
                .iter()
                .filter(|o| is_open(o) && keep(o))
                .map(|o| (o.txid.clone(), order_json(o, trades)))
                .collect();
            Ok(json!({ "open": open }))
        }
        "ClosedOrders" => closed_orders(account, params, trades),
        "CancelOrder" => {
            let target = |o: &Order| match (params.get("txid"), params.get("cl_ord_id")) {
                (Some(t), _) => {
                    o.txid == t || o.userref.map(|u| u.to_string()).as_deref() == Some(t)
                }
                (None, Some(c)) => o.cl_ord_id.as_deref() == Some(c),
                (None, None) => false,
            };
            if params.get("txid").is_none() && params.get("cl_ord_id").is_none() {
                return Err("EGeneral:Invalid arguments".into());
            }
            let closetm = epoch(Utc::now());
            let mut count = 0;
            for o in account
                .orders
                .iter_mut()
                .filter(|o| is_open(o) && target(o))
            {
                o.status = "canceled".into();
                o.reason = Some("User requested".into());
                o.closetm = Some(closetm);
                count += 1;
            }
            if count == 0 {
                return Err("EOrder:Unknown order".into());
            }
            Ok(json!({ "count": count }))
        }
        _ => Err("EGeneral:Unknown method".into()),
    }
}

/// `start` (exclusive) / `end` (inclusive): unix seconds or a txid.
fn bound(account: &Account, params: &Params, name: &str) -> Result<Option<f64>, String> {
    match params.get(name) {
        None | Some("") => Ok(None),
        Some(v) => match f64::from_str(v) {
            Ok(t) => Ok(Some(t)),
            Err(_) => account
                .orders
                .iter()
                .find(|o| o.txid == v)
                .map(|o| Some(o.opentm))
                .ok_or_else(|| invalid(name)),
        },
    }
}

fn closed_orders(account: &Account, params: &Params, trades: bool) -> Result<Value, String> {
    let keep = filter(params)?;
    let start = bound(account, params, "start")?;
    let end = bound(account, params, "end")?;
    let closetime = params.get("closetime").unwrap_or("both");
    if !matches!(closetime, "open" | "close" | "both") {
        return Err(invalid("closetime"));
    }
    let ofs = match params.get("ofs") {
        None => 0,
        Some(o) => usize::from_str(o).map_err(|_| invalid("ofs"))?,
    };
    let in_range = |t: f64| start.is_none_or(|s| t > s) && end.is_none_or(|e| t <= e);
    let matching: Vec<&Order> = account
        .orders
        .iter()
        .rev()
        .filter(|o| !is_open(o) && keep(o))
        .filter(|o| {
            let close = o.closetm.unwrap_or(o.opentm);
            match closetime {
                "open" => in_range(o.opentm),
                "close" => in_range(close),
                _ => in_range(o.opentm) || in_range(close),
            }
        })
        .collect();
    let closed: Map<_, _> = matching
        .iter()
        .skip(ofs)
        .take(50)
        .map(|o| (o.txid.clone(), order_json(o, trades)))
        .collect();
    Ok(json!({ "closed": closed, "count": matching.len() }))
}
