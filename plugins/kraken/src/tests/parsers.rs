//! Envelope, reference-data, ticker, balance, status and AddOrder parsers
//! on captured bodies (order parsers: `orders.rs`).

use super::fixture;
use crate::responses::{self, Failure, Quote};
use crate::tradehost::exchange::types::{Balance, ExchangeState};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().expect("test decimal")
}

fn kraken(errors: &[&str]) -> Failure {
    Failure::Kraken(errors.iter().map(ToString::to_string).collect())
}

fn is_malformed<T: std::fmt::Debug>(r: Result<T, Failure>) -> bool {
    matches!(r, Err(Failure::Malformed(_)))
}

#[test]
fn error_envelopes_in_every_shape() {
    let err = |body: &str| responses::envelope(body).map(|r| r.get().to_string());
    assert_eq!(
        err(fixture!("error_only")),
        Err(kraken(&["EGeneral:Invalid arguments:ordertype"]))
    );
    assert_eq!(
        err(fixture!("error_emptyresult")),
        Err(kraken(&["EAPI:Invalid key"]))
    );
    assert_eq!(
        err(fixture!("error_nullresult")),
        Err(kraken(&["EService:Unavailable"]))
    );
    assert_eq!(
        err(fixture!("error_unknownpair")),
        Err(kraken(&["EQuery:Unknown asset pair"]))
    );
    assert_eq!(
        err(fixture!("error_invalidorder")),
        Err(kraken(&["EOrder:Invalid order"]))
    );
    assert_eq!(
        err(fixture!("error_postonly")),
        Err(kraken(&["EService:Market in post_only mode"]))
    );
    assert_eq!(
        err(fixture!("error_toomany")),
        Err(kraken(&["EGeneral:Too many requests"]))
    );
}

#[test]
fn envelopes_without_result_are_malformed() {
    for body in [
        r#"{"error":[],"result":null}"#,
        r#"{"error":[]}"#,
        r#"{}"#,
        r#"{"error":"EService:Unavailable"}"#,
        "<html>502 Bad Gateway</html>",
        "",
        "null",
    ] {
        assert!(is_malformed(responses::envelope(body)), "{body}");
    }
}

#[test]
fn warnings_alone_do_not_fail() {
    let body = r#"{"error":["WGeneral:Deprecated"],"result":{"status":"online"}}"#;
    assert_eq!(
        responses::system_status(body).map(|s| s.state),
        Ok(ExchangeState::Online)
    );
}

#[test]
fn asset_pairs_spec_and_live() {
    let spec = responses::asset_pairs(fixture!("assetpairs_spec")).expect("spec");
    let ids: Vec<&str> = spec.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["XETHXXBT", "XXBTZUSD"]);
    let btc = &spec[1];
    assert_eq!(btc.altname.as_deref(), Some("XBTUSD"));
    assert_eq!(btc.wsname.as_deref(), Some("XBT/USD"));
    assert_eq!(
        (btc.ordermin, btc.costmin),
        (Some(d("0.0001")), Some(d("0.5")))
    );
    assert_eq!((btc.lot_decimals, btc.pair_decimals), (Some(8), Some(1)));

    let live = responses::asset_pairs(fixture!("assetpairs_live")).expect("live");
    let doge = live.iter().find(|p| p.id == "XDGUSD").expect("XDGUSD");
    assert_eq!(doge.base.as_deref(), Some("XXDG"));
    assert_eq!(doge.ordermin, Some(d("50")));
    assert_eq!(doge.pair_decimals, Some(7));
    assert_eq!(doge.status.as_deref(), Some("online"));
}

#[test]
fn asset_pairs_tolerate_odd_entries_but_not_an_empty_answer() {
    let body = r#"{"error":[],"result":{
        "A": {"wsname":"A/USD","ordermin":0.5,"costmin":null,"lot_decimals":"8"},
        "B": "not an object",
        "C": {"wsname":"C/USD","ordermin":{"x":1}}}}"#;
    let pairs = responses::asset_pairs(body).expect("parses");
    assert_eq!(pairs.len(), 2);
    assert_eq!(pairs[0].ordermin, Some(d("0.5")));
    assert_eq!((pairs[0].costmin, pairs[0].lot_decimals), (None, None));
    assert_eq!(pairs[1].ordermin, None);
    assert!(is_malformed(responses::asset_pairs(
        r#"{"error":[],"result":{}}"#
    )));
    assert!(is_malformed(responses::asset_pairs(
        r#"{"error":[],"result":[]}"#
    )));
}

