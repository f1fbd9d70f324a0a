//! The real host running the real `kraken` component against a faithful
//! local fake Kraken (tests/fake-exchange/src/kraken): signing, nonces, fills, error
//! classes, symbol mapping, the rate limiter and maintenance windows.

use rust_decimal::Decimal;
use tradehost::ErrorKind;
use tradehost::domain::trade::TradeStatus;

use crate::common::{Backend, TestEnv, error_kind, last_json};
use crate::fake_kraken::{FakeKraken, Fault};
use crate::on_both_databases;

on_both_databases!(kraken_buy_sell_close_records_the_exchanges_fills);

async fn kraken_buy_sell_close_records_the_exchanges_fills(backend: Backend) {
    let fake = FakeKraken::start().await;
    let env = TestEnv::kraken(backend, &fake).await;
    let executor = env.executor().await;

    let bought = executor
        .execute_buy("SOL/USD", "100", Some("120"), None)
        .await
        .unwrap();
    assert_eq!(bought.status, TradeStatus::Open);
    let applied = fake.applied_orders();
    assert_eq!(applied.len(), 1);
    let buy = &applied[0];
    assert_eq!(buy.pair, "SOLUSD");
    assert_eq!(
        buy.cl_ord_id.as_deref(),
        Some(bought.client_order_id.as_str())
    );
    // Recorded exactly as the exchange reported the fill.
    assert_eq!(bought.order_id.as_deref(), Some(buy.txid.as_str()));
    assert_eq!(bought.entry_price, Some(buy.price));
    assert_eq!(bought.size, Some(buy.volume));
    assert_eq!(bought.fees, buy.fee);
    assert!(buy.cost <= Decimal::from(100));

    let partial = executor
        .execute_sell("SOL/USD", Some("0.2"), None)
        .await
        .unwrap();
    assert_eq!(partial.status, TradeStatus::Open);
    assert_eq!(partial.size, Some(buy.volume - Decimal::new(2, 1)));
    let closed = executor.close("SOL/USD").await.unwrap();
    assert_eq!(closed.status, TradeStatus::Closed);

    let applied = fake.applied_orders();
    assert_eq!(applied.len(), 3);
    let proceeds: Decimal = applied[1..].iter().map(|o| o.cost).sum();
    let fees: Decimal = applied.iter().map(|o| o.fee).sum();
    assert_eq!(closed.fees, fees);
    assert_eq!(closed.pnl, Some(proceeds - fees - applied[0].cost));

    // Every private request was signed correctly with a fresh nonce.
    assert_eq!(fake.signature_errors(), 0);
    assert_eq!(fake.nonce_errors(), 0);
    let nonces: Vec<u64> = fake.received().iter().filter_map(|r| r.nonce).collect();
    assert!(nonces.len() >= 5, "{nonces:?}");
    assert!(
        nonces.windows(2).all(|w| w[0] < w[1]),
        "nonces strictly increase: {nonces:?}"
    );
    assert!(
        fake.received()
            .iter()
            .filter(|r| r.path.starts_with("/0/private/"))
            .all(|r| r.had_api_key)
    );
    assert!(
        fake.received()
            .iter()
            .filter(|r| r.path.starts_with("/0/public/"))
            .all(|r| !r.had_api_key)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unified_symbols_map_to_krakens_pair_ids() {
    let fake = FakeKraken::start().await;
    let env = TestEnv::kraken(Backend::Sqlite, &fake).await;
    let executor = env.executor().await;
    executor
        .execute_buy("BTC/USD", "100", None, None)
        .await
        .unwrap();
    executor
        .execute_buy("XDG/USD", "20", None, None)
        .await
        .unwrap();
    let pairs: Vec<String> = fake.applied_orders().into_iter().map(|o| o.pair).collect();
    assert_eq!(pairs, ["XXBTZUSD", "XDGUSD"]);
    let positions = executor.positions().await.unwrap();
    let symbols: Vec<&str> = positions.iter().map(|t| t.symbol.as_str()).collect();
    assert_eq!(symbols, ["BTC/USD", "DOGE/USD"]);
    // XBT is BTC: a second position is refused before any order.
    let err = executor
        .execute_buy("XBT/USD", "100", None, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::DuplicatePosition);
    assert_eq!(fake.add_order_attempts(), 2);
    let balances = executor.balances().await.unwrap();
    assert!(balances.iter().any(|b| b.currency == "BTC"), "{balances:?}");
    assert!(
        balances.iter().any(|b| b.currency == "DOGE"),
        "{balances:?}"
    );
}

/// (what the exchange does, the kind the host reports, the trade's status,
/// orders the exchange applied)
fn fault_table() -> Vec<(Fault, ErrorKind, TradeStatus, usize)> {
    vec![
        (
            Fault::KrakenError("EOrder:Insufficient funds".into()),
            ErrorKind::InsufficientFunds,
            TradeStatus::Rejected,
            0,
        ),
        (
            Fault::KrakenError("EOrder:Rate limit exceeded".into()),
            ErrorKind::RateLimited,
            TradeStatus::Rejected,
            0,
        ),
        (
            Fault::KrakenError("EAPI:Invalid nonce".into()),
            ErrorKind::OrderRejected,
            TradeStatus::Rejected,
            0,
        ),
        (
            Fault::KrakenError("EGeneral:Invalid arguments:volume".into()),
            ErrorKind::OrderRejected,
            TradeStatus::Rejected,
            0,
        ),
        (
            Fault::KrakenError("EService:Market in cancel_only mode".into()),
            ErrorKind::ExchangeUnavailable,
            TradeStatus::Rejected,
            0,
        ),
        (
            Fault::KrakenError("EService:Unavailable".into()),
            ErrorKind::UnknownOutcome,
            TradeStatus::Pending,
            0,
        ),
        (
            Fault::KrakenError("EGeneral:Internal error".into()),
            ErrorKind::UnknownOutcome,
            TradeStatus::Pending,
            0,
        ),
        (
            Fault::StatusBeforeApply(502),
            ErrorKind::UnknownOutcome,
            TradeStatus::Pending,
            0,
        ),
        (
            Fault::StatusAfterApply(502),
            ErrorKind::UnknownOutcome,
            TradeStatus::Pending,
            1,
        ),
        (
            Fault::StatusAfterApply(520),
            ErrorKind::UnknownOutcome,
            TradeStatus::Pending,
            1,
        ),
        (
            Fault::LoseAnswerAfterApply,
            ErrorKind::UnknownOutcome,
            TradeStatus::Pending,
            1,
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_error_class_is_recorded_as_what_it_proves() {
    for (fault, kind, status, applied) in fault_table() {
        let fake = FakeKraken::start().await;
        let env = TestEnv::kraken(Backend::Sqlite, &fake).await;
        let executor = env.executor().await;
        fake.inject(fault.clone());
        let err = executor
            .execute_buy("ETH/USD", "100", None, None)
            .await
            .unwrap_err();
        assert_eq!(err.kind, kind, "{fault:?}: {err}");
        let trade = &executor.trades(1).await.unwrap()[0];
        assert_eq!(trade.status, status, "{fault:?}");
        assert_eq!(fake.applied_orders().len(), applied, "{fault:?}");
        assert_eq!(fake.add_order_attempts(), 1, "{fault:?}: never re-sent");
        if status == TradeStatus::Pending {
            // The slot stays reserved: a retry is refused, nothing is sent.
            let again = executor
                .execute_buy("ETH/USD", "100", None, None)
                .await
                .unwrap_err();
            assert_eq!(again.kind, ErrorKind::DuplicatePosition, "{fault:?}");
            assert_eq!(fake.add_order_attempts(), 1, "{fault:?}");
        } else {
            executor
                .execute_buy("ETH/USD", "100", None, None)
                .await
                .unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_answer_within_the_timeout_is_a_normal_fill() {
    let fake = FakeKraken::start().await;
    let env = TestEnv::kraken(Backend::Sqlite, &fake).await;
    fake.inject(Fault::Delay(std::time::Duration::from_millis(300)));
    let trade = env
        .executor()
        .await
        .execute_buy("ADA/USD", "20", None, None)
        .await
        .unwrap();
    assert_eq!(trade.status, TradeStatus::Open);
    assert_eq!(fake.applied_orders().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_and_closed_markets_send_nothing() {
    let fake = FakeKraken::start().await;
    let env = TestEnv::kraken(Backend::Sqlite, &fake).await;
    let executor = env.executor().await;
    for status in ["maintenance", "cancel_only", "post_only"] {
        fake.set_system_status(status);
        let err = executor
            .execute_buy("SOL/USD", "100", None, None)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::ExchangeUnavailable, "{status}: {err}");
        assert!(err.message.contains("nothing was sent"), "{err}");
    }
    fake.set_system_status("online");
    fake.set_pair_status("SOLUSD", "cancel_only");
    let err = executor
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::ExchangeUnavailable, "{err}");
    assert_eq!(fake.add_order_attempts(), 0);
    assert_eq!(env.count("SELECT COUNT(*) FROM trades").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_keeps_under_krakens_rest_counter() {
    let fake = FakeKraken::start().await;
    fake.set_rate_limit(3, 4.0);
    let env = TestEnv::kraken(Backend::Sqlite, &fake)
        .await
        .with("KRAKEN_RATE_TIER", "3/4");
    let executor = env.executor().await;
    for _ in 0..8 {
        executor.balances().await.unwrap();
    }
    assert_eq!(
        fake.rate_limit_hits(),
        0,
        "the host waited instead of tripping the counter"
    );
    assert_eq!(
        fake.received()
            .iter()
            .filter(|r| r.path == "/0/private/BalanceEx")
            .count(),
        8
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_status_and_refuses_a_bad_key_without_echoing_it() {
    let fake = FakeKraken::start().await;
    let env = TestEnv::kraken(Backend::Sqlite, &fake).await;
    let ok = env.run(&["--json", "check"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let report = last_json(&ok.stdout);
    assert_eq!(report["exchange_status"], "online");
    assert_eq!(report["driver"]["exchange_id"], "kraken");
    assert!(
        report["credentials"]
            .as_str()
            .unwrap()
            .starts_with("accepted")
    );

    // A well-formed secret that is not the account's.
    let wrong_secret = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZy1zZWNyZXQ=";
    let bad = env
        .command(&["--json", "check"])
        .env("KRAKEN_PRIVATE_KEY", wrong_secret)
        .output()
        .unwrap();
    assert_eq!(error_kind(&bad), "auth");
    assert_eq!(bad.status.code(), Some(18));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("KRAKEN_PRIVATE_KEY"), "{stderr}");
    assert!(
        !stderr.contains(wrong_secret) && !stderr.contains(FakeKraken::API_KEY),
        "{stderr}"
    );
}

on_both_databases!(nonces_strictly_increase_across_processes_and_restarts);

async fn nonces_strictly_increase_across_processes_and_restarts(backend: Backend) {
    let fake = FakeKraken::start().await;
    let env = TestEnv::kraken(backend, &fake).await;
    for _ in 0..3 {
        let out = env.run(&["--json", "balance"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let nonces: Vec<u64> = fake.received().iter().filter_map(|r| r.nonce).collect();
    assert_eq!(nonces.len(), 3);
    assert!(nonces.windows(2).all(|w| w[0] < w[1]), "{nonces:?}");
    assert_eq!(fake.nonce_errors(), 0);
    assert_eq!(fake.signature_errors(), 0);
}

/// Several processes on one key at once: nonces are handed out once each
/// from the database, but requests may still arrive out of order — the
/// documented reason to give each host its own key. Reads retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_processes_on_one_key_never_reuse_a_nonce() {
    let fake = FakeKraken::start().await;
    let env = TestEnv::kraken(Backend::Sqlite, &fake).await;
    env.run(&["positions"]);
    let children: Vec<_> = (0..4)
        .map(|_| {
            env.command(&["--json", "balance", "USD"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut nonces: Vec<u64> = fake.received().iter().filter_map(|r| r.nonce).collect();
    let sent = nonces.len();
    nonces.sort_unstable();
    nonces.dedup();
    assert_eq!(nonces.len(), sent, "a nonce was used twice");
    assert_eq!(fake.signature_errors(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_run_and_bad_input_against_kraken() {
    let fake = FakeKraken::start().await;
    let env = TestEnv::kraken(Backend::Postgres, &fake).await;
    for args in [
        &["buy", "SOL/USD", "--usd", "1e3"][..],
        &["buy", "FOO/USD", "--usd", "100"],
        &["buy", "SOL/USD", "--usd", "0.3"],
    ] {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let out = env.run(&full);
        assert!(!out.status.success(), "{args:?}");
    }
    assert_eq!(fake.add_order_attempts(), 0, "bad input sends no order");
    assert_eq!(env.count("SELECT COUNT(*) FROM trades").await, 0);

    let file = env.path("decisions.jsonl");
    std::fs::write(
        &file,
        [
            r#"{"symbol":"BTC/USD","action":"BUY","amount_usd":"250"}"#,
            r#"{"symbol":"XBT/USD","action":"BUY","amount_usd":"250"}"#,
            r#"{"symbol":"BTC/USD","action":"SELL"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let out = env.run(&["run", "--decisions", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let statuses: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["status"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(statuses, ["executed", "skipped", "executed"]);
    assert_eq!(fake.applied_orders().len(), 2);
    assert_eq!(env.trades_with_status("CLOSED").await, 1);
}

on_both_databases!(nonces_survive_a_restart_with_a_clock_behind);

/// The last nonce per key lives in the database, so a restarted host whose
/// clock is behind the last nonce it used still sends a larger one.
async fn nonces_survive_a_restart_with_a_clock_behind(backend: Backend) {
    let fake = FakeKraken::start().await;
    let env = TestEnv::kraken(backend, &fake).await;
    env.run(&["positions"]); // creates the schema
    let key_id = tradehost::credentials::Credentials::for_profile(
        tradehost::profile::kraken::CREDENTIALS,
        Some(FakeKraken::API_KEY.to_owned()),
        Some(FakeKraken::PRIVATE_KEY.to_owned()),
    )
    .unwrap()
    .key_id();
    let ahead: i64 = chrono::Utc::now().timestamp_micros() + 3_600_000_000; // an hour ahead
    let pool = env.pool().await;
    sqlx::query("INSERT INTO api_nonces (key_id, last_nonce) VALUES ($1, $2)")
        .bind(&key_id)
        .bind(ahead)
        .execute(&pool)
        .await
        .unwrap();
    for _ in 0..2 {
        let out = env.run(&["--json", "balance", "USD"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let nonces: Vec<u64> = fake.received().iter().filter_map(|r| r.nonce).collect();
    let ahead = u64::try_from(ahead).expect("after 1970");
    assert_eq!(nonces, [ahead + 1, ahead + 2]);
    assert_eq!(fake.nonce_errors(), 0);
    // No key material is stored: only the hash-derived id.
    let stored: String = sqlx::query_scalar("SELECT key_id FROM api_nonces")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!stored.contains(FakeKraken::API_KEY));
}
