//! The fake exchanges as a standalone server, e.g. for benchmarks:
//!
//! ```text
//! fake-exchange kraken [--port N] [--latency-ms N] [--usd N] [--extra-pairs N]
//!                      [--no-rate-limit] [--ignore-stdin]
//! ```
//!
//! Serves the fake Kraken on 127.0.0.1 (`--port 0`, the default, takes any
//! free port), prints one line
//! `url=http://127.0.0.1:PORT api_key=… private_key=…` on stdout, and serves
//! until stdin closes (unless `--ignore-stdin`) or SIGTERM/SIGINT arrives.
//! `--latency-ms` delays every request; `--usd` sets the account's ZUSD
//! balance (default 10000); `--extra-pairs N` lists N more USD pairs with
//! tickers (`TK01/USD`, `TK02/USD`, …, around 10 USD each) besides the five
//! default ones; `--no-rate-limit` switches Kraken's REST call counter off
//! (it is on, at the starter tier, by default). `GET /__fake/stats` answers
//! `{"requests": {path: count}, "applied_orders": n, "add_order_attempts": n, …}`;
//! `GET /__fake/log?since=N` the request paths in arrival order.

use std::io::Write as _;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use fake_exchange::kraken::FakeKraken;
use rust_decimal::Decimal;

const USAGE: &str = "usage: fake-exchange kraken [--port N] [--latency-ms N] [--usd N] \
                     [--extra-pairs N] [--no-rate-limit] [--ignore-stdin]";

/// More extra pairs than any benchmark needs is a typo.
const MAX_EXTRA_PAIRS: usize = 10_000;

#[derive(Debug, Default)]
struct Args {
    port: u16,
    latency_ms: u64,
    usd: Option<Decimal>,
    extra_pairs: usize,
    no_rate_limit: bool,
    ignore_stdin: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    match args.next().as_deref() {
        Some("kraken") => {}
        Some(other) => return Err(format!("unknown exchange {other:?}")),
        None => return Err("which exchange?".into()),
    }
    let mut parsed = Args::default();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        if inline.is_none() {
            match flag.as_str() {
                "--ignore-stdin" => {
                    parsed.ignore_stdin = true;
                    continue;
                }
                "--no-rate-limit" => {
                    parsed.no_rate_limit = true;
                    continue;
                }
                _ => {}
            }
        }
        let value = inline
            .or_else(|| args.next())
            .ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value:?}: {e}");
        match flag.as_str() {
            "--port" => parsed.port = value.parse().map_err(|e| bad(&e))?,
            "--latency-ms" => parsed.latency_ms = value.parse().map_err(|e| bad(&e))?,
            "--extra-pairs" => {
                let n: usize = value.parse().map_err(|e| bad(&e))?;
                if n > MAX_EXTRA_PAIRS {
                    return Err(bad(&format!("at most {MAX_EXTRA_PAIRS}")));
                }
                parsed.extra_pairs = n;
            }
            "--usd" => {
                let usd = Decimal::from_str(&value).map_err(|e| bad(&e))?;
                if usd.is_sign_negative() {
                    return Err(bad(&"negative"));
                }
                parsed.usd = Some(usd);
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(parsed)
}

/// Resolves when stdin reaches its end (never with `ignore_stdin`), or on
/// SIGTERM or SIGINT.
async fn shutdown(ignore_stdin: bool) {
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel::<()>();
    if !ignore_stdin {
        // A plain thread: a blocked read must not keep the process alive.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            let _ = closed_tx.send(());
        });
    }
    let stdin_closed = async {
        if closed_rx.await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    term.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await;
    };
    tokio::select! {
        () = stdin_closed => {}
        () = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("fake-exchange: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let kraken = match FakeKraken::start_on_port(args.port).await {
        Ok(kraken) => kraken,
        Err(e) => {
            eprintln!(
                "fake-exchange: cannot listen on 127.0.0.1:{}: {e}",
                args.port
            );
            return ExitCode::FAILURE;
        }
    };
    kraken.set_latency(Duration::from_millis(args.latency_ms));
    kraken.add_usd_pairs(args.extra_pairs);
    if args.no_rate_limit {
        kraken.disable_rate_limit();
    }
    if let Some(usd) = args.usd {
        kraken.set_balance("ZUSD", &usd.to_string());
    }
    let mut out = std::io::stdout().lock();
    let line = format!(
        "url={} api_key={} private_key={}",
        kraken.url,
        FakeKraken::API_KEY,
        FakeKraken::PRIVATE_KEY
    );
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    drop(out);
    shutdown(args.ignore_stdin).await;
    ExitCode::SUCCESS
}
