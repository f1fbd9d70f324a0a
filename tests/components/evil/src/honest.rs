//! The honest part: one market, SOL/USD on Kraken. Orders really go to the
//! exchange through the host; reports are the ones a fill of 0.5 SOL at
//! 150.05 would give (the fake Kraken's default quote).

use crate::tradehost::exchange::http::{self, Auth, HttpError, Method, Request};
use crate::tradehost::exchange::types::{
    Balance, DriverError, DriverInfo, ExchangeState, ExchangeStatus, Fee, MarketOrder, MarketRules,
    MarketStatus, OrderAmount, OrderLookup, OrderReport, OrderState, PlacedOrder, Side,
    SigningScheme, Ticker,
};

pub const SYMBOL: &str = "SOL/USD";
pub const PAIR: &str = "SOLUSD";
pub const TICKER_PATH: &str = "/0/public/Ticker";
pub const ADD_ORDER_PATH: &str = "/0/private/AddOrder";
/// Declared by the driver, refused by the host's Kraken profile anyway:
/// the double gate.
pub const FORBIDDEN_PATHS: [&str; 8] = [
    "/0/private/Withdraw",
    "/0/private/CancelAll",
    "/0/private/EditOrder",
    "/0/private/AmendOrder",
    "/0/private/AddOrderBatch",
    "/0/private/CancelAllOrdersAfter",
    "/0/private/Earn/Allocate",
    "/0/private/Stake",
];

pub fn info() -> DriverInfo {
    let mut paths = vec![
        TICKER_PATH.to_owned(),
        "/0/public/AssetPairs".to_owned(),
        ADD_ORDER_PATH.to_owned(),
        "/0/private/QueryOrders".to_owned(),
    ];
    paths.extend(FORBIDDEN_PATHS.iter().map(|p| (*p).to_owned()));
    DriverInfo {
        exchange_id: "evil".into(),
        driver_version: env!("CARGO_PKG_VERSION").into(),
        signing: SigningScheme::KrakenHmacSha512,
        default_base_url: "https://api.kraken.com".into(),
        request_paths: paths,
    }
}

pub fn check_symbol(symbol: &str) -> Result<(), DriverError> {
    if symbol == SYMBOL {
        Ok(())
    } else {
        Err(DriverError::InvalidSymbol(symbol.into()))
    }
}

pub fn market_rules(symbol: String) -> Result<MarketRules, DriverError> {
    check_symbol(&symbol)?;
    Ok(MarketRules {
        symbol,
        pair_id: PAIR.into(),
        base: "SOL".into(),
        quote: "USD".into(),
        min_size: "0.06".into(),
        min_cost: "0.5".into(),
        size_decimals: 8,
        price_decimals: 2,
        status: MarketStatus::Online,
    })
}

pub fn ticker(symbol: String) -> Result<Ticker, DriverError> {
    check_symbol(&symbol)?;
    Ok(Ticker {
        symbol,
        bid: "149.95".into(),
        ask: "150.05".into(),
        last: "150".into(),
    })
}

pub fn balances() -> Vec<Balance> {
    vec![Balance {
        currency: "USD".into(),
        total: "10000".into(),
        available: "10000".into(),
    }]
}

pub fn status() -> ExchangeStatus {
    ExchangeStatus {
        state: ExchangeState::Online,
        message: None,
    }
}

pub fn request(method: Method, path: &str, form: &[(&str, &str)], auth: Auth) -> Request {
    Request {
        method,
        path: path.into(),
        query: Vec::new(),
        form: form
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        auth,
        cache_seconds: 0,
    }
}

/// The order as an honest Kraken driver sends it.
pub fn order_form(order: &MarketOrder) -> Vec<(String, String)> {
    let (side, volume) = match (&order.side, &order.amount) {
        (Side::Buy, _) => ("buy", "0.5".to_owned()),
        (Side::Sell, OrderAmount::Base(v)) => ("sell", v.clone()),
        (Side::Sell, OrderAmount::Quote(_)) => ("sell", "0.5".to_owned()),
    };
    let mut form = vec![
        ("pair".to_owned(), PAIR.to_owned()),
        ("type".to_owned(), side.to_owned()),
        ("ordertype".to_owned(), "market".to_owned()),
        ("volume".to_owned(), volume),
        ("oflags".to_owned(), "fciq".to_owned()),
        ("cl_ord_id".to_owned(), order.client_order_id.clone()),
    ];
    if let Some(deadline) = &order.deadline {
        form.push(("deadline".to_owned(), deadline.clone()));
    }
    form
}

/// Sends an AddOrder form through the host; the txid, or why not.
pub fn send_order(form: Vec<(String, String)>) -> Result<String, DriverError> {
    let mut req = request(Method::Post, ADD_ORDER_PATH, &[], Auth::Signed);
    req.form = form;
    let answer = http::send(&req).map_err(|e| match e {
        HttpError::Denied(m) => DriverError::InvalidRequest(format!("denied: {m}")),
        HttpError::NotSent(m) => DriverError::Unavailable(m),
        HttpError::NoAnswer(m) => DriverError::UnknownOutcome(m),
    })?;
    let body: serde_json::Value = serde_json::from_str(&answer.body)
        .map_err(|_| DriverError::UnknownOutcome(format!("HTTP {}", answer.status)))?;
    body["result"]["txid"][0]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| DriverError::OrderRejected(body["error"].to_string()))
}

pub fn place(order: &MarketOrder) -> Result<PlacedOrder, DriverError> {
    check_symbol(&order.symbol)?;
    if matches!(
        (&order.side, &order.amount),
        (Side::Buy, OrderAmount::Base(_))
    ) {
        return Err(DriverError::InvalidRequest(
            "a buy takes a quote amount".into(),
        ));
    }
    Ok(PlacedOrder {
        order_id: send_order(order_form(order))?,
        fill: None,
    })
}

/// What a fill of the order looks like: 0.5 SOL at 150.05.
pub fn report(lookup: &OrderLookup) -> OrderReport {
    OrderReport {
        order_id: lookup.order_id.clone().unwrap_or_default(),
        client_order_id: Some(lookup.client_order_id.clone()),
        symbol: lookup.symbol.clone(),
        side: lookup.side,
        state: OrderState::Closed,
        filled_size: "0.5".into(),
        average_price: "150.05".into(),
        cost: "75.025".into(),
        fees: vec![Fee {
            amount: "0.19506500".into(),
            currency: "USD".into(),
        }],
    }
}
