//! Drivers built against contract 0.1.0 keep loading and working: the
//! 0.1.0 kraken and kraken-sandbox components, built once from the sources
//! of that time (tests/fixtures/drivers-v0.1.0), are vetted and trade.

use rust_decimal::Decimal;
use std::str::FromStr;
use tradehost::domain::trade::TradeStatus;

use crate::common::{Backend, TestEnv, last_json};
use crate::fake_kraken::FakeKraken;
use crate::on_both_databases;

fn fixture(name: &str) -> String {
    format!(
        "{}/../tests/fixtures/drivers-v0.1.0/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_0_1_0_drivers_load_and_pass_the_conformance_suite() {
    let env = TestEnv::new(Backend::Sqlite).await;
    for name in ["kraken-sandbox", "kraken"] {
        let info = last_json(
            &env.run(&["--json", "plugin", "info", &fixture(name)])
                .stdout,
        );
        assert_eq!(info["wit_version"], "0.1.0", "{name}");
        assert_eq!(info["exchange_id"], name);
    }
    let out = env.run(&[
        "--json",
        "plugin",
        "test",
        &fixture("kraken-sandbox"),
        "--orders",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(last_json(&out.stdout)["failed"], 0);

    let fake = FakeKraken::start().await;
    let live = TestEnv::kraken(Backend::Sqlite, &fake).await;
    let out = live.run(&[
        "--json",
        "plugin",
        "test",
        &fixture("kraken"),
        "--orders",
        "--with-credentials",
        "--symbol",
        "SOL/USD",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(last_json(&out.stdout)["failed"], 0);
    assert_eq!(fake.applied_orders().len(), 2);
}

on_both_databases!(a_0_1_0_kraken_driver_trades_under_the_same_rules);

/// The old driver sends no `oflags`, so Kraken charges its sells' fees in
/// the base currency: the host shrinks the position by them.
async fn a_0_1_0_kraken_driver_trades_under_the_same_rules(backend: Backend) {
    let fake = FakeKraken::start().await;
    let env = TestEnv::kraken(backend, &fake)
        .await
        .with("TRADEHOST_PLUGIN", &fixture("kraken"));
    let host = env.executor().await;
    let bought = host
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    assert_eq!(bought.status, TradeStatus::Open);
    let size = bought.size.unwrap();
    let sold = host
        .execute_sell("SOL/USD", Some("0.3"), None)
        .await
        .unwrap();
    let applied = fake.applied_orders();
    assert_eq!(applied.len(), 2);
    let sell = &applied[1];
    assert_eq!(
        sell.fee_asset, "SOL",
        "Kraken's default: a sell's fee in base"
    );
    assert_eq!(
        sold.size,
        Some(size - Decimal::from_str("0.3").unwrap() - sell.fee)
    );
    assert_eq!(sold.status, TradeStatus::Open);
    // The host's balance of the position matches the exchange's.
    assert_eq!(sold.size, Some(fake.balance("SOL")));
}
