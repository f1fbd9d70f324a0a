//! Headless mode: one JSON decision per line in, one JSON result per line
//! out, for a scheduler or a trading engine's pipe.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

use super::output::{error_json, trade_json};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::ExchangeDriver;
use crate::service::{BuyRequest, Executor, SellRequest};

/// Longest decision line accepted.
const MAX_LINE_BYTES: usize = 16 << 10;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision {
    symbol: String,
    action: String,
    amount_usd: Option<Box<RawValue>>,
    /// An amount of the market's quote currency (any market).
    amount_quote: Option<Box<RawValue>>,
    stop_loss_price: Option<Box<RawValue>>,
    take_profit_price: Option<Box<RawValue>>,
    /// Base amount to sell; the whole position when absent.
    amount: Option<Box<RawValue>>,
    trade_id: Option<String>,
}

/// A decimal given as a JSON string ("100") or a JSON number literal (100):
/// the literal's own text is parsed, never a float.
fn decimal_text(field: &str, raw: &Option<Box<RawValue>>) -> Result<Option<String>> {
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.get().trim();
    if text == "null" {
        return Ok(None);
    }
    if text.starts_with('"') {
        return serde_json::from_str::<String>(text)
            .map(Some)
            .map_err(|_| Error::invalid_input(format!("{field} is not a valid JSON string")));
    }
    if text.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
        return Ok(Some(text.to_owned()));
    }
    Err(Error::invalid_input(format!(
        "{field} must be a decimal string like \"100\""
    )))
}

enum Outcome {
    Executed(Value),
    Skipped(String, ErrorKind),
    Held,
}

async fn decide<D: ExchangeDriver>(executor: &Executor<D>, line: &str) -> Result<(Value, Outcome)> {
    let decision: Decision = serde_json::from_str(line)
        .map_err(|e| Error::invalid_input(format!("malformed decision: {e}")))?;
    let echo = json!({ "symbol": decision.symbol, "action": decision.action });
    let outcome = match decision.action.trim().to_ascii_uppercase().as_str() {
        "HOLD" => Outcome::Held,
        "BUY" => {
            let stop = decimal_text("stop_loss_price", &decision.stop_loss_price)?;
            let target = decimal_text("take_profit_price", &decision.take_profit_price)?;
            let usd = decimal_text("amount_usd", &decision.amount_usd)?;
            let quote = decimal_text("amount_quote", &decision.amount_quote)?;
            let request = match (usd, quote) {
                (Some(usd), None) => BuyRequest::parse_usd(
                    &decision.symbol,
                    &usd,
                    stop.as_deref(),
                    target.as_deref(),
                )?,
                (None, Some(amount)) => BuyRequest::parse(
                    &decision.symbol,
                    &amount,
                    stop.as_deref(),
                    target.as_deref(),
                )?,
                _ => {
                    return Err(Error::invalid_input(
                        "a BUY needs exactly one of amount_usd and amount_quote",
                    ));
                }
            };
            match executor.buy(&request).await {
                Ok(trade) => Outcome::Executed(trade_json(&trade)),
                // As the scheduler always has: a BUY on an open position is skipped.
                Err(err) if err.kind == ErrorKind::DuplicatePosition => {
                    Outcome::Skipped(err.message, err.kind)
                }
                Err(err) => return Err(err),
            }
        }
        "SELL" => {
            let request = SellRequest::parse(
                &decision.symbol,
                decimal_text("amount", &decision.amount)?.as_deref(),
                decision.trade_id.as_deref(),
            )?;
            match executor.sell(&request).await {
                Ok(trade) => Outcome::Executed(trade_json(&trade)),
                Err(err) if err.kind == ErrorKind::NotFound && request.trade_id.is_none() => {
                    Outcome::Skipped(err.message, err.kind)
                }
                Err(err) => return Err(err),
            }
        }
        other => {
            return Err(Error::invalid_input(format!(
                "action {other:?} is not BUY, SELL or HOLD"
            )));
        }
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
