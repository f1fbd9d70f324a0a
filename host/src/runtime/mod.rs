//! The WebAssembly runtime: loads a driver component and implements the
//! host's `ExchangeDriver` trait on top of it. Every operation runs in a
//! fresh, isolated instance from a pre-linked component, under one
//! wall-clock budget (host I/O included) and one memory budget; drivers
//! keep state only through the host's `state` interface.
//!
//! The host speaks every contract version in `bindings`: a component's
//! exported version picks its bindings, and `since_v0_1` lifts the older
//! one into the current types.

mod allowlist;
mod bindings;
pub mod cache;
mod convert;
mod engine;
mod host_impl;
pub mod limits;
mod placement;
mod since_v0_1;
mod store;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Engine, Store};

use crate::domain::Symbol;
use crate::error::{Error, Result};
use crate::exchange::{
    Balance, DriverError, DriverInfo, DriverResult, ExchangeDriver, ExchangeStatus, MarketOrder,
    MarketRules, OrderLookup, OrderReport, Placement, PlacementError, Ticker,
};
use crate::net::Binding;
use crate::profile::OrderPermit;
pub use allowlist::{Contract, SUPPORTED_WIT};
use bindings::{current, v0_1};
pub use cache::Origin;
pub use convert::MAX_RESULT_BYTES;
use engine::{calls_in_flight, engine, instance_permits, ticks};
use limits::MEMORY_LIMIT_BYTES;
pub use store::{CallState, DriverServices};

/// What a component is, before anything runs: for `tradehost plugin info`
/// and for refusing a component at load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentSummary {
    /// SHA-256 of the component's bytes, hex.
    pub sha256: String,
    /// The contract version it was built against (`0.2.0`).
    pub wit_version: String,
    /// Every interface it imports.
    pub imports: Vec<String>,
    /// Every interface it exports.
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

/// The component's bindings, by the contract it speaks.
enum Pre {
    Current(current::DriverPre<CallState>),
    V0_1(v0_1::DriverPre<CallState>),
}

/// A loaded driver component.
pub struct WasmDriver {
    engine: &'static Engine,
    pre: Pre,
    services: Arc<DriverServices>,
    info: DriverInfo,
    summary: ComponentSummary,
    call_deadline: Duration,
    /// Allowance on a buy's bound when sized in base units (a fraction).
    slippage_margin: rust_decimal::Decimal,
}

/// Runs one export of whichever contract the component speaks, in a fresh
/// instance, under the call's wall-clock budget. `$current` and `$v0_1` are
/// futures over `$guest` (the instance's exchange interface) and `$store`,
/// both yielding the current contract's result type.
macro_rules! guest_call {
    ($self:ident, $op:literal, $permit:expr, |$guest:ident, $store:ident| current: $current:expr, v0_1: $v0_1:expr $(,)?) => {{
        let span = tracing::info_span!(concat!("driver.", $op), driver = %$self.services.name);
        let call = async {
            let _slot = instance_permits()
                .acquire()
                .await
                .map_err(|e| DriverError::Plugin(e.to_string()))?;
            let _ticking = calls_in_flight().enter();
            let mut $store = $self.store($permit);
            let raw = match &$self.pre {
                Pre::Current(pre) => {
                    let instance = pre
                        .instantiate_async(&mut $store)
                        .await
                        .map_err(|e| trap_error(&$store, "instantiate", e, $self.call_deadline))?;
                    let $guest = instance.tradehost_exchange_exchange();
                    $current.await
                }
                Pre::V0_1(pre) => {
                    let instance = pre
                        .instantiate_async(&mut $store)
                        .await
                        .map_err(|e| trap_error(&$store, "instantiate", e, $self.call_deadline))?;
                    let $guest = instance.tradehost_exchange_exchange();
                    $v0_1.await
                }
            };
            let raw = raw.map_err(|e| trap_error(&$store, $op, e, $self.call_deadline))?;
            forward_output(&$store);
            Ok::<_, DriverError>(raw)
        };
        // The whole call, host I/O included, has one wall-clock budget.
        let started = std::time::Instant::now();
        let result = match tokio::time::timeout($self.call_deadline, call).instrument(span).await {
            Ok(result) => result,
            Err(_) => Err(DriverError::Plugin(format!(
                concat!("driver ", $op, " exceeded its time limit ({} s)"),
                $self.call_deadline.as_secs_f32()
            ))),
        };
        metrics::histogram!("tradehost_driver_call_seconds", "operation" => $op)
            .record(started.elapsed().as_secs_f64());
        result
    }};
}

