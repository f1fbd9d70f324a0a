//! tradehost's performance budget, measured: `cargo bench -p tradehost --bench tradehost`.
//!
//! a. the wasm boundary: a fresh driver instance, and one driver operation
//!    through it, against the same translation called natively;
//! b. the buy → sell pipeline per order (validation, reservation row, driver
//!    call, parsing, trade update, audit rows) with the in-process sandbox
//!    exchange, on SQLite (file, WAL) and Postgres — split into time in the
//!    driver and time in the host;
//! c. throughput of `tradehost run` over 1 000 decisions across 100 assets;
//! d. cold start to first order, with and without the compiled-driver cache;
//! e. peak resident memory of `tradehost run`.
//!
//! Results print as a Markdown table; docs/BENCHMARKS.md records them.

#![allow(
    clippy::unwrap_used,
    reason = "benchmark code: a failed unwrap is a failed run"
)]

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tradehost::config::Settings;
use tradehost::db::Database;
use tradehost::domain::Symbol;
use tradehost::exchange::*;
use tradehost::runtime::WasmDriver;
use tradehost::service::Executor;

const BIN: &str = env!("CARGO_BIN_EXE_tradehost");

struct Stats {
    samples: Vec<Duration>,
}

impl Stats {
    fn new(mut samples: Vec<Duration>) -> Stats {
        samples.sort();
        Stats { samples }
    }
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "an index into the samples: (len - 1) * p, rounded, for p in [0, 1]"
    )]
    fn pct(&self, p: f64) -> Duration {
        let i = ((self.samples.len() as f64 - 1.0) * p).round() as usize;
        self.samples[i]
    }
    fn p50(&self) -> Duration {
        self.pct(0.5)
    }
    fn p99(&self) -> Duration {
        self.pct(0.99)
    }
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// Delegates to a driver and adds up the time spent inside it.
struct Timed<D> {
    inner: D,
    nanos: AtomicU64,
}

impl<D> Timed<D> {
    async fn time<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        let start = Instant::now();
        let out = f.await;
        self.nanos.fetch_add(
            u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        out
    }
}

impl<D: ExchangeDriver> ExchangeDriver for Timed<D> {
    fn info(&self) -> &DriverInfo {
        self.inner.info()
    }
    async fn market_rules(&self, s: &Symbol) -> DriverResult<MarketRules> {
        self.time(self.inner.market_rules(s)).await
    }
    async fn ticker(&self, s: &Symbol) -> DriverResult<Ticker> {
        self.time(self.inner.ticker(s)).await
    }
    async fn balances(&self) -> DriverResult<Vec<Balance>> {
        self.time(self.inner.balances()).await
    }
    async fn status(&self) -> DriverResult<ExchangeStatus> {
        self.time(self.inner.status()).await
    }
    async fn tickers(&self, s: &[Symbol]) -> DriverResult<Vec<Ticker>> {
        self.time(self.inner.tickers(s)).await
    }
    async fn place_market_order(
        &self,
        o: &MarketOrder,
    ) -> Result<tradehost::exchange::Placement, tradehost::exchange::PlacementError> {
        self.time(self.inner.place_market_order(o)).await
    }
    async fn query_order(&self, l: &tradehost::exchange::OrderLookup) -> DriverResult<OrderReport> {
        self.time(self.inner.query_order(l)).await
    }
    async fn find_order(
        &self,
        l: &tradehost::exchange::OrderLookup,
    ) -> DriverResult<Option<OrderReport>> {
        self.time(self.inner.find_order(l)).await
    }
    async fn server_time(&self) -> DriverResult<chrono::DateTime<chrono::Utc>> {
        self.time(self.inner.server_time()).await
    }
}

