//! The test-side controls: execution, clock, latency, history, faults, and
//! the records tests check their invariants against.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::orders;
use super::{AppliedOrder, Execution, FakeKraken, Fault, Ledger, Received};

impl FakeKraken {
    // ---- execution ---------------------------------------------------

    /// How market orders on `pair` (id or altname) execute unless one is
    /// queued. Panics on an unknown pair or an impossible execution.
    pub fn set_execution(&self, pair: &str, execution: Execution) {
        execution.check();
        let mut st = self.lock();
        let id = st
            .pair(pair)
            .map(|p| p.id.clone())
            .unwrap_or_else(|| panic!("unknown pair {pair}"));
        st.executions.insert(id, execution);
    }

    /// How the next accepted market order (any pair) executes, before the
    /// pair's default; queued executions apply first in, first out. An
    /// order refused before execution (bad arguments, funds, deadline…)
    /// leaves the queue as it is.
    pub fn queue_execution(&self, execution: Execution) {
        execution.check();
        self.lock().queued_executions.push_back(execution);
    }

    /// Executions queued and not yet taken by an order.
    pub fn queued_executions(&self) -> usize {
        self.lock().queued_executions.len()
    }

    // ---- clock, latency ----------------------------------------------

    /// The fake's clock = system time + `offset` (may be negative).
    pub fn set_clock_offset(&self, offset: chrono::Duration) {
        self.lock().clock_offset = offset;
    }

    /// The fake's "now".
    pub fn now(&self) -> DateTime<Utc> {
        self.lock().now()
    }

    /// Every request waits this long before it is processed.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// The most requests the fake was answering at one moment.
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }

    // ---- order history -------------------------------------------------

    /// Adds `n` filled closed orders (SOLUSD buys, client ids `seeded-N`)
    /// to the default account's history, newer than every order there.
    /// They move no balance and are not applied orders.
    pub fn seed_closed_orders(&self, n: usize) {
        orders::seed_closed(&mut self.lock(), Self::API_KEY, n);
    }

    /// `true` (default, the strict reading): ClosedOrders applies the
    /// `cl_ord_id`/`userref` filters to each page after paging, and `count`
    /// counts every closed order in the time range. `false`: filters
    /// first, then pages, and `count` counts the matches.
    pub fn set_filter_after_paging(&self, after: bool) {
        self.lock().filter_after_paging = after;
    }

    // ---- faults ------------------------------------------------------

    /// Queues a fault for the next AddOrder request not yet claimed by
    /// an earlier fault.
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    /// Queues faults for the next AddOrder requests, one each, in order.
    pub fn inject_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.lock().faults.extend(faults);
    }

    /// Queues a fault for the next request on `path` (e.g.
    /// `/0/private/QueryOrders`, `/0/public/Ticker`); on
    /// `/0/private/AddOrder` this is [`FakeKraken::inject`].
    pub fn inject_on(&self, path: &str, fault: Fault) {
        self.lock().queue_fault(path, fault);
    }

    /// Faults still queued for AddOrder.
    pub fn pending_faults(&self) -> usize {
        self.lock().faults.len()
    }

    /// Faults still queued for `path`.
    pub fn pending_faults_on(&self, path: &str) -> usize {
        let st = self.lock();
        if path == super::state::ADD_ORDER {
            return st.faults.len();
        }
        st.path_faults.get(path).map_or(0, |q| q.len())
    }

    /// Faults that took effect, on any path.
    pub fn faults_fired(&self) -> usize {
        self.lock().faults_fired
    }

    /// AddOrders parked by [`Fault::Hold`] and not yet released.
    pub fn held_orders(&self) -> usize {
        self.lock().held.len()
    }

    /// Processes the parked AddOrders in arrival order at the fake's now
    /// (an order past its `deadline` is refused and never applied);
    /// returns how many were applied.
    pub fn release_held(&self) -> usize {
        let mut st = self.lock();
        let held = std::mem::take(&mut st.held);
        let mut applied = 0;
        for order in held {
            let before = st.applied.len();
            let _answer = orders::add_order(&mut st, &order.api_key, &order.params);
            applied += st.applied.len() - before;
        }
        applied
    }

    // ---- records -----------------------------------------------------

    /// Every request received, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// Requests received on one path, e.g. `/0/private/AddOrder`.
    pub fn received_on(&self, path: &str) -> Vec<Received> {
        self.lock()
            .received
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Requests received per path (every request, whatever came of it;
    /// not the admin route).
    pub fn requests_per_path(&self) -> BTreeMap<String, usize> {
        self.lock().requests.clone()
    }

    /// Orders that were filled in full or in part, oldest first.
    pub fn applied_orders(&self) -> Vec<AppliedOrder> {
        self.lock().applied.clone()
    }

    /// How many applied orders carry this `cl_ord_id`.
    pub fn orders_for_client_id(&self, cl_ord_id: &str) -> usize {
        self.lock()
            .applied
            .iter()
            .filter(|o| o.cl_ord_id.as_deref() == Some(cl_ord_id))
            .count()
    }

    /// The default account's executed volume per client order id, and its
    /// balances.
    pub fn ledger(&self) -> Ledger {
        self.ledger_for(Self::API_KEY)
    }

    /// An account's executed volume per client order id, and its balances.
    pub fn ledger_for(&self, api_key: &str) -> Ledger {
        let mut st = self.lock();
        let mut executed = BTreeMap::new();
        for o in st.applied.iter().filter(|o| o.api_key == api_key) {
            if let Some(id) = &o.cl_ord_id {
                let signed = if o.side == "buy" { o.volume } else { -o.volume };
                *executed.entry(id.clone()).or_default() += signed;
            }
        }
        let balances = st.account_mut(api_key).balances.clone();
        Ledger { executed, balances }
    }

    /// AddOrder requests received, whatever came of them.
    pub fn add_order_attempts(&self) -> usize {
        self.lock().add_order_attempts
    }

    /// Private requests refused with `EAPI:Invalid nonce`.
    pub fn nonce_errors(&self) -> usize {
        self.lock().nonce_errors
    }

    /// Private requests refused with `EAPI:Invalid signature`.
    pub fn signature_errors(&self) -> usize {
        self.lock().signature_errors
    }

    /// Private requests refused with `EAPI:Invalid key`.
    pub fn key_errors(&self) -> usize {
        self.lock().key_errors
    }
}
