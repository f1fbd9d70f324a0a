//! The durable key-value store behind the WIT `state` interface, one
//! namespace per driver. Compare-and-swap is a single conditional statement,
//! so it is atomic across processes and hosts sharing the database.

use super::{Database, db_error};
use crate::error::Result;

/// Caps on what a driver may keep, so a driver cannot fill the database.
pub const MAX_KEY_BYTES: usize = 256;
pub const MAX_VALUE_BYTES: usize = 1 << 20;

/// One driver's view of the store.
#[derive(Clone)]
pub struct DriverState {
    db: Database,
    driver: String,
}

impl DriverState {
    pub fn new(db: Database, driver: impl Into<String>) -> DriverState {
        DriverState {
            db,
            driver: driver.into(),
        }
    }

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
    pub async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &str,
    ) -> Result<bool> {
        let query = match expected {
            None => sqlx::query(
                "INSERT INTO driver_state (driver, key, value) VALUES ($1, $2, $3) ON CONFLICT (driver, key) DO NOTHING",
            )
            .bind(&self.driver)
            .bind(key)
            .bind(value),
            Some(expected) => {
                sqlx::query("UPDATE driver_state SET value = $3 WHERE driver = $1 AND key = $2 AND value = $4")
                    .bind(&self.driver)
                    .bind(key)
                    .bind(value)
                    .bind(expected)
            }
        };
        let done = query
            .execute(self.db.pool())
            .await
            .map_err(|e| db_error("cannot write driver state", e))?;
        Ok(done.rows_affected() == 1)
    }
}
