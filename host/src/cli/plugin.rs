//! `tradehost plugin info|test NAME|PATH`: inspect a driver and run the
//! conformance suite on it, with a scratch database (never the trade one).
//! Vetting is safe by default: no live key is attached unless asked, and
//! orders are placed only against a simulator or an exchange on loopback.

use clap::Subcommand;
use serde_json::json;

use super::output::Format;
use crate::app::{self, Keys};
use crate::config::{LEGACY_SANDBOX_VAR, PLUGIN_VAR, SANDBOX_VAR, Settings};
use crate::conformance::{self, Scope};
use crate::db::Database;
use crate::domain::Symbol;
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::ExchangeDriver;
use crate::runtime::WasmDriver;
use crate::text::printable;

/// The `plugin` subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// What a driver is: exchange, version, WIT version, profile, imports, paths, SHA-256.
    Info {
        /// A built-in driver name or a path to a .wasm component.
        driver: String,
    },
    /// Run the conformance suite on a driver.
    Test {
        /// A built-in driver name or a path to a .wasm component.
        driver: String,
        /// Market to exercise.
        #[arg(long, default_value = "BTC/USD")]
        symbol: String,
        /// Also buy and sell the market's minimum — only against a simulator
        /// or an exchange on this machine (a fake), never a real account.
        #[arg(long)]
        orders: bool,
        /// Attach the live credentials of the driver's profile (to test
        /// private reads); without it no key reaches the driver's requests.
        #[arg(long = "with-credentials")]
        with_credentials: bool,
    },
}

/// A scratch SQLite file for the driver's state, removed afterwards.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", ".migrate-lock"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

async fn load(driver: &str, keys: Keys) -> Result<(WasmDriver, Scratch)> {
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    vars.push((PLUGIN_VAR.to_owned(), driver.to_owned()));
    // A driver is vetted as itself, whatever mode the environment asks for.
    let live = crate::plugins::parse_choice(driver)
        .map(|c| !matches!(c, crate::plugins::PluginChoice::Embedded(n) if !crate::plugins::is_live(n)))
        .unwrap_or(true);
    vars.retain(|(name, _)| name != SANDBOX_VAR && name != LEGACY_SANDBOX_VAR);
    vars.push((SANDBOX_VAR.to_owned(), (!live).to_string()));
    let mut settings = Settings::from_vars(vars)?;
    if keys == Keys::Withhold {
        settings = settings.without_credentials();
    }
    let scratch = Scratch(std::env::temp_dir().join(format!(
        "tradehost-plugin-{}.db",
        uuid::Uuid::new_v4().simple()
    )));
    let db = Database::connect(&format!("sqlite://{}", scratch.0.display())).await?;
    let driver = app::load_driver(&settings, &db, keys).await?;
    Ok((driver, scratch))
}

/// Whether the URL names this machine.
fn loopback(url: &str) -> bool {
    let host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| h.trim_start_matches('['))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or_default()
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Runs a `plugin` subcommand; the exit code.
pub async fn execute(command: &PluginCommand, format: Format) -> Result<i32> {
    match command {
        PluginCommand::Info { driver } => info(driver, format).await,
        PluginCommand::Test {
            driver,
            symbol,
            orders,
            with_credentials,
        } => test(driver, symbol, *orders, *with_credentials, format).await,
    }
}

async fn info(driver: &str, format: Format) -> Result<i32> {
    let (driver, _scratch) = load(driver, Keys::Withhold).await?;
    let info = driver.info();
    let summary = driver.summary();
    let profile = driver.profile_name().unwrap_or("-");
    let refused = driver.refused_paths();
    format.value(
        &json!({
            "exchange_id": info.exchange_id,
            "driver_version": info.driver_version,
            "wit_version": summary.wit_version,
            "signing": format!("{:?}", info.signing),
            "profile": profile,
            "base_url": driver.base_url(),
            "request_paths": info.request_paths,
            "refused_paths": refused,
            "imports": summary.imports,
            "sha256": summary.sha256,
        }),
        || {
            let list = |items: &[String]| printable(&items.join(" "));
            format!(
                "exchange       {}\ndriver version {}\nWIT version    tradehost:exchange@{}\nsigning        {:?}\n\
                 profile        {profile} ({})\nsha256         {}\nrequest paths  {}\nrefused paths  {}\nimports        {}\n",
                printable(&info.exchange_id),
                printable(&info.driver_version),
                summary.wit_version,
                info.signing,
                driver.base_url().unwrap_or("-"),
                summary.sha256,
                list(&info.request_paths),
                if refused.is_empty() { "none".to_owned() } else { list(&refused) },
                list(&summary.imports),
            )
        },
    );
    Ok(0)
}

async fn test(
    driver: &str,
    symbol: &str,
    orders: bool,
    with_credentials: bool,
    format: Format,
) -> Result<i32> {
    let symbol = Symbol::parse(symbol)?;
    let keys = if with_credentials {
        Keys::Attach
    } else {
        Keys::Withhold
    };
    let (driver, _scratch) = load(driver, keys).await?;
    if orders && driver.trades_for_real() && !driver.base_url().is_some_and(loopback) {
        return Err(Error::config(format!(
            "--orders would trade on {} for real; the conformance suite places orders only against a simulator \
             or an exchange on this machine (a fake)",
            driver.base_url().unwrap_or("the exchange")
        )));
    }
    let scope = Scope {
        symbol,
        orders,
        credentials: with_credentials,
        refused_paths: driver.refused_paths(),
    };
    let checks = conformance::run(&driver, &scope).await;
    let failed = checks.iter().filter(|c| !c.passed).count();
    format.value(
        &json!({
            "passed": checks.len() - failed,
            "failed": failed,
            "checks": checks.iter().map(|c| json!({
                "check": c.name, "passed": c.passed, "skipped": c.skipped, "detail": c.detail,
            })).collect::<Vec<_>>(),
        }),
        || {
            let mut out: String = checks
                .iter()
                .map(|c| {
                    let mark = match (c.passed, &c.skipped) {
                        (_, Some(_)) => "skip",
                        (true, None) => "ok  ",
                        (false, None) => "FAIL",
                    };
                    format!("{mark} {:<26} {}\n", c.name, c.detail)
                })
                .collect();
            out.push_str(&format!(
                "conformance: {} of {} checks passed\n",
                checks.len() - failed,
                checks.len()
            ));
            out
        },
    );
    if failed > 0 {
        return Err(Error::new(
            ErrorKind::Plugin,
            format!("{failed} conformance check(s) failed"),
        ));
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::loopback;

    #[test]
    fn only_this_machine_is_loopback() {
        for url in [
            "http://127.0.0.1:8080",
            "http://localhost",
            "http://[::1]:9/x",
            "http://127.9.9.9",
        ] {
            assert!(loopback(url), "{url}");
        }
        for url in [
            "https://api.kraken.com",
            "http://127.0.0.1.evil.example",
            "http://10.0.0.1",
            "http://evil@example.com",
        ] {
            assert!(!loopback(url), "{url}");
        }
    }
}
