//! HTTP side: routing, body parsing, latency, authentication, faults, the
//! rate counter and the admin routes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State as AxumState};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::sign::verify_signature;
use super::state::{ADD_ORDER, Held, State};
use super::{Fault, Received, market, orders, queries};
use crate::conn::Conn;

type Shared = Arc<Mutex<State>>;

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    crate::conn::lock(shared)
}

/// Body parameters in the order sent.
#[derive(Debug, Clone, Default)]
pub(super) struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn parse(headers: &HeaderMap, body: &[u8]) -> Params {
        let json_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        let looks_json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if json_type || looks_json {
            let Ok(map) = serde_json::from_slice::<serde_json::Map<String, Value>>(body) else {
                return Params::default();
            };
            return Params(
                map.into_iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::String(s) => s,
                            other => other.to_string(),
                        };
                        (k, v)
                    })
                    .collect(),
            );
        }
        Params(form_urlencoded::parse(body).into_owned().collect())
    }
}

/// The admin route: request counts for benchmarks (never recorded as a request).
pub(super) const STATS_PATH: &str = "/__fake/stats";
/// The admin route: request paths in arrival order, so a benchmark can see
/// which requests a client sent before its order (never recorded either).
pub(super) const LOG_PATH: &str = "/__fake/log";

/// Serves the fake on 127.0.0.1:`port` (0 = any free port).
pub(super) async fn spawn(
    shared: Shared,
    port: u16,
) -> std::io::Result<(String, tokio::task::JoinHandle<()>)> {
    let app = Router::new()
        .route(STATS_PATH, get(stats))
        .route(LOG_PATH, get(log))
        .fallback(handle)
        .with_state(shared);
    crate::conn::serve(app, port).await
}

async fn stats(AxumState(shared): AxumState<Shared>) -> Response {
    let st = lock(&shared);
    axum::Json(json!({
        "requests": st.requests,
        "applied_orders": st.applied.len(),
        "add_order_attempts": st.add_order_attempts,
        "faults_fired": st.faults_fired,
        "held": st.held.len(),
    }))
    .into_response()
}

/// `?since=N`: the paths of requests `N..` (all without it).
async fn log(
    AxumState(shared): AxumState<Shared>,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let since = match query.get("since").map(|s| s.parse::<usize>()) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return (StatusCode::BAD_REQUEST, "since: not a count").into_response(),
    };
    let st = lock(&shared);
    let paths: Vec<&str> = st
        .received
        .iter()
        .skip(since)
        .map(|r| r.path.as_str())
        .collect();
    axum::Json(json!({ "total": st.received.len(), "paths": paths })).into_response()
}

fn ok(result: Value) -> Response {
    axum::Json(json!({ "error": [], "result": result })).into_response()
}

fn err(message: impl Into<String>) -> Response {
    axum::Json(json!({ "error": [message.into()] })).into_response()
}

fn envelope(answer: Result<Value, String>) -> Response {
    match answer {
        Ok(result) => ok(result),
        Err(e) => err(e),
    }
}

/// A Cloudflare-style error page.
fn http_status(code: u16) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
    let body = format!(
        "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n",
        reason = status.canonical_reason().unwrap_or("Error"),
    );
    (status, [(header::CONTENT_TYPE, "text/html")], body).into_response()
}

/// The work a request asks for, run after authentication (and any delay).
enum Job {
    Public {
        name: String,
        args: HashMap<String, String>,
    },
    Private {
        api_key: String,
        name: String,
        params: Params,
    },
    AddOrder {
        api_key: String,
        params: Params,
    },
}

impl Job {
    fn run(self, st: &mut State) -> Result<Value, String> {
        match self {
            Job::Public { name, args } => market::public(st, &name, &args),
            Job::AddOrder { api_key, params } => orders::add_order(st, &api_key, &params),
            Job::Private {
                api_key,
                name,
                params,
            } => {
                // AddOrder and CancelOrder count on the engine's limiter, not here.
                let (max, decay) = (st.rate_max, st.rate_decay);
                if name != "CancelOrder" && !st.account_mut(&api_key).charge_call(max, decay) {
                    st.rate_limit_hits += 1;
                    return Err("EAPI:Rate limit exceeded".into());
                }
                queries::private(st, &api_key, &name, &params)
            }
        }
    }
}

/// Counts a request as in flight until its handler ends (or is dropped).
struct InFlight(Shared);

