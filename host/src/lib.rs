//! tradehost: turns trading decisions into exchange orders through
//! sandboxed WebAssembly drivers, and records every trade under the rule
//! "at most one open position per asset".
//!
//! Layout: `exchange` is the seam (a trait); `runtime` implements it with
//! wasm components; `outbound` + `signing` + `credentials` are the only code
//! that touches the network and keys; `db` holds trades and the invariant;
//! `service` is the order lifecycle; `cli` is the edge.

pub mod cli;
pub mod config;
pub mod conformance;
pub mod credentials;
pub mod db;
pub mod domain;
pub mod error;
pub mod exchange;
pub mod outbound;
pub mod plugins;
pub mod ratelimit;
pub mod runtime;
pub mod service;
pub mod signing;

pub use error::{Error, ErrorKind, Result};
