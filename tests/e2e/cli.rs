//! The `tradehost` binary as a user and a scheduler run it.

use crate::common::{Backend, TestEnv, error_kind, last_json};
use crate::on_both_databases;

on_both_databases!(demo_flow_through_the_binary);

async fn demo_flow_through_the_binary(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let out = env.run(&[
        "--json",
        "buy",
        "SOL/USD",
        "--usd",
        "100",
        "--stop-loss",
        "95",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trade = last_json(&out.stdout);
    for field in [
        "id",
        "symbol",
        "asset",
        "status",
        "entry_price",
        "size",
        "entry_time",
        "stop_loss_price",
        "take_profit_price",
        "exit_price",
        "exit_time",
        "pnl",
        "order_id",
        "client_order_id",
        "fees",
    ] {
        assert!(
            trade.get(field).is_some(),
            "trade JSON lacks {field}: {trade}"
        );
    }
    assert_eq!(trade["status"], "OPEN");
    assert_eq!(trade["symbol"], "SOL/USD");
    assert_eq!(trade["stop_loss_price"], "95");
    assert!(
        trade["entry_price"].is_string() && trade["size"].is_string(),
        "decimals are strings: {trade}"
    );
    let id = trade["id"].as_str().unwrap().to_owned();

    let positions = last_json(&env.run(&["--json", "positions"]).stdout);
    assert_eq!(positions.as_array().unwrap().len(), 1);
    assert_eq!(positions[0]["id"], id.as_str());

    let dup = env.run(&["--json", "buy", "SOL/USD", "--usd", "100"]);
    assert_eq!(dup.status.code(), Some(10));
    assert_eq!(error_kind(&dup), "duplicate_position");

    let sold = env.run(&[
        "--json",
        "sell",
        "SOL/USD",
        "--amount",
        "0.1",
        "--trade-id",
        &id,
    ]);
    assert!(
        sold.status.success(),
        "{}",
        String::from_utf8_lossy(&sold.stderr)
    );
    assert_eq!(last_json(&sold.stdout)["status"], "OPEN");

    let closed = env.run(&["--json", "close", "SOL/USD"]);
    assert!(
        closed.status.success(),
        "{}",
        String::from_utf8_lossy(&closed.stderr)
    );
    let closed = last_json(&closed.stdout);
    assert_eq!(closed["status"], "CLOSED");
    assert!(closed["pnl"].is_string() && closed["exit_price"].is_string());

    let trades = last_json(&env.run(&["--json", "trades"]).stdout);
    assert_eq!(trades.as_array().unwrap().len(), 1);
    assert!(
        last_json(&env.run(&["--json", "positions"]).stdout)
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The audit trail: every order attempt and state change, in order.
    let history = last_json(
        &env.run(&["--json", "trades", "--history", "--trade-id", &id])
            .stdout,
    );
    let events: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "RESERVED", "PLACED", "FILLED", "DENIED", "RESERVED", "PLACED", "FILLED", "RESERVED",
            "PLACED", "FILLED"
        ]
    );
    let all = last_json(&env.run(&["--json", "trades", "--history"]).stdout);
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "DENIED" && e["outcome"] == "duplicate_position")
    );

    // Human output works too.
    let table = env.run(&["trades"]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("CLOSED"));
    assert_eq!(env.exchange_orders().await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_and_check_report_the_sandbox() {
    let env = TestEnv::new(Backend::Sqlite)
        .await
        .with("TRADEHOST_DRIVER_BALANCE_USD", "2500");
    let usd = last_json(&env.run(&["--json", "balance", "USD"]).stdout);
    assert_eq!(usd[0]["currency"], "USD");
    assert_eq!(usd[0]["total"], "2500");
    let check = env.run(&["--json", "check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let check = last_json(&check.stdout);
    assert_eq!(check["exchange_status"], "online");
    assert_eq!(check["driver"]["exchange_id"], "kraken-sandbox");

    let down = env
        .command(&["--json", "check"])
        .env("TRADEHOST_DRIVER_STATUS", "maintenance")
        .output()
        .unwrap();
    assert_eq!(last_json(&down.stdout)["exchange_status"], "maintenance");
    let buy = env
        .command(&["--json", "buy", "SOL/USD", "--usd", "100"])
        .env("TRADEHOST_DRIVER_STATUS", "maintenance")
        .output()
        .unwrap();
    assert_eq!(error_kind(&buy), "exchange_unavailable");
    assert_eq!(buy.status.code(), Some(17));
    assert_eq!(env.count("SELECT COUNT(*) FROM trades").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_path_works_like_the_embedded_name() {
    let env = TestEnv::new(Backend::Sqlite).await;
    let copy = env.path("third_party_driver.wasm");
    std::fs::copy(env!("TRADEHOST_WASM_KRAKEN_SANDBOX"), &copy).unwrap();
    let out = env
        .command(&["--json", "buy", "ETH/USD", "--usd", "60"])
        .env("TRADEHOST_PLUGIN", &copy)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trade = last_json(&out.stdout);
    assert_eq!(trade["exchange"], "kraken-sandbox");
    assert_eq!(trade["status"], "OPEN");
    // Its simulated account is its own namespace, named by its SHA-256 —
    // never by its file name, so it cannot pose as another driver.
    let sha = tradehost::runtime::cache::sha256_hex(&std::fs::read(&copy).unwrap());
    assert_eq!(
        env.count(&format!(
            "SELECT COUNT(*) FROM driver_state WHERE driver = 'sha256:{sha}' AND key LIKE 'order/%'"
        ))
        .await,
        1
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM driver_state WHERE driver = 'kraken-sandbox'")
            .await,
        0
    );

    let missing = env
        .command(&["--json", "positions"])
        .env("TRADEHOST_PLUGIN", env.path("nope.wasm"))
        .output()
        .unwrap();
    assert_eq!(error_kind(&missing), "config");
    assert_eq!(missing.status.code(), Some(4));
    std::fs::write(env.path("garbage.wasm"), b"not a component").unwrap();
    let garbage = env
        .command(&["--json", "positions"])
        .env("TRADEHOST_PLUGIN", env.path("garbage.wasm"))
        .output()
        .unwrap();
    assert_eq!(error_kind(&garbage), "plugin");
    assert_eq!(garbage.status.code(), Some(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_mode_without_credentials_names_the_missing_variable() {
    let env = TestEnv::new(Backend::Sqlite)
        .await
        // The switch's original name still works.
        .with("KRAKEN_SANDBOX_MODE", "false");
    let out = env.run(&["--json", "check"]);
    assert_eq!(error_kind(&out), "config");
    let message = last_json(&out.stderr)["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("KRAKEN_API_KEY"), "{message}");
}
