//! Reading figures and roll-ups, and the field activity counters.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::ratios::{Figures, Threshold, threshold_on};
use crate::db::DbConnection;
use crate::db::schema::{field_activity, figure_rollups, figures, thresholds, users};
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
#[derive(Debug, Clone, Default)]
pub struct Activity {
    pub user_id: i32,
    pub name: String,
    pub visits: i64,
    pub households: i64,
    pub reported: i64,
    pub confirmed: i64,
    pub rejected: i64,
    /// Still waiting, and still inactive in the roster 30 days after the report.
    pub flagged: i64,
    pub last_visit_on: Option<NaiveDate>,
}

#[derive(Queryable)]
struct ActivityRow(i32, String, i32, i32, i32, i32, i32, i32, Option<NaiveDate>);

pub fn activity_within(conn: &mut DbConnection, code: &str) -> QueryResult<Vec<Activity>> {
    let mut q = field_activity::table
        .inner_join(users::table)
        .select((
            field_activity::user_id,
            users::full_name,
            field_activity::visits,
            field_activity::households,
            field_activity::reported,
            field_activity::confirmed,
            field_activity::rejected,
            field_activity::flagged,
            field_activity::last_visit_on,
        ))
        .into_boxed();
    if code != NATIONAL {
        q = q.filter(crate::within_areas!(field_activity::region_code, [code]));
    }
    let rows: Vec<ActivityRow> = q.load(conn)?;
    let mut by_user: HashMap<i32, Activity> = HashMap::new();
    for ActivityRow(user_id, name, v, h, rep, conf, rej, flagged, last) in rows {
        let a = by_user.entry(user_id).or_insert_with(|| Activity {
            user_id,
            name,
            ..Activity::default()
        });
        a.visits += i64::from(v);
        a.households += i64::from(h);
        a.reported += i64::from(rep);
        a.confirmed += i64::from(conf);
        a.rejected += i64::from(rej);
        a.flagged += i64::from(flagged);
        a.last_visit_on = a.last_visit_on.max(last);
    }
    let mut out: Vec<Activity> = by_user.into_values().collect();
    out.sort_by(|a, b| b.visits.cmp(&a.visits).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// Adds to a field worker's counters in a kelurahan (creating the row on first use).
pub fn bump_activity(
    conn: &mut DbConnection,
    region_code: &str,
    user_id: i32,
    delta: ActivityDelta,
) -> QueryResult<()> {
    let exists = field_activity::table
        .find((region_code, user_id))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !exists {
        diesel::insert_into(field_activity::table)
            .values((
                field_activity::region_code.eq(region_code),
                field_activity::user_id.eq(user_id),
            ))
            .execute(conn)?;
    }
    diesel::update(field_activity::table.find((region_code, user_id)))
        .set((
            field_activity::visits.eq(field_activity::visits + delta.visits),
            field_activity::households.eq(field_activity::households + delta.households),
            field_activity::reported.eq(field_activity::reported + delta.reported),
            field_activity::confirmed.eq(field_activity::confirmed + delta.confirmed),
            field_activity::rejected.eq(field_activity::rejected + delta.rejected),
            field_activity::flagged.eq(field_activity::flagged + delta.flagged),
        ))
        .execute(conn)?;
    if let Some(day) = delta.visited_on {
        diesel::update(
            field_activity::table.find((region_code, user_id)).filter(
                field_activity::last_visit_on
                    .is_null()
                    .or(field_activity::last_visit_on.lt(day)),
            ),
        )
        .set(field_activity::last_visit_on.eq(day))
        .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Default, Clone, Copy)]
pub struct ActivityDelta {
    pub visits: i32,
    pub households: i32,
    pub reported: i32,
    pub confirmed: i32,
    pub rejected: i32,
    /// Claims the roster still shows inactive 30 days after their report.
    pub flagged: i32,
    pub visited_on: Option<NaiveDate>,
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
