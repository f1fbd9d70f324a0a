//! HTTP side: routing, authentication and timing, request weight,
//! faults. The parameters and error answers are in `api.rs`.

use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::api::{ApiError, Params, html_page, json_response};
use super::sign::{signature_payload, verify_signature};
use super::state::{Refusal, State};
use super::{Fault, Received, market, orders, queries};
use crate::conn::Conn;

type Shared = Arc<Mutex<State>>;

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    crate::conn::lock(shared)
}

/// What this fake answers: the modelled endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Endpoint {
    Ping,
    Time,
    ExchangeInfo,
    BookTicker,
    TickerPrice,
    AvgPrice,
    Account,
    NewOrder,
    TestOrder,
    QueryOrder,
    OpenOrders,
    AllOrders,
    MyTrades,
}

impl Endpoint {
    fn route(method: &Method, path: &str) -> Option<Endpoint> {
        use Endpoint::*;
        let get = *method == Method::GET;
        let post = *method == Method::POST;
        Some(match path {
            "/api/v3/ping" if get => Ping,
            "/api/v3/time" if get => Time,
            "/api/v3/exchangeInfo" if get => ExchangeInfo,
            "/api/v3/ticker/bookTicker" if get => BookTicker,
            "/api/v3/ticker/price" if get => TickerPrice,
            "/api/v3/avgPrice" if get => AvgPrice,
            "/api/v3/account" if get => Account,
            "/api/v3/order" if post => NewOrder,
            "/api/v3/order" if get => QueryOrder,
            "/api/v3/order/test" if post => TestOrder,
            "/api/v3/openOrders" if get => OpenOrders,
            "/api/v3/allOrders" if get => AllOrders,
            "/api/v3/myTrades" if get => MyTrades,
            _ => return None,
        })
    }

    /// SIGNED (TRADE or USER_DATA) rather than NONE.
    fn signed(self) -> bool {
        use Endpoint::*;
        !matches!(
            self,
            Ping | Time | ExchangeInfo | BookTicker | TickerPrice | AvgPrice
        )
    }

    /// The request weight (reference §3). A new order is charged 1 on
    /// arrival and refunded when it is accepted.
    fn weight(self, p: &Params) -> u32 {
        use Endpoint::*;
        let has = |name: &str| p.get(name).is_some();
        match self {
            Ping | Time => 1,
            ExchangeInfo | Account | AllOrders => 20,
            BookTicker | TickerPrice => {
                if has("symbol") {
                    2
                } else {
                    4
                }
            }
            AvgPrice => 2,
            NewOrder => 1,
            TestOrder => {
                if p.get("computeCommissionRates") == Some("true") {
                    20
                } else {
                    1
                }
            }
            QueryOrder => 4,
            OpenOrders => {
                if has("symbol") {
                    6
                } else {
                    80
                }
            }
            MyTrades => {
                if has("orderId") {
                    5
                } else {
                    20
                }
            }
        }
    }
}

pub(super) async fn spawn(shared: Shared) -> (String, tokio::task::JoinHandle<()>) {
    let app = Router::new().fallback(handle).with_state(shared);
    crate::conn::serve(app, 0)
        .await
        .unwrap_or_else(|e| panic!("bind 127.0.0.1:0: {e}"))
}

/// An authenticated (or public) request, past the gate, for the engine.
struct Call {
    endpoint: Endpoint,
    params: Params,
    api_key: String,
    /// `timestamp` and `recvWindow` in microseconds (signed endpoints).
    timing: Option<(i128, i128)>,
    fault: Option<Fault>,
}

enum Arrival {
    /// Answered in front of the API (a fault that acts on arrival).
    Answer(Response),
    /// Refused at the gate; a fault taken by the request still applies.
    Refused(Response, Option<Fault>),
    Call(Call),
}

fn with_weight(mut response: Response, used: u32) -> Response {
    let headers = response.headers_mut();
    headers.insert("x-mbx-used-weight", HeaderValue::from(used));
    headers.insert("x-mbx-used-weight-1m", HeaderValue::from(used));
    response
}