impl InFlight {
    fn enter(shared: &Shared) -> InFlight {
        let mut st = lock(shared);
        st.in_flight += 1;
        st.max_in_flight = st.max_in_flight.max(st.in_flight);
        InFlight(shared.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        lock(&self.0).in_flight -= 1;
    }
}

/// What the synchronous part decided.
enum Next {
    Answer(Response),
    /// Close the connection without an answer.
    Drop,
    Run {
        job: Job,
        fault: Option<Fault>,
    },
}

async fn handle(
    AxumState(shared): AxumState<Shared>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let _in_flight = InFlight::enter(&shared);
    let latency = lock(&shared).latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (job, fault) = match receive(&shared, &method, &uri, &headers, &body) {
        Next::Answer(response) => return response,
        Next::Drop => {
            conn.kill();
            return StatusCode::OK.into_response();
        }
        Next::Run { job, fault } => (job, fault),
    };
    let delay = match &fault {
        Some(Fault::Delay(d)) => Some(*d),
        _ => None,
    };
    // The engine goes on with the request even if the client stops waiting.
    let engine_state = shared.clone();
    let engine = tokio::spawn(async move {
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        job.run(&mut lock(&engine_state))
    });
    let answer = match engine.await {
        Ok(answer) => answer,
        Err(_) => Err("EGeneral:Internal error".to_owned()),
    };
    match fault {
        Some(Fault::LoseAnswerAfterApply) => {
            lock(&shared).faults_fired += 1;
            conn.kill();
            envelope(answer)
        }
        Some(Fault::StatusAfterApply(code)) => {
            lock(&shared).faults_fired += 1;
            http_status(code)
        }
        _ => envelope(answer),
    }
}

/// Faults that act before processing: counts those that fire, and decides.
fn early_fault(st: &mut State, fault: &Option<Fault>) -> Option<Next> {
    let next = match fault {
        Some(Fault::StatusBeforeApply(code)) => Next::Answer(http_status(*code)),
        Some(Fault::KrakenError(message)) => Next::Answer(err(message.clone())),
        Some(Fault::Hold) => Next::Drop,
        Some(Fault::Delay(_)) => {
            st.faults_fired += 1;
            return None;
        }
        _ => return None,
    };
    st.faults_fired += 1;
    Some(next)
}

/// Records the request, authenticates it, and answers it or says what to run.
fn receive(shared: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Next {
    let path = uri.path().to_owned();
    let query: HashMap<String, String> =
        form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let params = Params::parse(headers, body);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let api_key = header("API-Key");
    let api_sign = header("API-Sign");
    let nonce_text = params.get("nonce").map(str::to_owned);
    let nonce = nonce_text
        .as_deref()
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        .and_then(|n| n.parse::<u64>().ok());

    let mut st = lock(shared);
    let secret = api_key
        .as_deref()
        .and_then(|k| st.accounts.get(k))
        .map(|a| a.secret.clone());
    let signature_ok = match (&secret, &api_sign) {
        (Some(secret), Some(sign)) => verify_signature(
            secret,
            &path,
            nonce_text.as_deref().unwrap_or(""),
            body,
            sign,
        ),
        _ => false,
    };
    st.received.push(Received {
        path: path.clone(),
        method: method.to_string(),
        query: query.clone(),
        form: params.0.clone(),
        body: String::from_utf8_lossy(body).into_owned(),
        had_api_key: api_key.is_some(),
        api_key: api_key.clone(),
        nonce,
        signature_ok,
        api_sign: api_sign.clone(),
    });
    *st.requests.entry(path.clone()).or_insert(0) += 1;

    if let Some(name) = path.strip_prefix("/0/public/") {
        let mut args = query;
        if method == Method::POST {
            args.extend(params.0);
        }
        let fault = st.take_fault(&path);
        if let Some(next) = early_fault(&mut st, &fault) {
            return next;
        }
        let name = name.to_owned();
        return Next::Run {
            job: Job::Public { name, args },
            fault,
        };
    }
    let Some(name) = path.strip_prefix("/0/private/") else {
        return Next::Answer((StatusCode::NOT_FOUND, "not found").into_response());
    };
    if method != Method::POST {
        return Next::Answer(err("EGeneral:Invalid arguments"));
    }
    if path == ADD_ORDER {
        st.add_order_attempts += 1;
    }
    let fault = st.take_fault(&path);
    if let Some(Fault::StatusBeforeApply(code)) = fault {
        st.faults_fired += 1;
        return Next::Answer(http_status(code));
    }

    // Authentication: key, then signature, then a strictly increasing nonce.
    let Some(api_key) = api_key.filter(|_| secret.is_some()) else {
        st.key_errors += 1;
        return Next::Answer(err("EAPI:Invalid key"));
    };
    if !signature_ok {
        st.signature_errors += 1;
        return Next::Answer(err("EAPI:Invalid signature"));
    }
    let account = st.account_mut(&api_key);
    match nonce {
        Some(n) if account.last_nonce.is_none_or(|last| n > last) => account.last_nonce = Some(n),
        _ => {
            st.nonce_errors += 1;
            return Next::Answer(err("EAPI:Invalid nonce"));
        }
    }
    if fault == Some(Fault::Hold) && path == ADD_ORDER {
        st.held.push(Held {
            api_key: api_key.clone(),
            params: params.clone(),
        });
    }
    if let Some(next) = early_fault(&mut st, &fault) {
        return next;
    }
    let job = if path == ADD_ORDER {
        Job::AddOrder { api_key, params }
    } else {
        Job::Private {
            api_key,
            name: name.to_owned(),
            params,
        }
    };
    Next::Run { job, fault }
}
