//! The `tradehost` command line: the edge where configuration is read,
//! errors become exit codes, and results are printed.

pub mod output;
pub mod plugin;
pub mod run;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use serde_json::json;
use tokio::io::BufReader;

use crate::config::Settings;
use crate::db::Database;
use crate::error::{Error, Result};
use crate::exchange::ExchangeDriver;
use crate::plugins;
use crate::runtime::WasmDriver;
use crate::service::{BuyRequest, Executor, SellRequest};
use output::{balance_json, trade_json, trade_line, trades_table};

#[derive(Debug, Parser)]
#[command(
    name = "tradehost",
    version,
    about = "Execute trading decisions as exchange orders through sandboxed drivers"
)]
pub struct Cli {
    /// Machine output: JSON on stdout, errors as {"error":{kind,message}} on stderr.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Market-buy SYMBOL for a USD amount and open a position.
    Buy {
        symbol: String,
        /// USD to spend, e.g. 100 or 250.50.
        #[arg(long = "usd")]
        usd: String,
        #[arg(long = "stop-loss")]
        stop_loss: Option<String>,
        #[arg(long = "take-profit")]
        take_profit: Option<String>,
    },
    /// Market-sell part of an open position.
    Sell {
        symbol: String,
        /// Amount of the base asset to sell.
        #[arg(long)]
        amount: String,
        /// The trade to sell from (default: the asset's open position).
        #[arg(long = "trade-id")]
        trade_id: Option<String>,
    },
    /// Sell the whole open position in SYMBOL.
    Close { symbol: String },
    /// Positions holding a slot (pending, open or closing).
    Positions,
    /// Recorded trades, newest first.
    Trades {
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// The audit trail of order attempts and state changes instead.
        #[arg(long)]
        history: bool,
        /// With --history: only this trade's events.
        #[arg(long = "trade-id", requires = "history")]
        trade_id: Option<String>,
    },
    /// Settle orders whose outcome is unknown by asking the exchange.
    Reconcile,
    /// Inspect a driver, or run the conformance suite on it.
    Plugin {
        #[command(subcommand)]
        command: plugin::PluginCommand,
    },
    /// Exchange balances (one CURRENCY, or all).
    Balance { currency: Option<String> },
    /// Check the driver loads, the exchange answers, and the credentials work.
    Check,
    /// Headless mode: execute JSON-line decisions from stdin or a file.
    Run {
        #[arg(long)]
        decisions: Option<PathBuf>,
    },
}

/// Exit code of `run` when any decision failed.
pub const RUN_FAILED_EXIT: i32 = 20;

/// Runs a parsed command; prints results and errors; returns the exit code.
pub async fn execute(cli: Cli) -> i32 {
    match dispatch(&cli).await {
        Ok(code) => code,
        Err(err) => {
            if cli.json {
                eprintln!("{}", output::error_json(&err));
            } else {
                eprintln!("error [{}]: {}", err.kind, err.message);
            }
            err.kind.exit_code()
        }
    }
}

async fn open() -> Result<Executor<WasmDriver>> {
    let settings = Settings::from_env()?;
    let db = Database::connect(&settings.database_url).await?;
    let driver = plugins::load(&settings, &db).await?;
    Ok(Executor::new(db, driver).with_policy(settings.policy))
}

fn print_json(value: &serde_json::Value) {
    println!("{value}");
}

