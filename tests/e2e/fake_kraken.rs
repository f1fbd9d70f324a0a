//! A local stand-in for Kraken's public REST API on 127.0.0.1:0, recording
//! every request it receives.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;

#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub query: HashMap<String, String>,
    pub had_api_key: bool,
}

#[derive(Default)]
struct Shared {
    /// pair id -> (bid, ask, last)
    tickers: HashMap<String, (String, String, String)>,
    received: Vec<Received>,
}

pub struct FakeKraken {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

impl FakeKraken {
    pub async fn start() -> FakeKraken {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = Router::new()
            .route("/0/public/Ticker", get(ticker))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeKraken { url, shared }
    }

    pub fn set_ticker(&self, pair: &str, bid: &str, ask: &str, last: &str) {
        self.shared.lock().unwrap().tickers.insert(
            pair.to_owned(),
            (bid.to_owned(), ask.to_owned(), last.to_owned()),
        );
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }
}

async fn ticker(
    State(shared): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let mut shared = shared.lock().unwrap();
    shared.received.push(Received {
        path: "/0/public/Ticker".into(),
        query: query.clone(),
        had_api_key: headers.contains_key("API-Key"),
    });
    let pair = query.get("pair").cloned().unwrap_or_default();
    let body = match shared.tickers.get(&pair) {
        Some((bid, ask, last)) => serde_json::json!({
            "error": [],
            "result": { pair: { "a": [ask, "1", "1.000"], "b": [bid, "1", "1.000"], "c": [last, "0.1"],
                "v": ["1", "1"], "p": [last, last], "t": [1, 1], "l": [bid, bid], "h": [ask, ask], "o": last } }
        }),
        None => serde_json::json!({ "error": ["EQuery:Unknown asset pair"] }),
    };
    axum::Json(body)
}
