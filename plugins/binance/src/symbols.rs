//! Names and rules. The host speaks unified `BASE/QUOTE` (BTC/USDT);
//! Binance speaks symbols (BTCUSDT) whose base and quote are known only
//! from exchangeInfo's `baseAsset`/`quoteAsset`: a symbol is never split,
//! and no asset is ever aliased (USD is not USDT).

use crate::num;
use crate::responses::{self, Filters, Listing, LotSize, SymbolInfo};
use crate::tradehost::exchange::types::{DriverError, MarketRules, MarketStatus};
use rust_decimal::Decimal;

/// Splits a host symbol at its one '/'.
pub fn parse_symbol(symbol: &str) -> Result<(&str, &str), DriverError> {
    let invalid =
        || DriverError::InvalidSymbol(format!("not a BASE/QUOTE symbol: {}", num::clip(symbol)));
    let (base, quote) = symbol.split_once('/').ok_or_else(invalid)?;
    let ok = |p: &str| !p.is_empty() && !p.contains('/') && !p.contains(char::is_whitespace);
    if !ok(base) || !ok(quote) {
        return Err(invalid());
    }
    Ok((base, quote))
}

/// The id Binance gives BASE/QUOTE if it lists it: the two, upper-cased,
/// run together (BTC/USDT → BTCUSDT). Anything that cannot be a Binance
/// symbol is `invalid-symbol` before any request.
pub fn candidate_id(symbol: &str) -> Result<String, DriverError> {
    let (base, quote) = parse_symbol(symbol)?;
    let id = format!("{base}{quote}").to_ascii_uppercase();
    if id.len() > 20 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(DriverError::InvalidSymbol(format!(
            "binance has no symbol like {}",
            num::clip(symbol)
        )));
    }
    Ok(id)
}

/// The listing whose assets are the symbol's: exactly, else ignoring ASCII
/// case ("btc/usdt"). Unknown → `invalid-symbol`.
pub fn find<'a>(listings: &'a [Listing], symbol: &str) -> Result<&'a Listing, DriverError> {
    let (base, quote) = parse_symbol(symbol)?;
    listings
        .iter()
        .find(|l| l.base == base && l.quote == quote)
        .or_else(|| {
            listings
                .iter()
                .find(|l| l.base.eq_ignore_ascii_case(base) && l.quote.eq_ignore_ascii_case(quote))
        })
        .ok_or_else(|| {
            DriverError::InvalidSymbol(format!("binance lists no symbol for {}", num::clip(symbol)))
        })
}

/// Finds and reads the symbol's entry. An entry that cannot be read is
/// `unavailable`, not `invalid-symbol`: the symbol exists.
pub fn resolve(listings: &[Listing], symbol: &str) -> Result<Market, DriverError> {
    market(find(listings, symbol)?).map_err(DriverError::Unavailable)
}

/// Everything the driver needs of one symbol.
#[derive(Clone, Debug, PartialEq)]
pub struct Market {
    /// Unified, e.g. "BTC/USDT".
    pub symbol: String,
    /// Binance's symbol, e.g. "BTCUSDT".
    pub id: String,
    pub base: String,
    pub quote: String,
    /// Binance's `status` as sent (for messages).
    pub exchange_status: String,
    pub status: MarketStatus,
    /// The symbol accepts MARKET orders at all (sells by `quantity`).
    pub market_orders: bool,
    /// It also accepts MARKET orders by `quoteOrderQty` (buys).
    pub quote_market_orders: bool,
    /// Smallest market order, in base units (0 = none).
    pub min_size: Decimal,
    /// Largest market order, in base units (0 = none).
    pub max_size: Decimal,
    /// Smallest market order value, in quote units (0 = none).
    pub min_cost: Decimal,
    /// Every non-zero step a market order's quantity must be a multiple of.
    pub steps: Vec<Decimal>,
    pub size_decimals: u8,
    pub price_decimals: u8,
    /// Decimal places allowed in `quoteOrderQty`.
    pub quote_decimals: u32,
}

impl Market {
    pub fn rules(&self) -> MarketRules {
        MarketRules {
            symbol: self.symbol.clone(),
            pair_id: self.id.clone(),
            base: self.base.clone(),
            quote: self.quote.clone(),
            min_size: num::fmt(self.min_size),
            min_cost: num::fmt(self.min_cost),
            size_decimals: self.size_decimals,
            price_decimals: self.price_decimals,
            status: self.status,
        }
    }
}

/// Binance symbol status → market status. TRADING is `online` only when
/// the symbol takes the orders the driver sends (MARKET, by quoteOrderQty
/// for buys); otherwise it is `limit-only`. Unknown statuses block
/// trading rather than allow it.
pub fn market_status(status: &str, market_orders: bool, quote_market_orders: bool) -> MarketStatus {
    match status {
        "TRADING" if market_orders && quote_market_orders => MarketStatus::Online,
        "TRADING" => MarketStatus::LimitOnly,
        "CANCEL_ONLY" => MarketStatus::CancelOnly,
        // HALT, BREAK, END_OF_DAY, and anything new.
        _ => MarketStatus::Maintenance,
    }
}

