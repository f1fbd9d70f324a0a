//! Bounded time, memory, output and storage per driver; each limit is named
//! when hit, and the host serves the next call.

use std::time::{Duration, Instant};

use tradehost::exchange::ExchangeDriver;

use super::{evil, evil_env, plugin_error, sol};
use crate::common::{error_kind, last_json};
use crate::fake_kraken::FakeKraken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runaway_drivers_are_stopped_and_named_and_the_host_serves_on() {
    let fake = FakeKraken::start().await;
    for (attack, limit) in [
        ("spin", "time limit"),
        ("memory-bomb", "memory limit"),
        ("trap", "trapped"),
        // A 48 MiB result hits the size cap before anything reads it.
        ("huge-result", "result size cap"),
    ] {
        let (_env, host) = evil(&fake, attack, "ticker").await;
        let message = plugin_error(host.driver().ticker(&sol()).await);
        assert!(message.contains(limit), "{attack}: {message}");
        assert!(
            message.len() < 2_000,
            "{attack}: the message is cut, not 48 MiB"
        );
        // The same driver, the next call: a fresh instance answers.
        assert!(
            host.driver().status().await.is_ok(),
            "{attack}: the host stopped serving"
        );
        assert!(host.driver().market_rules(&sol()).await.is_ok(), "{attack}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_flood_is_cut_before_it_reaches_the_hosts_log() {
    let fake = FakeKraken::start().await;
    let env = evil_env(&fake, "huge-log", "status").await;
    // 100 000 lines of 10 KiB (about 1 GiB) asked for; `check` calls status.
    let out = env
        .command(&["check"])
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines = stderr
        .lines()
        .filter(|l| l.contains("evil huge-log"))
        .count();
    assert!(
        (1..=1_000).contains(&lines),
        "{lines} driver lines reached the log"
    );
    assert!(
        stderr.len() < 1 << 20,
        "{} bytes reached the log",
        stderr.len()
    );
    assert!(stderr.contains("lines dropped"), "the drop is reported");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describing_itself_runs_under_the_same_budget() {
    let fake = FakeKraken::start().await;
    let env = evil_env(&fake, "info-sleep", "info")
        .await
        .with("TRADEHOST_DRIVER_CALL_SECS", "2");
    let started = Instant::now();
    let out = env.run(&["--json", "positions"]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "load was not bounded"
    );
    assert_eq!(error_kind(&out), "plugin");
    let message = last_json(&out.stderr)["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("time limit"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver_state_has_a_quota() {
    let fake = FakeKraken::start().await;
    let env = evil_env(&fake, "state-flood", "status")
        .await
        .with("TRADEHOST_DRIVER_CALL_SECS", "60");
    let host = env.executor().await;
    let message = plugin_error(host.driver().status().await);
    assert!(message.contains("driver state is full"), "{message}");
    let pool = env.pool().await;
    let (keys, bytes): (i64, i64) =
        sqlx::query_as("SELECT key_count, byte_count FROM driver_state_usage")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert!(keys <= tradehost::db::driver_state::MAX_KEYS, "{keys} keys");
    assert!(
        bytes <= tradehost::db::driver_state::MAX_TOTAL_BYTES,
        "{bytes} bytes"
    );
    assert!(
        bytes > tradehost::db::driver_state::MAX_TOTAL_BYTES - (2 << 20),
        "the quota, not another limit, stopped it"
    );
    let stored: i64 = env.count("SELECT COUNT(*) FROM driver_state").await;
    assert_eq!(stored, keys, "the usage is the store's own count");
    assert!(
        host.driver().market_rules(&sol()).await.is_ok(),
        "the host serves on"
    );
}
