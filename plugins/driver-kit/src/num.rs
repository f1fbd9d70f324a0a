//! Exact decimals. Exchanges send money as JSON strings ("0.00100000") or,
//! in some answers, as JSON numbers; both are read from their literal text
//! (via `RawValue`), so no value ever passes through an f64.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// A decimal read exactly from a JSON string ("0.1") or number (0.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dec(pub Decimal);

impl<'de> Deserialize<'de> for Dec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        let text = raw_text(&raw).map_err(serde::de::Error::custom)?;
        parse_exact(&text)
            .map(Dec)
            .map_err(serde::de::Error::custom)
    }
}

/// Text of a JSON string or number, for fields that are either (ids, counts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        raw_text(&raw).map(Text).map_err(serde::de::Error::custom)
    }
}

/// The unquoted text of a JSON string, or the literal of a JSON number.
fn raw_text(raw: &RawValue) -> Result<String, String> {
    let json = raw.get();
    if json.starts_with('"') {
        serde_json::from_str::<String>(json).map_err(|e| e.to_string())
    } else if json.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        Ok(json.to_string())
    } else {
        Err(format!("expected a string or a number, got {}", clip(json)))
    }
}

/// Parses a decimal spelling: optional '-', digits, optional fraction,
/// optional exponent (JSON numbers may carry one). Anything else (blanks,
/// "NaN", "1_000", ".5") is refused rather than guessed at, and so is a
/// value with more digits than a `Decimal` holds (never rounded).
pub fn parse_exact(s: &str) -> Result<Decimal, String> {
    let bad = || format!("not a decimal: {}", clip(s));
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((i, f)) => digits(i) && digits(f),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    if !mantissa_ok || !exponent_ok {
        return Err(bad());
    }
    let parsed = if exponent.is_some() {
        Decimal::from_scientific(s)
    } else {
        // from_str_exact refuses (rather than rounds) too many digits.
        Decimal::from_str_exact(s)
    };
    parsed.map_err(|_| format!("decimal out of range: {}", clip(s)))
}

/// A decimal from the exchange that must not be negative (prices,
/// quantities, commissions).
pub fn non_negative(d: Decimal, what: &str) -> Result<Decimal, String> {
    if d.is_sign_negative() && !d.is_zero() {
        return Err(format!("{what} is negative: {d}"));
    }
    Ok(d)
}

/// Parses an amount given by the host: plain notation, strictly positive.
pub fn parse_amount(s: &str) -> Result<Decimal, String> {
    if s.starts_with('-') || s.contains(['e', 'E']) {
        return Err(format!(
            "amount must be a plain positive decimal: {}",
            clip(s)
        ));
    }
    let d = parse_exact(s)?;
    if d.is_zero() {
        return Err(format!("amount must be greater than zero: {}", clip(s)));
    }
    Ok(d)
}

/// Canonical wire form: plain notation, no exponent, no trailing zeros.
pub fn fmt(d: Decimal) -> String {
    if d.is_zero() {
        // Also folds "-0" into "0".
        return "0".into();
    }
    d.normalize().to_string()
}

/// Number of significant fractional digits ("0.10" has 1, "10" has 0).
pub fn frac_digits(d: Decimal) -> u32 {
    d.normalize().scale()
}

/// Decimal places of a step or tick ("0.00100000" → 3, "1.00" → 0), as
/// the WIT's `u8`. A `Decimal` has at most 28, so this cannot truncate.
pub fn step_decimals(step: Decimal) -> u8 {
    u8::try_from(frac_digits(step)).unwrap_or(u8::MAX)
}

/// `d` cut (never rounded up) to `decimals` places.
pub fn round_down(d: Decimal, decimals: u32) -> Decimal {
    d.round_dp_with_strategy(decimals, RoundingStrategy::ToZero)
}

/// Whether `d` is a whole multiple of `step` (a zero step allows anything).
pub fn is_multiple(d: Decimal, step: Decimal) -> bool {
    step.is_zero() || d.checked_rem(step).is_some_and(|r| r.is_zero())
}

/// Longest text quoted from the exchange (or the host) in an error or a
/// log line, so a hostile body cannot bloat them.
pub const CLIP: usize = 200;

