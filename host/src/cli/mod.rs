//! The `tradehost` command line: the edge where configuration is read,
//! errors become exit codes (and gain the advice a person needs), and
//! results are printed.

pub mod output;
pub mod plugin;
pub mod run;
pub mod service;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde_json::json;
use tokio::io::BufReader;

use crate::app;
use crate::config::Settings;
use crate::domain::Currency;
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{ExchangeDriver, SigningScheme};
use crate::runtime::WasmDriver;
use crate::service::{BuyRequest, Executor, HandResolution, Resolution, SellRequest};
use output::Format;

/// The command line: global flags and one command.
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
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// How much a buy spends: `--usd` for USD markets, or the market's quote
/// currency with `--quote-amount`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Spend {
    /// USD to spend on a /USD market, e.g. 100 or 250.50.
    #[arg(long = "usd")]
    usd: Option<String>,
    /// Amount of the market's quote currency to spend (e.g. USDT for BTC/USDT).
    #[arg(long = "quote-amount")]
    quote_amount: Option<String>,
}

/// Every `tradehost` command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Market-buy SYMBOL for an amount of its quote currency and open a position.
    Buy {
        /// Market, BASE/QUOTE, e.g. SOL/USD.
        symbol: String,
        /// How much to spend.
        #[command(flatten)]
        spend: Spend,
        /// Soft stop-loss price: the service sells when the bid falls to it.
        #[arg(long = "stop-loss")]
        stop_loss: Option<String>,
        /// Soft take-profit price: the service sells when the bid rises to it.
        #[arg(long = "take-profit")]
        take_profit: Option<String>,
    },
    /// Market-sell part of an open position.
    Sell {
        /// Market, BASE/QUOTE, e.g. SOL/USD.
        symbol: String,
        /// Amount of the base asset to sell.
        #[arg(long)]
        amount: String,
        /// The trade to sell from (default: the asset's open position).
        #[arg(long = "trade-id")]
        trade_id: Option<String>,
    },
    /// Sell the whole open position in SYMBOL.
    Close {
        /// Market, BASE/QUOTE, e.g. SOL/USD.
        symbol: String,
    },
    /// Positions holding a slot (pending, open or closing).
    Positions,
    /// Recorded trades, newest first.
    Trades {
        /// How many trades (with --history: events) to show, from 1 to 10000.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// The audit trail of order attempts and state changes instead.
        #[arg(long)]
        history: bool,
        /// With --history: only this trade's events.
        #[arg(long = "trade-id", requires = "history")]
        trade_id: Option<String>,
    },
    /// Settle orders whose outcome is unknown by asking the exchange; or
    /// settle one by hand.
    Reconcile {
        /// Only this order (its client order id).
        #[arg(long = "order")]
        order: Option<String>,
        /// With --order: read it from the exchange now and record what it says.
        #[arg(
            long = "filled-from-exchange",
            requires = "order",
            conflicts_with = "mark_not_executed"
        )]
        filled_from_exchange: bool,
        /// With --order: declare it never executed (the exchange no longer knows it).
        #[arg(long = "mark-not-executed", requires_all = ["order", "reason"])]
        mark_not_executed: bool,
        /// Why, for the audit trail.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Inspect a driver, or run the conformance suite on it.
    Plugin {
        /// What to do with the driver.
        #[command(subcommand)]
        command: plugin::PluginCommand,
    },
    /// Exchange balances (one CURRENCY, or all).
    Balance {
        /// Currency code, e.g. USD (default: every currency held).
        currency: Option<String>,
    },
    /// Check the driver loads, the exchange answers, and the credentials work.
    Check,
    /// Headless mode: execute JSON-line decisions from stdin or a file.
    Run {
        /// File of JSON-line decisions (default: stdin).
        #[arg(long)]
        decisions: Option<PathBuf>,
        /// Decisions executing at once (different assets side by side; one
        /// asset's decisions always in order). 1 executes one at a time.
        #[arg(long, default_value_t = run::DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=256))]
        concurrency: u16,
    },
    /// Run as a service: the authenticated HTTP API (docs/API.md), the soft
    /// stop-loss / take-profit monitor and background reconciliation.
    Serve {
        /// Address and port to listen on (default TRADEHOST_LISTEN or 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Allow an address beyond loopback (put a TLS proxy in front).
        #[arg(long)]
        allow_remote: bool,
    },
    /// Emergency: market-sell every open position now.
    Liquidate {
        /// Confirms that every position is to be sold.
        #[arg(long)]
        yes: bool,
    },
    /// Move an open trade's soft stop-loss and take-profit.
    UpdateStops {
        /// The trade's id.
        trade_id: String,
        /// New stop-loss price, or `none` to remove it.
        #[arg(long = "stop-loss")]
        stop_loss: Option<String>,
        /// New take-profit price, or `none` to remove it.
        #[arg(long = "take-profit")]
        take_profit: Option<String>,
    },
    /// Drive the kraken-sandbox simulator's market.
    Sandbox {
        /// What to do to the simulator.
        #[command(subcommand)]
        command: service::SandboxCommand,
    },
}

