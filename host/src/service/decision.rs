//! A trading decision as JSON — one schema for the headless `run` lines and
//! the service's `POST /v1/orders` bodies, parsed strictly: no unknown
//! field, decimals read from their own text (a JSON string, or a number's
//! literal), never through a float.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{BuyRequest, SellRequest};
use crate::error::{Error, Result};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Json {
    symbol: String,
    action: String,
    /// USD to spend (USD markets only).
    amount_usd: Option<Box<RawValue>>,
    /// An amount of the market's quote currency (any market).
    amount_quote: Option<Box<RawValue>>,
    stop_loss_price: Option<Box<RawValue>>,
    take_profit_price: Option<Box<RawValue>>,
    /// Base amount to sell; the whole position when absent.
    amount: Option<Box<RawValue>>,
    trade_id: Option<String>,
}

/// What a decision asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A buy.
    Buy(BuyRequest),
    /// A sell; a CLOSE is a sell of the whole position.
    Sell(SellRequest),
    /// Nothing to do.
    Hold,
}

impl Decision {
    /// The asset whose position the decision acts on (none for a HOLD).
    pub fn asset(&self) -> Option<&str> {
        match self {
            Decision::Buy(request) => Some(request.symbol.base()),
            Decision::Sell(request) => Some(request.symbol.base()),
            Decision::Hold => None,
        }
    }
}

/// The decision's symbol and action as given, for echoing in results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Echo {
    /// The symbol as given.
    pub symbol: String,
    /// The action as given.
    pub action: String,
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

/// Parses one decision. A malformed one is an `invalid_input` error that
/// says what is wrong.
pub fn parse(json: &str) -> Result<(Echo, Decision)> {
    let d: Json = serde_json::from_str(json)
        .map_err(|e| Error::invalid_input(format!("malformed decision: {e}")))?;
    let echo = Echo {
        symbol: d.symbol.clone(),
        action: d.action.clone(),
    };
    let decision = match d.action.trim().to_ascii_uppercase().as_str() {
        "HOLD" => Decision::Hold,
        "BUY" => {
            let stop = decimal_text("stop_loss_price", &d.stop_loss_price)?;
            let target = decimal_text("take_profit_price", &d.take_profit_price)?;
            let usd = decimal_text("amount_usd", &d.amount_usd)?;
            let quote = decimal_text("amount_quote", &d.amount_quote)?;
            Decision::Buy(match (usd, quote) {
                (Some(usd), None) => {
                    BuyRequest::parse_usd(&d.symbol, &usd, stop.as_deref(), target.as_deref())?
                }
                (None, Some(amount)) => {
                    BuyRequest::parse(&d.symbol, &amount, stop.as_deref(), target.as_deref())?
                }
                _ => {
                    return Err(Error::invalid_input(
                        "a BUY needs exactly one of amount_usd and amount_quote",
                    ));
                }
            })
        }
        "SELL" => Decision::Sell(SellRequest::parse(
            &d.symbol,
            decimal_text("amount", &d.amount)?.as_deref(),
            d.trade_id.as_deref(),
        )?),
        "CLOSE" => {
            if d.amount.is_some() {
                return Err(Error::invalid_input(
                    "a CLOSE sells the whole position; it takes no amount",
                ));
            }
            Decision::Sell(SellRequest::parse(&d.symbol, None, d.trade_id.as_deref())?)
        }
        other => {
            return Err(Error::invalid_input(format!(
                "action {:?} is not BUY, SELL, CLOSE or HOLD",
                crate::text::untrusted(other, 20)
            )));
        }
    };
    Ok((echo, decision))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn reads_each_action() {
        let (_, buy) =
            parse(r#"{"symbol":"BTC/USDT","action":"buy","amount_quote":"50"}"#).unwrap();
        assert!(matches!(buy, Decision::Buy(ref r) if r.amount == rust_decimal::Decimal::from(50)));
        let (_, close) = parse(r#"{"symbol":"SOL/USD","action":"CLOSE"}"#).unwrap();
        assert!(matches!(close, Decision::Sell(ref r) if r.amount.is_none()));
        let (echo, hold) = parse(r#"{"symbol":"SOL/USD","action":"HOLD"}"#).unwrap();
        assert_eq!((echo.action.as_str(), hold), ("HOLD", Decision::Hold));
        // A number's literal, not a float: 0.1 stays 0.1.
        let (_, buy) = parse(r#"{"symbol":"SOL/USD","action":"BUY","amount_usd":100.1}"#).unwrap();
        assert!(matches!(buy, Decision::Buy(ref r) if r.amount.to_string() == "100.1"));
    }

    #[test]
    fn refuses_what_is_not_a_decision() {
        for bad in [
            r#"{"symbol":"SOL/USD","action":"BUY"}"#,
            r#"{"symbol":"SOL/USD","action":"BUY","amount_usd":"1","amount_quote":"1"}"#,
            r#"{"symbol":"SOL/USD","action":"BUY","amount_usd":"1","leverage":"5"}"#,
            r#"{"symbol":"SOL/USD","action":"CLOSE","amount":"1"}"#,
            r#"{"symbol":"SOL/USD","action":"SHORT"}"#,
            r#"{"symbol":"SOL/USD","action":"BUY","amount_usd":true}"#,
            r#"not json"#,
        ] {
            assert_eq!(
                parse(bad).unwrap_err().kind,
                ErrorKind::InvalidInput,
                "{bad}"
            );
        }
    }
}
