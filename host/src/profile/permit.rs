//! The one order a `place-market-order` call may send. The host issues a
//! permit for the order it reserved; the outbound layer spends it on the
//! first order request, refuses every other, and records whether the
//! request left and what the exchange answered — so the host, not the
//! driver, knows whether an order can exist. The record outlives the call
//! (the host keeps a handle), so it holds even when the call is cut off.

use std::sync::{Arc, Mutex, MutexGuard};

use rust_decimal::Decimal;

use crate::exchange::{DriverError, MarketOrder};

/// The exchange's answer to the order request, as the host read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderAnswer {
    /// Accepted under this exchange order id.
    Accepted {
        /// The exchange's id of the order.
        order_id: String,
    },
    /// Certainly refused; nothing was placed.
    Refused(DriverError),
    /// Sent, but the answer proves nothing (timeout, 5xx, unreadable).
    Unclear(String),
    /// Proven never to have reached the exchange (connection refused).
    NotSent(String),
}

/// What became of a permit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermitState {
    /// No order request was made.
    Unused,
    /// An order request was refused by the host before it left; the rule.
    Refused(String),
    /// The order request is leaving or left; no answer yet.
    Sending,
    /// The order request left the host; what came back.
    Sent(OrderAnswer),
}

/// The right to send one order request, exactly the reserved order; clones
/// share one record of what became of it.
#[derive(Debug, Clone)]
pub struct OrderPermit {
    intent: Arc<MarketOrder>,
    /// Allowance over the order's quote amount when a buy is sized in base
    /// units at the host's observed price (a fraction, e.g. 0.01).
    slippage_margin: Decimal,
    state: Arc<Mutex<PermitState>>,
}

impl OrderPermit {
    /// A permit for `intent`, unused.
    pub fn new(intent: MarketOrder, slippage_margin: Decimal) -> OrderPermit {
        OrderPermit {
            intent: Arc::new(intent),
            slippage_margin,
            state: Arc::new(Mutex::new(PermitState::Unused)),
        }
    }

    /// The order the host reserved: the only one the permit lets out.
    pub fn intent(&self) -> &MarketOrder {
        &self.intent
    }

    /// Allowance over a buy's quote amount when it is sized in base units.
    pub fn slippage_margin(&self) -> Decimal {
        self.slippage_margin
    }

    fn lock(&self) -> MutexGuard<'_, PermitState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What became of the permit so far.
    pub fn state(&self) -> PermitState {
        self.lock().clone()
    }

    /// Whether an order request may still be tried under this permit.
    pub fn unused(&self) -> bool {
        *self.lock() == PermitState::Unused
    }

    /// The host refused the order request before it left; `rule` says why.
    pub fn refuse(&self, rule: String) {
        *self.lock() = PermitState::Refused(rule);
    }

    /// Marked before the request may leave the host.
    pub fn sending(&self) {
        *self.lock() = PermitState::Sending;
    }

    /// The order request left the host, and this came back.
    pub fn sent(&self, answer: OrderAnswer) {
        *self.lock() = PermitState::Sent(answer);
    }
}
