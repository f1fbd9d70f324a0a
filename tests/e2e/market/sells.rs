//! Sells: a close right after the buy, fees in the quote, the exchange's
//! average as the exit price, racing sells, a settled sell never applied
//! twice.

use std::time::Duration;

use rust_decimal::Decimal;
use tradehost::ErrorKind;
use tradehost::domain::trade::TradeStatus;

use super::{env, events};
use crate::common::{Backend, TestEnv, d};
use crate::fake_kraken::{FakeKraken, Fault};
use crate::on_both_databases;

on_both_databases!(
    a_position_can_be_closed_right_after_the_buy,
    a_settled_sell_is_never_applied_again
);

async fn a_position_can_be_closed_right_after_the_buy(backend: Backend) {
    let fake = FakeKraken::start().await;
    let env = env(backend, &fake).await;
    let host = env.executor().await;
    // The account holds nothing but this position.
    let bought = host
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    assert_eq!(Some(fake.balance("SOL")), bought.size);
    let closed = host.close("SOL/USD").await.unwrap();
    assert_eq!(closed.status, TradeStatus::Closed);
    assert_eq!(fake.balance("SOL"), Decimal::ZERO, "all of it was sold");
    // Fees in the quote currency, always: the driver asks for it.
    for order in fake.received_on("/0/private/AddOrder") {
        assert_eq!(order.param("oflags"), Some("fciq"));
    }
    assert!(fake.applied_orders().iter().all(|o| o.fee_asset == "ZUSD"));
}

/// A slow second settler of a sell that was settled — and whose trade has
/// since been claimed by a new sell — changes nothing.
async fn a_settled_sell_is_never_applied_again(backend: Backend) {
    use tradehost::db::{EventKind, NewSell, Settling};
    use tradehost::domain::trade::FillUpdate;
    use tradehost::exchange::Fee;

    let env = TestEnv::new(backend).await;
    let host = env.executor().await;
    let trade = host
        .execute_buy("SOL/USD", "300", None, None)
        .await
        .unwrap();
    let size = trade.size.unwrap();
    let db = host.database();
    let now = chrono::Utc::now();
    let sell = |id: &str, open: Decimal| NewSell {
        trade_id: trade.id.clone(),
        client_order_id: id.to_owned(),
        symbol: "SOL/USD".into(),
        amount: d("0.5"),
        open_size: open,
        quote_price: None,
        reason: tradehost::domain::trade::ExitReason::Manual,
        now,
        deadline: now + chrono::Duration::seconds(30),
    };
    db.claim_sell(&sell("sell-a", size)).await.unwrap();
    let fill = FillUpdate {
        order_id: "OSELLA-00000-000001".into(),
        filled_size: d("0.5"),
        average_price: d("150"),
        cost: d("75"),
        fees: vec![Fee {
            amount: d("0.195"),
            currency: "USD".into(),
        }],
        fee_value: d("0.195"),
        quote: "USD".into(),
        slippage_bps: None,
        now,
        acknowledged: false,
    };
    let current = db.trade(&trade.id).await.unwrap();
    let result = tradehost::domain::trade::SellResult {
        size_before: size,
        size: size - d("0.5"),
        exit_price: d("150"),
        exit_size: d("0.5"),
        exit_value: d("75"),
        exit_fees: d("0.195"),
        fees: current.fees + d("0.195"),
        other_fees: vec![],
        pnl: d("1"),
        closed: false,
        dust: None,
        exit_reason: None,
    };
    let settling = Settling {
        trade_id: &trade.id,
        client_order_id: "sell-a",
        kind: EventKind::ReconciledFilled,
    };
    let once = db.apply_sell_fill(settling, &fill, &result).await.unwrap();
    assert_eq!(once.size, Some(size - d("0.5")));
    // A new sell claims the trade.
    db.claim_sell(&sell("sell-b", size - d("0.5")))
        .await
        .unwrap();
    // The slow settler of sell A arrives now: nothing changes.
    let again = db.apply_sell_fill(settling, &fill, &result).await.unwrap();
    assert_eq!(
        again.size,
        Some(size - d("0.5")),
        "the fill was not applied twice"
    );
    assert_eq!(
        again.status,
        TradeStatus::Closing,
        "sell B still holds the claim"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM order_events WHERE client_order_id = 'sell-a' AND event = 'RECONCILED_FILLED'").await,
        1
    );
    // Nor can sell A's late refusal free sell B's claim.
    let late = tradehost::Error::new(ErrorKind::OrderRejected, "late");
    db.reject_order(settling, &late, now).await.unwrap();
    assert_eq!(
        db.trade(&trade.id).await.unwrap().status,
        TradeStatus::Closing
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sells_of_one_position_never_sell_more_than_it_holds() {
    let fake = FakeKraken::start().await;
    // Other SOL on the account: the exchange would not stop an oversell.
    fake.set_balance("SOL", "10");
    let env = env(Backend::Sqlite, &fake)
        .await
        .with("TRADEHOST_HTTP_TIMEOUT_SECS", "5");
    let host = env.executor().await;
    let bought = host
        .execute_buy("SOL/USD", "200", None, None)
        .await
        .unwrap();
    let held = bought.size.unwrap();
    // Both sellers loaded up front: the race below is only theirs.
    let closer = env.executor().await;
    let seller = env.executor().await;
    // The close reads the size, then waits on the exchange's status...
    fake.inject_on(
        "/0/public/SystemStatus",
        Fault::Delay(Duration::from_millis(2000)),
    );
    let close = tokio::spawn(async move { closer.close("SOL/USD").await });
    assert!(
        fake.wait_until(Duration::from_secs(5), |f| f.faults_fired() == 1)
            .await
    );
    // ...while a partial sell goes through.
    let partial = seller
        .execute_sell("SOL/USD", Some("0.8"), None)
        .await
        .unwrap();
    assert_eq!(partial.size, Some(held - d("0.8")));
    let err = close.await.unwrap().unwrap_err();
    assert!(err.message.contains("open size changed"), "{err}");
    let sold: Decimal = fake
        .applied_orders()
        .iter()
        .filter(|o| o.side == "sell")
        .map(|o| o.volume)
        .sum();
    assert_eq!(sold, d("0.8"), "never more than the position");
    // The refusal is on record, and the rest can be closed.
    let trail = events(&env, &bought.id).await;
    assert!(trail.iter().any(|(e, m)| e == "DENIED" && m.as_deref().unwrap_or("").contains("open size changed")), "{trail:?}");
    let closed = host.close("SOL/USD").await.unwrap();
    assert_eq!(closed.status, TradeStatus::Closed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exit_price_is_the_exchanges_average_price() {
    let fake = FakeKraken::start().await;
    let env = env(Backend::Sqlite, &fake).await;
    let host = env.executor().await;
    host.execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    let closed = host.close("SOL/USD").await.unwrap();
    let sell = &fake.applied_orders()[1];
    // Kraken truncates cost, so cost / volume is not the price it reports.
    assert_ne!(sell.cost / sell.volume, sell.price);
    assert_eq!(closed.exit_price, Some(sell.price));
}
