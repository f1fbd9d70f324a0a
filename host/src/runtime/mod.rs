//! The WebAssembly runtime: loads a driver component and implements the
//! host's `ExchangeDriver` trait on top of it. Every operation runs in a
//! fresh, isolated instance from a pre-linked component; drivers keep state
//! only through the host's `state` interface.

mod allowlist;
mod bindings;
pub mod cache;
mod convert;
mod host_impl;
pub mod limits;
mod store;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tracing::Instrument;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};

use crate::domain::Symbol;
use crate::error::{Error, Result};
use crate::exchange::{
    Balance, DriverError, DriverInfo, DriverResult, ExchangeDriver, ExchangeStatus, MarketOrder,
    MarketRules, OrderReport, Ticker,
};
pub use allowlist::SUPPORTED_WIT;
use bindings::{Driver, DriverPre};
pub use cache::Origin;
use limits::MEMORY_LIMIT_BYTES;
pub use store::{CallState, DriverServices};

/// How often the epoch advances; the unit of a call's deadline.
const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Driver instances that may exist at once (the pooling allocator's size).
const MAX_INSTANCES: u32 = 64;

/// One engine per process, with a thread that advances its epoch.
fn engine() -> Result<&'static Engine> {
    static ENGINE: OnceLock<std::result::Result<Engine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let mut pool = PoolingAllocationConfig::new();
            pool.total_component_instances(MAX_INSTANCES)
                .total_core_instances(MAX_INSTANCES * 4)
                .total_memories(MAX_INSTANCES * 2)
                .total_tables(MAX_INSTANCES * 4)
                .total_stacks(MAX_INSTANCES)
                .max_memory_size(MEMORY_LIMIT_BYTES);
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
                    while let Some(engine) = weak.upgrade() {
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

/// Instances are taken from a fixed pool; callers queue here rather than fail.
fn instance_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: tokio::sync::Semaphore =
        tokio::sync::Semaphore::const_new(MAX_INSTANCES as usize);
    &PERMITS
}

/// What a component is, before anything runs: for `tradehost plugin info`
/// and for refusing a component at load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentSummary {
    pub sha256: String,
    pub wit_version: String,
    pub imports: Vec<String>,
    pub exports: Vec<String>,
}

/// How to load a driver.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Where compiled drivers are kept between runs; `None` compiles every time.
    pub cache_dir: Option<PathBuf>,
    /// Refuse the component unless its SHA-256 (hex) is this.
    pub sha256_pin: Option<String>,
    /// Wall-clock budget of one call, host I/O included.
    pub call_deadline: Option<Duration>,
}

/// A loaded driver component.
pub struct WasmDriver {
    engine: &'static Engine,
    pre: DriverPre<CallState>,
    services: Arc<DriverServices>,
    info: DriverInfo,
    summary: ComponentSummary,
    origin: Origin,
    call_deadline: Duration,
}

impl WasmDriver {
    /// Verifies, compiles (or loads from the cache) and links a component,
    /// asks it who it is, and binds the host's outbound HTTP to the paths
    /// it declares.
    pub async fn load(
        bytes: &[u8],
        services: DriverServices,
        options: &LoadOptions,
    ) -> Result<WasmDriver> {
        let engine = engine()?;
        let name = services.name.clone();
        let sha256 = cache::sha256_hex(bytes);
        if let Some(pin) = &options.sha256_pin {
            if !pin.eq_ignore_ascii_case(&sha256) {
                return Err(Error::config(format!(
                    "driver {name:?} has SHA-256 {sha256}, but TRADEHOST_PLUGIN_SHA256 pins {pin}; refusing to start"
                )));
            }
        }
        let (component, origin) = cache::load(engine, bytes, options.cache_dir.as_deref())
            .map_err(|e| {
                Error::plugin(format!("driver {name:?} is not a valid component: {e:#}"))
            })?;
        let summary = summarize(engine, &component, sha256);
        let wit_version = allowlist::check(&summary.imports, &summary.exports)
            .map_err(|why| Error::plugin(format!("driver {name:?} refused: {why}")))?;
        let summary = ComponentSummary {
            wit_version,
            ..summary
        };

        let mut linker: Linker<CallState> = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| Error::plugin(format!("{e:#}")))?;
        Driver::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
            .map_err(|e| Error::plugin(format!("{e:#}")))?;
        let pre = linker
            .instantiate_pre(&component)
            .and_then(DriverPre::new)
            .map_err(|e| {
                Error::plugin(format!(
                    "driver {name:?} does not fit the host's interfaces: {e:#}"
                ))
            })?;

