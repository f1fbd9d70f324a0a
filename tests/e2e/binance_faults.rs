//! Never a duplicate, never a lost order, on Binance: every fault the fake
//! Binance can inject on an order, run through the same checks as Kraken's
//! (`faults`), and its rate limits kept — a 429's `Retry-After` honoured,
//! and the request-weight budget never spent.

use std::time::{Duration, Instant};

use tradehost::ErrorKind;
use tradehost::domain::trade::TradeStatus;

use crate::common::{Backend, assert_exchange_and_database_agree};
use crate::fake_binance::{FakeBinance, Fault};
use crate::faults::{
    self, Case, REFUSED, filled_despite, filled_later, never_placed, order_events,
};
use crate::on_both_databases;

/// Binance's faults (reference §4, §6, §7.13), and what each must lead to.
fn cases() -> Vec<Case<Fault>> {
    vec![
        // Executed, then the connection closed without an answer.
        filled_later(Fault::DropAfterApply),
        // Executed, then a 5xx page: "execution status UNKNOWN".
        filled_later(Fault::StatusAfterApply(502)),
        filled_later(Fault::StatusAfterApply(500)),
        // A 5xx before Binance saw it: looked up until its receive window
        // (the host's deadline) has passed on Binance's clock, then final.
        never_placed(Fault::StatusBeforeApply(502)),
        // -1007 after executing, with a 5xx and with a 400: a Binance error
        // code is not a refusal unless Binance documents it as one.
        filled_later(Fault::TimeoutAfterApply(503)),
        filled_later(Fault::TimeoutAfterApply(400)),
        // Processed after the client's 1 s timeout, within the receive window.
        filled_later(Fault::Delay(Duration::from_millis(1500))),
        // Lookups answer -2013 for 3 s after the placement: the answer
        // carried the fill, so nothing waits on a lookup and nothing is
        // concluded from one.
        filled_despite(Fault::LookupLag(Duration::from_secs(3))),
        // A WAF page proves nothing either.
        never_placed(Fault::Forbidden),
    ]
}

on_both_databases!(
    binance_buy_faults_never_duplicate_or_lose_an_order,
    binance_sell_faults_never_duplicate_or_lose_an_order
);

async fn binance_buy_faults_never_duplicate_or_lose_an_order(backend: Backend) {
    faults::buy_faults::<FakeBinance>(backend, cases()).await;
}

async fn binance_sell_faults_never_duplicate_or_lose_an_order(backend: Backend) {
    faults::sell_faults::<FakeBinance>(backend, cases()).await;
}

on_both_databases!(an_answered_order_does_not_wait_on_binances_lookup_lag);

/// Binance's lookups may not see an order for a while after placing it
/// (-2013). The order's own answer carries its fill, so the host records it
/// at once and asks no lookup it would have to wait on — the lag is real:
/// the exchange does not show the order yet.
async fn an_answered_order_does_not_wait_on_binances_lookup_lag(backend: Backend) {
    let fake = FakeBinance::start().await;
    let env = faults::env(backend, &fake).await;
    let host = env.executor().await;
    fake.inject(Fault::LookupLag(Duration::from_secs(5)));
    let asked = Instant::now();
    let bought = host
        .execute_buy("BTC/USDT", "100", None, None)
        .await
        .unwrap();
    assert_eq!(bought.status, TradeStatus::Open);
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "the buy waited {:?}: on a lookup",
        asked.elapsed()
    );
    let lookup = crate::common::lookup("BTC/USDT", None, &bought.client_order_id);
    let driver = host.driver();
    use tradehost::exchange::ExchangeDriver as _;
    assert_eq!(
        driver.find_order(&lookup).await.unwrap(),
        None,
        "Binance does not show the order yet"
    );
    faults::reconcile_from_another_host(&env).await;
    assert_eq!(
        order_events(&env, &bought.client_order_id).await,
        faults::FILLED
    );
    let executed = fake.applied_orders();
    // Visible once the lag is over.
    let looked = Instant::now();
    let found = loop {
        if let Some(found) = driver.find_order(&lookup).await.unwrap() {
            break found;
        }
        assert!(looked.elapsed() < Duration::from_secs(10), "never visible");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(found.order_id, executed[0].order_id.to_string());
    assert_eq!(fake.order_attempts(), 1);
    assert_exchange_and_database_agree(&env, &fake).await;
}

on_both_databases!(a_429_is_a_refusal_and_its_retry_after_is_honoured);

/// Waits out a `Retry-After` of `seconds` that began at `refused_at`.
async fn wait_out(refused_at: Instant, seconds: u64) {
    let pause = Duration::from_secs(seconds) + Duration::from_millis(300);
    tokio::time::sleep(pause.saturating_sub(refused_at.elapsed())).await;
}

