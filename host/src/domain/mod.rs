//! Plain domain values, validated at the edge.

pub mod amount;
mod symbol;

pub use symbol::Symbol;
