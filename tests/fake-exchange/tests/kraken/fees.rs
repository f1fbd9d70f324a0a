//! Fee currency: `fcib` / `fciq`, and Kraken's default (quote on buys,
//! base on sells).

use serde_json::Value;

use super::{Client, buy, d, error, result, sell, with};
use fake_exchange::kraken::FakeKraken;

async fn last_order(client: &Client, kraken: &FakeKraken) -> Value {
    let txid = kraken.applied_orders().last().unwrap().txid.clone();
    let answer = client.call("QueryOrders", &[("txid", &txid)]).await;
    result(&answer)[&txid].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sell_without_oflags_pays_its_fee_in_base() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    // 1 SOL at the bid 149.95; fee 0.26 % of 1 SOL = 0.0026 SOL, so the
    // sell needs 1.0026 SOL.
    kraken.set_balance("SOL", "1.0025");
    assert_eq!(
        error(&client.add_order(&sell("SOLUSD", "1")).await),
        Some("EOrder:Insufficient funds")
    );
    kraken.set_balance("SOL", "1.0026");
    result(&client.add_order(&sell("SOLUSD", "1")).await);
    let applied = kraken.applied_orders()[0].clone();
    assert_eq!(
        (applied.fee, applied.fee_asset.as_str(), applied.cost),
        (d("0.0026"), "SOL", d("149.95"))
    );
    assert_eq!(kraken.balance("SOL"), d("0"));
    assert_eq!(
        kraken.balance("ZUSD"),
        d("10149.95"),
        "the whole cost, no fee"
    );
    let order = last_order(&client, &kraken).await;
    assert_eq!(order["oflags"], "fcib");
    assert_eq!(order["fee"], "0.00260000");

    // A buy without oflags pays in quote.
    result(&client.add_order(&buy("SOLUSD", "1")).await);
    let order = last_order(&client, &kraken).await;
    assert_eq!(
        (order["oflags"].as_str(), order["fee"].as_str()),
        (Some("fciq"), Some("0.39013000"))
    );
    assert_eq!(kraken.applied_orders()[1].fee_asset, "ZUSD");
    assert_eq!(kraken.balance("SOL"), d("1"));

    // The base fee rounds to lot_decimals, half away from zero:
    // 0.060025 × 0.0026 = 0.000156065 → 0.00015607.
    kraken.set_balance("SOL", "0.06018107");
    result(&client.add_order(&sell("SOLUSD", "0.060025")).await);
    assert_eq!(kraken.applied_orders()[2].fee, d("0.00015607"));
    assert_eq!(kraken.balance("SOL"), d("0.00000000"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oflags_choose_the_fee_currency() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);

    // fcib on a buy: funds need only the cost; the fee comes off the base.
    kraken.set_balance("ZUSD", "150.05");
    assert_eq!(
        error(&client.add_order(&buy("SOLUSD", "1")).await),
        Some("EOrder:Insufficient funds"),
        "fciq needs cost + fee"
    );
    result(
        &client
            .add_order(&with(buy("SOLUSD", "1"), &[("oflags", "fcib")]))
            .await,
    );
    assert_eq!(kraken.balance("ZUSD"), d("0"));
    assert_eq!(kraken.balance("SOL"), d("0.9974"));
    let order = last_order(&client, &kraken).await;
    assert_eq!(
        (order["oflags"].as_str(), order["fee"].as_str()),
        (Some("fcib"), Some("0.00260000"))
    );
    assert_eq!(kraken.applied_orders()[0].fee_asset, "SOL");

    // fciq on a sell: base needs only the volume; the fee comes off the cost.
    result(
        &client
            .add_order(&with(sell("SOLUSD", "0.9974"), &[("oflags", "fciq,nompp")]))
            .await,
    );
    // 0.9974 × 149.95 = 149.56013; fee 0.38885634.
    assert_eq!(kraken.balance("SOL"), d("0"));
    assert_eq!(kraken.balance("ZUSD"), d("149.56013") - d("0.38885634"));
    let order = last_order(&client, &kraken).await;
    assert_eq!(order["oflags"], "fciq,nompp");
    assert_eq!(order["fee"], "0.38885634");

    // nompp alone keeps the default fee currency, shown in force.
    kraken.set_balance("XXBT", "1");
    result(
        &client
            .add_order(&with(sell("XBTUSD", "0.01"), &[("oflags", "nompp")]))
            .await,
    );
    let order = last_order(&client, &kraken).await;
    assert_eq!(order["oflags"], "fcib,nompp");
    assert_eq!(order["fee"], "0.00002600");
    assert_eq!(kraken.balance("XXBT"), d("0.989974"));

    for flags in ["fcib,fciq", "post", "viqc", "fcib,bogus"] {
        let answer = client
            .add_order(&with(buy("SOLUSD", "0.1"), &[("oflags", flags)]))
            .await;
        assert_eq!(
            error(&answer),
            Some("EGeneral:Invalid arguments:oflags"),
            "{flags}"
        );
    }
}
