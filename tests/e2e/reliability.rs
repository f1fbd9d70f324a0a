//! Never a duplicate, never a lost order. Each fault is injected at the
//! fake Kraken on a buy and on a sell; a second host process then
//! reconciles, and both sides must agree: every order the exchange applied
//! is a recorded fill, every recorded fill is one applied order, and no
//! client order id was ever executed twice.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tradehost::ErrorKind;
use tradehost::domain::trade::TradeStatus;

use crate::common::{Backend, TestEnv, assert_exchange_and_database_agree, error_kind, last_json};
use crate::fake_kraken::{FakeKraken, Fault};
use crate::on_both_databases;

/// Deadlines short enough that "not found after the deadline" comes soon,
/// long enough that a delayed order is processed before it (the deadline
/// goes out in whole seconds).
async fn env(backend: Backend, fake: &FakeKraken) -> TestEnv {
    TestEnv::kraken(backend, fake)
        .await
        .with("TRADEHOST_ORDER_DEADLINE_SECS", "4")
        .with("TRADEHOST_RECONCILE_GRACE_SECS", "1")
        .with("TRADEHOST_HTTP_TIMEOUT_SECS", "1")
}

/// One fault on an order, and everything it must lead to.
struct Case {
    fault: Fault,
    /// What the placing host reports.
    kind: ErrorKind,
    /// Whether the exchange executes the order.
    applied: bool,
    /// The order's audit trail once reconciled.
    events: &'static [&'static str],
}

const FILLED_LATER: &[&str] = &["RESERVED", "UNKNOWN", "RECONCILED_FILLED"];
const NEVER_PLACED: &[&str] = &["RESERVED", "UNKNOWN", "RECONCILED_NOT_PLACED"];
const REFUSED: &[&str] = &["RESERVED", "REJECTED"];

fn cases() -> Vec<Case> {
    let case = |fault, kind, applied, events| Case {
        fault,
        kind,
        applied,
        events,
    };
    vec![
        case(
            Fault::LoseAnswerAfterApply,
            ErrorKind::UnknownOutcome,
            true,
            FILLED_LATER,
        ),
        case(
            Fault::StatusAfterApply(502),
            ErrorKind::UnknownOutcome,
            true,
            FILLED_LATER,
        ),
        case(
            Fault::StatusAfterApply(520),
            ErrorKind::UnknownOutcome,
            true,
            FILLED_LATER,
        ),
        case(
            Fault::StatusBeforeApply(502),
            ErrorKind::UnknownOutcome,
            false,
            NEVER_PLACED,
        ),
        // Past the client's 1 s timeout, well before the 4 s deadline.
        case(
            Fault::Delay(Duration::from_millis(1500)),
            ErrorKind::UnknownOutcome,
            true,
            FILLED_LATER,
        ),
        case(
            Fault::KrakenError("EService:Unavailable".into()),
            ErrorKind::UnknownOutcome,
            false,
            NEVER_PLACED,
        ),
        case(
            Fault::KrakenError("EAPI:Invalid nonce".into()),
            ErrorKind::OrderRejected,
            false,
            REFUSED,
        ),
        case(
            Fault::KrakenError("EAPI:Rate limit exceeded".into()),
            ErrorKind::RateLimited,
            false,
            REFUSED,
        ),
    ]
}

/// Runs `tradehost reconcile` as another host until nothing is unknown.
async fn reconcile_from_another_host(env: &TestEnv) {
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
        // exchange's call counter would stop.
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
}

