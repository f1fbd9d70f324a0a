//! The fake exchange's state: pairs, tickers, accounts, records.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::market::{Pair, Quote, default_pairs, default_tickers};
use super::orders::Order;
use super::server::Params;
use super::{AppliedOrder, Execution, FakeKraken, Fault, RateTier, Received};

pub(super) const ADD_ORDER: &str = "/0/private/AddOrder";

/// An AddOrder parked by [`Fault::Hold`], authenticated but not processed.
pub(super) struct Held {
    pub api_key: String,
    pub params: Params,
}

pub(super) struct State {
    pub system_status: String,
    pub pairs: Vec<Pair>,
    /// pair id -> ticker
    pub tickers: HashMap<String, Quote>,
    /// API key -> account
    pub accounts: HashMap<String, Account>,
    /// AddOrder's fault queue.
    pub faults: VecDeque<Fault>,
    /// Every other path's fault queue.
    pub path_faults: HashMap<String, VecDeque<Fault>>,
    pub faults_fired: usize,
    pub held: Vec<Held>,
    /// pair id -> default execution
    pub executions: HashMap<String, Execution>,
    /// For the next accepted market orders, before the pair default.
    pub queued_executions: VecDeque<Execution>,
    pub clock_offset: chrono::Duration,
    pub latency: Duration,
    /// Requests being answered now, and the most there ever were at once.
    pub in_flight: usize,
    pub max_in_flight: usize,
    pub filter_after_paging: bool,
    pub received: Vec<Received>,
    /// path -> requests received on it
    pub requests: BTreeMap<String, usize>,
    pub applied: Vec<AppliedOrder>,
    pub add_order_attempts: usize,
    pub nonce_errors: usize,
    pub signature_errors: usize,
    pub key_errors: usize,
    pub rate_limit_hits: usize,
    pub rate_max: f64,
    pub rate_decay: f64,
    pub taker_fee: Decimal,
    pub seeded: u64,
    ids_issued: HashSet<String>,
}

pub(super) struct Account {
    pub secret: Vec<u8>,
    pub last_nonce: Option<u64>,
    /// asset id -> exact balance
    pub balances: BTreeMap<String, Decimal>,
    /// Oldest first.
    pub orders: Vec<Order>,
    rate_counter: f64,
    rate_at: Instant,
}

impl Account {
    pub fn new(private_key_b64: &str) -> Account {
        let secret = STANDARD
            .decode(private_key_b64)
            .unwrap_or_else(|e| panic!("private key is not base64: {e}"));
        let mut balances = BTreeMap::new();
        balances.insert("ZUSD".to_owned(), Decimal::new(10_000, 0));
        Account {
            secret,
            last_nonce: None,
            balances,
            orders: Vec::new(),
            rate_counter: 0.0,
            rate_at: Instant::now(),
        }
    }

    pub fn balance(&self, asset: &str) -> Decimal {
        self.balances.get(asset).copied().unwrap_or(Decimal::ZERO)
    }

    pub fn add(&mut self, asset: &str, delta: Decimal) {
        *self
            .balances
            .entry(asset.to_owned())
            .or_insert(Decimal::ZERO) += delta;
    }

    /// Decays the counter, then adds one call unless that passes `max`.
    pub fn charge_call(&mut self, max: f64, decay: f64) -> bool {
        let now = Instant::now();
        let elapsed = now.duration_since(self.rate_at).as_secs_f64();
        self.rate_at = now;
        self.rate_counter = (self.rate_counter - elapsed * decay).max(0.0);
        if self.rate_counter + 1.0 > max {
            return false;
        }
        self.rate_counter += 1.0;
        true
    }
}

impl State {
    pub fn new() -> State {
        let (rate_max, rate_decay) = RateTier::Starter.limits();
        let mut accounts = HashMap::new();
        accounts.insert(
            FakeKraken::API_KEY.to_owned(),
            Account::new(FakeKraken::PRIVATE_KEY),
        );
        let rate_max = f64::from(rate_max);
        State {
            system_status: "online".to_owned(),
            pairs: default_pairs(),
            tickers: default_tickers(),
            accounts,
            faults: VecDeque::new(),
            path_faults: HashMap::new(),
            faults_fired: 0,
            held: Vec::new(),
            executions: HashMap::new(),
            queued_executions: VecDeque::new(),
            clock_offset: chrono::Duration::zero(),
            latency: Duration::ZERO,
            in_flight: 0,
            max_in_flight: 0,
            filter_after_paging: true,
            received: Vec::new(),
            requests: BTreeMap::new(),
            applied: Vec::new(),
            add_order_attempts: 0,
            nonce_errors: 0,
            signature_errors: 0,
            key_errors: 0,
            rate_limit_hits: 0,
            rate_max,
            rate_decay,
            taker_fee: Decimal::new(26, 4),
            seeded: 0,
            ids_issued: HashSet::new(),
        }
    }

    /// The fake's clock: system time plus the offset.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    /// The next fault queued for `path`, if any.
    pub fn take_fault(&mut self, path: &str) -> Option<Fault> {
        if path == ADD_ORDER {
            self.faults.pop_front()
        } else {
            self.path_faults.get_mut(path)?.pop_front()
        }
    }

    pub fn queue_fault(&mut self, path: &str, fault: Fault) {
        if path == ADD_ORDER {
            self.faults.push_back(fault);
        } else {
            self.path_faults
                .entry(path.to_owned())
                .or_default()
                .push_back(fault);
        }
    }

    /// A pair by id, altname or wsname.
    pub fn pair(&self, name: &str) -> Option<&Pair> {
        self.pairs
            .iter()
            .find(|p| p.id == name || p.altname == name || p.wsname == name)
    }

    /// The pair id for `name`, or `name` itself when no pair matches.
    pub fn pair_id(&self, name: &str) -> String {
        self.pair(name)
            .map(|p| p.id.clone())
            .unwrap_or_else(|| name.to_owned())
    }

    pub fn put_ticker(&mut self, pair: &str, bid: &str, ask: &str, last: &str) {
        let id = self.pair_id(pair);
        self.tickers.insert(
            id,
            Quote {
                bid: bid.to_owned(),
                ask: ask.to_owned(),
                last: last.to_owned(),
            },
        );
    }

    pub fn account_mut(&mut self, api_key: &str) -> &mut Account {
        self.accounts
            .get_mut(api_key)
            .unwrap_or_else(|| panic!("no account for key {api_key}"))
    }

    /// A fresh Kraken-style id: `prefix` + 5 chars, `-`, 5, `-`, 6
    /// (uppercase letters and digits), unique in this fake.
    pub fn new_id(&mut self, prefix: char) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        loop {
            let mut bits = uuid::Uuid::new_v4().as_u128();
            let mut chars = vec![prefix];
            for _ in 0..16 {
                chars.push(ALPHABET[(bits % 32) as usize] as char);
                bits /= 32;
            }
            let id: String = chars[..6]
                .iter()
                .chain(std::iter::once(&'-'))
                .chain(&chars[6..11])
                .chain(std::iter::once(&'-'))
                .chain(&chars[11..17])
                .collect();
            if self.ids_issued.insert(id.clone()) {
                return id;
            }
        }
    }
}
