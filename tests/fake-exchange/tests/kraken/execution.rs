//! Executions: slippage over several trades, partial and empty fills, the
//! queue before the pair default, and Kraken's reported numbers.

use serde_json::{Value, json};

use super::{Client, buy, d, error, result, sell, with};
use fake_exchange::kraken::{Execution, FakeKraken};

/// The order `txid` as QueryOrders reports it, with its trades.
async fn query(client: &Client, txid: &str) -> Value {
    let answer = client
        .call("QueryOrders", &[("txid", txid), ("trades", "true")])
        .await;
    result(&answer)[txid].clone()
}

fn txid(answer: &Value) -> String {
    result(answer)["txid"][0].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slippage_spreads_an_order_over_trades_with_krakens_numbers() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    kraken.set_execution("SOLUSD", Execution::default().slippage_bps(100).trades(3));

    // 1 SOL in three trades from the ask 150.05 to 1 % above it:
    // 0.33333334 @ 150.05, 0.33333333 @ 150.80 (150.80025), 0.33333333 @
    // 151.55 (151.5505); Σ = 150.7999999925.
    let answer = client
        .add_order(&with(buy("SOLUSD", "1"), &[("cl_ord_id", "slip-1")]))
        .await;
    let id = txid(&answer);
    let order = query(&client, &id).await;
    assert_eq!(order["status"], "closed");
    assert_eq!(order["vol_exec"], "1.00000000");
    assert_eq!(
        order["price"], "150.80",
        "average, rounded to pair_decimals"
    );
    assert_eq!(order["cost"], "150.79999", "truncated to cost_decimals");
    assert_eq!(order["fee"], "0.39207997", "0.26 % of the reported cost");
    assert_eq!(order["oflags"], "fciq");
    let trades = order["trades"].as_array().unwrap();
    assert_eq!(trades.len(), 3);
    assert!(trades.iter().all(|t| super::is_txid(t.as_str().unwrap())));

    let applied = &kraken.applied_orders()[0];
    assert_eq!(
        applied.trades,
        [
            (d("0.33333334"), d("150.05")),
            (d("0.33333333"), d("150.80")),
            (d("0.33333333"), d("151.55")),
        ]
    );
    assert_eq!((applied.volume, applied.requested_volume), (d("1"), d("1")));
    assert_eq!((applied.price, applied.cost), (d("150.80"), d("150.79999")));
    assert_ne!(applied.cost / applied.volume, applied.price);
    assert_eq!(
        (applied.fee, applied.fee_asset.as_str()),
        (d("0.39207997"), "ZUSD")
    );
    assert_eq!(applied.status, "closed");
    // Balances move by the reported cost and fee.
    assert_eq!(kraken.balance("ZUSD"), d("9848.80793003"));
    assert_eq!(kraken.balance("SOL"), d("1"));

    // A sell steps down from the bid: 4 trades, 30 bps, XBT prices to 0.1.
    kraken.set_balance("XXBT", "1");
    kraken.queue_execution(Execution::default().slippage_bps(30).trades(4));
    let answer = client
        .add_order(&with(sell("XBTUSD", "0.05"), &[("oflags", "fciq")]))
        .await;
    let order = query(&client, &txid(&answer)).await;
    let sold = &kraken.applied_orders()[1];
    let prices: Vec<_> = sold.trades.iter().map(|t| t.1).collect();
    assert_eq!(
        prices,
        [d("59990.0"), d("59930.0"), d("59870.0"), d("59810.0")]
    );
    assert_eq!(
        (&order["price"], &order["cost"]),
        (&json!("59900.0"), &json!("2995.00000"))
    );
    assert_eq!(order["trades"].as_array().unwrap().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_and_empty_fills_cancel_the_rest() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);

    // 40 % of 0.12345679 is 0.049382716, rounded down to 8 dp.
    kraken.queue_execution(Execution::default().fill_ratio("0.4"));
    let answer = client
        .add_order(&with(
            buy("SOLUSD", "0.12345679"),
            &[("cl_ord_id", "part-1")],
        ))
        .await;
    let order = query(&client, &txid(&answer)).await;
    assert_eq!(order["status"], "canceled");
    assert_eq!(order["reason"], "Insufficient liquidity");
    assert_eq!(order["misc"], "partial");
    assert_eq!(order["vol"], "0.12345679");
    assert_eq!(order["vol_exec"], "0.04938271");
    assert_eq!(order["cost"], "7.40987");
    assert_eq!(order["fee"], "0.01926566");
    assert_eq!(order["price"], "150.05");
    let applied = kraken.applied_orders();
    assert_eq!(applied.len(), 1, "a partial fill is an applied order");
    assert_eq!(applied[0].status, "canceled");
    assert_eq!(
        (applied[0].volume, applied[0].requested_volume),
        (d("0.04938271"), d("0.12345679"))
    );
    assert_eq!(kraken.balance("SOL"), d("0.04938271"));
    assert_eq!(
        kraken.balance("ZUSD"),
        d("10000") - d("7.40987") - d("0.01926566")
    );

    // Nothing fills: canceled, vol_exec 0, no trades, nothing moves.
    kraken.queue_execution(Execution::default().fill_ratio("0"));
    let answer = client
        .add_order(&with(buy("SOLUSD", "0.5"), &[("cl_ord_id", "empty-1")]))
        .await;
    let id = txid(&answer);
    let order = query(&client, &id).await;
    assert_eq!(
        (&order["status"], &order["vol_exec"], &order["price"]),
        (&json!("canceled"), &json!("0.00000000"), &json!("0.00000"))
    );
    assert_eq!(order["cost"], "0.00000");
    assert_eq!(order["misc"], "");
    assert!(order.get("trades").is_none());
    assert_eq!(
        kraken.applied_orders().len(),
        1,
        "a zero fill is not applied"
    );
    assert_eq!(kraken.orders_for_client_id("empty-1"), 0);
    assert_eq!(kraken.balance("SOL"), d("0.04938271"));
    let closed = client
        .call("ClosedOrders", &[("cl_ord_id", "empty-1")])
        .await;
    assert_eq!(
        result(&closed)["closed"][&id]["reason"],
        "Insufficient liquidity"
    );
    assert_eq!(kraken.ledger().executed.get("empty-1"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_executions_go_first_in_first_out_before_the_pair_default() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    kraken.set_execution("SOLUSD", Execution::default().slippage_bps(50));
    kraken.queue_execution(Execution::default().fill_ratio("0.5"));
    kraken.queue_execution(Execution::default().slippage_bps(200).trades(2));
    assert_eq!(kraken.queued_executions(), 2);

    // Refused orders leave the queue alone.
    assert_eq!(
        error(&client.add_order(&buy("XBTUSD", "1")).await),
        Some("EOrder:Insufficient funds")
    );
    result(
        &client
            .add_order(&with(buy("SOLUSD", "0.1"), &[("validate", "true")]))
            .await,
    );
    assert_eq!(kraken.queued_executions(), 2);

    // The first queued one applies to whatever pair comes next.
    result(&client.add_order(&buy("ETHUSD", "0.01")).await);
    // The second: 2 trades, from the ask to 2 % above (153.051 → 153.05).
    result(&client.add_order(&buy("SOLUSD", "0.2")).await);
    assert_eq!(kraken.queued_executions(), 0);
    // Then the pair default (one trade at the ask + 0.5 %: 150.80025 → 150.80),
    // and the plain default on other pairs.
    result(&client.add_order(&buy("SOLUSD", "0.2")).await);
    result(&client.add_order(&buy("ETHUSD", "0.01")).await);

    let applied = kraken.applied_orders();
    assert_eq!(
        (applied[0].volume, applied[0].status.as_str()),
        (d("0.005"), "canceled")
    );
    assert_eq!(
        applied[1].trades,
        [(d("0.1"), d("150.05")), (d("0.1"), d("153.05"))]
    );
    assert_eq!(applied[1].price, d("151.55"));
    assert_eq!(applied[2].trades, [(d("0.2"), d("150.80"))]);
    assert_eq!(applied[3].trades, [(d("0.01"), d("3000.50"))]);
    assert_eq!(applied[3].status, "closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn funds_cover_the_worst_price_and_the_ledger_nets_each_client_id() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    // 66.4 SOL fit 10000 USD at the ask, not 1 % above it.
    kraken.set_execution("SOLUSD", Execution::default().slippage_bps(100).trades(2));
    assert_eq!(
        error(&client.add_order(&buy("SOLUSD", "66.4")).await),
        Some("EOrder:Insufficient funds")
    );
    kraken.set_execution("SOLUSD", Execution::default());

    result(
        &client
            .add_order(&with(buy("SOLUSD", "2"), &[("cl_ord_id", "pos-1")]))
            .await,
    );
    kraken.queue_execution(Execution::default().fill_ratio("0.25"));
    result(
        &client
            .add_order(&with(
                sell("SOLUSD", "1"),
                &[("cl_ord_id", "exit-1"), ("oflags", "fciq")],
            ))
            .await,
    );
    result(
        &client
            .add_order(&with(
                sell("SOLUSD", "0.5"),
                &[("cl_ord_id", "exit-1"), ("oflags", "fciq")],
            ))
            .await,
    );
    let ledger = kraken.ledger();
    assert_eq!(ledger.executed["pos-1"], d("2"));
    assert_eq!(ledger.executed["exit-1"], d("-0.75"));
    assert_eq!(ledger.balances["SOL"], d("1.25"));
    assert_eq!(ledger.balances["ZUSD"], kraken.balance("ZUSD"));
}
