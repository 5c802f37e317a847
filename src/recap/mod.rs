//! The agent's month: per field worker and calendar month (WIB), the visits, households
//! reached, claims reported / confirmed / rejected by pathway, the confirmation rate and
//! median days to a confirmation, revisits kept, and the incentive their confirmed outcomes
//! earn at the area's dated rates. A supervisor closes a month for an area ("tutup periode"):
//! its recap is stored as it stood, and what changes later about a closed month shows as an
//! adjustment in the next open one.

pub mod close;
pub mod command;
pub mod figures;
pub mod queries;
pub mod rate_routes;
pub mod rates;
pub mod routes;

use chrono::{Datelike, NaiveDate};

/// A calendar month, as agents in the field count it (dates are already WIB days).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(NaiveDate);

const MONTH_NAMES: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

impl Month {
    pub fn of(day: NaiveDate) -> Self {
        Month(day.with_day(1).unwrap_or(day))
    }

    /// `2026-11` (as in a URL or a form).
    pub fn parse(raw: &str) -> Option<Self> {
        let (y, m) = raw.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let y: i32 = y.parse().ok()?;
        let m: u32 = m.parse().ok()?;
        if !(2000..=2100).contains(&y) {
            return None;
        }
        NaiveDate::from_ymd_opt(y, m, 1).map(Month)
    }

    pub fn first(self) -> NaiveDate {
        self.0
    }

    pub fn next(self) -> Self {
        let (y, m) = (self.0.year(), self.0.month());
        let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        Month(NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(self.0))
    }

    pub fn prev(self) -> Self {
        let (y, m) = (self.0.year(), self.0.month());
        let (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
        Month(NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(self.0))
    }

    pub fn contains(self, day: NaiveDate) -> bool {
        day >= self.first() && day < self.next().first()
    }

    pub fn param(self) -> String {
        self.0.format("%Y-%m").to_string()
    }

    /// `November 2026`.
    pub fn label(self) -> String {
        format!(
            "{} {}",
            MONTH_NAMES[self.0.month0() as usize],
            self.0.year()
        )
    }

    /// Whether the month is over on `today` (only then can it be closed).
    pub fn ended_by(self, today: NaiveDate) -> bool {
        self.next().first() <= today
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.param())
    }
}

/// Whole rupiah with dots: `Rp 12.500` (negative for a deduction): the one formatter.
pub use crate::contributions::quote::rupiah;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_step_and_label() {
        let m = Month::parse("2026-12").unwrap();
        assert_eq!(m.next().param(), "2027-01");
        assert_eq!(m.prev().param(), "2026-11");
        assert_eq!(m.label(), "Desember 2026");
        assert!(Month::parse("2026-13").is_none());
        assert!(Month::parse("26-1").is_none());
        assert!(Month::parse("x").is_none());
        let d = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        assert!(m.contains(d));
        assert!(!m.ended_by(d));
        assert!(m.ended_by(d.succ_opt().unwrap()));
    }

    #[test]
    fn rupiah_has_dots() {
        assert_eq!(rupiah(0), "Rp 0");
        assert_eq!(rupiah(2500), "Rp 2.500");
        assert_eq!(rupiah(1_234_567), "Rp 1.234.567");
        assert_eq!(rupiah(-5000), "−Rp 5.000");
    }
}
