//! Idempotency keys of the service's order requests (IETF httpapi
//! "Idempotency-Key"): the first request with a key runs; the same key and
//! body again gets the stored answer; while the first is in flight, a
//! conflict; the same key with another body, a refusal. Kept in the trade
//! database, so they hold across restarts and hosts.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::records::{format_time, text, time};
use super::{Database, db_error};
use crate::error::Result;

/// What a key's row says about a new request with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// The key is new: this request runs.
    New,
    /// Another request with the key is running, since this moment.
    InFlight {
        /// When that request claimed the key.
        since: DateTime<Utc>,
    },
    /// The key ran to an answer.
    Done {
        /// The HTTP status it answered with.
        status: u16,
        /// The body it answered with, to be answered again.
        body: String,
    },
    /// The key was used with another body.
    Mismatch,
}

impl Database {
    /// Claims `key` for a request whose body hashes to `hash`, or says why not.
    pub async fn begin_request(
        &self,
        key: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<KeyState> {
        let now = format_time(now);
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (key, request_hash, status, created_at, updated_at) \
             VALUES ($1, $2, 'IN_FLIGHT', $3, $3) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(hash)
        .bind(&now)
        .execute(self.pool())
        .await
        .map_err(|e| db_error("cannot record the request", e))?;
        if inserted.rows_affected() == 1 {
            return Ok(KeyState::New);
        }
        let row = sqlx::query(
            "SELECT request_hash, status, response_status, response_body, updated_at FROM idempotency_keys WHERE key = $1",
        )
        .bind(key)
        .fetch_one(self.pool())
        .await
        .map_err(|e| db_error("cannot read the request", e))?;
        if text(&row, "request_hash")? != hash {
            return Ok(KeyState::Mismatch);
        }
        if text(&row, "status")? == "DONE" {
            let status: i64 = row
                .try_get("response_status")
                .map_err(|e| db_error("cannot read the request", e))?;
            return Ok(KeyState::Done {
                status: u16::try_from(status).unwrap_or(500),
                body: text(&row, "response_body")?,
            });
        }
        Ok(KeyState::InFlight {
            since: time(&text(&row, "updated_at")?)?,
        })
    }

    /// Takes over a key whose request has been in flight since before
    /// `stale_before` — its process is gone. True if this caller got it.
    pub async fn take_over_request(
        &self,
        key: &str,
        stale_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let taken = sqlx::query(
            "UPDATE idempotency_keys SET updated_at = $3 WHERE key = $1 AND status = 'IN_FLIGHT' AND updated_at < $2",
        )
        .bind(key)
        .bind(format_time(stale_before))
        .bind(format_time(now))
        .execute(self.pool())
        .await
        .map_err(|e| db_error("cannot take over the request", e))?;
        Ok(taken.rows_affected() == 1)
    }

    /// Stores the answer a key's request ended with.
    pub async fn finish_request(
        &self,
        key: &str,
        status: u16,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = 'DONE', response_status = $2, response_body = $3, updated_at = $4 \
             WHERE key = $1",
        )
        .bind(key)
        .bind(i64::from(status))
        .bind(body)
        .bind(format_time(now))
        .execute(self.pool())
        .await
        .map_err(|e| db_error("cannot record the answer", e))?;
        Ok(())
    }

    /// Frees a key whose request ended without a final answer (a transient
    /// refusal), so the same key may be retried.
    pub async fn release_request(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM idempotency_keys WHERE key = $1 AND status = 'IN_FLIGHT'")
            .bind(key)
            .execute(self.pool())
            .await
            .map_err(|e| db_error("cannot release the request", e))?;
        Ok(())
    }

    /// Whether the database answers (for readiness).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(self.pool())
            .await
            .map_err(|e| db_error("the database does not answer", e))?;
        Ok(())
    }

    /// How many orders on `exchange` are unsettled, and since when the
    /// oldest one is.
    pub async fn unsettled_summary(&self, exchange: &str) -> Result<(i64, Option<DateTime<Utc>>)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM orders WHERE status IN ('PENDING', 'PLACED', 'UNKNOWN') \
             AND trade_id IN (SELECT id FROM trades WHERE exchange = $1)",
        )
        .bind(exchange)
        .fetch_one(self.pool())
        .await
        .map_err(|e| db_error("cannot read orders", e))?;
        let n: i64 = row
            .try_get("n")
            .map_err(|e| db_error("cannot read orders", e))?;
        let oldest: Option<String> = row
            .try_get("oldest")
            .map_err(|e| db_error("cannot read orders", e))?;
        Ok((n, oldest.as_deref().map(time).transpose()?))
    }
}