        let mut driver = WasmDriver {
            engine,
            pre,
            services: Arc::new(services),
            info: placeholder_info(),
            summary,
            origin,
            call_deadline: options
                .call_deadline
                .unwrap_or(limits::DEFAULT_CALL_DEADLINE),
        };
        // Until the driver has declared its paths, the host sends nothing for it.
        let info = driver.call_info().await.map_err(|e| {
            Error::plugin(format!("driver {name:?} failed to describe itself: {e}"))
        })?;
        driver
            .services
            .http
            .declare(info.signing, info.request_paths.clone());
        driver.info = info;
        Ok(driver)
    }

    pub fn summary(&self) -> &ComponentSummary {
        &self.summary
    }

    /// Whether this load compiled the component or reused the cache.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// A fresh instance and nothing else: what every call pays for
    /// isolation (measured by the benchmarks).
    #[doc(hidden)]
    pub async fn bench_instantiate(&self) -> DriverResult<()> {
        self.instantiate().await.map(|_| ())
    }

    async fn instantiate(&self) -> DriverResult<(Store<CallState>, Driver)> {
        let mut store = Store::new(self.engine, CallState::new(self.services.clone()));
        store.limiter(|state| &mut state.limiter);
        // The epoch deadline stops a guest that computes forever; the timeout
        // around each call (see `guest_call!`) also bounds host I/O.
        store.set_epoch_deadline(ticks(self.call_deadline));
        store.epoch_deadline_trap();
        let instance = self
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(|e| trap_error(&store, "instantiate", e, self.call_deadline))?;
        Ok((store, instance))
    }

    async fn call_info(&self) -> DriverResult<DriverInfo> {
        let (mut store, instance) = self.instantiate().await?;
        let raw = instance
            .tradehost_exchange_exchange()
            .call_info(&mut store)
            .await
            .map_err(|e| trap_error(&store, "info", e, self.call_deadline))?;
        convert::driver_info(raw)
    }
}

fn summarize(engine: &Engine, component: &Component, sha256: String) -> ComponentSummary {
    let ty = component.component_type();
    ComponentSummary {
        sha256,
        wit_version: String::new(),
        imports: ty
            .imports(engine)
            .map(|(name, _)| name.to_owned())
            .collect(),
        exports: ty
            .exports(engine)
            .map(|(name, _)| name.to_owned())
            .collect(),
    }
}

fn ticks(deadline: Duration) -> u64 {
    (deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
}

fn placeholder_info() -> DriverInfo {
    DriverInfo {
        exchange_id: String::new(),
        driver_version: String::new(),
        signing: crate::exchange::SigningScheme::None,
        default_base_url: String::new(),
        request_paths: Vec::new(),
    }
}

/// A trap, limit or host fault inside a call, naming the limit if one was hit.
fn trap_error(
    store: &Store<CallState>,
    operation: &str,
    err: wasmtime::Error,
    deadline: Duration,
) -> DriverError {
    let state = store.data();
    let printed = String::from_utf8_lossy(&state.output.contents())
        .trim()
        .to_owned();
    let reason = if state.limiter.memory_exceeded {
        format!(
            "exceeded its memory limit ({} MiB)",
            MEMORY_LIMIT_BYTES >> 20
        )
    } else {
        match err.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::Interrupt) => {
                format!("exceeded its time limit ({} s)", deadline.as_secs_f32())
            }
            Some(trap) => format!("trapped: {trap}"),
            None => format!("failed: {err:#}"),
        }
    };
    let tail: String = printed
        .chars()
        .rev()
        .take(500)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if tail.is_empty() {
        DriverError::Plugin(format!("driver {operation} {reason}"))
    } else {
        DriverError::Plugin(format!(
            "driver {operation} {reason}; driver output: {tail}"
        ))
    }
}

