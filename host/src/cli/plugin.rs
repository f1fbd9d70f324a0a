//! `tradehost plugin info|test NAME|PATH`: inspect a driver and run the
//! conformance suite on it, with a scratch database (never the trade one).

use clap::Subcommand;
use serde_json::json;

use crate::config::{PLUGIN_VAR, Settings};
use crate::db::Database;
use crate::domain::Symbol;
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::ExchangeDriver;
use crate::plugins;
use crate::runtime::WasmDriver;

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// What a driver is: exchange, version, WIT version, imports, paths, SHA-256.
    Info {
        /// A built-in driver name or a path to a .wasm component.
        driver: String,
    },
    /// Run the conformance suite on a driver.
    Test {
        driver: String,
        /// Market to exercise.
        #[arg(long, default_value = "BTC/USD")]
        symbol: String,
        /// Also buy and sell the market's minimum — only against a sandbox or
        /// a fake exchange (KRAKEN_API_URL), never a real account.
        #[arg(long)]
        orders: bool,
    },
}

/// A scratch SQLite file for the driver's state, removed afterwards.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

async fn load(driver: &str) -> Result<(WasmDriver, Scratch)> {
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    vars.push((PLUGIN_VAR.to_owned(), driver.to_owned()));
    let settings = Settings::from_vars(vars)?;
    let scratch = Scratch(std::env::temp_dir().join(format!(
        "tradehost-plugin-{}.db",
        uuid::Uuid::new_v4().simple()
    )));
    let db = Database::connect(&format!("sqlite://{}", scratch.0.display())).await?;
    let driver = plugins::load(&settings, &db).await?;
    Ok((driver, scratch))
}

pub async fn execute(command: &PluginCommand, json_output: bool) -> Result<i32> {
    match command {
        PluginCommand::Info { driver } => {
            let (driver, _scratch) = load(driver).await?;
            let info = driver.info();
            let summary = driver.summary();
            if json_output {
                println!(
                    "{}",
                    json!({
                        "exchange_id": info.exchange_id,
                        "driver_version": info.driver_version,
                        "wit_version": summary.wit_version,
                        "signing": format!("{:?}", info.signing),
                        "request_paths": info.request_paths,
                        "imports": summary.imports,
                        "sha256": summary.sha256,
                    })
                );
            } else {
                println!("exchange       {}", info.exchange_id);
                println!("driver version {}", info.driver_version);
                println!("WIT version    tradehost:exchange@{}", summary.wit_version);
                println!("signing        {:?}", info.signing);
                println!("sha256         {}", summary.sha256);
                println!("request paths  {}", info.request_paths.join(" "));
                println!("imports        {}", summary.imports.join(" "));
            }
            Ok(0)
        }
        PluginCommand::Test {
            driver,
            symbol,
            orders,
        } => {
            let symbol = Symbol::parse(symbol)?;
            let (driver, _scratch) = load(driver).await?;
            let checks = crate::conformance::run(&driver, &symbol, *orders).await;
            let failed = checks.iter().filter(|c| !c.passed).count();
            if json_output {
                let list: Vec<_> = checks
                    .iter()
                    .map(|c| json!({"check": c.name, "passed": c.passed, "detail": c.detail}))
                    .collect();
                println!(
                    "{}",
                    json!({ "passed": checks.len() - failed, "failed": failed, "checks": list })
                );
            } else {
                for c in &checks {
                    println!(
                        "{} {:<26} {}",
                        if c.passed { "ok  " } else { "FAIL" },
                        c.name,
                        c.detail
                    );
                }
                println!(
                    "conformance: {} of {} checks passed",
                    checks.len() - failed,
                    checks.len()
                );
            }
            if failed > 0 {
                return Err(Error::new(
                    ErrorKind::Plugin,
                    format!("{failed} conformance check(s) failed"),
                ));
            }
            Ok(0)
        }
    }
}