fn weight_refusal(st: &mut State, refusal: Refusal) -> Response {
    let (status, msg, secs) = match refusal {
        Refusal::Limited(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too much request weight used; current limit is {} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
                st.limits.weight_limit
            ),
            secs,
        ),
        Refusal::Banned(secs) => (
            StatusCode::IM_A_TEAPOT,
            format!(
                "Way too much request weight used; IP banned until {}. Please use WebSocket Streams for live updates to avoid bans.",
                st.limits.banned_until_ms
            ),
            secs,
        ),
    };
    let mut e = ApiError::new(-1003, msg).with_status(status);
    e.retry_after = Some(secs);
    let used = st.limits.used_now(Instant::now());
    with_weight(e.into_response(), used)
}

async fn handle(
    AxumState(shared): AxumState<Shared>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = match arrive(&shared, &method, &uri, &headers, &body) {
        Arrival::Answer(response) => return response,
        Arrival::Refused(response, fault) => {
            if let Some(Fault::Delay(d)) = &fault {
                tokio::time::sleep(*d).await;
            }
            let used = lock(&shared).limits.used_now(Instant::now());
            return after(fault.as_ref(), &conn, response, used);
        }
        Arrival::Call(call) => call,
    };
    let fault = call.fault.clone();
    let delay = match &fault {
        Some(Fault::Delay(d)) => Some(*d),
        _ => None,
    };
    let hidden_for = match &fault {
        Some(Fault::LookupLag(d)) => Some(*d),
        _ => None,
    };
    let endpoint = call.endpoint;
    // The engine goes on with the request even if the client stops waiting.
    let engine_state = shared.clone();
    let engine = tokio::spawn(async move {
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        let mut st = lock(&engine_state);
        execute(&mut st, &call, hidden_for)
    });
    let (answer, counts) = match engine.await {
        Ok(done) => done,
        Err(_) => (
            Err(ApiError::new(
                -1000,
                "An unknown error occurred while processing the request.",
            )),
            None,
        ),
    };
    let used = {
        let mut st = lock(&shared);
        if endpoint == Endpoint::NewOrder && counts.is_some() {
            st.limits.refund(1);
        }
        st.limits.used_now(Instant::now())
    };
    let mut response = match answer {
        Ok(value) => json_response(StatusCode::OK, &value),
        Err(e) => e.into_response(),
    };
    if let Some((ten_s, day)) = counts {
        let h = response.headers_mut();
        h.insert("x-mbx-order-count-10s", HeaderValue::from(ten_s));
        h.insert("x-mbx-order-count-1d", HeaderValue::from(day));
    }
    after(fault.as_ref(), &conn, with_weight(response, used), used)
}

/// The faults that act once the request was processed (or refused): cut
/// the connection, or answer something else than `response`.
fn after(fault: Option<&Fault>, conn: &Conn, response: Response, used: u32) -> Response {
    match fault {
        Some(Fault::DropAfterApply) => {
            conn.kill();
            response
        }
        Some(Fault::StatusAfterApply(code)) => html_page(*code),
        Some(Fault::TimeoutAfterApply(code)) => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let e = ApiError::new(
                -1007,
                "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
            )
            .with_status(status);
            with_weight(e.into_response(), used)
        }
        _ => response,
    }
}

/// `timestamp`: milliseconds, or microseconds (16+ digits); in µs.
fn parse_timestamp(text: &str) -> Option<(u64, i128)> {
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v = text.parse::<u64>().ok()?;
    let us = if v >= 1_000_000_000_000_000 {
        i128::from(v)
    } else {
        i128::from(v) * 1000
    };
    Some((v, us))
}

/// `recvWindow`: milliseconds with at most 3 decimals.
fn parse_recv_window(text: &str) -> Option<Decimal> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let ok = !int.is_empty()
        && int.len() <= 20
        && frac.len() <= 3
        && frac.is_empty() != text.contains('.')
        && int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit());
    ok.then(|| Decimal::from_str(text).ok()).flatten()
}

