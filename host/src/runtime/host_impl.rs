//! The host side of the interfaces a driver imports: http, log, config and
//! state. Each is a thin adapter from WIT types to a host service that knows
//! nothing about wasm; the logic is in `CallState`'s methods below, shared
//! by every contract version (see `since_v0_1` for the older one).

use super::bindings::current::types;
use super::limits::{MAX_LOG_BYTES_PER_CALL, MAX_LOG_LINES_PER_CALL};
use super::store::CallState;
use crate::db::driver_state::{MAX_KEY_BYTES, MAX_VALUE_BYTES};
use crate::net::{HttpError, Method, Request, Response};

/// Longest log line kept from a driver; the rest is cut.
const MAX_LOG_LINE: usize = 2048;
/// Longest freshness a driver may ask of the host's cache: reference data.
const MAX_CACHE_SECONDS: u32 = 3600;

/// Log levels of every contract version.
#[derive(Debug, Clone, Copy)]
pub(super) enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl CallState {
    pub(super) async fn http_send(&mut self, request: Request) -> Result<Response, HttpError> {
        let (services, permit) = (self.services.clone(), self.permit.clone());
        services.http.send(request, permit.as_ref()).await
    }

    pub(super) fn log_line(&mut self, level: Level, message: &str) {
        // A driver cannot flood the host's log: lines and bytes per call are
        // capped, and each line is cut and made inert before it is written.
        self.log_lines += 1;
        self.log_bytes += message.len().min(MAX_LOG_LINE);
        if self.log_lines > MAX_LOG_LINES_PER_CALL || self.log_bytes > MAX_LOG_BYTES_PER_CALL {
            self.logs_dropped += 1;
            return;
        }
        let message = crate::text::untrusted(message, MAX_LOG_LINE);
        let driver = self.services.name.as_str();
        match level {
            Level::Trace => tracing::trace!(target: "driver", driver, "{message}"),
            Level::Debug => tracing::debug!(target: "driver", driver, "{message}"),
            Level::Info => tracing::info!(target: "driver", driver, "{message}"),
            Level::Warn => tracing::warn!(target: "driver", driver, "{message}"),
            Level::Error => tracing::error!(target: "driver", driver, "{message}"),
        }
    }

    pub(super) fn config_get(&self, key: &str) -> Option<String> {
        self.services.config.get(key).cloned()
    }

    pub(super) async fn state_get(&mut self, key: &str) -> wasmtime::Result<Option<String>> {
        if key.len() > MAX_KEY_BYTES {
            return Ok(None);
        }
        let services = self.services.clone();
        Ok(services.state.get(key).await?)
    }

    pub(super) async fn state_cas(
        &mut self,
        key: &str,
        expected: Option<&str>,
        value: &str,
    ) -> wasmtime::Result<bool> {
        if key.len() > MAX_KEY_BYTES || value.len() > MAX_VALUE_BYTES {
            wasmtime::bail!(
                "driver state entry exceeds the host's limits ({MAX_KEY_BYTES} B key, {MAX_VALUE_BYTES} B value)"
            );
        }
        let services = self.services.clone();
        Ok(services
            .state
            .compare_and_swap(key, expected, value)
            .await?)
    }
}

pub(super) fn request(
    get: bool,
    path: String,
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
    signed: bool,
    cache_seconds: u32,
) -> Request {
    Request {
        method: if get { Method::Get } else { Method::Post },
        path,
        query,
        form,
        signed,
        cache_for: std::time::Duration::from_secs(u64::from(cache_seconds.min(MAX_CACHE_SECONDS))),
    }
}

/// The four imports of one contract version, served by `CallState`'s
/// methods above. Each version's bindings have their own types of the same
/// shape, so one body serves them all.
macro_rules! serve_imports {
    ($($version:ident)::+) => {
        use $($version)::+::{config, http, log, state};

        impl http::Host for CallState {
            async fn send(
                &mut self,
                req: http::Request,
            ) -> wasmtime::Result<Result<http::Response, http::HttpError>> {
                let request = $crate::runtime::host_impl::request(
                    matches!(req.method, http::Method::Get),
                    req.path,
                    req.query,
                    req.form,
                    matches!(req.auth, http::Auth::Signed),
                    req.cache_seconds,
                );
                Ok(self
                    .http_send(request)
                    .await
                    .map(|r| http::Response {
                        status: r.status,
                        body: r.body,
                    })
                    .map_err(|e| match e {
                        $crate::net::HttpError::NotSent(m) => http::HttpError::NotSent(m),
                        $crate::net::HttpError::NoAnswer(m) => http::HttpError::NoAnswer(m),
                        $crate::net::HttpError::Denied(m) => http::HttpError::Denied(m),
                    }))
            }
        }

        impl log::Host for CallState {
            async fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
                use $crate::runtime::host_impl::Level;
                self.log_line(
                    match level {
                        log::Level::Trace => Level::Trace,
                        log::Level::Debug => Level::Debug,
                        log::Level::Info => Level::Info,
                        log::Level::Warn => Level::Warn,
                        log::Level::Error => Level::Error,
                    },
                    &message,
                );
                Ok(())
            }
        }

        impl config::Host for CallState {
            async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
                Ok(self.config_get(&key))
            }
        }

        impl state::Host for CallState {
            async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
                self.state_get(&key).await
            }

            async fn compare_and_swap(
                &mut self,
                key: String,
                expected: Option<String>,
                value: String,
            ) -> wasmtime::Result<bool> {
                self.state_cas(&key, expected.as_deref(), &value).await
            }
        }
    };
}
pub(super) use serve_imports;

impl types::Host for CallState {}

mod current_imports {
    use super::CallState;
    super::serve_imports!(crate::runtime::bindings::current);
}
