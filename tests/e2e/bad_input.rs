//! Bad input gets a clear error and changes nothing: no row, no order.

use crate::common::{Backend, TestEnv, error_kind};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_is_refused_without_a_trace() {
    let env = TestEnv::new(Backend::Sqlite).await;
    let cases: &[(&[&str], &str, i32)] = &[
        (&["buy", "SOL/USD", "--usd", "0"], "invalid_input", 3),
        (&["buy", "SOL/USD", "--usd=-5"], "invalid_input", 3),
        (&["buy", "SOL/USD", "--usd", "abc"], "invalid_input", 3),
        (&["buy", "SOL/USD", "--usd", "NaN"], "invalid_input", 3),
        (&["buy", "SOL/USD", "--usd", "inf"], "invalid_input", 3),
        (&["buy", "SOL/USD", "--usd", "1e3"], "invalid_input", 3),
        (
            &["buy", "SOL/USD", "--usd", "100.0000000000001"],
            "invalid_input",
            3,
        ),
        (
            &["buy", "SOL/USD", "--usd", "99999999999999999999"],
            "invalid_input",
            3,
        ),
        (&["buy", "", "--usd", "100"], "invalid_symbol", 12),
        (&["buy", "SOLUSD", "--usd", "100"], "invalid_symbol", 12),
        (&["buy", "FOO/USD", "--usd", "100"], "invalid_symbol", 12),
        (&["buy", "SOL/USD", "--usd", "0.4"], "below_minimum", 13),
        (&["buy", "DOGE/USD", "--usd", "5"], "below_minimum", 13),
        (
            &["buy", "SOL/USD", "--usd", "100", "--stop-loss", "500"],
            "invalid_input",
            3,
        ),
        (
            &["buy", "SOL/USD", "--usd", "100", "--take-profit", "1"],
            "invalid_input",
            3,
        ),
        (&["sell", "SOL/USD", "--amount", "1"], "not_found", 11),
        (
            &[
                "sell",
                "SOL/USD",
                "--amount",
                "1",
                "--trade-id",
                "not-a-uuid",
            ],
            "invalid_input",
            3,
        ),
        (
            &[
                "sell",
                "SOL/USD",
                "--amount",
                "1",
                "--trade-id",
                "0b7f3c1e-8f8e-4a3b-9a53-8d2c1f0e6a11",
            ],
            "not_found",
            11,
        ),
        (&["close", "SOL/USD"], "not_found", 11),
        (&["trades", "--limit", "0"], "invalid_input", 3),
        (&["balance", "U$D"], "invalid_input", 3),
    ];
    for (args, kind, code) in cases {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let out = env.run(&full);
        assert_eq!(
            error_kind(&out),
            *kind,
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(*code), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?} printed a result");
    }
    assert_eq!(
        env.count("SELECT COUNT(*) FROM trades").await,
        0,
        "no trade row"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM orders").await,
        0,
        "no order row"
    );
    assert_eq!(
        env.exchange_orders().await,
        0,
        "nothing reached the exchange"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selling_more_than_held_or_leaving_dust_is_refused() {
    let env = TestEnv::new(Backend::Sqlite).await;
    let executor = env.executor().await;
    let trade = executor
        .execute_buy("SOL/USD", "30", None, None)
        .await
        .unwrap();
    let size = trade.size.unwrap();
    let too_much = (size + rust_decimal::Decimal::ONE).to_string();
    assert_eq!(
        executor
            .execute_sell("SOL/USD", Some(&too_much), None)
            .await
            .unwrap_err()
            .kind,
        tradehost::ErrorKind::InvalidInput
    );
    // Leaves less than SOL's 0.06 minimum behind.
    let dusty = (size - rust_decimal::Decimal::new(1, 2)).to_string();
    assert_eq!(
        executor
            .execute_sell("SOL/USD", Some(&dusty), None)
            .await
            .unwrap_err()
            .kind,
        tradehost::ErrorKind::InvalidInput
    );
    assert_eq!(
        executor
            .execute_sell("SOL/USD", Some("0.000000001"), None)
            .await
            .unwrap_err()
            .kind,
        tradehost::ErrorKind::InvalidInput
    );
    assert_eq!(
        executor
            .execute_sell("ETH/USD", None, Some(&trade.id))
            .await
            .unwrap_err()
            .kind,
        tradehost::ErrorKind::InvalidInput
    );
    assert_eq!(
        env.exchange_orders().await,
        1,
        "only the buy reached the exchange"
    );
    assert_eq!(env.trades_with_status("OPEN").await, 1);
}
