//! Retries for reads, and only for reads. An order placement is never
//! re-sent by this code: its failures go to `settle_failure`.

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use crate::exchange::{DriverError, DriverResult};

/// Attempts after the first.
pub const READ_RETRIES: usize = 3;

/// Transient failures of a read: the same read may simply be asked again.
pub fn is_transient(err: &DriverError) -> bool {
    matches!(
        err,
        DriverError::Unavailable(_) | DriverError::RateLimited(_) | DriverError::UnknownOutcome(_)
    )
}

/// Runs a read, retrying transient failures with exponential backoff and
/// jitter (200 ms, 400 ms, 800 ms, each ± jitter).
pub async fn read<T, F, Fut>(operation: &'static str, read: F) -> DriverResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = DriverResult<T>>,
{
    let backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(2))
        .with_max_times(READ_RETRIES)
        .with_jitter();
    read.retry(backoff)
        .when(is_transient)
        .notify(|err, after| tracing::warn!(operation, error = %err, retry_in = ?after, "read failed; retrying"))
        .await
}
