//! Fill math, fees, minimums and request validation.

use super::*;

#[test]
fn buy_fill_math_is_exact() {
    let env = MemEnv::default();
    let id = place(&env, &buy("c1", "XBT/usd", "100")).expect("placed");
    // ask 60030; 100/60030 = 0.0016658337.. -> 0.00166583; cost 99.9997749;
    // fee 99.9997749 * 0.0026 = 0.25999941474 -> 0.25999941
    let r = query(&env, &id).expect("recorded");
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
        (r.side, r.state, r.client_order_id.as_deref()),
        (Side::Buy, OrderState::Closed, Some("c1"))
    );
    assert_eq!(
        balances(&env),
        bal(&[("BTC", "0.00166583"), ("USD", "9899.74022569")])
    );
    assert!(
        env.logs
            .borrow()
            .iter()
            .any(|l| l.contains("Info") && l.contains(&id)),
        "{:?}",
        env.logs
    );
}

#[test]
fn sell_fill_math_is_exact() {
    let env = MemEnv::default();
    env.state.borrow_mut().insert(
        "account".into(),
        r#"{"balances":{"BTC":"0.5","USD":"0"},"next_seq":0}"#.into(),
    );
    let id = place(&env, &sell("s1", "BTC/USD", "0.12345678")).expect("placed");
    // bid 59970; cost 7403.7030966; fee 19.24962805116 -> 19.24962805
    let r = query(&env, &id).expect("recorded");
    assert_eq!(
        report_fields(&r),
        [
            "BTC/USD",
            "0.12345678",
            "59970",
            "7403.7030966",
            "19.24962805",
            "USD"
        ]
    );
    assert_eq!(r.side, Side::Sell);
    assert_eq!(
        balances(&env),
        bal(&[("BTC", "0.37654322"), ("USD", "7384.45346855")])
    );
}

#[test]
fn fee_rounds_half_away_from_zero_to_8_places() {
    let btc = &MARKETS[0];
    let d = |s: &str| s.parse::<Decimal>().expect("literal");
    let q = Quote {
        bid: d("10001"),
        ask: d("10002"),
        last: d("10001"),
    };
    // cost 0.50015001 * 0.5 = 0.250075005: exactly half way -> 0.25007501
    let f = sim::fill(btc, Side::Sell, d("0.00005001"), &q, d("0.5")).expect("fills");
    assert_eq!(
        (f.cost.to_string(), f.fee.to_string()),
        ("0.50015001".into(), "0.25007501".into())
    );
}

#[test]
fn minimums_and_size_decimals() {
    let env = MemEnv::with(&[("prices", "ETH/USD=1000")]);
    env.state.borrow_mut().insert(
        "account".into(),
        r#"{"balances":{"BTC":"1","USD":"100"},"next_seq":0}"#.into(),
    );
    // 0.4 USD buys 0.00000666 BTC < ordermin 0.00005
    let e = fails_clean!(
        env,
        buy("a", "BTC/USD", "0.4"),
        DriverError::BelowMinimum(_)
    );
    assert!(format!("{e:?}").contains("0.00005"));
    // ask 1000.5: 0.45 USD buys 0.00044977 ETH < ordermin 0.002
    fails_clean!(
        env,
        buy("b", "ETH/USD", "0.45"),
        DriverError::BelowMinimum(_)
    );
    fails_clean!(
        env,
        sell("c", "BTC/USD", "0.00004999"),
        DriverError::BelowMinimum(_)
    );
    fails_clean!(
        env,
        sell("d", "BTC/USD", "0.000050001"),
        DriverError::InvalidRequest(_)
    );
    // Trailing zeros past lot_decimals are harmless.
    assert!(place(&env, &sell("e", "BTC/USD", "0.000050000000")).is_ok());

    // costmin: ordermin 0.00005 at a 1000 USD BTC costs 0.05 < 0.5.
    let cheap = MemEnv::with(&[("prices", "BTC/USD=1000")]);
    cheap.state.borrow_mut().insert(
        "account".into(),
        r#"{"balances":{"BTC":"1","USD":"100"},"next_seq":0}"#.into(),
    );
    let e = fails_clean!(
        cheap,
        buy("f", "BTC/USD", "0.2"),
        DriverError::BelowMinimum(_)
    );
    assert!(format!("{e:?}").contains("minimum 0.5 USD"), "{e:?}");
    fails_clean!(
        cheap,
        sell("g", "BTC/USD", "0.0001"),
        DriverError::BelowMinimum(_)
    );
}

