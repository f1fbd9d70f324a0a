//! Binance Spot driver behind the tradehost `driver` world (contract
//! `tradehost:exchange@0.2.0`). This file is only glue: the shared
//! bindings and the export table (`driver_kit`). The logic lives in pure
//! modules that unit tests run natively against canned answers.

pub(crate) use driver_kit::{num, wit::tradehost};

mod errors;
mod ops;
mod requests;
mod responses;
mod symbols;
#[cfg(test)]
mod tests;

driver_kit::guest!(ops);
