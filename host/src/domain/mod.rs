//! Plain domain values, validated at the edge.

pub mod amount;
mod symbol;
pub mod trade;

pub use symbol::{Currency, Symbol};
