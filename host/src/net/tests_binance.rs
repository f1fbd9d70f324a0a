//! The outbound layer bound to the Binance profile, against the fake
//! Binance on 127.0.0.1: what a driver may send, how it is signed, the one
//! order a permit buys, and the exchange's rate limits kept.

use std::str::FromStr;

use fake_exchange::binance::{FakeBinance, Fault};
use rust_decimal::Decimal;

use super::*;
use crate::credentials::Credentials;
use crate::domain::Symbol;
use crate::exchange::{DriverError, MarketOrder, OrderAmount, Side};
use crate::profile::{Binance, Kraken, PermitState};

const CLIENT_ID: &str = "6d1b345e-2821-40e2-ad83-4ecb18a06876";

/// The paths the Binance driver declares.
fn declared() -> Vec<String> {
    [
        "/api/v3/ping",
        "/api/v3/exchangeInfo",
        "/api/v3/ticker/bookTicker",
        "/api/v3/account",
        "/api/v3/order",
        "/api/v3/myTrades",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn settings(tier: Option<CounterLimits>) -> NetSettings {
    NetSettings {
        timeout: Duration::from_secs(2),
        limits: tier.is_some(),
        counter: tier,
        public_rate: None,
    }
}

fn signer(profile: &dyn Profile, key: &str, secret: &str) -> Signer {
    let vars = profile.credential_vars().unwrap();
    let credentials =
        Credentials::for_profile(vars, Some(key.into()), Some(secret.into())).unwrap();
    Signer::new(profile.sign_style().unwrap(), Arc::new(credentials), None)
}

fn bound(base_url: &str, tier: Option<CounterLimits>) -> Outbound {
    let outbound = Outbound::new(&settings(tier)).unwrap();
    outbound.bind(Binding {
        profile: Arc::new(Binance),
        declared: declared(),
        base_url: base_url.to_owned(),
        signer: Some(signer(
            &Binance,
            FakeBinance::API_KEY,
            FakeBinance::SECRET_KEY,
        )),
    });
    outbound
}

fn get(path: &str, signed: bool, query: &[(&str, &str)]) -> Request {
    Request {
        method: Method::Get,
        path: path.into(),
        query: query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        form: vec![],
        signed,
        cache_for: Duration::ZERO,
    }
}

fn new_order(form: &[(&str, &str)]) -> Request {
    Request {
        method: Method::Post,
        path: "/api/v3/order".into(),
        query: vec![],
        form: form
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        signed: true,
        cache_for: Duration::ZERO,
    }
}

/// The driver's buy of 100 USDT of BTC, with `change` applied.
fn buy(change: &[(&'static str, &'static str)]) -> Request {
    let mut form = vec![
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "MARKET"),
        ("quoteOrderQty", "100"),
        ("newClientOrderId", CLIENT_ID),
        ("newOrderRespType", "FULL"),
    ];
    for (name, value) in change {
        form.retain(|(k, _)| k != name);
        if !value.is_empty() {
            form.push((name, value));
        }
    }
    new_order(&form)
}

fn intent(deadline_secs: i64) -> MarketOrder {
    MarketOrder {
        client_order_id: CLIENT_ID.into(),
        symbol: Symbol::parse("BTC/USDT").unwrap(),
        side: Side::Buy,
        amount: OrderAmount::Quote(Decimal::from(100)),
        deadline: Some(chrono::Utc::now() + chrono::Duration::seconds(deadline_secs)),
        quote_price: None,
    }
}

fn permit(deadline_secs: i64) -> OrderPermit {
    OrderPermit::new(intent(deadline_secs), Decimal::from_str("0.01").unwrap())
}

fn denied(result: Result<Response, HttpError>) -> String {
    match result {
        Err(HttpError::Denied(why)) => why,
        other => panic!("expected a denial, got {other:?}"),
    }
}

fn not_sent(result: Result<Response, HttpError>) -> String {
    match result {
        Err(HttpError::NotSent(why)) => why,
        other => panic!("expected not sent, got {other:?}"),
    }
}

#[tokio::test]
async fn signed_requests_are_signed_as_binance_checks_them() {
    let fake = FakeBinance::start().await;
    let outbound = bound(&fake.url, None);
    let account = get("/api/v3/account", true, &[("omitZeroBalances", "true")]);
    let response = outbound.send(account, None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(response.body.contains("USDT"), "{}", response.body);
    assert!(response.used_weight.is_some());
    let seen = fake.received_on("/api/v3/account");
    assert_eq!(seen.len(), 1);
    assert!(seen[0].signature_ok);
    assert_eq!(seen[0].api_key.as_deref(), Some(FakeBinance::API_KEY));
    assert_eq!(seen[0].recv_window, Some(Decimal::from(5000)));
    assert_eq!(fake.signature_errors() + fake.timestamp_errors(), 0);
    // The host's parameters are the host's.
    let forged = get("/api/v3/account", true, &[("recvWindow", "60000")]);
    assert!(denied(outbound.send(forged, None).await).contains("host's to set"));
    let unsigned = get("/api/v3/account", false, &[]);
    assert!(denied(outbound.send(unsigned, None).await).contains("signed"));
    assert_eq!(fake.received_on("/api/v3/account").len(), 1);
}

#[tokio::test]
async fn a_permit_buys_exactly_the_intended_order_once() {
    let fake = FakeBinance::start().await;
    let outbound = bound(&fake.url, None);
    let refusals: [(&[(&'static str, &'static str)], &str); 9] = [
        (&[("timeInForce", "GTC")], "not allowed"),
        (&[("type", "LIMIT")], "MARKET"),
        (&[("symbol", "ETHUSDT")], "reserved BTC/USDT"),
        (
            &[("symbol", "NOSUCHUSDT")],
            "not a market the exchange lists",
        ),
        (&[("quoteOrderQty", "1000")], "above the 100"),
        (&[("side", "SELL")], "SELL"),
        (&[("newClientOrderId", "someone-elses")], "client order id"),
        // 1 BTC at the ask the host reads itself is far above 100 USDT.
        (&[("quoteOrderQty", ""), ("quantity", "1")], "slippage"),
        (&[("recvWindow", "60000")], "host's to set"),
    ];
    for (change, rule) in refusals {
        let permit = permit(20);
        let why = denied(outbound.send(buy(change), Some(&permit)).await);
        assert!(why.contains(rule), "{change:?}: {why}");
        // The refusal spent the permit: not even the intended order now.
        assert!(matches!(permit.state(), PermitState::Refused(_)));
        assert!(denied(outbound.send(buy(&[]), Some(&permit)).await).contains("one order"));
    }
    assert!(denied(outbound.send(buy(&[]), None).await).contains("only by place-market-order"));
    assert_eq!(fake.order_attempts(), 0, "no refused order reached Binance");

    let permit = permit(20);
    let sent_at = fake.server_time_ms();
    let response = outbound.send(buy(&[]), Some(&permit)).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    let applied = fake.applied_orders();
    assert_eq!(applied.len(), 1);
    assert_eq!(
        permit.state(),
        PermitState::Sent(OrderAnswer::Accepted {
            order_id: applied[0].order_id.to_string()
        })
    );
    assert!(denied(outbound.send(buy(&[]), Some(&permit)).await).contains("one order"));
    assert_eq!(fake.order_attempts(), 1);
    // The order's receive window is the host's deadline.
    let order = &fake.received_on("/api/v3/order")[0];
    let window = order.recv_window.unwrap();
    assert!(
        (Decimal::from(18_000)..=Decimal::from(20_000)).contains(&window),
        "{window}"
    );
    let timestamp = i64::try_from(order.timestamp.unwrap()).unwrap();
    assert!(timestamp >= sent_at - 1000, "{timestamp} vs {sent_at}");
}

#[tokio::test]
async fn reading_an_order_is_not_placing_one() {
    let fake = FakeBinance::start().await;
    let outbound = bound(&fake.url, None);
    let permit = permit(20);
    // A read refused inside place-market-order leaves the permit unspent:
    // GET /api/v3/order shares its path with the order endpoint.
    let bad_read = get(
        "/api/v3/order",
        true,
        &[("symbol", "BTCUSDT"), ("limit", "5")],
    );
    assert!(denied(outbound.send(bad_read, Some(&permit)).await).contains("limit"));
    assert!(permit.unused());
    let read = get(
        "/api/v3/order",
        true,
        &[("symbol", "BTCUSDT"), ("origClientOrderId", CLIENT_ID)],
    );
    let response = outbound.send(read, Some(&permit)).await.unwrap();
    assert_eq!(response.status, 400, "{}", response.body);
    assert!(response.body.contains("-2013"), "{}", response.body);
    assert!(permit.unused());
    outbound.send(buy(&[]), Some(&permit)).await.unwrap();
    assert_eq!(fake.applied_orders().len(), 1);
}

#[tokio::test]
async fn binances_answers_decide_what_an_order_proves() {
    let fake = FakeBinance::start().await;
    let outbound = bound(&fake.url, None);
    let place = |fault: Option<Fault>| {
        if let Some(fault) = fault {
            fake.inject(fault);
        }
        let permit = permit(20);
        let outbound = &outbound;
        async move {
            let _ = outbound.send(buy(&[]), Some(&permit)).await;
            match permit.state() {
                PermitState::Sent(answer) => answer,
                other => panic!("the order was not sent: {other:?}"),
            }
        }
    };
    assert!(matches!(
        place(Some(Fault::TimeoutAfterApply(400))).await,
        OrderAnswer::Unclear(_)
    ));
    assert!(matches!(
        place(Some(Fault::StatusAfterApply(502))).await,
        OrderAnswer::Unclear(_)
    ));
    assert!(matches!(
        place(Some(Fault::DropAfterApply)).await,
        OrderAnswer::Unclear(_)
    ));
    fake.set_balance("USDT", "10");
    assert!(matches!(
        place(None).await,
        OrderAnswer::Refused(DriverError::InsufficientFunds(_))
    ));
    assert_eq!(fake.faults_fired(), 3);
    assert_eq!(
        fake.applied_orders().len(),
        3,
        "each unclear answer executed"
    );
}

#[tokio::test]
async fn binance_is_not_held_to_krakens_call_counter() {
    let fake = FakeBinance::start().await;
    // A counter of one call per hundred seconds: Kraken would wait.
    let tier = CounterLimits {
        max: 2,
        decay_per_second: 0.01,
    };
    let outbound = bound(&fake.url, Some(tier));
    let account = || get("/api/v3/account", true, &[]);
    for _ in 0..4 {
        let sent = tokio::time::timeout(Duration::from_secs(5), outbound.send(account(), None));
        assert_eq!(sent.await.expect("not held back").unwrap().status, 200);
    }
    // The same counter does hold Kraken's private calls back.
    let kraken = Outbound::new(&settings(Some(tier))).unwrap();
    kraken.bind(Binding {
        profile: Arc::new(Kraken::trading()),
        declared: vec!["/0/private/Balance".into()],
        base_url: "http://127.0.0.1:9".into(),
        signer: Some(signer(&Kraken::trading(), "key", "c2VjcmV0")),
    });
    let balance = || Request {
        method: Method::Post,
        path: "/0/private/Balance".into(),
        query: vec![],
        form: vec![],
        signed: true,
        cache_for: Duration::ZERO,
    };
    let _ = kraken.send(balance(), None).await;
    let second = tokio::time::timeout(Duration::from_millis(500), kraken.send(balance(), None));
    assert!(second.await.is_err(), "Kraken's counter makes it wait");
}

#[tokio::test]
async fn the_host_pauses_before_binances_weight_limit_and_never_trips_it() {
    let fake = FakeBinance::start().await;
    // Binance says 400 a minute; 90 % is 360, and an account read weighs 20.
    fake.set_weight_limit(400);
    // The pause lasts until the minute turns: start well before it does.
    let left = limits::until_the_minute_turns(std::time::SystemTime::now());
    if left < Duration::from_secs(5) {
        tokio::time::sleep(left + Duration::from_millis(50)).await;
    }
    let outbound = bound(&fake.url, None);
    let info = get("/api/v3/exchangeInfo", false, &[]);
    outbound.send(info, None).await.unwrap();
    let mut sent = 0;
    let why = loop {
        match outbound.send(get("/api/v3/account", true, &[]), None).await {
            Ok(response) => {
                assert_eq!(response.status, 200, "{}", response.body);
                sent += 1;
                assert!(sent < 30, "never paused");
            }
            Err(err) => break not_sent(Err(err)),
        }
    };
    assert!(why.contains("request weight"), "{why}");
    assert!(fake.used_weight() >= 360 && fake.used_weight() <= 400);
    let received = fake.received().len();
    // Paused: nothing more reaches Binance, orders included.
    assert!(
        not_sent(outbound.send(get("/api/v3/ping", false, &[]), None).await).contains("weight")
    );
    let permit = permit(20);
    not_sent(outbound.send(buy(&[]), Some(&permit)).await);
    assert!(matches!(
        permit.state(),
        PermitState::Sent(OrderAnswer::NotSent(_))
    ));
    assert_eq!(fake.received().len(), received);
    assert_eq!((fake.rate_limit_hits(), fake.ban_hits()), (0, 0));
}

#[tokio::test]
async fn a_retry_after_is_honoured_so_no_ban_follows() {
    let fake = FakeBinance::start().await;
    let outbound = bound(&fake.url, None);
    fake.inject_on("/api/v3/account", Fault::TooManyRequests(30));
    let response = outbound
        .send(get("/api/v3/account", true, &[]), None)
        .await
        .unwrap();
    assert_eq!(response.status, 429);
    assert_eq!(response.retry_after, Some(30));
    // Any request within those 30 s would be banned (418): none is sent.
    for path in ["/api/v3/ping", "/api/v3/account"] {
        let why = not_sent(
            outbound
                .send(get(path, path.ends_with("account"), &[]), None)
                .await,
        );
        assert!(why.contains("Retry-After"), "{why}");
    }
    assert_eq!(fake.received().len(), 1);
    assert_eq!((fake.rate_limit_hits(), fake.ban_hits()), (1, 0));
}
