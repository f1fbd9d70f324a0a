//! Headless mode: one JSON decision per line in, one JSON result per line
//! out, for a scheduler or a trading engine's pipe.

use serde_json::{Value, json};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

use super::output::{error_json, trade_json};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::ExchangeDriver;
use crate::service::Executor;
use crate::service::decision::{self, Decision};

/// Longest decision line accepted.
const MAX_LINE_BYTES: usize = 16 << 10;

enum Outcome {
    Executed(Value),
    Skipped(String, ErrorKind),
    Held,
}

async fn decide<D: ExchangeDriver>(executor: &Executor<D>, line: &str) -> Result<(Value, Outcome)> {
    let (echo, decision) = decision::parse(line)?;
    let echo = json!({ "symbol": echo.symbol, "action": echo.action });
    let outcome = match decision {
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
    };
    Ok((echo, outcome))
}

/// Summary of a run, for the exit code.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    pub executed: usize,
    pub skipped: usize,
    pub held: usize,
    pub failed: usize,
}

/// Executes decisions in order, one at a time, writing a result line for
/// each. Blank lines are ignored; a bad line is reported and the run goes on.
pub async fn run<D: ExchangeDriver>(
    executor: &Executor<D>,
    input: impl AsyncBufRead + Unpin,
    mut output: impl AsyncWrite + Unpin,
) -> Result<RunSummary> {
    let io_error = |e: std::io::Error| Error::invalid_input(format!("cannot read decisions: {e}"));
    let mut summary = RunSummary::default();
    let mut lines = input.lines();
    let mut number = 0usize;
    while let Some(line) = lines.next_line().await.map_err(io_error)? {
        number += 1;
        if line.trim().is_empty() {
            continue;
        }
        let result = if line.len() > MAX_LINE_BYTES {
            Err(Error::invalid_input(format!(
                "decision line longer than {MAX_LINE_BYTES} bytes"
            )))
        } else {
            decide(executor, &line).await
        };
        let mut record = match result {
            Ok((mut echo, outcome)) => {
                match outcome {
                    Outcome::Executed(trade) => {
                        summary.executed += 1;
                        echo["status"] = json!("executed");
                        echo["trade"] = trade;
                    }
                    Outcome::Skipped(reason, kind) => {
                        summary.skipped += 1;
                        echo["status"] = json!("skipped");
                        echo["reason"] = json!(reason);
                        echo["reason_kind"] = json!(kind.as_str());
                    }
                    Outcome::Held => {
                        summary.held += 1;
                        echo["status"] = json!("held");
                    }
                }
                echo
            }
            Err(err) => {
                summary.failed += 1;
                let mut record = error_json(&err);
                record["status"] = json!("error");
                record
            }
        };
        record["line"] = json!(number);
        let mut text = record.to_string();
        text.push('\n');
        output
            .write_all(text.as_bytes())
            .await
            .map_err(|e| Error::invalid_input(format!("cannot write results: {e}")))?;
        output
            .flush()
            .await
            .map_err(|e| Error::invalid_input(format!("cannot write results: {e}")))?;
    }
    Ok(summary)
}