#[test]
fn tickers() {
    let q = |a: &str, b: &str, c: &str| Quote {
        ask: d(a),
        bid: d(b),
        last: d(c),
    };
    assert_eq!(
        responses::ticker(fixture!("ticker_xxbtzusd"), "XXBTZUSD"),
        Ok(q("30300.1", "30300", "30303.2"))
    );
    assert_eq!(
        responses::ticker(fixture!("ticker_xbtusdt"), "XBTUSDT"),
        Ok(q("73380.7", "73380.6", "73380.6"))
    );
    // The single entry is taken whatever its key.
    assert_eq!(
        responses::ticker(fixture!("ticker_xxbtzusd"), "XBTUSD").map(|q| q.ask),
        Ok(d("30300.1"))
    );
    let two = r#"{"error":[],"result":{"A":{"a":["1"],"b":["1"],"c":["1"]},"B":{"a":["2"],"b":["2"],"c":["2"]}}}"#;
    assert_eq!(responses::ticker(two, "B").map(|q| q.ask), Ok(d("2")));
    assert!(is_malformed(responses::ticker(two, "C")));
    let numbers = r#"{"error":[],"result":{"A":{"a":[0.25,1,1.0],"b":[0.2],"c":[0.21]}}}"#;
    assert_eq!(
        responses::ticker(numbers, "A"),
        Ok(q("0.25", "0.2", "0.21"))
    );
    // Several pairs: each by its id, in the order asked, none missing.
    assert_eq!(
        responses::tickers(two, &["B", "A", "B"]).map(|v| v.iter().map(|q| q.ask).collect()),
        Ok(vec![d("2"), d("1"), d("2")])
    );
    assert!(is_malformed(responses::tickers(two, &["A", "C"])));
    let one = r#"{"error":[],"result":{"A":{"a":["1"],"b":["1"],"c":["1"]}}}"#;
    assert!(is_malformed(responses::tickers(one, &["A", "B"])));
    let empty = r#"{"error":[],"result":{"A":{"a":[],"b":["1"],"c":["1"]}}}"#;
    assert!(is_malformed(responses::ticker(empty, "A")));
    assert!(is_malformed(responses::ticker(
        r#"{"error":[],"result":{}}"#,
        "A"
    )));
}

fn bal(currency: &str, total: &str, available: &str) -> Balance {
    Balance {
        currency: currency.into(),
        total: total.into(),
        available: available.into(),
    }
}

#[test]
fn balance_ex_as_numbers() {
    assert_eq!(
        responses::balances(fixture!("balanceex_numbers")),
        Ok(vec![
            bal("BTC", "1.2435", "0.4012"),
            bal("USD", "25435.21", "17185.45")
        ])
    );
}

#[test]
fn balance_ex_as_strings() {
    assert_eq!(
        responses::balances(fixture!("balanceex_strings")),
        Ok(vec![
            bal("BTC", "1.2435", "0.4012"),
            bal("BTC.M", "0.01", "0.01"),
            bal("DOGE", "1500", "1500"),
            bal("SOL", "3.5", "3.5"),
            bal("USD", "25435.21", "17185.45"),
        ])
    );
}

#[test]
fn balances_sum_aliases_floor_available_and_refuse_garbage() {
    let body = r#"{"error":[],"result":{"XXBT":{"balance":"1","hold_trade":"3"},"XBT":{"balance":"0.5"}}}"#;
    assert_eq!(
        responses::balances(body),
        Ok(vec![bal("BTC", "1.5", "0.5")])
    );
    let bad = r#"{"error":[],"result":{"ZUSD":{"balance":"lots"}}}"#;
    assert!(is_malformed(responses::balances(bad)));
    let missing = r#"{"error":[],"result":{"ZUSD":{"hold_trade":"1"}}}"#;
    assert!(is_malformed(responses::balances(missing)));
}

#[test]
fn system_status() {
    let s = responses::system_status(fixture!("systemstatus_online")).expect("status");
    assert_eq!(s.state, ExchangeState::Online);
    assert_eq!(s.message.as_deref(), Some("online at 2023-07-06T18:52:00Z"));
    for (status, state) in [
        ("maintenance", ExchangeState::Maintenance),
        ("cancel_only", ExchangeState::CancelOnly),
        ("post_only", ExchangeState::PostOnly),
        ("limit_only", ExchangeState::PostOnly),
        ("reduce_only", ExchangeState::PostOnly),
        ("something_new", ExchangeState::Maintenance),
    ] {
        let body = format!(r#"{{"error":[],"result":{{"status":"{status}"}}}}"#);
        let s = responses::system_status(&body).expect(status);
        assert_eq!((s.state, s.message.as_deref()), (state, Some(status)));
    }
}

#[test]
fn add_order_txids() {
    assert_eq!(
        responses::add_order(fixture!("addorder_limit")),
        Ok("OUF4EM-FRGI2-MQMWZD".into())
    );
    assert_eq!(
        responses::add_order(fixture!("addorder_market")),
        Ok("OL7LNO-R4SAD-6UINEU".into())
    );
    // validate=true answers carry no txid: never proof of placement.
    assert!(is_malformed(responses::add_order(fixture!(
        "addorder_validate"
    ))));
    for body in [
        r#"{"error":[],"result":{"txid":[]}}"#,
        r#"{"error":[],"result":{"txid":[""]}}"#,
        r#"{"error":[],"result":{"txid":"OUF4EM"}}"#,
        r#"{"error":[],"result":{}}"#,
    ] {
        assert!(is_malformed(responses::add_order(body)), "{body}");
    }
    let both =
        r#"{"error":["EOrder:Insufficient funds"],"result":{"txid":["OUF4EM-FRGI2-MQMWZD"]}}"#;
    assert!(is_malformed(responses::add_order(both)));
    assert_eq!(
        responses::add_order(fixture!("error_emptyresult")),
        Err(kraken(&["EAPI:Invalid key"]))
    );
}
