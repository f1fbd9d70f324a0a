//! The host side of the interfaces a driver imports: http, log, config and
//! state. Each is a thin adapter from WIT types to a host service that knows
//! nothing about wasm.

use super::bindings::{config, http, log, state, types};
use super::limits::{MAX_LOG_BYTES_PER_CALL, MAX_LOG_LINES_PER_CALL};
use super::store::CallState;
use crate::db::driver_state::{MAX_KEY_BYTES, MAX_VALUE_BYTES};
use crate::outbound::{HttpError, Method, Request};

/// Longest log line kept from a driver; the rest is cut.
const MAX_LOG_LINE: usize = 2048;

impl types::Host for CallState {}

impl http::Host for CallState {
    async fn send(
        &mut self,
        req: http::Request,
    ) -> wasmtime::Result<Result<http::Response, http::HttpError>> {
        let request = Request {
            method: match req.method {
                http::Method::Get => Method::Get,
                http::Method::Post => Method::Post,
            },
            path: req.path,
            query: req.query,
            form: req.form,
            signed: matches!(req.auth, http::Auth::Signed),
            // At most an hour: reference data, not prices.
            cache_for: std::time::Duration::from_secs(u64::from(req.cache_seconds.min(3600))),
        };
        let result = self.services.http.send(request).await;
        Ok(result
            .map(|r| http::Response {
                status: r.status,
                body: r.body,
            })
            .map_err(|e| match e {
                HttpError::NotSent(m) => http::HttpError::NotSent(m),
                HttpError::NoAnswer(m) => http::HttpError::NoAnswer(m),
                HttpError::Denied(m) => http::HttpError::Denied(m),
            }))
    }
}

impl log::Host for CallState {
    async fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        // A driver cannot flood the host's log: lines and bytes per call are capped.
        self.log_lines += 1;
        self.log_bytes += message.len().min(MAX_LOG_LINE);
        if self.log_lines > MAX_LOG_LINES_PER_CALL || self.log_bytes > MAX_LOG_BYTES_PER_CALL {
            self.logs_dropped += 1;
            return Ok(());
        }
        let mut message = message;
        if message.len() > MAX_LOG_LINE {
            let mut cut = MAX_LOG_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str("…");
        }
        let driver = self.services.name.as_str();
        match level {
            log::Level::Trace => tracing::trace!(target: "driver", driver, "{message}"),
            log::Level::Debug => tracing::debug!(target: "driver", driver, "{message}"),
            log::Level::Info => tracing::info!(target: "driver", driver, "{message}"),
            log::Level::Warn => tracing::warn!(target: "driver", driver, "{message}"),
            log::Level::Error => tracing::error!(target: "driver", driver, "{message}"),
        }
        Ok(())
    }
}

impl config::Host for CallState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.services.config.get(&key).cloned())
    }
}

impl state::Host for CallState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        if key.len() > MAX_KEY_BYTES {
            return Ok(None);
        }
        Ok(self.services.state.get(&key).await?)
    }

    async fn compare_and_swap(
        &mut self,
        key: String,
        expected: Option<String>,
        value: String,
    ) -> wasmtime::Result<bool> {
        if key.len() > MAX_KEY_BYTES || value.len() > MAX_VALUE_BYTES {
            wasmtime::bail!(
                "driver state entry exceeds the host's limits ({MAX_KEY_BYTES} B key, {MAX_VALUE_BYTES} B value)"
            );
        }
        Ok(self
            .services
            .state
            .compare_and_swap(&key, expected.as_deref(), &value)
            .await?)
    }
}
