//! The attacks. Each is named by the `attack` config value; where it runs
//! is `attack-on`. Every attack that tries to reach the exchange does it
//! through the host, as a real driver must — the tests check that the fake
//! exchange never saw what the host had to refuse.
//!
//! Anywhere: `spin`, `memory-bomb`, `huge-log`, `huge-result`, `trap`,
//! `undeclared-path`, `withdraw`, `forbidden-endpoints`, `read-env`,
//! `exfiltrate`, `order-from-read`, `state-flood`, `escape-output`.
//! In `info`: `info-sleep`, `escape-output` (a declared path), and
//! `order-from-read`. In `ticker`: also `overflow-price`, `tiny-ask`.
//! In `place-market-order`: `rogue-leverage`, `rogue-close`,
//! `rogue-validate`, `rogue-viqc`, `rogue-no-client-id`, `rogue-no-deadline`,
//! `rogue-wrong-pair`, `rogue-oversize`, `rogue-wrong-side`, `twice`,
//! `send-then-trap`, `send-then-reject`, `claim-without-sending`,
//! `bad-order-id`. In `query-order`: `lying-negative`, `lying-absurd`,
//! `lying-oversize`, `lying-exponent`, `lying-other-order`,
//! `lying-other-client`, `lying-other-symbol`, `lying-other-side`,
//! `lying-base-fee`, `lying-overflow`.

use std::hint::black_box;

use crate::honest::{self, ADD_ORDER_PATH, FORBIDDEN_PATHS, PAIR, TICKER_PATH};
use crate::tradehost::exchange::http::{self, Auth, HttpError, Method, Response};
use crate::tradehost::exchange::log::{self, Level};
use crate::tradehost::exchange::types::{
    DriverError, DriverInfo, ExchangeState, ExchangeStatus, Fee, MarketOrder, OrderReport,
    PlacedOrder, Side, Ticker,
};
use crate::tradehost::exchange::{config, state};

const MIB: usize = 1 << 20;
/// Terminal escapes and a forged line: clear the line, go back, print OK.
pub const FORGERY: &str = "\u{1b}[2K\r\u{1b}[1Aok   forged-line all checks passed\n";

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

fn body(answer: Result<Response, HttpError>) -> String {
    match answer {
        Ok(response) => format!("{} {}", response.status, response.body),
        Err(e) => format!("{e:?}"),
    }
}

/// An AddOrder for SOL/USD with none of the host's parameters.
fn rogue_order() -> String {
    let form = [
        ("pair", PAIR),
        ("type", "buy"),
        ("ordertype", "market"),
        ("volume", "0.5"),
        ("cl_ord_id", "evil-order"),
    ];
    body(http::send(&honest::request(
        Method::Post,
        ADD_ORDER_PATH,
        &form,
        Auth::Signed,
    )))
}

pub fn in_info(attack: &str, info: &mut DriverInfo) {
    match attack {
        // Blocks on a WASI clock poll: a host call the epoch cannot interrupt.
        "info-sleep" => std::thread::sleep(std::time::Duration::from_secs(100_000)),
        "escape-output" => info
            .request_paths
            .push(format!("/0/public/Ticker{FORGERY}")),
        "order-from-read" => {
            let _ = rogue_order();
        }
        _ => {}
    }
}

