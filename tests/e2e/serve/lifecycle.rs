//! The service's life: start-up refusals, a SIGTERM with an order in
//! flight, a restart, an unknown outcome answered 202 and settled later.

use std::time::Duration;

use super::{Server, TOKEN, sample, serving};
use crate::common::{Backend, TestEnv, assert_exchange_and_database_agree, error_kind};
use crate::fake_kraken::{FakeKraken, Fault};
use crate::on_both_databases;

on_both_databases!(sigterm_lets_the_order_in_flight_finish);

const ADD_ORDER: &str = "/0/private/AddOrder";
const BUY_SOL: &str = r#"{"symbol":"SOL/USD","action":"BUY","amount_quote":"100"}"#;

async fn sigterm_lets_the_order_in_flight_finish(backend: Backend) {
    let fake = FakeKraken::start().await;
    let env = serving(TestEnv::kraken(backend, &fake).await);
    let mut server = Server::start(&env).await;
    // The exchange takes its time with the order ...
    fake.inject(Fault::Delay(Duration::from_millis(1200)));
    let request = server
        .authorized(reqwest::Method::POST, "/v1/orders")
        .header("Idempotency-Key", "in-flight")
        .body(BUY_SOL);
    let in_flight = tokio::spawn(async move { request.send().await });
    // ... and the supervisor stops the service while it does.
    let sent = |f: &FakeKraken| !f.received_on(ADD_ORDER).is_empty();
    assert!(
        fake.wait_until(Duration::from_secs(30), sent).await,
        "the order never left"
    );
    server.terminate();
    let response = in_flight
        .await
        .unwrap()
        .expect("the request in flight is answered");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["trade"]["status"], "OPEN", "{body}");
    assert_eq!(
        server.exit_code(Duration::from_secs(30)).await,
        Some(0),
        "{}",
        server.logs()
    );
    assert_eq!(env.trades_with_status("OPEN").await, 1);
    assert_eq!(fake.applied_orders().len(), 1);
    assert_exchange_and_database_agree(&env, &fake).await;
    assert!(server.logs().contains("shutting down"), "{}", server.logs());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_survive_a_restart() {
    let env = serving(TestEnv::new(Backend::Sqlite).await);
    let mut server = Server::start(&env).await;
    let first = server
        .order(
            "before-restart",
            r#"{"symbol":"SOL/USD","action":"BUY","amount_usd":"100"}"#,
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    server.terminate();
    assert_eq!(server.exit_code(Duration::from_secs(30)).await, Some(0));

    let server = Server::start(&env).await;
    let again = server
        .order(
            "before-restart",
            r#"{"symbol":"SOL/USD","action":"BUY","amount_usd":"100"}"#,
        )
        .await;
    assert_eq!((again.status, &again.body), (200, &first.body));
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(env.exchange_orders().await, 1);
    let positions = server.get("/v1/positions").await;
    assert_eq!(positions.body[0]["id"], first.body["trade"]["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_outcome_is_accepted_then_settled_in_the_background() {
    let fake = FakeKraken::start().await;
    let env = serving(TestEnv::kraken(Backend::Sqlite, &fake).await)
        .with("TRADEHOST_ORDER_DEADLINE_SECS", "2")
        .with("TRADEHOST_RECONCILE_GRACE_SECS", "1");
    let server = Server::start(&env).await;
    // The exchange fills the order and the answer is lost.
    fake.inject(Fault::LoseAnswerAfterApply);
    let accepted = server.order("lost-answer", BUY_SOL).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    assert_eq!(accepted.body["status"], "unknown_outcome");
    assert_eq!(accepted.body["error"]["kind"], "unknown_outcome");
    assert_eq!(accepted.body["trade"]["status"], "PENDING");
    let id = accepted.body["trade"]["id"].as_str().unwrap().to_owned();
    // The background reconciler finds it by its client order id.
    let open = server
        .wait_for_trade(&id, Duration::from_secs(30), |t| t["status"] == "OPEN")
        .await;
    let metrics = server.metrics().await;
    assert_eq!(
        sample(&metrics, r#"tradehost_reconciled_total{outcome="filled"}"#),
        1.0,
        "{metrics}"
    );
    // The retry with the same key now learns the outcome.
    let retried = server.order("lost-answer", BUY_SOL).await;
    assert_eq!(retried.status, 200, "{}", retried.body);
    assert_eq!(retried.body["status"], "executed");
    assert_eq!(retried.body["trade"], open);
    assert_eq!(fake.applied_orders().len(), 1, "never re-sent");
    assert_eq!(fake.add_order_attempts(), 1, "never re-sent");
    assert_exchange_and_database_agree(&env, &fake).await;
    let metrics = server.metrics().await;
    assert_eq!(
        sample(
            &metrics,
            r#"tradehost_orders_total{side="buy",outcome="unknown"}"#
        ),
        1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_to_start_unsafely_and_confirms_liquidation() {
    let env = TestEnv::new(Backend::Sqlite).await;
    let no_token = env.run(&["--json", "serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(error_kind(&no_token), "config");
    assert!(String::from_utf8_lossy(&no_token.stderr).contains("TRADEHOST_API_TOKEN"));
    let env = env.with("TRADEHOST_API_TOKEN", "short");
    let short = env.run(&["--json", "serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(error_kind(&short), "config");
    let env = TestEnv::new(Backend::Sqlite)
        .await
        .with("TRADEHOST_API_TOKEN", TOKEN);
    let remote = env.run(&["--json", "serve", "--listen", "0.0.0.0:0"]);
    assert_eq!(error_kind(&remote), "config");
    assert!(String::from_utf8_lossy(&remote.stderr).contains("--allow-remote"));
    for bad in ["TRADEHOST_MONITOR_SECS=0.01", "TRADEHOST_LISTEN=localhost"] {
        let (name, value) = bad.split_once('=').unwrap();
        let out = env
            .command(&["--json", "serve"])
            .env(name, value)
            .output()
            .unwrap();
        assert_eq!(error_kind(&out), "config", "{bad}");
    }

    // Liquidation asks for confirmation; without it nothing is sold.
    let bought = env.run(&["--json", "buy", "SOL/USD", "--usd", "100"]);
    assert!(bought.status.success());
    let unconfirmed = env.run(&["--json", "liquidate"]);
    assert_eq!(error_kind(&unconfirmed), "invalid_input");
    assert_eq!(env.trades_with_status("OPEN").await, 1);
    assert_eq!(env.exchange_orders().await, 1, "nothing sold");
    let confirmed = env.run(&["--json", "liquidate", "--yes"]);
    assert!(
        confirmed.status.success(),
        "{}",
        String::from_utf8_lossy(&confirmed.stderr)
    );
    assert_eq!(env.trades_with_status("CLOSED").await, 1);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM trades WHERE exit_reason = 'liquidation'")
            .await,
        1
    );
}
