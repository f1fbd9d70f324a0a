//! The outbound layer's rules that need no exchange: nothing goes out
//! unbound, an order only under a permit, once, and only as intended.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::*;
use crate::credentials::Credentials;
use crate::domain::Symbol;
use crate::exchange::{MarketOrder, OrderAmount, Side};
use crate::profile::{Kraken, PermitState};

fn outbound(profile: Arc<dyn Profile>) -> Outbound {
    let outbound = Outbound::new(&NetSettings {
        timeout: Duration::from_secs(1),
        limits: false,
        counter: None,
        public_rate: None,
    })
    .unwrap();
    let credentials = Credentials::for_profile(
        crate::profile::kraken::CREDENTIALS,
        Some("key".into()),
        Some("c2VjcmV0".into()),
    )
    .unwrap();
    outbound.bind(Binding {
        profile,
        declared: vec![
            "/0/public/Ticker".into(),
            "/0/public/AssetPairs".into(),
            "/0/private/AddOrder".into(),
        ],
        // Port 9 (discard) on loopback: nothing listens there.
        base_url: "http://127.0.0.1:9".into(),
        signer: Some(Signer::new(
            crate::profile::SignStyle::KrakenNonce,
            Arc::new(credentials),
            None,
        )),
    });
    outbound
}

fn sol() -> Symbol {
    Symbol::parse("SOL/USD").unwrap()
}

fn intent() -> MarketOrder {
    MarketOrder {
        client_order_id: "6d1b345e-2821-40e2-ad83-4ecb18a06876".into(),
        symbol: sol(),
        side: Side::Buy,
        amount: OrderAmount::Quote(Decimal::from(100)),
        deadline: None,
        quote_price: None,
    }
}

fn add_order(volume: &str) -> Request {
    Request {
        method: Method::Post,
        path: "/0/private/AddOrder".into(),
        query: vec![],
        form: [
            ("pair", "SOLUSD"),
            ("type", "buy"),
            ("ordertype", "market"),
            ("volume", volume),
            ("cl_ord_id", "6d1b345e-2821-40e2-ad83-4ecb18a06876"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect(),
        signed: true,
        cache_for: Duration::ZERO,
    }
}

/// The host has seen SOL/USD in the exchange's markets at 150.
fn seen(outbound: &Outbound) {
    let mut seen = outbound.observations();
    seen.market(
        &["SOLUSD"],
        MarketRef {
            symbol: sol(),
            pair_id: "SOLUSD".into(),
        },
    );
    seen.price("SOLUSD", Decimal::from(150), Decimal::from(150));
}

fn denied(result: Result<Response, HttpError>) -> String {
    match result {
        Err(HttpError::Denied(why)) => why,
        other => panic!("expected a denial, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unbound_driver_can_send_nothing() {
    let outbound = Outbound::new(&NetSettings {
        timeout: Duration::from_secs(1),
        limits: false,
        counter: None,
        public_rate: None,
    })
    .unwrap();
    let ticker = Request {
        method: Method::Get,
        path: "/0/public/Ticker".into(),
        query: vec![],
        form: vec![],
        signed: false,
        cache_for: Duration::ZERO,
    };
    assert!(denied(outbound.send(ticker, None).await).contains("not been bound"));
}

#[tokio::test]
async fn an_order_without_a_permit_is_refused() {
    let outbound = outbound(Arc::new(Kraken::trading()));
    seen(&outbound);
    assert!(
        denied(outbound.send(add_order("0.5"), None).await).contains("only by place-market-order")
    );
}

#[tokio::test]
async fn a_permit_buys_one_order_and_only_the_intended_one() {
    let outbound = outbound(Arc::new(Kraken::trading()));
    seen(&outbound);
    // 1000× the intended value: refused, and the permit is spent.
    let permit = OrderPermit::new(intent(), Decimal::from_str("0.01").unwrap());
    let why = denied(outbound.send(add_order("666"), Some(&permit)).await);
    assert!(why.contains("slippage"), "{why}");
    assert!(matches!(permit.state(), PermitState::Refused(_)));
    assert!(
        denied(outbound.send(add_order("0.66"), Some(&permit)).await).contains("one order request")
    );

    // The intended order goes out (and finds nobody listening: not sent).
    let permit = OrderPermit::new(intent(), Decimal::from_str("0.01").unwrap());
    let result = outbound.send(add_order("0.66"), Some(&permit)).await;
    assert!(matches!(result, Err(HttpError::NotSent(_))), "{result:?}");
    assert!(matches!(
        permit.state(),
        PermitState::Sent(OrderAnswer::NotSent(_))
    ));
    assert!(
        denied(outbound.send(add_order("0.66"), Some(&permit)).await).contains("one order request")
    );
}
