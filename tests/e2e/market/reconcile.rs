//! Unknown outcomes settled to the exchange's truth: answers nobody
//! recognises, paged order history, held orders and deadlines, clocks that
//! disagree, an operator settling by hand, a stuck order among others.

use std::time::Duration;

use tradehost::ErrorKind;
use tradehost::domain::trade::TradeStatus;
use tradehost::service::Resolution;

use super::env;
use crate::common::{Backend, TestEnv, last_json};
use crate::fake_kraken::{FakeKraken, Fault};
use crate::on_both_databases;

on_both_databases!(an_unrecognised_answer_to_an_order_is_an_unknown_outcome);

async fn an_unrecognised_answer_to_an_order_is_an_unknown_outcome(backend: Backend) {
    for error in ["EOrder:Something never seen", "EOrder:Duplicate cl_ord_id"] {
        let fake = FakeKraken::start().await;
        let env = env(backend, &fake).await;
        let host = env.executor().await;
        fake.inject(Fault::KrakenError(error.into()));
        let err = host
            .execute_buy("SOL/USD", "100", None, None)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::UnknownOutcome, "{error}: {err}");
        assert_eq!(
            env.trades_with_status("PENDING").await,
            1,
            "{error}: the slot is held"
        );
        assert!(fake.applied_orders().is_empty());
        // Looked up by its client order id once its deadline has passed.
        let start = std::time::Instant::now();
        loop {
            let reconciled = host.reconcile().await.unwrap();
            if matches!(reconciled[0].resolution, Resolution::NotPlaced(_)) {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "{error}: {reconciled:?}"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        assert_eq!(env.trades_with_status("REJECTED").await, 1, "{error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_behind_fifty_newer_closed_orders_is_found() {
    let fake = FakeKraken::start().await;
    let env = env(Backend::Sqlite, &fake).await;
    let host = env.executor().await;
    fake.inject(Fault::LoseAnswerAfterApply);
    host.execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap_err();
    fake.seed_closed_orders(60);
    tokio::time::sleep(Duration::from_secs(4)).await; // past deadline + grace
    let reconciled = host.reconcile().await.unwrap();
    assert!(
        matches!(reconciled[0].resolution, Resolution::Filled(_)),
        "{reconciled:?}"
    );
    assert_eq!(env.trades_with_status("OPEN").await, 1);
    let pages = fake.received_on("/0/private/ClosedOrders");
    assert!(
        pages.iter().all(|r| r.param("start").is_some()),
        "searched from the order's time"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_executed_is_concluded_on_the_exchanges_clock_only_when_the_clocks_agree() {
    let fake = FakeKraken::start().await;
    let env = env(Backend::Sqlite, &fake).await;
    let host = env.executor().await;
    fake.inject(Fault::StatusBeforeApply(502));
    host.execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap_err();
    tokio::time::sleep(Duration::from_secs(4)).await; // past deadline + grace, host clock
    // The exchange's clock is an hour behind: no conclusion.
    fake.set_clock_offset(chrono::Duration::hours(-1));
    let reconciled = host.reconcile().await.unwrap();
    match &reconciled[0].resolution {
        Resolution::StillUnknown(why) => assert!(why.contains("clock"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(env.trades_with_status("PENDING").await, 1);
    assert!(
        !fake.received_on("/0/public/Time").is_empty(),
        "the exchange's clock was read"
    );
    // The clocks agree again: never executed, the slot is free.
    fake.set_clock_offset(chrono::Duration::zero());
    let reconciled = host.reconcile().await.unwrap();
    assert!(
        matches!(reconciled[0].resolution, Resolution::NotPlaced(_)),
        "{reconciled:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_order_is_unknown_until_its_deadline_then_final() {
    for release_in_time in [true, false] {
        let fake = FakeKraken::start().await;
        let env = env(Backend::Sqlite, &fake).await;
        let host = env.executor().await;
        fake.inject(Fault::Hold);
        let err = host
            .execute_buy("SOL/USD", "100", None, None)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::UnknownOutcome);
        assert_eq!(fake.held_orders(), 1);
        let deadline = fake.received_on("/0/private/AddOrder")[0]
            .param("deadline")
            .map(str::to_owned);
        assert!(deadline.is_some(), "the order carries the host's deadline");
        let reconciled = host.reconcile().await.unwrap();
        assert!(
            matches!(reconciled[0].resolution, Resolution::StillUnknown(_)),
            "held: {reconciled:?}"
        );
        if release_in_time {
            assert_eq!(
                fake.release_held(),
                1,
                "processed before its deadline: executed"
            );
        } else {
            tokio::time::sleep(Duration::from_secs(3)).await;
            assert_eq!(
                fake.release_held(),
                0,
                "past its deadline: the engine refuses it"
            );
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let reconciled = host.reconcile().await.unwrap();
        match (release_in_time, &reconciled[0].resolution) {
            (true, Resolution::Filled(trade)) => assert_eq!(trade.status, TradeStatus::Open),
            (false, Resolution::NotPlaced(_)) => {}
            (_, other) => panic!("released in time {release_in_time}: {other:?}"),
        }
    }
}

/// The client order id of the newest order.
async fn newest_order(env: &TestEnv) -> String {
    let pool = env.pool().await;
    let id =
        sqlx::query_scalar("SELECT client_order_id FROM orders ORDER BY created_at DESC LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_settles_an_order_by_hand() {
    let fake = FakeKraken::start().await;
    let env = env(Backend::Sqlite, &fake)
        .await
        .with("TRADEHOST_ORDER_DEADLINE_SECS", "30");
    // Executed, answer lost: read it again now, whatever its deadline.
    fake.inject(Fault::LoseAnswerAfterApply);
    assert!(
        !env.run(&["buy", "SOL/USD", "--usd", "100"])
            .status
            .success()
    );
    let sol = newest_order(&env).await;
    // The exchange has it filled: declaring it never executed is refused.
    let out = env.run(&[
        "--json",
        "reconcile",
        "--order",
        &sol,
        "--mark-not-executed",
        "--reason",
        "guess",
    ]);
    assert_eq!(crate::common::error_kind(&out), "invalid_input");
    let out = env.run(&[
        "--json",
        "reconcile",
        "--order",
        &sol,
        "--filled-from-exchange",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(last_json(&out.stdout)["reconciled"][0]["outcome"], "filled");

    // Held by the exchange and never released: the operator, with the
    // exchange's word, declares it never executed — with a reason.
    fake.inject(Fault::Hold);
    assert!(
        !env.run(&["buy", "ETH/USD", "--usd", "100"])
            .status
            .success()
    );
    let eth = newest_order(&env).await;
    let out = env.run(&["reconcile", "--order", &eth, "--mark-not-executed"]);
    assert_eq!(out.status.code(), Some(2), "a reason is required");
    let out = env.run(&[
        "--json",
        "reconcile",
        "--order",
        &eth,
        "--mark-not-executed",
        "--reason",
        "support ticket 1234: never reached the book",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        last_json(&out.stdout)["reconciled"][0]["outcome"],
        "not_placed"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM order_events WHERE event = 'MARKED_NOT_EXECUTED' AND message LIKE '%support ticket 1234%'").await,
        1
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM trades WHERE asset = 'ETH' AND status = 'REJECTED'")
            .await,
        1
    );
    assert_eq!(fake.add_order_attempts(), 2, "nothing was re-sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_goes_on_past_an_order_it_cannot_settle() {
    let fake = FakeKraken::start().await;
    let env = env(Backend::Sqlite, &fake).await;
    for symbol in ["SOL/USD", "ETH/USD"] {
        fake.inject(Fault::LoseAnswerAfterApply);
        assert!(!env.run(&["buy", symbol, "--usd", "100"]).status.success());
    }
    // The first order's lookups fail, first try and every retry.
    for _ in 0..4 {
        fake.inject_on(
            "/0/private/OpenOrders",
            Fault::KrakenError("EGeneral:Internal error".into()),
        );
    }
    let out = env.run(&["--json", "reconcile"]);
    assert_eq!(out.status.code(), Some(19), "something stays unsettled");
    let report = last_json(&out.stdout);
    let outcomes: Vec<&str> = report["reconciled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["failed", "filled"], "{report}");
    // The next look settles the first too.
    let out = env.run(&["--json", "reconcile"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(env.trades_with_status("OPEN").await, 2);
}
