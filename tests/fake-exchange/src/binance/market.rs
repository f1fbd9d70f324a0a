//! Symbols, their filters and order books, and the public endpoints.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use super::api::{ApiError, Params};
use super::state::State;

/// `minQty`, `maxQty`, `stepSize` of LOT_SIZE / MARKET_LOT_SIZE (0 = that
/// part disabled).
#[derive(Debug, Clone)]
pub(super) struct LotSize {
    pub min: Decimal,
    pub max: Decimal,
    pub step: Decimal,
}

impl LotSize {
    pub fn passes(&self, qty: Decimal) -> bool {
        (self.min.is_zero() || qty >= self.min)
            && (self.max.is_zero() || qty <= self.max)
            && (self.step.is_zero() || (qty % self.step).is_zero())
    }
}

/// The legacy MIN_NOTIONAL filter.
#[derive(Debug, Clone)]
pub(super) struct MinNotional {
    pub min: Decimal,
    pub apply_to_market: bool,
    pub avg_price_mins: u32,
}

/// The NOTIONAL filter.
#[derive(Debug, Clone)]
pub(super) struct Notional {
    pub min: Decimal,
    pub apply_min_to_market: bool,
    pub max: Decimal,
    pub apply_max_to_market: bool,
    pub avg_price_mins: u32,
}

/// Price levels, best first: bids descending, asks ascending.
#[derive(Debug, Clone, Default)]
pub(super) struct Book {
    pub bids: Vec<(Decimal, Decimal)>,
    pub asks: Vec<(Decimal, Decimal)>,
}

#[derive(Debug, Clone)]
pub(super) struct Symbol {
    pub name: String,
    pub status: String,
    pub base: String,
    pub quote: String,
    pub base_precision: u32,
    pub quote_precision: u32,
    pub base_commission_precision: u32,
    pub quote_commission_precision: u32,
    pub quote_order_qty_market_allowed: bool,
    /// (minPrice, maxPrice, tickSize)
    pub price_filter: (Decimal, Decimal, Decimal),
    pub lot_size: LotSize,
    pub market_lot_size: Option<LotSize>,
    pub min_notional: Option<MinNotional>,
    pub notional: Option<Notional>,
    pub book: Book,
    /// Set by the test; otherwise the mid of the best bid and ask.
    pub avg_price: Option<Decimal>,
}

impl Symbol {
    /// The average price MARKET notional checks use (8 dp).
    pub fn avg_price(&self) -> Decimal {
        if let Some(p) = self.avg_price {
            return p;
        }
        let best = |side: &[(Decimal, Decimal)]| side.first().map(|l| l.0);
        let mid = match (best(&self.book.bids), best(&self.book.asks)) {
            (Some(b), Some(a)) => (b + a) / Decimal::TWO,
            (Some(p), None) | (None, Some(p)) => p,
            (None, None) => Decimal::ZERO,
        };
        mid.round_dp_with_strategy(8, RoundingStrategy::MidpointAwayFromZero)
    }

    fn avg_price_mins(&self) -> u32 {
        self.notional
            .as_ref()
            .map(|n| n.avg_price_mins)
            .or(self.min_notional.as_ref().map(|n| n.avg_price_mins))
            .unwrap_or(5)
    }
}

