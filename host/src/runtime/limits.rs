//! Per-call resource limits of a driver instance.

use std::time::Duration;

/// Memory one driver instance may use, all its memories together.
pub const MEMORY_LIMIT_BYTES: usize = 64 << 20;
/// Log lines and bytes a driver may emit in one call; the rest is dropped.
pub const MAX_LOG_LINES_PER_CALL: u32 = 1_000;
/// Log bytes a driver may emit in one call; the rest is dropped.
pub const MAX_LOG_BYTES_PER_CALL: usize = 256 << 10;
/// Default wall-clock budget of one driver call, host I/O included.
pub const DEFAULT_CALL_DEADLINE: Duration = Duration::from_secs(30);
/// Upper bound on list results (e.g. balances).
pub const MAX_LIST_ITEMS: usize = 10_000;

/// Enforces one memory budget for the whole instance (a component may have
/// several memories) and remembers that it was hit, so the error can say
/// so instead of "unreachable".
#[derive(Debug, Default)]
pub struct CallLimiter {
    /// The memory budget was hit during the call.
    pub memory_exceeded: bool,
    /// Bytes of linear memory the instance holds, every memory together.
    total: usize,
}

impl CallLimiter {
    fn grow(&mut self, current: usize, desired: usize) -> bool {
        let added = desired.saturating_sub(current);
        match self.total.checked_add(added) {
            Some(total) if total <= MEMORY_LIMIT_BYTES => {
                self.total = total;
                true
            }
            _ => {
                self.memory_exceeded = true;
                false
            }
        }
    }
}

impl wasmtime::ResourceLimiter for CallLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(self.grow(current, desired))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_memories_share_one_budget() {
        let mut limiter = CallLimiter::default();
        let quarter = MEMORY_LIMIT_BYTES / 4;
        for _ in 0..4 {
            assert!(limiter.grow(0, quarter), "each memory's first quarter fits");
        }
        assert!(!limiter.grow(0, 1 << 16), "a fifth page anywhere does not");
        assert!(limiter.memory_exceeded);
    }

    #[test]
    fn growth_counts_only_what_is_added() {
        let mut limiter = CallLimiter::default();
        assert!(limiter.grow(0, 1 << 20));
        assert!(limiter.grow(1 << 20, MEMORY_LIMIT_BYTES));
        assert!(!limiter.grow(MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES + (1 << 16)));
    }
}
