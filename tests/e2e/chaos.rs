//! A seeded randomized fault run. Several host processes trade at once —
//! buys, partial sells, closes, reconciles across several assets — while
//! the fake Kraken loses answers, fails before and after applying, answers
//! too late, slips, fills partly, and a host is killed mid-order now and
//! then. Afterwards every invariant is checked against the exchange's own
//! ledger:
//!
//! - every executed order is recorded exactly once, with the exchange's fill;
//! - no client order id executed twice;
//! - at most one position per asset whenever the database was looked at;
//! - each trade's recorded size is the exchange's net executed volume;
//! - nothing is left pending where the exchange is settled.
//!
//! CI runs a fixed set of seeds on SQLite and Postgres. For a long run:
//! `TRADEHOST_CHAOS_SEEDS=1,2,3 TRADEHOST_CHAOS_ROUNDS=200 cargo test -p tradehost --test e2e chaos -- --nocapture`.
//! A failing seed prints the command that replays it.

use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

use crate::common::{Backend, TestEnv, assert_exchange_and_database_agree};
use crate::fake_kraken::{Execution, FakeKraken, Fault};
use crate::on_both_databases;

/// SplitMix64: small, seedable, enough for choosing what to do next.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).expect("below a length")]
    }
}

/// (symbol, an amount to sell now and then)
const MARKETS: [(&str, &str); 4] = [
    ("SOL/USD", "0.2"),
    ("ETH/USD", "0.01"),
    ("BTC/USD", "0.0005"),
    ("ADA/USD", "20"),
];

fn seeds() -> Vec<u64> {
    std::env::var("TRADEHOST_CHAOS_SEEDS")
        .ok()
        .map(|list| {
            list.split(',')
                .filter_map(|s| s.trim().parse().ok())
                .collect()
        })
        .unwrap_or_else(|| vec![11, 29])
}

