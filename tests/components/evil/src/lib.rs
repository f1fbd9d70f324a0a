//! `evil`: a deliberately hostile driver for the host's security tests.
//!
//! It is an honest, minimal driver for one market, "SOL/USD", until its
//! configuration tells it to misbehave:
//!
//! - config `attack`: what to do (see [`Attack`] names below);
//! - config `attack-on`: the operation to do it in, by its WIT name
//!   (`market-rules`, `ticker` — the default —, `balances`, `status`,
//!   `place-market-order`, `query-order`, `find-order`). `info` is never
//!   attacked. An unknown `attack-on` or `attack` makes every operation
//!   fail with `invalid-request`, so a typo in a test cannot pass silently.
//!
//! Attacks valid in any attacked operation: `spin`, `memory-bomb`,
//! `huge-log`, `huge-result`, `trap`, `send-then-trap`, `undeclared-path`,
//! `withdraw`, `read-env`, `exfiltrate`. Only in `query-order`:
//! `lying-negative`, `lying-absurd`, `lying-oversize`, `lying-exponent`.
//! Only in `place-market-order`: `bad-order-id`.

wit_bindgen::generate!({ path: "../../../wit/since_v0.1.0", world: "driver" });

use std::hint::black_box;

use exports::tradehost::exchange::exchange::Guest;
use tradehost::exchange::config;
use tradehost::exchange::http::{self, Auth, HttpError, Method, Request, Response};
use tradehost::exchange::log::{self, Level};
use tradehost::exchange::types::{
    Balance, DriverError, DriverInfo, ExchangeState, ExchangeStatus, MarketOrder, MarketRules,
    MarketStatus, OrderReport, OrderState, PlacedOrder, Side, SigningScheme, Ticker,
};

const SYMBOL: &str = "SOL/USD";
const PAIR: &str = "SOLUSD";
const ORDER_ID: &str = "OEVIL1-00000-000001";
const TICKER_PATH: &str = "/0/public/Ticker";
const ADD_ORDER_PATH: &str = "/0/private/AddOrder";
const WITHDRAW_PATH: &str = "/0/private/Withdraw";
const MIB: usize = 1 << 20;

const OPERATIONS: [&str; 7] = [
    "market-rules",
    "ticker",
    "balances",
    "status",
    "place-market-order",
    "query-order",
    "find-order",
];

/// Config keys an exfiltrating driver would try.
const GUESSED_KEYS: [&str; 10] = [
    "api-key",
    "api_key",
    "kraken-api-key",
    "KRAKEN_API_KEY",
    "private-key",
    "secret",
    "KRAKEN_PRIVATE_KEY",
    "password",
    "database-url",
    "DATABASE_URL",
];

fn unavailable(message: impl Into<String>) -> DriverError {
    DriverError::Unavailable(message.into())
}

/// The attack configured for operation `op`, if `attack-on` names it.
fn attack_in(op: &str) -> Result<Option<String>, DriverError> {
    let on = config::get("attack-on").unwrap_or_else(|| "ticker".into());
    if on != "info" && !OPERATIONS.contains(&on.as_str()) {
        return Err(DriverError::InvalidRequest(format!(
            "evil: unknown attack-on {on:?}"
        )));
    }
    Ok(if on == op {
        config::get("attack")
    } else {
        None
    })
}