fn decimal_us(ms: Decimal) -> i128 {
    use rust_decimal::prelude::ToPrimitive;
    (ms * Decimal::new(1000, 0)).trunc().to_i128().unwrap_or(0)
}

fn outside_window() -> ApiError {
    ApiError::new(
        -1021,
        "Timestamp for this request is outside of the recvWindow.",
    )
}

/// Records the request, then everything that answers before the engine:
/// faults that act on arrival, bans and the weight limit, routing,
/// authentication and the timing check.
fn arrive(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Arrival {
    let path = uri.path().to_owned();
    let raw_query = uri.query().unwrap_or("");
    let query: Vec<(String, String)> = form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    let form: Vec<(String, String)> = if *method == Method::GET {
        Vec::new()
    } else {
        form_urlencoded::parse(body).into_owned().collect()
    };
    let params = Params(query.iter().chain(form.iter()).cloned().collect());
    let api_key = headers
        .get("X-MBX-APIKEY")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let payload = signature_payload(raw_query.as_bytes(), body);
    let endpoint = Endpoint::route(method, &path);

    let mut st = lock(shared);
    let secret = api_key
        .as_deref()
        .and_then(|k| st.accounts.get(k))
        .map(|a| a.secret.clone());
    let signature = params.get("signature").map(str::to_owned);
    let signature_ok = match (&secret, &signature) {
        (Some(secret), Some(sig)) => verify_signature(secret, &payload, sig),
        _ => false,
    };
    let timestamp = params.get("timestamp").and_then(parse_timestamp);
    let recv_window = params.get("recvWindow").and_then(parse_recv_window);
    let received_at = st.now_ms();
    st.received.push(Received {
        path: path.clone(),
        method: method.to_string(),
        query,
        form,
        raw_query: raw_query.to_owned(),
        body: String::from_utf8_lossy(body).into_owned(),
        api_key: api_key.clone(),
        signature_ok,
        timestamp: timestamp.map(|t| t.0),
        recv_window,
        received_at,
    });
    *st.requests_per_path.entry(path.clone()).or_default() += 1;
    let placement = endpoint == Some(Endpoint::NewOrder);
    if placement {
        st.order_attempts += 1;
    }

    let fault = st.take_fault(method.as_str(), &path, placement);
    match fault {
        Some(Fault::Forbidden) => return Arrival::Answer(html_page(403)),
        Some(Fault::StatusBeforeApply(code)) => return Arrival::Answer(html_page(code)),
        Some(Fault::TooManyRequests(secs)) => {
            st.limits.limited_until = Some(Instant::now() + std::time::Duration::from_secs(secs));
            st.limits.hits_429 += 1;
            return Arrival::Answer(weight_refusal(&mut st, Refusal::Limited(secs)));
        }
        _ => {}
    }

    let Some(endpoint) = endpoint else {
        let response = (
            StatusCode::NOT_FOUND,
            "Not Found (not modelled by this fake)",
        )
            .into_response();
        return Arrival::Refused(response, fault);
    };
    let now_ms = st.now_ms();
    if let Err(refusal) = st
        .limits
        .charge(endpoint.weight(&params), Instant::now(), now_ms)
    {
        return Arrival::Refused(weight_refusal(&mut st, refusal), fault);
    }
    let taken = fault.clone();
    let answer = |st: &mut State, e: ApiError| {
        let used = st.limits.used_now(Instant::now());
        Arrival::Refused(with_weight(e.into_response(), used), taken.clone())
    };

    if !endpoint.signed() {
        return Arrival::Call(Call {
            endpoint,
            params,
            api_key: String::new(),
            timing: None,
            fault,
        });
    }

    // Key, signature present, timestamp, recvWindow, signature valid, timing.
    let key_format_ok = api_key
        .as_deref()
        .is_some_and(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric()));
    let Some(api_key) = api_key.filter(|_| key_format_ok) else {
        st.key_errors += 1;
        let e =
            ApiError::new(-2014, "API-key format invalid.").with_status(StatusCode::UNAUTHORIZED);
        return answer(&mut st, e);
    };
    if secret.is_none() {
        st.key_errors += 1;
        let e = ApiError::new(-2015, "Invalid API-key, IP, or permissions for action.")
            .with_status(StatusCode::UNAUTHORIZED);
        return answer(&mut st, e);
    }
    if signature.as_deref().is_none_or(str::is_empty) {
        return answer(&mut st, ApiError::mandatory("signature"));
    }
    let Some((_, ts_us)) = timestamp else {
        return answer(&mut st, ApiError::mandatory("timestamp"));
    };
    let window_ms = match params.get("recvWindow") {
        None => Decimal::new(5000, 0),
        Some(_) => match recv_window {
            None => {
                let e = ApiError::illegal_chars("recvWindow", r"^[0-9]{1,20}(\.[0-9]{1,3})?$");
                return answer(&mut st, e);
            }
            Some(w) if w > Decimal::new(60_000, 0) => {
                return answer(
                    &mut st,
                    ApiError::new(-1131, "recvWindow must be less than 60000"),
                );
            }
            Some(w) => w,
        },
    };
    if !signature_ok {
        st.signature_errors += 1;
        return answer(
            &mut st,
            ApiError::new(-1022, "Signature for this request is not valid."),
        );
    }
    let window_us = decimal_us(window_ms);
    let server_us = i128::from(st.now().timestamp_micros());
    if ts_us >= server_us + 1_000_000 {
        st.timestamp_errors += 1;
        return answer(
            &mut st,
            ApiError::new(
                -1021,
                "Timestamp for this request was 1000ms ahead of the server's time.",
            ),
        );
    }
    if server_us - ts_us > window_us {
        st.timestamp_errors += 1;
        return answer(&mut st, outside_window());
    }
    Arrival::Call(Call {
        endpoint,
        params,
        api_key,
        timing: Some((ts_us, window_us)),
        fault,
    })
}

