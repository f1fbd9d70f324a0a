//! Public endpoints, and the rules AddOrder enforces.

use serde_json::json;

use super::{Client, buy, d, error, public, result, with};
use fake_exchange::kraken::FakeKraken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_endpoints_answer_like_kraken() {
    let kraken = FakeKraken::start().await;

    let time = result(&public(&kraken, "/0/public/Time", &[]).await).clone();
    let now = chrono::Utc::now().timestamp();
    assert!(
        (time["unixtime"].as_i64().unwrap() - now).abs() <= 2,
        "{time}"
    );
    assert!(
        time["rfc1123"].as_str().unwrap().ends_with(" +0000"),
        "{time}"
    );

    let status = public(&kraken, "/0/public/SystemStatus", &[]).await;
    assert_eq!(result(&status)["status"], "online");
    kraken.set_system_status("maintenance");
    let status = public(&kraken, "/0/public/SystemStatus", &[]).await;
    assert_eq!(result(&status)["status"], "maintenance");

    let all = public(&kraken, "/0/public/AssetPairs", &[]).await;
    let mut ids: Vec<&String> = result(&all).as_object().unwrap().keys().collect();
    ids.sort();
    assert_eq!(ids, ["ADAUSD", "SOLUSD", "XDGUSD", "XETHZUSD", "XXBTZUSD"]);
    let btc = &result(&all)["XXBTZUSD"];
    for (field, value) in [
        ("altname", json!("XBTUSD")),
        ("wsname", json!("XBT/USD")),
        ("base", json!("XXBT")),
        ("quote", json!("ZUSD")),
        ("ordermin", json!("0.00005")),
        ("costmin", json!("0.5")),
        ("lot_decimals", json!(8)),
        ("pair_decimals", json!(1)),
        ("tick_size", json!("0.1")),
        ("status", json!("online")),
    ] {
        assert_eq!(btc[field], value, "{field}");
    }
    assert_eq!(result(&all)["XDGUSD"]["base"], "XXDG");
    assert_eq!(result(&all)["XDGUSD"]["pair_decimals"], 7);
    assert_eq!(result(&all)["ADAUSD"]["ordermin"], "5");

    kraken.set_pair_status("SOLUSD", "cancel_only");
    let some = public(
        &kraken,
        "/0/public/AssetPairs",
        &[("pair", "XBTUSD,SOLUSD")],
    )
    .await;
    let mut ids: Vec<&String> = result(&some).as_object().unwrap().keys().collect();
    ids.sort();
    assert_eq!(ids, ["SOLUSD", "XXBTZUSD"]);
    assert_eq!(result(&some)["SOLUSD"]["status"], "cancel_only");
    let unknown = public(&kraken, "/0/public/AssetPairs", &[("pair", "XBTEUR")]).await;
    assert_eq!(unknown, json!({"error": ["EQuery:Unknown asset pair"]}));

    // Ticker: asked by altname, keyed by pair id.
    let ticker = public(&kraken, "/0/public/Ticker", &[("pair", "XBTUSD")]).await;
    let btc = &result(&ticker)["XXBTZUSD"];
    assert_eq!(btc["a"][0], "60010.0");
    assert_eq!(btc["b"][0], "59990.0");
    assert_eq!(btc["c"][0], "60000.0");
    let ticker = public(&kraken, "/0/public/Ticker", &[("pair", "XDGUSD,ADAUSD")]).await;
    assert_eq!(result(&ticker)["XDGUSD"]["a"][0], "0.1501000");
    assert_eq!(result(&ticker)["ADAUSD"]["b"][0], "0.499500");

    // set_ticker changes one pair; remove_ticker takes one away.
    kraken.set_ticker("ETHUSD", "2000.00", "2001.00", "2000.50");
    let ticker = public(&kraken, "/0/public/Ticker", &[]).await;
    assert_eq!(result(&ticker).as_object().unwrap().len(), 5);
    assert_eq!(result(&ticker)["XETHZUSD"]["a"][0], "2001.00");
    kraken.set_ticker("SOLUSD", "171.20", "171.35", "171.30");
    kraken.remove_ticker("XXBTZUSD");
    let ticker = public(&kraken, "/0/public/Ticker", &[("pair", "SOLUSD")]).await;
    assert_eq!(result(&ticker)["SOLUSD"]["a"][0], "171.35");
    let gone = public(&kraken, "/0/public/Ticker", &[("pair", "XXBTZUSD")]).await;
    assert_eq!(gone, json!({"error": ["EQuery:Unknown asset pair"]}));

    let received = kraken.received();
    assert_eq!(received.len(), 11);
    let last = received.last().unwrap();
    assert_eq!(last.path, "/0/public/Ticker");
    assert_eq!(last.method, "GET");
    assert_eq!(last.query.get("pair").map(String::as_str), Some("XXBTZUSD"));
    assert!(!last.had_api_key);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_order_enforces_krakens_rules() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    let in_a_minute = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc3339();
    let a_second_ago = (chrono::Utc::now() - chrono::Duration::seconds(1)).to_rfc3339();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (buy("BTCEUR", "0.1"), "EQuery:Unknown asset pair"),
        (
            vec![("type", "buy"), ("ordertype", "market"), ("volume", "1")],
            "EGeneral:Invalid arguments:pair",
        ),
        (
            vec![
                ("pair", "SOLUSD"),
                ("type", "hold"),
                ("ordertype", "market"),
                ("volume", "1"),
            ],
            "EGeneral:Invalid arguments:type",
        ),
        (
            vec![
                ("pair", "SOLUSD"),
                ("type", "buy"),
                ("ordertype", "limit"),
                ("volume", "1"),
                ("price", "150"),
            ],
            "EGeneral:Invalid arguments:ordertype",
        ),
        (
            vec![("pair", "SOLUSD"), ("type", "buy"), ("volume", "1")],
            "EGeneral:Invalid arguments:ordertype",
        ),
        (
            buy("SOLUSD", "0.123456789"),
            "EGeneral:Invalid arguments:volume",
        ),
        (buy("SOLUSD", "1e1"), "EGeneral:Invalid arguments:volume"),
        (buy("SOLUSD", "-1"), "EGeneral:Invalid arguments:volume"),
        (buy("SOLUSD", "0"), "EGeneral:Invalid arguments:volume"),
        (buy("SOLUSD", "0.05"), "EOrder:Order minimum not met"),
        (buy("XBTUSD", "0.00004"), "EOrder:Order minimum not met"),
        (buy("XDGUSD", "49.99999999"), "EOrder:Order minimum not met"),
        (buy("XBTUSD", "0.2"), "EOrder:Insufficient funds"),
        (
            vec![
                ("pair", "SOLUSD"),
                ("type", "sell"),
                ("ordertype", "market"),
                ("volume", "1"),
            ],
            "EOrder:Insufficient funds",
        ),
        (
            with(
                buy("SOLUSD", "0.1"),
                &[("userref", "1"), ("cl_ord_id", "x")],
            ),
            "EGeneral:Invalid arguments:cl_ord_id",
        ),
        (
            with(
                buy("SOLUSD", "0.1"),
                &[("cl_ord_id", "nineteen-chars-long")],
            ),
            "EGeneral:Invalid arguments:cl_ord_id",
        ),
        (
            with(buy("SOLUSD", "0.1"), &[("userref", "abc")]),
            "EGeneral:Invalid arguments:userref",
        ),
        (
            with(buy("SOLUSD", "0.1"), &[("oflags", "viqc")]),
            "EGeneral:Invalid arguments:oflags",
        ),
        (
            with(buy("SOLUSD", "0.1"), &[("deadline", "soon")]),
            "EGeneral:Invalid arguments:deadline",
        ),
    ];
    for (params, expected) in &cases {
        let answer = client.add_order(params).await;
        assert_eq!(answer, json!({"error": [expected]}), "{params:?}");
    }
    let past = with(buy("SOLUSD", "0.1"), &[("deadline", &a_second_ago)]);
    assert_eq!(
        error(&client.add_order(&past).await),
        Some("EService:Deadline elapsed")
    );

    // Cost minimum: 5 ADA at 0.05 is 0.25 USD < 0.5.
    kraken.set_ticker("ADAUSD", "0.049", "0.05", "0.05");
    assert_eq!(
        error(&client.add_order(&buy("ADAUSD", "5")).await),
        Some("EOrder:Cost minimum not met")
    );

    // Funds must cover cost and fee: 66.5 SOL × 150.05 = 9978.325, + 25.94 fee > 10000.
    assert_eq!(
        error(&client.add_order(&buy("SOLUSD", "66.5")).await),
        Some("EOrder:Insufficient funds")
    );

    // validate: the description, no txid, nothing applied.
    let validated = client
        .add_order(&with(buy("SOLUSD", "0.1"), &[("validate", "true")]))
        .await;
    assert_eq!(
        result(&validated),
        &json!({"descr": {"order": "buy 0.10000000 SOLUSD @ market"}})
    );

    // Market modes.
    kraken.set_pair_status("SOLUSD", "cancel_only");
    assert_eq!(
        error(&client.add_order(&buy("SOLUSD", "0.1")).await),
        Some("EService:Market in cancel_only mode")
    );
    kraken.set_pair_status("SOLUSD", "post_only");
    assert_eq!(
        error(&client.add_order(&buy("SOLUSD", "0.1")).await),
        Some("EService:Market in post_only mode")
    );
    kraken.set_pair_status("SOLUSD", "online");
    for status in ["maintenance", "cancel_only", "post_only"] {
        kraken.set_system_status(status);
        assert_eq!(
            error(&client.add_order(&buy("SOLUSD", "0.1")).await),
            Some("EService:Unavailable")
        );
    }
    kraken.set_system_status("online");

    assert!(kraken.applied_orders().is_empty());
    assert_eq!(kraken.balance("ZUSD"), d("10000"));
    assert_eq!(kraken.add_order_attempts(), cases.len() + 9);

    // The same order within the rules goes through, by altname and with a deadline.
    let ok = with(
        buy("SOLUSD", "66.4"),
        &[("deadline", &in_a_minute), ("cl_ord_id", "fits")],
    );
    result(&client.add_order(&ok).await);
    assert_eq!(kraken.orders_for_client_id("fits"), 1);
}
