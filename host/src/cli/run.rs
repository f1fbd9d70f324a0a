//! Headless mode: one JSON decision per line in, one JSON result per line
//! out, for a scheduler or a trading engine's pipe.
//!
//! Decisions for different assets execute side by side (up to a bound);
//! decisions for one asset execute one after another, in input order; the
//! results are written in input order whatever finishes first. Lines are
//! read as they arrive, so a pipe from a live engine is served at once.

use std::collections::HashMap;

use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use serde_json::{Value, json};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{Semaphore, oneshot};

use super::output::{error_json, trade_json};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::ExchangeDriver;
use crate::service::Executor;
use crate::service::decision::{self, Decision, Echo};

/// Longest decision line accepted.
const MAX_LINE_BYTES: usize = 16 << 10;
/// Decisions read ahead of the oldest one not yet written.
const MAX_READ_AHEAD: usize = 1_024;
/// Decisions executing at once, by default.
pub const DEFAULT_CONCURRENCY: u16 = 8;

/// One decision's execution: its line number and result.
type Pending<'a> = std::pin::Pin<Box<dyn Future<Output = (usize, Result<(Echo, Outcome)>)> + 'a>>;

enum Outcome {
    Executed(Value),
    Skipped(String, ErrorKind),
    Held,
}

async fn execute<D: ExchangeDriver>(executor: &Executor<D>, decision: Decision) -> Result<Outcome> {
    Ok(match decision {
        Decision::Hold => Outcome::Held,
        Decision::Buy(request) => match executor.buy(&request).await {
            Ok(trade) => Outcome::Executed(trade_json(&trade)),
            // As the scheduler always has: a BUY on an open position is skipped.
            Err(err) if err.kind == ErrorKind::DuplicatePosition => {
                Outcome::Skipped(err.message, err.kind)
            }
            Err(err) => return Err(err),
        },
        Decision::Sell(request) => match executor.sell(&request).await {
            Ok(trade) => Outcome::Executed(trade_json(&trade)),
            Err(err) if err.kind == ErrorKind::NotFound && request.trade_id.is_none() => {
                Outcome::Skipped(err.message, err.kind)
            }
            Err(err) => return Err(err),
        },
    })
}

/// Summary of a run, for the exit code.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Decisions that became a trade.
    pub executed: usize,
    /// Decisions skipped: a BUY on an asset with a position, a SELL with no
    /// position to sell.
    pub skipped: usize,
    /// HOLD decisions.
    pub held: usize,
    /// Lines that failed: unreadable, or an error executing them.
    pub failed: usize,
}

/// One result line, and how it counts.
fn record(number: usize, result: Result<(Echo, Outcome)>, summary: &mut RunSummary) -> String {
    let mut record = match result {
        Ok((echo, outcome)) => {
            let mut line = json!({ "symbol": echo.symbol, "action": echo.action });
            match outcome {
                Outcome::Executed(trade) => {
                    summary.executed += 1;
                    line["status"] = json!("executed");
                    line["trade"] = trade;
                }
                Outcome::Skipped(reason, kind) => {
                    summary.skipped += 1;
                    line["status"] = json!("skipped");
                    line["reason"] = json!(reason);
                    line["reason_kind"] = json!(kind.as_str());
                }
                Outcome::Held => {
                    summary.held += 1;
                    line["status"] = json!("held");
                }
            }
            line
        }
        Err(err) => {
            summary.failed += 1;
            let mut line = error_json(&err);
            line["status"] = json!("error");
            line
        }
    };
    record["line"] = json!(number);
    let mut text = record.to_string();
    text.push('\n');
    text
}

/// Executes decisions (at most `concurrency` at once, one at a time per
/// asset), writing a result line for each, in input order. Blank lines are
/// ignored; a bad line is reported and the run goes on.
pub async fn run<D: ExchangeDriver>(
    executor: &Executor<D>,
    input: impl AsyncBufRead + Unpin,
    mut output: impl AsyncWrite + Unpin,
    concurrency: usize,
) -> Result<RunSummary> {
    let io_error = |e: std::io::Error| Error::invalid_input(format!("cannot read decisions: {e}"));
    let write_error =
        |e: std::io::Error| Error::invalid_input(format!("cannot write results: {e}"));
    let slots = Semaphore::new(concurrency.max(1));
    // Per asset, the completion of its latest decision: the next one waits.
    let mut last_of_asset: HashMap<String, oneshot::Receiver<()>> = HashMap::new();
    let mut pending: FuturesOrdered<Pending<'_>> = FuturesOrdered::new();
    let mut summary = RunSummary::default();
    let mut lines = input.lines();
    let mut number = 0usize;
    let mut reading = true;
    while reading || !pending.is_empty() {
        tokio::select! {
            // Results first: they free read-ahead room and reach the reader.
            biased;
            Some((line_number, result)) = pending.next(), if !pending.is_empty() => {
                let text = record(line_number, result, &mut summary);
                output.write_all(text.as_bytes()).await.map_err(write_error)?;
                output.flush().await.map_err(write_error)?;
            }
            line = lines.next_line(), if reading && pending.len() < MAX_READ_AHEAD => {
                let Some(line) = line.map_err(io_error)? else {
                    reading = false;
                    continue;
                };
                number += 1;
                if line.trim().is_empty() {
                    continue;
                }
                let parsed = if line.len() > MAX_LINE_BYTES {
                    Err(Error::invalid_input(format!(
                        "decision line longer than {MAX_LINE_BYTES} bytes"
                    )))
                } else {
                    decision::parse(&line)
                };
                let line_number = number;
                let (echo, decision) = match parsed {
                    Ok(parsed) => parsed,
                    Err(err) => {
                        pending.push_back(Box::pin(async move { (line_number, Err(err)) }));
                        continue;
                    }
                };
                let (done, finished) = oneshot::channel();
                let before = decision
                    .asset()
                    .and_then(|asset| last_of_asset.insert(asset.to_owned(), finished));
                let slots = &slots;
                pending.push_back(Box::pin(async move {
                    if let Some(before) = before {
                        // Sent or dropped once the earlier decision ended.
                        let _ = before.await;
                    }
                    let outcome = {
                        let _slot = slots
                            .acquire()
                            .await
                            .expect("the run's semaphore is never closed");
                        execute(executor, decision).await
                    };
                    let _ = done.send(());
                    (line_number, outcome.map(|outcome| (echo, outcome)))
                }));
            }
        }
    }
    Ok(summary)
}