/// Bounds text quoted back in messages to `CLIP` characters.
pub fn clip(s: &str) -> String {
    clip_to(s, CLIP)
}

/// Bounds text to `max` characters, marking a cut with '…'.
pub fn clip_to(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        parse_exact(s).expect("test decimal")
    }

    fn dec(json: &str) -> Result<String, String> {
        serde_json::from_str::<Dec>(json)
            .map(|d| fmt(d.0))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn strings_and_numbers_read_exactly() {
        assert_eq!(dec(r#""0.00100000""#), Ok("0.001".into()));
        assert_eq!(dec(r#""4723846.89208129""#), Ok("4723846.89208129".into()));
        assert_eq!(dec("25435.21"), Ok("25435.21".into()));
        // A value an f64 would distort.
        assert_eq!(dec("0.30000000000000004"), Ok("0.30000000000000004".into()));
        assert_eq!(dec("1e-5"), Ok("0.00001".into()));
        assert_eq!(dec("-0.0"), Ok("0".into()));
        assert_eq!(dec(r#""0.00000000""#), Ok("0".into()));
        assert_eq!(dec("2.5E+3"), Ok("2500".into()));
        assert_eq!(dec("-1.50"), Ok("-1.5".into()));
    }

    #[test]
    fn odd_spellings_refused() {
        for bad in [
            r#""""#,
            r#"" 1""#,
            r#""NaN""#,
            r#""1_000""#,
            r#"".5""#,
            r#""5.""#,
            r#""1.2.3""#,
            r#""0x10""#,
            "true",
            "null",
            "[1]",
            r#""1e""#,
            r#""1e999999""#,
        ] {
            assert!(dec(bad).is_err(), "{bad} accepted");
        }
        assert!(parse_exact("1.00000000000000000000000000001").is_err());
        assert_eq!(parse_exact("0e5").map(fmt), Ok("0".into()));
        for odd in [
            "1e99999999999999999999",
            "1e-99999999999999999999",
            "9e28",
            "0e-99999",
            "123456789012345678901234567890",
        ] {
            // Hostile exponents and lengths fail cleanly, never panic.
            let _ = parse_exact(odd);
        }
    }

    #[test]
    fn host_amounts_are_plain_and_positive() {
        assert_eq!(parse_amount("100").map(fmt), Ok("100".into()));
        assert_eq!(parse_amount("0.0100").map(fmt), Ok("0.01".into()));
        for bad in ["0", "0.000", "-1", "1e2", "", "abc", " 1"] {
            assert!(parse_amount(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn negatives_refused_where_they_make_no_sense() {
        assert!(non_negative(d("-0.1"), "qty").is_err());
        assert_eq!(non_negative(d("-0"), "qty"), Ok(Decimal::ZERO));
        assert_eq!(non_negative(d("2"), "qty"), Ok(d("2")));
    }

    #[test]
    fn steps_and_rounding() {
        assert_eq!(step_decimals(d("0.00100000")), 3);
        assert_eq!(step_decimals(d("1.00000000")), 0);
        assert_eq!(step_decimals(d("10")), 0);
        assert_eq!(step_decimals(d("0.5")), 1);
        assert_eq!(fmt(round_down(d("100.123456789"), 8)), "100.12345678");
        assert_eq!(fmt(round_down(d("0.999999999"), 8)), "0.99999999");
        assert_eq!(fmt(round_down(d("5"), 0)), "5");
        assert!(is_multiple(d("0.003"), d("0.001")));
        assert!(!is_multiple(d("0.0035"), d("0.001")));
        assert!(is_multiple(d("15"), d("5")));
        assert!(!is_multiple(d("12"), d("5")));
        assert!(is_multiple(d("0.123456789"), Decimal::ZERO));
    }

    #[test]
    fn text_accepts_string_or_number() {
        let t = |j: &str| serde_json::from_str::<Text>(j).map(|t| t.0).ok();
        assert_eq!(t(r#""123""#), Some("123".into()));
        assert_eq!(t("28"), Some("28".into()));
        assert_eq!(t("{}"), None);
    }

    #[test]
    fn clip_bounds_long_text() {
        let long = "é".repeat(500);
        assert_eq!(clip(&long).chars().count(), CLIP + 1);
        assert_eq!(clip("short"), "short");
    }
}