fn settings(database_url: &str, extra: &[(&str, &str)]) -> Settings {
    let mut vars = vec![
        ("DATABASE_URL".to_owned(), database_url.to_owned()),
        ("TRADEHOST_CACHE_DIR".to_owned(), "off".to_owned()),
        (
            "TRADEHOST_DRIVER_BALANCE_USD".to_owned(),
            "100000000".to_owned(),
        ),
    ];
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    Settings::from_vars(vars).expect("bench settings")
}

async fn sandbox(database_url: &str) -> (Database, WasmDriver) {
    let settings = settings(database_url, &[]);
    let db = Database::connect(&settings.database_url)
        .await
        .expect("database");
    let driver = tradehost::app::load_driver(&settings, &db, tradehost::app::Keys::Attach)
        .await
        .expect("driver");
    (db, driver)
}

async fn boundary(rows: &mut Vec<[String; 4]>, dir: &std::path::Path) {
    let (_db, driver) = sandbox(&format!("sqlite://{}", dir.join("boundary.db").display())).await;
    let sol = Symbol::parse("SOL/USD").unwrap();
    const N: usize = 5_000;
    for _ in 0..200 {
        driver.bench_instantiate().await.unwrap();
    }
    let mut fresh = Vec::with_capacity(N);
    for _ in 0..N {
        let t = Instant::now();
        driver.bench_instantiate().await.unwrap();
        fresh.push(t.elapsed());
    }
    let fresh = Stats::new(fresh);
    rows.push([
        "fresh driver instance (pooling, InstancePre)".into(),
        us(fresh.p50()),
        us(fresh.p99()),
        "≤ 10 µs".into(),
    ]);

    let mut wasm = Vec::with_capacity(N);
    for _ in 0..N {
        let t = Instant::now();
        driver.market_rules(&sol).await.unwrap();
        wasm.push(t.elapsed());
    }
    let wasm = Stats::new(wasm);
    let mut native = Vec::with_capacity(N);
    for _ in 0..N {
        let t = Instant::now();
        let market = kraken_sandbox::market::parse_symbol(std::hint::black_box("SOL/USD")).unwrap();
        std::hint::black_box(kraken_sandbox::market::rules(
            market,
            kraken_sandbox::tradehost::exchange::types::MarketStatus::Online,
        ));
        native.push(t.elapsed());
    }
    let native = Stats::new(native);
    rows.push([
        "market-rules through wasm (instance + call + 1 host import)".into(),
        us(wasm.p50()),
        us(wasm.p99()),
        String::new(),
    ]);
    rows.push([
        "market-rules natively (same translation code)".into(),
        us(native.p50()),
        us(native.p99()),
        String::new(),
    ]);
    let ratio = wasm.p50().as_secs_f64() / native.p50().as_secs_f64().max(1e-9);
    rows.push([
        "isolation tax (wasm ÷ native, p50)".into(),
        format!("{ratio:.0}×"),
        String::new(),
        "µs, not ms".into(),
    ]);
}

/// The floor under the pipeline: what one committed write transaction and
/// one indexed read cost through sqlx on this database.
async fn database_floor(rows: &mut Vec<[String; 4]>, label: &str, database_url: &str) {
    let db = Database::connect(database_url).await.expect("database");
    let state = tradehost::db::DriverState::new(db.clone(), "bench");
    const N: usize = 1_000;
    let mut writes = Vec::with_capacity(N);
    let mut reads = Vec::with_capacity(N);
    let mut previous: Option<String> = None;
    for i in 0..N {
        let value = i.to_string();
        let t = Instant::now();
        assert!(
            state
                .compare_and_swap("k", previous.as_deref(), &value)
                .await
                .unwrap()
        );
        writes.push(t.elapsed());
        let t = Instant::now();
        state.get("k").await.unwrap();
        reads.push(t.elapsed());
        previous = Some(value);
    }
    let (writes, reads) = (Stats::new(writes), Stats::new(reads));
    rows.push([
        format!("one committed write statement ({label})"),
        us(writes.p50()),
        us(writes.p99()),
        String::new(),
    ]);
    rows.push([
        format!("one indexed read ({label})"),
        us(reads.p50()),
        us(reads.p99()),
        String::new(),
    ]);
}

