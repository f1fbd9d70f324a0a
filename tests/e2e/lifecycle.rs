//! Buy, sell, close and the failure modes, through the library API.

use rust_decimal::Decimal;
use tradehost::ErrorKind;
use tradehost::domain::trade::TradeStatus;
use tradehost::exchange::{ExchangeDriver, OrderState};

use crate::common::{Backend, TestEnv, d, fee_in, lookup};
use crate::on_both_databases;

on_both_databases!(
    buy_records_the_exchange_fill,
    duplicate_buy_is_refused_before_any_order,
    partial_sell_then_close_realises_fee_inclusive_pnl
);
on_both_databases!(
    proven_rejection_frees_the_slot,
    lost_answer_keeps_the_slot_until_reconciled
);

async fn buy_records_the_exchange_fill(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let executor = env.executor().await;
    let trade = executor
        .execute_buy("SOL/USD", "100", Some("140"), Some("200"))
        .await
        .unwrap();

    assert_eq!(trade.status, TradeStatus::Open);
    assert_eq!(trade.asset, "SOL");
    let order_id = trade.order_id.clone().expect("order id recorded");
    // The row holds what the exchange reports for the order, not a quote.
    let report = executor
        .driver()
        .query_order(&lookup("SOL/USD", Some(&order_id), &trade.client_order_id))
        .await
        .unwrap();
    assert_eq!(report.state, OrderState::Closed);
    assert_eq!(
        report.client_order_id.as_deref(),
        Some(trade.client_order_id.as_str())
    );
    assert_eq!(trade.entry_price, Some(report.average_price));
    assert_eq!(trade.size, Some(report.filled_size));
    assert_eq!(trade.fees, fee_in(&report, "USD"));
    assert_eq!(trade.stop_loss_price, Some(d("140")));
    assert_eq!(trade.take_profit_price, Some(d("200")));
    // A market buy fills at the ask, and never spends more than asked.
    let ticker = executor
        .driver()
        .ticker(&tradehost::domain::Symbol::parse("SOL/USD").unwrap())
        .await
        .unwrap();
    assert_eq!(report.average_price, ticker.ask);
    assert!(report.cost <= d("100"));
    assert!(trade.entry_time.is_some());
    assert_eq!(env.exchange_orders().await, 1);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM orders WHERE status = 'FILLED'")
            .await,
        1
    );
}

async fn duplicate_buy_is_refused_before_any_order(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let executor = env.executor().await;
    executor
        .execute_buy("BTC/USD", "500", None, None)
        .await
        .unwrap();
    // XBT is the same asset as BTC.
    let err = executor
        .execute_buy("XBT/USD", "50", None, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::DuplicatePosition, "{err}");
    assert_eq!(
        env.exchange_orders().await,
        1,
        "no second order reached the exchange"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM trades").await, 1);
    // Another asset is independent.
    executor
        .execute_buy("ETH/USD", "50", None, None)
        .await
        .unwrap();
    assert_eq!(env.trades_with_status("OPEN").await, 2);
}

async fn partial_sell_then_close_realises_fee_inclusive_pnl(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let executor = env.executor().await;
    let bought = executor
        .execute_buy("SOL/USD", "300", None, None)
        .await
        .unwrap();
    let size = bought.size.unwrap();

    let after_partial = executor
        .execute_sell("SOL/USD", Some("0.5"), Some(&bought.id))
        .await
        .unwrap();
    assert_eq!(
        after_partial.status,
        TradeStatus::Open,
        "a partial sell keeps the trade open"
    );
    assert_eq!(after_partial.size, Some(size - d("0.5")));
    assert!(after_partial.pnl.is_some());

    let closed = executor.close("SOL/USD").await.unwrap();
    assert_eq!(closed.status, TradeStatus::Closed);
    assert_eq!(closed.size, Some(Decimal::ZERO));
    assert!(closed.exit_time.is_some());

    // PnL = what the sells brought in, less every fee, less what the buy cost,
    // all as the exchange reported them for each order.
    let mut proceeds = Decimal::ZERO;
    let mut fees = Decimal::ZERO;
    let mut cost = Decimal::ZERO;
    for (side, order_id, client_order_id) in env.orders_of(&closed.id).await {
        let report = executor
            .driver()
            .query_order(&lookup("SOL/USD", order_id.as_deref(), &client_order_id))
            .await
            .unwrap();
        fees += fee_in(&report, "USD");
        if side == "BUY" {
            cost += report.cost;
        } else {
            proceeds += report.cost;
        }
    }
    assert_eq!(closed.fees, fees);
    assert_eq!(closed.pnl, Some(proceeds - fees - cost));
    // Fixed prices: buying at the ask and selling at the bid loses spread + fees.
    assert!(closed.pnl.unwrap() < Decimal::ZERO);
    assert_eq!(env.exchange_orders().await, 3);

    // The slot is free again.
    executor
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
}

async fn proven_rejection_frees_the_slot(backend: Backend) {
    let env = TestEnv::new(backend).await;
    for (fail, kind) in [
        ("rejected", ErrorKind::OrderRejected),
        ("insufficient-funds", ErrorKind::InsufficientFunds),
        ("rate-limit", ErrorKind::RateLimited),
        ("unavailable", ErrorKind::ExchangeUnavailable),
    ] {
        let failing = env.executor_with(&[("TRADEHOST_DRIVER_FAIL", fail)]).await;
        let err = failing
            .execute_buy("SOL/USD", "100", None, None)
            .await
            .unwrap_err();
        assert_eq!(err.kind, kind, "{fail}: {err}");
    }
    assert_eq!(
        env.trades_with_status("REJECTED").await,
        4,
        "each attempt is recorded as rejected"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM orders WHERE status = 'REJECTED'")
            .await,
        4
    );
    assert_eq!(env.exchange_orders().await, 0);
    // Nothing holds the slot: a normal buy goes through.
    env.executor()
        .await
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    assert_eq!(env.trades_with_status("OPEN").await, 1);
}

async fn lost_answer_keeps_the_slot_until_reconciled(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let lossy = env
        .executor_with(&[("TRADEHOST_DRIVER_FAIL", "lost-answer")])
        .await;
    let err = lossy
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownOutcome, "{err}");
    assert!(err.message.contains("do not resubmit"), "{err}");
    // The exchange did execute it; the host keeps the slot and the intent.
    assert_eq!(env.exchange_orders().await, 1);
    assert_eq!(env.trades_with_status("PENDING").await, 1);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM orders WHERE status = 'UNKNOWN'")
            .await,
        1
    );
    // The next trade first reconciles by client order id: the sandbox has
    // the order, so the trade opens with its fill — and is never re-sent.
    let executor = env.executor().await;
    let again = executor
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap_err();
    assert_eq!(again.kind, ErrorKind::DuplicatePosition);
    assert_eq!(env.exchange_orders().await, 1, "never re-sent");
    let trade = &executor.positions().await.unwrap()[0];
    assert_eq!(trade.status, TradeStatus::Open);
    let report = executor
        .driver()
        .find_order(&lookup("SOL/USD", None, &trade.client_order_id))
        .await
        .unwrap()
        .expect("the exchange has the order");
    assert_eq!(trade.order_id.as_deref(), Some(report.order_id.as_str()));
    assert_eq!(trade.size, Some(report.filled_size));
    assert_eq!(
        env.count("SELECT COUNT(*) FROM order_events WHERE event = 'RECONCILED_FILLED'")
            .await,
        1
    );
}

