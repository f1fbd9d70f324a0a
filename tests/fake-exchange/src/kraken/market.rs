//! Pairs, assets, tickers and the public endpoints.

use std::collections::HashMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::state::State;

#[derive(Debug, Clone)]
pub(super) struct Pair {
    pub id: String,
    pub altname: String,
    pub wsname: String,
    pub base: String,
    pub quote: String,
    pub ordermin: Decimal,
    pub costmin: Decimal,
    pub lot_decimals: u32,
    pub pair_decimals: u32,
    pub cost_decimals: u32,
    pub tick_size: String,
    pub status: String,
}

#[derive(Debug, Clone)]
pub(super) struct Quote {
    pub bid: String,
    pub ask: String,
    pub last: String,
}

impl Quote {
    /// (bid, ask) as decimals, when both parse.
    pub fn prices(&self) -> Option<(Decimal, Decimal)> {
        Some((
            Decimal::from_str(&self.bid).ok()?,
            Decimal::from_str(&self.ask).ok()?,
        ))
    }
}

/// (id, altname, wsname, base, ordermin, lot_decimals, pair_decimals,
/// cost_decimals, tick_size); all quote ZUSD with costmin 0.5.
#[allow(
    clippy::type_complexity,
    reason = "a table, one row per pair as the reference lists it"
)]
const PAIRS: [(&str, &str, &str, &str, &str, u32, u32, u32, &str); 5] = [
    (
        "XXBTZUSD", "XBTUSD", "XBT/USD", "XXBT", "0.00005", 8, 1, 5, "0.1",
    ),
    (
        "XETHZUSD", "ETHUSD", "ETH/USD", "XETH", "0.002", 8, 2, 5, "0.01",
    ),
    (
        "SOLUSD", "SOLUSD", "SOL/USD", "SOL", "0.06", 8, 2, 5, "0.01",
    ),
    (
        "XDGUSD",
        "XDGUSD",
        "XDG/USD",
        "XXDG",
        "50",
        8,
        7,
        9,
        "0.0000001",
    ),
    (
        "ADAUSD", "ADAUSD", "ADA/USD", "ADA", "5", 8, 6, 8, "0.000001",
    ),
];

const TICKERS: [(&str, &str, &str, &str); 5] = [
    ("XXBTZUSD", "59990.0", "60010.0", "60000.0"),
    ("XETHZUSD", "2999.50", "3000.50", "3000.00"),
    ("SOLUSD", "149.95", "150.05", "150.00"),
    ("XDGUSD", "0.1499000", "0.1501000", "0.1500000"),
    ("ADAUSD", "0.499500", "0.500500", "0.500000"),
];

/// (asset id, altname, decimals) for the Assets endpoint and balance display.
const ASSETS: [(&str, &str, u32); 6] = [
    ("ZUSD", "USD", 4),
    ("XXBT", "XBT", 10),
    ("XETH", "ETH", 10),
    ("SOL", "SOL", 10),
    ("XXDG", "XDG", 8),
    ("ADA", "ADA", 8),
];

pub(super) fn default_pairs() -> Vec<Pair> {
    PAIRS
        .iter()
        .map(|&(id, alt, ws, base, min, lot, price, cost, tick)| Pair {
            id: id.into(),
            altname: alt.into(),
            wsname: ws.into(),
            base: base.into(),
            quote: "ZUSD".into(),
            ordermin: Decimal::from_str(min).unwrap_or_default(),
            costmin: Decimal::new(5, 1),
            lot_decimals: lot,
            pair_decimals: price,
            cost_decimals: cost,
            tick_size: tick.into(),
            status: "online".into(),
        })
        .collect()
}

/// The base asset id of the `n`-th extra USD pair (1-based): `TK01`, `TK02`,
/// … (more digits past 99). Alphanumeric without an X/Z prefix, so every
/// client reads the id itself as the unified code.
pub(super) fn extra_base(n: usize) -> String {
    format!("TK{n:02}")
}

/// The `n`-th extra USD pair: generic rules (ordermin 0.01, costmin 0.5,
/// 8 lot / 2 price / 5 cost decimals) and a ticker around 10 USD, for
/// benchmarks that trade many distinct assets.
pub(super) fn extra_usd_pair(n: usize) -> (Pair, Quote) {
    let base = extra_base(n);
    let pair = Pair {
        id: format!("{base}USD"),
        altname: format!("{base}USD"),
        wsname: format!("{base}/USD"),
        base,
        quote: "ZUSD".into(),
        ordermin: Decimal::new(1, 2),
        costmin: Decimal::new(5, 1),
        lot_decimals: 8,
        pair_decimals: 2,
        cost_decimals: 5,
        tick_size: "0.01".into(),
        status: "online".into(),
    };
    let quote = Quote {
        bid: "9.99".into(),
        ask: "10.01".into(),
        last: "10.00".into(),
    };
    (pair, quote)
}

pub(super) fn default_tickers() -> HashMap<String, Quote> {
    TICKERS
        .iter()
        .map(|&(id, bid, ask, last)| {
            let quote = Quote {
                bid: bid.into(),
                ask: ask.into(),
                last: last.into(),
            };
            (id.to_owned(), quote)
        })
        .collect()
}

