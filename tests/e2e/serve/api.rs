//! The API's contract: authentication, strict bodies, idempotency keys,
//! the one-position rule under concurrent requests.

use reqwest::Method;
use serde_json::json;

use super::{Server, TOKEN, sample, serving};
use crate::common::{Backend, TestEnv};
use crate::on_both_databases;

on_both_databases!(
    a_retried_order_executes_once,
    concurrent_orders_for_one_asset_place_one
);

const BUY_SOL: &str =
    r#"{"symbol":"SOL/USD","action":"BUY","amount_usd":"100","stop_loss_price":"140"}"#;

/// Nothing was written or sent.
async fn assert_untouched(env: &TestEnv) {
    assert_eq!(env.count("SELECT COUNT(*) FROM trades").await, 0);
    assert_eq!(env.count("SELECT COUNT(*) FROM idempotency_keys").await, 0);
    assert_eq!(env.exchange_orders().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_without_the_token_and_bad_requests_change_nothing() {
    let env = serving(TestEnv::new(Backend::Sqlite).await);
    let server = Server::start(&env).await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", server.url);

    // Liveness needs no token; everything else does.
    let health = client.get(url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    for (method, path) in [
        (Method::GET, "/v1/positions"),
        (Method::POST, "/v1/orders"),
        (Method::POST, "/v1/liquidate"),
        (Method::GET, "/metrics"),
        (Method::GET, "/readyz"),
    ] {
        for auth in [None, Some("Bearer wrong-token-0000000000"), Some(TOKEN)] {
            let mut request = client
                .request(method.clone(), url(path))
                .header("Idempotency-Key", "k1")
                .body(BUY_SOL);
            if let Some(auth) = auth {
                request = request.header("Authorization", auth);
            }
            let answer = server.send(request).await;
            assert_eq!(
                answer.status, 401,
                "{method} {path} with {auth:?}: {}",
                answer.body
            );
            assert_eq!(answer.body["error"]["kind"], "unauthorized");
        }
    }
    assert_untouched(&env).await;

    let bad_bodies = [
        ("not JSON", "{not json".to_owned()),
        ("unknown field", r#"{"symbol":"SOL/USD","action":"BUY","amount_usd":"100","leverage":"10"}"#.to_owned()),
        ("float-looking garbage", r#"{"symbol":"SOL/USD","action":"BUY","amount_usd":"1e400"}"#.to_owned()),
        ("negative amount", r#"{"symbol":"SOL/USD","action":"BUY","amount_usd":"-5"}"#.to_owned()),
        ("bad symbol", r#"{"symbol":"SOLUSD","action":"BUY","amount_usd":"100"}"#.to_owned()),
        ("stop above target", r#"{"symbol":"SOL/USD","action":"BUY","amount_usd":"100","stop_loss_price":"200","take_profit_price":"190"}"#.to_owned()),
        ("oversized", format!(r#"{{"symbol":"SOL/USD","action":"BUY","amount_usd":"100","trade_id":"{}"}}"#, "x".repeat(20_000))),
    ];
    for (what, body) in &bad_bodies {
        let answer = server.order("k-bad", body).await;
        assert_eq!(answer.status, 400, "{what}: {}", answer.body);
        assert!(
            matches!(
                answer.body["error"]["kind"].as_str(),
                Some("invalid_input" | "invalid_symbol")
            ),
            "{what}: {}",
            answer.body
        );
    }
    // No key: refused before anything, with what to do.
    let answer = server
        .send(server.authorized(Method::POST, "/v1/orders").body(BUY_SOL))
        .await;
    assert_eq!(answer.status, 400);
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key")
    );
    // HOLD: answered, nothing recorded.
    let answer = server
        .order("k-hold", r#"{"symbol":"SOL/USD","action":"HOLD"}"#)
        .await;
    assert_eq!(
        (answer.status, answer.body["status"].as_str()),
        (200, Some("held"))
    );
    // Unknown routes and bad ids.
    assert_eq!(server.get("/v1/nothing").await.status, 404);
    assert_eq!(server.get("/v1/trades/not-a-uuid").await.status, 400);
    assert_eq!(server.get("/v1/trades?limit=0").await.status, 400);
    assert_eq!(server.get("/v1/trades?limit=5&offset=2").await.status, 400);
    let patch = server
        .send(
            server
                .authorized(
                    Method::PATCH,
                    &format!("/v1/trades/{}", uuid::Uuid::new_v4()),
                )
                .body(r#"{"stop_loss_price":"100"}"#),
        )
        .await;
    assert_eq!(patch.status, 404, "{}", patch.body);
    assert_untouched(&env).await;
    // A bad key does not burn a good one: the same key works afterwards.
    let answer = server.order("k-bad", BUY_SOL).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // The token is in no log line.
    assert!(!server.logs().contains(TOKEN));
    assert!(
        server.logs().contains("\"path\":\"/v1/orders\""),
        "requests are logged: {}",
        server.logs()
    );
}

async fn a_retried_order_executes_once(backend: Backend) {
    let env = serving(TestEnv::new(backend).await);
    let server = Server::start(&env).await;
    let first = server.order("decision-0001", BUY_SOL).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["status"], "executed");
    assert_eq!(first.body["trade"]["status"], "OPEN");
    assert!(first.headers.get("idempotent-replayed").is_none());
    let trade_id = first.body["trade"]["id"].as_str().unwrap().to_owned();

    // The same request again (a retry after a lost answer): the same answer,
    // marked as a replay, and no second order.
    let again = server.order("decision-0001", BUY_SOL).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(env.exchange_orders().await, 1);

    // The same key with another body is a client bug: refused, nothing done.
    let other = server
        .order(
            "decision-0001",
            r#"{"symbol":"BTC/USD","action":"BUY","amount_usd":"100"}"#,
        )
        .await;
    assert_eq!(other.status, 422, "{}", other.body);
    assert_eq!(other.body["error"]["kind"], "idempotency_key_reused");
    assert_eq!(env.exchange_orders().await, 1);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM trades WHERE asset = 'BTC'")
            .await,
        0
    );

    // A refusal is an answer too: replayed, not retried. A second buy of
    // SOL is refused (one position per asset) ...
    let refused = server.order("decision-0002", BUY_SOL).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.body["error"]["kind"], "duplicate_position");
    // ... and stays refused under its key even once the slot is free.
    let close = server
        .order("decision-0003", r#"{"symbol":"SOL/USD","action":"CLOSE"}"#)
        .await;
    assert_eq!(close.status, 200, "{}", close.body);
    assert_eq!(close.body["trade"]["id"], trade_id.as_str());
    assert_eq!(close.body["trade"]["status"], "CLOSED");
    assert_eq!(close.body["trade"]["exit_reason"], "manual");
    let replayed = server.order("decision-0002", BUY_SOL).await;
    assert_eq!((replayed.status, &replayed.body), (409, &refused.body));
    assert_eq!(env.exchange_orders().await, 2);

    let metrics = server.metrics().await;
    assert_eq!(
        sample(
            &metrics,
            r#"tradehost_orders_total{side="buy",outcome="filled"}"#
        ),
        1.0,
        "{metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            r#"tradehost_orders_total{side="sell",outcome="filled"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &metrics,
            r#"tradehost_orders_total{side="buy",outcome="refused"}"#
        ),
        1.0
    );
    assert!(
        metrics.contains(r#"tradehost_driver_call_seconds_bucket{operation="place_market_order""#),
        "{metrics}"
    );
}

async fn concurrent_orders_for_one_asset_place_one(backend: Backend) {
    let env = serving(TestEnv::new(backend).await);
    let server = std::sync::Arc::new(Server::start(&env).await);
    // Twenty engines decide to buy BTC at once, each with its own key.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let server = server.clone();
        tasks.spawn(async move {
            let body = r#"{"symbol":"BTC/USD","action":"BUY","amount_usd":"100"}"#;
            server.order(&format!("btc-{i}"), body).await
        });
    }
    let mut statuses = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        let answer = answer.unwrap();
        if answer.status == 409 {
            assert_eq!(
                answer.body["error"]["kind"], "duplicate_position",
                "{}",
                answer.body
            );
        }
        statuses.push(answer.status);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [vec![200], vec![409; 19]].concat());
    assert_eq!(env.exchange_orders().await, 1);

    // One engine retries the same decision ten times at once: one order.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let server = server.clone();
        tasks.spawn(async move {
            server
                .order(
                    "eth-once",
                    r#"{"symbol":"ETH/USD","action":"BUY","amount_usd":"100"}"#,
                )
                .await
        });
    }
    let mut trade_ids = std::collections::BTreeSet::new();
    while let Some(answer) = tasks.join_next().await {
        let answer = answer.unwrap();
        match answer.status {
            200 => {
                trade_ids.insert(answer.body["trade"]["id"].as_str().unwrap().to_owned());
            }
            409 => assert_eq!(
                answer.body["error"]["kind"], "request_in_flight",
                "{}",
                answer.body
            ),
            other => panic!("unexpected {other}: {}", answer.body),
        }
    }
    assert_eq!(trade_ids.len(), 1, "every answer names the one trade");
    assert_eq!(env.exchange_orders().await, 2);
    assert_eq!(env.trades_with_status("OPEN").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_stops_and_liquidation() {
    let env = serving(TestEnv::new(Backend::Sqlite).await);
    let server = Server::start(&env).await;
    for (key, body) in [
        ("sol", BUY_SOL),
        (
            "btc",
            r#"{"symbol":"BTC/USD","action":"BUY","amount_usd":"100","take_profit_price":"70000"}"#,
        ),
    ] {
        let answer = server.order(key, body).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let positions = server.get("/v1/positions").await;
    assert_eq!(positions.body.as_array().unwrap().len(), 2);
    let sol = positions
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["symbol"] == "SOL/USD")
        .unwrap()
        .clone();
    let sol_id = sol["id"].as_str().unwrap();

    // Moving the stops: validated like a buy's.
    let patch = |body: serde_json::Value| {
        server.send(
            server
                .authorized(Method::PATCH, &format!("/v1/trades/{sol_id}"))
                .body(body.to_string()),
        )
    };
    for (bad, why) in [
        (
            json!({"stop_loss_price": "155"}),
            "a stop above the price would sell at once",
        ),
        (
            json!({"take_profit_price": "100"}),
            "a target below the price would sell at once",
        ),
        (
            json!({"stop_loss_price": "130", "take_profit_price": "120"}),
            "stop above target",
        ),
        (
            json!({"stop_loss_price": 130}),
            "a number is not a decimal string",
        ),
        (json!({"stop": "130"}), "unknown field"),
        (json!({}), "nothing to change"),
    ] {
        let answer = patch(bad).await;
        assert_eq!(answer.status, 400, "{why}: {}", answer.body);
    }
    let moved = patch(json!({"stop_loss_price": "135.5", "take_profit_price": "180"})).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(
        (
            moved.body["stop_loss_price"].as_str(),
            moved.body["take_profit_price"].as_str()
        ),
        (Some("135.5"), Some("180"))
    );
    let cleared = patch(json!({"take_profit_price": null})).await;
    assert_eq!(cleared.body["take_profit_price"], serde_json::Value::Null);
    assert_eq!(cleared.body["stop_loss_price"], "135.5");
    let detail = server.get(&format!("/v1/trades/{sol_id}")).await;
    let events: Vec<&str> = detail.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events.iter().filter(|e| **e == "STOPS_UPDATED").count(),
        2,
        "{events:?}"
    );

    let balance = server.get("/v1/balance").await;
    assert_eq!(balance.status, 200);
    assert!(
        balance
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["currency"] == "SOL")
    );

    // Emergency: everything sold, each position reported.
    let liquidated = server.post("/v1/liquidate").await;
    assert_eq!(liquidated.status, 200, "{}", liquidated.body);
    let list = liquidated.body["liquidated"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    for entry in list {
        assert_eq!(entry["outcome"], "sold");
        assert_eq!(entry["trade"]["status"], "CLOSED");
        assert_eq!(entry["trade"]["exit_reason"], "liquidation");
    }
    assert_eq!(server.get("/v1/positions").await.body, json!([]));
    assert_eq!(
        server.post("/v1/liquidate").await.body,
        json!({ "liquidated": [] })
    );
    assert_eq!(env.exchange_orders().await, 4);
    let trades = server.get("/v1/trades?limit=10").await;
    assert_eq!(trades.body.as_array().unwrap().len(), 2);
    let ready = server.get("/readyz").await;
    assert_eq!(
        (ready.status, &ready.body["ready"]),
        (200, &json!(true)),
        "{}",
        ready.body
    );
}
