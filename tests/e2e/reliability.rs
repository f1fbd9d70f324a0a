//! Never a duplicate, never a lost order, on Kraken. Each fault is injected
//! at the fake Kraken on a buy and on a sell; a second host process then
//! reconciles, and both sides must agree (`faults` runs the cases and
//! checks them, for Binance too): every order the exchange applied is a
//! recorded fill, every recorded fill is one applied order, and no client
//! order id was ever executed twice.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tradehost::ErrorKind;

use crate::common::{Backend, assert_exchange_and_database_agree, error_kind, last_json};
use crate::fake_kraken::{FakeKraken, Fault};
use crate::faults::{self, Case, filled_later, never_placed, refused};
use crate::on_both_databases;

/// Kraken's faults, and what each must lead to (the checks: `faults`).
fn cases() -> Vec<Case<Fault>> {
    vec![
        filled_later(Fault::LoseAnswerAfterApply),
        filled_later(Fault::StatusAfterApply(502)),
        filled_later(Fault::StatusAfterApply(520)),
        never_placed(Fault::StatusBeforeApply(502)),
        // Past the client's 1 s timeout, well before the 4 s deadline.
        filled_later(Fault::Delay(Duration::from_millis(1500))),
        never_placed(Fault::KrakenError("EService:Unavailable".into())),
        refused(
            Fault::KrakenError("EAPI:Invalid nonce".into()),
            ErrorKind::OrderRejected,
        ),
        refused(
            Fault::KrakenError("EAPI:Rate limit exceeded".into()),
            ErrorKind::RateLimited,
        ),
    ]
}

on_both_databases!(
    buy_faults_never_duplicate_or_lose_an_order,
    sell_faults_never_duplicate_or_lose_an_order
);

async fn buy_faults_never_duplicate_or_lose_an_order(backend: Backend) {
    faults::buy_faults::<FakeKraken>(backend, cases()).await;
}

async fn sell_faults_never_duplicate_or_lose_an_order(backend: Backend) {
    faults::sell_faults::<FakeKraken>(backend, cases()).await;
}

on_both_databases!(a_host_killed_mid_order_recovers_it_on_restart);

async fn a_host_killed_mid_order_recovers_it_on_restart(backend: Backend) {
    let fake = FakeKraken::start().await;
    let env = faults::env(backend, &fake).await;
    env.run(&["positions"]); // schema in place before the race
    // The exchange takes its time; the host is killed while it waits.
    fake.inject(Fault::Delay(Duration::from_millis(1500)));
    let mut child = env
        .command(&["--json", "buy", "ETH/USD", "--usd", "100"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        fake.wait_until(Duration::from_secs(10), |f| f.add_order_attempts() == 1)
            .await,
        "the order was sent"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(
        env.trades_with_status("PENDING").await,
        1,
        "the slot was reserved before sending"
    );
    assert!(
        fake.wait_until(Duration::from_secs(10), |f| f.applied_orders().len() == 1)
            .await,
        "the exchange executed it"
    );

    // A restarted host settles it before it places anything: once the
    // killed host's deadline has passed, any trading command recovers it.
    let start = Instant::now();
    loop {
        let out = env.run(&["--json", "buy", "ETH/USD", "--usd", "100"]);
        // Never a second ETH order: the slot is held throughout.
        assert_eq!(
            error_kind(&out),
            "duplicate_position",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if env.trades_with_status("OPEN").await == 1 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "not recovered");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let positions = last_json(&env.run(&["--json", "positions"]).stdout);
    assert_eq!(positions[0]["symbol"], "ETH/USD");
    assert_eq!(
        positions[0]["order_id"],
        fake.applied_orders()[0].txid.as_str()
    );
    assert_eq!(fake.add_order_attempts(), 1);
    assert_exchange_and_database_agree(&env, &fake).await;
    let history = last_json(&env.run(&["--json", "trades", "--history"]).stdout);
    let events: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert!(events.contains(&"RECONCILED_FILLED"), "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_exchange_with_unsettled_orders_stops_trading_that_asset() {
    let fake = FakeKraken::start().await;
    let env = faults::env(Backend::Sqlite, &fake).await;
    fake.inject(Fault::StatusBeforeApply(502));
    let out = env.run(&["--json", "buy", "SOL/USD", "--usd", "100"]);
    assert_eq!(error_kind(&out), "unknown_outcome");
    // The exchange goes away (nothing listens on port 9): the asset with an
    // unsettled order cannot be traded until it is settled.
    let unreachable = |args: &[&str]| {
        env.command(args)
            .env("KRAKEN_API_URL", "http://127.0.0.1:9")
            .output()
            .unwrap()
    };
    let out = unreachable(&["--json", "close", "SOL/USD"]);
    assert_eq!(error_kind(&out), "exchange_unavailable");
    let message = last_json(&out.stderr)["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("refusing to trade SOL"), "{message}");
    // Another asset is refused only because the exchange is down, not
    // because of SOL's order.
    let out = unreachable(&["--json", "buy", "ETH/USD", "--usd", "100"]);
    assert_eq!(error_kind(&out), "exchange_unavailable");
    let message = last_json(&out.stderr)["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!message.contains("SOL"), "{message}");
    assert_eq!(fake.add_order_attempts(), 1);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM trades WHERE asset = 'ETH'")
            .await,
        0
    );
}

on_both_databases!(many_hosts_buying_one_asset_place_one_order);

async fn many_hosts_buying_one_asset_place_one_order(backend: Backend) {
    let fake = FakeKraken::start().await;
    let env = faults::env(backend, &fake)
        .await
        .with("TRADEHOST_HTTP_TIMEOUT_SECS", "10");
    env.run(&["positions"]);
    let children: Vec<_> = (0..6)
        .map(|_| {
            env.command(&["--json", "buy", "BTC/USD", "--usd", "200"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    assert_eq!(outputs.iter().filter(|o| o.status.success()).count(), 1);
    for out in outputs.iter().filter(|o| !o.status.success()) {
        assert_eq!(
            error_kind(out),
            "duplicate_position",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(fake.add_order_attempts(), 1);
    assert_exchange_and_database_agree(&env, &fake).await;
}