struct Spec {
    name: &'static str,
    base: &'static str,
    status: &'static str,
    quote_qty_allowed: bool,
    tick: &'static str,
    /// (minQty, maxQty, stepSize)
    lot: (&'static str, &'static str, &'static str),
    market_lot: Option<(&'static str, &'static str, &'static str)>,
    /// MIN_NOTIONAL minNotional (applyToMarket true)
    min_notional: Option<&'static str>,
    /// NOTIONAL (minNotional, maxNotional, applyMaxToMarket)
    notional: Option<(&'static str, &'static str, bool)>,
    bids: &'static [(&'static str, &'static str)],
    asks: &'static [(&'static str, &'static str)],
}

/// The default symbols, all quoted in USDT.
const DEFAULTS: [Spec; 8] = [
    Spec {
        name: "BTCUSDT",
        base: "BTC",
        status: "TRADING",
        quote_qty_allowed: true,
        tick: "0.01",
        lot: ("0.00001", "9000", "0.00001"),
        market_lot: Some(("0", "120", "0")),
        min_notional: None,
        notional: Some(("5", "9000000", false)),
        bids: &[
            ("59999.99", "0.5"),
            ("59999.00", "1"),
            ("59990.00", "2"),
            ("59950.00", "5"),
            ("59900.00", "10"),
        ],
        asks: &[
            ("60000.00", "0.01"),
            ("60001.00", "0.02"),
            ("60002.50", "0.05"),
            ("60010.00", "0.5"),
            ("60050.00", "10"),
        ],
    },
    Spec {
        name: "ETHUSDT",
        base: "ETH",
        status: "TRADING",
        quote_qty_allowed: true,
        tick: "0.01",
        lot: ("0.0001", "9000", "0.0001"),
        market_lot: Some(("0", "3000", "0")),
        min_notional: None,
        notional: Some(("5", "9000000", false)),
        bids: &[
            ("2999.90", "0.5"),
            ("2999.50", "1"),
            ("2999.00", "5"),
            ("2995.00", "100"),
        ],
        asks: &[
            ("3000.00", "0.5"),
            ("3000.50", "1"),
            ("3001.00", "5"),
            ("3005.00", "100"),
        ],
    },
    Spec {
        name: "SOLUSDT",
        base: "SOL",
        status: "TRADING",
        quote_qty_allowed: true,
        tick: "0.01",
        lot: ("0.001", "9000000", "0.001"),
        market_lot: Some(("0", "50000", "0")),
        min_notional: None,
        notional: Some(("5", "9000000", false)),
        bids: &[
            ("149.99", "5"),
            ("149.95", "10"),
            ("149.90", "50"),
            ("149.00", "1000"),
        ],
        asks: &[
            ("150.00", "5"),
            ("150.05", "10"),
            ("150.10", "50"),
            ("151.00", "1000"),
        ],
    },
    Spec {
        name: "BNBUSDT",
        base: "BNB",
        status: "TRADING",
        quote_qty_allowed: true,
        tick: "0.01",
        lot: ("0.001", "9000000", "0.001"),
        market_lot: Some(("0", "10000", "0")),
        min_notional: None,
        notional: Some(("5", "9000000", false)),
        bids: &[
            ("599.90", "1"),
            ("599.80", "5"),
            ("599.50", "20"),
            ("595.00", "500"),
        ],
        asks: &[
            ("600.00", "1"),
            ("600.10", "5"),
            ("600.50", "20"),
            ("605.00", "500"),
        ],
    },
    // Legacy MIN_NOTIONAL only (applyToMarket), no NOTIONAL, no MARKET_LOT_SIZE.
    Spec {
        name: "LTCUSDT",
        base: "LTC",
        status: "TRADING",
        quote_qty_allowed: true,
        tick: "0.01",
        lot: ("0.001", "90000", "0.001"),
        market_lot: None,
        min_notional: Some("10"),
        notional: None,
        bids: &[
            ("79.99", "10"),
            ("79.95", "20"),
            ("79.90", "100"),
            ("79.00", "1000"),
        ],
        asks: &[
            ("80.00", "10"),
            ("80.05", "20"),
            ("80.10", "100"),
            ("81.00", "1000"),
        ],
    },
    // NOTIONAL only, its maximum applied to MARKET orders too.
    Spec {
        name: "XRPUSDT",
        base: "XRP",
        status: "TRADING",
        quote_qty_allowed: true,
        tick: "0.0001",
        lot: ("0.1", "9222449", "0.1"),
        market_lot: None,
        min_notional: None,
        notional: Some(("5", "1000", true)),
        bids: &[
            ("0.4999", "1000"),
            ("0.4998", "5000"),
            ("0.4995", "20000"),
            ("0.4900", "1000000"),
        ],
        asks: &[
            ("0.5000", "1000"),
            ("0.5001", "5000"),
            ("0.5005", "20000"),
            ("0.5100", "1000000"),
        ],
    },
    // Not trading.
    Spec {
        name: "ADAUSDT",
        base: "ADA",
        status: "BREAK",
        quote_qty_allowed: true,
        tick: "0.0001",
        lot: ("0.1", "9000000", "0.1"),
        market_lot: Some(("0", "1000000", "0")),
        min_notional: None,
        notional: Some(("5", "9000000", false)),
        bids: &[("0.3999", "10000"), ("0.3990", "100000")],
        asks: &[("0.4000", "10000"), ("0.4010", "100000")],
    },
    // MARKET orders by quoteOrderQty not allowed.
    Spec {
        name: "DOGEUSDT",
        base: "DOGE",
        status: "TRADING",
        quote_qty_allowed: false,
        tick: "0.00001",
        lot: ("1", "9000000", "1"),
        market_lot: Some(("0", "5000000", "0")),
        min_notional: None,
        notional: Some(("1", "9000000", false)),
        bids: &[("0.14999", "10000"), ("0.14990", "100000")],
        asks: &[("0.15000", "10000"), ("0.15010", "100000")],
    },
];

pub(super) fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("not a decimal: {s:?}: {e}"))
}