/// A trading command's input, validated before anything is opened, loaded
/// or sent.
enum Trade {
    Buy(BuyRequest),
    Sell(SellRequest, &'static str),
}

fn parse_trade(command: &Command) -> Result<Option<Trade>> {
    Ok(Some(match command {
        Command::Buy {
            symbol,
            usd,
            stop_loss,
            take_profit,
        } => Trade::Buy(BuyRequest::parse(
            symbol,
            usd,
            stop_loss.as_deref(),
            take_profit.as_deref(),
        )?),
        Command::Sell {
            symbol,
            amount,
            trade_id,
        } => Trade::Sell(
            SellRequest::parse(symbol, Some(amount), trade_id.as_deref())?,
            "sold",
        ),
        Command::Close { symbol } => Trade::Sell(SellRequest::parse(symbol, None, None)?, "closed"),
        _ => return Ok(None),
    }))
}

async fn dispatch(cli: &Cli) -> Result<i32> {
    let trade = parse_trade(&cli.command)?;
    if let Command::Plugin { command } = &cli.command {
        return plugin::execute(command, cli.json).await;
    }
    let executor = open().await?;
    if let Some(trade) = trade {
        let (verb, record) = match trade {
            Trade::Buy(request) => ("bought", executor.buy(&request).await?),
            Trade::Sell(request, verb) => (verb, executor.sell(&request).await?),
        };
        show_trade(cli, verb, &record);
        executor.database().close().await;
        return Ok(0);
    }
    let code = match &cli.command {
        // Handled above.
        Command::Buy { .. } | Command::Sell { .. } | Command::Close { .. } => 0,
        Command::Positions => {
            show_trades(cli, &executor.positions().await?);
            0
        }
        Command::Trades {
            limit,
            history,
            trade_id,
        } => {
            if !(1..=10_000).contains(limit) {
                return Err(Error::invalid_input(format!(
                    "--limit must be from 1 to 10000, got {limit}"
                )));
            }
            if *history {
                let events = executor
                    .database()
                    .events(trade_id.as_deref(), *limit)
                    .await?;
                if cli.json {
                    print_json(&json!(
                        events.iter().map(output::event_json).collect::<Vec<_>>()
                    ));
                } else {
                    print!("{}", output::events_table(&events));
                }
            } else {
                show_trades(cli, &executor.trades(*limit).await?);
            }
            0
        }
        Command::Plugin { .. } => 0,
        Command::Reconcile => {
            let reconciled = executor.reconcile().await?;
            if cli.json {
                print_json(
                    &json!({ "reconciled": reconciled.iter().map(output::reconciled_json).collect::<Vec<_>>() }),
                );
            } else {
                print!("{}", output::reconciled_text(&reconciled));
            }
            let open = reconciled
                .iter()
                .any(|r| matches!(r.resolution, crate::service::Resolution::StillUnknown(_)));
            if open {
                crate::error::ErrorKind::UnknownOutcome.exit_code()
            } else {
                0
            }
        }
        Command::Balance { currency } => {
            let mut balances = executor.balances().await?;
            if let Some(currency) = currency {
                let wanted = crate::domain::Symbol::parse(&format!("{currency}/XXX"))
                    .map(|s| s.base().to_owned())
                    .map_err(|_| {
                        Error::invalid_input(format!("{currency:?} is not a currency code"))
                    })?;
                balances.retain(|b| b.currency == wanted);
                if balances.is_empty() {
                    return Err(Error::not_found(format!(
                        "no {wanted} balance on the exchange"
                    )));
                }
            }
            if cli.json {
                print_json(&json!(
                    balances.iter().map(balance_json).collect::<Vec<_>>()
                ));
            } else {
                for b in &balances {
                    println!(
                        "{:<6} total {:>20}  available {:>20}",
                        b.currency,
                        b.total.normalize(),
                        b.available.normalize()
                    );
                }
            }
            0
        }
        Command::Check => check(cli, &executor).await?,
        Command::Run { decisions } => {
            let summary = match decisions {
                Some(path) => {
                    let file = tokio::fs::File::open(path).await.map_err(|e| {
                        Error::invalid_input(format!("cannot open {}: {e}", path.display()))
                    })?;
                    run::run(&executor, BufReader::new(file), tokio::io::stdout()).await?
                }
                None => {
                    run::run(
                        &executor,
                        BufReader::new(tokio::io::stdin()),
                        tokio::io::stdout(),
                    )
                    .await?
                }
            };
            if summary.failed > 0 {
                RUN_FAILED_EXIT
            } else {
                0
            }
        }
    };
    executor.database().close().await;
    Ok(code)
}

fn show_trade(cli: &Cli, verb: &str, trade: &crate::db::TradeRecord) {
    if cli.json {
        print_json(&trade_json(trade));
    } else {
        print!("{}", trade_line(verb, trade));
    }
}

fn show_trades(cli: &Cli, trades: &[crate::db::TradeRecord]) {
    if cli.json {
        print_json(&json!(trades.iter().map(trade_json).collect::<Vec<_>>()));
    } else {
        print!("{}", trades_table(trades));
    }
}

/// Driver loaded (it did, to get here), exchange status, credentials.
async fn check(cli: &Cli, executor: &Executor<WasmDriver>) -> Result<i32> {
    let info = executor.driver().info().clone();
    let status = executor.status().await?;
    let credentials = match executor.balances().await {
        Ok(_) if info.signing == crate::exchange::SigningScheme::None => "not required".to_owned(),
        Ok(_) => "accepted (funds can be queried)".to_owned(),
        Err(err) if err.kind == crate::error::ErrorKind::Auth => {
            return Err(Error::new(
                err.kind,
                format!(
                    "{}; check {} and {}",
                    err.message,
                    crate::credentials::API_KEY_VAR,
                    crate::credentials::PRIVATE_KEY_VAR
                ),
            ));
        }
        Err(err) => return Err(err),
    };
    if cli.json {
        print_json(&json!({
            "driver": { "exchange_id": info.exchange_id, "version": info.driver_version },
            "exchange_status": format!("{:?}", status.state).to_lowercase(),
            "message": status.message,
            "credentials": credentials,
        }));
    } else {
        println!("driver      {} {}", info.exchange_id, info.driver_version);
        println!(
            "exchange    {:?}{}",
            status.state,
            status
                .message
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        );
        println!("credentials {credentials}");
    }
    Ok(0)
}