#[test]
fn bad_requests_are_refused_before_anything_happens() {
    let env = MemEnv::default();
    let wrong_side = MarketOrder {
        amount: OrderAmount::Base("0.1".into()),
        ..buy("a", "BTC/USD", "1")
    };
    fails_clean!(env, wrong_side, DriverError::InvalidRequest(_));
    let wrong_side = MarketOrder {
        amount: OrderAmount::Quote("100".into()),
        ..sell("a", "BTC/USD", "1")
    };
    fails_clean!(env, wrong_side, DriverError::InvalidRequest(_));
    for bad in ["0", "0.0", "-5", "1e2", "", "NaN", " 5"] {
        fails_clean!(
            env,
            buy("a", "BTC/USD", bad),
            DriverError::InvalidRequest(_)
        );
    }
    fails_clean!(
        env,
        buy("", "BTC/USD", "100"),
        DriverError::InvalidRequest(_)
    );
    fails_clean!(
        env,
        buy("a", "BTC/EUR", "100"),
        DriverError::InvalidSymbol(_)
    );
    // Absurd amounts are errors, not arithmetic panics.
    let max = "79228162514264337593543950335";
    fails_clean!(
        env,
        buy("a", "BTC/USD", max),
        DriverError::InvalidRequest(_)
    );
    fails_clean!(
        env,
        sell("a", "BTC/USD", max),
        DriverError::InvalidRequest(_)
    );
    assert!(env.state.borrow().is_empty());
}

#[test]
fn insufficient_funds() {
    // cost 99.9997749 + fee 0.25999941 > 100
    let env = MemEnv::with(&[("balance-usd", "100")]);
    fails_clean!(
        env,
        buy("a", "BTC/USD", "100"),
        DriverError::InsufficientFunds(_)
    );
    fails_clean!(
        env,
        sell("b", "BTC/USD", "0.001"),
        DriverError::InsufficientFunds(_)
    );
    assert!(env.state.borrow().is_empty());
    assert_eq!(balances(&env), bal(&[("USD", "100")]));
}

#[test]
fn lookups_of_unknown_orders() {
    let env = MemEnv::default();
    assert!(matches!(
        query(&env, "ONOPE-NOPE-NOPE"),
        Err(DriverError::NotFound(_))
    ));
    assert!(matches!(find(&env, "nope"), Ok(None)));
    // query-order needs the order id.
    assert!(matches!(
        orders::query_order(&env, &lookup("c1", None)),
        Err(DriverError::InvalidRequest(_))
    ));
    assert_eq!(balances(&env), bal(&[("USD", "10000")]));
}

#[test]
fn order_ids_look_like_krakens_and_are_unique() {
    let mut seen = BTreeSet::new();
    for seq in (0..20_000).chain([u64::MAX - 1, u64::MAX]) {
        let id = order_id(seq);
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [6, 5, 6],
            "{id}"
        );
        assert!(id.starts_with('O'));
        assert!(
            id.bytes()
                .all(|b| b == b'-' || b.is_ascii_uppercase() || b.is_ascii_digit()),
            "{id}"
        );
        assert!(seen.insert(id), "duplicate id at {seq}");
    }
    assert_eq!(order_id(3), order_id(3));
}

#[test]
fn the_answer_carries_the_id_only_like_krakens() {
    let env = MemEnv::default();
    let placed =
        orders::place_market_order(&env, &cfg(&env), &buy("f1", "BTC/USD", "100")).expect("placed");
    assert!(placed.fill.is_none());
    // The fill is read by id, or by client order id.
    let by_id = orders::query_order(&env, &lookup("f1", Some(&placed.order_id))).expect("by id");
    let found = find(&env, "f1").expect("readable").expect("found");
    assert_eq!(report_fields(&found), report_fields(&by_id));
    assert_eq!(found.order_id, placed.order_id);
}

#[test]
fn fills_follow_the_price_override_as_it_moves() {
    let env = MemEnv::default();
    // What the host's command does: write the key.
    let set = |value: &str| {
        env.state
            .borrow_mut()
            .insert("price/SOL/USD".into(), value.into());
    };
    set("100");
    // ask 100.05: 100 USD buys 0.99950024 SOL, cost 99.999999012
    let id = place(&env, &buy("b", "SOL/USD", "100")).expect("bought");
    let r = query(&env, &id).expect("recorded");
    assert_eq!(
        report_fields(&r)[..4],
        ["SOL/USD", "0.99950024", "100.05", "99.999999012"]
    );
    // The price falls through a stop: the sell fills at the new bid.
    set("80");
    let id = place(&env, &sell("s", "SOL/USD", "0.99950024")).expect("sold");
    let r = query(&env, &id).expect("recorded");
    // bid 79.96: cost 79.9200391904, fee 0.207792101895 -> 0.2077921
    assert_eq!(
        report_fields(&r),
        [
            "SOL/USD",
            "0.99950024",
            "79.96",
            "79.9200391904",
            "0.2077921",
            "USD"
        ]
    );
    // Cleared with an empty value: the default price (150) again.
    set("");
    let t = prices::ticker(&env, &cfg(&env), "SOL/USD").expect("ticker");
    assert_eq!((t.bid.as_str(), t.ask.as_str()), ("149.92", "150.08"));
}

#[test]
fn an_invalid_price_override_places_nothing() {
    let env = MemEnv::default();
    env.state
        .borrow_mut()
        .insert("price/BTC/USD".into(), "soon".into());
    let e = fails_clean!(
        env,
        buy("a", "BTC/USD", "100"),
        DriverError::InvalidRequest(_)
    );
    assert!(format!("{e:?}").contains("price/BTC/USD"), "{e:?}");
    assert_eq!(balances(&env), bal(&[("USD", "10000")]));
}