on_both_databases!(the_database_index_itself_refuses_a_second_position);

/// The service checks first for a friendly message, but the rule lives in
/// the schema: straight inserts past the service are refused too.
async fn the_database_index_itself_refuses_a_second_position(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let db = tradehost::db::Database::connect(&env.database_url)
        .await
        .unwrap();
    let buy = |asset: &str| tradehost::db::NewBuy {
        trade_id: uuid::Uuid::new_v4().to_string(),
        client_order_id: uuid::Uuid::new_v4().to_string(),
        symbol: format!("{asset}/USD"),
        asset: asset.to_owned(),
        exchange: "test".into(),
        amount: d("10"),
        quote_price: None,
        stop_loss_price: None,
        take_profit_price: None,
        now: chrono::Utc::now(),
        deadline: chrono::Utc::now() + chrono::Duration::seconds(30),
    };
    let first = buy("SOL");
    db.reserve_buy(&first).await.unwrap();
    assert_eq!(
        db.trade(&first.trade_id).await.unwrap().status,
        TradeStatus::Pending
    );
    let err = db.reserve_buy(&buy("SOL")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::DuplicatePosition, "{err}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM orders").await,
        1,
        "the refused reservation left no order row"
    );
    db.reserve_buy(&buy("ETH")).await.unwrap();
    // Once the first is proven rejected, the slot is free.
    let rejection = tradehost::Error::new(ErrorKind::OrderRejected, "test");
    let settling = tradehost::db::Settling {
        trade_id: &first.trade_id,
        client_order_id: &first.client_order_id,
        kind: tradehost::db::EventKind::Rejected,
    };
    db.reject_order(settling, &rejection, chrono::Utc::now())
        .await
        .unwrap();
    db.reserve_buy(&buy("SOL")).await.unwrap();
    assert_eq!(env.trades_with_status("PENDING").await, 2);
}

on_both_databases!(every_refusal_is_on_record_and_only_changes_are);

async fn every_refusal_is_on_record_and_only_changes_are(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let host = env.executor().await;
    for (decision, expected) in [
        (
            host.execute_buy("SOL/USD", "1", None, None).await,
            ErrorKind::BelowMinimum,
        ),
        (
            host.execute_buy("SOL/USD", "100", Some("200"), None).await,
            ErrorKind::InvalidInput,
        ),
        (
            host.execute_buy("SOL/USD", "100", None, Some("100")).await,
            ErrorKind::InvalidInput,
        ),
        (host.close("SOL/USD").await, ErrorKind::NotFound),
    ] {
        assert_eq!(decision.unwrap_err().kind, expected);
    }
    host.execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    assert_eq!(
        host.execute_sell("SOL/USD", Some("5"), None)
            .await
            .unwrap_err()
            .kind,
        ErrorKind::InvalidInput
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM order_events WHERE event = 'DENIED'")
            .await,
        5
    );
    // A state change that does not happen writes no event.
    let order: String = {
        let pool = env.pool().await;
        let id = sqlx::query_scalar("SELECT client_order_id FROM orders")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        id
    };
    let before = env.count("SELECT COUNT(*) FROM order_events").await;
    let db = host.database();
    db.mark_order_placed("t", &order, "OX", chrono::Utc::now())
        .await
        .unwrap();
    let err = tradehost::Error::new(ErrorKind::UnknownOutcome, "x");
    db.mark_order_unknown("t", &order, &err, None, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        env.count("SELECT COUNT(*) FROM order_events").await,
        before,
        "a filled order stays filled, silently"
    );
}
