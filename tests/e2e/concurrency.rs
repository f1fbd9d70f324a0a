//! The one-position rule under contention: threads sharing a host, and
//! separate host processes sharing one database.

use std::sync::Arc;

use tradehost::ErrorKind;

use crate::common::{Backend, TestEnv, error_kind, last_json};
use crate::on_both_databases;

on_both_databases!(
    concurrent_buys_in_one_process_open_one_position,
    concurrent_buys_from_many_processes_open_one_position
);

const CONTENDERS: usize = 8;

async fn concurrent_buys_in_one_process_open_one_position(backend: Backend) {
    let env = TestEnv::new(backend).await;
    // Half share one executor (one pool); half have their own (own pools).
    let shared = Arc::new(env.executor().await);
    let mut tasks = Vec::new();
    for i in 0..CONTENDERS {
        let executor = if i % 2 == 0 {
            shared.clone()
        } else {
            Arc::new(env.executor().await)
        };
        tasks.push(tokio::spawn(async move {
            executor.execute_buy("SOL/USD", "100", None, None).await
        }));
    }
    let mut opened = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => opened += 1,
            Err(err) => assert_eq!(err.kind, ErrorKind::DuplicatePosition, "{err}"),
        }
    }
    assert_eq!(opened, 1);
    assert_eq!(env.trades_with_status("OPEN").await, 1);
    assert_eq!(env.count("SELECT COUNT(*) FROM trades").await, 1);
    assert_eq!(
        env.exchange_orders().await,
        1,
        "exactly one order reached the exchange"
    );
}

async fn concurrent_buys_from_many_processes_open_one_position(backend: Backend) {
    let env = TestEnv::new(backend).await;
    // Migrate once first, so the race is about positions, not the schema.
    env.run(&["positions"]);
    let children: Vec<_> = (0..CONTENDERS)
        .map(|_| {
            env.command(&["--json", "buy", "BTC/USD", "--usd", "200"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let winners = outputs.iter().filter(|o| o.status.success()).count();
    for out in outputs.iter().filter(|o| !o.status.success()) {
        assert_eq!(
            error_kind(out),
            "duplicate_position",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(winners, 1);
    assert_eq!(env.trades_with_status("OPEN").await, 1);
    assert_eq!(
        env.exchange_orders().await,
        1,
        "exactly one order reached the exchange"
    );
}

on_both_databases!(any_number_of_hosts_may_start_at_once_on_a_new_database);

async fn any_number_of_hosts_may_start_at_once_on_a_new_database(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let children: Vec<_> = (0..12)
        .map(|_| {
            env.command(&["--json", "positions"])
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
        assert_eq!(last_json(&out.stdout), serde_json::json!([]));
    }
}