/// Exit code of `run` when any decision failed.
pub const RUN_FAILED_EXIT: i32 = 20;

/// Runs a parsed command; prints results and errors; returns the exit code.
pub async fn execute(cli: Cli) -> i32 {
    let format = Format::of(cli.json);
    match dispatch(&cli.command, format).await {
        Ok(code) => code,
        Err(err) => {
            let err = with_advice(err);
            format.error(&err);
            err.kind.exit_code()
        }
    }
}

/// What a person can do about an error, added at the edge.
fn with_advice(err: Error) -> Error {
    let advice = match err.kind {
        ErrorKind::DuplicatePosition => "; close it before opening another",
        ErrorKind::Auth => "; check the exchange API key and secret",
        ErrorKind::UnknownOutcome => "; settle it now with `tradehost reconcile`",
        _ => "",
    };
    Error::new(err.kind, format!("{}{advice}", err.message))
}

async fn open() -> Result<Executor<WasmDriver>> {
    app::open(&Settings::from_env()?).await
}

async fn dispatch(command: &Command, format: Format) -> Result<i32> {
    match command {
        Command::Buy { .. } | Command::Sell { .. } | Command::Close { .. } => {
            trade(command, format).await
        }
        Command::Positions => {
            let executor = open().await?;
            format.trades(&executor.positions().await?);
            done(executor, 0).await
        }
        Command::Trades {
            limit,
            history,
            trade_id,
        } => trades(*limit, *history, trade_id.as_deref(), format).await,
        Command::Reconcile {
            order,
            filled_from_exchange,
            mark_not_executed,
            reason,
        } => {
            let by_hand = match (order, filled_from_exchange, mark_not_executed) {
                (None, _, _) => None,
                (Some(id), _, true) => Some((
                    id,
                    HandResolution::NotExecuted {
                        reason: reason.clone().unwrap_or_default(),
                    },
                )),
                (Some(id), _, false) => Some((id, HandResolution::FromExchange)),
            };
            reconcile(by_hand, format).await
        }
        Command::Plugin { command } => plugin::execute(command, format).await,
        Command::Balance { currency } => balance(currency.as_deref(), format).await,
        Command::Check => check(format).await,
        Command::Run {
            decisions,
            concurrency,
        } => run(decisions.as_deref(), usize::from(*concurrency)).await,
        Command::Serve {
            listen,
            allow_remote,
        } => service::serve(*listen, *allow_remote, format).await,
        Command::Liquidate { yes } => service::liquidate(*yes, format).await,
        Command::UpdateStops {
            trade_id,
            stop_loss,
            take_profit,
        } => {
            service::update_stops(
                trade_id,
                stop_loss.as_deref(),
                take_profit.as_deref(),
                format,
            )
            .await
        }
        Command::Sandbox { command } => service::sandbox(command, format).await,
    }
}

async fn done(executor: Executor<WasmDriver>, code: i32) -> Result<i32> {
    executor.database().close().await;
    Ok(code)
}

