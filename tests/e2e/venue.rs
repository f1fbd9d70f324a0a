//! The two fake exchanges behind one face, so that the tests whose logic
//! does not depend on the exchange — the exchange's ledger against the
//! database, the fault runs — are written once and run on both.

use std::collections::BTreeMap;
use std::fmt::Debug;

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::common::{Backend, TestEnv};
use crate::fake_binance::{self, FakeBinance};
use crate::fake_kraken::{self, FakeKraken};

/// An order the exchange executed, in the host's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Executed {
    pub client_order_id: Option<String>,
    /// The exchange's order id, as the host records it.
    pub order_id: String,
    /// Executed base quantity.
    pub size: Decimal,
    /// The average price the exchange reports (as the driver reads it).
    pub price: Decimal,
    /// Quote amount traded, gross of fees.
    pub cost: Decimal,
    /// The fees in the market's base and quote currencies, valued in the
    /// quote as the host values them (a base fee at the average price).
    pub fee_value: Decimal,
    /// Every fee per currency, when the exchange names currencies as the
    /// host does.
    pub fees: Option<BTreeMap<String, Decimal>>,
    /// What a buy leaves on the account: the size less a fee in the base.
    pub held: Decimal,
}

/// What the exchange did, by its own records.
pub trait Ledger {
    /// Executed orders, oldest first.
    fn executed(&self) -> Vec<Executed>;
    /// Order-placing requests received, whatever came of them.
    fn order_attempts(&self) -> usize;
}

/// A fake exchange a host can trade on, with faults to inject.
#[allow(
    async_fn_in_trait,
    reason = "a trait of this test crate, used with concrete types: no caller needs a Send bound"
)]
pub trait Venue: Ledger + Sized {
    type Fault: Clone + Debug;
    /// Two markets, for a buy run and a buy-then-sell run.
    const SYMBOLS: [&'static str; 2];
    async fn start() -> Self;
    /// A host trading on this venue through its live driver.
    async fn env(&self, backend: Backend) -> TestEnv;
    /// A fault for the next order-placing request.
    fn inject(&self, fault: Self::Fault);
    fn faults_fired(&self) -> usize;
    /// The `index`th order request (oldest first) told the exchange not to
    /// execute it later than the host's deadline, about 4 s after `sent`.
    fn assert_deadline_sent(&self, index: usize, sent: DateTime<Utc>);
}

impl Ledger for FakeKraken {
    fn executed(&self) -> Vec<Executed> {
        self.applied_orders()
            .into_iter()
            .map(|o| Executed {
                client_order_id: o.cl_ord_id.clone(),
                order_id: o.txid.clone(),
                size: o.volume,
                price: o.price,
                cost: o.cost,
                // The live driver asks for fees in the quote (`fciq`).
                fee_value: o.fee,
                fees: None,
                held: o.volume,
            })
            .collect()
    }

    fn order_attempts(&self) -> usize {
        self.add_order_attempts()
    }
}

impl Venue for FakeKraken {
    type Fault = fake_kraken::Fault;
    const SYMBOLS: [&'static str; 2] = ["SOL/USD", "ETH/USD"];

    async fn start() -> FakeKraken {
        FakeKraken::start().await
    }

    async fn env(&self, backend: Backend) -> TestEnv {
        TestEnv::kraken(backend, self).await
    }

    fn inject(&self, fault: Self::Fault) {
        FakeKraken::inject(self, fault);
    }

    fn faults_fired(&self) -> usize {
        FakeKraken::faults_fired(self)
    }

    fn assert_deadline_sent(&self, index: usize, sent: DateTime<Utc>) {
        let order = &self.received_on("/0/private/AddOrder")[index];
        let deadline = order
            .param("deadline")
            .expect("AddOrder carries a deadline");
        let deadline = chrono::DateTime::parse_from_rfc3339(deadline).unwrap();
        let ahead = (deadline.with_timezone(&Utc) - sent).num_milliseconds();
        assert!(
            (2_500..=4_500).contains(&ahead),
            "deadline {ahead} ms after sending"
        );
    }
}

/// cummulativeQuoteQty / executedQty as the Binance driver reports it.
pub fn binance_average(order: &fake_binance::AppliedOrder) -> Decimal {
    (order.cummulative_quote_qty / order.executed_qty)
        .round_dp_with_strategy(12, RoundingStrategy::MidpointNearestEven)
}

fn binance_executed(order: &fake_binance::AppliedOrder) -> Executed {
    let (base, quote) = order
        .symbol
        .strip_suffix("USDT")
        .map(|base| (base, "USDT"))
        .expect("the fake's symbols are quoted in USDT");
    let fees = order.commissions();
    let fee_in = |asset: &str| fees.get(asset).copied().unwrap_or_default();
    let price = binance_average(order);
    let buy = order.side == "BUY";
    Executed {
        client_order_id: Some(order.client_order_id.clone()),
        order_id: order.order_id.to_string(),
        size: order.executed_qty,
        price,
        cost: order.cummulative_quote_qty,
        fee_value: (fee_in(base) * price).round_dp(12) + fee_in(quote),
        fees: Some(fees.clone()),
        held: if buy {
            order.executed_qty - fee_in(base)
        } else {
            order.executed_qty
        },
    }
}

impl Ledger for FakeBinance {
    fn executed(&self) -> Vec<Executed> {
        self.applied_orders().iter().map(binance_executed).collect()
    }

    fn order_attempts(&self) -> usize {
        FakeBinance::order_attempts(self)
    }
}

impl Venue for FakeBinance {
    type Fault = fake_binance::Fault;
    const SYMBOLS: [&'static str; 2] = ["BTC/USDT", "ETH/USDT"];

    async fn start() -> FakeBinance {
        FakeBinance::start().await
    }

    async fn env(&self, backend: Backend) -> TestEnv {
        TestEnv::binance(backend, self).await
    }

    fn inject(&self, fault: Self::Fault) {
        FakeBinance::inject(self, fault);
    }

    fn faults_fired(&self) -> usize {
        FakeBinance::faults_fired(self)
    }

    fn assert_deadline_sent(&self, index: usize, sent: DateTime<Utc>) {
        // Binance has no deadline parameter: the signed request's
        // timestamp plus its receive window is the latest it executes.
        let orders: Vec<_> = self
            .received_on("/api/v3/order")
            .into_iter()
            .filter(|r| r.method == "POST")
            .collect();
        let order = &orders[index];
        let timestamp = i64::try_from(order.timestamp.expect("a timestamp")).unwrap();
        let window = order.recv_window.expect("a receive window");
        let latest = Decimal::from(timestamp) + window;
        let ahead = latest - Decimal::from(sent.timestamp_millis());
        assert!(
            (Decimal::from(2_500)..=Decimal::from(4_500)).contains(&ahead),
            "the order may execute until {ahead} ms after sending"
        );
    }
}