/// What a driver printed (stdout/stderr) goes to the host's log.
fn forward_output(store: &Store<CallState>) {
    let state = store.data();
    let printed = state.output.contents();
    if !printed.is_empty() {
        tracing::debug!(target: "driver", output = %String::from_utf8_lossy(&printed).trim_end(), "driver printed");
    }
    if state.logs_dropped > 0 {
        tracing::warn!(target: "driver", dropped = state.logs_dropped, "driver logged past its per-call cap; lines dropped");
    }
}

macro_rules! guest_call {
    ($self:ident, $op:literal, $method:ident ( $($arg:expr),* ), $convert:expr) => {{
        let span = tracing::info_span!(concat!("driver.", $op), driver = %$self.services.name);
        let call = async {
            let _permit = instance_permits().acquire().await.map_err(|e| DriverError::Plugin(e.to_string()))?;
            let (mut store, instance) = $self.instantiate().await?;
            let raw = instance
                .tradehost_exchange_exchange()
                .$method(&mut store $(, $arg)*)
                .await
                .map_err(|e| trap_error(&store, $op, e, $self.call_deadline))?;
            forward_output(&store);
            match raw {
                Ok(value) => $convert(value),
                Err(err) => Err(convert::driver_error(err)),
            }
        };
        // The whole call, host I/O included, has one wall-clock budget.
        match tokio::time::timeout($self.call_deadline, call).instrument(span).await {
            Ok(result) => result,
            Err(_) => Err(DriverError::Plugin(format!(
                concat!("driver ", $op, " exceeded its time limit ({} s)"),
                $self.call_deadline.as_secs_f32()
            ))),
        }
    }};
}

impl ExchangeDriver for WasmDriver {
    fn info(&self) -> &DriverInfo {
        &self.info
    }

    async fn market_rules(&self, symbol: &Symbol) -> DriverResult<MarketRules> {
        let text = symbol.to_string();
        guest_call!(
            self,
            "market_rules",
            call_market_rules(&text),
            convert::market_rules
        )
    }

    async fn ticker(&self, symbol: &Symbol) -> DriverResult<Ticker> {
        let text = symbol.to_string();
        guest_call!(self, "ticker", call_ticker(&text), convert::ticker)
    }

    async fn balances(&self) -> DriverResult<Vec<Balance>> {
        guest_call!(self, "balances", call_balances(), convert::balances)
    }

    async fn status(&self) -> DriverResult<ExchangeStatus> {
        guest_call!(self, "status", call_status(), convert::exchange_status)
    }

    async fn place_market_order(&self, order: &MarketOrder) -> DriverResult<String> {
        let raw = convert::market_order(order);
        guest_call!(
            self,
            "place_market_order",
            call_place_market_order(&raw),
            convert::placed_order
        )
    }

    async fn query_order(&self, order_id: &str) -> DriverResult<OrderReport> {
        guest_call!(
            self,
            "query_order",
            call_query_order(order_id),
            convert::order_report
        )
    }

    async fn find_order(&self, client_order_id: &str) -> DriverResult<Option<OrderReport>> {
        guest_call!(
            self,
            "find_order",
            call_find_order(client_order_id),
            |found: Option<_>| found.map(convert::order_report).transpose()
        )
    }
}