/// The events of one order, oldest first.
async fn order_events(env: &TestEnv, client_order_id: &str) -> Vec<String> {
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

/// The one AddOrder the fault applied to carried the host's deadline.
fn assert_deadline_sent(fake: &FakeKraken, index: usize, sent: chrono::DateTime<chrono::Utc>) {
    let order = &fake.received_on("/0/private/AddOrder")[index];
    let deadline = order
        .param("deadline")
        .expect("AddOrder carries a deadline");
    let deadline = chrono::DateTime::parse_from_rfc3339(deadline).unwrap();
    let ahead = (deadline.with_timezone(&chrono::Utc) - sent).num_milliseconds();
    assert!(
        (2_500..=4_500).contains(&ahead),
        "deadline {ahead} ms after sending"
    );
}

on_both_databases!(
    buy_faults_never_duplicate_or_lose_an_order,
    sell_faults_never_duplicate_or_lose_an_order
);

async fn buy_faults_never_duplicate_or_lose_an_order(backend: Backend) {
    for case in cases() {
        let fault = &case.fault;
        let fake = FakeKraken::start().await;
        let env = env(backend, &fake).await;
        let host = env.executor().await;
        fake.inject(fault.clone());
        let sent = chrono::Utc::now();
        let err = host
            .execute_buy("SOL/USD", "100", None, None)
            .await
            .unwrap_err();
        assert_eq!(err.kind, case.kind, "{fault:?}: {err}");
        assert_eq!(fake.faults_fired(), 1, "{fault:?}: the fault fired");
        if case.kind == ErrorKind::UnknownOutcome {
            assert!(err.message.contains("do not resubmit"), "{err}");
        }
        reconcile_from_another_host(&env).await;
        assert_eq!(
            fake.add_order_attempts(),
            1,
            "{fault:?}: AddOrder was sent once"
        );
        assert_eq!(
            fake.applied_orders().len(),
            usize::from(case.applied),
            "{fault:?}"
        );
        assert_deadline_sent(&fake, 0, sent);
        assert_exchange_and_database_agree(&env, &fake).await;
        let trade = &host.trades(1).await.unwrap()[0];
        let expected = if case.applied {
            TradeStatus::Open
        } else {
            TradeStatus::Rejected
        };
        assert_eq!(trade.status, expected, "{fault:?}");
        if let Some(applied) = fake.applied_orders().first() {
            assert_eq!(
                trade.entry_price,
                Some(applied.price),
                "{fault:?}: the exchange's fill"
            );
            assert_eq!(trade.size, Some(applied.volume), "{fault:?}");
            assert_eq!(trade.fees, applied.fee, "{fault:?}");
        }
        assert_eq!(
            order_events(&env, &trade.client_order_id).await,
            case.events,
            "{fault:?}"
        );
    }
}

async fn sell_faults_never_duplicate_or_lose_an_order(backend: Backend) {
    for case in cases() {
        let fault = &case.fault;
        let fake = FakeKraken::start().await;
        let env = env(backend, &fake).await;
        let host = env.executor().await;
        let bought = host
            .execute_buy("ETH/USD", "100", None, None)
            .await
            .unwrap();
        fake.inject(fault.clone());
        let sent = chrono::Utc::now();
        let err = host.close("ETH/USD").await.unwrap_err();
        assert_eq!(err.kind, case.kind, "{fault:?}: {err}");
        assert_eq!(fake.faults_fired(), 1, "{fault:?}: the fault fired");
        reconcile_from_another_host(&env).await;
        assert_eq!(
            fake.add_order_attempts(),
            2,
            "{fault:?}: the sell was sent once"
        );
        assert_eq!(
            fake.applied_orders().len(),
            1 + usize::from(case.applied),
            "{fault:?}"
        );
        assert_deadline_sent(&fake, 1, sent);
        assert_exchange_and_database_agree(&env, &fake).await;
        let trade = host.database().trade(&bought.id).await.unwrap();
        let sell_id = env.orders_of(&bought.id).await[1].2.clone();
        assert_eq!(order_events(&env, &sell_id).await, case.events, "{fault:?}");
        if case.applied {
            let sell = &fake.applied_orders()[1];
            assert_eq!(trade.status, TradeStatus::Closed, "{fault:?}");
            assert_eq!(trade.exit_price, Some(sell.price), "{fault:?}");
            assert_eq!(trade.exit_value, Some(sell.cost), "{fault:?}");
        } else {
            // The position is back, and can be closed normally.
            assert_eq!(trade.status, TradeStatus::Open, "{fault:?}");
            host.close("ETH/USD").await.unwrap();
            assert_exchange_and_database_agree(&env, &fake).await;
        }
    }
}

on_both_databases!(a_host_killed_mid_order_recovers_it_on_restart);

async fn a_host_killed_mid_order_recovers_it_on_restart(backend: Backend) {
    let fake = FakeKraken::start().await;
    let env = env(backend, &fake).await;
    env.run(&["positions"]); // schema in place before the race
    // The exchange takes its time; the host is killed while it waits.
    fake.inject(Fault::Delay(Duration::from_millis(1500)));
    let mut child = env
        .command(&["--json", "buy", "ETH/USD", "--usd", "100"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        fake.wait_until(Duration::from_secs(10), |f| f.add_order_attempts() == 1)
            .await,
        "the order was sent"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(
        env.trades_with_status("PENDING").await,
        1,
        "the slot was reserved before sending"
    );
    assert!(
        fake.wait_until(Duration::from_secs(10), |f| f.applied_orders().len() == 1)
            .await,
        "the exchange executed it"
    );

    // A restarted host settles it before it places anything: once the
    // killed host's deadline has passed, any trading command recovers it.
    let start = Instant::now();
    loop {
        let out = env.run(&["--json", "buy", "ETH/USD", "--usd", "100"]);
        // Never a second ETH order: the slot is held throughout.
        assert_eq!(
            error_kind(&out),
            "duplicate_position",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if env.trades_with_status("OPEN").await == 1 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "not recovered");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let positions = last_json(&env.run(&["--json", "positions"]).stdout);
    assert_eq!(positions[0]["symbol"], "ETH/USD");
    assert_eq!(
        positions[0]["order_id"],
        fake.applied_orders()[0].txid.as_str()
    );
    assert_eq!(fake.add_order_attempts(), 1);
    assert_exchange_and_database_agree(&env, &fake).await;
    let history = last_json(&env.run(&["--json", "trades", "--history"]).stdout);
    let events: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert!(events.contains(&"RECONCILED_FILLED"), "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_exchange_with_unsettled_orders_stops_trading_that_asset() {
    let fake = FakeKraken::start().await;
    let env = env(Backend::Sqlite, &fake).await;
    fake.inject(Fault::StatusBeforeApply(502));
    let out = env.run(&["--json", "buy", "SOL/USD", "--usd", "100"]);
    assert_eq!(error_kind(&out), "unknown_outcome");
    // The exchange goes away (nothing listens on port 9): the asset with an
    // unsettled order cannot be traded until it is settled.
    let unreachable = |args: &[&str]| {
        env.command(args)
            .env("KRAKEN_API_URL", "http://127.0.0.1:9")
            .output()
            .unwrap()
    };
    let out = unreachable(&["--json", "close", "SOL/USD"]);
    assert_eq!(error_kind(&out), "exchange_unavailable");
    let message = last_json(&out.stderr)["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("refusing to trade SOL"), "{message}");
    // Another asset is refused only because the exchange is down, not
    // because of SOL's order.
    let out = unreachable(&["--json", "buy", "ETH/USD", "--usd", "100"]);
    assert_eq!(error_kind(&out), "exchange_unavailable");
    let message = last_json(&out.stderr)["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!message.contains("SOL"), "{message}");
    assert_eq!(fake.add_order_attempts(), 1);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM trades WHERE asset = 'ETH'")
            .await,
        0
    );
}

on_both_databases!(many_hosts_buying_one_asset_place_one_order);

async fn many_hosts_buying_one_asset_place_one_order(backend: Backend) {
    let fake = FakeKraken::start().await;
    let env = env(backend, &fake)
        .await
        .with("TRADEHOST_HTTP_TIMEOUT_SECS", "10");
    env.run(&["positions"]);
    let children: Vec<_> = (0..6)
        .map(|_| {
            env.command(&["--json", "buy", "BTC/USD", "--usd", "200"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    assert_eq!(outputs.iter().filter(|o| o.status.success()).count(), 1);
    for out in outputs.iter().filter(|o| !o.status.success()) {
        assert_eq!(
            error_kind(out),
            "duplicate_position",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(fake.add_order_attempts(), 1);
    assert_exchange_and_database_agree(&env, &fake).await;
}
