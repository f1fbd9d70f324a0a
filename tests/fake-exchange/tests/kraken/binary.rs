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