/// 429 with `Retry-After` on an order, a buy and then a sell: proven
/// refused, the slot freed (the position back); the host then sends nothing
/// to Binance until the pause is over — a request within it would earn an
/// IP ban — and trades again after it.
async fn a_429_is_a_refusal_and_its_retry_after_is_honoured(backend: Backend) {
    let fake = FakeBinance::start().await;
    let env = faults::env(backend, &fake).await;
    let host = env.executor().await;
    fake.inject(Fault::TooManyRequests(6));
    let refused_at = Instant::now();
    let err = host
        .execute_buy("BTC/USDT", "100", None, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::RateLimited, "{err}");
    assert_eq!(fake.faults_fired(), 1);
    let trade = &host.trades(1).await.unwrap()[0];
    assert_eq!(trade.status, TradeStatus::Rejected);
    assert_eq!(order_events(&env, &trade.client_order_id).await, REFUSED);

    // Within the pause: refused by the host itself, nothing reaches Binance.
    let received = fake.received().len();
    let err = host
        .execute_buy("BTC/USDT", "100", None, None)
        .await
        .unwrap_err();
    assert!(
        refused_at.elapsed() < Duration::from_secs(6),
        "too slow to test"
    );
    assert_eq!(err.kind, ErrorKind::ExchangeUnavailable, "{err}");
    assert_eq!(
        fake.received().len(),
        received,
        "nothing sent during the pause"
    );
    // Nothing to settle: another host needs no request either.
    faults::reconcile_from_another_host(&env).await;
    assert_eq!(fake.received().len(), received);

    wait_out(refused_at, 6).await;
    let bought = host
        .execute_buy("BTC/USDT", "100", None, None)
        .await
        .unwrap();
    assert_eq!(bought.status, TradeStatus::Open);

    // The sell that would close it: refused, the position is back.
    fake.inject(Fault::TooManyRequests(6));
    let refused_at = Instant::now();
    let err = host.close("BTC/USDT").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::RateLimited, "{err}");
    assert_eq!(fake.faults_fired(), 2);
    let trade = host.database().trade(&bought.id).await.unwrap();
    assert_eq!(trade.status, TradeStatus::Open);
    assert_eq!(trade.size, bought.size);
    let sell_id = env.orders_of(&bought.id).await[1].2.clone();
    assert_eq!(order_events(&env, &sell_id).await, REFUSED);
    let received = fake.received().len();
    let err = host.close("BTC/USDT").await.unwrap_err();
    assert!(
        refused_at.elapsed() < Duration::from_secs(6),
        "too slow to test"
    );
    assert_eq!(err.kind, ErrorKind::ExchangeUnavailable, "{err}");
    assert_eq!(
        fake.received().len(),
        received,
        "nothing sent during the pause"
    );

    wait_out(refused_at, 6).await;
    let closed = host.close("BTC/USDT").await.unwrap();
    assert_eq!(closed.status, TradeStatus::Closed);
    assert_eq!(
        (fake.rate_limit_hits(), fake.ban_hits()),
        (2, 0),
        "never banned"
    );
    // Two orders refused, two executed, each sent once.
    assert_eq!(fake.order_attempts(), 4);
    assert_eq!(fake.applied_orders().len(), 2);
    faults::reconcile_from_another_host(&env).await;
    assert_exchange_and_database_agree(&env, &fake).await;
}

/// Time left until the wall clock's minute turns.
fn until_the_minute_turns() -> Duration {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    Duration::from_millis(60_000 - u64::try_from(now.as_millis() % 60_000).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_pauses_at_ninety_percent_of_binances_weight_until_the_minute_turns() {
    let fake = FakeBinance::start().await;
    // Binance says 400 a minute (its exchangeInfo): the host pauses at 360.
    fake.set_weight_limit(400);
    let env = crate::common::TestEnv::binance(Backend::Sqlite, &fake).await;
    if until_the_minute_turns() < Duration::from_secs(15) {
        tokio::time::sleep(until_the_minute_turns() + Duration::from_millis(100)).await;
    }
    let host = env.executor().await;
    let btc = tradehost::domain::Symbol::parse("BTC/USDT").unwrap();
    tradehost::exchange::ExchangeDriver::ticker(host.driver(), &btc)
        .await
        .unwrap();
    // Balances weigh 20 each, until the host stops asking.
    let mut reads = 0;
    let err = loop {
        match host.balances().await {
            Ok(_) => reads += 1,
            Err(err) => break err,
        }
        assert!(reads < 25, "never paused at {} weight", fake.used_weight());
    };
    assert_eq!(err.kind, ErrorKind::ExchangeUnavailable, "{err}");
    assert!(err.message.contains("weight"), "{err}");
    let used = fake.used_weight();
    assert!((360..=400).contains(&used), "paused at {used}");
    let received = fake.received().len();
    let err = host
        .execute_buy("BTC/USDT", "100", None, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::ExchangeUnavailable, "{err}");
    assert_eq!(fake.received().len(), received, "nothing sent while paused");

    // Once the minute turns the host reads again, never over the limit.
    let start = Instant::now();
    loop {
        if host.balances().await.is_ok() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(130), "never resumed");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    assert!(start.elapsed() > Duration::from_secs(5), "resumed early");
    assert_eq!((fake.rate_limit_hits(), fake.ban_hits()), (0, 0));
    assert_eq!(fake.order_attempts(), 0);
    assert_eq!(env.trades_with_status("PENDING").await, 0);
    assert_exchange_and_database_agree(&env, &fake).await;
}
