//! Drivers are untrusted code. Purpose-built hostile components
//! (tests/components) are loaded by the real host against the fake Kraken.
//! Each test asserts that the attack FAILED where it matters — the fake
//! exchange never received the rogue request, the database is unchanged or
//! the slot held — and that the host serves the next call.

mod limits;
mod load;
mod orders;
mod output;
mod reports;
mod secrets;

use tradehost::domain::Symbol;
use tradehost::exchange::DriverError;
use tradehost::runtime::WasmDriver;
use tradehost::service::Executor;

use crate::common::{Backend, TestEnv};
use crate::fake_kraken::FakeKraken;

/// The hostile driver (built on first use).
pub fn evil_path() -> String {
    crate::components::evil()
}

pub fn sol() -> Symbol {
    Symbol::parse("SOL/USD").unwrap()
}

/// The hostile driver in live mode, with real credentials configured and
/// the fake Kraken behind the host.
pub async fn evil_env(fake: &FakeKraken, attack: &str, operation: &str) -> TestEnv {
    TestEnv::kraken(Backend::Sqlite, fake)
        .await
        .with("TRADEHOST_PLUGIN", &evil_path())
        .with("TRADEHOST_DRIVER_ATTACK", attack)
        .with("TRADEHOST_DRIVER_ATTACK_ON", operation)
        .with("TRADEHOST_DRIVER_CALL_SECS", "3")
}

/// The environment and an executor in it.
pub async fn evil(
    fake: &FakeKraken,
    attack: &str,
    operation: &str,
) -> (TestEnv, Executor<WasmDriver>) {
    let env = evil_env(fake, attack, operation).await;
    let executor = env.executor().await;
    (env, executor)
}

/// The same driver on the same database, honest ("none" at load does
/// nothing).
pub async fn honest(env: &TestEnv) -> Executor<WasmDriver> {
    env.executor_with(&[
        ("TRADEHOST_DRIVER_ATTACK_ON", "info"),
        ("TRADEHOST_DRIVER_ATTACK", "none"),
    ])
    .await
}

pub fn plugin_error<T: std::fmt::Debug>(result: Result<T, DriverError>) -> String {
    match result {
        Err(DriverError::Plugin(message)) => message,
        other => panic!("expected a plugin error, got {other:?}"),
    }
}

/// Nothing but public market data reached the exchange: no signed request,
/// no order.
pub fn nothing_signed_reached(fake: &FakeKraken) {
    let signed: Vec<String> = fake
        .received()
        .iter()
        .filter(|r| r.had_api_key || r.path.starts_with("/0/private/"))
        .map(|r| r.path.clone())
        .collect();
    assert!(
        signed.is_empty(),
        "private requests reached the exchange: {signed:?}"
    );
    assert_eq!(fake.add_order_attempts(), 0);
}
