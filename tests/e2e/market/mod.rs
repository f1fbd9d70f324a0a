//! Correct under a real market: slippage, partial fills, fee currencies,
//! racing sells, paged order history, clocks that disagree. The live kraken
//! driver against a fake Kraken that behaves like a market.

mod fills;
mod reconcile;
mod sells;

use crate::common::{Backend, TestEnv};
use crate::fake_kraken::FakeKraken;

async fn env(backend: Backend, fake: &FakeKraken) -> TestEnv {
    TestEnv::kraken(backend, fake)
        .await
        .with("TRADEHOST_ORDER_DEADLINE_SECS", "2")
        .with("TRADEHOST_RECONCILE_GRACE_SECS", "1")
        .with("TRADEHOST_HTTP_TIMEOUT_SECS", "1")
}

/// The audit trail's messages for one trade, in order.
async fn events(env: &TestEnv, trade_id: &str) -> Vec<(String, Option<String>)> {
    let pool = env.pool().await;
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT event, message FROM order_events WHERE trade_id = $1 ORDER BY id")
            .bind(trade_id)
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    rows
}
