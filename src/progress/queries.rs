//! Reading figures and roll-ups.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::ratios::{Figures, Threshold, threshold_on};
use crate::activity::Activity;
use crate::db::DbConnection;
use crate::db::schema::{figure_rollups, figures, thresholds};
use crate::regions::Level;

/// The national unit's code in `figure_rollups` and in URLs.
pub const NATIONAL: &str = "ID";

pub fn thresholds(conn: &mut DbConnection) -> QueryResult<Vec<Threshold>> {
    let rows: Vec<(NaiveDate, i32, i32)> = thresholds::table
        .select((
            thresholds::valid_from,
            thresholds::coverage_bp,
            thresholds::activity_bp,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(valid_from, c, a)| Threshold {
            valid_from,
            coverage_bp: i64::from(c),
            activity_bp: i64::from(a),
        })
        .collect())
}

/// The threshold for a date; the default (98%/80%) when none is configured for it.
pub fn threshold_for(all: &[Threshold], date: NaiveDate) -> Threshold {
    threshold_on(all, date).unwrap_or(Threshold {
        valid_from: date,
        coverage_bp: 9800,
        activity_bp: 8000,
    })
}

fn is_village(code: &str) -> bool {
    code != NATIONAL && code.split('.').count() == 4
}

/// Every dated figure of a unit, oldest first (the trend).
pub fn series(conn: &mut DbConnection, code: &str) -> QueryResult<Vec<(NaiveDate, Figures)>> {
    if is_village(code) {
        let rows: Vec<(NaiveDate, i32, i32, i32)> = figures::table
            .filter(figures::region_code.eq(code))
            .select((
                figures::figure_date,
                figures::population,
                figures::registered,
                figures::active,
            ))
            .order(figures::figure_date)
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(d, p, r, a)| {
                (
                    d,
                    Figures {
                        population: p.into(),
                        registered: r.into(),
                        active: a.into(),
                    },
                )
            })
            .collect())
    } else {
        let rows: Vec<(NaiveDate, i64, i64, i64)> = figure_rollups::table
            .filter(figure_rollups::region_code.eq(code))
            .select((
                figure_rollups::figure_date,
                figure_rollups::population,
                figure_rollups::registered,
                figure_rollups::active,
            ))
            .order(figure_rollups::figure_date)
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(d, p, r, a)| {
                (
                    d,
                    Figures {
                        population: p,
                        registered: r,
                        active: a,
                    },
                )
            })
            .collect())
    }
}

/// Figures of several units on one date, in one query: villages from `figures`, higher units
/// from `figure_rollups`. Returns figures and, for roll-ups, how many villages reported.
pub fn figures_on(
    conn: &mut DbConnection,
    codes: &[String],
    level: Option<Level>,
    date: NaiveDate,
) -> QueryResult<HashMap<String, (Figures, i64)>> {
    if codes.is_empty() {
        return Ok(HashMap::new());
    }
    if level == Some(Level::DesaKelurahan) {
        let rows: Vec<(String, i32, i32, i32)> = figures::table
            .filter(figures::figure_date.eq(date))
            .filter(figures::region_code.eq_any(codes))
            .select((
                figures::region_code,
                figures::population,
                figures::registered,
                figures::active,
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(c, p, r, a)| {
                (
                    c,
                    (
                        Figures {
                            population: p.into(),
                            registered: r.into(),
                            active: a.into(),
                        },
                        1,
                    ),
                )
            })
            .collect())
    } else {
        let rows: Vec<(String, i64, i64, i64, i32)> = figure_rollups::table
            .filter(figure_rollups::figure_date.eq(date))
            .filter(figure_rollups::region_code.eq_any(codes))
            .select((
                figure_rollups::region_code,
                figure_rollups::population,
                figure_rollups::registered,
                figure_rollups::active,
                figure_rollups::units,
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(c, p, r, a, u)| {
                (
                    c,
                    (
                        Figures {
                            population: p,
                            registered: r,
                            active: a,
                        },
                        i64::from(u),
                    ),
                )
            })
            .collect())
    }
}

/// Field activity per field worker within a unit (itself and everything under it).
pub fn activity_within(conn: &mut DbConnection, code: &str) -> QueryResult<Vec<Activity>> {
    crate::activity::per_worker(conn, (code != NATIONAL).then_some(code))
}

/// The latest date with figures for a unit.
pub fn latest_date(conn: &mut DbConnection, code: &str) -> QueryResult<Option<NaiveDate>> {
    if is_village(code) {
        figures::table
            .filter(figures::region_code.eq(code))
            .select(diesel::dsl::max(figures::figure_date))
            .first(conn)
    } else {
        figure_rollups::table
            .filter(figure_rollups::region_code.eq(code))
            .select(diesel::dsl::max(figure_rollups::figure_date))
            .first(conn)
    }
}