/// Runs the attacks that do not depend on the operation. `Ok(())` means
/// "now answer normally".
fn attack(attack: &str, op: &str, client_order_id: &str) -> Result<(), DriverError> {
    match attack {
        "spin" => spin(),
        "memory-bomb" => Err(unavailable(memory_bomb())),
        "huge-log" => {
            huge_log();
            Ok(())
        }
        "huge-result" => Err(unavailable(huge('E'))),
        "trap" => panic!("evil trap"),
        "send-then-trap" => {
            // Whatever the answer, trap after the order went out.
            let _answer = http::send(&add_order(client_order_id));
            panic!("evil trap")
        }
        "undeclared-path" => {
            let answer = http::send(&request(
                Method::Get,
                "/0/public/Assets",
                &[],
                &[],
                Auth::Public,
            ));
            Err(unavailable(format!("{answer:?}")))
        }
        "withdraw" => {
            let answer = http::send(&request(
                Method::Post,
                WITHDRAW_PATH,
                &[],
                &[
                    ("asset", "USD"),
                    ("key", "evil-wallet"),
                    ("amount", "10000"),
                ],
                Auth::Signed,
            ));
            Err(unavailable(format!("{answer:?}")))
        }
        "read-env" => Err(unavailable(read_env())),
        "exfiltrate" => Err(unavailable(exfiltrate())),
        other => Err(DriverError::InvalidRequest(format!(
            "evil: unknown attack {other:?} for {op}"
        ))),
    }
}

fn spin() -> ! {
    let mut counter: u64 = 0;
    loop {
        counter = black_box(counter.wrapping_add(1));
    }
}

/// Allocates and touches 1 MiB chunks up to 2 GiB, keeping them all alive.
fn memory_bomb() -> String {
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    for i in 0..2048usize {
        // Non-zero fill: every page is written, not just reserved.
        chunks.push(black_box(vec![(i % 255) as u8 + 1; MIB]));
    }
    let chunks = black_box(chunks);
    format!("evil: holding {} MiB", chunks.len())
}

/// 100 000 lines of 10 KiB each through the host's log.
fn huge_log() {
    let mut line = String::from("evil huge-log ");
    line.extend(std::iter::repeat_n('L', 10 * 1024 - line.len()));
    for _ in 0..100_000 {
        log::log(Level::Info, &line);
    }
}

/// A 48 MiB string.
fn huge(fill: char) -> String {
    std::iter::repeat_n(fill, 48 * MIB).collect()
}

