//! The sandbox's optional live prices travel through the host's HTTP import
//! to a (local, fake) Kraken, unsigned, on the declared path only.

use rust_decimal::Decimal;
use std::str::FromStr;

use crate::common::{Backend, TestEnv};
use crate::fake_kraken::FakeKraken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_fills_at_the_exchanges_ticker_when_asked() {
    let kraken = FakeKraken::start().await;
    kraken.set_ticker("SOLUSD", "171.20", "171.35", "171.30");
    kraken.remove_ticker("XXBTZUSD");
    let env = TestEnv::new(Backend::Sqlite)
        .await
        .with("TRADEHOST_DRIVER_PRICE_SOURCE", "kraken")
        .with("KRAKEN_API_URL", &kraken.url);
    let executor = env.executor().await;
    let trade = executor
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    assert_eq!(
        trade.entry_price,
        Some(Decimal::from_str("171.35").unwrap()),
        "filled at the live ask"
    );
    let closed = executor.close("SOL/USD").await.unwrap();
    assert_eq!(
        closed.exit_price,
        Some(Decimal::from_str("171.2").unwrap()),
        "sold at the live bid"
    );

    let received = kraken.received();
    assert!(!received.is_empty());
    for request in &received {
        assert_eq!(request.path, "/0/public/Ticker");
        assert_eq!(
            request.query.get("pair").map(String::as_str),
            Some("SOLUSD")
        );
        assert!(!request.had_api_key, "the sandbox never sends credentials");
    }

    // An exchange error is a clear error, and nothing is recorded.
    let err = executor
        .execute_buy("BTC/USD", "100", None, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, tradehost::ErrorKind::ExchangeUnavailable, "{err}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM trades WHERE asset = 'BTC'")
            .await,
        0
    );
}
