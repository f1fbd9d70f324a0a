//! `POST /v1/orders`: one decision, executed at most once per
//! Idempotency-Key.
//!
//! A key's order runs under ids derived from the key, so whatever happens
//! to the process or the connection, a retry with the same key finds the
//! order it placed instead of placing another. The execution is detached
//! from the connection: a client that hangs up does not cancel an order
//! half-way, and a shutdown waits for it.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use super::Shared;
use super::http::{body, error_response, status_of, text};
use crate::cli::output::{error_json, trade_json};
use crate::db::KeyState;
use crate::domain::trade::{OrderStatus, TradeRecord, TradeStatus};
use crate::error::{Error, ErrorKind, Result};
use crate::runtime::cache::sha256_hex;
use crate::service::decision::{self, Decision};
use crate::service::{BuyRequest, OrderIds, SellRequest};

/// The longest Idempotency-Key accepted.
const MAX_KEY_LEN: usize = 255;

/// Namespace of the ids derived from keys (a fixed random UUID).
const KEY_NAMESPACE: Uuid = Uuid::from_u128(0x6d0f_4f5e_3c1b_4a8e_9f27_5b1c_8e2a_7d41);

/// A decision that places an order.
enum Order {
    Buy(BuyRequest),
    Sell(SellRequest),
}

impl Order {
    fn side(&self) -> &'static str {
        match self {
            Order::Buy(_) => "buy",
            Order::Sell(_) => "sell",
        }
    }
}

/// An answer: its status and JSON body.
struct Answer {
    status: StatusCode,
    body: Value,
}

impl Answer {
    fn error(error: &Error) -> Answer {
        Answer {
            status: status_of(error.kind),
            body: error_json(error),
        }
    }

    fn respond(self, replayed: bool) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if replayed {
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
        }
        response
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<String> {
    let key = headers
        .get("idempotency-key")
        .ok_or_else(|| {
            Error::invalid_input(
                "an Idempotency-Key header is required: a unique value per decision, reused only to retry it",
            )
        })?
        .to_str()
        .map_err(|_| Error::invalid_input("the Idempotency-Key must be printable ASCII"))?
        .trim();
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid_input(format!(
            "the Idempotency-Key must be 1 to {MAX_KEY_LEN} printable ASCII characters without spaces"
        )));
    }
    Ok(key.to_owned())
}

/// The ids a key's order runs under.
fn ids_of(key: &str) -> OrderIds {
    OrderIds {
        trade_id: Uuid::new_v5(&KEY_NAMESPACE, format!("trade:{key}").as_bytes()).to_string(),
        client_order_id: Uuid::new_v5(&KEY_NAMESPACE, format!("order:{key}").as_bytes())
            .to_string(),
    }
}

pub async fn create(State(state): State<Shared>, headers: HeaderMap, request: Body) -> Response {
    // Everything that can be refused is refused before the key is claimed:
    // a bad request changes nothing, and the key stays free to use.
    let (key, bytes, order) = match validate(&headers, request).await {
        Ok((key, bytes, Some(order))) => (key, bytes, order),
        // Nothing to execute, nothing recorded.
        Ok((_, _, None)) => {
            return Answer {
                status: StatusCode::OK,
                body: json!({ "status": "held" }),
            }
            .respond(false);
        }
        Err(err) => return error_response(&err),
    };
    let hash = sha256_hex(&bytes);
    let db = state.executor.database();
    let now = Utc::now();
    let claimed = match db.begin_request(&key, &hash, now).await {
        Err(err) => return error_response(&err),
        Ok(KeyState::New) => true,
        Ok(KeyState::Mismatch) => {
            return error_response(&Error::new(
                ErrorKind::IdempotencyKeyReused,
                "this Idempotency-Key was used with another request body; use a new key for a new decision",
            ));
        }
        Ok(KeyState::Done { status, body }) => {
            return replay(&state, &key, order.side(), status, &body)
                .await
                .respond(true);
        }
        Ok(KeyState::InFlight { since }) => {
            let lease = chrono::Duration::from_std(state.settings.key_lease)
                .unwrap_or(chrono::Duration::minutes(5));
            // Its process is gone (the lease outlives any order's deadline):
            // the retry takes the key over and finds the order by its id.
            since < now - lease
                && matches!(db.take_over_request(&key, now - lease, now).await, Ok(true))
        }
    };
    if !claimed {
        return error_response(&Error::new(
            ErrorKind::RequestInFlight,
            "a request with this Idempotency-Key is still being executed; retry it later with the same key",
        ));
    }
    // Detached from the connection (and tracked, so a shutdown waits).
    let task_state = state.clone();
    let execution = state.orders_in_flight.spawn(async move {
        let answer = execute(&task_state, &key, order).await;
        finish(&task_state, &key, &answer).await;
        answer
    });
    match execution.await {
        Ok(answer) => answer.respond(false),
        Err(_) => error_response(&Error::config(
            "the order's execution stopped unexpectedly; retry with the same Idempotency-Key to learn its outcome",
        )),
    }
}

