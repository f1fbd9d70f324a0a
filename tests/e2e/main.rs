//! End-to-end tests: the real host loading the real sandbox component,
//! against a real SQLite file and the real Postgres.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod common;
mod components;

use fake_exchange::binance as fake_binance;
use fake_exchange::kraken as fake_kraken;

mod bad_input;
mod binance;
mod binance_faults;
mod chaos;
mod cli;
mod concurrency;
mod exchanges;
mod faults;
mod headless;
mod kraken_live;
mod lifecycle;
mod live_prices;
mod market;
mod reliability;
mod security;
mod serve;
mod venue;
mod versions;

/// Runs an async test body once per database backend.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            }
        )*
    };
}
