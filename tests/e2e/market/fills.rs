//! Fills as a market makes them: worse than the quote, in several trades,
//! partial, below the market's minimum.

use tradehost::domain::trade::TradeStatus;

use super::{env, events};
use crate::common::{Backend, d};
use crate::fake_kraken::{Execution, FakeKraken};
use crate::on_both_databases;

on_both_databases!(a_fill_worse_than_the_quote_is_recorded_and_blocks_nothing);

async fn a_fill_worse_than_the_quote_is_recorded_and_blocks_nothing(backend: Backend) {
    let fake = FakeKraken::start().await;
    let env = env(backend, &fake).await;
    let host = env.executor().await;
    host.execute_buy("ETH/USD", "100", None, None)
        .await
        .unwrap();
    // The market moves 3 % against the buy while it fills, in three trades.
    fake.queue_execution(Execution::default().slippage_bps(300).trades(3));
    let trade = host
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    let applied = fake.applied_orders();
    let fill = &applied[1];
    assert_eq!(
        trade.status,
        TradeStatus::Open,
        "the exchange's fill is the truth"
    );
    assert_eq!(trade.entry_price, Some(fill.price));
    assert_eq!(trade.size, Some(fill.volume));
    assert!(
        fill.cost > d("100"),
        "it cost more than the amount: {}",
        fill.cost
    );
    let slippage = trade.entry_slippage_bps().unwrap();
    assert!(slippage > d("100") && slippage <= d("300"), "{slippage}");
    let trail = events(&env, &trade.id).await;
    let filled = trail.iter().find(|(e, _)| e == "FILLED").unwrap();
    assert!(
        filled.1.as_deref().unwrap().contains("slippage"),
        "{trail:?}"
    );
    // Nothing is stuck: the other position closes normally.
    let eth = host.close("ETH/USD").await.unwrap();
    assert_eq!(eth.status, TradeStatus::Closed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remainder_below_the_minimum_closes_as_dust() {
    let fake = FakeKraken::start().await;
    let env = env(Backend::Sqlite, &fake).await;
    let host = env.executor().await;
    let bought = host
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    // The close fills 95 %: what is left is below SOL's minimum of 0.06.
    fake.queue_execution(Execution::default().fill_ratio("0.95"));
    let closed = host.close("SOL/USD").await.unwrap();
    let sold = fake.applied_orders()[1].volume;
    assert_eq!(closed.status, TradeStatus::Closed, "the slot is free");
    assert_eq!(closed.dust, Some(bought.size.unwrap() - sold));
    assert!(closed.dust.unwrap() < d("0.06"));
    // A buy that fills below the minimum closes at once, as dust.
    fake.queue_execution(Execution::default().fill_ratio("0.05"));
    let tiny = host
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    assert_eq!(tiny.status, TradeStatus::Closed);
    assert!(tiny.dust.is_some());
    host.execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
}