fn levels(raw: &[(&str, &str)]) -> Vec<(Decimal, Decimal)> {
    raw.iter().map(|&(p, q)| (dec(p), dec(q))).collect()
}

pub(super) fn default_symbols() -> Vec<Symbol> {
    let lot = |(min, max, step): (&str, &str, &str)| LotSize {
        min: dec(min),
        max: dec(max),
        step: dec(step),
    };
    DEFAULTS
        .iter()
        .map(|d| Symbol {
            name: d.name.into(),
            status: d.status.into(),
            base: d.base.into(),
            quote: "USDT".into(),
            base_precision: 8,
            quote_precision: 8,
            base_commission_precision: 8,
            quote_commission_precision: 8,
            quote_order_qty_market_allowed: d.quote_qty_allowed,
            price_filter: (dec(d.tick), dec("1000000"), dec(d.tick)),
            lot_size: lot(d.lot),
            market_lot_size: d.market_lot.map(lot),
            min_notional: d.min_notional.map(|min| MinNotional {
                min: dec(min),
                apply_to_market: true,
                avg_price_mins: 5,
            }),
            notional: d.notional.map(|(min, max, apply_max)| Notional {
                min: dec(min),
                apply_min_to_market: true,
                max: dec(max),
                apply_max_to_market: apply_max,
                avg_price_mins: 5,
            }),
            book: Book {
                bids: levels(d.bids),
                asks: levels(d.asks),
            },
            avg_price: None,
        })
        .collect()
}

/// A decimal as Binance writes it: exactly 8 decimals.
pub(super) fn fmt8(value: Decimal) -> String {
    let mut v = value.round_dp_with_strategy(8, RoundingStrategy::MidpointAwayFromZero);
    v.rescale(8);
    v.to_string()
}

/// `symbol` as Binance validates it: `^[A-Z0-9-_.]{1,20}$`.
pub(super) fn check_symbol_format(name: &str, param: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 20
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::illegal_chars(param, "^[A-Z0-9-_.]{1,20}$"))
    }
}

/// The mandatory `symbol`, validated and known.
pub(super) fn symbol_param<'a>(st: &'a State, p: &Params) -> Result<&'a Symbol, ApiError> {
    let name = p.required("symbol")?;
    check_symbol_format(name, "symbol")?;
    st.symbol(name).ok_or_else(ApiError::bad_symbol)
}