impl WasmDriver {
    /// Verifies, compiles (or loads from the cache) and links a component,
    /// and asks it who it is (under the same budget as every call). The
    /// driver can send nothing until `bind` gives it an exchange profile.
    pub async fn load(
        bytes: &[u8],
        services: DriverServices,
        options: &LoadOptions,
        slippage_margin: rust_decimal::Decimal,
    ) -> Result<WasmDriver> {
        let engine = engine()?;
        let name = crate::text::untrusted(&services.name, 200);
        let sha256 = cache::sha256_hex(bytes);
        if let Some(pin) = &options.sha256_pin
            && !pin.eq_ignore_ascii_case(&sha256)
        {
            return Err(Error::config(format!(
                "driver {name:?} has SHA-256 {sha256}, but TRADEHOST_PLUGIN_SHA256 pins {pin}; refusing to start"
            )));
        }
        let (component, _origin) = cache::load(engine, bytes, options.cache_dir.as_deref())
            .map_err(|e| {
                Error::plugin(format!("driver {name:?} is not a valid component: {e:#}"))
            })?;
        let summary = summarize(engine, &component, sha256);
        let (contract, wit_version) = allowlist::check(&summary.imports, &summary.exports)
            .map_err(|why| {
                Error::plugin(format!(
                    "driver {name:?} refused: {}",
                    crate::text::printable(&why)
                ))
            })?;
        let summary = ComponentSummary {
            wit_version,
            ..summary
        };
        let pre = link(engine, &component, contract).map_err(|e| {
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
            call_deadline: options
                .call_deadline
                .unwrap_or(limits::DEFAULT_CALL_DEADLINE),
            slippage_margin,
        };
        driver.info = driver.call_info().await.map_err(|e| {
            Error::plugin(format!("driver {name:?} failed to describe itself: {e}"))
        })?;
        Ok(driver)
    }

    /// Binds the driver's network to its exchange profile; until then it
    /// can send nothing.
    pub fn bind(&self, binding: Binding) {
        self.services.http.bind(binding);
    }

    /// What the loaded component is.
    pub fn summary(&self) -> &ComponentSummary {
        &self.summary
    }

    /// The profile the driver's requests are checked against, once bound.
    pub fn profile_name(&self) -> Option<&'static str> {
        self.services.http.profile().map(|p| p.name())
    }

    /// Paths the driver declared that its profile does not allow: the host
    /// will refuse every request to them.
    pub fn refused_paths(&self) -> Vec<String> {
        let Some(profile) = self.services.http.profile() else {
            return self.info.request_paths.clone();
        };
        self.info
            .request_paths
            .iter()
            .filter(|path| !profile.endpoints().iter().any(|e| e.path == path.as_str()))
            .cloned()
            .collect()
    }

    /// The variables the bound profile reads its credentials from.
    pub fn credential_vars(&self) -> Option<crate::profile::CredentialVars> {
        self.services
            .http
            .profile()
            .and_then(|p| p.credential_vars())
    }

    /// Whether the bound profile places real orders (not a simulator).
    pub fn trades_for_real(&self) -> bool {
        self.services
            .http
            .profile()
            .is_some_and(|p| p.places_orders())
    }

    /// The base URL its requests go to, once bound.
    pub fn base_url(&self) -> Option<&str> {
        self.services.http.base_url()
    }

    /// A fresh instance and nothing else: what every call pays for
    /// isolation (measured by the benchmarks).
    #[doc(hidden)]
    pub async fn bench_instantiate(&self) -> DriverResult<()> {
        let mut store = self.store(None);
        let instantiated = match &self.pre {
            Pre::Current(pre) => pre.instantiate_async(&mut store).await.map(|_| ()),
            Pre::V0_1(pre) => pre.instantiate_async(&mut store).await.map(|_| ()),
        };
        instantiated.map_err(|e| trap_error(&store, "instantiate", e, self.call_deadline))
    }

