//! The commands of a long-running deployment: `serve`, `liquidate`,
//! `update-stops`, and `sandbox set-price` (moving the simulator's market,
//! e.g. to watch a stop-loss fire).

use std::net::SocketAddr;

use clap::Subcommand;
use rust_decimal::Decimal;

use super::output::Format;
use crate::app;
use crate::config::Settings;
use crate::db::DriverState;
use crate::domain::{Symbol, amount};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::ExchangeDriver;
use crate::plugins::PluginChoice;

/// The sandbox driver, whose prices `sandbox set-price` moves.
const SANDBOX: &str = "kraken-sandbox";

/// The `sandbox` subcommands.
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Set the simulated mid price of SYMBOL (bid and ask around it), or
    /// clear it with --clear, from the next driver call on.
    SetPrice {
        /// Market, BASE/QUOTE, e.g. SOL/USD.
        symbol: String,
        /// A positive decimal, e.g. 142.5.
        #[arg(required_unless_present = "clear")]
        price: Option<String>,
        /// Go back to the configured or default price.
        #[arg(long, conflicts_with = "price")]
        clear: bool,
    },
}

/// Runs the service until SIGTERM or SIGINT.
pub async fn serve(listen: Option<SocketAddr>, allow_remote: bool, format: Format) -> Result<i32> {
    let settings = Settings::from_env()?;
    // The token and addresses are checked before anything is opened.
    let serve = settings.serve_settings(listen, allow_remote)?;
    let executor = app::open(&settings).await?;
    crate::serve::run(executor, serve, |address| {
        format.value(
            &serde_json::json!({ "listening": address.to_string() }),
            || format!("listening on http://{address} (docs/API.md)\n"),
        );
        // Printed before any request can arrive: a supervisor may wait for it.
        use std::io::Write;
        let _ = std::io::stdout().flush();
    })
    .await?;
    Ok(0)
}

/// Sells every open position; exit code 0 only if each one was sold.
pub async fn liquidate(yes: bool, format: Format) -> Result<i32> {
    if !yes {
        return Err(Error::invalid_input(
            "liquidate market-sells every open position; confirm with --yes",
        ));
    }
    let executor = super::open().await?;
    let report = executor.liquidate().await?;
    format.liquidated(&report);
    let code = report
        .iter()
        .filter_map(|l| l.outcome.as_ref().err())
        .map(|err| err.kind.exit_code())
        .max()
        .unwrap_or(0);
    super::done(executor, code).await
}

/// `none` clears a price; a decimal sets it; absent leaves it.
fn price_change(flag: &str, value: Option<&str>) -> Result<Option<Option<Decimal>>> {
    match value.map(str::trim) {
        None => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("none") => Ok(Some(None)),
        Some(v) => Ok(Some(Some(amount::parse_positive(flag, v)?))),
    }
}

/// Moves or clears an open trade's soft stop-loss and take-profit.
pub async fn update_stops(
    trade_id: &str,
    stop_loss: Option<&str>,
    take_profit: Option<&str>,
    format: Format,
) -> Result<i32> {
    if uuid::Uuid::parse_str(trade_id.trim()).is_err() {
        return Err(Error::invalid_input(format!(
            "{:?} is not a trade id (a UUID)",
            crate::text::untrusted(trade_id, 64)
        )));
    }
    let stop = price_change("--stop-loss", stop_loss)?;
    let target = price_change("--take-profit", take_profit)?;
    if stop.is_none() && target.is_none() {
        return Err(Error::invalid_input(
            "give --stop-loss and/or --take-profit (a price, or none to clear it)",
        ));
    }
    let executor = super::open().await?;
    let trade = executor.update_stops(trade_id.trim(), stop, target).await;
    let code = super::done(executor, 0).await?;
    format.trade("updated", &trade?);
    Ok(code)
}

/// Runs a `sandbox` subcommand: moves the simulator's market.
pub async fn sandbox(command: &SandboxCommand, format: Format) -> Result<i32> {
    let SandboxCommand::SetPrice {
        symbol,
        price,
        clear,
    } = command;
    let symbol = Symbol::parse(symbol)?;
    let value = match (price, clear) {
        (_, true) => String::new(),
        (Some(price), false) => amount::to_plain(amount::parse_positive("price", price)?),
        (None, false) => return Err(Error::invalid_input("give a price, or --clear")),
    };
    let settings = Settings::from_env()?;
    if settings.plugin != PluginChoice::Embedded(SANDBOX) {
        return Err(Error::invalid_input(format!(
            "set-price moves the {SANDBOX} simulator's market; the configured driver is {}",
            settings.plugin.name()
        )));
    }
    // The driver itself says whether it has this market.
    let executor = app::open(&settings).await?;
    let known = executor.driver().market_rules(&symbol).await;
    if let Err(err) = known {
        super::done(executor, 0).await?;
        return Err(Error::new(
            ErrorKind::InvalidSymbol,
            format!("the sandbox has no market {symbol}: {err}"),
        ));
    }
    let state = DriverState::new(executor.database().clone(), SANDBOX);
    let key = format!("price/{symbol}");
    // Compare-and-swap until it lands (another writer may race).
    let mut written = false;
    for _ in 0..16 {
        let current = state.get(&key).await?;
        if state
            .compare_and_swap(&key, current.as_deref(), &value)
            .await?
        {
            written = true;
            break;
        }
    }
    let code = super::done(executor, 0).await?;
    if !written {
        return Err(Error::new(
            ErrorKind::Database,
            format!("could not write {key}: other writers kept changing it"),
        ));
    }
    let shown = if value.is_empty() {
        "cleared".to_owned()
    } else {
        value
    };
    format.value(
        &serde_json::json!({ "symbol": symbol.to_string(), "price": (!clear).then_some(&shown) }),
        || format!("{symbol} sandbox price {shown}\n"),
    );
    Ok(code)
}
