//! The WebAssembly runtime: loads a driver component and implements the
//! host's `ExchangeDriver` trait on top of it. Every operation runs in a
//! fresh, isolated instance; drivers keep state only through the host's
//! `state` interface.

mod bindings;
mod convert;
mod host_impl;
mod store;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tracing::Instrument;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, Store};

use crate::domain::Symbol;
use crate::error::{Error, Result};
use crate::exchange::{
    Balance, DriverError, DriverInfo, DriverResult, ExchangeDriver, ExchangeStatus, MarketOrder,
    MarketRules, OrderReport, Ticker,
};
use bindings::{Driver, DriverPre};
pub use store::{CallState, DriverServices};

/// How often the epoch advances; the unit of a call's CPU deadline.
const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Wall-clock budget of guest execution in one call.
pub const DEFAULT_CALL_DEADLINE: Duration = Duration::from_secs(5);

/// One engine per process, with a thread that advances its epoch.
fn engine() -> Result<&'static Engine> {
    static ENGINE: OnceLock<std::result::Result<Engine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let mut config = Config::new();
            config.epoch_interruption(true);
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

/// A loaded driver component.
pub struct WasmDriver {
    engine: &'static Engine,
    pre: DriverPre<CallState>,
    services: Arc<DriverServices>,
    info: DriverInfo,
    deadline_ticks: u64,
}

impl WasmDriver {
    /// Compiles and links a component, asks it who it is, and binds the
    /// host's outbound HTTP to the paths it declares.
    pub async fn load(bytes: &[u8], services: DriverServices) -> Result<WasmDriver> {
        let engine = engine()?;
        let name = services.name.clone();
        let component = Component::new(engine, bytes).map_err(|e| {
            Error::plugin(format!("driver {name:?} is not a valid component: {e:#}"))
        })?;
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
            deadline_ticks: ticks(DEFAULT_CALL_DEADLINE),
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

    pub fn with_call_deadline(mut self, deadline: Duration) -> Self {
        self.deadline_ticks = ticks(deadline);
        self
    }

    async fn instantiate(&self) -> DriverResult<(Store<CallState>, Driver)> {
        let mut store = Store::new(self.engine, CallState::new(self.services.clone()));
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(self.deadline_ticks);
        store.epoch_deadline_trap();
        let instance = self
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(|e| trap_error(&store, "instantiate", e))?;
        Ok((store, instance))
    }

    async fn call_info(&self) -> DriverResult<DriverInfo> {
        let (mut store, instance) = self.instantiate().await?;
        let raw = instance
            .tradehost_exchange_exchange()
            .call_info(&mut store)
            .await
            .map_err(|e| trap_error(&store, "info", e))?;
        convert::driver_info(raw)
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

/// A trap, limit or host fault inside a call, with what the guest printed.
fn trap_error(store: &Store<CallState>, operation: &str, err: wasmtime::Error) -> DriverError {
    let printed = String::from_utf8_lossy(&store.data().output.contents())
        .trim()
        .to_owned();
    let reason = match err.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::Interrupt) => "exceeded its time limit".to_owned(),
        Some(trap) => format!("trapped: {trap}"),
        None => format!("failed: {err:#}"),
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
    let printed = store.data().output.contents();
    if !printed.is_empty() {
        tracing::debug!(target: "driver", output = %String::from_utf8_lossy(&printed).trim_end(), "driver printed");
    }
}

macro_rules! guest_call {
    ($self:ident, $op:literal, $method:ident ( $($arg:expr),* ), $convert:expr) => {{
        let span = tracing::info_span!(concat!("driver.", $op), driver = %$self.services.name);
        async {
            let (mut store, instance) = $self.instantiate().await?;
            let raw = instance
                .tradehost_exchange_exchange()
                .$method(&mut store $(, $arg)*)
                .await
                .map_err(|e| trap_error(&store, $op, e))?;
            forward_output(&store);
            match raw {
                Ok(value) => $convert(value),
                Err(err) => Err(convert::driver_error(err)),
            }
        }
        .instrument(span)
        .await
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
