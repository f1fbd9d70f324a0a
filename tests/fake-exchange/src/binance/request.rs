//! A new order's request, checked as Binance checks it: parameters,
//! client order id, amounts and the symbol's filters, before the engine
//! (`orders.rs`) sees it.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::api::{ApiError, Params};
use super::market::{STP_MODES, Symbol, symbol_param};
use super::state::State;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum RespType {
    Ack,
    Result,
    Full,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Amount {
    /// `quantity`, in the base asset.
    Base(Decimal),
    /// `quoteOrderQty`, in the quote asset.
    Quote(Decimal),
}

/// A validated new-order request.
pub(super) struct Request {
    pub symbol: Symbol,
    pub buy: bool,
    pub amount: Amount,
    pub client_order_id: Option<String>,
    pub resp: RespType,
    pub stp_mode: String,
}

const AMOUNT_RANGE: &str = r"^([0-9]{1,20})(\.[0-9]{1,20})?$";
const CLIENT_ID_RANGE: &str = "^[a-zA-Z0-9-_]{1,36}$";
const OTHER_TYPES: [&str; 6] = [
    "LIMIT",
    "LIMIT_MAKER",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
];

/// A decimal parameter: absent/empty ⇒ None; malformed ⇒ -1100; more
/// decimals than `precision` ⇒ -1111.
fn amount_param(p: &Params, name: &str, precision: u32) -> Result<Option<Decimal>, ApiError> {
    let Some(text) = p.get(name).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let digits = |s: &str| (1..=20).contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit());
    if !digits(int) || !frac.is_none_or(digits) {
        return Err(ApiError::illegal_chars(name, AMOUNT_RANGE));
    }
    let value = Decimal::from_str(text).map_err(|_| ApiError::illegal_chars(name, AMOUNT_RANGE))?;
    if value.normalize().scale() > precision {
        return Err(ApiError::new(
            -1111,
            format!("Parameter '{name}' has too much precision."),
        ));
    }
    Ok(Some(value))
}

fn valid_client_id(id: &str) -> bool {
    (1..=36).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// 22 characters like Binance's own (`6gCrw2kRUAF9CvJDGP16IP`).
pub(super) fn auto_client_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bits = uuid::Uuid::new_v4().as_u128();
    (0..22)
        .map(|_| {
            let c = ALPHABET[(bits % 62) as usize] as char;
            bits /= 62;
            c
        })
        .collect()
}

/// Parameter checks and filters: everything that answers before the
/// matching engine.
pub(super) fn validate(st: &State, p: &Params) -> Result<Request, ApiError> {
    let symbol = symbol_param(st, p)?.clone();
    let buy = match p.required("side")? {
        "BUY" => true,
        "SELL" => false,
        _ => return Err(ApiError::new(-1117, "Invalid side.")),
    };
    match p.required("type")? {
        "MARKET" => {}
        t if OTHER_TYPES.contains(&t) => {
            return Err(ApiError::rejected(
                "This fake exchange executes MARKET orders only.",
            ));
        }
        _ => return Err(ApiError::new(-1116, "Invalid orderType.")),
    }
    for name in [
        "timeInForce",
        "price",
        "stopPrice",
        "icebergQty",
        "trailingDelta",
    ] {
        if p.get(name).is_some() {
            return Err(ApiError::new(
                -1106,
                format!("Parameter '{name}' sent when not required."),
            ));
        }
    }
    let quantity = amount_param(p, "quantity", symbol.base_precision)?;
    let quote_qty = amount_param(p, "quoteOrderQty", symbol.quote_precision)?;
    let amount = match (quantity, quote_qty) {
        (Some(q), None) => Amount::Base(q),
        (None, Some(q)) => Amount::Quote(q),
        (None, None) => {
            return Err(ApiError::new(
                -1102,
                "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                -1106,
                "Parameter 'quoteOrderQty' sent when not required.",
            ));
        }
    };
    let client_order_id = match p.get("newClientOrderId") {
        None => None,
        Some("") => return Err(ApiError::new(-1118, "New client order ID was empty.")),
        Some(id) if !valid_client_id(id) => {
            return Err(ApiError::illegal_chars("newClientOrderId", CLIENT_ID_RANGE));
        }
        Some(id) => Some(id.to_owned()),
    };
    let resp = match p.get("newOrderRespType") {
        None | Some("FULL") => RespType::Full,
        Some("RESULT") => RespType::Result,
        Some("ACK") => RespType::Ack,
        Some(_) => return Err(ApiError::invalid_param("newOrderRespType")),
    };
    let stp_mode = match p.get("selfTradePreventionMode") {
        None => "EXPIRE_MAKER".to_owned(),
        Some(m) if STP_MODES.contains(&m) => m.to_owned(),
        Some(_) => return Err(ApiError::invalid_param("selfTradePreventionMode")),
    };

    if matches!(amount, Amount::Quote(_)) && !symbol.quote_order_qty_market_allowed {
        return Err(ApiError::rejected(
            "Quote order qty market orders are not support for this symbol.",
        ));
    }
    if symbol.status != "TRADING" {
        return Err(ApiError::rejected("Market is closed."));
    }
    check_filters(&symbol, amount)?;
    Ok(Request {
        symbol,
        buy,
        amount,
        client_order_id,
        resp,
        stp_mode,
    })
}

/// LOT_SIZE and MARKET_LOT_SIZE on `quantity`; MIN_NOTIONAL and NOTIONAL
/// on quantity × average price, or on `quoteOrderQty` itself.
fn check_filters(s: &Symbol, amount: Amount) -> Result<(), ApiError> {
    let notional = match amount {
        Amount::Base(qty) => {
            if !s.lot_size.passes(qty) {
                return Err(ApiError::filter("LOT_SIZE"));
            }
            if s.market_lot_size.as_ref().is_some_and(|m| !m.passes(qty)) {
                return Err(ApiError::filter("MARKET_LOT_SIZE"));
            }
            qty * s.avg_price()
        }
        Amount::Quote(quote) => quote,
    };
    if let Some(m) = &s.min_notional
        && m.apply_to_market
        && notional < m.min
    {
        return Err(ApiError::filter("MIN_NOTIONAL"));
    }
    if let Some(n) = &s.notional
        && ((n.apply_min_to_market && notional < n.min)
            || (n.apply_max_to_market && notional > n.max))
    {
        return Err(ApiError::filter("NOTIONAL"));
    }
    Ok(())
}