/// Attacks valid in any operation. `Ok(())` means "now answer normally".
pub fn anywhere(attack: &str, op: &str, client_order_id: Option<&str>) -> Result<(), DriverError> {
    match attack {
        "spin" => spin(),
        "memory-bomb" => Err(unavailable(memory_bomb())),
        "huge-log" => {
            huge_log();
            Ok(())
        }
        "huge-result" => Err(unavailable(huge('E'))),
        "trap" => panic!("evil trap"),
        "undeclared-path" => {
            let answer = http::send(&honest::request(
                Method::Get,
                "/0/public/Assets",
                &[],
                Auth::Public,
            ));
            Err(unavailable(body(answer)))
        }
        "withdraw" => {
            let form = [
                ("asset", "USD"),
                ("key", "evil-wallet"),
                ("amount", "10000"),
            ];
            let answer = http::send(&honest::request(
                Method::Post,
                FORBIDDEN_PATHS[0],
                &form,
                Auth::Signed,
            ));
            Err(unavailable(body(answer)))
        }
        "forbidden-endpoints" => Err(unavailable(
            FORBIDDEN_PATHS
                .iter()
                .map(|path| {
                    let form = [("txid", "OABCDE-FGHIJ-KLMNOP"), ("timeout", "60")];
                    format!(
                        "{path}: {}",
                        body(http::send(&honest::request(
                            Method::Post,
                            path,
                            &form,
                            Auth::Signed
                        )))
                    )
                })
                .collect::<Vec<_>>()
                .join(" | "),
        )),
        "read-env" => Err(unavailable(read_env())),
        "exfiltrate" => Err(unavailable(exfiltrate(client_order_id))),
        "order-from-read" => Err(unavailable(rogue_order())),
        "state-flood" => Err(unavailable(state_flood())),
        "escape-output" => {
            print!("{FORGERY}");
            panic!("evil{FORGERY}")
        }
        other => Err(DriverError::InvalidRequest(format!(
            "evil: unknown attack {other:?} for {op}"
        ))),
    }
}

pub fn in_ticker(attack: &str, symbol: String) -> Result<Ticker, DriverError> {
    let price = |p: &str| -> Result<Ticker, DriverError> {
        honest::check_symbol(&symbol)?;
        Ok(Ticker {
            symbol: symbol.clone(),
            bid: p.into(),
            ask: p.into(),
            last: p.into(),
        })
    };
    match attack {
        "huge-result" => {
            let mut ticker = honest::ticker(symbol.clone())?;
            ticker.last = huge('9');
            Ok(ticker)
        }
        "overflow-price" => price("79228162514264337593543950335"),
        "tiny-ask" => price("0.0000000000000000000000000001"),
        other => {
            anywhere(other, "ticker", None)?;
            honest::ticker(symbol)
        }
    }
}

pub fn in_status(attack: &str) -> Result<ExchangeStatus, DriverError> {
    if attack == "escape-output" {
        return Ok(ExchangeStatus {
            state: ExchangeState::Online,
            message: Some(format!("online{FORGERY}")),
        });
    }
    anywhere(attack, "status", None)?;
    Ok(honest::status())
}

/// The honest form with one thing changed.
fn rogue(
    order: &MarketOrder,
    change: impl FnOnce(&mut Vec<(String, String)>),
) -> Result<PlacedOrder, DriverError> {
    let mut form = honest::order_form(order);
    change(&mut form);
    Ok(PlacedOrder {
        order_id: honest::send_order(form)?,
        fill: None,
    })
}

fn set(form: &mut Vec<(String, String)>, name: &str, value: &str) {
    form.retain(|(k, _)| k != name);
    form.push((name.to_owned(), value.to_owned()));
}

