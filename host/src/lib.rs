//! tradehost: turns trading decisions into exchange orders through
//! sandboxed WebAssembly drivers, and records every trade under the rule
//! "at most one open position per asset".
//!
//! Layout: `exchange` is the seam (a trait); `runtime` implements it with
//! wasm components; `profile` is what the host itself knows of each
//! exchange's API, and `net` (with `credentials`) the only code that touches
//! the network and keys; `db` holds trades and the invariant; `service` is
//! the order lifecycle; `app` wires them; `cli` is the edge.

pub mod app;
pub mod cli;
pub mod config;
pub mod conformance;
pub mod credentials;
pub mod db;
pub mod domain;
pub mod error;
pub mod exchange;
pub mod net;
pub mod plugins;
pub mod profile;
pub mod runtime;
pub mod serve;
pub mod service;
pub mod text;

pub use error::{Error, ErrorKind, Result};
