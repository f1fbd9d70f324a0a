//! Drivers are untrusted code. Purpose-built hostile components
//! (tests/components) are loaded by the real host: each attack is
//! contained and reported, the host serves the next call, and key material
//! never reaches a driver.

use tradehost::ErrorKind;
use tradehost::domain::Symbol;
use tradehost::domain::trade::TradeStatus;
use tradehost::exchange::{DriverError, ExchangeDriver};

use crate::common::{Backend, TestEnv, error_kind, last_json};
use crate::fake_kraken::FakeKraken;

const EVIL: &str = env!("TRADEHOST_TEST_WASM_EVIL");

fn sol() -> Symbol {
    Symbol::parse("SOL/USD").unwrap()
}

/// The hostile driver in live mode, with real credentials configured and a
/// fake Kraken behind the host, attacking in `operation`.
async fn evil(
    fake: &FakeKraken,
    attack: &str,
    operation: &str,
) -> (
    TestEnv,
    tradehost::service::Executor<tradehost::runtime::WasmDriver>,
) {
    let env = TestEnv::kraken(Backend::Sqlite, fake)
        .await
        .with("TRADEHOST_PLUGIN", EVIL)
        .with("TRADEHOST_DRIVER_ATTACK", attack)
        .with("TRADEHOST_DRIVER_ATTACK_ON", operation)
        .with("TRADEHOST_DRIVER_CALL_SECS", "2");
    let executor = env.executor().await;
    (env, executor)
}

