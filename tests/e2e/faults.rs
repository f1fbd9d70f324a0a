//! Never a duplicate, never a lost order, on any exchange. A fault is
//! injected at the fake exchange on a buy, or on the sell that closes a
//! position; a second host process then reconciles, and both sides must
//! agree: every order the exchange executed is a recorded fill, every
//! recorded fill is one executed order, and no client order id was ever
//! executed twice. The cases are the exchange's; the checks are these.

use std::time::{Duration, Instant};

use tradehost::ErrorKind;
use tradehost::domain::trade::TradeStatus;

use crate::common::{Backend, TestEnv, assert_exchange_and_database_agree};
use crate::venue::Venue;

/// One fault on an order, and everything it must lead to.
pub struct Case<F> {
    pub fault: F,
    /// What the placing host reports: `None` when the order succeeds.
    pub kind: Option<ErrorKind>,
    /// Whether the exchange executes the order.
    pub applied: bool,
    /// The order's audit trail once reconciled.
    pub events: &'static [&'static str],
}

pub const FILLED_LATER: &[&str] = &["RESERVED", "UNKNOWN", "RECONCILED_FILLED"];
pub const NEVER_PLACED: &[&str] = &["RESERVED", "UNKNOWN", "RECONCILED_NOT_PLACED"];
pub const REFUSED: &[&str] = &["RESERVED", "REJECTED"];
/// Answered with its fill: acknowledged and filled in one transaction,
/// nothing left to reconcile.
pub const FILLED: &[&str] = &["RESERVED", "PLACED", "FILLED"];

pub fn case<F>(
    fault: F,
    kind: ErrorKind,
    applied: bool,
    events: &'static [&'static str],
) -> Case<F> {
    Case {
        fault,
        kind: Some(kind),
        applied,
        events,
    }
}

/// Executed, but the host cannot tell: unknown, then found filled.
pub fn filled_later<F>(fault: F) -> Case<F> {
    case(fault, ErrorKind::UnknownOutcome, true, FILLED_LATER)
}

/// Never executed, but the host cannot tell: unknown, then proven never
/// placed once its deadline has passed.
pub fn never_placed<F>(fault: F) -> Case<F> {
    case(fault, ErrorKind::UnknownOutcome, false, NEVER_PLACED)
}

/// A proven refusal, reported as `kind`: the slot freed at once.
pub fn refused<F>(fault: F, kind: ErrorKind) -> Case<F> {
    case(fault, kind, false, REFUSED)
}

/// A fault the order goes through: executed and recorded at once.
pub fn filled_despite<F>(fault: F) -> Case<F> {
    Case {
        fault,
        kind: None,
        applied: true,
        events: FILLED,
    }
}

/// Deadlines short enough that "not found after the deadline" comes soon,
/// long enough that a delayed order is processed before it.
pub async fn env<V: Venue>(backend: Backend, fake: &V) -> TestEnv {
    fake.env(backend)
        .await
        .with("TRADEHOST_ORDER_DEADLINE_SECS", "4")
        .with("TRADEHOST_RECONCILE_GRACE_SECS", "1")
        .with("TRADEHOST_HTTP_TIMEOUT_SECS", "1")
}

