//! The Binance Spot REST profile (facts: shared/reference/binance-api.md).
//! Public: ping, time, exchangeInfo, bookTicker. Signed: the account, one
//! order by id or client id, an order's trades, and a new MARKET order
//! with the parameters of one — nothing that cancels, replaces, lists
//! orders in bulk, or moves funds.
//!
//! Binance has no order deadline: the host bounds execution with the
//! signed request's `recvWindow` (`net::Outbound::place`), which Binance
//! checks again just before its matching engine.

pub mod signing;

use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::{
    CredentialVars, DecodedOrder, Endpoint, MarketRef, Observations, OrderAnswer, OrderSize,
    Profile, Purpose, SignStyle, get, plain_decimal, refused, required, single,
};
use crate::domain::Symbol;
use crate::exchange::{DriverError, Side};
use crate::net::{CounterLimits, Method, PublicRate, Request};

/// Binance's key variables; the secret is used as text.
pub const CREDENTIALS: CredentialVars = CredentialVars {
    api_key: "BINANCE_API_KEY",
    secret: "BINANCE_API_SECRET",
    secret_is_base64: false,
};

/// Binance's order endpoint: POST places an order, GET reads one.
pub const ORDER: &str = "/api/v3/order";
const PING: &str = "/api/v3/ping";
const TIME: &str = "/api/v3/time";
const EXCHANGE_INFO: &str = "/api/v3/exchangeInfo";
const BOOK_TICKER: &str = "/api/v3/ticker/bookTicker";
const ACCOUNT: &str = "/api/v3/account";
const MY_TRADES: &str = "/api/v3/myTrades";

const HOUR: Duration = Duration::from_secs(3600);
/// A ping may be a few seconds old when the exchange's status is checked.
const PING_CACHE: Duration = Duration::from_secs(10);
/// Prices may be served from the cache briefly (the pre-trade check's read).
const PRICE_CACHE: Duration = Duration::from_secs(5);
/// Binance's documented REQUEST_WEIGHT per minute, until exchangeInfo says.
const DEFAULT_WEIGHT_PER_MINUTE: u32 = 6000;

const fn endpoint(
    method: Method,
    path: &'static str,
    signed: bool,
    params: &'static [&'static str],
    purpose: Purpose,
    max_cache: Duration,
) -> Endpoint {
    Endpoint {
        method,
        path,
        signed,
        params,
        purpose,
        max_cache,
    }
}

/// Parameters of the one order request, as the driver sends them.
const ORDER_PARAMS: &[&str] = &[
    "symbol",
    "side",
    "type",
    "quoteOrderQty",
    "quantity",
    "newClientOrderId",
    "newOrderRespType",
];

const ENDPOINTS: [Endpoint; 8] = [
    endpoint(Method::Get, PING, false, &[], Purpose::Read, PING_CACHE),
    endpoint(Method::Get, TIME, false, &[], Purpose::Time, Duration::ZERO),
    endpoint(
        Method::Get,
        EXCHANGE_INFO,
        false,
        &["symbol", "symbols"],
        Purpose::Markets,
        HOUR,
    ),
    endpoint(
        Method::Get,
        BOOK_TICKER,
        false,
        &["symbol", "symbols"],
        Purpose::Prices,
        PRICE_CACHE,
    ),
    endpoint(
        Method::Get,
        ACCOUNT,
        true,
        &["omitZeroBalances"],
        Purpose::Read,
        Duration::ZERO,
    ),
    endpoint(
        Method::Post,
        ORDER,
        true,
        ORDER_PARAMS,
        Purpose::PlaceOrder,
        Duration::ZERO,
    ),
    endpoint(
        Method::Get,
        ORDER,
        true,
        &["symbol", "orderId", "origClientOrderId"],
        Purpose::Read,
        Duration::ZERO,
    ),
    endpoint(
        Method::Get,
        MY_TRADES,
        true,
        &["symbol", "orderId"],
        Purpose::Read,
        Duration::ZERO,
    ),
];

/// Binance Spot (`binance-hmac-sha256`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Binance;

fn shown(text: &str) -> String {
    crate::text::clip(text, 40)
}

