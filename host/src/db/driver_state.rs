//! The durable key-value store behind the WIT `state` interface, one
//! namespace per driver, with a quota per namespace. Compare-and-swap is a
//! conditional statement plus a guarded usage update in one transaction, so
//! it is atomic across processes and hosts sharing the database, and no
//! driver can fill the disk or a shared Postgres.

use super::{Database, db_error};
use crate::error::{Error, ErrorKind, Result};

/// Caps on what a driver may keep.
pub const MAX_KEY_BYTES: usize = 256;
/// Longest value, in bytes.
pub const MAX_VALUE_BYTES: usize = 1 << 20;
/// Most keys one driver may keep.
pub const MAX_KEYS: i64 = 100_000;
/// Most bytes, keys and values together, one driver may keep.
pub const MAX_TOTAL_BYTES: i64 = 64 << 20;

/// One driver's view of the store.
#[derive(Clone)]
pub struct DriverState {
    db: Database,
    driver: String,
}

fn byte_len(text: &str) -> i64 {
    i64::try_from(text.len()).unwrap_or(i64::MAX)
}

impl DriverState {
    /// The namespace of `driver` in `db`.
    pub fn new(db: Database, driver: impl Into<String>) -> DriverState {
        DriverState {
            db,
            driver: driver.into(),
        }
    }

    /// The value stored under `key`, if any.
    pub async fn get(&self, key: &str) -> Result<Option<String>> {
        sqlx::query_scalar::<_, String>(
            "SELECT value FROM driver_state WHERE driver = $1 AND key = $2",
        )
        .bind(&self.driver)
        .bind(key)
        .fetch_optional(self.db.pool())
        .await
        .map_err(|e| db_error("cannot read driver state", e))
    }

    /// Writes `value` if the stored value equals `expected` (`None` = absent).
    /// `Ok(false)`: another writer got there first. An error: the quota.
    pub async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &str,
    ) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        let (query, added_keys, added_bytes) = match expected {
            None => (
                sqlx::query(
                    "INSERT INTO driver_state (driver, key, value) VALUES ($1, $2, $3) ON CONFLICT (driver, key) DO NOTHING",
                )
                .bind(&self.driver)
                .bind(key)
                .bind(value),
                1,
                byte_len(key) + byte_len(value),
            ),
            Some(old) => (
                sqlx::query("UPDATE driver_state SET value = $3 WHERE driver = $1 AND key = $2 AND value = $4")
                    .bind(&self.driver)
                    .bind(key)
                    .bind(value)
                    .bind(old),
                0,
                byte_len(value) - byte_len(old),
            ),
        };
        let written = query
            .execute(&mut *tx)
            .await
            .map_err(|e| db_error("cannot write driver state", e))?;
        if written.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO driver_state_usage (driver, key_count, byte_count) VALUES ($1, 0, 0) \
             ON CONFLICT (driver) DO NOTHING",
        )
        .bind(&self.driver)
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error("cannot write driver state", e))?;
        let within = sqlx::query(
            "UPDATE driver_state_usage SET key_count = key_count + $2, byte_count = byte_count + $3 \
             WHERE driver = $1 AND key_count + $2 <= $4 AND byte_count + $3 <= $5",
        )
        .bind(&self.driver)
        .bind(added_keys)
        .bind(added_bytes)
        .bind(MAX_KEYS)
        .bind(MAX_TOTAL_BYTES)
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error("cannot write driver state", e))?;
        if within.rows_affected() != 1 {
            drop(tx);
            return Err(Error::new(
                ErrorKind::Plugin,
                format!(
                    "driver state is full: a driver may keep {MAX_KEYS} keys and {} MiB; nothing was written",
                    MAX_TOTAL_BYTES >> 20
                ),
            ));
        }
        tx.commit()
            .await
            .map_err(|e| db_error("cannot write driver state", e))?;
        Ok(true)
    }
}
