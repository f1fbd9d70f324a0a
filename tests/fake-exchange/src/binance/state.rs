//! The fake exchange's state: symbols, accounts, limits, records.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

use super::market::{Symbol, default_symbols};
use super::orders::Order;
use super::{AppliedOrder, FakeBinance, Fault, Received};

pub(super) struct State {
    pub symbols: Vec<Symbol>,
    /// API key -> account
    pub accounts: HashMap<String, Account>,
    /// Added to the real clock to get the fake's server time.
    pub clock_offset: chrono::Duration,
    pub commission_rate: Decimal,
    pub bnb_fees: bool,
    pub bnb_discount: Decimal,
    /// `inject`: for the next POST /api/v3/order requests.
    pub order_faults: VecDeque<Fault>,
    /// `inject_on`: (selector, fault), first matching first.
    pub path_faults: VecDeque<(String, Fault)>,
    pub received: Vec<Received>,
    pub applied: Vec<AppliedOrder>,
    pub requests_per_path: HashMap<String, usize>,
    pub order_attempts: usize,
    pub faults_fired: usize,
    pub signature_errors: usize,
    pub key_errors: usize,
    pub timestamp_errors: usize,
    pub limits: Limits,
    pub order_limit_10s: usize,
    pub order_limit_1d: usize,
    next_order_id: u64,
    next_trade_id: u64,
    next_uid: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Balance {
    pub free: Decimal,
    pub locked: Decimal,
}

pub(super) struct Account {
    pub secret: String,
    pub uid: u64,
    /// asset -> balance
    pub balances: BTreeMap<String, Balance>,
    /// Oldest first.
    pub orders: Vec<Order>,
    /// When each accepted order was placed (the ORDERS limits), oldest first.
    pub placed_at: VecDeque<Instant>,
    pub update_time: i64,
}

impl Account {
    pub fn new(secret: &str, uid: u64) -> Account {
        let mut balances = BTreeMap::new();
        balances.insert(
            "USDT".to_owned(),
            Balance {
                free: Decimal::new(10_000, 0),
                locked: Decimal::ZERO,
            },
        );
        Account {
            secret: secret.to_owned(),
            uid,
            balances,
            orders: Vec::new(),
            placed_at: VecDeque::new(),
            update_time: 0,
        }
    }

    pub fn free(&self, asset: &str) -> Decimal {
        self.balances.get(asset).map(|b| b.free).unwrap_or_default()
    }

    pub fn add_free(&mut self, asset: &str, delta: Decimal) {
        self.balances.entry(asset.to_owned()).or_default().free += delta;
    }

    /// Accepted orders within the last 10 s and the last day.
    pub fn order_counts(&mut self, now: Instant) -> (usize, usize) {
        let day = Duration::from_secs(86_400);
        while self
            .placed_at
            .front()
            .is_some_and(|t| now.duration_since(*t) >= day)
        {
            self.placed_at.pop_front();
        }
        let recent = self
            .placed_at
            .iter()
            .filter(|t| now.duration_since(**t) < Duration::from_secs(10))
            .count();
        (recent, self.placed_at.len())
    }
}

/// The per-IP REQUEST_WEIGHT limit (every client here is 127.0.0.1):
/// a 1-minute window starting with its first request.
pub(super) struct Limits {
    pub weight_limit: u32,
    pub used: u32,
    window_start: Option<Instant>,
    /// After a 429: further requests before this instant get banned.
    pub limited_until: Option<Instant>,
    pub banned_until: Option<Instant>,
    /// Milliseconds since the epoch (server clock) the ban ends, for the 418 message.
    pub banned_until_ms: i64,
    pub ban_duration: Duration,
    pub hits_429: usize,
    pub hits_418: usize,
}

/// Why a request was refused before being looked at.
pub(super) enum Refusal {
    /// 429: over the weight limit; retry after this many seconds.
    Limited(u64),
    /// 418: banned; retry after this many seconds.
    Banned(u64),
}

fn secs_until(now: Instant, later: Instant) -> u64 {
    let left = later.saturating_duration_since(now);
    left.as_secs() + u64::from(left.subsec_nanos() > 0)
}

pub(super) const WINDOW: Duration = Duration::from_secs(60);

impl Limits {
    fn new() -> Limits {
        Limits {
            weight_limit: 6000,
            used: 0,
            window_start: None,
            limited_until: None,
            banned_until: None,
            banned_until_ms: 0,
            ban_duration: Duration::from_secs(120),
            hits_429: 0,
            hits_418: 0,
        }
    }

    pub fn reset(&mut self) {
        self.used = 0;
        self.window_start = None;
        self.limited_until = None;
        self.banned_until = None;
    }