/// A message as compared: lower case, no backticks, no final '.'; Binance
/// says its messages vary in such details.
fn canonical(msg: &str) -> String {
    let m: String = msg.chars().filter(|c| *c != '`').collect();
    m.trim().trim_end_matches('.').trim().to_lowercase()
}

/// -1013 filter failures that name a minimum size or value.
const MINIMUM_FILTERS: &[&str] = &[
    "filter failure: lot_size",
    "filter failure: market_lot_size",
    "filter failure: notional",
    "filter failure: min_notional",
];

const MARKET_CLOSED: &str = "market is closed";

/// The refusal an error proves, given its text.
type Refusal = fn(String) -> DriverError;

/// -2010 (NEW_ORDER_REJECTED) messages Binance documents as refusals. Any
/// other -2010 — "Duplicate order sent." (an open order with that client
/// id exists), "Unknown order sent.", anything new — proves nothing.
const NEW_ORDER_REFUSALS: &[(&str, Refusal)] = &[
    (
        "account has insufficient balance for requested action",
        DriverError::InsufficientFunds,
    ),
    (MARKET_CLOSED, DriverError::Unavailable),
    (
        "market orders are not supported for this symbol",
        DriverError::OrderRejected,
    ),
    (
        "quote order qty market orders are not support for this symbol",
        DriverError::OrderRejected,
    ),
    (
        "quote order qty market orders are not supported for this symbol",
        DriverError::OrderRejected,
    ),
    (
        "this symbol is not permitted for this account",
        DriverError::OrderRejected,
    ),
    (
        "this symbol is restricted for this account",
        DriverError::OrderRejected,
    ),
    (
        "rest api trading is not enabled",
        DriverError::OrderRejected,
    ),
    (
        "this account may not place or cancel orders",
        DriverError::OrderRejected,
    ),
    (
        "this action is disabled on this account",
        DriverError::OrderRejected,
    ),
    (
        "order book liquidity is less than lot_size filter minimum quantity",
        DriverError::OrderRejected,
    ),
    (
        "order book liquidity is less than market_lot_size filter minimum quantity",
        DriverError::OrderRejected,
    ),
    (
        "order book liquidity is less than symbol minimum quantity",
        DriverError::OrderRejected,
    ),
];

/// What a Binance error code on a new order proves: `Some` only for the
/// codes Binance documents as refused before anything happened (§4 of the
/// reference). -1000, -1001, -1006, -1007 (timeout: "execution status
/// unknown"), -1008, -2013, unlisted -2010 messages and every code never
/// seen are `None`: the order may exist.
fn refusal(code: i64, msg: &str) -> Option<DriverError> {
    let text = format!("binance code {code}: {}", crate::text::clip(msg, 200));
    let kind: Refusal = match code {
        -2010 => {
            let m = canonical(msg);
            NEW_ORDER_REFUSALS
                .iter()
                .find(|(known, _)| *known == m)
                .map(|(_, kind)| *kind)?
        }
        // Filter failures: "didn't reach the Matching Engine".
        -1013 => {
            let m = canonical(msg);
            if MINIMUM_FILTERS.contains(&m.as_str()) {
                DriverError::BelowMinimum
            } else if m == MARKET_CLOSED {
                DriverError::Unavailable
            } else {
                DriverError::OrderRejected
            }
        }
        -1121 => DriverError::InvalidSymbol,
        -1003 | -1015 => DriverError::RateLimited,
        // The timestamp was outside the window: refused on arrival or
        // just before the engine, never executed.
        -1021 => DriverError::OrderRejected,
        -1002 | -1022 | -2014 | -2015 => DriverError::Auth,
        -1014 => DriverError::OrderRejected,
        // Parameter errors (-1100 … -1199): refused before the engine.
        -1199..=-1100 => DriverError::OrderRejected,
        _ => return None,
    };
    Some(kind(text))
}

/// Binance's own error body, `{"code": -1121, "msg": "Invalid symbol."}`.
fn api_error(body: &str) -> Option<(i64, String)> {
    let value = serde_json::from_str::<Value>(body).ok()?;
    let code = value.get("code")?.as_i64()?;
    let msg = value.get("msg")?.as_str()?;
    Some((code, msg.to_owned()))
}

