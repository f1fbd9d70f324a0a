//! HTTP side: routing, body parsing, authentication, rate counter, faults.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State as AxumState};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::conn::{Conn, KillableListener};
use super::orders;
use super::sign::verify_signature;
use super::state::State;
use super::{Fault, Received, market};

type Shared = Arc<Mutex<State>>;

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
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

pub(super) async fn spawn(shared: Shared) -> (String, tokio::task::JoinHandle<()>) {
    let app = Router::new().fallback(handle).with_state(shared);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap_or_else(|e| panic!("bind 127.0.0.1:0: {e}"));
    let url = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let service = app.into_make_service_with_connect_info::<Conn>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(KillableListener(listener), service).await;
    });
    (url, server)
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

/// What the synchronous part decided: answer now, or run AddOrder.
enum Next {
    Answer(Response),
    AddOrder {
        api_key: String,
        params: Params,
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
    let (api_key, params, fault) = match receive(&shared, &method, &uri, &headers, &body) {
        Next::Answer(response) => return response,
        Next::AddOrder {
            api_key,
            params,
            fault,
        } => (api_key, params, fault),
    };
    if let Some(Fault::KrakenError(message)) = &fault {
        return err(message.clone());
    }
    let delay = match &fault {
        Some(Fault::Delay(d)) => Some(*d),
        _ => None,
    };
    // The engine goes on with the order even if the client stops waiting.
    let engine = tokio::spawn(async move {
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        let mut st = lock(&shared);
        orders::add_order(&mut st, &api_key, &params, chrono::Utc::now())
    });
    let answer = match engine.await {
        Ok(answer) => answer,
        Err(_) => Err("EGeneral:Internal error".to_owned()),
    };
    match fault {
        Some(Fault::LoseAnswerAfterApply) => {
            conn.kill();
            envelope(answer)
        }
        Some(Fault::StatusAfterApply(code)) => http_status(code),
        _ => envelope(answer),
    }
}

/// Records the request, then answers it unless it is an authenticated AddOrder.
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
    });

    if let Some(name) = path.strip_prefix("/0/public/") {
        let mut args = query;
        if method == Method::POST {
            args.extend(params.0);
        }
        return Next::Answer(envelope(market::public(&st, name, &args)));
    }
    let Some(name) = path.strip_prefix("/0/private/") else {
        return Next::Answer((StatusCode::NOT_FOUND, "not found").into_response());
    };
    if method != Method::POST {
        return Next::Answer(err("EGeneral:Invalid arguments"));
    }

    let fault = if name == "AddOrder" {
        st.add_order_attempts += 1;
        st.faults.pop_front()
    } else {
        None
    };
    if let Some(Fault::StatusBeforeApply(code)) = fault {
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
    let (rate_max, rate_decay) = (st.rate_max, st.rate_decay);
    let account = st.account_mut(&api_key);
    match nonce {
        Some(n) if account.last_nonce.is_none_or(|last| n > last) => account.last_nonce = Some(n),
        _ => {
            st.nonce_errors += 1;
            return Next::Answer(err("EAPI:Invalid nonce"));
        }
    }
    if name == "AddOrder" {
        return Next::AddOrder {
            api_key,
            params,
            fault,
        };
    }
    // AddOrder and CancelOrder count on the engine's limiter, not here.
    if name != "CancelOrder" && !st.account_mut(&api_key).charge_call(rate_max, rate_decay) {
        st.rate_limit_hits += 1;
        return Next::Answer(err("EAPI:Rate limit exceeded"));
    }
    Next::Answer(envelope(orders::private(&mut st, &api_key, name, &params)))
}
