//! AddOrder fills, QueryOrders, OpenOrders and ClosedOrders.

use serde_json::json;

use super::{ADD, Client, buy, d, error, is_txid, result};
use fake_exchange::kraken::FakeKraken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_market_order_fills_at_the_quote_with_the_exact_fee() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);

    let mut params = buy("SOLUSD", "0.6663113");
    params.push(("cl_ord_id", "sol-buy-1"));
    let answer = client.add_order(&params).await;
    let res = result(&answer);
    assert_eq!(
        res["descr"],
        json!({"order": "buy 0.66631130 SOLUSD @ market"})
    );
    let txid = res["txid"][0].as_str().unwrap().to_owned();
    assert!(is_txid(&txid), "{txid}");
    assert_eq!(res["txid"].as_array().unwrap().len(), 1);

    // cost = 0.6663113 × 150.05 (the ask) = 99.980010565, truncated to the
    // pair's 5 cost decimals; fee = 0.26 % of that cost, 8 dp.
    let applied = kraken.applied_orders();
    assert_eq!(applied.len(), 1);
    let order = &applied[0];
    assert_eq!(order.txid, txid);
    assert_eq!(
        (order.pair.as_str(), order.side.as_str()),
        ("SOLUSD", "buy")
    );
    assert_eq!(order.volume, d("0.6663113"));
    assert_eq!(order.price, d("150.05"));
    assert_eq!(order.cost, d("99.98001"));
    assert_eq!(order.fee, d("0.25994803"));
    assert_eq!(order.cl_ord_id.as_deref(), Some("sol-buy-1"));
    assert_eq!(kraken.orders_for_client_id("sol-buy-1"), 1);
    assert_eq!(kraken.balance("ZUSD"), d("9899.76004197"));
    assert_eq!(kraken.balance("SOL"), d("0.6663113"));

    let balance = client.call("Balance", &[]).await;
    assert_eq!(
        result(&balance),
        &json!({"SOL": "0.6663113000", "ZUSD": "9899.76004197"})
    );
    let balance_ex = client.call("BalanceEx", &[]).await;
    assert_eq!(
        result(&balance_ex),
        &json!({
            "SOL": {"balance": "0.6663113000", "hold_trade": "0.0000000000"},
            "ZUSD": {"balance": "9899.76004197", "hold_trade": "0.0000"},
        })
    );

    // A sell by pair id fills at the bid; with fciq the fee comes off the proceeds.
    kraken.set_balance("XXBT", "0.1");
    let answer = client
        .add_order(&[
            ("pair", "XXBTZUSD"),
            ("type", "sell"),
            ("ordertype", "market"),
            ("volume", "0.01"),
            ("oflags", "fciq"),
        ])
        .await;
    assert_eq!(
        result(&answer)["descr"]["order"],
        "sell 0.01000000 XBTUSD @ market"
    );
    let sell = kraken.applied_orders()[1].clone();
    assert_eq!(
        (sell.price, sell.cost, sell.fee),
        (d("59990.0"), d("599.9"), d("1.55974"))
    );
    assert_eq!(kraken.balance("XXBT"), d("0.09"));
    assert_eq!(kraken.balance("ZUSD"), d("9899.76004197") + d("598.34026"));

    // A fee exactly halfway at the 8th decimal rounds away from zero.
    kraken.set_ticker("ADAUSD", "0.499500", "0.500125", "0.5");
    client.add_order(&buy("ADAUSD", "5.0")).await;
    let ada = kraken.applied_orders()[2].clone();
    // 5 × 0.500125 = 2.500625; × 0.0026 = 0.006501625 → 0.00650163
    assert_eq!((ada.cost, ada.fee), (d("2.500625"), d("0.00650163")));

    let add = kraken.received_on(ADD);
    assert_eq!(add.len(), 3);
    assert!(
        add.iter()
            .all(|r| r.signature_ok && r.had_api_key && r.nonce.is_some())
    );
    assert_eq!(add[0].param("cl_ord_id"), Some("sol-buy-1"));
    assert_eq!(kraken.add_order_attempts(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_found_by_txid_cl_ord_id_and_userref() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    let uuid = "6d1b345e-2821-40e2-ad83-4ecb18a06876";
    let mut first = buy("SOLUSD", "0.5");
    first.push(("cl_ord_id", uuid));
    let a = client.add_order(&first).await;
    let txid_a = result(&a)["txid"][0].as_str().unwrap().to_owned();
    let mut second = buy("XBTUSD", "0.001");
    second.push(("userref", "42"));
    let b = client.add_order(&second).await;
    let txid_b = result(&b)["txid"][0].as_str().unwrap().to_owned();

    let query = client.call("QueryOrders", &[("txid", &txid_a)]).await;
    let mut order = result(&query)[&txid_a].clone();
    let opentm = order["opentm"].as_f64().unwrap();
    let closetm = order["closetm"].as_f64().unwrap();
    assert!(opentm > 1.7e9 && closetm >= opentm, "{order}");
    order["opentm"] = json!(0);
    order["closetm"] = json!(0);
    assert_eq!(
        order,
        json!({
            "refid": null, "userref": null, "cl_ord_id": uuid, "status": "closed",
            "opentm": 0, "closetm": 0, "starttm": 0, "expiretm": 0,
            "descr": {"pair": "SOLUSD", "type": "buy", "ordertype": "market", "price": "0",
                "price2": "0", "leverage": "none", "order": "buy 0.50000000 SOLUSD @ market", "close": ""},
            "vol": "0.50000000", "vol_exec": "0.50000000", "cost": "75.02500", "fee": "0.19506500",
            "price": "150.05", "stopprice": "0.00000", "limitprice": "0.00000", "misc": "",
            "oflags": "fciq", "reason": null,
        })
    );
    let both = client
        .call(
            "QueryOrders",
            &[("txid", &format!("{txid_a},{txid_b}")), ("trades", "true")],
        )
        .await;
    assert_eq!(result(&both).as_object().unwrap().len(), 2);
    assert_eq!(result(&both)[&txid_b]["userref"], 42);
    assert_eq!(result(&both)[&txid_b]["descr"]["pair"], "XBTUSD");
    assert!(is_txid(
        result(&both)[&txid_b]["trades"][0].as_str().unwrap()
    ));

    let unknown = client
        .call("QueryOrders", &[("txid", "OAAAAA-BBBBB-CCCCCC")])
        .await;
    assert_eq!(unknown, json!({"error": [], "result": {}}));
    let missing = client.call("QueryOrders", &[]).await;
    assert_eq!(missing, json!({"error": ["EGeneral:Invalid arguments"]}));
    let malformed = client.call("QueryOrders", &[("txid", "nope")]).await;
    assert_eq!(error(&malformed), Some("EOrder:Invalid order"));

    // A filled market order is never open; it is among the closed ones.
    let open = client.call("OpenOrders", &[("cl_ord_id", uuid)]).await;
    assert_eq!(result(&open), &json!({"open": {}}));
    // Filters apply to the page; `count` counts every closed order in range.
    let closed = client.call("ClosedOrders", &[("cl_ord_id", uuid)]).await;
    assert_eq!(result(&closed)["count"], 2);
    assert_eq!(result(&closed)["closed"].as_object().unwrap().len(), 1);
    assert_eq!(result(&closed)["closed"][&txid_a]["cl_ord_id"], uuid);
    let by_ref = client.call("ClosedOrders", &[("userref", "42")]).await;
    assert_eq!(result(&by_ref)["count"], 2);
    assert_eq!(result(&by_ref)["closed"].as_object().unwrap().len(), 1);
    assert!(result(&by_ref)["closed"][&txid_b].is_object());
    let all = client.call("ClosedOrders", &[]).await;
    assert_eq!(result(&all)["count"], 2);
    let later = client
        .call(
            "ClosedOrders",
            &[("start", &(closetm + 3600.0).to_string())],
        )
        .await;
    assert_eq!(result(&later)["count"], 0);
    let none = client
        .call("ClosedOrders", &[("cl_ord_id", "never-sent")])
        .await;
    assert_eq!(result(&none), &json!({"closed": {}, "count": 2}));

    // A resting order: listed as open, holds funds, blocks its cl_ord_id.
    let resting = kraken.seed_open_order("XBTUSD", "buy", "0.01", "50000.0", Some("resting-1"));
    let open = client
        .call("OpenOrders", &[("cl_ord_id", "resting-1")])
        .await;
    let order = &result(&open)["open"][&resting];
    assert_eq!(order["status"], "open");
    assert_eq!(order["vol_exec"], "0.00000000");
    assert_eq!(order["descr"]["price"], "50000.0");
    assert!(order.get("closetm").is_none());
    let balance_ex = client.call("BalanceEx", &[]).await;
    assert_eq!(result(&balance_ex)["ZUSD"]["hold_trade"], "501.3000");
    let mut dup = buy("SOLUSD", "0.1");
    dup.push(("cl_ord_id", "resting-1"));
    assert_eq!(
        error(&client.add_order(&dup).await),
        Some("EOrder:Duplicate cl_ord_id")
    );
    let cancel = client
        .call("CancelOrder", &[("cl_ord_id", "resting-1")])
        .await;
    assert_eq!(result(&cancel), &json!({"count": 1}));
    let cancel = client.call("CancelOrder", &[("txid", &resting)]).await;
    assert_eq!(error(&cancel), Some("EOrder:Unknown order"));
    let closed = client
        .call("ClosedOrders", &[("cl_ord_id", "resting-1")])
        .await;
    assert_eq!(result(&closed)["closed"][&resting]["status"], "canceled");
    assert_eq!(
        result(&closed)["closed"][&resting]["reason"],
        "User requested"
    );
    // Once closed, the cl_ord_id may be used again.
    result(&client.add_order(&dup).await);
    assert_eq!(kraken.orders_for_client_id("resting-1"), 1);
}