    fn roll(&mut self, now: Instant) {
        if self
            .window_start
            .is_none_or(|start| now.duration_since(start) >= WINDOW)
        {
            self.window_start = Some(now);
            self.used = 0;
        }
    }

    /// The weight used in the current window.
    pub fn used_now(&mut self, now: Instant) -> u32 {
        self.roll(now);
        self.used
    }

    /// Bans, then the limit: charges `weight` unless the request is refused.
    pub fn charge(&mut self, weight: u32, now: Instant, server_now_ms: i64) -> Result<(), Refusal> {
        self.roll(now);
        if let Some(until) = self.banned_until.filter(|u| *u > now) {
            self.hits_418 += 1;
            return Err(Refusal::Banned(secs_until(now, until)));
        }
        if self.limited_until.is_some_and(|u| u > now) {
            // Kept going after a 429: banned.
            let until = now + self.ban_duration;
            self.banned_until = Some(until);
            self.banned_until_ms = server_now_ms
                + i64::try_from(self.ban_duration.as_millis()).unwrap_or(i64::MAX / 2);
            self.limited_until = None;
            self.hits_418 += 1;
            return Err(Refusal::Banned(secs_until(now, until)));
        }
        if self.used + weight > self.weight_limit {
            let window_end = self.window_start.unwrap_or(now) + WINDOW;
            self.limited_until = Some(window_end);
            self.hits_429 += 1;
            return Err(Refusal::Limited(secs_until(now, window_end).max(1)));
        }
        self.used += weight;
        Ok(())
    }

    /// Takes weight back (a successful order costs 0).
    pub fn refund(&mut self, weight: u32) {
        self.used = self.used.saturating_sub(weight);
    }
}

impl State {
    pub fn new() -> State {
        let mut accounts = HashMap::new();
        accounts.insert(
            FakeBinance::API_KEY.to_owned(),
            Account::new(FakeBinance::SECRET_KEY, 354_937_868),
        );
        State {
            symbols: default_symbols(),
            accounts,
            clock_offset: chrono::Duration::zero(),
            commission_rate: Decimal::new(1, 3),
            bnb_fees: false,
            bnb_discount: Decimal::new(25, 2),
            order_faults: VecDeque::new(),
            path_faults: VecDeque::new(),
            received: Vec::new(),
            applied: Vec::new(),
            requests_per_path: HashMap::new(),
            order_attempts: 0,
            faults_fired: 0,
            signature_errors: 0,
            key_errors: 0,
            timestamp_errors: 0,
            limits: Limits::new(),
            order_limit_10s: 50,
            order_limit_1d: 160_000,
            next_order_id: 0,
            next_trade_id: 0,
            next_uid: 354_937_869,
        }
    }

    /// The fake's clock: real time plus the injected offset.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + self.clock_offset
    }

    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    pub fn symbol(&self, name: &str) -> Option<&Symbol> {
        self.symbols.iter().find(|s| s.name == name)
    }

    pub fn symbol_mut(&mut self, name: &str) -> &mut Symbol {
        self.symbols
            .iter_mut()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("unknown symbol {name}"))
    }

    pub fn account_mut(&mut self, api_key: &str) -> &mut Account {
        self.accounts
            .get_mut(api_key)
            .unwrap_or_else(|| panic!("no account for key {api_key}"))
    }

    pub fn add_account(&mut self, api_key: &str, secret: &str) {
        let uid = self.next_uid;
        self.next_uid += 1;
        self.accounts
            .insert(api_key.to_owned(), Account::new(secret, uid));
    }

    /// Order ids and trade ids count up from 1 across all symbols.
    pub fn new_order_id(&mut self) -> u64 {
        self.next_order_id += 1;
        self.next_order_id
    }

    pub fn new_trade_id(&mut self) -> u64 {
        self.next_trade_id += 1;
        self.next_trade_id
    }

    /// The next fault for a request: for an order placement the `inject`
    /// queue first, then the first `inject_on` entry for this request.
    pub fn take_fault(&mut self, method: &str, path: &str, placement: bool) -> Option<Fault> {
        let fault = placement
            .then(|| self.order_faults.pop_front())
            .flatten()
            .or_else(|| {
                let i = self.path_faults.iter().position(|(selector, _)| {
                    match selector.split_once(' ') {
                        Some((m, p)) => m.eq_ignore_ascii_case(method) && p == path,
                        None => selector == path,
                    }
                })?;
                self.path_faults.remove(i).map(|(_, f)| f)
            });
        if fault.is_some() {
            self.faults_fired += 1;
        }
        fault
    }
}
