//! A driver can at most place the order the host intended, or fail to.

use tradehost::ErrorKind;
use tradehost::domain::trade::TradeStatus;
use tradehost::exchange::ExchangeDriver;

use super::{evil, evil_env, honest, nothing_signed_reached, sol};
use crate::common::last_json;
use crate::fake_kraken::FakeKraken;

/// The message of the host's REJECTED event for the trade's order.
async fn refusal_recorded(env: &crate::common::TestEnv) -> String {
    let pool = env.pool().await;
    let message: Option<String> = sqlx::query_scalar(
        "SELECT message FROM order_events WHERE event = 'REJECTED' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .expect("a REJECTED event");
    pool.close().await;
    message.unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_cannot_be_signed_outside_place_market_order() {
    for operation in ["ticker", "status", "balances", "tickers"] {
        let fake = FakeKraken::start().await;
        let (_env, host) = evil(&fake, "order-from-read", operation).await;
        let result = match operation {
            "ticker" => host.driver().ticker(&sol()).await.map(|_| ()),
            "status" => host.driver().status().await.map(|_| ()),
            "balances" => host.driver().balances().await.map(|_| ()),
            _ => host.driver().tickers(&[sol()]).await.map(|_| ()),
        };
        let answer = result.unwrap_err().to_string();
        assert!(
            answer.contains("only by place-market-order"),
            "{operation}: {answer}"
        );
        assert_eq!(
            fake.add_order_attempts(),
            0,
            "{operation}: no AddOrder reached the exchange"
        );
        // The same driver, next call: served.
        assert!(
            host.driver().market_rules(&sol()).await.is_ok(),
            "{operation}"
        );
    }
    // At load, before the driver is bound to a profile, nothing goes anywhere.
    let fake = FakeKraken::start().await;
    let env = evil_env(&fake, "order-from-read", "info").await;
    let out = env.run(&["--json", "positions"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        fake.received().is_empty(),
        "{:?}",
        fake.received_on("/0/private/AddOrder").len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_endpoint_outside_the_profile_is_signed_even_when_declared() {
    let fake = FakeKraken::start().await;
    for attack in ["forbidden-endpoints", "withdraw"] {
        let (_env, host) = evil(&fake, attack, "ticker").await;
        let answer = host.driver().ticker(&sol()).await.unwrap_err().to_string();
        assert!(
            answer.contains("not an endpoint the kraken profile allows"),
            "{attack}: {answer}"
        );
    }
    nothing_signed_reached(&fake);
    for forbidden in [
        "Withdraw",
        "CancelAll",
        "EditOrder",
        "AmendOrder",
        "AddOrderBatch",
        "CancelAllOrdersAfter",
        "Earn/Allocate",
        "Stake",
    ] {
        assert!(
            fake.received_on(&format!("/0/private/{forbidden}"))
                .is_empty(),
            "{forbidden}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_driver_can_place_only_the_intended_order() {
    for (attack, rule) in [
        ("rogue-leverage", "parameter \"leverage\" is not allowed"),
        (
            "rogue-close",
            "parameter \"close[ordertype]\" is not allowed",
        ),
        ("rogue-validate", "parameter \"validate\" is not allowed"),
        ("rogue-viqc", "only fciq"),
        ("rogue-no-client-id", "no cl_ord_id"),
        ("rogue-no-deadline", "deadline"),
        ("rogue-wrong-pair", "reserved SOL/USD"),
        ("rogue-oversize", "slippage margin"),
        ("rogue-wrong-side", "is a SELL, but the host reserved a BUY"),
    ] {
        let fake = FakeKraken::start().await;
        let (env, host) = evil(&fake, attack, "place-market-order").await;
        let err = host
            .execute_buy("SOL/USD", "75", None, None)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Plugin, "{attack}: {err}");
        assert!(err.message.contains(rule), "{attack}: {err}");
        // Refused before it left the host: the exchange never saw it.
        assert_eq!(fake.add_order_attempts(), 0, "{attack}");
        // Nothing left, so nothing can exist: the slot is free again, and
        // the refusal, naming the rule, is in the audit trail.
        assert_eq!(env.trades_with_status("REJECTED").await, 1, "{attack}");
        assert!(refusal_recorded(&env).await.contains(rule), "{attack}");
        // The host serves the next call: an honest buy goes through.
        let trade = honest(&env)
            .await
            .execute_buy("SOL/USD", "75", None, None)
            .await
            .unwrap();
        assert_eq!(trade.status, TradeStatus::Open, "{attack}");
        assert_eq!(fake.add_order_attempts(), 1, "{attack}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sell_can_never_sell_more_than_the_host_reserved() {
    let fake = FakeKraken::start().await;
    let env = evil_env(&fake, "rogue-oversize", "place-market-order").await;
    honest(&env)
        .await
        .execute_buy("SOL/USD", "75", None, None)
        .await
        .unwrap();
    let host = env.executor().await;
    let err = host
        .execute_sell("SOL/USD", Some("0.2"), None)
        .await
        .unwrap_err();
    assert!(
        err.message.contains("above the 0.2 the host reserved"),
        "{err}"
    );
    assert_eq!(
        fake.add_order_attempts(),
        1,
        "only the buy reached the exchange"
    );
    let trade = &host.positions().await.unwrap()[0];
    assert_eq!(
        trade.status,
        TradeStatus::Open,
        "the sell was refused; the position is as it was"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_order_per_call() {
    let fake = FakeKraken::start().await;
    let (_env, host) = evil(&fake, "twice", "place-market-order").await;
    let trade = host.execute_buy("SOL/USD", "75", None, None).await.unwrap();
    assert_eq!(trade.status, TradeStatus::Open);
    assert_eq!(
        fake.add_order_attempts(),
        1,
        "the second order never left the host"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_claimed_after_the_exchange_accepted_keeps_the_slot() {
    let fake = FakeKraken::start().await;
    let (env, host) = evil(&fake, "send-then-reject", "place-market-order").await;
    let err = host
        .execute_buy("SOL/USD", "75", None, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownOutcome, "{err}");
    let applied = fake.applied_orders();
    assert_eq!(applied.len(), 1, "the exchange took the order");
    // The host read the exchange's answer itself: the slot stays reserved,
    // and the exchange's order id is kept for reconciliation.
    assert_eq!(env.trades_with_status("PENDING").await, 1);
    let recorded = env
        .count(&format!(
            "SELECT COUNT(*) FROM orders WHERE status = 'UNKNOWN' AND order_id = '{}'",
            applied[0].txid
        ))
        .await;
    assert_eq!(recorded, 1);
    // Reconciled by that id, the trade opens with the fill.
    let out = env.run(&["--json", "reconcile"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(last_json(&out.stdout)["reconciled"][0]["outcome"], "filled");
    assert_eq!(env.trades_with_status("OPEN").await, 1);
    assert_eq!(fake.add_order_attempts(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placement_claimed_without_an_order_is_not_an_order() {
    let fake = FakeKraken::start().await;
    let (env, host) = evil(&fake, "claim-without-sending", "place-market-order").await;
    let err = host
        .execute_buy("SOL/USD", "75", None, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Plugin, "{err}");
    assert!(
        err.message.contains("no order request left the host"),
        "{err}"
    );
    assert_eq!(fake.add_order_attempts(), 0);
    assert_eq!(
        env.trades_with_status("REJECTED").await,
        1,
        "nothing can exist: the slot is free"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trap_after_an_order_was_sent_is_an_unknown_outcome() {
    let fake = FakeKraken::start().await;
    let (env, host) = evil(&fake, "send-then-trap", "place-market-order").await;
    let err = host
        .execute_buy("SOL/USD", "75", None, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownOutcome, "{err}");
    let applied = fake.applied_orders();
    assert_eq!(
        applied.len(),
        1,
        "the order reached the exchange before the trap"
    );
    assert_eq!(
        env.trades_with_status("PENDING").await,
        1,
        "so the slot stays reserved"
    );
    assert_eq!(
        env.count(&format!(
            "SELECT COUNT(*) FROM orders WHERE order_id = '{}'",
            applied[0].txid
        ))
        .await,
        1,
        "with the exchange's id, read by the host itself"
    );
}
