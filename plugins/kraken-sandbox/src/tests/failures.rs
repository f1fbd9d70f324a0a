//! Injected failures, duplicates, exchange status and state contention.

use super::*;

#[test]
fn injected_failures_record_nothing() {
    let cases = [
        ("insufficient-funds", "InsufficientFunds"),
        ("rate-limit", "RateLimited"),
        ("unavailable", "Unavailable"),
        ("rejected", "OrderRejected"),
    ];
    for (mode, variant) in cases {
        let env = MemEnv::with(&[("fail", mode)]);
        let res = place(&env, &buy("a", "BTC/USD", "100"));
        assert!(
            format!("{res:?}").starts_with(&format!("Err(DriverError::{variant}(")),
            "{mode}: {res:?}"
        );
        assert!(env.state.borrow().is_empty(), "{mode} recorded state");
        assert_eq!(find(&env, "a").map(|r| r.is_none()).ok(), Some(true));
    }
}

#[test]
fn lost_answer_records_the_order() {
    let env = MemEnv::with(&[("fail", "lost-answer")]);
    match place(&env, &buy("lost-1", "BTC/USD", "100")) {
        Err(DriverError::UnknownOutcome(msg)) => assert!(msg.contains("answer lost"), "{msg}"),
        other => panic!("{other:?}"),
    }
    let r = find(&env, "lost-1").expect("readable").expect("found");
    assert_eq!(
        report_fields(&r),
        [
            "BTC/USD",
            "0.00166583",
            "60030",
            "99.9997749",
            "0.25999941",
            "USD"
        ]
    );
    assert_eq!(
        query(&env, &r.order_id).map(|q| q.order_id).ok(),
        Some(r.order_id)
    );
    assert_eq!(
        balances(&env),
        bal(&[("BTC", "0.00166583"), ("USD", "9899.74022569")])
    );
}

#[test]
fn duplicate_client_order_id_is_rejected() {
    let env = MemEnv::default();
    let first = place(&env, &buy("dup", "BTC/USD", "100")).expect("placed");
    let e = fails_clean!(
        env,
        buy("dup", "ETH/USD", "50"),
        DriverError::OrderRejected(_)
    );
    assert!(format!("{e:?}").contains("duplicate client order id"));
    assert_eq!(
        find(&env, "dup").ok().flatten().map(|r| r.order_id),
        Some(first)
    );
}

#[test]
fn account_cas_retries_on_contention() {
    let env = MemEnv::default();
    // Another process creates the account (with ETH) just before our first CAS.
    *env.interfere.borrow_mut() = Some(Box::new(|state| {
        state.insert(
            "account".into(),
            r#"{"balances":{"ETH":"1","USD":"10000"},"next_seq":7}"#.into(),
        );
    }));
    let id = place(&env, &buy("c", "BTC/USD", "100")).expect("placed after retry");
    assert_eq!(id, order_id(7));
    // 1 lost account CAS, then account, order and client.
    assert_eq!(env.cas_count.get(), 4);
    assert_eq!(
        balances(&env),
        bal(&[
            ("BTC", "0.00166583"),
            ("ETH", "1"),
            ("USD", "9899.74022569")
        ])
    );

    let stuck = MemEnv {
        cas_always_fails: true,
        ..MemEnv::default()
    };
    match place(&stuck, &buy("c", "BTC/USD", "100")) {
        Err(DriverError::Unavailable(msg)) => assert_eq!(msg, "state contention"),
        other => panic!("{other:?}"),
    }
    assert_eq!(stuck.cas_count.get(), 32);
}

#[test]
fn not_online_refuses_orders() {
    for (status, market_status) in [
        ("maintenance", MarketStatus::Maintenance),
        ("cancel-only", MarketStatus::CancelOnly),
        ("post-only", MarketStatus::PostOnly),
    ] {
        let env = MemEnv::with(&[("status", status)]);
        fails_clean!(env, buy("a", "BTC/USD", "100"), DriverError::Unavailable(_));
        assert!(env.state.borrow().is_empty());
        let c = cfg(&env);
        let rules = market::rules(
            market::parse_symbol("BTC/USD").expect("btc"),
            c.market_status(),
        );
        assert_eq!(rules.status, market_status);
        assert!(c.exchange_status().message.is_some());
    }
}

#[test]
fn kraken_price_failure_places_nothing() {
    let mut env = MemEnv::with(&[("price-source", "kraken")]);
    env.http = Some(Err("not sent: refused".into()));
    fails_clean!(env, buy("a", "BTC/USD", "100"), DriverError::Unavailable(_));
    assert!(env.state.borrow().is_empty());
}