async fn pipeline(rows: &mut Vec<[String; 4]>, label: &str, database_url: &str) {
    let (db, driver) = sandbox(database_url).await;
    let executor = Executor::new(
        db,
        Timed {
            inner: driver,
            nanos: AtomicU64::new(0),
        },
    );
    const PAIRS: usize = 300;
    for _ in 0..20 {
        executor
            .execute_buy("SOL/USD", "100", None, None)
            .await
            .unwrap();
        executor.close("SOL/USD").await.unwrap();
    }
    let mut total = Vec::with_capacity(PAIRS * 2);
    let mut host = Vec::with_capacity(PAIRS * 2);
    let started = Instant::now();
    for _ in 0..PAIRS {
        for sell in [false, true] {
            let before = executor.driver().nanos.load(Ordering::Relaxed);
            let t = Instant::now();
            if sell {
                executor.close("SOL/USD").await.unwrap();
            } else {
                executor
                    .execute_buy("SOL/USD", "100", None, None)
                    .await
                    .unwrap();
            }
            let elapsed = t.elapsed();
            let in_driver =
                Duration::from_nanos(executor.driver().nanos.load(Ordering::Relaxed) - before);
            total.push(elapsed);
            host.push(elapsed.saturating_sub(in_driver));
        }
    }
    #[allow(
        clippy::cast_precision_loss,
        reason = "a count of orders: exact in f64"
    )]
    let rate = (PAIRS * 2) as f64 / started.elapsed().as_secs_f64();
    let (total, host) = (Stats::new(total), Stats::new(host));
    rows.push([
        format!("order, end to end ({label})"),
        us(total.p50()),
        us(total.p99()),
        String::new(),
    ]);
    rows.push([
        format!("order, host overhead outside the driver ({label})"),
        us(host.p50()),
        us(host.p99()),
        "p50 ≤ 50 µs, p99 ≤ 1 ms".into(),
    ]);
    rows.push([
        format!("orders per second, one at a time ({label})"),
        format!("{rate:.0}/s"),
        String::new(),
        "≥ 1 000/s (SQLite)".into(),
    ]);
}

