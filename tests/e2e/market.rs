//! Correct under a real market: slippage, partial fills, fee currencies,
//! racing sells, paged order history, clocks that disagree. The live kraken
//! driver against a fake Kraken that behaves like a market.

use std::str::FromStr;
use std::time::Duration;

use rust_decimal::Decimal;
use tradehost::ErrorKind;
use tradehost::domain::trade::TradeStatus;
use tradehost::service::Resolution;

use crate::common::{Backend, TestEnv, last_json};
use crate::fake_kraken::{Execution, FakeKraken, Fault};
use crate::on_both_databases;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

async fn env(backend: Backend, fake: &FakeKraken) -> TestEnv {
    TestEnv::kraken(backend, fake)
        .await
        .with("TRADEHOST_ORDER_DEADLINE_SECS", "2")
        .with("TRADEHOST_RECONCILE_GRACE_SECS", "1")
        .with("TRADEHOST_HTTP_TIMEOUT_SECS", "1")
}

/// The audit trail's messages for one trade, in order.
async fn events(env: &TestEnv, trade_id: &str) -> Vec<(String, Option<String>)> {
    let pool = env.pool().await;
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT event, message FROM order_events WHERE trade_id = $1 ORDER BY id")
            .bind(trade_id)
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    rows
}

on_both_databases!(
    a_fill_worse_than_the_quote_is_recorded_and_blocks_nothing,
    a_position_can_be_closed_right_after_the_buy,
    a_settled_sell_is_never_applied_again
);

async fn a_fill_worse_than_the_quote_is_recorded_and_blocks_nothing(backend: Backend) {
    let fake = FakeKraken::start().await;
    let env = env(backend, &fake).await;
    let host = env.executor().await;
    host.execute_buy("ETH/USD", "100", None, None)
        .await
        .unwrap();
    // The market moves 3 % against the buy while it fills, in three trades.
    fake.queue_execution(Execution::default().slippage_bps(300).trades(3));
    let trade = host
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    let applied = fake.applied_orders();
    let fill = &applied[1];
    assert_eq!(
        trade.status,
        TradeStatus::Open,
        "the exchange's fill is the truth"
    );
    assert_eq!(trade.entry_price, Some(fill.price));
    assert_eq!(trade.size, Some(fill.volume));
    assert!(
        fill.cost > d("100"),
        "it cost more than the amount: {}",
        fill.cost
    );
    let slippage = trade.entry_slippage_bps().unwrap();
    assert!(slippage > d("100") && slippage <= d("300"), "{slippage}");
    let trail = events(&env, &trade.id).await;
    let filled = trail.iter().find(|(e, _)| e == "FILLED").unwrap();
    assert!(
        filled.1.as_deref().unwrap().contains("slippage"),
        "{trail:?}"
    );
    // Nothing is stuck: the other position closes normally.
    let eth = host.close("ETH/USD").await.unwrap();
    assert_eq!(eth.status, TradeStatus::Closed);
}

async fn a_position_can_be_closed_right_after_the_buy(backend: Backend) {
    let fake = FakeKraken::start().await;
    let env = env(backend, &fake).await;
    let host = env.executor().await;
    // The account holds nothing but this position.
    let bought = host
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    assert_eq!(Some(fake.balance("SOL")), bought.size);
    let closed = host.close("SOL/USD").await.unwrap();
    assert_eq!(closed.status, TradeStatus::Closed);
    assert_eq!(fake.balance("SOL"), Decimal::ZERO, "all of it was sold");
    // Fees in the quote currency, always: the driver asks for it.
    for order in fake.received_on("/0/private/AddOrder") {
        assert_eq!(order.param("oflags"), Some("fciq"));
    }
    assert!(fake.applied_orders().iter().all(|o| o.fee_asset == "ZUSD"));
}

