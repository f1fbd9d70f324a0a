//! The lifecycle against an in-process scripted exchange: which calls are
//! retried, which never are. (End-to-end tests use the real components.)

use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rust_decimal::Decimal;

use super::Executor;
use crate::db::Database;
use crate::domain::Symbol;
use crate::domain::trade::TradeStatus;
use crate::error::ErrorKind;
use crate::exchange::*;

struct Scripted {
    info: DriverInfo,
    /// Failures the next ticker calls return, in order.
    ticker_failures: Mutex<Vec<DriverError>>,
    place_result: Mutex<Option<DriverError>>,
    ticker_calls: AtomicUsize,
    place_calls: AtomicUsize,
}

impl Scripted {
    fn new() -> Scripted {
        Scripted {
            info: DriverInfo {
                exchange_id: "scripted".into(),
                driver_version: "0".into(),
                signing: SigningScheme::None,
                default_base_url: String::new(),
                request_paths: vec![],
            },
            ticker_failures: Mutex::new(vec![]),
            place_result: Mutex::new(None),
            ticker_calls: AtomicUsize::new(0),
            place_calls: AtomicUsize::new(0),
        }
    }
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

impl ExchangeDriver for Scripted {
    fn info(&self) -> &DriverInfo {
        &self.info
    }
    async fn market_rules(&self, symbol: &Symbol) -> DriverResult<MarketRules> {
        Ok(MarketRules {
            symbol: symbol.clone(),
            pair_id: "SOLUSD".into(),
            min_size: d("0.06"),
            min_cost: d("0.5"),
            size_decimals: 8,
            price_decimals: 2,
            status: MarketStatus::Online,
        })
    }
    async fn ticker(&self, symbol: &Symbol) -> DriverResult<Ticker> {
        self.ticker_calls.fetch_add(1, Ordering::SeqCst);
        match self.ticker_failures.lock().unwrap().pop() {
            Some(err) => Err(err),
            None => Ok(Ticker {
                symbol: symbol.clone(),
                bid: d("99"),
                ask: d("100"),
                last: d("99.5"),
            }),
        }
    }
    async fn tickers(&self, symbols: &[Symbol]) -> DriverResult<Vec<Ticker>> {
        let mut list = Vec::new();
        for symbol in symbols {
            list.push(self.ticker(symbol).await?);
        }
        Ok(list)
    }
    async fn balances(&self) -> DriverResult<Vec<Balance>> {
        Ok(vec![])
    }
    async fn status(&self) -> DriverResult<ExchangeStatus> {
        Ok(ExchangeStatus {
            state: ExchangeState::Online,
            message: None,
        })
    }
    async fn place_market_order(&self, _: &MarketOrder) -> Result<Placement, PlacementError> {
        self.place_calls.fetch_add(1, Ordering::SeqCst);
        match self.place_result.lock().unwrap().take() {
            Some(err) => Err(err.into()),
            None => Ok(Placement {
                order_id: "OABCDE-FGHIJ-KLMNOP".into(),
                fill: None,
            }),
        }
    }
    async fn query_order(&self, lookup: &OrderLookup) -> DriverResult<OrderReport> {
        Ok(OrderReport {
            order_id: lookup.order_id.clone().unwrap_or_default(),
            client_order_id: Some(lookup.client_order_id.clone()),
            symbol: lookup.symbol.clone(),
            side: Side::Buy,
            state: OrderState::Closed,
            filled_size: d("1"),
            average_price: d("100"),
            cost: d("100"),
            fees: vec![Fee {
                amount: d("0.26"),
                currency: "USD".into(),
            }],
        })
    }
    async fn find_order(&self, _: &OrderLookup) -> DriverResult<Option<OrderReport>> {
        Ok(None)
    }
    async fn server_time(&self) -> DriverResult<chrono::DateTime<chrono::Utc>> {
        Ok(chrono::Utc::now())
    }
}

async fn executor(dir: &tempfile::TempDir) -> Executor<Scripted> {
    let db = Database::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    Executor::new(db, Scripted::new())
}

#[tokio::test]
async fn transient_read_failures_are_retried() {
    let dir = tempfile::tempdir().unwrap();
    let executor = executor(&dir).await;
    *executor.driver().ticker_failures.lock().unwrap() = vec![
        DriverError::RateLimited("x".into()),
        DriverError::Unavailable("y".into()),
    ];
    let trade = executor
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap();
    assert_eq!(trade.status, TradeStatus::Open);
    assert_eq!(executor.driver().ticker_calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn permanent_read_failures_are_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let executor = executor(&dir).await;
    *executor.driver().ticker_failures.lock().unwrap() =
        vec![DriverError::InvalidSymbol("gone".into())];
    let err = executor
        .execute_buy("SOL/USD", "100", None, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidSymbol);
    assert_eq!(executor.driver().ticker_calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_order_placement_is_never_retried() {
    for (failure, status, kind) in [
        (
            DriverError::Unavailable("down".into()),
            TradeStatus::Rejected,
            ErrorKind::ExchangeUnavailable,
        ),
        (
            DriverError::RateLimited("slow".into()),
            TradeStatus::Rejected,
            ErrorKind::RateLimited,
        ),
        (
            DriverError::UnknownOutcome("502".into()),
            TradeStatus::Pending,
            ErrorKind::UnknownOutcome,
        ),
        (
            DriverError::Plugin("trap".into()),
            TradeStatus::Pending,
            ErrorKind::UnknownOutcome,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let executor = executor(&dir).await;
        *executor.driver().place_result.lock().unwrap() = Some(failure.clone());
        let err = executor
            .execute_buy("SOL/USD", "100", None, None)
            .await
            .unwrap_err();
        assert_eq!(err.kind, kind, "{failure:?}");
        assert_eq!(
            executor.driver().place_calls.load(Ordering::SeqCst),
            1,
            "{failure:?} was re-sent"
        );
        let trades = executor.trades(10).await.unwrap();
        assert_eq!(trades[0].status, status, "{failure:?}");
    }
}
