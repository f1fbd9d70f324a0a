//! Local stand-ins for exchange REST APIs on 127.0.0.1, faithful to the
//! facts in `shared/reference/`: the tests of tradehost (and its
//! benchmarks) run real HTTP against them and check both sides — what the
//! exchange received and executed, and what the host recorded.

pub mod binance;
mod conn;
pub mod kraken;