/// A filter value, refused if negative.
fn value(d: num::Dec, what: &str) -> Result<Decimal, String> {
    num::non_negative(d.0, what)
}

/// The smaller of two maxima where 0 means "none".
fn tighter_max(a: Decimal, b: Decimal) -> Decimal {
    match (a.is_zero(), b.is_zero()) {
        (true, _) => b,
        (_, true) => a,
        _ => a.min(b),
    }
}

/// Market rules from the filters:
/// - min-size: the larger of LOT_SIZE.minQty and MARKET_LOT_SIZE.minQty
///   (0 = disabled);
/// - size-decimals: decimals of the step in force for MARKET orders
///   (MARKET_LOT_SIZE's if non-zero, else LOT_SIZE's; neither: the base
///   asset precision);
/// - min-cost: NOTIONAL.minNotional if `applyMinToMarket`, else
///   MIN_NOTIONAL.minNotional if `applyToMarket`, else 0;
/// - price-decimals: decimals of PRICE_FILTER.tickSize (0 or absent: the
///   quote asset precision).
pub fn market(listing: &Listing) -> Result<Market, String> {
    let id = num::clip(&listing.id);
    let info: SymbolInfo = responses::symbol_info(&listing.raw).map_err(|e| {
        format!(
            "binance exchangeInfo entry {id} is unreadable: {}",
            num::clip(&e)
        )
    })?;
    let missing = |what: &str| format!("binance exchangeInfo entry {id} lacks {what}");
    let Filters {
        price,
        lot_size,
        market_lot_size,
        min_notional,
        notional,
    } = info.filters;
    let lot = |l: Option<LotSize>, name: &str| -> Result<(Decimal, Decimal, Decimal), String> {
        match l {
            None => Ok((Decimal::ZERO, Decimal::ZERO, Decimal::ZERO)),
            Some(l) => Ok((
                value(l.min_qty, &format!("{name}.minQty"))?,
                value(l.max_qty, &format!("{name}.maxQty"))?,
                value(l.step_size, &format!("{name}.stepSize"))?,
            )),
        }
    };
    let (lot_min, lot_max, lot_step) = lot(lot_size, "LOT_SIZE")?;
    let (mkt_min, mkt_max, mkt_step) = lot(market_lot_size, "MARKET_LOT_SIZE")?;
    let step_in_force = if !mkt_step.is_zero() {
        mkt_step
    } else {
        lot_step
    };
    let base_precision = info.base_asset_precision;
    let size_decimals = if step_in_force.is_zero() {
        let p = base_precision.ok_or_else(|| missing("a step size and baseAssetPrecision"))?;
        u8::try_from(p).map_err(|_| missing("a sane baseAssetPrecision"))?
    } else {
        num::step_decimals(step_in_force)
    };
    let quote_decimals = info
        .quote_asset_precision
        .or(info.quote_precision)
        .filter(|p| *p <= 28)
        .ok_or_else(|| missing("quoteAssetPrecision"))?;
    let tick = match price {
        Some(p) => value(p.tick_size, "PRICE_FILTER.tickSize")?,
        None => Decimal::ZERO,
    };
    let price_decimals = if tick.is_zero() {
        // quote_decimals <= 28 was checked above.
        u8::try_from(quote_decimals).unwrap_or(u8::MAX)
    } else {
        num::step_decimals(tick)
    };
    let min_cost = match (notional, min_notional) {
        (Some(n), _) if n.apply_min_to_market => value(n.min_notional, "NOTIONAL.minNotional")?,
        (_, Some(m)) if m.apply_to_market => value(m.min_notional, "MIN_NOTIONAL.minNotional")?,
        _ => Decimal::ZERO,
    };
    let market_orders = info
        .order_types
        .as_ref()
        .is_some_and(|t| t.iter().any(|t| t == "MARKET"));
    // Absent means not allowed: the restrictive reading.
    let quote_market_orders = market_orders && info.quote_order_qty_market_allowed == Some(true);
    Ok(Market {
        symbol: format!("{}/{}", listing.base, listing.quote),
        id: listing.id.clone(),
        base: listing.base.clone(),
        quote: listing.quote.clone(),
        status: market_status(&info.status, market_orders, quote_market_orders),
        exchange_status: num::clip(&info.status),
        market_orders,
        quote_market_orders,
        // 0 means "none", so the larger minimum is the one in force.
        min_size: lot_min.max(mkt_min),
        max_size: tighter_max(lot_max, mkt_max),
        min_cost,
        steps: [lot_step, mkt_step]
            .into_iter()
            .filter(|s| !s.is_zero())
            .collect(),
        size_decimals,
        price_decimals,
        quote_decimals,
    })
}
