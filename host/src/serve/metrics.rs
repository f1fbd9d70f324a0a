//! Prometheus metrics: the recorder the `metrics` macros write to while the
//! service runs (elsewhere they cost nothing), rendered by `GET /metrics`.
//!
//! Recorded across the host: `tradehost_orders_total{side,outcome}`,
//! `tradehost_driver_call_seconds{operation}` (histogram),
//! `tradehost_unsettled_orders`, `tradehost_reconciled_total{outcome}`,
//! `tradehost_monitor_checks_total`, `tradehost_monitor_price_age_seconds`, `tradehost_monitor_triggers_total{reason}`,
//! `tradehost_monitor_skips_total{why}`, `tradehost_rate_limit_waits_total`.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::error::{Error, Result};

/// Seconds: a driver call is milliseconds to its budget of tens of seconds.
const CALL_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0,
];

pub fn install() -> Result<PrometheusHandle> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("tradehost_driver_call_seconds".to_owned()),
            &CALL_BUCKETS,
        )
        .map_err(|e| Error::config(format!("metrics: {e}")))?
        .install_recorder()
        .map_err(|e| Error::config(format!("metrics: {e}")))
}
