//! Per-call resource limits of a driver instance, and the typed errors
//! that name the limit a driver hit.

use std::time::Duration;

/// Memory one driver instance may grow to.
pub const MEMORY_LIMIT_BYTES: usize = 64 << 20;
/// Log lines and bytes a driver may emit in one call; the rest is dropped.
pub const MAX_LOG_LINES_PER_CALL: u32 = 1_000;
pub const MAX_LOG_BYTES_PER_CALL: usize = 256 << 10;
/// Default wall-clock budget of one driver call, host I/O included.
pub const DEFAULT_CALL_DEADLINE: Duration = Duration::from_secs(30);
/// Upper bound on list results (e.g. balances).
pub const MAX_LIST_ITEMS: usize = 10_000;

/// Enforces the memory limit and remembers that it was hit, so the error
/// can say so instead of "unreachable".
#[derive(Debug, Default)]
pub struct CallLimiter {
    pub memory_exceeded: bool,
}

impl wasmtime::ResourceLimiter for CallLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > MEMORY_LIMIT_BYTES {
            self.memory_exceeded = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }

    fn instances(&self) -> usize {
        16
    }

    fn tables(&self) -> usize {
        16
    }

    fn memories(&self) -> usize {
        4
    }
}
