//! The read and maintenance routes of the API.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::Shared;
use super::http::{body, error_response, json, text};
use crate::cli::output::{balance_json, event_json, liquidated_json, reconciled_json, trade_json};
use crate::domain::amount;
use crate::error::{Error, Result};
use crate::exchange::{ExchangeDriver, ExchangeState};

fn answer(result: Result<Value>) -> Response {
    match result {
        Ok(value) => json(StatusCode::OK, value),
        Err(err) => error_response(&err),
    }
}

pub async fn health() -> Response {
    json(StatusCode::OK, json!({ "status": "ok" }))
}

pub async fn not_found() -> Response {
    error_response(&Error::not_found("no such route"))
}

pub async fn positions(State(state): State<Shared>) -> Response {
    answer(
        async {
            let positions = state.executor.positions().await?;
            Ok(json!(positions.iter().map(trade_json).collect::<Vec<_>>()))
        }
        .await,
    )
}

pub async fn trades(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    answer(
        async {
            if let Some(other) = query.keys().find(|k| *k != "limit") {
                return Err(Error::invalid_input(format!(
                    "unknown query parameter {other:?}"
                )));
            }
            let limit = match query.get("limit") {
                None => 50,
                Some(text) => match text.parse::<i64>() {
                    Ok(n) if (1..=10_000).contains(&n) => n,
                    _ => {
                        return Err(Error::invalid_input(format!(
                            "limit must be from 1 to 10000, got {text:?}"
                        )));
                    }
                },
            };
            let trades = state.executor.trades(limit).await?;
            Ok(json!(trades.iter().map(trade_json).collect::<Vec<_>>()))
        }
        .await,
    )
}

fn trade_id(id: &str) -> Result<&str> {
    uuid::Uuid::parse_str(id).map(|_| id).map_err(|_| {
        Error::invalid_input(format!(
            "{:?} is not a trade id",
            crate::text::untrusted(id, 64)
        ))
    })
}

pub async fn trade(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    answer(
        async {
            let id = trade_id(&id)?;
            let trade = state.executor.database().trade(id).await?;
            let history = state.executor.history(Some(id), 10_000).await?;
            Ok(json!({
                "trade": trade_json(&trade),
                "history": history.iter().map(event_json).collect::<Vec<_>>(),
            }))
        }
        .await,
    )
}

/// `null` clears a price; a string sets it; an absent field leaves it.
fn price_change(
    object: &serde_json::Map<String, Value>,
    field: &str,
) -> Result<Option<Option<Decimal>>> {
    match object.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(text)) => Ok(Some(Some(amount::parse_positive(field, text)?))),
        Some(_) => Err(Error::invalid_input(format!(
            "{field} must be a decimal string or null"
        ))),
    }
}

pub async fn update_stops(
    State(state): State<Shared>,
    Path(id): Path<String>,
    request: Body,
) -> Response {
    answer(
        async {
            let id = trade_id(&id)?;
            let bytes = body(request).await?;
            let value: Value = serde_json::from_str(text(&bytes)?)
                .map_err(|e| Error::invalid_input(format!("malformed body: {e}")))?;
            let Value::Object(object) = value else {
                return Err(Error::invalid_input("the body must be a JSON object"));
            };
            if let Some(other) = object
                .keys()
                .find(|k| !matches!(k.as_str(), "stop_loss_price" | "take_profit_price"))
            {
                return Err(Error::invalid_input(format!("unknown field {other:?}")));
            }
            let stop = price_change(&object, "stop_loss_price")?;
            let target = price_change(&object, "take_profit_price")?;
            if stop.is_none() && target.is_none() {
                return Err(Error::invalid_input(
                    "give stop_loss_price and/or take_profit_price",
                ));
            }
            let trade = state.executor.update_stops(id, stop, target).await?;
            Ok(trade_json(&trade))
        }
        .await,
    )
}

pub async fn balance(State(state): State<Shared>) -> Response {
    answer(
        async {
            let balances = state.executor.balances().await?;
            Ok(json!(balances.iter().map(balance_json).collect::<Vec<_>>()))
        }
        .await,
    )
}

pub async fn reconcile(State(state): State<Shared>) -> Response {
    answer(
        async {
            let reconciled = state.executor.reconcile().await?;
            Ok(json!({ "reconciled": reconciled.iter().map(reconciled_json).collect::<Vec<_>>() }))
        }
        .await,
    )
}

/// Sells every open position. Answers 200 when each is sold, 207 when
/// some are not (each position says why).
pub async fn liquidate(State(state): State<Shared>) -> Response {
    match state.executor.liquidate().await {
        Ok(report) => {
            let all_sold = report.iter().all(|l| l.outcome.is_ok());
            let status = if all_sold {
                StatusCode::OK
            } else {
                StatusCode::MULTI_STATUS
            };
            json(status, liquidated_json(&report))
        }
        Err(err) => error_response(&err),
    }
}

/// Ready to trade: the database answers, the driver is loaded (it is, to
/// serve), the exchange is online, and no order has been unknown too long.
pub async fn ready(State(state): State<Shared>) -> Response {
    let mut failures: Vec<String> = Vec::new();
    if let Err(err) = state.executor.database().ping().await {
        failures.push(err.message);
    }
    match state.executor.driver().status().await {
        Ok(status) if status.state == ExchangeState::Online => {}
        Ok(status) => failures.push(format!("the exchange is in {:?} mode", status.state)),
        Err(err) => failures.push(format!("the exchange cannot be asked: {err}")),
    }
    match state
        .executor
        .database()
        .unsettled_summary(state.executor.exchange())
        .await
    {
        Ok((_, Some(oldest))) => {
            let age = (Utc::now() - oldest).to_std().unwrap_or_default();
            if age > state.settings.ready_unsettled_for {
                failures.push(format!(
                    "an order has been unsettled for {} s",
                    age.as_secs()
                ));
            }
        }
        Ok(_) => {}
        Err(err) => failures.push(err.message),
    }
    let status = if failures.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json(
        status,
        json!({ "ready": failures.is_empty(), "driver": state.executor.exchange(), "failures": failures }),
    )
}

pub async fn metrics(State(state): State<Shared>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
