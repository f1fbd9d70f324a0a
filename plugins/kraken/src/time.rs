//! The one timestamp format the host sends: RFC 3339 (`order-lookup.sent-at`),
//! read strictly into unix seconds for ClosedOrders' `start`.

use crate::num;

/// Unix seconds of an RFC 3339 date-time ("2026-11-24T04:20:00Z",
/// "2026-11-24T05:20:00.123+01:00"), fractions of a second dropped (the
/// instant is floored). Anything else is refused rather than guessed at.
pub fn unix_seconds(s: &str) -> Result<i64, String> {
    let bad = || format!("not an RFC 3339 time: {}", num::clip(s));
    let b = s.as_bytes();
    // date "T" time: YYYY-MM-DDTHH:MM:SS is 19 bytes, then fraction, offset.
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(bad());
    }
    let field = |from: usize, to: usize| -> Result<i64, String> {
        let part = &b[from..to];
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        Ok(part.iter().fold(0, |acc, d| acc * 10 + i64::from(d - b'0')))
    };
    let (year, month, day) = (field(0, 4)?, field(5, 7)?, field(8, 10)?);
    let (hour, minute, second) = (field(11, 13)?, field(14, 16)?, field(17, 19)?);
    let mut rest = &b[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let digits = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(bad());
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digit = |c: &u8| c.is_ascii_digit().then(|| i64::from(c - b'0'));
            let (Some(h1), Some(h2), Some(m1), Some(m2)) =
                (digit(h1), digit(h2), digit(m1), digit(m2))
            else {
                return Err(bad());
            };
            let (h, m) = (h1 * 10 + h2, m1 * 10 + m2);
            if h > 23 || m > 59 {
                return Err(bad());
            }
            let minutes = h * 60 + m;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return Err(bad()),
    };
    // A leap second (:60) is read as the last second of its minute.
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad());
    }
    let days = days_from_civil(year, month, day);
    Ok(days * 86_400 + hour * 3_600 + minute * 60 + second.min(59) - offset * 60)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm). Years are 0..=9999 here, so nothing can overflow.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rfc_3339() {
        for (text, secs) in [
            ("1970-01-01T00:00:00Z", 0),
            ("2023-07-06T18:52:00Z", 1_688_669_520),
            ("2026-11-24T04:20:00Z", 1_795_494_000),
            ("2026-11-24T04:20:00.999999Z", 1_795_494_000),
            ("2026-11-24t04:20:00z", 1_795_494_000),
            ("2026-11-24T05:20:00+01:00", 1_795_494_000),
            ("2026-11-23T23:50:00.5-04:30", 1_795_494_000),
            ("2024-02-29T00:00:00Z", 1_709_164_800),
            ("2016-12-31T23:59:60Z", 1_483_228_799),
            ("1969-12-31T23:59:59Z", -1),
        ] {
            assert_eq!(unix_seconds(text), Ok(secs), "{text}");
        }
    }

    #[test]
    fn refuses_anything_else() {
        for bad in [
            "",
            "2026-11-24",
            "2026-11-24T04:20:00",
            "2026-11-24 04:20:00Z",
            "2026-11-24T04:20Z",
            "2026-11-24T04:20:00.Z",
            "2026-11-24T04:20:00+0100",
            "2026-11-24T04:20:00+24:00",
            "2026-11-24T04:20:00ZZ",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-11-00T00:00:00Z",
            "2026-11-24T24:00:00Z",
            "2026-11-24T04:60:00Z",
            "2026-11-24T04:20:61Z",
            "+026-11-24T04:20:00Z",
            "2026-1a-24T04:20:00Z",
            "1700000000",
            "2026-11-24T04:20:00Zé",
        ] {
            assert!(unix_seconds(bad).is_err(), "{bad} accepted");
        }
    }
}
