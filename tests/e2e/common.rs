//! Test environments: a fresh SQLite file or a fresh Postgres database per
//! test, the real sandbox driver, and the real `tradehost` binary.

use std::path::PathBuf;
use std::process::{Command, Output};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor as _};
use tempfile::TempDir;
use tradehost::config::Settings;
use tradehost::db::Database;
use tradehost::runtime::WasmDriver;
use tradehost::service::Executor;

pub const BIN: &str = env!("CARGO_BIN_EXE_tradehost");

/// Where the test Postgres lives; CI starts it (see .ci/run).
fn postgres_admin_url() -> String {
    std::env::var("TRADEHOST_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestEnv {
    pub dir: TempDir,
    pub database_url: String,
    pub vars: Vec<(String, String)>,
    postgres_db: Option<String>,
}

impl TestEnv {
    pub async fn new(backend: Backend) -> TestEnv {
        let dir = tempfile::tempdir().expect("temp dir");
        let (database_url, postgres_db) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}", dir.path().join("trades.db").display()),
                None,
            ),
            Backend::Postgres => {
                let name = format!("tradehost_test_{}", uuid::Uuid::new_v4().simple());
                let admin = admin_pool().await;
                admin
                    .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .expect("create test database");
                admin.close().await;
                let base = postgres_admin_url();
                let url = format!(
                    "{}/{name}",
                    base.rsplit_once('/').expect("URL has a database").0
                );
                (url, Some(name))
            }
        };
        TestEnv {
            dir,
            database_url,
            vars: Vec::new(),
            postgres_db,
        }
    }

    /// An environment trading through the live `kraken` driver against a
    /// local fake Kraken.
    pub async fn kraken(backend: Backend, fake: &crate::fake_kraken::FakeKraken) -> TestEnv {
        TestEnv::new(backend)
            .await
            .with("TRADEHOST_SANDBOX_MODE", "false")
            .with("TRADEHOST_PLUGIN", "kraken")
            .with("KRAKEN_API_KEY", crate::fake_kraken::FakeKraken::API_KEY)
            .with(
                "KRAKEN_PRIVATE_KEY",
                crate::fake_kraken::FakeKraken::PRIVATE_KEY,
            )
            .with("KRAKEN_API_URL", &fake.url)
            .with("TRADEHOST_HTTP_TIMEOUT_SECS", "2")
    }

    /// An environment trading through the live `binance` driver against a
    /// local fake Binance.
    pub async fn binance(backend: Backend, fake: &crate::fake_binance::FakeBinance) -> TestEnv {
        use crate::fake_binance::FakeBinance;
        TestEnv::new(backend)
            .await
            .with("TRADEHOST_SANDBOX_MODE", "false")
            .with("TRADEHOST_PLUGIN", "binance")
            .with("BINANCE_API_KEY", FakeBinance::API_KEY)
            .with("BINANCE_API_SECRET", FakeBinance::SECRET_KEY)
            .with("BINANCE_API_URL", &fake.url)
            .with("TRADEHOST_HTTP_TIMEOUT_SECS", "2")
    }

    /// Sets a variable for both the library's settings and the binary.
    pub fn with(mut self, name: &str, value: &str) -> TestEnv {
        self.vars.push((name.to_owned(), value.to_owned()));
        self
    }

    fn all_vars(&self) -> Vec<(String, String)> {
        let mut vars = vec![("DATABASE_URL".to_owned(), self.database_url.clone())];
        vars.extend(self.vars.iter().cloned());
        vars
    }

    pub async fn executor(&self) -> Executor<WasmDriver> {
        self.executor_with(&[]).await
    }

    /// An executor on the same database with extra variables (e.g. a
    /// sandbox failure switch).
    pub async fn executor_with(&self, extra: &[(&str, &str)]) -> Executor<WasmDriver> {
        let mut vars = self.all_vars();
        vars.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let settings = Settings::from_vars(vars).expect("test settings are valid");
        let db = Database::connect(&settings.database_url)
            .await
            .expect("database");
        let driver = tradehost::app::load_driver(&settings, &db, tradehost::app::Keys::Attach)
            .await
            .expect("driver loads");
        Executor::new(db, driver).with_policy(settings.policy)
    }

    /// A `tradehost` process with only this environment's variables.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command.env_clear().current_dir(self.dir.path()).args(args);
        if let Ok(path) = std::env::var("PATH") {
            command.env("PATH", path);
        }
        command.envs(self.all_vars());
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("tradehost runs")
    }

    /// A direct connection for assertions on what was really written.
    pub async fn pool(&self) -> AnyPool {
        install_default_drivers();
        AnyPoolOptions::new()
            .max_connections(2)
            .connect(&self.database_url)
            .await
            .expect("connect for assertions")
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let pool = self.pool().await;
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&pool)
            .await
            .expect(sql);
        pool.close().await;
        n
    }

    /// Orders the sandbox exchange has executed (its own durable record).
    pub async fn exchange_orders(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM driver_state WHERE key LIKE 'order/%'")
            .await
    }

    /// Everything the drivers have stored: (driver, key, value), in order.
    pub async fn driver_state(&self) -> Vec<(String, String, String)> {
        let pool = self.pool().await;
        let rows =
            sqlx::query_as("SELECT driver, key, value FROM driver_state ORDER BY driver, key")
                .fetch_all(&pool)
                .await
                .expect("the driver state");
        pool.close().await;
        rows
    }

    pub async fn trades_with_status(&self, status: &str) -> i64 {
        self.count(&format!(
            "SELECT COUNT(*) FROM trades WHERE status = '{status}'"
        ))
        .await
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

async fn admin_pool() -> AnyPool {
    install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(1)
        .connect(&postgres_admin_url())
        .await
        .expect("Postgres for tests (start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)")
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let Some(name) = self.postgres_db.take() else {
            return;
        };
        // Drop runs outside any runtime: use a small one on a thread.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                let admin = admin_pool().await;
                let _ = admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .await;
                admin.close().await;
            });
        })
        .join();
    }
}