fn rounds() -> usize {
    std::env::var("TRADEHOST_CHAOS_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10)
}

on_both_databases!(a_randomized_fault_run_keeps_every_invariant);

async fn a_randomized_fault_run_keeps_every_invariant(backend: Backend) {
    for seed in seeds() {
        eprintln!(
            "chaos: seed {seed}, {} rounds on {backend:?}; replay with \
             TRADEHOST_CHAOS_SEEDS={seed} TRADEHOST_CHAOS_ROUNDS={} cargo test -p tradehost --test e2e chaos",
            rounds(),
            rounds()
        );
        run(backend, seed, rounds()).await;
    }
}

/// Random faults and market behaviour for the next orders and reads.
fn unsettle(fake: &FakeKraken, rng: &mut Rng) {
    let faults = [
        Fault::LoseAnswerAfterApply,
        Fault::StatusAfterApply(502),
        Fault::StatusBeforeApply(503),
        Fault::Delay(Duration::from_millis(1300)),
        Fault::KrakenError("EService:Unavailable".into()),
    ];
    for _ in 0..rng.below(3) {
        fake.inject(rng.pick(&faults).clone());
    }
    if rng.chance(30) {
        let read = *rng.pick(&[
            "/0/private/QueryOrders",
            "/0/private/OpenOrders",
            "/0/private/ClosedOrders",
        ]);
        fake.inject_on(read, rng.pick(&faults).clone());
    }
    for _ in 0..rng.below(3) {
        let mut execution = Execution::default()
            .slippage_bps(u32::try_from(rng.below(400)).unwrap_or(0))
            .trades(u32::try_from(1 + rng.below(3)).unwrap_or(1));
        if rng.chance(30) {
            execution = execution.fill_ratio(&format!("0.{}", 50 + rng.below(50)));
        }
        fake.queue_execution(execution);
    }
}

fn command(env: &TestEnv, rng: &mut Rng) -> Child {
    let (symbol, part) = *rng.pick(&MARKETS);
    let usd = (50 + rng.below(250)).to_string();
    let args: Vec<&str> = match rng.below(10) {
        0..=3 => vec!["--json", "buy", symbol, "--usd", &usd],
        4 | 5 => vec!["--json", "sell", symbol, "--amount", part],
        6 | 7 => vec!["--json", "close", symbol],
        _ => vec!["--json", "reconcile"],
    };
    env.command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn run(backend: Backend, seed: u64, rounds: usize) {
    let mut rng = Rng(seed);
    let fake = FakeKraken::start().await;
    // Many processes share one key: the counter is not what is under test.
    fake.set_rate_limit(100_000, 1_000.0);
    let env = TestEnv::kraken(backend, &fake)
        .await
        .with("TRADEHOST_ORDER_DEADLINE_SECS", "3")
        .with("TRADEHOST_RECONCILE_GRACE_SECS", "1")
        .with("TRADEHOST_HTTP_TIMEOUT_SECS", "1")
        .with("TRADEHOST_RATE_LIMITS", "off");
    assert!(env.run(&["positions"]).status.success());
    let (watching, violations) = watch_positions(&env).await;

    for _ in 0..rounds {
        unsettle(&fake, &mut rng);
        let mut children: Vec<Child> = (0..3).map(|_| command(&env, &mut rng)).collect();
        if rng.chance(15) {
            tokio::time::sleep(Duration::from_millis(50 + rng.below(400))).await;
            let victim = usize::try_from(rng.below(children.len() as u64)).expect("below a length");
            let _ = children[victim].kill(); // SIGKILL, mid-order or not
        }
        for mut child in children {
            let started = Instant::now();
            while child.try_wait().unwrap().is_none() {
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "seed {seed}: a host hung"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    settle_everything(&env, &fake, seed).await;
    watching.store(false, Ordering::SeqCst);
    let seen = violations.await.unwrap();
    assert!(
        seen.is_empty(),
        "seed {seed}: two positions in one asset were seen: {seen:?}"
    );
    assert_exchange_and_database_agree(&env, &fake).await;
    assert_sizes_are_the_exchanges(&env, &fake, seed).await;
    eprintln!(
        "chaos: seed {seed} kept every invariant: {} orders sent, {} executed, {} faults fired, {} trades",
        fake.add_order_attempts(),
        fake.applied_orders().len(),
        fake.faults_fired(),
        env.count("SELECT COUNT(*) FROM trades").await
    );
}

/// Looks at the database every few milliseconds for an asset with more than
/// one position holding its slot.
async fn watch_positions(env: &TestEnv) -> (Arc<AtomicBool>, tokio::task::JoinHandle<Vec<String>>) {
    let pool = env.pool().await;
    let watching = Arc::new(AtomicBool::new(true));
    let on = watching.clone();
    let task = tokio::spawn(async move {
        let mut seen = Vec::new();
        while on.load(Ordering::SeqCst) {
            let doubled: Vec<String> = sqlx::query_scalar(
                "SELECT asset FROM trades WHERE status IN ('PENDING', 'OPEN', 'CLOSING') GROUP BY asset HAVING COUNT(*) > 1",
            )
            .fetch_all(&pool)
            .await
            .unwrap_or_default();
            seen.extend(doubled);
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        pool.close().await;
        seen
    });
    (watching, task)
}

/// No more faults; reconcile until nothing is unknown.
async fn settle_everything(env: &TestEnv, fake: &FakeKraken, seed: u64) {
    let started = Instant::now();
    loop {
        let out = env.run(&["--json", "reconcile"]);
        if out.status.success() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "seed {seed}: still unsettled: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    assert_eq!(
        env.count("SELECT COUNT(*) FROM trades WHERE status IN ('PENDING', 'CLOSING')")
            .await,
        0,
        "seed {seed}: a trade is stuck where the exchange is settled"
    );
    let _ = fake;
}

/// Each trade's size is what the exchange executed for its orders: bought
/// less sold (fees are in the quote currency), or its dust once closed.
async fn assert_sizes_are_the_exchanges(env: &TestEnv, fake: &FakeKraken, seed: u64) {
    let executed = fake.ledger().executed;
    let pool = env.pool().await;
    let orders: Vec<(String, String)> =
        sqlx::query_as("SELECT trade_id, client_order_id FROM orders")
            .fetch_all(&pool)
            .await
            .unwrap();
    let mut net: BTreeMap<String, Decimal> = BTreeMap::new();
    for (trade_id, client_order_id) in orders {
        let volume = executed.get(&client_order_id).copied().unwrap_or_default();
        *net.entry(trade_id).or_default() += volume;
    }
    let trades: Vec<(String, String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT id, status, size, dust FROM trades")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    let d = |s: &Option<String>| {
        s.as_deref()
            .map_or(Decimal::ZERO, |s| Decimal::from_str(s).unwrap())
    };
    for (id, status, size, dust) in trades {
        let at_exchange = net.get(&id).copied().unwrap_or_default();
        let recorded = match status.as_str() {
            "OPEN" => d(&size),
            "CLOSED" => d(&dust),
            _ => Decimal::ZERO,
        };
        assert_eq!(
            recorded, at_exchange,
            "seed {seed}: trade {id} ({status}) holds {recorded}, the exchange executed {at_exchange}"
        );
    }
}
