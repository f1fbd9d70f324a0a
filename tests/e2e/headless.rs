//! `tradehost run`: JSON-line decisions in, one JSON result line out each.

use std::io::Write;
use std::process::Stdio;

use crate::common::{Backend, TestEnv};
use crate::on_both_databases;

on_both_databases!(run_executes_a_decisions_file);

async fn run_executes_a_decisions_file(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let decisions = [
        r#"{"symbol":"SOL/USD","action":"BUY","amount_usd":"100","stop_loss_price":"95"}"#,
        r#"{"symbol":"SOL/USD","action":"BUY","amount_usd":"100"}"#,
        r#"{"symbol":"SOL/USD","action":"HOLD"}"#,
        "",
        r#"{"symbol":"ETH/USD","action":"BUY","amount_usd":50}"#,
        r#"{"symbol":"SOL/USD","action":"SELL"}"#,
        r#"{"symbol":"SOL/USD","action":"SELL"}"#,
        r#"{"symbol":"ADA/USD","action":"BUY","amount_usd":"1e2"}"#,
        r#"{"symbol":"ADA/USD","action":"BUY","amount_usd":12.5}"#,
        r#"{"symbol":"ADA/USD","action":"MOON"}"#,
        r#"{"symbol":"ADA/USD","action":"BUY","amount_usd":"10","leverage":"5"}"#,
        r#"not json"#,
    ];
    let file = env.path("decisions.jsonl");
    std::fs::write(&file, decisions.join("\n")).unwrap();
    let out = env.run(&["run", "--decisions", file.to_str().unwrap()]);
    let results: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let status: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        status,
        [
            "executed", "skipped", "held", "executed", "executed", "skipped", "error", "executed",
            "error", "error", "error"
        ],
        "{results:#?}"
    );
    assert_eq!(results[1]["reason_kind"], "duplicate_position");
    assert_eq!(results[4]["trade"]["status"], "CLOSED");
    assert_eq!(results[6]["error"]["kind"], "invalid_input");
    assert_eq!(results[7]["trade"]["asset"], "ADA");
    assert_eq!(results[3]["line"], 5, "results name their input line");
    assert_eq!(
        out.status.code(),
        Some(20),
        "a run with failed decisions says so"
    );
    assert_eq!(env.trades_with_status("CLOSED").await, 1);
    assert_eq!(env.trades_with_status("OPEN").await, 2);
    assert_eq!(env.exchange_orders().await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_reads_stdin_until_it_closes() {
    let env = TestEnv::new(Backend::Sqlite).await;
    let mut child = env
        .command(&["run"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(
        stdin,
        r#"{{"symbol":"DOGE/USD","action":"BUY","amount_usd":"20"}}"#
    )
    .unwrap();
    writeln!(stdin, r#"{{"symbol":"DOGE/USD","action":"SELL"}}"#).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["trade"]["status"], "CLOSED");
}

/// Different assets side by side, one asset's decisions in order, results
/// in input order — and `--concurrency 1` one request at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_executes_assets_side_by_side_and_each_asset_in_order() {
    let decisions = [
        r#"{"symbol":"SOL/USD","action":"BUY","amount_quote":"100"}"#,
        r#"{"symbol":"ETH/USD","action":"BUY","amount_quote":"100"}"#,
        r#"{"symbol":"SOL/USD","action":"SELL"}"#,
        r#"{"symbol":"BTC/USD","action":"BUY","amount_quote":"100"}"#,
        r#"{"symbol":"ADA/USD","action":"BUY","amount_quote":"100"}"#,
        r#"{"symbol":"ETH/USD","action":"SELL"}"#,
        r#"{"symbol":"SOL/USD","action":"BUY","amount_quote":"100"}"#,
        r#"{"symbol":"SOL/USD","action":"BUY","amount_quote":"100"}"#,
    ];
    for concurrency in ["8", "1"] {
        let fake = crate::fake_kraken::FakeKraken::start().await;
        // Every request takes a while: side by side, they overlap.
        fake.set_latency(std::time::Duration::from_millis(150));
        let env = TestEnv::kraken(Backend::Sqlite, &fake)
            .await
            .with("TRADEHOST_RATE_LIMITS", "off");
        let file = env.path("decisions.jsonl");
        std::fs::write(&file, decisions.join("\n")).unwrap();
        let out = env.run(&[
            "run",
            "--concurrency",
            concurrency,
            "--decisions",
            file.to_str().unwrap(),
        ]);
        let results: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let lines: Vec<u64> = results
            .iter()
            .map(|r| r["line"].as_u64().unwrap())
            .collect();
        assert_eq!(lines, (1..=8).collect::<Vec<_>>(), "results in input order");
        let status: Vec<&str> = results
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        // Each SELL found its BUY done; the second SOL BUY found the first.
        assert_eq!(
            status,
            [
                "executed", "executed", "executed", "executed", "executed", "executed", "executed",
                "skipped"
            ],
            "{results:#?}"
        );
        assert_eq!(results[2]["trade"]["status"], "CLOSED");
        assert_eq!(results[7]["reason_kind"], "duplicate_position");
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(fake.applied_orders().len(), 7);
        let max = fake.max_in_flight();
        if concurrency == "1" {
            assert_eq!(max, 1, "one at a time");
        } else {
            assert!(
                max >= 2,
                "assets went side by side (at most {max} requests at once)"
            );
        }
        crate::common::assert_exchange_and_database_agree(&env, &fake).await;
    }
}