    fn store(&self, permit: Option<OrderPermit>) -> Store<CallState> {
        let mut store = Store::new(self.engine, CallState::new(self.services.clone(), permit));
        store.limiter(|state| &mut state.limiter);
        // The epoch deadline stops a guest that computes forever; the timeout
        // around each call (see `guest_call!`) also bounds host I/O.
        store.set_epoch_deadline(ticks(self.call_deadline));
        store.epoch_deadline_trap();
        store
    }

    async fn call_info(&self) -> DriverResult<DriverInfo> {
        let raw = guest_call!(self, "info", None, |guest, store|
            current: async { guest.call_info(&mut store).await.map(Ok) },
            v0_1: async { guest.call_info(&mut store).await.map(|i| Ok(since_v0_1::driver_info(i))) },
        )?;
        let raw: std::result::Result<_, current::types::DriverError> = raw;
        raw.map_err(convert::driver_error)
            .and_then(convert::driver_info)
    }
}

fn link(engine: &Engine, component: &Component, contract: Contract) -> wasmtime::Result<Pre> {
    let mut linker: Linker<CallState> = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    Ok(match contract {
        Contract::V0_2 => {
            current::Driver::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
            Pre::Current(current::DriverPre::new(linker.instantiate_pre(component)?)?)
        }
        Contract::V0_1 => {
            v0_1::Driver::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
            Pre::V0_1(v0_1::DriverPre::new(linker.instantiate_pre(component)?)?)
        }
    })
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
            None => format!(
                "failed: {}",
                crate::text::untrusted(&format!("{err:#}"), 500)
            ),
        }
    };
    let printed = state.output.contents();
    let printed = String::from_utf8_lossy(&printed);
    let printed = printed.trim();
    // The end of what it printed (a panic message), cut and made inert.
    let tail_start = printed.char_indices().rev().nth(499).map_or(0, |(i, _)| i);
    let tail = crate::text::printable(&printed[tail_start..]);
    if tail.is_empty() {
        DriverError::Plugin(format!("driver {operation} {reason}"))
    } else {
        DriverError::Plugin(format!(
            "driver {operation} {reason}; driver output: {tail}"
        ))
    }
}

/// What a driver printed (stdout/stderr) goes to the host's log, inert.
fn forward_output(store: &Store<CallState>) {
    let state = store.data();
    let printed = state.output.contents();
    if !printed.is_empty() {
        let printed = crate::text::untrusted(String::from_utf8_lossy(&printed).trim_end(), 4096);
        tracing::debug!(target: "driver", output = %printed, "driver printed");
    }
    if state.logs_dropped > 0 {
        tracing::warn!(target: "driver", dropped = state.logs_dropped, "driver logged past its per-call cap; lines dropped");
    }
}

impl ExchangeDriver for WasmDriver {
    fn info(&self) -> &DriverInfo {
        &self.info
    }

    async fn market_rules(&self, symbol: &Symbol) -> DriverResult<MarketRules> {
        let text = symbol.to_string();
        let raw = guest_call!(self, "market_rules", None, |guest, store|
            current: guest.call_market_rules(&mut store, &text),
            v0_1: async { guest.call_market_rules(&mut store, &text).await.map(|r| since_v0_1::lift(r, since_v0_1::market_rules)) },
        )?;
        raw.map_err(convert::driver_error)
            .and_then(|r| convert::market_rules(r, symbol))
    }

    async fn ticker(&self, symbol: &Symbol) -> DriverResult<Ticker> {
        let text = symbol.to_string();
        let raw = guest_call!(self, "ticker", None, |guest, store|
            current: guest.call_ticker(&mut store, &text),
            v0_1: async { guest.call_ticker(&mut store, &text).await.map(|r| since_v0_1::lift(r, since_v0_1::ticker)) },
        )?;
        raw.map_err(convert::driver_error)
            .and_then(|t| convert::ticker(t, symbol))
    }