/// The last JSON line a process printed on a stream.
pub fn last_json(bytes: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(bytes);
    let line = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{') || l.trim_start().starts_with('['))
        .unwrap_or_else(|| panic!("no JSON in output: {text}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON {line:?}: {e}"))
}

/// The `kind` of a `--json` error on stderr.
pub fn error_kind(output: &Output) -> String {
    let value = last_json(&output.stderr);
    value["error"]["kind"]
        .as_str()
        .unwrap_or_else(|| panic!("no error kind in {value}"))
        .to_owned()
}

/// A lookup of an order the way the host builds one.
pub fn lookup(
    symbol: &str,
    order_id: Option<&str>,
    client_order_id: &str,
) -> tradehost::exchange::OrderLookup {
    tradehost::exchange::OrderLookup {
        order_id: order_id.map(str::to_owned),
        client_order_id: client_order_id.to_owned(),
        symbol: tradehost::domain::Symbol::parse(symbol).expect("symbol"),
        side: tradehost::exchange::Side::Buy,
        sent_at: chrono::Utc::now() - chrono::Duration::minutes(5),
    }
}

/// A decimal from its text (a test's literal).
pub fn d(text: &str) -> rust_decimal::Decimal {
    text.parse().expect("a decimal")
}

/// The fee of a report in one currency (0 when none).
pub fn fee_in(report: &tradehost::exchange::OrderReport, currency: &str) -> rust_decimal::Decimal {
    report
        .fees
        .iter()
        .filter(|f| f.currency == currency)
        .map(|f| f.amount)
        .sum()
}

impl TestEnv {
    /// (side, exchange order id, client order id) of a trade's orders, oldest first.
    pub async fn orders_of(&self, trade_id: &str) -> Vec<(String, Option<String>, String)> {
        let pool = self.pool().await;
        let rows: Vec<(String, Option<String>, String)> = sqlx::query_as(
            "SELECT side, order_id, client_order_id FROM orders WHERE trade_id = $1 ORDER BY created_at",
        )
        .bind(trade_id)
        .fetch_all(&pool)
        .await
        .expect("orders");
        pool.close().await;
        rows
    }
}

/// Both sides agree, with no duplicate and no lost order, and every
/// recorded fill is the exchange's fill, number for number.
pub async fn assert_exchange_and_database_agree(env: &TestEnv, fake: &impl crate::venue::Ledger) {
    let pool = env.pool().await;
    type Row = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT client_order_id, status, order_id, filled_size, average_price, cost, fee, fees FROM orders",
    )
    .fetch_all(&pool)
    .await
    .expect("the orders");
    let executed = fake.executed();
    let text = |d: rust_decimal::Decimal| d.normalize().to_string();
    for (client_order_id, status, order_id, size, price, cost, fee, fees) in &rows {
        let at_exchange: Vec<_> = executed
            .iter()
            .filter(|o| o.client_order_id.as_deref() == Some(client_order_id.as_str()))
            .collect();
        assert!(
            at_exchange.len() <= 1,
            "{client_order_id} executed {} times",
            at_exchange.len()
        );
        match status.as_str() {
            "FILLED" => {
                let [fill] = at_exchange.as_slice() else {
                    panic!("{client_order_id} recorded as filled but not at the exchange");
                };
                assert_eq!(order_id.as_deref(), Some(fill.order_id.as_str()));
                assert_eq!(size.as_deref(), Some(text(fill.size).as_str()), "size");
                assert_eq!(price.as_deref(), Some(text(fill.price).as_str()), "price");
                assert_eq!(cost.as_deref(), Some(text(fill.cost).as_str()), "cost");
                assert_eq!(fee.as_deref(), Some(text(fill.fee_value).as_str()), "fee");
                if let Some(expected) = &fill.fees {
                    assert_eq!(&fee_map(fees.as_deref()), expected, "fees as charged");
                }
            }
            "REJECTED" => assert!(
                at_exchange.is_empty(),
                "{client_order_id} recorded as rejected but executed"
            ),
            other => panic!("{client_order_id} is still {other} after reconciliation"),
        }
    }
    for order in &executed {
        let recorded = rows.iter().any(|(id, status, ..)| {
            Some(id.as_str()) == order.client_order_id.as_deref() && status == "FILLED"
        });
        assert!(
            recorded,
            "order {} executed at the exchange but is not recorded: lost",
            order.order_id
        );
    }
    pool.close().await;
}

/// An order's recorded fee list, per currency (zero amounts left out).
pub fn fee_map(json: Option<&str>) -> std::collections::BTreeMap<String, rust_decimal::Decimal> {
    let mut fees = std::collections::BTreeMap::new();
    let list: Vec<serde_json::Value> = json
        .map(|text| serde_json::from_str(text).expect("a fee list"))
        .unwrap_or_default();
    for fee in list {
        let amount: rust_decimal::Decimal = fee["amount"]
            .as_str()
            .and_then(|a| a.parse().ok())
            .expect("a fee amount");
        if !amount.is_zero() {
            *fees
                .entry(fee["currency"].as_str().expect("a fee currency").to_owned())
                .or_default() += amount;
        }
    }
    fees
}
