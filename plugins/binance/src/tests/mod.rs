//! Parsers on recorded Binance bodies, request builders, and whole
//! operations against a canned host. Fixtures live in
//! `tests/fixtures/<name>.json` (see the README there for provenance).

use crate::requests::{self, Req};
use crate::tradehost::exchange::log::Level;
use crate::tradehost::exchange::types::DriverError;
use driver_kit::http::Http;
use driver_kit::http::HttpFailure;
use driver_kit::http::Method;
use std::cell::RefCell;
use std::collections::BTreeMap;

mod errors;
mod flows;
mod lookups;
mod orders;
mod parsers;
mod reads;
mod requests_sent;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../tests/fixtures/", $name, ".json"))
    };
}
pub(crate) use fixture;

pub type Answer = Result<(u16, String), HttpFailure>;

/// A host answering each (method, path) with one canned answer, recording
/// what the driver sent and logged. Anything else is "not sent".
pub struct Canned {
    pub answers: BTreeMap<(Method, &'static str), Answer>,
    pub sent: RefCell<Vec<Req>>,
    pub logs: RefCell<Vec<String>>,
}

impl Canned {
    /// exchangeInfo only.
    pub fn new() -> Self {
        Canned {
            answers: BTreeMap::new(),
            sent: RefCell::default(),
            logs: RefCell::default(),
        }
        .ok(
            Method::Get,
            requests::EXCHANGE_INFO,
            fixture!("exchange_info"),
        )
    }

    pub fn ok(self, method: Method, path: &'static str, body: &str) -> Self {
        self.answer(method, path, Ok((200, body.to_string())))
    }

    pub fn answer(mut self, method: Method, path: &'static str, answer: Answer) -> Self {
        self.answers.insert((method, path), answer);
        self
    }

    /// What was sent, as "GET /path".
    pub fn calls(&self) -> Vec<String> {
        self.sent
            .borrow()
            .iter()
            .map(|r| format!("{:?} {}", r.method, r.path).to_uppercase())
            .collect()
    }

    /// The one request sent as `method` to `path`.
    pub fn sent_to(&self, method: Method, path: &str) -> Req {
        let sent = self.sent.borrow();
        let mut hits = sent.iter().filter(|r| r.method == method && r.path == path);
        let req = hits.next().cloned().expect("request sent");
        assert!(hits.next().is_none(), "{method:?} {path} sent twice");
        req
    }

    pub fn logs(&self) -> Vec<String> {
        self.logs.borrow().clone()
    }
}

impl Http for Canned {
    fn send(&self, req: &Req) -> Answer {
        self.sent.borrow_mut().push(req.clone());
        self.answers
            .get(&(req.method, req.path))
            .cloned()
            .unwrap_or_else(|| {
                Err(HttpFailure::NotSent(format!(
                    "no canned answer for {:?} {}",
                    req.method, req.path
                )))
            })
    }

    fn log(&self, level: Level, message: &str) {
        let level = match level {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        self.logs.borrow_mut().push(format!("{level}: {message}"));
    }
}

pub const GET_INFO: &str = "GET /API/V3/EXCHANGEINFO";
pub const POST_ORDER: &str = "POST /API/V3/ORDER";
pub const GET_ORDER: &str = "GET /API/V3/ORDER";
pub const GET_TRADES: &str = "GET /API/V3/MYTRADES";

/// A Binance error answer.
pub fn binance_error(status: u16, code: i64, msg: &str) -> Answer {
    Ok((
        status,
        serde_json::json!({ "code": code, "msg": msg }).to_string(),
    ))
}

/// Query or form parameters as pairs of strings.
pub fn params(kv: &[(&str, &str)]) -> Vec<(String, String)> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub use driver_kit::http::error_parts;

/// The error's variant name, or "ok".
pub fn outcome<T>(r: &Result<T, DriverError>) -> &'static str {
    r.as_ref().err().map_or("ok", |e| error_parts(e).0)
}