/// Decimals Kraken shows for an asset's balance (8 for unknown assets).
pub(super) fn asset_decimals(asset: &str) -> u32 {
    ASSETS
        .iter()
        .find(|(id, _, _)| *id == asset)
        .map_or(8, |(_, _, d)| *d)
}

/// `value` with at least `dp` decimals, and more only when the exact
/// value needs them (never rounds).
pub(super) fn fmt_min_dp(value: Decimal, dp: u32) -> String {
    let mut v = value.normalize();
    if v.scale() < dp {
        v.rescale(dp);
    }
    v.to_string()
}

/// Answers a public method, `Ok(result)` or `Err(error string)`.
pub(super) fn public(
    st: &State,
    method: &str,
    params: &HashMap<String, String>,
) -> Result<Value, String> {
    let now = st.now();
    match method {
        "Time" => Ok(json!({
            "unixtime": now.timestamp(),
            "rfc1123": now.format("%a, %d %b %y %H:%M:%S +0000").to_string(),
        })),
        "SystemStatus" => Ok(json!({
            "status": st.system_status,
            "timestamp": now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        })),
        "Assets" => {
            // The fixed assets, then the base of any pair added since
            // (extra pairs): its id is its altname, with 8 decimals.
            let fixed = ASSETS
                .iter()
                .map(|&(id, alt, dp)| (id.to_owned(), alt.to_owned(), dp));
            let added = st
                .pairs
                .iter()
                .filter(|p| !ASSETS.iter().any(|(id, _, _)| *id == p.base))
                .map(|p| (p.base.clone(), p.base.clone(), asset_decimals(&p.base)));
            Ok(fixed
                .chain(added)
                .map(|(id, alt, decimals)| {
                    let asset = json!({"aclass": "currency", "altname": alt, "decimals": decimals,
                        "display_decimals": decimals.min(5), "status": "enabled"});
                    (id, asset)
                })
                .collect::<Map<_, _>>()
                .into())
        }
        "AssetPairs" => {
            let pairs = selected_pairs(st, params.get("pair"))?;
            Ok(pairs
                .into_iter()
                .map(|p| (p.id.clone(), asset_pair(p)))
                .collect::<Map<_, _>>()
                .into())
        }
        "Ticker" => {
            let pairs = selected_pairs(st, params.get("pair"))?;
            let explicit = params.get("pair").is_some_and(|p| !p.is_empty());
            let mut result = Map::new();
            for pair in pairs {
                match st.tickers.get(&pair.id) {
                    Some(q) => {
                        result.insert(pair.id.clone(), ticker(q));
                    }
                    None if explicit => return Err("EQuery:Unknown asset pair".into()),
                    None => {}
                }
            }
            Ok(result.into())
        }
        _ => Err("EGeneral:Unknown method".into()),
    }
}

/// All pairs, or those named (id, altname or wsname) in a comma list.
fn selected_pairs<'a>(st: &'a State, list: Option<&String>) -> Result<Vec<&'a Pair>, String> {
    match list.map(String::as_str) {
        None | Some("") => Ok(st.pairs.iter().collect()),
        Some(list) => list
            .split(',')
            .map(|name| {
                st.pair(name.trim())
                    .ok_or_else(|| "EQuery:Unknown asset pair".to_owned())
            })
            .collect(),
    }
}

fn ticker(q: &Quote) -> Value {
    json!({
        "a": [q.ask, "1", "1.000"],
        "b": [q.bid, "1", "1.000"],
        "c": [q.last, "0.10000000"],
        "v": ["1000.00000000", "1500.00000000"],
        "p": [q.last, q.last],
        "t": [100, 150],
        "l": [q.bid, q.bid],
        "h": [q.ask, q.ask],
        "o": q.last,
    })
}

fn asset_pair(p: &Pair) -> Value {
    let fees = json!([
        [0, 0.26],
        [50_000, 0.24],
        [100_000, 0.22],
        [250_000, 0.2],
        [500_000, 0.18],
        [1_000_000, 0.16],
        [2_500_000, 0.14],
        [5_000_000, 0.12],
        [10_000_000, 0.1]
    ]);
    let fees_maker = json!([
        [0, 0.16],
        [50_000, 0.14],
        [100_000, 0.12],
        [250_000, 0.1],
        [500_000, 0.08],
        [1_000_000, 0.06],
        [2_500_000, 0.04],
        [5_000_000, 0.02],
        [10_000_000, 0]
    ]);
    json!({
        "altname": p.altname,
        "wsname": p.wsname,
        "aclass_base": "currency",
        "base": p.base,
        "aclass_quote": "currency",
        "quote": p.quote,
        "lot": "unit",
        "cost_decimals": p.cost_decimals,
        "pair_decimals": p.pair_decimals,
        "lot_decimals": p.lot_decimals,
        "lot_multiplier": 1,
        "leverage_buy": [2, 3, 4, 5],
        "leverage_sell": [2, 3, 4, 5],
        "fees": fees,
        "fees_maker": fees_maker,
        "fee_volume_currency": "ZUSD",
        "margin_call": 80,
        "margin_stop": 40,
        "ordermin": p.ordermin.to_string(),
        "costmin": p.costmin.to_string(),
        "tick_size": p.tick_size,
        "status": p.status,
        "long_position_limit": 250,
        "short_position_limit": 200,
    })
}
