//! Parsers on captured Kraken bodies, and whole operations against a
//! canned host. Fixtures live in `tests/fixtures/<endpoint>_<variant>.json`.

use crate::requests::{self, Req};
use crate::tradehost::exchange::log::Level;
use crate::tradehost::exchange::types::{DriverError, OrderLookup, Side};
use driver_kit::http::Http;
use driver_kit::http::HttpFailure;
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

mod flows;
mod lookups;
mod orders;
mod parsers;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../tests/fixtures/", $name, ".json"))
    };
}
pub(crate) use fixture;

pub type Answer = Result<(u16, String), HttpFailure>;

/// A host answering each path with one canned answer (after any queued
/// ones, each used once), recording what the driver sent and logged.
/// Unknown paths are "not sent".
pub struct Canned {
    pub answers: BTreeMap<&'static str, Answer>,
    pub queued: RefCell<BTreeMap<&'static str, VecDeque<Answer>>>,
    pub sent: RefCell<Vec<Req>>,
    pub logs: RefCell<Vec<String>>,
}

impl Canned {
    /// AssetPairs (XXBTZUSD, XDGUSD, SOLUSD) and a BTC ticker.
    pub fn live() -> Self {
        Canned {
            answers: BTreeMap::new(),
            queued: RefCell::default(),
            sent: RefCell::default(),
            logs: RefCell::default(),
        }
        .ok(requests::ASSET_PAIRS, fixture!("assetpairs_live"))
        .ok(requests::TICKER, fixture!("ticker_xxbtzusd"))
    }

    pub fn ok(self, path: &'static str, body: &str) -> Self {
        self.answer(path, Ok((200, body.to_string())))
    }

    pub fn answer(mut self, path: &'static str, answer: Answer) -> Self {
        self.answers.insert(path, answer);
        self
    }

    /// Answers the next request to `path` with `body` (HTTP 200), before
    /// any later `then` and the fixed answer.
    pub fn then(self, path: &'static str, body: &str) -> Self {
        self.queued
            .borrow_mut()
            .entry(path)
            .or_default()
            .push_back(Ok((200, body.to_string())));
        self
    }

    /// Every request sent to `path`, in order.
    pub fn all_sent_to(&self, path: &str) -> Vec<Req> {
        let sent = self.sent.borrow();
        sent.iter().filter(|r| r.path == path).cloned().collect()
    }

    pub fn paths(&self) -> Vec<&'static str> {
        self.sent.borrow().iter().map(|r| r.path).collect()
    }

    /// The one request sent to `path`.
    pub fn sent_to(&self, path: &str) -> Req {
        let sent = self.sent.borrow();
        let mut hits = sent.iter().filter(|r| r.path == path);
        let req = hits.next().cloned().expect("request sent");
        assert!(hits.next().is_none(), "{path} sent twice");
        req
    }
}

impl Http for Canned {
    fn send(&self, req: &Req) -> Answer {
        self.sent.borrow_mut().push(req.clone());
        let queued = self
            .queued
            .borrow_mut()
            .get_mut(req.path)
            .and_then(VecDeque::pop_front);
        if let Some(answer) = queued {
            return answer;
        }
        self.answers.get(req.path).cloned().unwrap_or_else(|| {
            Err(HttpFailure::NotSent(format!(
                "no canned answer for {}",
                req.path
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

/// A Ticker body for one pair with the given ask (bid and last below it).
pub fn ticker_body(pair_id: &str, ask: &str) -> String {
    format!(
        r#"{{"error":[],"result":{{"{pair_id}":{{"a":["{ask}","1","1.000"],"b":["{ask}","1","1.000"],"c":["{ask}","0.1"],"t":[1,2],"o":"{ask}"}}}}}}"#
    )
}

/// What the host knows of an order sent at 2026-11-24T04:20:00Z
/// (unix 1795494000).
pub fn lookup(client_order_id: &str, order_id: Option<&str>) -> OrderLookup {
    OrderLookup {
        order_id: order_id.map(str::to_string),
        client_order_id: client_order_id.into(),
        symbol: "BTC/USD".into(),
        side: Side::Sell,
        sent_at: "2026-11-24T04:20:00Z".into(),
    }
}

/// Kraken error answer (HTTP 200).
pub fn kraken_error(error: &str) -> String {
    format!(r#"{{"error":["{error}"]}}"#)
}

pub use driver_kit::http::error_parts;

/// The error's variant name, or "ok".
pub fn outcome<T>(r: &Result<T, DriverError>) -> &'static str {
    r.as_ref().err().map_or("ok", |e| error_parts(e).0)
}
