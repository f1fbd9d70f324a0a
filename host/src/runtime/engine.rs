//! The process's one wasmtime engine: the pooling allocator's sizes, the
//! thread that advances the epoch (the clock of every call's deadline), and
//! the permits that queue callers when the pool is full.

use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::limits::MEMORY_LIMIT_BYTES;
use crate::error::{Error, Result};

/// How often the epoch advances; the unit of a call's deadline.
const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Memory a pool slot keeps mapped between instances (zeroed, not
/// decommitted); the rest is returned to the kernel.
const KEEP_RESIDENT_BYTES: usize = 128 << 10;
/// Driver instances that may exist at once (the pooling allocator's size).
const MAX_INSTANCES: u32 = 64;

/// One engine per process, with a thread that advances its epoch.
pub(super) fn engine() -> Result<&'static Engine> {
    static ENGINE: OnceLock<std::result::Result<Engine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let mut pool = PoolingAllocationConfig::new();
            pool.total_component_instances(MAX_INSTANCES)
                .total_core_instances(MAX_INSTANCES * 4)
                .total_memories(MAX_INSTANCES * 2)
                .total_tables(MAX_INSTANCES * 4)
                .total_stacks(MAX_INSTANCES)
                .max_memory_size(MEMORY_LIMIT_BYTES)
                // The first pages of a memory (stack, data, the start of the
                // heap) are touched by every call: zeroing them in place is
                // cheaper than returning them to the kernel and faulting them
                // back. Zeroing a whole MiB cost more than it saved
                // (docs/BENCHMARKS.md).
                .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
                .table_keep_resident(KEEP_RESIDENT_BYTES);
            let mut config = Config::new();
            // The contract has no `async func` or streams, so the component
            // model's async machinery would only add cost to every call.
            config
                .epoch_interruption(true)
                .concurrency_support(false)
                .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
            let engine =
                Engine::new(&config).map_err(|e| format!("cannot start the wasm engine: {e}"))?;
            let weak = engine.weak();
            std::thread::Builder::new()
                .name("tradehost-epoch".into())
                .spawn(move || {
                    // Ticks only while a driver call runs: an idle host
                    // (a service between orders) is not woken 100 times a
                    // second. A call's budget counts from its first tick.
                    loop {
                        calls_in_flight().wait_for_one();
                        let Some(engine) = weak.upgrade() else { break };
                        engine.increment_epoch();
                        drop(engine);
                        std::thread::sleep(EPOCH_TICK);
                    }
                })
                .map_err(|e| format!("cannot start the epoch thread: {e}"))?;
            Ok(engine)
        })
        .as_ref()
        .map_err(|e| Error::plugin(e.clone()))
}

/// Driver calls running now, for the epoch thread.
pub(super) struct CallsInFlight {
    count: Mutex<usize>,
    started: Condvar,
}

impl CallsInFlight {
    fn wait_for_one(&self) {
        let mut count = self.count.lock().unwrap_or_else(|p| p.into_inner());
        while *count == 0 {
            count = self.started.wait(count).unwrap_or_else(|p| p.into_inner());
        }
    }

    pub(super) fn enter(&'static self) -> CallInFlight {
        let mut count = self.count.lock().unwrap_or_else(|p| p.into_inner());
        *count += 1;
        self.started.notify_one();
        CallInFlight(self)
    }
}

/// A running call; the count drops with it (also when the call is
/// cancelled by its timeout).
pub(super) struct CallInFlight(&'static CallsInFlight);

impl Drop for CallInFlight {
    fn drop(&mut self) {
        let mut count = self.0.count.lock().unwrap_or_else(|p| p.into_inner());
        *count = count.saturating_sub(1);
    }
}

pub(super) fn calls_in_flight() -> &'static CallsInFlight {
    static CALLS: CallsInFlight = CallsInFlight {
        count: Mutex::new(0),
        started: Condvar::new(),
    };
    &CALLS
}

/// Instances are taken from a fixed pool; callers queue here rather than fail.
pub(super) fn instance_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: tokio::sync::Semaphore =
        tokio::sync::Semaphore::const_new(MAX_INSTANCES as usize);
    &PERMITS
}

/// A deadline in epoch ticks (at least one).
pub(super) fn ticks(deadline: Duration) -> u64 {
    u64::try_from(deadline.as_millis() / EPOCH_TICK.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}