/// A slow second settler of a sell that was settled — and whose trade has
/// since been claimed by a new sell — changes nothing.
async fn a_settled_sell_is_never_applied_again(backend: Backend) {
    use tradehost::db::{EventKind, NewSell, Settling};
    use tradehost::domain::trade::FillUpdate;
    use tradehost::exchange::Fee;

    let env = TestEnv::new(backend).await;
    let host = env.executor().await;
    let trade = host
        .execute_buy("SOL/USD", "300", None, None)
        .await
        .unwrap();
    let size = trade.size.unwrap();
    let db = host.database();
    let now = chrono::Utc::now();
    let sell = |id: &str, open: Decimal| NewSell {
        trade_id: trade.id.clone(),
        client_order_id: id.to_owned(),
        symbol: "SOL/USD".into(),
        amount: d("0.5"),
        open_size: open,
        quote_price: None,
        reason: tradehost::domain::trade::ExitReason::Manual,
        now,
        deadline: now + chrono::Duration::seconds(30),
    };
    db.claim_sell(&sell("sell-a", size)).await.unwrap();
    let fill = FillUpdate {
        order_id: "OSELLA-00000-000001".into(),
        filled_size: d("0.5"),
        average_price: d("150"),
        cost: d("75"),
        fees: vec![Fee {
            amount: d("0.195"),
            currency: "USD".into(),
        }],
        fee_value: d("0.195"),
        quote: "USD".into(),
        slippage_bps: None,
        now,
        acknowledged: false,
    };
    let current = db.trade(&trade.id).await.unwrap();
    let result = tradehost::domain::trade::SellResult {
        size_before: size,
        size: size - d("0.5"),
        exit_price: d("150"),
        exit_size: d("0.5"),
        exit_value: d("75"),
        exit_fees: d("0.195"),
        fees: current.fees + d("0.195"),
        other_fees: vec![],
        pnl: d("1"),
        closed: false,
        dust: None,
        exit_reason: None,
    };
    let settling = Settling {
        trade_id: &trade.id,
        client_order_id: "sell-a",
        kind: EventKind::ReconciledFilled,
    };
    let once = db.apply_sell_fill(settling, &fill, &result).await.unwrap();
    assert_eq!(once.size, Some(size - d("0.5")));
    // A new sell claims the trade.
    db.claim_sell(&sell("sell-b", size - d("0.5")))
        .await
        .unwrap();
    // The slow settler of sell A arrives now: nothing changes.
    let again = db.apply_sell_fill(settling, &fill, &result).await.unwrap();
    assert_eq!(
        again.size,
        Some(size - d("0.5")),
        "the fill was not applied twice"
    );
    assert_eq!(
        again.status,
        TradeStatus::Closing,
        "sell B still holds the claim"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM order_events WHERE client_order_id = 'sell-a' AND event = 'RECONCILED_FILLED'").await,
        1
    );
    // Nor can sell A's late refusal free sell B's claim.
    let late = tradehost::Error::new(ErrorKind::OrderRejected, "late");
    db.reject_order(settling, &late, now).await.unwrap();
    assert_eq!(
        db.trade(&trade.id).await.unwrap().status,
        TradeStatus::Closing
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sells_of_one_position_never_sell_more_than_it_holds() {
    let fake = FakeKraken::start().await;
    // Other SOL on the account: the exchange would not stop an oversell.
    fake.set_balance("SOL", "10");
    let env = env(Backend::Sqlite, &fake)
        .await
        .with("TRADEHOST_HTTP_TIMEOUT_SECS", "5");
    let host = env.executor().await;
    let bought = host
        .execute_buy("SOL/USD", "200", None, None)
        .await
        .unwrap();
    let held = bought.size.unwrap();
    // Both sellers loaded up front: the race below is only theirs.
    let closer = env.executor().await;
    let seller = env.executor().await;
    // The close reads the size, then waits on the exchange's status...
    fake.inject_on(
        "/0/public/SystemStatus",
        Fault::Delay(Duration::from_millis(2000)),
    );
    let close = tokio::spawn(async move { closer.close("SOL/USD").await });
    assert!(
        fake.wait_until(Duration::from_secs(5), |f| f.faults_fired() == 1)
            .await
    );
    // ...while a partial sell goes through.
    let partial = seller
        .execute_sell("SOL/USD", Some("0.8"), None)
        .await
        .unwrap();
    assert_eq!(partial.size, Some(held - d("0.8")));
    let err = close.await.unwrap().unwrap_err();
    assert!(err.message.contains("open size changed"), "{err}");
    let sold: Decimal = fake
        .applied_orders()
        .iter()
        .filter(|o| o.side == "sell")
        .map(|o| o.volume)
        .sum();
    assert_eq!(sold, d("0.8"), "never more than the position");
    // The refusal is on record, and the rest can be closed.
    let trail = events(&env, &bought.id).await;
    assert!(trail.iter().any(|(e, m)| e == "DENIED" && m.as_deref().unwrap_or("").contains("open size changed")), "{trail:?}");
    let closed = host.close("SOL/USD").await.unwrap();
    assert_eq!(closed.status, TradeStatus::Closed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exit_price_is_the_exchanges_average_price() {
    let fake = FakeKraken::start().await;
    let env = env(Backend::Sqlite, &fake).await;
    let host = env.executor().await;
    host.execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    let closed = host.close("SOL/USD").await.unwrap();
    let sell = &fake.applied_orders()[1];
    // Kraken truncates cost, so cost / volume is not the price it reports.
    assert_ne!(sell.cost / sell.volume, sell.price);
    assert_eq!(closed.exit_price, Some(sell.price));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remainder_below_the_minimum_closes_as_dust() {
    let fake = FakeKraken::start().await;
    let env = env(Backend::Sqlite, &fake).await;
    let host = env.executor().await;
    let bought = host
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    // The close fills 95 %: what is left is below SOL's minimum of 0.06.
    fake.queue_execution(Execution::default().fill_ratio("0.95"));
    let closed = host.close("SOL/USD").await.unwrap();
    let sold = fake.applied_orders()[1].volume;
    assert_eq!(closed.status, TradeStatus::Closed, "the slot is free");
    assert_eq!(closed.dust, Some(bought.size.unwrap() - sold));
    assert!(closed.dust.unwrap() < d("0.06"));
    // A buy that fills below the minimum closes at once, as dust.
    fake.queue_execution(Execution::default().fill_ratio("0.05"));
    let tiny = host
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    assert_eq!(tiny.status, TradeStatus::Closed);
    assert!(tiny.dust.is_some());
    host.execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
}

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

on_both_databases!(every_refusal_is_on_record_and_only_changes_are);

async fn every_refusal_is_on_record_and_only_changes_are(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let host = env.executor().await;
    for (decision, expected) in [
        (
            host.execute_buy("SOL/USD", "1", None, None).await,
            ErrorKind::BelowMinimum,
        ),
        (
            host.execute_buy("SOL/USD", "100", Some("200"), None).await,
            ErrorKind::InvalidInput,
        ),
        (
            host.execute_buy("SOL/USD", "100", None, Some("100")).await,
            ErrorKind::InvalidInput,
        ),
        (host.close("SOL/USD").await, ErrorKind::NotFound),
    ] {
        assert_eq!(decision.unwrap_err().kind, expected);
    }
    host.execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    assert_eq!(
        host.execute_sell("SOL/USD", Some("5"), None)
            .await
            .unwrap_err()
            .kind,
        ErrorKind::InvalidInput
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM order_events WHERE event = 'DENIED'")
            .await,
        5
    );
    // A state change that does not happen writes no event.
    let order: String = {
        let pool = env.pool().await;
        let id = sqlx::query_scalar("SELECT client_order_id FROM orders")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        id
    };
    let before = env.count("SELECT COUNT(*) FROM order_events").await;
    let db = host.database();
    db.mark_order_placed("t", &order, "OX", chrono::Utc::now())
        .await
        .unwrap();
    let err = tradehost::Error::new(ErrorKind::UnknownOutcome, "x");
    db.mark_order_unknown("t", &order, &err, None, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        env.count("SELECT COUNT(*) FROM order_events").await,
        before,
        "a filled order stays filled, silently"
    );
}

on_both_databases!(any_number_of_hosts_may_start_at_once_on_a_new_database);

async fn any_number_of_hosts_may_start_at_once_on_a_new_database(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let children: Vec<_> = (0..12)
        .map(|_| {
            env.command(&["--json", "positions"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(last_json(&out.stdout), serde_json::json!([]));
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
