//! The soft stop-loss / take-profit monitor: it sells when the market
//! reaches a stop, and never on a price it cannot vouch for.

use std::time::Duration;

use super::{Server, sample, serving};
use crate::common::{Backend, TestEnv, assert_exchange_and_database_agree, last_json};
use crate::fake_kraken::{FakeKraken, Fault};
use crate::on_both_databases;

on_both_databases!(stops_close_positions_when_the_market_reaches_them);

const WITHIN: Duration = Duration::from_secs(30);

async fn stops_close_positions_when_the_market_reaches_them(backend: Backend) {
    let env = serving(TestEnv::new(backend).await);
    let server = Server::start(&env).await;
    let mut ids = Vec::new();
    for (key, body) in [
        (
            "sol",
            r#"{"symbol":"SOL/USD","action":"BUY","amount_usd":"100","stop_loss_price":"140"}"#,
        ),
        (
            "btc",
            r#"{"symbol":"BTC/USD","action":"BUY","amount_usd":"100","take_profit_price":"61000"}"#,
        ),
        (
            "doge",
            r#"{"symbol":"DOGE/USD","action":"BUY","amount_usd":"100","stop_loss_price":"0.10","take_profit_price":"0.30"}"#,
        ),
    ] {
        let answer = server.order(key, body).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        ids.push(answer.body["trade"]["id"].as_str().unwrap().to_owned());
    }
    let (sol, btc, doge) = (&ids[0], &ids[1], &ids[2]);

    // The operator moves the simulated market: SOL falls through its stop.
    let moved = env.run(&["--json", "sandbox", "set-price", "SOL/USD", "139"]);
    assert!(
        moved.status.success(),
        "{}",
        String::from_utf8_lossy(&moved.stderr)
    );
    let closed = server
        .wait_for_trade(sol, WITHIN, |t| t["status"] == "CLOSED")
        .await;
    assert_eq!(closed["exit_reason"], "stop_loss");
    let exit: f64 = closed["exit_price"].as_str().unwrap().parse().unwrap();
    assert!(exit < 140.0, "sold at the fallen bid, not the stop: {exit}");
    assert!(closed["pnl"].as_str().unwrap().starts_with('-'), "{closed}");

    // BTC rises through its target.
    let moved = env.run(&["sandbox", "set-price", "BTC/USD", "62000"]);
    assert!(
        moved.status.success(),
        "{}",
        String::from_utf8_lossy(&moved.stderr)
    );
    let closed = server
        .wait_for_trade(btc, WITHIN, |t| t["status"] == "CLOSED")
        .await;
    assert_eq!(closed["exit_reason"], "take_profit");
    assert!(
        !closed["pnl"].as_str().unwrap().starts_with('-'),
        "{closed}"
    );

    // DOGE's stops were never reached: it stays open, through more rounds.
    let checks = sample(&server.metrics().await, "tradehost_monitor_checks_total");
    // The monitor goes on looking.
    server
        .wait_for_sample("tradehost_monitor_checks_total", checks + 3.0, WITHIN)
        .await;
    assert_eq!(server.trade(doge).await["status"], "OPEN");
    let metrics = server.metrics().await;
    assert_eq!(
        sample(
            &metrics,
            r#"tradehost_monitor_triggers_total{reason="stop_loss"}"#
        ),
        1.0,
        "{metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            r#"tradehost_monitor_triggers_total{reason="take_profit"}"#
        ),
        1.0
    );
    assert_eq!(env.exchange_orders().await, 5);

    // Bad input to the sandbox changes nothing.
    let stored = env.driver_state().await;
    for bad in [
        vec!["sandbox", "set-price", "NOPE/USD", "1"],
        vec!["sandbox", "set-price", "SOL/USD", "-1"],
        vec!["sandbox", "set-price", "SOL/USD", "abc"],
    ] {
        let out = env.run(&bad);
        assert!(!out.status.success(), "{bad:?} was accepted");
    }
    assert_eq!(env.driver_state().await, stored, "nothing stored");
    assert_eq!(env.exchange_orders().await, 5, "no order");
    assert_eq!(env.trades_with_status("OPEN").await, 1, "DOGE alone open");
    let cleared = env.run(&["--json", "sandbox", "set-price", "SOL/USD", "--clear"]);
    assert!(cleared.status.success());
    assert_eq!(last_json(&cleared.stdout)["price"], serde_json::Value::Null);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM driver_state WHERE key = 'price/SOL/USD' AND value = ''")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stop_acts_on_a_price_it_cannot_vouch_for() {
    let fake = FakeKraken::start().await;
    let env = serving(TestEnv::kraken(Backend::Sqlite, &fake).await)
        .with("TRADEHOST_RATE_LIMITS", "off")
        .with("TRADEHOST_MONITOR_MAX_PRICE_AGE_SECS", "0.4");
    let server = Server::start(&env).await;
    let bought = server
        .order(
            "sol",
            r#"{"symbol":"SOL/USD","action":"BUY","amount_quote":"100","stop_loss_price":"140"}"#,
        )
        .await;
    assert_eq!(bought.status, 200, "{}", bought.body);
    let id = bought.body["trade"]["id"].as_str().unwrap().to_owned();
    let eth = server
        .order(
            "eth",
            r#"{"symbol":"ETH/USD","action":"BUY","amount_quote":"100","take_profit_price":"3100"}"#,
        )
        .await;
    assert_eq!(eth.status, 200, "{}", eth.body);
    let eth = eth.body["trade"]["id"].as_str().unwrap().to_owned();
    let skips = |why: &str| format!(r#"tradehost_monitor_skips_total{{why="{why}"}}"#);
    let wait_for_skips = |why: String, at_least: f64| {
        let server = &server;
        async move { server.wait_for_sample(&why, at_least, WITHIN).await }
    };
    // Both buys, and nothing else, reached the exchange.
    assert_eq!(fake.add_order_attempts(), 2);

    // The price crashes through the stop during maintenance: nothing is
    // sold while the exchange is not online.
    fake.set_system_status("maintenance");
    fake.set_ticker("SOLUSD", "120.00", "120.10", "120.05");
    wait_for_skips(skips("exchange_not_online"), 3.0).await;
    assert_eq!(server.trade(&id).await["status"], "OPEN");
    assert_eq!(fake.applied_orders().len(), 2);
    assert_eq!(
        fake.add_order_attempts(),
        2,
        "a sell tried while not online"
    );
    let ready = server.get("/readyz").await;
    assert_eq!(
        ready.status, 503,
        "not ready during maintenance: {}",
        ready.body
    );

    // Online again, but the prices arrive late: still nothing sold.
    for _ in 0..4 {
        fake.inject_on("/0/public/Ticker", Fault::Delay(Duration::from_millis(700)));
    }
    fake.set_system_status("online");
    wait_for_skips(skips("stale_prices"), 3.0).await;
    assert_eq!(fake.applied_orders().len(), 2, "sold on a stale price");
    assert_eq!(
        fake.add_order_attempts(),
        2,
        "a sell tried on a stale price"
    );

    // Fresh prices: the stop acts, once.
    let closed = server
        .wait_for_trade(&id, WITHIN, |t| t["status"] == "CLOSED")
        .await;
    assert_eq!(closed["exit_reason"], "stop_loss");
    assert_eq!(fake.pending_faults_on("/0/public/Ticker"), 0);
    assert_eq!(fake.applied_orders().len(), 3);
    assert_eq!(fake.add_order_attempts(), 3, "the stop acted once");
    assert_eq!(server.trade(&eth).await["status"], "OPEN");

    // ETH rises through its target: sold at the market, above it.
    fake.set_ticker("XETHZUSD", "3150.00", "3151.00", "3150.50");
    let closed = server
        .wait_for_trade(&eth, WITHIN, |t| t["status"] == "CLOSED")
        .await;
    assert_eq!(closed["exit_reason"], "take_profit");
    assert_eq!(closed["exit_price"], "3150");
    assert_eq!(fake.applied_orders().len(), 4);
    assert_eq!(fake.add_order_attempts(), 4, "the target acted once");
    assert_exchange_and_database_agree(&env, &fake).await;
    let metrics = server.metrics().await;
    assert!(
        sample(&metrics, "tradehost_monitor_price_age_seconds") > 0.0,
        "{metrics}"
    );
}