/// Runs a call on the state: the answer, and for an accepted order the
/// account's order counts.
fn execute(
    st: &mut State,
    call: &Call,
    hidden_for: Option<std::time::Duration>,
) -> (Result<Value, ApiError>, Option<(usize, usize)>) {
    let p = &call.params;
    let key = call.api_key.as_str();
    let now_ms = st.now_ms();
    let answer = match call.endpoint {
        Endpoint::Ping => Ok(json!({})),
        Endpoint::Time => Ok(json!({ "serverTime": now_ms })),
        Endpoint::ExchangeInfo => market::exchange_info(st, p, now_ms),
        Endpoint::BookTicker => market::ticker(st, p, true),
        Endpoint::TickerPrice => market::ticker(st, p, false),
        Endpoint::AvgPrice => market::avg_price(st, p, now_ms),
        Endpoint::Account => queries::account(st, key, p),
        Endpoint::TestOrder => orders::test_order(st, p),
        Endpoint::QueryOrder => queries::query_order(st, key, p),
        Endpoint::OpenOrders => queries::open_orders(st, key, p),
        Endpoint::AllOrders => queries::all_orders(st, key, p),
        Endpoint::MyTrades => queries::my_trades(st, key, p),
        Endpoint::NewOrder => {
            // Re-checked just before the matching engine: recvWindow is a
            // deadline for the order, not only for its arrival.
            if let Some((ts_us, window_us)) = call.timing
                && i128::from(st.now().timestamp_micros()) - ts_us > window_us
            {
                st.timestamp_errors += 1;
                return (Err(outside_window()), None);
            }
            return match orders::new_order(st, key, p, hidden_for) {
                Ok(placed) => (Ok(placed.answer), Some(placed.counts)),
                Err(e) => (Err(e), None),
            };
        }
    };
    (answer, None)
}