/// Runs `tradehost reconcile` as another host until nothing is unknown.
pub async fn reconcile_from_another_host(env: &TestEnv) {
    let start = Instant::now();
    loop {
        let out = env.run(&["--json", "reconcile"]);
        if out.status.success() {
            return;
        }
        assert_eq!(
            out.status.code(),
            Some(19),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            start.elapsed() < Duration::from_secs(25),
            "still unknown: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        // As an operator would: a look now and then, not a storm that the
        // exchange's rate limit would stop.
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
}

/// The events of one order, oldest first.
pub async fn order_events(env: &TestEnv, client_order_id: &str) -> Vec<String> {
    let pool = env.pool().await;
    let events: Vec<String> =
        sqlx::query_scalar("SELECT event FROM order_events WHERE client_order_id = $1 ORDER BY id")
            .bind(client_order_id)
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    events
}

/// Each case on a buy of 100 in the quote currency, on a fresh exchange.
pub async fn buy_faults<V: Venue>(backend: Backend, cases: Vec<Case<V::Fault>>) {
    let symbol = V::SYMBOLS[0];
    for case in cases {
        let fault = &case.fault;
        let fake = V::start().await;
        let env = env(backend, &fake).await;
        let host = env.executor().await;
        fake.inject(fault.clone());
        let sent = chrono::Utc::now();
        let result = host.execute_buy(symbol, "100", None, None).await;
        match (&result, case.kind) {
            (Ok(_), None) => {}
            (Ok(trade), Some(kind)) => panic!("{fault:?}: expected {kind:?}, bought {trade:?}"),
            (Err(err), kind) => {
                assert_eq!(Some(err.kind), kind, "{fault:?}: {err}");
                if err.kind == ErrorKind::UnknownOutcome {
                    assert!(err.message.contains("do not resubmit"), "{err}");
                }
            }
        }
        assert_eq!(fake.faults_fired(), 1, "{fault:?}: the fault fired");
        reconcile_from_another_host(&env).await;
        assert_eq!(
            fake.order_attempts(),
            1,
            "{fault:?}: the order was sent once"
        );
        let executed = fake.executed();
        assert_eq!(executed.len(), usize::from(case.applied), "{fault:?}");
        fake.assert_deadline_sent(0, sent);
        assert_exchange_and_database_agree(&env, &fake).await;
        let trade = &host.trades(1).await.unwrap()[0];
        let expected = if case.applied {
            TradeStatus::Open
        } else {
            TradeStatus::Rejected
        };
        assert_eq!(trade.status, expected, "{fault:?}");
        if let Some(buy) = executed.first() {
            assert_eq!(
                trade.entry_price,
                Some(buy.price),
                "{fault:?}: the exchange's fill"
            );
            assert_eq!(trade.size, Some(buy.held), "{fault:?}");
            assert_eq!(trade.fees, buy.fee_value, "{fault:?}");
        }
        assert_eq!(
            order_events(&env, &trade.client_order_id).await,
            case.events,
            "{fault:?}"
        );
    }
}

/// Each case on the sell closing a position bought before.
pub async fn sell_faults<V: Venue>(backend: Backend, cases: Vec<Case<V::Fault>>) {
    let symbol = V::SYMBOLS[1];
    for case in cases {
        let fault = &case.fault;
        let fake = V::start().await;
        let env = env(backend, &fake).await;
        let host = env.executor().await;
        let bought = host.execute_buy(symbol, "100", None, None).await.unwrap();
        fake.inject(fault.clone());
        let sent = chrono::Utc::now();
        match (host.close(symbol).await, case.kind) {
            (Ok(_), None) => {}
            (Ok(trade), Some(kind)) => panic!("{fault:?}: expected {kind:?}, sold {trade:?}"),
            (Err(err), kind) => assert_eq!(Some(err.kind), kind, "{fault:?}: {err}"),
        }
        assert_eq!(fake.faults_fired(), 1, "{fault:?}: the fault fired");
        reconcile_from_another_host(&env).await;
        assert_eq!(
            fake.order_attempts(),
            2,
            "{fault:?}: the sell was sent once"
        );
        let executed = fake.executed();
        assert_eq!(executed.len(), 1 + usize::from(case.applied), "{fault:?}");
        fake.assert_deadline_sent(1, sent);
        assert_exchange_and_database_agree(&env, &fake).await;
        let trade = host.database().trade(&bought.id).await.unwrap();
        let sell_id = env.orders_of(&bought.id).await[1].2.clone();
        assert_eq!(order_events(&env, &sell_id).await, case.events, "{fault:?}");
        if case.applied {
            let sell = &executed[1];
            assert_eq!(trade.status, TradeStatus::Closed, "{fault:?}");
            assert_eq!(trade.exit_price, Some(sell.price), "{fault:?}");
            assert_eq!(trade.exit_value, Some(sell.cost), "{fault:?}");
        } else {
            // The position is back, and can be closed normally.
            assert_eq!(trade.status, TradeStatus::Open, "{fault:?}");
            host.close(symbol).await.unwrap();
            assert_exchange_and_database_agree(&env, &fake).await;
        }
    }
}
