//! The one error type the host's library surfaces, with a stable machine
//! `kind` and a process exit code per kind.
//!
//! Messages never contain secrets: credentials are `SecretString`s that
//! cannot be formatted, and nothing here formats a request body or header.

use std::fmt;

/// Stable, documented classes of failure. The string form is part of the
/// CLI's JSON contract; the exit code is part of its process contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The asset already has a position on this exchange (pending, open or
    /// closing): the one-position rule.
    DuplicatePosition,
    /// The account cannot pay for the order; nothing was placed.
    InsufficientFunds,
    /// Not a valid market symbol, or one the exchange does not list.
    InvalidSymbol,
    /// The order is below the market's minimum size or value.
    BelowMinimum,
    /// The exchange refused the order; nothing was placed.
    OrderRejected,
    /// The exchange's rate limit refused the request.
    RateLimited,
    /// The exchange is down, in maintenance or not taking this order now.
    ExchangeUnavailable,
    /// The exchange refused the credentials.
    Auth,
    /// Nothing to act on: no such trade, order, position or balance.
    NotFound,
    /// The order may or may not have executed: its slot stays held until
    /// reconciliation settles it.
    UnknownOutcome,
    /// Invalid input: the caller's, or a request the exchange refused as
    /// malformed.
    InvalidInput,
    /// The configuration is invalid or incomplete.
    Config,
    /// The driver failed: a trap, a limit, a malformed answer, a load error or
    /// a request the host refused.
    Plugin,
    /// The trade database failed, or holds what it must not.
    Database,
    /// The service: a request with this idempotency key is still running.
    RequestInFlight,
    /// The service: an idempotency key was used with another body.
    IdempotencyKeyReused,
    /// The service: no valid bearer token.
    Unauthorized,
}

impl ErrorKind {
    /// Every kind.
    pub const ALL: [ErrorKind; 17] = [
        ErrorKind::InvalidInput,
        ErrorKind::Config,
        ErrorKind::Plugin,
        ErrorKind::Database,
        ErrorKind::DuplicatePosition,
        ErrorKind::NotFound,
        ErrorKind::InvalidSymbol,
        ErrorKind::BelowMinimum,
        ErrorKind::InsufficientFunds,
        ErrorKind::OrderRejected,
        ErrorKind::RateLimited,
        ErrorKind::ExchangeUnavailable,
        ErrorKind::Auth,
        ErrorKind::UnknownOutcome,
        ErrorKind::RequestInFlight,
        ErrorKind::IdempotencyKeyReused,
        ErrorKind::Unauthorized,
    ];

    /// The kind's stable spelling in JSON ("unknown_outcome").
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::DuplicatePosition => "duplicate_position",
            ErrorKind::InsufficientFunds => "insufficient_funds",
            ErrorKind::InvalidSymbol => "invalid_symbol",
            ErrorKind::BelowMinimum => "below_minimum",
            ErrorKind::OrderRejected => "order_rejected",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::ExchangeUnavailable => "exchange_unavailable",
            ErrorKind::Auth => "auth",
            ErrorKind::NotFound => "not_found",
            ErrorKind::UnknownOutcome => "unknown_outcome",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Config => "config",
            ErrorKind::Plugin => "plugin",
            ErrorKind::Database => "database",
            ErrorKind::RequestInFlight => "request_in_flight",
            ErrorKind::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorKind::Unauthorized => "unauthorized",
        }
    }

    /// Process exit code. 1 is left to unexpected failures, 2 to clap's
    /// usage errors; every kind has its own code so a scheduler can branch.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::InvalidInput => 3,
            ErrorKind::Config => 4,
            ErrorKind::Plugin => 5,
            ErrorKind::Database => 6,
            ErrorKind::DuplicatePosition => 10,
            ErrorKind::NotFound => 11,
            ErrorKind::InvalidSymbol => 12,
            ErrorKind::BelowMinimum => 13,
            ErrorKind::InsufficientFunds => 14,
            ErrorKind::OrderRejected => 15,
            ErrorKind::RateLimited => 16,
            ErrorKind::ExchangeUnavailable => 17,
            ErrorKind::Auth => 18,
            ErrorKind::UnknownOutcome => 19,
            ErrorKind::RequestInFlight => 21,
            ErrorKind::IdempotencyKeyReused => 22,
            ErrorKind::Unauthorized => 23,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with its kind and a message that says what happened and,
/// where there is something to do, what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// What class of failure it is.
    pub kind: ErrorKind,
    /// What happened, and what to do about it where there is something to do.
    pub message: String,
}

impl Error {
    /// An error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// An `InvalidInput` error.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    /// A `Config` error.
    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    /// A `Plugin` error.
    pub fn plugin(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Plugin, message)
    }

    /// A `NotFound` error.
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::NotFound, message)
    }
}

/// The host's result: its error is `Error` unless said otherwise.
pub type Result<T, E = Error> = std::result::Result<T, E>;