/// The symbols one of `symbol` or `symbols=["A","B"]` names, or all of them
/// (`None`) when neither is sent.
fn selected<'a>(st: &'a State, p: &Params) -> Result<Option<Vec<&'a Symbol>>, ApiError> {
    match (p.get("symbol"), p.get("symbols")) {
        (Some(_), Some(_)) => Err(ApiError::new(
            -1128,
            "Combination of optional parameters invalid.",
        )),
        (Some(_), None) => Ok(Some(vec![symbol_param(st, p)?])),
        (None, Some(list)) => {
            const RANGE: &str = r#"^\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\]$"#;
            let names: Vec<String> = serde_json::from_str(list)
                .map_err(|_| ApiError::illegal_chars("symbols", RANGE))?;
            if names.is_empty() {
                return Err(ApiError::illegal_chars("symbols", RANGE));
            }
            names
                .iter()
                .map(|n| {
                    check_symbol_format(n, "symbols")
                        .map_err(|_| ApiError::illegal_chars("symbols", RANGE))?;
                    st.symbol(n).ok_or_else(ApiError::bad_symbol)
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
        }
        (None, None) => Ok(None),
    }
}

fn lot_json(kind: &str, l: &LotSize) -> Value {
    json!({
        "filterType": kind,
        "minQty": fmt8(l.min),
        "maxQty": fmt8(l.max),
        "stepSize": fmt8(l.step),
    })
}

fn symbol_json(s: &Symbol) -> Value {
    let (min_price, max_price, tick) = s.price_filter;
    let mut filters = vec![
        json!({
            "filterType": "PRICE_FILTER",
            "minPrice": fmt8(min_price),
            "maxPrice": fmt8(max_price),
            "tickSize": fmt8(tick),
        }),
        lot_json("LOT_SIZE", &s.lot_size),
    ];
    if let Some(m) = &s.min_notional {
        filters.push(json!({
            "filterType": "MIN_NOTIONAL",
            "minNotional": fmt8(m.min),
            "applyToMarket": m.apply_to_market,
            "avgPriceMins": m.avg_price_mins,
        }));
    }
    filters.push(json!({"filterType": "ICEBERG_PARTS", "limit": 10}));
    if let Some(m) = &s.market_lot_size {
        filters.push(lot_json("MARKET_LOT_SIZE", m));
    }
    filters.push(
        json!({"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10,
        "maxTrailingAboveDelta": 2000, "minTrailingBelowDelta": 10, "maxTrailingBelowDelta": 2000}),
    );
    filters.push(
        json!({"filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": "5",
        "bidMultiplierDown": "0.2", "askMultiplierUp": "5", "askMultiplierDown": "0.2",
        "avgPriceMins": 5}),
    );
    if let Some(n) = &s.notional {
        filters.push(json!({
            "filterType": "NOTIONAL",
            "minNotional": fmt8(n.min),
            "applyMinToMarket": n.apply_min_to_market,
            "maxNotional": fmt8(n.max),
            "applyMaxToMarket": n.apply_max_to_market,
            "avgPriceMins": n.avg_price_mins,
        }));
    }
    filters.push(json!({"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200}));
    filters.push(json!({"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5}));
    json!({
        "symbol": s.name,
        "status": s.status,
        "baseAsset": s.base,
        "baseAssetPrecision": s.base_precision,
        "quoteAsset": s.quote,
        "quotePrecision": s.quote_precision,
        "quoteAssetPrecision": s.quote_precision,
        "baseCommissionPrecision": s.base_commission_precision,
        "quoteCommissionPrecision": s.quote_commission_precision,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT",
            "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": true,
        "ocoAllowed": true,
        "otoAllowed": true,
        "opoAllowed": true,
        "quoteOrderQtyMarketAllowed": s.quote_order_qty_market_allowed,
        "allowTrailingStop": true,
        "cancelReplaceAllowed": true,
        "amendAllowed": true,
        "pegInstructionsAllowed": true,
        "isSpotTradingAllowed": true,
        "isMarginTradingAllowed": false,
        "filters": filters,
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": STP_MODES,
    })
}

pub(super) const STP_MODES: [&str; 5] = [
    "NONE",
    "EXPIRE_TAKER",
    "EXPIRE_MAKER",
    "EXPIRE_BOTH",
    "DECREMENT",
];

pub(super) fn exchange_info(st: &State, p: &Params, now_ms: i64) -> Result<Value, ApiError> {
    let mut symbols: Vec<&Symbol> = selected(st, p)?.unwrap_or_else(|| st.symbols.iter().collect());
    if let Some(status) = p.get("symbolStatus") {
        if !matches!(
            status,
            "TRADING" | "HALT" | "BREAK" | "END_OF_DAY" | "CANCEL_ONLY"
        ) {
            return Err(ApiError::invalid_param("symbolStatus"));
        }
        if p.get("symbol").is_some() || p.get("symbols").is_some() {
            return Err(ApiError::new(
                -1128,
                "Combination of optional parameters invalid.",
            ));
        }
        symbols.retain(|s| s.status == status);
    }
    Ok(json!({
        "timezone": "UTC",
        "serverTime": now_ms,
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                "limit": st.limits.weight_limit},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
                "limit": st.order_limit_10s},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1,
                "limit": st.order_limit_1d},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5,
                "limit": 300_000},
        ],
        "exchangeFilters": [],
        "symbols": symbols.into_iter().map(symbol_json).collect::<Vec<_>>(),
        "sors": [],
    }))
}

fn book_ticker(s: &Symbol) -> Value {
    let best = |side: &[(Decimal, Decimal)]| side.first().copied().unwrap_or_default();
    let (bid, bid_qty) = best(&s.book.bids);
    let (ask, ask_qty) = best(&s.book.asks);
    json!({
        "symbol": s.name,
        "bidPrice": fmt8(bid),
        "bidQty": fmt8(bid_qty),
        "askPrice": fmt8(ask),
        "askQty": fmt8(ask_qty),
    })
}

fn price_ticker(s: &Symbol) -> Value {
    json!({ "symbol": s.name, "price": fmt8(s.avg_price()) })
}

/// `ticker/bookTicker` or `ticker/price`: an object for `symbol`, an array
/// otherwise.
pub(super) fn ticker(st: &State, p: &Params, book: bool) -> Result<Value, ApiError> {
    let one = |s: &Symbol| {
        if book {
            book_ticker(s)
        } else {
            price_ticker(s)
        }
    };
    Ok(match selected(st, p)? {
        Some(list) if p.get("symbol").is_some() => one(list[0]),
        Some(list) => list.into_iter().map(one).collect::<Vec<_>>().into(),
        None => st.symbols.iter().map(one).collect::<Vec<_>>().into(),
    })
}

pub(super) fn avg_price(st: &State, p: &Params, now_ms: i64) -> Result<Value, ApiError> {
    let s = symbol_param(st, p)?;
    Ok(json!({
        "mins": s.avg_price_mins(),
        "price": fmt8(s.avg_price()),
        "closeTime": now_ms,
    }))
}
