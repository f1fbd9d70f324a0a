//! Per-call store data: a WASI context that grants nothing, the resource
//! limits, the host services the driver's imports use, and — inside
//! `place-market-order` only — the permit for the one order it may send.

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::db::DriverState;
use crate::net::Outbound;
use crate::profile::OrderPermit;

use super::limits::CallLimiter;

/// Captured stdout+stderr per call (a Rust panic message lands here).
pub const CAPTURED_OUTPUT_BYTES: usize = 16 << 10;

/// What the driver's imports are served by; shared by every call.
pub struct DriverServices {
    /// The driver's name as configured (for logs and errors).
    pub name: String,
    /// The driver's non-secret configuration, served by the `config` import.
    pub config: BTreeMap<String, String>,
    /// Serves the `http` import.
    pub http: Outbound,
    /// Serves the `state` import: the driver's namespace of the durable store.
    pub state: DriverState,
}

/// The store's data for one driver call: a WASI context that grants nothing,
/// the call's limits, its captured output and log budget, and the order permit
/// when the call may place an order.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(super) limiter: CallLimiter,
    pub(super) services: Arc<DriverServices>,
    pub(super) permit: Option<OrderPermit>,
    pub(super) output: MemoryOutputPipe,
    pub(super) log_lines: u32,
    pub(super) log_bytes: usize,
    pub(super) logs_dropped: u32,
}

impl CallState {
    /// A fresh call's state; `permit` only when the call may place an order.
    pub fn new(services: Arc<DriverServices>, permit: Option<OrderPermit>) -> CallState {
        let output = MemoryOutputPipe::new(CAPTURED_OUTPUT_BYTES);
        // No env, no args, no preopened dirs, no sockets (denied by default
        // in wasmtime-wasi 48), stdin closed; stdout/stderr captured.
        let wasi = WasiCtx::builder()
            .stdout(output.clone())
            .stderr(output.clone())
            .build();
        CallState {
            wasi,
            table: ResourceTable::new(),
            limiter: CallLimiter::default(),
            services,
            permit,
            output,
            log_lines: 0,
            log_bytes: 0,
            logs_dropped: 0,
        }
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
