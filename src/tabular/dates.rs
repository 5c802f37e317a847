//! Dates as spreadsheets and offices write them in a cell: `2025-06-30`, `30-06-2025`,
//! `30/06/2025`, `30.06.2025`, any of them followed by a midnight time (`2025-06-30 00:00:00`),
//! and two-digit years. The rule for two-digit years, stated: `00` up to this year's two digits
//! are 20xx, the rest 19xx (`30/06/25` is 2025, `17-08-85` is 1985).

use chrono::{Datelike, NaiveDate};

/// The date in a cell, or why it is not one.
pub fn parse(raw: &str, today: NaiveDate) -> Result<NaiveDate, &'static str> {
    let raw = raw.trim();
    let date = match raw.split_once([' ', 'T']) {
        Some((date, time)) if is_midnight(time) => date,
        Some(_) => return Err("Tanggal berisi jam; tulis tanggalnya saja."),
        None => raw,
    };
    let parts: Vec<&str> = date.split(['-', '/', '.']).collect();
    let [a, b, c] = parts[..] else {
        return Err("Tanggal harus TTTT-BB-HH atau HH-BB-TTTT.");
    };
    let number = |s: &str| {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i32>().ok())
            .flatten()
    };
    let (Some(x), Some(y), Some(z)) = (number(a), number(b), number(c)) else {
        return Err("Tanggal harus TTTT-BB-HH atau HH-BB-TTTT.");
    };
    let (year, month, day) = match (a.len(), c.len()) {
        (4, 1..=2) => (x, y, z),
        (1..=2, 4) => (z, y, x),
        (1..=2, 2) => (two_digit_year(z, today), y, x),
        _ => return Err("Tanggal harus TTTT-BB-HH atau HH-BB-TTTT."),
    };
    u32::try_from(month)
        .ok()
        .zip(u32::try_from(day).ok())
        .and_then(|(m, d)| NaiveDate::from_ymd_opt(year, m, d))
        .ok_or("Tanggal tidak ada di kalender.")
}

fn is_midnight(time: &str) -> bool {
    matches!(time.trim(), "00:00" | "00:00:00" | "00:00:00.000" | "0:00")
}

fn two_digit_year(yy: i32, today: NaiveDate) -> i32 {
    let this = today.year() % 100;
    if yy <= this {
        today.year() - this + yy
    } else {
        today.year() - this - 100 + yy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_ways_offices_write_dates() {
        let today = day(2026, 12, 3);
        for raw in [
            "2025-06-30",
            "30-06-2025",
            "30/06/2025",
            "30.06.2025",
            "2025-06-30 00:00:00",
            "2025-06-30T00:00:00",
            "30/06/25",
            "30-6-25",
        ] {
            assert_eq!(parse(raw, today), Ok(day(2025, 6, 30)), "{raw}");
        }
        assert_eq!(parse("17-08-85", today), Ok(day(1985, 8, 17)));
        assert_eq!(parse("01/01/26", today), Ok(day(2026, 1, 1)));
        assert_eq!(parse("01/01/27", today), Ok(day(1927, 1, 1)));
        for bad in [
            "",
            "kemarin",
            "2025-06-30 13:45",
            "31/02/2025",
            "1/2/3/4",
            "025-6-30",
        ] {
            assert!(parse(bad, today).is_err(), "{bad}");
        }
    }
}