fn request(
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    form: &[(&str, &str)],
    auth: Auth,
) -> Request {
    let pairs = |kv: &[(&str, &str)]| {
        kv.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    Request {
        method,
        path: path.into(),
        query: pairs(query),
        form: pairs(form),
        auth,
        cache_seconds: 0,
    }
}

fn add_order(client_order_id: &str) -> Request {
    request(
        Method::Post,
        ADD_ORDER_PATH,
        &[],
        &[
            ("pair", PAIR),
            ("type", "buy"),
            ("ordertype", "market"),
            ("volume", "0.5"),
            ("cl_ord_id", client_order_id),
        ],
        Auth::Signed,
    )
}

fn lossy(s: std::ffi::OsString) -> String {
    s.to_string_lossy().into_owned()
}

fn env_vars() -> Vec<String> {
    std::env::vars_os()
        .map(|(k, v)| format!("{}={}", lossy(k), lossy(v)))
        .collect()
}

fn read_env() -> String {
    let env = env_vars();
    let args: Vec<String> = std::env::args_os().map(lossy).collect();
    format!(
        "env={}:{} args={}:{}",
        env.len(),
        env.join(";"),
        args.len(),
        args.join(";")
    )
}

fn body(answer: Result<Response, HttpError>) -> String {
    match answer {
        Ok(response) => format!("{} {}", response.status, response.body),
        Err(e) => format!("{e:?}"),
    }
}

/// Everything the driver can see, logged and returned.
fn exfiltrate() -> String {
    let mut loot = Vec::new();
    for key in GUESSED_KEYS {
        loot.push(format!("config {key}={:?}", config::get(key)));
    }
    loot.push(format!("env {}", env_vars().join(";")));
    let ticker = http::send(&request(
        Method::Get,
        TICKER_PATH,
        &[("pair", PAIR)],
        &[],
        Auth::Public,
    ));
    loot.push(format!("ticker {}", body(ticker)));
    loot.push(format!(
        "add-order {}",
        body(http::send(&add_order("evil-exfiltrate")))
    ));
    let loot = loot.join(" | ");
    log::log(Level::Warn, &format!("evil exfiltrate: {loot}"));
    loot
}

fn check_symbol(symbol: &str) -> Result<(), DriverError> {
    if symbol == SYMBOL {
        Ok(())
    } else {
        Err(DriverError::InvalidSymbol(symbol.into()))
    }
}

/// The honest report: 75.025 USD bought 0.5 SOL at 150.05.
fn report(order_id: String) -> OrderReport {
    OrderReport {
        order_id,
        client_order_id: None,
        symbol: SYMBOL.into(),
        side: Side::Buy,
        state: OrderState::Closed,
        filled_size: "0.5".into(),
        average_price: "150.05".into(),
        cost: "75.025".into(),
        fee: "0.19506500".into(),
        fee_currency: "USD".into(),
    }
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Driver;

impl Guest for Driver {
    fn info() -> DriverInfo {
        DriverInfo {
            exchange_id: "evil".into(),
            driver_version: env!("CARGO_PKG_VERSION").into(),
            signing: SigningScheme::KrakenHmacSha512,
            default_base_url: "https://api.kraken.com".into(),
            request_paths: vec![
                TICKER_PATH.into(),
                ADD_ORDER_PATH.into(),
                WITHDRAW_PATH.into(),
            ],
        }
    }

    fn market_rules(symbol: String) -> Result<MarketRules, DriverError> {
        if let Some(a) = attack_in("market-rules")? {
            attack(&a, "market-rules", "")?;
        }
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

    fn ticker(symbol: String) -> Result<Ticker, DriverError> {
        let mut last = "150".to_owned();
        match attack_in("ticker")?.as_deref() {
            Some("huge-result") => last = huge('9'),
            Some(a) => attack(a, "ticker", "")?,
            None => {}
        }
        check_symbol(&symbol)?;
        Ok(Ticker {
            symbol,
            bid: "149.95".into(),
            ask: "150.05".into(),
            last,
        })
    }

    fn balances() -> Result<Vec<Balance>, DriverError> {
        if let Some(a) = attack_in("balances")? {
            attack(&a, "balances", "")?;
        }
        Ok(vec![Balance {
            currency: "USD".into(),
            total: "10000".into(),
            available: "10000".into(),
        }])
    }

    fn status() -> Result<ExchangeStatus, DriverError> {
        if let Some(a) = attack_in("status")? {
            attack(&a, "status", "")?;
        }
        Ok(ExchangeStatus {
            state: ExchangeState::Online,
            message: None,
        })
    }

    fn place_market_order(order: MarketOrder) -> Result<PlacedOrder, DriverError> {
        let mut order_id = ORDER_ID.to_owned();
        match attack_in("place-market-order")?.as_deref() {
            Some("bad-order-id") => order_id = "O".repeat(10_000),
            Some(a) => attack(a, "place-market-order", &order.client_order_id)?,
            None => {}
        }
        check_symbol(&order.symbol)?;
        // Honest mode sends nothing: the order "fills" at once.
        Ok(PlacedOrder { order_id })
    }

    fn query_order(order_id: String) -> Result<OrderReport, DriverError> {
        let mut report = report(order_id);
        match attack_in("query-order")?.as_deref() {
            Some("lying-negative") => report.average_price = "-150".into(),
            Some("lying-absurd") => {
                report.average_price = "99999999999999".into();
                report.cost = "49999999999999.5".into();
            }
            Some("lying-oversize") => {
                report.filled_size = "1000".into();
                report.cost = "150050".into();
            }
            Some("lying-exponent") => report.average_price = "1.5e2".into(),
            Some(a) => attack(a, "query-order", "")?,
            None => {}
        }
        Ok(report)
    }

    fn find_order(_client_order_id: String) -> Result<Option<OrderReport>, DriverError> {
        if let Some(a) = attack_in("find-order")? {
            attack(&a, "find-order", "")?;
        }
        Ok(None)
    }
}

// Only a component exports: native builds would otherwise emit symbols
// named like `tradehost:exchange/...`, which native linkers refuse.
#[cfg(target_arch = "wasm32")]
export!(Driver);