/// Binance's `orderId`: a JSON integer (or its digits as a string), as the
/// decimal digits the driver reports it by.
fn order_id(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => n.as_u64().map(|id| id.to_string()),
        Value::String(s)
            if (1..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(s.clone())
        }
        _ => None,
    }
}

fn price_text(value: &Value) -> Option<Decimal> {
    value
        .as_str()
        .and_then(plain_decimal)
        .filter(|p| !p.is_zero())
}

/// A Binance symbol as a query value: what the exchange allows in one.
fn plausible_symbol(name: &str) -> bool {
    (1..=20).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The REQUEST_WEIGHT limit per one minute, from exchangeInfo's
/// `rateLimits`.
fn weight_per_minute(info: &Value) -> Option<u32> {
    info["rateLimits"].as_array()?.iter().find_map(|limit| {
        let per_minute = limit["rateLimitType"] == "REQUEST_WEIGHT"
            && limit["interval"] == "MINUTE"
            && limit["intervalNum"] == 1;
        per_minute
            .then(|| limit["limit"].as_u64())
            .flatten()
            .and_then(|l| u32::try_from(l).ok())
            .filter(|l| *l > 0)
    })
}

impl Profile for Binance {
    fn name(&self) -> &'static str {
        "binance"
    }

    fn default_base_url(&self) -> &'static str {
        "https://api.binance.com"
    }

    fn sign_style(&self) -> Option<SignStyle> {
        Some(SignStyle::BinanceTimestamp)
    }

    fn credential_vars(&self) -> Option<CredentialVars> {
        Some(CREDENTIALS)
    }

    fn endpoints(&self) -> &'static [Endpoint] {
        &ENDPOINTS
    }

    fn reserved_params(&self) -> &'static [&'static str] {
        &["timestamp", "recvWindow", "signature"]
    }

    fn decode_order(&self, request: &Request) -> Result<DecodedOrder, String> {
        if let Some((name, _)) = request
            .params()
            .find(|(name, _)| !ORDER_PARAMS.contains(&name.as_str()))
        {
            return Err(format!(
                "parameter {:?} is not part of a market order",
                shown(name)
            ));
        }
        // Query and form together: Binance reads a parameter sent in both
        // from the query, so a name in both counts as given twice and is
        // refused; the host never reads one value and the exchange another.
        for name in ORDER_PARAMS {
            single(request.params(), name)?;
        }
        if required(request.params(), "type")? != "MARKET" {
            return Err("only MARKET orders are placed".to_owned());
        }
        let side = match required(request.params(), "side")? {
            "BUY" => Side::Buy,
            "SELL" => Side::Sell,
            other => return Err(format!("side {:?} is neither BUY nor SELL", shown(other))),
        };
        if let Some(kind) = single(request.params(), "newOrderRespType")?
            && !matches!(kind, "ACK" | "RESULT" | "FULL")
        {
            return Err(format!(
                "newOrderRespType {:?} is not ACK, RESULT or FULL",
                shown(kind)
            ));
        }
        let amount = |text: &str, name: &str| {
            plain_decimal(text)
                .ok_or_else(|| format!("{name} {:?} is not a plain decimal", shown(text)))
        };
        let size = match (
            single(request.params(), "quoteOrderQty")?,
            single(request.params(), "quantity")?,
        ) {
            (Some(quote), None) => OrderSize::Quote(amount(quote, "quoteOrderQty")?),
            (None, Some(base)) => OrderSize::Base(amount(base, "quantity")?),
            _ => return Err("the order needs exactly one of quoteOrderQty and quantity".to_owned()),
        };
        Ok(DecodedOrder {
            pair: required(request.params(), "symbol")?.to_owned(),
            side,
            client_order_id: required(request.params(), "newClientOrderId")?.to_owned(),
            deadline: None,
            size,
        })
    }

    fn decode_order_answer(&self, status: u16, body: &str) -> OrderAnswer {
        match status {
            // Over the request weight or the order count (429), or banned
            // (418): refused on arrival, whatever the body says.
            418 | 429 => refused(DriverError::RateLimited(match api_error(body) {
                Some((code, msg)) => format!(
                    "binance answered HTTP {status}, code {code}: {}",
                    crate::text::clip(&msg, 200)
                ),
                None => format!("binance answered HTTP {status}"),
            })),
            200 => {
                let id = serde_json::from_str::<Value>(body)
                    .ok()
                    .and_then(|answer| order_id(&answer["orderId"]));
                match id {
                    Some(order_id) => OrderAnswer::Accepted { order_id },
                    None => OrderAnswer::Unclear(
                        "the order's answer carries no readable orderId".to_owned(),
                    ),
                }
            }
            // Binance: a 5xx is "execution status UNKNOWN", whatever the body.
            500..=599 => OrderAnswer::Unclear(format!("the order was answered HTTP {status}")),
            _ => match api_error(body) {
                // Only Binance's own error body on a 4xx is its verdict; a
                // 403 WAF page or a proxy's answer proves nothing.
                Some((code, msg)) if (400..500).contains(&status) => match refusal(code, &msg) {
                    Some(error) => refused(error),
                    None => OrderAnswer::Unclear(format!(
                        "the order was answered HTTP {status}, code {code}: {}",
                        crate::text::clip(&msg, 200)
                    )),
                },
                _ => OrderAnswer::Unclear(format!("the order was answered HTTP {status}")),
            },
        }
    }

    fn observe(
        &self,
        endpoint: &Endpoint,
        _request: &Request,
        body: &str,
        into: &mut Observations,
    ) {
        let Ok(answer) = serde_json::from_str::<Value>(body) else {
            return;
        };
        match endpoint.purpose {
            Purpose::Markets => {
                if let Some(limit) = weight_per_minute(&answer) {
                    into.set_weight_per_minute(limit);
                }
                for listing in answer["symbols"].as_array().into_iter().flatten() {
                    let (Some(id), Some(base), Some(quote)) = (
                        listing["symbol"].as_str(),
                        listing["baseAsset"].as_str(),
                        listing["quoteAsset"].as_str(),
                    ) else {
                        continue;
                    };
                    // The exchange's own assets, never a split of the id.
                    if let Ok(symbol) = Symbol::parse(&format!("{base}/{quote}")) {
                        let market = MarketRef {
                            symbol,
                            pair_id: id.to_owned(),
                        };
                        into.market(&[id], market);
                    }
                }
            }
            Purpose::Prices => {
                let quotes = match &answer {
                    Value::Array(list) => list.as_slice(),
                    one => std::slice::from_ref(one),
                };
                for quote in quotes {
                    if let (Some(id), Some(bid), Some(ask)) = (
                        quote["symbol"].as_str(),
                        price_text(&quote["bidPrice"]),
                        price_text(&quote["askPrice"]),
                    ) {
                        into.price(id, bid, ask);
                    }
                }
            }
            _ => {}
        }
    }

    fn markets_request(&self, name: &str) -> Request {
        // One symbol's entry: Binance's full list is several megabytes.
        let query = if plausible_symbol(name) {
            vec![("symbol".to_owned(), name.to_owned())]
        } else {
            Vec::new()
        };
        let mut request = get(EXCHANGE_INFO, query);
        request.cache_for = HOUR;
        request
    }

    fn price_request(&self, pair_id: &str) -> Request {
        get(BOOK_TICKER, vec![("symbol".to_owned(), pair_id.to_owned())])
    }

    fn time_request(&self) -> Request {
        get(TIME, Vec::new())
    }

    fn parse_time(&self, body: &str) -> Option<DateTime<Utc>> {
        let answer = serde_json::from_str::<Value>(body).ok()?;
        DateTime::from_timestamp_millis(answer["serverTime"].as_i64()?)
    }

    fn call_counter(&self) -> Option<CounterLimits> {
        // Binance limits by request weight (per IP), read from its answers.
        None
    }

    fn public_rate(&self) -> PublicRate {
        // The weight budget is the real limit; this only smooths bursts.
        PublicRate {
            burst: 50,
            per_second: 20.0,
        }
    }

    fn weight_per_minute(&self) -> Option<u32> {
        Some(DEFAULT_WEIGHT_PER_MINUTE)
    }

    fn order_carries_deadline(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests;
