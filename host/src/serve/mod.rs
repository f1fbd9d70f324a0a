//! `tradehost serve`: one long-running process — the driver loaded once, the
//! database pool, a soft stop-loss / take-profit monitor, background
//! reconciliation, and an authenticated HTTP API for a scheduler or a
//! trading engine. Shuts down gracefully on SIGTERM and SIGINT: it stops
//! accepting, lets requests in flight (orders included) finish, and exits 0.

mod api;
mod auth;
mod http;
mod loops;
mod metrics;
mod orders;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use secrecy::SecretString;
use tokio::sync::watch;
use tokio_util::task::TaskTracker;

use crate::error::{Error, Result};
use crate::runtime::WasmDriver;
use crate::service::Executor;

/// How the service runs (from the environment; `config::serve`).
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Listening beyond loopback was asked for explicitly.
    pub allow_remote: bool,
    /// The API's bearer token.
    pub token: SecretString,
    /// Between two looks at the open trades' prices.
    pub monitor_every: Duration,
    /// The monitor acts only on prices that arrived within this long of
    /// being asked for.
    pub max_price_age: Duration,
    /// Between two reconciliations of unknown outcomes.
    pub reconcile_every: Duration,
    /// An order unsettled for longer makes the service not ready.
    pub ready_unsettled_for: Duration,
    /// The longest a shutdown waits for requests in flight.
    pub shutdown_within: Duration,
    /// How long an idempotency key's request may stay in flight before its
    /// process is taken for gone (the order's deadline, grace and margin).
    pub key_lease: Duration,
}

/// What every handler and loop shares.
pub struct AppState {
    /// The order lifecycle, over the loaded driver and the trade database.
    pub executor: Executor<WasmDriver>,
    /// How the service runs.
    pub settings: ServeSettings,
    /// Renders `/metrics`.
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Order executions, which outlive their connections; a shutdown waits
    /// for them.
    pub orders_in_flight: TaskTracker,
}

/// The state as handlers and loops hold it.
pub type Shared = Arc<AppState>;

fn router(state: Shared) -> Router {
    let authenticated = Router::new()
        .route("/v1/orders", post(orders::create))
        .route("/v1/positions", get(api::positions))
        .route("/v1/trades", get(api::trades))
        .route("/v1/trades/{id}", get(api::trade).patch(api::update_stops))
        .route("/v1/balance", get(api::balance))
        .route("/v1/reconcile", post(api::reconcile))
        .route("/v1/liquidate", post(api::liquidate))
        .route("/readyz", get(api::ready))
        .route("/metrics", get(api::metrics))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));
    Router::new()
        .route("/healthz", get(api::health))
        .merge(authenticated)
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn(http::log_request))
        .with_state(state)
}

/// Runs the service until SIGTERM or SIGINT. `listening` is told the bound
/// address once requests are accepted (port 0 picks a free one).
pub async fn run(
    executor: Executor<WasmDriver>,
    settings: ServeSettings,
    listening: impl FnOnce(SocketAddr),
) -> Result<()> {
    if !settings.listen.ip().is_loopback() && !settings.allow_remote {
        return Err(Error::config(format!(
            "refusing to listen on {} without --allow-remote: the API has no TLS of its own — put a TLS proxy in front",
            settings.listen
        )));
    }
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| Error::config(format!("cannot listen on {}: {e}", settings.listen)))?;
    let state = Arc::new(AppState {
        executor,
        metrics: metrics::install()?,
        orders_in_flight: TaskTracker::new(),
        settings,
    });
    let (stop, stopping) = watch::channel(false);
    let monitor = tokio::spawn(loops::monitor(state.clone(), stopping.clone()));
    let reconciler = tokio::spawn(loops::reconcile(state.clone(), stopping.clone()));
    let bound = listener
        .local_addr()
        .map_err(|e| Error::config(format!("cannot listen on {}: {e}", state.settings.listen)))?;
    tracing::info!(listen = %bound, "serving");
    listening(bound);
    let server = axum::serve(listener, router(state.clone())).with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    // After the signal, requests in flight (orders included) finish; the
    // bound only matters for one that never would.
    let grace = state.settings.shutdown_within;
    let mut signalled = stopping.clone();
    let bound = async move {
        let _ = signalled.wait_for(|stopped| *stopped).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        served = server => served.map_err(|e| Error::config(format!("the API stopped: {e}")))?,
        () = bound => tracing::warn!("shutdown bound reached with requests in flight; they are reconciled on the next start"),
    }
    // Orders whose clients hung up, and the loops' last rounds (a
    // triggered sell included), finish before the database closes.
    state.orders_in_flight.close();
    let rest = async {
        state.orders_in_flight.wait().await;
        let _ = monitor.await;
        let _ = reconciler.await;
    };
    if tokio::time::timeout(grace, rest).await.is_err() {
        tracing::warn!(
            "shutdown bound reached with work in flight; it is reconciled on the next start"
        );
    }
    state.executor.database().close().await;
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = interrupt.await;
            return;
        };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down: no new requests; finishing those in flight");
}
