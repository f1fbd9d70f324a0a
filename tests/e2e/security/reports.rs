//! A report that cannot be about the order being settled, or cannot be
//! true, is refused — never recorded — and no value from a driver can make
//! the host panic.

use tradehost::ErrorKind;
use tradehost::domain::trade::TradeStatus;

use super::{evil, honest};
use crate::fake_kraken::FakeKraken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_that_cannot_be_true_are_refused_not_recorded() {
    for attack in [
        "lying-negative",
        "lying-absurd",
        "lying-oversize",
        "lying-exponent",
        "lying-other-order",
        "lying-other-client",
        "lying-other-symbol",
        "lying-other-side",
        "lying-base-fee",
        "lying-overflow",
    ] {
        let fake = FakeKraken::start().await;
        let (env, host) = evil(&fake, attack, "query-order").await;
        let err = host
            .execute_buy("SOL/USD", "75", None, None)
            .await
            .unwrap_err();
        assert!(
            matches!(err.kind, ErrorKind::Plugin | ErrorKind::UnknownOutcome),
            "{attack}: {err}"
        );
        // The order is real (the exchange filled it), so the slot is held
        // and the order kept, by the exchange's id, for reconciliation.
        let applied = fake.applied_orders();
        assert_eq!(applied.len(), 1, "{attack}");
        let trade = &host.trades(1).await.unwrap()[0];
        assert_eq!(
            trade.status,
            TradeStatus::Pending,
            "{attack}: a lie is never a fill"
        );
        assert_eq!(trade.entry_price, None, "{attack}");
        assert_eq!(trade.size, None, "{attack}");
        assert_eq!(
            env.count(&format!(
                "SELECT COUNT(*) FROM orders WHERE status = 'UNKNOWN' AND order_id = '{}'",
                applied[0].txid
            ))
            .await,
            1,
            "{attack}"
        );
        assert_eq!(
            env.count("SELECT COUNT(*) FROM orders WHERE status = 'FILLED'")
                .await,
            0,
            "{attack}"
        );
        // The host serves the next call; an honest reading settles it.
        let reconciled = honest(&env).await.reconcile().await.unwrap();
        assert!(
            matches!(
                reconciled[0].resolution,
                tradehost::service::Resolution::Filled(_)
            ),
            "{attack}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_that_would_overflow_is_an_error_not_a_panic() {
    for attack in ["overflow-price", "tiny-ask"] {
        let fake = FakeKraken::start().await;
        let (env, host) = evil(&fake, attack, "ticker").await;
        let err = host
            .execute_buy("SOL/USD", "100", None, None)
            .await
            .unwrap_err();
        // Whatever the refusal says, it is an answer, not a crash.
        assert!(
            matches!(
                err.kind,
                ErrorKind::InvalidInput | ErrorKind::Plugin | ErrorKind::BelowMinimum
            ),
            "{attack}: {err}"
        );
        // Refused before the reservation: no row, no order.
        assert_eq!(
            env.count("SELECT COUNT(*) FROM trades").await,
            0,
            "{attack}"
        );
        assert_eq!(fake.add_order_attempts(), 0, "{attack}");
        // Still serving.
        assert!(honest(&env).await.status().await.is_ok(), "{attack}");
    }
}
