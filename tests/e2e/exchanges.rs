//! Two deployments on different exchanges sharing one database: each holds
//! its own position per asset, and neither ever acts on the other's trades
//! or orders.

use tradehost::ErrorKind;
use tradehost::domain::trade::TradeStatus;
use tradehost::service::Resolution;

use crate::common::{Backend, TestEnv};
use crate::fake_kraken::{FakeKraken, Fault};
use crate::on_both_databases;

on_both_databases!(each_exchange_keeps_its_own_positions_and_orders);

async fn each_exchange_keeps_its_own_positions_and_orders(backend: Backend) {
    let fake = FakeKraken::start().await;
    let env = TestEnv::new(backend).await;
    let sandbox = env.executor().await;
    let kraken = env
        .executor_with(&[
            ("TRADEHOST_SANDBOX_MODE", "false"),
            ("TRADEHOST_PLUGIN", "kraken"),
            ("KRAKEN_API_KEY", FakeKraken::API_KEY),
            ("KRAKEN_PRIVATE_KEY", FakeKraken::PRIVATE_KEY),
            ("KRAKEN_API_URL", &fake.url),
            ("TRADEHOST_ORDER_DEADLINE_SECS", "2"),
            ("TRADEHOST_RECONCILE_GRACE_SECS", "1"),
        ])
        .await;
    assert_ne!(sandbox.exchange(), kraken.exchange());

    // One SOL position per exchange.
    let simulated = sandbox
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    let real = kraken
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    assert_eq!(
        (simulated.status, real.status),
        (TradeStatus::Open, TradeStatus::Open)
    );
    let again = sandbox
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap_err();
    assert_eq!(again.kind, ErrorKind::DuplicatePosition);

    // A Kraken order with an unknown outcome is Kraken's to reconcile.
    fake.inject(Fault::LoseAnswerAfterApply);
    let lost = kraken
        .execute_buy("BTC/USD", "100", None, None)
        .await
        .unwrap_err();
    assert_eq!(lost.kind, ErrorKind::UnknownOutcome);
    assert!(
        sandbox.reconcile().await.unwrap().is_empty(),
        "the sandbox never looks it up"
    );
    let btc = kraken.positions().await.unwrap();
    assert!(
        btc.iter()
            .any(|t| t.asset == "BTC" && t.status == TradeStatus::Pending)
    );
    let settled = kraken.reconcile().await.unwrap();
    assert!(
        matches!(settled[..], [ref r] if matches!(r.resolution, Resolution::Filled(_))),
        "{settled:?}"
    );

    // Each sees, sells and liquidates only its own.
    let mine: Vec<String> = sandbox
        .positions()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(mine, std::slice::from_ref(&simulated.id));
    let foreign = sandbox
        .execute_sell("SOL/USD", None, Some(&real.id))
        .await
        .unwrap_err();
    assert_eq!(foreign.kind, ErrorKind::InvalidInput, "{foreign}");
    let liquidated = sandbox.liquidate().await.unwrap();
    assert_eq!(liquidated.len(), 1);
    assert_eq!(
        kraken.positions().await.unwrap().len(),
        2,
        "Kraken's positions untouched"
    );
    assert_eq!(fake.applied_orders().len(), 2);
    // Kraken saw its two buys and nothing else; the sandbox executed its
    // buy and its own liquidation, nothing of Kraken's.
    assert_eq!(fake.add_order_attempts(), 2);
    assert_eq!(env.exchange_orders().await, 2);
}
