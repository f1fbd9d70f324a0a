//! Strict parsing of the sandbox's own settings (plain decimals only);
//! formatting is the one every driver uses. Money never touches floats.

use rust_decimal::Decimal;

/// Parses a plain, non-negative decimal ("123", "0.5"): ASCII digits with at
/// most one dot that has digits on both sides. Signs, exponents, NaN and
/// whitespace are refused so no odd spelling can slip through.
pub fn parse_plain(s: &str) -> Result<Decimal, String> {
    if s.is_empty() {
        return Err("empty decimal".into());
    }
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !frac.is_none_or(digits) {
        return Err(format!("not a plain decimal: {s:?}"));
    }
    // from_str_exact refuses (rather than rounds) too many digits.
    Decimal::from_str_exact(s).map_err(|_| format!("decimal out of range: {s:?}"))
}

/// Parses an amount that must be strictly positive.
pub fn parse_positive(s: &str) -> Result<Decimal, String> {
    let d = parse_plain(s)?;
    if d.is_zero() {
        return Err(format!("must be greater than zero: {s:?}"));
    }
    Ok(d)
}

/// The wire form and the digit count every driver uses.
pub use driver_kit::num::{fmt, frac_digits};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_forms() {
        assert_eq!(parse_plain("0").map(fmt), Ok("0".into()));
        assert_eq!(parse_plain("123.4500").map(fmt), Ok("123.45".into()));
        assert_eq!(parse_positive("0.00005").map(fmt), Ok("0.00005".into()));
    }

    #[test]
    fn rejects_odd_spellings() {
        for bad in [
            "", " 1", "1 ", "-1", "+1", "1e3", "1E-2", "NaN", "inf", ".5", "5.", "1.2.3", "1,5",
            "0x10",
        ] {
            assert!(parse_plain(bad).is_err(), "{bad:?} accepted");
        }
        assert!(parse_plain("1.00000000000000000000000000001").is_err());
        assert!(parse_positive("0.000").is_err());
    }

    #[test]
    fn fractional_digits_ignore_trailing_zeros() {
        assert_eq!(parse_plain("0.10000000000").map(frac_digits), Ok(1));
        assert_eq!(parse_plain("12").map(frac_digits), Ok(0));
    }
}