    async fn tickers(&self, symbols: &[Symbol]) -> DriverResult<Vec<Ticker>> {
        if let Pre::V0_1(_) = self.pre {
            // 0.1.0 has no batch: one call per market.
            let mut tickers = Vec::with_capacity(symbols.len());
            for symbol in symbols {
                tickers.push(self.ticker(symbol).await?);
            }
            return Ok(tickers);
        }
        let texts: Vec<String> = symbols.iter().map(Symbol::to_string).collect();
        let raw = guest_call!(self, "tickers", None, |guest, store|
            current: guest.call_tickers(&mut store, &texts),
            // Not reached: 0.1.0 drivers are asked one ticker at a time above.
            v0_1: async {
                let _ = &guest;
                wasmtime::Result::Ok(Err(current::types::DriverError::InvalidRequest(
                    "contract 0.1.0 has no batch tickers".to_owned(),
                )))
            },
        )?;
        raw.map_err(convert::driver_error)
            .and_then(|list| convert::tickers(list, symbols))
    }

    async fn balances(&self) -> DriverResult<Vec<Balance>> {
        let raw = guest_call!(self, "balances", None, |guest, store|
            current: guest.call_balances(&mut store),
            v0_1: async { guest.call_balances(&mut store).await.map(|r| since_v0_1::lift(r, since_v0_1::balances)) },
        )?;
        raw.map_err(convert::driver_error)
            .and_then(convert::balances)
    }

    async fn status(&self) -> DriverResult<ExchangeStatus> {
        let raw = guest_call!(self, "status", None, |guest, store|
            current: guest.call_status(&mut store),
            v0_1: async { guest.call_status(&mut store).await.map(|r| since_v0_1::lift(r, since_v0_1::exchange_status)) },
        )?;
        raw.map_err(convert::driver_error)
            .and_then(convert::exchange_status)
    }

    async fn place_market_order(
        &self,
        order: &MarketOrder,
    ) -> std::result::Result<Placement, PlacementError> {
        let raw_order = convert::market_order(order);
        // The one order this call may send, bound to the order reserved.
        let permit = self
            .services
            .http
            .profile()
            .filter(|p| p.places_orders())
            .map(|_| OrderPermit::new(order.clone(), self.slippage_margin));
        let outcome = guest_call!(self, "place_market_order", permit.clone(), |guest, store|
            current: guest.call_place_market_order(&mut store, &raw_order),
            v0_1: async {
                let old = since_v0_1::market_order(raw_order.clone());
                guest.call_place_market_order(&mut store, &old).await.map(|r| since_v0_1::lift(r, since_v0_1::placed_order))
            },
        )
        .and_then(|raw| raw.map_err(convert::driver_error).and_then(convert::placed_order));
        match permit {
            Some(permit) => placement::arbitrate(&permit.state(), outcome),
            // A simulator: its word is all there is (no money moves).
            None => outcome.map_err(PlacementError::from),
        }
    }

    async fn query_order(&self, lookup: &OrderLookup) -> DriverResult<OrderReport> {
        let raw_lookup = convert::order_lookup(lookup);
        let order_id = lookup.order_id.clone().unwrap_or_default();
        let raw = guest_call!(self, "query_order", None, |guest, store|
            current: guest.call_query_order(&mut store, &raw_lookup),
            v0_1: async { guest.call_query_order(&mut store, &order_id).await.map(|r| since_v0_1::lift(r, since_v0_1::order_report)) },
        )?;
        raw.map_err(convert::driver_error)
            .and_then(convert::order_report)
    }

    /// Read by the host itself through the profile; a simulator's exchange
    /// runs on the host's clock.
    async fn server_time(&self) -> DriverResult<chrono::DateTime<chrono::Utc>> {
        if !self
            .services
            .http
            .profile()
            .is_some_and(|p| p.places_orders())
        {
            return Ok(chrono::Utc::now());
        }
        self.services
            .http
            .server_time()
            .await
            .map_err(|e| DriverError::Unavailable(e.to_string()))
    }

    async fn find_order(&self, lookup: &OrderLookup) -> DriverResult<Option<OrderReport>> {
        let raw_lookup = convert::order_lookup(lookup);
        let client_order_id = lookup.client_order_id.clone();
        let raw = guest_call!(self, "find_order", None, |guest, store|
            current: guest.call_find_order(&mut store, &raw_lookup),
            v0_1: async {
                guest.call_find_order(&mut store, &client_order_id).await.map(|r| since_v0_1::lift(r, |found| found.map(since_v0_1::order_report)))
            },
        )?;
        raw.map_err(convert::driver_error)
            .and_then(|found| found.map(convert::order_report).transpose())
    }
}