fn plugin_error(result: Result<impl std::fmt::Debug, DriverError>) -> String {
    match result {
        Err(DriverError::Plugin(message)) => message,
        other => panic!("expected a plugin error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runaway_drivers_are_stopped_and_named_and_the_host_serves_on() {
    let fake = FakeKraken::start().await;
    for (attack, limit) in [
        ("spin", "time limit"),
        ("memory-bomb", "memory limit"),
        ("trap", "trapped"),
        ("huge-result", "invalid"),
    ] {
        let (_env, host) = evil(&fake, attack, "ticker").await;
        let message = plugin_error(host.driver().ticker(&sol()).await);
        assert!(message.contains(limit), "{attack}: {message}");
        // The same driver, the next call: a fresh instance answers.
        assert!(
            host.driver().status().await.is_ok(),
            "{attack}: the host stopped serving"
        );
        assert!(host.driver().market_rules(&sol()).await.is_ok(), "{attack}");
    }
    // A log flood is cut, and the call still completes.
    let (_env, host) = evil(&fake, "huge-log", "ticker").await;
    assert!(host.driver().ticker(&sol()).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_driver_cannot_reach_undeclared_or_funding_endpoints_or_the_environment() {
    let fake = FakeKraken::start().await;
    let (_env, host) = evil(&fake, "undeclared-path", "ticker").await;
    let err = host.driver().ticker(&sol()).await.unwrap_err().to_string();
    assert!(
        err.contains("not among the driver's declared request paths"),
        "{err}"
    );
    let (_env, host) = evil(&fake, "withdraw", "ticker").await;
    let err = host.driver().ticker(&sol()).await.unwrap_err().to_string();
    assert!(
        err.contains("withdraw endpoint") && err.contains("Denied"),
        "{err}"
    );
    assert!(
        fake.received()
            .iter()
            .all(|r| r.path != "/0/public/Assets" && r.path != "/0/private/Withdraw"),
        "nothing reached the exchange"
    );

    let (_env, host) = evil(&fake, "read-env", "ticker").await;
    let err = host.driver().ticker(&sol()).await.unwrap_err().to_string();
    assert!(
        err.contains("env=0:") && err.contains("args=0"),
        "the driver sees no environment: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_material_never_crosses_into_a_driver() {
    let fake = FakeKraken::start().await;
    let (env, host) = evil(&fake, "exfiltrate", "ticker").await;
    let loot = host.driver().ticker(&sol()).await.unwrap_err().to_string();
    // It did get answers (so the test can fail), but no secret among them.
    assert!(loot.contains("SOLUSD"), "{loot}");
    let secret_bytes = base64_decode(FakeKraken::PRIVATE_KEY);
    for needle in [
        FakeKraken::API_KEY.to_owned(),
        FakeKraken::PRIVATE_KEY.to_owned(),
        String::from_utf8_lossy(&secret_bytes).into_owned(),
    ] {
        assert!(
            !loot.contains(&needle),
            "a secret reached the driver: {loot}"
        );
    }
    // Nor is any stored where a driver could read it.
    let stored = env
        .count(&format!(
            "SELECT COUNT(*) FROM driver_state WHERE value LIKE '%{}%'",
            FakeKraken::API_KEY
        ))
        .await;
    assert_eq!(stored, 0);
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
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
    assert_eq!(
        fake.applied_orders().len(),
        1,
        "the order reached the exchange before the trap"
    );
    assert_eq!(
        env.trades_with_status("PENDING").await,
        1,
        "so the slot stays reserved"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lying_fills_are_refused_not_recorded() {
    let fake = FakeKraken::start().await;
    for attack in [
        "lying-negative",
        "lying-absurd",
        "lying-oversize",
        "lying-exponent",
    ] {
        let (env, host) = evil(&fake, attack, "query-order").await;
        let err = host
            .execute_buy("SOL/USD", "75", None, None)
            .await
            .unwrap_err();
        assert!(
            matches!(err.kind, ErrorKind::Plugin | ErrorKind::UnknownOutcome),
            "{attack}: {err}"
        );
        let trade = &host.trades(1).await.unwrap()[0];
        assert_eq!(
            trade.status,
            TradeStatus::Pending,
            "{attack}: a lie is never a fill"
        );
        assert_eq!(trade.entry_price, None, "{attack}");
        assert_eq!(
            env.count("SELECT COUNT(*) FROM orders WHERE status = 'FILLED'")
                .await,
            0,
            "{attack}"
        );
    }
    let (_env, host) = evil(&fake, "bad-order-id", "place-market-order").await;
    let err = host
        .execute_buy("SOL/USD", "75", None, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownOutcome, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn components_asking_for_capabilities_or_another_contract_are_refused_at_load() {
    let env = TestEnv::new(Backend::Sqlite).await;
    for (path, expected) in [
        (env!("TRADEHOST_TEST_WASM_FS_READER"), "wasi:filesystem"),
        (env!("TRADEHOST_TEST_WASM_SOCKET_OPENER"), "wasi:sockets"),
        (
            env!("TRADEHOST_TEST_WASM_FUTURE_VERSION"),
            "tradehost:exchange@9.0.0",
        ),
    ] {
        let out = env
            .command(&["--json", "positions"])
            .env("TRADEHOST_PLUGIN", path)
            .output()
            .unwrap();
        assert_eq!(error_kind(&out), "plugin", "{path}");
        assert_eq!(out.status.code(), Some(5));
        let message = last_json(&out.stderr)["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(expected), "{message}");
    }
    let message = last_json(
        &env.command(&["--json", "positions"])
            .env(
                "TRADEHOST_PLUGIN",
                env!("TRADEHOST_TEST_WASM_FUTURE_VERSION"),
            )
            .output()
            .unwrap()
            .stderr,
    )["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("tradehost:exchange@0.1"),
        "names the supported version too: {message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sha256_pin_refuses_any_other_component() {
    let env = TestEnv::new(Backend::Sqlite).await;
    let info = last_json(
        &env.run(&["--json", "plugin", "info", "kraken-sandbox"])
            .stdout,
    );
    let sha = info["sha256"].as_str().unwrap().to_owned();
    assert_eq!(info["wit_version"], "0.1.0");
    assert_eq!(info["exchange_id"], "kraken-sandbox");
    let pinned = env
        .command(&["--json", "positions"])
        .env("TRADEHOST_PLUGIN_SHA256", &sha)
        .output()
        .unwrap();
    assert!(
        pinned.status.success(),
        "{}",
        String::from_utf8_lossy(&pinned.stderr)
    );
    let other = env
        .command(&["--json", "positions"])
        .env("TRADEHOST_PLUGIN_SHA256", "0".repeat(64))
        .output()
        .unwrap();
    assert_eq!(error_kind(&other), "config");
    assert!(String::from_utf8_lossy(&other.stderr).contains("refusing to start"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compiled_driver_cache_is_used_and_tamper_checked() {
    let env = TestEnv::new(Backend::Sqlite).await;
    let cache = env.path("cache");
    let run = || {
        env.command(&["--json", "positions"])
            .env("TRADEHOST_CACHE_DIR", &cache)
            .env("RUST_LOG", "tradehost=debug")
            .output()
            .unwrap()
    };
    assert!(run().status.success());
    let artifacts: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
        .collect();
    assert_eq!(artifacts.len(), 1, "one compiled artifact written");
    let modified = std::fs::metadata(&artifacts[0])
        .unwrap()
        .modified()
        .unwrap();
    assert!(run().status.success());
    assert_eq!(
        std::fs::metadata(&artifacts[0])
            .unwrap()
            .modified()
            .unwrap(),
        modified,
        "loaded, not rewritten"
    );
    // A tampered artifact is not loaded: it is recompiled and replaced.
    let mut bytes = std::fs::read(&artifacts[0]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&artifacts[0], &bytes).unwrap();
    assert!(run().status.success());
    assert_ne!(
        std::fs::read(&artifacts[0]).unwrap(),
        bytes,
        "the tampered artifact was replaced"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_first_party_drivers_pass_the_conformance_suite() {
    let env = TestEnv::new(Backend::Sqlite).await;
    let out = env.run(&["--json", "plugin", "test", "kraken-sandbox", "--orders"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report = last_json(&out.stdout);
    assert_eq!(report["failed"], 0);
    assert!(report["passed"].as_u64().unwrap() >= 12, "{report}");

    let fake = FakeKraken::start().await;
    let live = TestEnv::kraken(Backend::Sqlite, &fake).await;
    let out = live.run(&[
        "--json", "plugin", "test", "kraken", "--orders", "--symbol", "SOL/USD",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(last_json(&out.stdout)["failed"], 0);
    assert_eq!(
        fake.applied_orders().len(),
        2,
        "a buy and a sell at the fake exchange"
    );

    // A driver that misbehaves fails it, with the failing checks named.
    let out = live
        .command(&["--json", "plugin", "test", EVIL, "--symbol", "SOL/USD"])
        .env("TRADEHOST_DRIVER_ATTACK", "trap")
        .env("TRADEHOST_DRIVER_ATTACK_ON", "ticker")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let report = last_json(&out.stdout);
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert!(failed.contains(&"ticker"), "{report}");
}