pub fn in_place(attack: &str, order: &MarketOrder) -> Result<PlacedOrder, DriverError> {
    match attack {
        "rogue-leverage" => rogue(order, |f| set(f, "leverage", "5")),
        "rogue-close" => rogue(order, |f| set(f, "close[ordertype]", "limit")),
        "rogue-validate" => rogue(order, |f| set(f, "validate", "true")),
        "rogue-viqc" => rogue(order, |f| set(f, "oflags", "viqc")),
        "rogue-no-client-id" => rogue(order, |f| f.retain(|(k, _)| k != "cl_ord_id")),
        "rogue-no-deadline" => rogue(order, |f| f.retain(|(k, _)| k != "deadline")),
        "rogue-wrong-pair" => rogue(order, |f| set(f, "pair", "XXBTZUSD")),
        "rogue-oversize" => rogue(order, |f| set(f, "volume", "500")),
        "rogue-wrong-side" => rogue(order, |f| set(f, "type", "sell")),
        "twice" => {
            let first = honest::place(order)?;
            let second = honest::send_order(honest::order_form(order));
            log::log(Level::Warn, &format!("evil second order: {second:?}"));
            Ok(first)
        }
        "send-then-trap" => {
            let _answer = honest::place(order);
            panic!("evil trap")
        }
        "send-then-reject" => {
            let placed = honest::place(order)?;
            Err(DriverError::OrderRejected(format!(
                "evil: pretending {} was refused",
                placed.order_id
            )))
        }
        "claim-without-sending" => Ok(PlacedOrder {
            order_id: "OEVIL1-00000-000001".into(),
            fill: None,
        }),
        "bad-order-id" => {
            honest::place(order)?;
            Ok(PlacedOrder {
                order_id: "O".repeat(10_000),
                fill: None,
            })
        }
        other => {
            anywhere(other, "place-market-order", Some(&order.client_order_id))?;
            honest::place(order)
        }
    }
}

pub fn in_report(attack: &str, mut report: OrderReport) -> Result<OrderReport, DriverError> {
    match attack {
        "lying-negative" => report.average_price = "-150".into(),
        "lying-absurd" => {
            report.average_price = "99999999999999".into();
            report.cost = "49999999999999.5".into();
        }
        "lying-oversize" => {
            report.filled_size = "1000".into();
            report.cost = "150050".into();
        }
        "lying-exponent" => report.average_price = "1.5e2".into(),
        "lying-other-order" => report.order_id = "OOTHER-ORDER-000001".into(),
        "lying-other-client" => report.client_order_id = Some("someone-elses-order".into()),
        "lying-other-symbol" => report.symbol = "BTC/USD".into(),
        "lying-other-side" => {
            report.side = match report.side {
                Side::Buy => Side::Sell,
                Side::Sell => Side::Buy,
            }
        }
        // $499 000 of fees in the base currency on a $75 buy.
        "lying-base-fee" => {
            report.fees = vec![Fee {
                amount: "3325.5581".into(),
                currency: "SOL".into(),
            }];
        }
        "lying-overflow" => {
            report.average_price = "79228162514264337593543950335".into();
            report.cost = "79228162514264337593543950335".into();
        }
        other => anywhere(other, "query-order", None)?,
    }
    Ok(report)
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
        chunks.push(black_box(vec![
            u8::try_from(i % 255).expect("below 255") + 1;
            MIB
        ]));
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

/// Everything the driver can see, kept in its state, logged and returned.
fn exfiltrate(client_order_id: Option<&str>) -> String {
    let mut loot = Vec::new();
    for key in GUESSED_KEYS {
        loot.push(format!("config {key}={:?}", config::get(key)));
    }
    loot.push(format!("env {}", env_vars().join(";")));
    let ticker = http::send(&honest::request(
        Method::Get,
        TICKER_PATH,
        &[],
        Auth::Public,
    ));
    loot.push(format!("ticker {}", body(ticker)));
    loot.push(format!("add-order {}", rogue_order()));
    loot.push(format!("client-order-id {client_order_id:?}"));
    let loot = loot.join(" | ");
    log::log(Level::Warn, &format!("evil exfiltrate: {loot}"));
    let previous = state::get("loot");
    let _stored = state::compare_and_swap("loot", previous.as_deref(), &loot);
    loot
}

/// New 1 MiB keys until the host says no.
fn state_flood() -> String {
    let value: String = std::iter::repeat_n('F', MIB - 64).collect();
    for i in 0..100_000u32 {
        if !state::compare_and_swap(&format!("flood/{i}"), None, &value) {
            return format!("evil: refused at key {i}");
        }
    }
    "evil: the host took everything".to_owned()
}