fn cold_start(rows: &mut Vec<[String; 4]>, dir: &std::path::Path) {
    let db = format!("sqlite://{}", dir.join("cold.db").display());
    let cache = dir.join("cache");
    let run = |args: &[&str], cache: &str| {
        let t = Instant::now();
        let out = Command::new(BIN)
            .args(args)
            .env_clear()
            .env("DATABASE_URL", &db)
            .env("TRADEHOST_CACHE_DIR", cache)
            .current_dir(dir)
            .output()
            .expect("tradehost runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        t.elapsed()
    };
    let cache = cache.display().to_string();
    run(&["positions"], &cache); // schema, and the cache warmed
    for (label, cache_setting) in [
        ("without the compiled-driver cache", "off"),
        ("with the compiled-driver cache", cache.as_str()),
    ] {
        let mut samples = Vec::new();
        for _ in 0..10 {
            samples.push(run(&["buy", "SOL/USD", "--usd", "100"], cache_setting));
            run(&["close", "SOL/USD"], cache_setting);
        }
        let stats = Stats::new(samples);
        let budget = if cache_setting == "off" {
            ""
        } else {
            "≤ 50 ms"
        };
        rows.push([
            format!("cold start to first order, {label}"),
            ms(stats.p50()),
            ms(stats.p99()),
            budget.into(),
        ]);
    }
}

/// Peak resident set of a running process, sampled from /proc (VmHWM is
/// the high-water mark, so the last sample before exit is the peak).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn throughput(rows: &mut Vec<[String; 4]>, dir: &std::path::Path) {
    let assets: Vec<String> = (0..100).map(|i| format!("A{i:02}")).collect();
    let extra = assets
        .iter()
        .map(|a| format!("{a}/USD"))
        .collect::<Vec<_>>()
        .join(",");
    let mut decisions = String::new();
    for round in 0..10 {
        for asset in &assets {
            if round % 2 == 0 {
                decisions.push_str(&format!(
                    "{{\"symbol\":\"{asset}/USD\",\"action\":\"BUY\",\"amount_usd\":\"20\"}}\n"
                ));
            } else {
                decisions.push_str(&format!(
                    "{{\"symbol\":\"{asset}/USD\",\"action\":\"SELL\"}}\n"
                ));
            }
        }
    }
    let file = dir.join("decisions.jsonl");
    std::fs::write(&file, decisions).unwrap();
    let db = format!("sqlite://{}", dir.join("run.db").display());
    let cache = dir.join("cache").display().to_string();
    let t = Instant::now();
    let mut child = Command::new(BIN)
        .args(["run", "--decisions", file.to_str().unwrap()])
        .env_clear()
        .env("DATABASE_URL", &db)
        .env("TRADEHOST_CACHE_DIR", &cache)
        .env("TRADEHOST_DRIVER_EXTRA_MARKETS", &extra)
        .env("TRADEHOST_DRIVER_BALANCE_USD", "1000000")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut peak = 0;
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap());
    while child.try_wait().unwrap().is_none() {
        peak = peak.max(peak_rss_kib(pid).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(2));
    }
    let elapsed = t.elapsed();
    let output = reader.join().unwrap();
    let executed = output
        .lines()
        .filter(|l| l.contains("\"status\":\"executed\""))
        .count();
    assert_eq!(executed, 1000, "every decision executed");
    rows.push([
        "`tradehost run`, 1 000 decisions over 100 assets (SQLite)".into(),
        format!("{:.0} orders/s", 1000.0 / elapsed.as_secs_f64()),
        ms(elapsed),
        "≥ 1 000/s".into(),
    ]);
    #[allow(clippy::cast_precision_loss, reason = "KiB of memory: exact in f64")]
    let peak_mib = peak as f64 / 1024.0;
    rows.push([
        "peak resident memory of `tradehost run`".into(),
        format!("{peak_mib:.1} MiB"),
        String::new(),
        "≤ 30 MiB".into(),
    ]);
}

/// A fresh Postgres database for the pipeline benchmark, if Postgres runs
/// (TRADEHOST_TEST_POSTGRES_URL, or the local default the tests use).
async fn postgres() -> Option<(sqlx::AnyPool, String, String)> {
    use sqlx::Executor as _;
    sqlx::any::install_default_drivers();
    let admin_url = std::env::var("TRADEHOST_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let admin = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&admin_url)
        .await
        .ok()?;
    let name = format!("tradehost_bench_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .ok()?;
    let url = format!("{}/{name}", admin_url.rsplit_once('/')?.0);
    Some((admin, name, url))
}

fn main() {
    // `cargo test --benches` runs benches with --bench absent: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut rows: Vec<[String; 4]> = Vec::new();
    rt.block_on(async {
        boundary(&mut rows, dir.path()).await;
        let sqlite = format!("sqlite://{}", dir.path().join("pipeline.db").display());
        database_floor(&mut rows, "SQLite, file, WAL", &sqlite).await;
        pipeline(&mut rows, "SQLite, file, WAL", &sqlite).await;
        if let Some((admin, name, url)) = postgres().await {
            database_floor(&mut rows, "Postgres", &url).await;
            pipeline(&mut rows, "Postgres", &url).await;
            use sqlx::Executor as _;
            let _ = admin
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await;
        }
    });
    cold_start(&mut rows, dir.path());
    throughput(&mut rows, dir.path());
    println!("| measure | p50 / value | p99 / total | budget |");
    println!("|---|---|---|---|");
    for [a, b, c, d] in rows {
        println!("| {a} | {b} | {c} | {d} |");
    }
}