/// A buy, sell or close: the input is validated before anything is opened,
/// loaded or sent.
async fn trade(command: &Command, format: Format) -> Result<i32> {
    enum Decision {
        Buy(BuyRequest),
        Sell(SellRequest, &'static str),
    }
    let decision = match command {
        Command::Buy {
            symbol,
            spend,
            stop_loss,
            take_profit,
        } => {
            let (stop, target) = (stop_loss.as_deref(), take_profit.as_deref());
            Decision::Buy(match (&spend.usd, &spend.quote_amount) {
                (Some(usd), _) => BuyRequest::parse_usd(symbol, usd, stop, target)?,
                (None, Some(amount)) => BuyRequest::parse(symbol, amount, stop, target)?,
                (None, None) => return Err(Error::invalid_input("give --usd or --quote-amount")),
            })
        }
        Command::Sell {
            symbol,
            amount,
            trade_id,
        } => Decision::Sell(
            SellRequest::parse(symbol, Some(amount), trade_id.as_deref())?,
            "sold",
        ),
        Command::Close { symbol } => {
            Decision::Sell(SellRequest::parse(symbol, None, None)?, "closed")
        }
        _ => return Err(Error::invalid_input("not a trading command")),
    };
    let executor = open().await?;
    let (verb, record) = match decision {
        Decision::Buy(request) => ("bought", executor.buy(&request).await?),
        Decision::Sell(request, verb) => (verb, executor.sell(&request).await?),
    };
    format.trade(verb, &record);
    done(executor, 0).await
}

async fn trades(limit: i64, history: bool, trade_id: Option<&str>, format: Format) -> Result<i32> {
    if !(1..=10_000).contains(&limit) {
        return Err(Error::invalid_input(format!(
            "--limit must be from 1 to 10000, got {limit}"
        )));
    }
    let executor = open().await?;
    if history {
        format.events(&executor.history(trade_id, limit).await?);
    } else {
        format.trades(&executor.trades(limit).await?);
    }
    done(executor, 0).await
}

async fn reconcile(by_hand: Option<(&String, HandResolution)>, format: Format) -> Result<i32> {
    let executor = open().await?;
    let reconciled = match by_hand {
        Some((id, how)) => vec![executor.resolve_by_hand(id, how).await?],
        None => executor.reconcile().await?,
    };
    format.reconciled(&reconciled);
    let open = reconciled.iter().any(|r| {
        matches!(
            r.resolution,
            Resolution::StillUnknown(_) | Resolution::Failed(_)
        )
    });
    let code = if open {
        ErrorKind::UnknownOutcome.exit_code()
    } else {
        0
    };
    done(executor, code).await
}

async fn balance(currency: Option<&str>, format: Format) -> Result<i32> {
    let wanted = currency.map(Currency::parse).transpose()?;
    let executor = open().await?;
    let mut balances = executor.balances().await?;
    if let Some(wanted) = &wanted {
        balances.retain(|b| b.currency == wanted.as_str());
        if balances.is_empty() {
            return Err(Error::not_found(format!(
                "no {wanted} balance on the exchange"
            )));
        }
    }
    format.balances(&balances);
    done(executor, 0).await
}

async fn run(decisions: Option<&std::path::Path>, concurrency: usize) -> Result<i32> {
    let executor = open().await?;
    let summary = match decisions {
        Some(path) => {
            let file = tokio::fs::File::open(path).await.map_err(|e| {
                Error::invalid_input(format!("cannot open {}: {e}", path.display()))
            })?;
            run::run(
                &executor,
                BufReader::new(file),
                tokio::io::stdout(),
                concurrency,
            )
            .await?
        }
        None => {
            run::run(
                &executor,
                BufReader::new(tokio::io::stdin()),
                tokio::io::stdout(),
                concurrency,
            )
            .await?
        }
    };
    let code = if summary.failed > 0 {
        RUN_FAILED_EXIT
    } else {
        0
    };
    done(executor, code).await
}

/// Driver loaded (it did, to get here), exchange status, credentials.
async fn check(format: Format) -> Result<i32> {
    let executor = open().await?;
    let info = executor.driver().info().clone();
    let status = executor.status().await?;
    let credentials = match executor.balances().await {
        Ok(_) if info.signing == SigningScheme::None => "not required".to_owned(),
        Ok(_) => "accepted (funds can be queried)".to_owned(),
        Err(err) if err.kind == ErrorKind::Auth => {
            let vars = executor.driver().credential_vars();
            let names = vars.map_or_else(String::new, |v| {
                format!(" ({} and {})", v.api_key, v.secret)
            });
            return Err(Error::new(
                err.kind,
                format!(
                    "{}; the exchange refused the credentials{names}",
                    err.message
                ),
            ));
        }
        Err(err) => return Err(err),
    };
    let state = format!("{:?}", status.state).to_lowercase();
    format.value(
        &json!({
            "driver": { "exchange_id": info.exchange_id, "version": info.driver_version },
            "profile": executor.driver().profile_name(),
            "exchange_status": state,
            "message": status.message,
            "credentials": credentials,
        }),
        || {
            format!(
                "driver      {} {}\nprofile     {}\nexchange    {:?}{}\ncredentials {credentials}\n",
                crate::text::printable(&info.exchange_id),
                crate::text::printable(&info.driver_version),
                executor.driver().profile_name().unwrap_or("-"),
                status.state,
                status
                    .message
                    .as_deref()
                    .map(|m| format!(" ({})", crate::text::printable(m)))
                    .unwrap_or_default()
            )
        },
    );
    done(executor, 0).await
}
