//! The private endpoints other than AddOrder: balances, the order queries
//! and CancelOrder.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::market::{asset_decimals, fmt_min_dp};
use super::orders::{Order, holds, invalid};
use super::server::Params;
use super::state::{Account, State};

/// Orders on a ClosedOrders page.
const PAGE: usize = 50;

fn truthy(v: Option<&str>) -> bool {
    matches!(v, Some("true" | "True" | "TRUE" | "1"))
}

/// Unix microseconds as Kraken's float seconds.
#[allow(
    clippy::cast_precision_loss,
    reason = "Kraken sends times as float seconds; microseconds since 1970 are exact in f64 until 2255"
)]
fn epoch(micros: i64) -> f64 {
    micros as f64 / 1e6
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
    let price_dp = if o.avg_price.is_zero() {
        5
    } else {
        o.pair_decimals
    };
    let mut obj = json!({
        "refid": null,
        "userref": o.userref,
        "status": o.status,
        "opentm": epoch(o.opentm),
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
        "cost": fmt_min_dp(o.cost, o.cost_decimals),
        "fee": fee.to_string(),
        "price": fmt_min_dp(o.avg_price, price_dp),
        "stopprice": "0.00000",
        "limitprice": "0.00000",
        "misc": o.misc,
        "oflags": o.oflags,
    });
    let map = obj.as_object_mut().unwrap_or_else(|| unreachable!());
    if let Some(id) = &o.cl_ord_id {
        map.insert("cl_ord_id".into(), json!(id));
    }
    if let Some(closetm) = o.closetm {
        map.insert("closetm".into(), json!(epoch(closetm)));
        map.insert("reason".into(), json!(o.reason));
    }
    if with_trades && !o.trade_ids.is_empty() {
        map.insert("trades".into(), json!(o.trade_ids));
    }
    obj
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
    let now = st.now().timestamp_micros();
    let filter_after_paging = st.filter_after_paging;
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
                .filter(|o| o.is_open() && keep(o))
                .map(|o| (o.txid.clone(), order_json(o, trades)))
                .collect();
            Ok(json!({ "open": open }))
        }
        "ClosedOrders" => closed_orders(account, params, trades, filter_after_paging),
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
            let mut count = 0;
            for o in account
                .orders
                .iter_mut()
                .filter(|o| o.is_open() && target(o))
            {
                o.status = "canceled".into();
                o.reason = Some("User requested".into());
                o.closetm = Some(now.max(o.opentm));
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

/// Microseconds as exact decimal seconds.
fn seconds(micros: i64) -> Decimal {
    Decimal::new(micros, 6)
}

/// `start` (exclusive) / `end` (inclusive): unix seconds or a txid (that
/// order's open time).
fn bound(account: &Account, params: &Params, name: &str) -> Result<Option<Decimal>, String> {
    match params.get(name) {
        None | Some("") => Ok(None),
        Some(v) => match Decimal::from_str(v) {
            Ok(t) => Ok(Some(t)),
            Err(_) => account
                .orders
                .iter()
                .find(|o| o.txid == v)
                .map(|o| Some(seconds(o.opentm)))
                .ok_or_else(|| invalid(name)),
        },
    }
}

/// Closed orders, newest (open time) first, 50 a page from `ofs`. With
/// `filter_after_paging`, the `cl_ord_id`/`userref` filters apply to the
/// page of orders in the time range and `count` counts that range;
/// otherwise they apply before paging and `count` counts the matches.
fn closed_orders(
    account: &Account,
    params: &Params,
    trades: bool,
    filter_after_paging: bool,
) -> Result<Value, String> {
    let keep = filter(params)?;
    let start = bound(account, params, "start")?;
    let end = bound(account, params, "end")?;
    let closetime = params.get("closetime").unwrap_or("both");
    if !matches!(closetime, "open" | "close" | "both") {
        return Err(invalid("closetime"));
    }
    let ofs = match params.get("ofs") {
        None | Some("") => 0,
        Some(o) => usize::from_str(o).map_err(|_| invalid("ofs"))?,
    };
    let in_range = |t: i64| {
        let t = seconds(t);
        start.is_none_or(|s| t > s) && end.is_none_or(|e| t <= e)
    };
    let mut window: Vec<(usize, &Order)> = account
        .orders
        .iter()
        .enumerate()
        .filter(|(_, o)| !o.is_open())
        .filter(|(_, o)| {
            let close = o.closetm.unwrap_or(o.opentm);
            match closetime {
                "open" => in_range(o.opentm),
                "close" => in_range(close),
                _ => in_range(o.opentm) || in_range(close),
            }
        })
        .collect();
    window.sort_by(|(i, a), (j, b)| b.opentm.cmp(&a.opentm).then(j.cmp(i)));
    let (page, count): (Vec<&Order>, usize) = if filter_after_paging {
        let page = window
            .iter()
            .skip(ofs)
            .take(PAGE)
            .map(|(_, o)| *o)
            .filter(|o| keep(o))
            .collect();
        (page, window.len())
    } else {
        let matches: Vec<&Order> = window.iter().map(|(_, o)| *o).filter(|o| keep(o)).collect();
        let count = matches.len();
        (matches.into_iter().skip(ofs).take(PAGE).collect(), count)
    };
    let closed: Map<_, _> = page
        .into_iter()
        .map(|o| (o.txid.clone(), order_json(o, trades)))
        .collect();
    if truthy(params.get("without_count")) {
        return Ok(json!({ "closed": closed }));
    }
    Ok(json!({ "closed": closed, "count": count }))
}
