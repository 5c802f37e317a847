//! Reading figures and roll-ups.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::ratios::{Figures, Threshold, threshold_on};
use crate::activity::Activity;
use crate::db::DbConnection;
use crate::db::schema::{figure_rollups, figures, region_villages, thresholds};
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

/// A unit's figures as of a date: each village's latest figures on or before it, summed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsOf {
    /// The date of the view (a village: the date of its figures).
    pub date: NaiveDate,
    pub figures: Figures,
    /// Villages with any figures by then.
    pub units: i64,
    /// Villages that reported on `date` itself; the rest carry earlier figures.
    pub fresh: i64,
    /// The oldest date carried forward.
    pub oldest: NaiveDate,
}

type RollupRow = (
    String,
    NaiveDate,
    i64,
    i64,
    i64,
    i32,
    i32,
    Option<NaiveDate>,
);
type VillageRow = (String, NaiveDate, i32, i32, i32);

fn rollup_asof((_, d, p, r, a, units, fresh, oldest): &RollupRow) -> AsOf {
    AsOf {
        date: *d,
        figures: Figures {
            population: *p,
            registered: *r,
            active: *a,
        },
        units: i64::from(*units),
        fresh: i64::from(*fresh),
        oldest: oldest.unwrap_or(*d),
    }
}

fn village_asof((_, d, p, r, a): &VillageRow) -> AsOf {
    AsOf {
        date: *d,
        figures: Figures {
            population: (*p).into(),
            registered: (*r).into(),
            active: (*a).into(),
        },
        units: 1,
        fresh: 1,
        oldest: *d,
    }
}

/// Every as-of view of a unit, oldest first (the trend and the date picker): a village's own
/// dated figures, or a roll-up's rows (one per date some village under it reported).
pub fn series(conn: &mut DbConnection, code: &str) -> QueryResult<Vec<AsOf>> {
    if is_village(code) {
        let rows: Vec<VillageRow> = figures::table
            .filter(figures::region_code.eq(code))
            .select((
                figures::region_code,
                figures::figure_date,
                figures::population,
                figures::registered,
                figures::active,
            ))
            .order(figures::figure_date)
            .load(conn)?;
        Ok(rows.iter().map(village_asof).collect())
    } else {
        let rows: Vec<RollupRow> = figure_rollups::table
            .filter(figure_rollups::region_code.eq(code))
            .select(ROLLUP_COLUMNS)
            .order(figure_rollups::figure_date)
            .load(conn)?;
        Ok(rows.iter().map(rollup_asof).collect())
    }
}

const ROLLUP_COLUMNS: (
    figure_rollups::region_code,
    figure_rollups::figure_date,
    figure_rollups::population,
    figure_rollups::registered,
    figure_rollups::active,
    figure_rollups::units,
    figure_rollups::fresh,
    figure_rollups::oldest,
) = (
    figure_rollups::region_code,
    figure_rollups::figure_date,
    figure_rollups::population,
    figure_rollups::registered,
    figure_rollups::active,
    figure_rollups::units,
    figure_rollups::fresh,
    figure_rollups::oldest,
);

/// Several units as of one date, in one query: each one's latest view on or before `date`
/// (villages from `figures`, higher units from `figure_rollups`), so a unit that did not report
/// on the date shows what it last reported instead of nothing.
pub fn figures_on(
    conn: &mut DbConnection,
    codes: &[String],
    level: Option<Level>,
    date: NaiveDate,
) -> QueryResult<HashMap<String, AsOf>> {
    let mut found: HashMap<String, AsOf> = HashMap::new();
    if codes.is_empty() {
        return Ok(found);
    }
    let mut keep = |code: String, view: AsOf| {
        if found.get(&code).is_none_or(|v| v.date < view.date) {
            found.insert(code, view);
        }
    };
    if level == Some(Level::DesaKelurahan) {
        let rows: Vec<VillageRow> = figures::table
            .filter(figures::figure_date.le(date))
            .filter(figures::region_code.eq_any(codes))
            .select((
                figures::region_code,
                figures::figure_date,
                figures::population,
                figures::registered,
                figures::active,
            ))
            .load(conn)?;
        for row in &rows {
            keep(row.0.clone(), village_asof(row));
        }
    } else {
        let rows: Vec<RollupRow> = figure_rollups::table
            .filter(figure_rollups::figure_date.le(date))
            .filter(figure_rollups::region_code.eq_any(codes))
            .select(ROLLUP_COLUMNS)
            .load(conn)?;
        for row in &rows {
            keep(row.0.clone(), rollup_asof(row));
        }
    }
    Ok(found)
}

/// How many desa/kelurahan each of `codes` has in the region list (a village: 1).
pub fn villages_in(conn: &mut DbConnection, codes: &[String]) -> QueryResult<HashMap<String, i64>> {
    let mut counts: HashMap<String, i64> = codes
        .iter()
        .filter(|c| is_village(c))
        .map(|c| (c.clone(), 1))
        .collect();
    let higher: Vec<&String> = codes.iter().filter(|c| !is_village(c)).collect();
    if !higher.is_empty() {
        let rows: Vec<(String, i32)> = region_villages::table
            .filter(region_villages::code.eq_any(higher))
            .select((region_villages::code, region_villages::villages))
            .load(conn)?;
        counts.extend(rows.into_iter().map(|(c, n)| (c, i64::from(n))));
    }
    Ok(counts)
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
