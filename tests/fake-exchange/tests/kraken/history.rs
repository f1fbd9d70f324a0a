//! ClosedOrders paging (strict and lenient filters) and the fake's clock.

use serde_json::Value;

use super::{Client, buy, error, public, result, with};
use fake_exchange::kraken::FakeKraken;

fn ids(answer: &Value) -> Vec<String> {
    let mut ids: Vec<String> = result(answer)["closed"]
        .as_object()
        .unwrap()
        .values()
        .map(|o| o["cl_ord_id"].as_str().unwrap_or("").to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_behind_fifty_newer_ones_needs_paging_or_a_time_range() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    kraken.set_rate_limit(1000, 0.0);
    let placed = client
        .add_order(&with(buy("SOLUSD", "0.1"), &[("cl_ord_id", "target-1")]))
        .await;
    let target = result(&placed)["txid"][0].as_str().unwrap().to_owned();
    kraken.seed_closed_orders(60);
    assert_eq!(
        kraken.applied_orders().len(),
        1,
        "seeded history is not applied"
    );

    // Strict (default): the filter runs on the 50 newest; count is the range.
    let first = client
        .call("ClosedOrders", &[("cl_ord_id", "target-1")])
        .await;
    assert_eq!(result(&first)["count"], 61);
    assert!(result(&first)["closed"].as_object().unwrap().is_empty());
    let page = client.call("ClosedOrders", &[]).await;
    let mut newest: Vec<String> = (11..=60).map(|n| format!("seeded-{n}")).collect();
    newest.sort();
    assert_eq!(ids(&page), newest, "50 a page, newest first");
    let second = client
        .call("ClosedOrders", &[("cl_ord_id", "target-1"), ("ofs", "50")])
        .await;
    assert_eq!(ids(&second), ["target-1"]);
    assert_eq!(result(&second)["closed"][&target]["status"], "closed");
    let rest = client.call("ClosedOrders", &[("ofs", "50")]).await;
    assert_eq!(ids(&rest).len(), 11);

    // Narrowing the time range: `end` is inclusive (a txid means its open
    // time), `start` exclusive.
    let upto = client
        .call(
            "ClosedOrders",
            &[("cl_ord_id", "target-1"), ("end", &target)],
        )
        .await;
    assert_eq!(ids(&upto), ["target-1"]);
    assert_eq!(result(&upto)["count"], 1);
    let opentm = result(&second)["closed"][&target]["opentm"]
        .as_f64()
        .unwrap();
    let before = format!("{:.6}", opentm - 0.5);
    let window = client
        .call(
            "ClosedOrders",
            &[("start", &before), ("end", &target), ("closetime", "open")],
        )
        .await;
    assert_eq!(ids(&window), ["target-1"]);
    let after = client
        .call("ClosedOrders", &[("start", &target), ("closetime", "open")])
        .await;
    assert_eq!(result(&after)["count"], 60);
    let no_count = client
        .call("ClosedOrders", &[("without_count", "true")])
        .await;
    assert!(result(&no_count).get("count").is_none());

    // Lenient: filters before paging, count counts the matches.
    kraken.set_filter_after_paging(false);
    let found = client
        .call("ClosedOrders", &[("cl_ord_id", "target-1")])
        .await;
    assert_eq!(ids(&found), ["target-1"]);
    assert_eq!(result(&found)["count"], 1);
    let seeded = client
        .call("ClosedOrders", &[("cl_ord_id", "seeded-3")])
        .await;
    assert_eq!(ids(&seeded), ["seeded-3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fakes_clock_drives_time_deadlines_and_order_times() {
    let kraken = FakeKraken::start().await;
    let client = Client::new(&kraken);
    let real = chrono::Utc::now();

    kraken.set_clock_offset(chrono::Duration::minutes(10));
    let time = public(&kraken, "/0/public/Time", &[]).await;
    let unixtime = result(&time)["unixtime"].as_i64().unwrap();
    assert!((unixtime - real.timestamp() - 600).abs() <= 2, "{time}");
    let status = public(&kraken, "/0/public/SystemStatus", &[]).await;
    let stamp = result(&status)["timestamp"].as_str().unwrap();
    let stamp = chrono::DateTime::parse_from_rfc3339(stamp).unwrap();
    assert!((stamp.timestamp() - real.timestamp() - 600).abs() <= 2);
    assert!(
        (kraken.now() - real - chrono::Duration::minutes(10))
            .num_seconds()
            .abs()
            <= 2
    );

    // A deadline 30 s ahead of the client's clock is already past for the fake.
    let in_30s = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc3339();
    let late = with(buy("SOLUSD", "0.1"), &[("deadline", &in_30s)]);
    assert_eq!(
        error(&client.add_order(&late).await),
        Some("EService:Deadline elapsed")
    );
    let fake_in_30s = (kraken.now() + chrono::Duration::seconds(30)).to_rfc3339();
    let placed = client
        .add_order(&with(
            buy("SOLUSD", "0.1"),
            &[("deadline", &fake_in_30s), ("cl_ord_id", "clock-1")],
        ))
        .await;
    let txid = result(&placed)["txid"][0].as_str().unwrap().to_owned();
    let query = client.call("QueryOrders", &[("txid", &txid)]).await;
    let opentm = result(&query)[&txid]["opentm"].as_f64().unwrap();
    #[allow(
        clippy::cast_precision_loss,
        reason = "seconds since 1970: exact in f64"
    )]
    let real_seconds = real.timestamp() as f64;
    assert!((opentm - real_seconds - 600.0).abs() <= 2.0);
    assert_eq!(
        kraken.applied_orders()[0].deadline.as_deref(),
        Some(fake_in_30s.as_str())
    );

    // Behind: the client's "in 30 s" is beyond the fake's now + 61 s.
    kraken.set_clock_offset(chrono::Duration::minutes(-10));
    let in_30s = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc3339();
    let early = with(buy("SOLUSD", "0.1"), &[("deadline", &in_30s)]);
    assert_eq!(
        error(&client.add_order(&early).await),
        Some("EGeneral:Invalid arguments:deadline")
    );
    let fake_in_30s = (kraken.now() + chrono::Duration::seconds(30)).to_rfc3339();
    result(
        &client
            .add_order(&with(buy("SOLUSD", "0.1"), &[("deadline", &fake_in_30s)]))
            .await,
    );
    let time = public(&kraken, "/0/public/Time", &[]).await;
    let unixtime = result(&time)["unixtime"].as_i64().unwrap();
    assert!((unixtime - real.timestamp() + 600).abs() <= 2, "{time}");
}
