//! Strict parsing of money amounts typed by people and trading engines.
//!
//! Only plain decimal notation is accepted ("100", "0.25"): no exponent, no
//! sign, no NaN or infinity, no thousands separators, and no more fractional
//! digits than any exchange quotes. An amount that is not what it looks like
//! must never reach an order.

use rust_decimal::Decimal;
use std::str::FromStr;

use crate::error::{Error, Result};

/// More fractional digits than this is a typo or an attack, not an order.
pub const MAX_FRACTION_DIGITS: usize = 12;
/// Upper bound on integer digits (10^15 of anything is not a real order).
const MAX_INTEGER_DIGITS: usize = 15;

/// Parses a strictly positive decimal amount; `what` names it in errors.
pub fn parse_positive(what: &str, input: &str) -> Result<Decimal> {
    let value = parse_decimal(what, input)?;
    if value <= Decimal::ZERO {
        return Err(Error::invalid_input(format!(
            "{what} must be greater than zero, got {input:?}"
        )));
    }
    Ok(value)
}

/// Parses a non-negative plain decimal.
pub fn parse_decimal(what: &str, input: &str) -> Result<Decimal> {
    let text = input.trim();
    let bad =
        |why: &str| Error::invalid_input(format!("{what} {input:?} is not a valid amount: {why}"));
    if text.is_empty() {
        return Err(bad("it is empty"));
    }
    if text.starts_with('-') {
        return Err(bad("it is negative"));
    }
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() || !digits_only(int_part) {
        return Err(bad(
            "use plain decimal digits like 100 or 0.25 (no sign, exponent, NaN or infinity)",
        ));
    }
    if let Some(frac) = frac_part {
        if frac.is_empty() || !digits_only(frac) {
            return Err(bad("use plain decimal digits like 100 or 0.25"));
        }
        if frac.len() > MAX_FRACTION_DIGITS {
            return Err(bad(&format!(
                "more than {MAX_FRACTION_DIGITS} decimal places"
            )));
        }
    }
    if int_part.trim_start_matches('0').len() > MAX_INTEGER_DIGITS {
        return Err(bad("it is absurdly large"));
    }
    Decimal::from_str(text).map_err(|e| bad(&e.to_string()))
}

/// Formats a decimal for output and for the driver boundary: plain notation,
/// no trailing zeros.
pub fn to_plain(value: Decimal) -> String {
    value.normalize().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_decimals() {
        assert_eq!(parse_positive("amount", "100").unwrap(), Decimal::from(100));
        assert_eq!(
            parse_positive("amount", " 0.25 ").unwrap().to_string(),
            "0.25"
        );
        assert_eq!(
            parse_positive("amount", "000012.500").unwrap().to_string(),
            "12.500"
        );
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            " ",
            "0",
            "0.0",
            "-1",
            "+1",
            "1e3",
            "1E3",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "Infinity",
            "1,000",
            "1.",
            ".5",
            "0x10",
            "1.2.3",
            "１",
            "12 34",
            "1.0000000000001",
            "9999999999999999",
        ] {
            let err = parse_positive("amount", bad).unwrap_err();
            assert_eq!(
                err.kind,
                crate::error::ErrorKind::InvalidInput,
                "{bad:?} was accepted"
            );
            assert!(
                err.message.contains("amount"),
                "message names the field: {}",
                err.message
            );
        }
    }

    #[test]
    fn plain_output_has_no_exponent_or_trailing_zeros() {
        assert_eq!(
            to_plain(Decimal::from_str("0.000000010").unwrap()),
            "0.00000001"
        );
        assert_eq!(to_plain(Decimal::from_str("150.00").unwrap()), "150");
    }
}