/// The key, the body and its order (`None` for a HOLD).
async fn validate(
    headers: &HeaderMap,
    request: Body,
) -> Result<(String, axum::body::Bytes, Option<Order>)> {
    let key = idempotency_key(headers)?;
    let bytes = body(request).await?;
    let order = match decision::parse(text(&bytes)?)?.1 {
        Decision::Hold => None,
        Decision::Buy(request) => Some(Order::Buy(request)),
        Decision::Sell(request) => Some(Order::Sell(request)),
    };
    Ok((key, bytes, order))
}

async fn execute(state: &Shared, key: &str, order: Order) -> Answer {
    let ids = ids_of(key);
    let executor = &state.executor;
    let side = order.side();
    let outcome = match order {
        Order::Buy(mut request) => {
            request.ids = Some(ids.clone());
            executor.buy(&request).await
        }
        Order::Sell(mut request) => {
            request.client_order_id = Some(ids.client_order_id.clone());
            executor.sell(&request).await
        }
    };
    match outcome {
        Ok(trade) => executed(side, &trade),
        Err(err) if err.kind == ErrorKind::UnknownOutcome => {
            let trade = executor
                .database()
                .trade_of_order(&ids.client_order_id)
                .await;
            unknown(side, &err, trade.ok().flatten().as_ref())
        }
        Err(err) => Answer::error(&err),
    }
}

/// A trade its order left: settled, or still in flight (a retried request
/// whose order is being reconciled).
fn executed(side: &str, trade: &TradeRecord) -> Answer {
    let settled = !matches!(trade.status, TradeStatus::Pending | TradeStatus::Closing);
    Answer {
        status: if settled {
            StatusCode::OK
        } else {
            StatusCode::ACCEPTED
        },
        body: json!({
            "status": if settled { "executed" } else { "unknown_outcome" },
            "side": side,
            "trade": trade_json(trade),
        }),
    }
}

fn unknown(side: &str, error: &Error, trade: Option<&TradeRecord>) -> Answer {
    let mut body = error_json(error);
    body["status"] = json!("unknown_outcome");
    body["side"] = json!(side);
    body["trade"] = trade.map_or(Value::Null, trade_json);
    Answer {
        status: StatusCode::ACCEPTED,
        body,
    }
}

/// A finished key's answer. An answer of "outcome unknown" is not frozen:
/// the retry reports what the order has become since.
async fn replay(state: &Shared, key: &str, side: &str, status: u16, body: &str) -> Answer {
    let stored = || Answer {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    };
    if status != StatusCode::ACCEPTED.as_u16() {
        return stored();
    }
    let db = state.executor.database();
    let client_order_id = ids_of(key).client_order_id;
    let (Ok(order), Ok(Some(trade))) = (
        db.order(&client_order_id).await,
        db.trade_of_order(&client_order_id).await,
    ) else {
        return stored();
    };
    match order.status {
        OrderStatus::Filled => executed(side, &trade),
        OrderStatus::Rejected => {
            let mut answer = Answer::error(&Error::new(
                ErrorKind::OrderRejected,
                format!(
                    "the order was proven not executed: {}",
                    order
                        .error_message
                        .as_deref()
                        .unwrap_or("no reason recorded")
                ),
            ));
            answer.body["trade"] = trade_json(&trade);
            answer
        }
        OrderStatus::Pending | OrderStatus::Placed | OrderStatus::Unknown => {
            let mut answer = stored();
            answer.body["trade"] = trade_json(&trade);
            answer
        }
    }
}

/// Records the key's answer, or frees the key when nothing final happened
/// (a transient refusal: the same key may simply be retried). Either way a
/// retry is safe: the key's order runs under the same client order id.
async fn finish(state: &Shared, key: &str, answer: &Answer) {
    let db = state.executor.database();
    let transient =
        answer.status.is_server_error() || answer.status == StatusCode::TOO_MANY_REQUESTS;
    let recorded = if transient {
        db.release_request(key).await
    } else {
        db.finish_request(
            key,
            answer.status.as_u16(),
            &answer.body.to_string(),
            Utc::now(),
        )
        .await
    };
    if let Err(err) = recorded {
        // The key stays in flight until its lease ends; a retry then finds
        // the order by its id.
        tracing::warn!(error = %err, "could not record an idempotency key's answer");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_derive_stable_distinct_ids() {
        let a = ids_of("decision-1");
        assert_eq!(a, ids_of("decision-1"));
        let b = ids_of("decision-2");
        assert_ne!(a.client_order_id, b.client_order_id);
        assert_ne!(a.trade_id, a.client_order_id);
    }

    #[test]
    fn refuses_missing_or_odd_keys() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            idempotency_key(&headers).unwrap_err().kind,
            ErrorKind::InvalidInput
        );
        for bad in ["", "has space", &"k".repeat(256)] {
            headers.insert("idempotency-key", HeaderValue::from_str(bad).unwrap());
            assert_eq!(
                idempotency_key(&headers).unwrap_err().kind,
                ErrorKind::InvalidInput,
                "{bad:?}"
            );
        }
        headers.insert(
            "idempotency-key",
            HeaderValue::from_static("2026-12-01T10:00Z-SOL-buy"),
        );
        assert_eq!(
            idempotency_key(&headers).unwrap(),
            "2026-12-01T10:00Z-SOL-buy"
        );
    }
}
