//! Values the roster import binds millions of times. diesel formats every chrono value for
//! SQLite through a strftime pattern, which was about 6% of an import's time; these format
//! cheaply (a timestamp once for all rows) and reach PostgreSQL in its binary form as before.
//! What SQLite stores is the same text diesel would have written.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Date, Timestamp};
use diesel::sqlite::Sqlite;

/// One moment stamped on many rows (`created_at`, `updated_at`), formatted once.
#[derive(Debug, Clone, AsExpression)]
#[diesel(sql_type = Timestamp)]
pub struct SharedTimestamp {
    at: NaiveDateTime,
    text: Arc<str>,
}

impl SharedTimestamp {
    pub fn new(at: NaiveDateTime) -> Self {
        Self {
            at,
            // diesel's own format for SQLite timestamps.
            text: at.format("%F %T%.f").to_string().into(),
        }
    }

    /// The text diesel would write for it on SQLite.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl ToSql<Timestamp, Sqlite> for SharedTimestamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(&*self.text);
        Ok(IsNull::No)
    }
}

impl ToSql<Timestamp, Pg> for SharedTimestamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        ToSql::<Timestamp, Pg>::to_sql(&self.at, out)
    }
}

/// A date written as `YYYY-MM-DD` without going through a strftime pattern.
#[derive(Debug, Clone, Copy, AsExpression)]
#[diesel(sql_type = Date)]
pub struct BulkDate(pub NaiveDate);

impl BulkDate {
    fn text(self) -> String {
        String::from_utf8_lossy(&date_text(self.0)).into_owned()
    }
}

/// `YYYY-MM-DD`, as diesel writes a date on SQLite (years 0–9999, which is every valid date
/// here), without allocating: `db::sqlite_bulk` binds millions of them.
pub(crate) fn date_text(date: NaiveDate) -> [u8; 10] {
    let mut out = *b"0000-00-00";
    let mut put = |at: usize, width: usize, mut n: u32| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, date.year().clamp(0, 9999) as u32);
    put(5, 2, date.month());
    put(8, 2, date.day());
    out
}

impl ToSql<Date, Sqlite> for BulkDate {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.text());
        Ok(IsNull::No)
    }
}

impl ToSql<Date, Pg> for BulkDate {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        ToSql::<Date, Pg>::to_sql(&self.0, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_text_is_what_diesel_writes() {
        for (y, m, d) in [(1940, 1, 1), (2026, 11, 22), (999, 12, 31)] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(BulkDate(date).text(), date.format("%F").to_string());
        }
        let at = NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_micro_opt(20, 1, 2, 345_678)
            .unwrap();
        assert_eq!(
            &*SharedTimestamp::new(at).text,
            "2026-11-22 20:01:02.345678"
        );
    }
}
