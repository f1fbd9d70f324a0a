//! The standalone `fake-exchange kraken` server.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Client, buy, http, result};

fn start(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_fake-exchange"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The announced `url=… api_key=… private_key=…` fields.
fn announced(child: &mut Child) -> (String, String, String) {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let field = |name: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {line:?}"))
            .to_owned()
    };
    (field("url"), field("api_key"), field("private_key"))
}

/// Waits up to 10 s for the process to end; its exit status.
fn ended(child: &mut Child) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("still running");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_kraken_until_stdin_closes() {
    let mut child = start(&[
        "kraken",
        "--port",
        "0",
        "--latency-ms",
        "150",
        "--usd",
        "2500",
    ]);
    let (url, key, secret) = announced(&mut child);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let client = Client::at(&url, &key, &secret, None);

    let started = Instant::now();
    let balance = client.call("Balance", &[]).await;
    assert!(started.elapsed() >= Duration::from_millis(150), "latency");
    assert_eq!(result(&balance), &json!({"ZUSD": "2500.0000"}));
    result(&client.add_order(&buy("SOLUSD", "0.1")).await);
    let stats: Value = http(None)
        .get(format!("{url}/__fake/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        stats["requests"],
        json!({"/0/private/AddOrder": 1, "/0/private/Balance": 1})
    );
    assert_eq!(
        (&stats["applied_orders"], &stats["add_order_attempts"]),
        (&json!(1), &json!(1))
    );

    drop(child.stdin.take());
    assert!(ended(&mut child).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_stops_on_sigterm_and_refuses_bad_arguments() {
    let mut child = start(&["kraken", "--ignore-stdin"]);
    let (url, _, _) = announced(&mut child);
    drop(child.stdin.take());
    std::thread::sleep(Duration::from_millis(200));
    assert!(child.try_wait().unwrap().is_none(), "stdin ignored");
    let time = http(None)
        .get(format!("{url}/0/public/Time"))
        .send()
        .await
        .unwrap();
    assert_eq!(time.status(), 200);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(ended(&mut child).success());

    for args in [
        &["no-such-exchange"][..],
        &["kraken", "--port", "x"],
        &["kraken", "--usd"],
        &["kraken", "--what"],
    ] {
        let mut child = start(args);
        let status = ended(&mut child);
        assert_eq!(status.code(), Some(2), "{args:?}");
    }
}

async fn get(url: &str) -> Value {
    let response = http(None).get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.json().await.unwrap()
}

/// `count` Balance calls in a row; how many the rate counter refused.
async fn refused_balance_calls(client: &Client, count: usize) -> usize {
    let mut refused = 0;
    for _ in 0..count {
        let answer = client.call("Balance", &[]).await;
        if answer["error"] == json!(["EAPI:Rate limit exceeded"]) {
            refused += 1;
        } else {
            result(&answer);
        }
    }
    refused
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_the_binary_lists_five_pairs_and_counts_calls() {
    let mut child = start(&["kraken"]);
    let (url, key, secret) = announced(&mut child);
    let pairs = get(&format!("{url}/0/public/AssetPairs")).await;
    let mut ids: Vec<&String> = result(&pairs).as_object().unwrap().keys().collect();
    ids.sort();
    assert_eq!(
        ids,
        ["ADAUSD", "SOLUSD", "XDGUSD", "XETHZUSD", "XXBTZUSD"],
        "no extra pairs"
    );
    let assets = get(&format!("{url}/0/public/Assets")).await;
    assert_eq!(result(&assets).as_object().unwrap().len(), 6);
    // Starter tier: 15 calls, then refusals (the decay is 0.33 a second).
    let client = Client::at(&url, &key, &secret, None);
    assert_eq!(refused_balance_calls(&client, 17).await, 2);
    drop(child.stdin.take());
    assert!(ended(&mut child).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_lists_extra_pairs_switches_the_rate_limit_off_and_logs_requests() {
    let mut child = start(&["kraken", "--extra-pairs", "20", "--no-rate-limit"]);
    let (url, key, secret) = announced(&mut child);

    let pairs = get(&format!("{url}/0/public/AssetPairs")).await;
    let pairs = result(&pairs).as_object().unwrap();
    assert_eq!(pairs.len(), 25);
    for n in ["01", "07", "20"] {
        let pair = &pairs[&format!("TK{n}USD")];
        assert_eq!(pair["wsname"], json!(format!("TK{n}/USD")));
        assert_eq!(pair["base"], json!(format!("TK{n}")));
        assert_eq!(pair["quote"], json!("ZUSD"));
        assert_eq!(pair["status"], json!("online"));
    }
    assert!(!pairs.contains_key("TK21USD"));
    let ticker = get(&format!("{url}/0/public/Ticker?pair=TK20USD")).await;
    assert_eq!(result(&ticker)["TK20USD"]["a"][0], json!("10.01"));
    assert_eq!(result(&ticker)["TK20USD"]["b"][0], json!("9.99"));
    let all = get(&format!("{url}/0/public/Ticker")).await;
    assert_eq!(result(&all).as_object().unwrap().len(), 25);
    let assets = get(&format!("{url}/0/public/Assets")).await;
    let assets = result(&assets).as_object().unwrap();
    assert_eq!(assets.len(), 26);
    assert_eq!(assets["TK13"]["altname"], json!("TK13"));

    // No balance of the new assets is needed: a buy spends ZUSD.
    let client = Client::at(&url, &key, &secret, None);
    let bought = client.add_order(&buy("TK07USD", "5")).await;
    assert_eq!(
        result(&bought)["descr"]["order"],
        json!("buy 5.00000000 TK07USD @ market")
    );
    let balance = client.call("Balance", &[]).await;
    assert_eq!(result(&balance)["TK07"], json!("5.00000000"));
    assert_eq!(refused_balance_calls(&client, 40).await, 0, "no rate limit");

    // The log: every request's path in arrival order, from `since` on.
    let log = get(&format!("{url}/__fake/log")).await;
    assert_eq!(log["total"], json!(46));
    let paths = log["paths"].as_array().unwrap();
    assert_eq!(
        paths[..6],
        [
            "/0/public/AssetPairs",
            "/0/public/Ticker",
            "/0/public/Ticker",
            "/0/public/Assets",
            "/0/private/AddOrder",
            "/0/private/Balance",
        ]
    );
    let tail = get(&format!("{url}/__fake/log?since=44")).await;
    assert_eq!(
        tail,
        json!({"total": 46, "paths": ["/0/private/Balance", "/0/private/Balance"]})
    );
    let bad = http(None)
        .get(format!("{url}/__fake/log?since=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    drop(child.stdin.take());
    assert!(ended(&mut child).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_refuses_bad_extra_pairs() {
    for args in [
        &["kraken", "--extra-pairs", "x"][..],
        &["kraken", "--extra-pairs", "-1"],
        &["kraken", "--extra-pairs", "10001"],
        &["kraken", "--extra-pairs"],
        &["kraken", "--no-rate-limit=yes"],
    ] {
        let mut child = start(args);
        assert_eq!(ended(&mut child).code(), Some(2), "{args:?}");
    }
}
