//! Nonces that strictly increase per API key across every process and
//! host sharing the database: one atomic upsert hands out the next one.
//!
//! The upsert is ordered by the database's locks like any write, but it
//! does not wait for the disk (its own connection: SQLite `synchronous =
//! NORMAL`, Postgres `synchronous_commit = off`); the next durable commit
//! flushes it. A power cut can lose only the last few nonces, and losing
//! one is harmless: the next nonce is the clock in microseconds, which is
//! past them; if the clock went back further than that, Kraken refuses the
//! request as `EAPI:Invalid nonce` — a proven rejection, never a duplicate.

use std::future::Future;
use std::pin::Pin;

use super::{Database, db_error};
use crate::error::Result;
use crate::net::NonceStore;

impl Database {
    /// Returns a nonce for `key_id` greater than any handed out before:
    /// `candidate` (the local clock) if it is ahead, else the last one + 1.
    pub async fn next_nonce(&self, key_id: &str, candidate: u64) -> Result<u64> {
        let candidate = i64::try_from(candidate).unwrap_or(i64::MAX);
        let nonce: i64 = sqlx::query_scalar(
            "INSERT INTO api_nonces (key_id, last_nonce) VALUES ($1, $2) \
             ON CONFLICT (key_id) DO UPDATE SET last_nonce = CASE \
                 WHEN excluded.last_nonce > api_nonces.last_nonce THEN excluded.last_nonce \
                 ELSE api_nonces.last_nonce + 1 END \
             RETURNING last_nonce",
        )
        .bind(key_id)
        .bind(candidate)
        .fetch_one(self.nonce_pool())
        .await
        .map_err(|e| db_error("cannot reserve a nonce", e))?;
        Ok(u64::try_from(nonce).unwrap_or(0))
    }
}

impl NonceStore for Database {
    fn next_nonce<'a>(
        &'a self,
        key_id: &'a str,
        candidate: u64,
    ) -> Pin<Box<dyn Future<Output = std::result::Result<u64, String>> + Send + 'a>> {
        Box::pin(async move {
            Database::next_nonce(self, key_id, candidate)
                .await
                .map_err(|e| e.message)
        })
    }
}
