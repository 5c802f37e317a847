//! Importing figures: all rows or none, the file's own units replaced on its own dates (nothing
//! else), and the roll-ups of every date touched rebuilt in the same transaction. Where a
//! roster import already derived a kelurahan's registered/active members for a date, a figures
//! file for that date only sets its population.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::{FigureRow, RowError};
use crate::audit;
use crate::auth::CurrentUser;
use crate::db::schema::{figure_segments, figures, regions};
use crate::db::{DbConnection, now, write_transaction};
use crate::error::AppError;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub rows: usize,
    pub dates: Vec<NaiveDate>,
    pub replaced: usize,
}

/// Codes of `rows` that are not desa/kelurahan in the region list (checked in chunks, as a
/// file may name every village in the country).
fn unknown_codes(conn: &mut DbConnection, codes: &[String]) -> QueryResult<BTreeSet<String>> {
    let mut known = BTreeSet::new();
    for chunk in codes.chunks(5_000) {
        let found: Vec<String> = regions::table
            .filter(regions::code.eq_any(chunk))
            .filter(regions::level.eq("desa_kelurahan"))
            .select(regions::code)
            .load(conn)?;
        known.extend(found);
    }
    Ok(codes
        .iter()
        .filter(|c| !known.contains(*c))
        .cloned()
        .collect())
}

pub enum ImportError {
    Rows(Vec<RowError>),
    App(AppError),
}

impl From<diesel::result::Error> for ImportError {
    fn from(e: diesel::result::Error) -> Self {
        ImportError::App(e.into())
    }
}

impl From<AppError> for ImportError {
    fn from(e: AppError) -> Self {
        ImportError::App(e)
    }
}

/// The rows whose code is not a known desa/kelurahan, or lies outside the user's areas.
pub fn region_errors(
    conn: &mut DbConnection,
    rows: &[FigureRow],
    user: Option<&CurrentUser>,
) -> QueryResult<Vec<RowError>> {
    let mut codes: Vec<String> = rows.iter().map(|r| r.region_code.clone()).collect();
    codes.sort();
    codes.dedup();
    let unknown = unknown_codes(conn, &codes)?;
    let mut errors = Vec::new();
    for row in rows {
        if unknown.contains(&row.region_code) {
            errors.push(
                RowError::new(
                    row.line,
                    "kode_wilayah",
                    "Kode desa/kelurahan tidak dikenal.",
                )
                .with_value(&row.region_code),
            );
        } else if user.is_some_and(|u| !u.covers(&row.region_code)) {
            errors.push(
                RowError::new(row.line, "kode_wilayah", "Di luar wilayah Anda.")
                    .with_value(&row.region_code),
            );
        }
    }
    Ok(errors)
}

/// A unit's active members changing by more than this share against its previous date is
/// worth a second look before anyone trusts the new figures.
const CHANGE_WORTH_A_LOOK: f64 = 0.2;

/// For each row, its unit's latest earlier figures: (date, active members), one query per
/// chunk of codes.
pub fn previous_active(
    conn: &mut DbConnection,
    rows: &[FigureRow],
) -> QueryResult<Vec<Option<(NaiveDate, i32)>>> {
    let mut codes: Vec<&str> = rows.iter().map(|r| r.region_code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let Some(latest) = rows.iter().map(|r| r.date).max() else {
        return Ok(Vec::new());
    };
    let mut earlier: HashMap<String, Vec<(NaiveDate, i32)>> = HashMap::new();
    for chunk in codes.chunks(5_000) {
        let found: Vec<(String, NaiveDate, i32)> = figures::table
            .filter(figures::region_code.eq_any(chunk))
            .filter(figures::figure_date.lt(latest))
            .select((figures::region_code, figures::figure_date, figures::active))
            .load(conn)?;
        for (code, date, active) in found {
            earlier.entry(code).or_default().push((date, active));
        }
    }
    Ok(rows
        .iter()
        .map(|row| {
            earlier.get(&row.region_code).and_then(|dates| {
                dates
                    .iter()
                    .filter(|(d, _)| *d < row.date)
                    .max_by_key(|(d, _)| *d)
                    .copied()
            })
        })
        .collect())
}

/// The share by which `active` differs from `before` (None when there was nothing before).
pub fn change_of(before: i32, active: i64) -> Option<f64> {
    (before > 0).then(|| (active as f64 - f64::from(before)) / f64::from(before))
}

/// Warnings for rows whose active members differ by more than 20% from the unit's latest
/// earlier figures.
pub fn change_warnings(conn: &mut DbConnection, rows: &[FigureRow]) -> QueryResult<Vec<RowError>> {
    let previous = previous_active(conn, rows)?;
    let mut warnings = Vec::new();
    for (row, previous) in rows.iter().zip(previous) {
        if let Some((date, before)) = previous
            && let Some(change) = change_of(before, row.active)
            && change.abs() > CHANGE_WORTH_A_LOOK
        {
            warnings.push(RowError::new(
                row.line,
                "peserta_aktif",
                format!(
                    "Peserta aktif berubah {:+.0}% dari {before} per {} menjadi {}; periksa \
                     angkanya.",
                    change * 100.0,
                    date.format("%d-%m-%Y"),
                    row.active
                ),
            ));
        }
    }
    Ok(warnings)
}

/// Imports checked rows in a transaction of its own. `user` is `None` for the command line
/// (the whole country, no actor).
pub fn import(
    conn: &mut DbConnection,
    rows: &[FigureRow],
    user: Option<&CurrentUser>,
    file_name: &str,
) -> Result<ImportSummary, ImportError> {
    write_transaction(conn, |conn| import_in(conn, rows, user, file_name))
}

/// Imports checked rows inside the caller's transaction (the command line's own, or a web
/// apply's `submissions::once`): the regions and the user's scope are checked again here, so
/// what is written is what the database allows now.
pub fn import_in(
    conn: &mut DbConnection,
    rows: &[FigureRow],
    user: Option<&CurrentUser>,
    file_name: &str,
) -> Result<ImportSummary, ImportError> {
    let errors = region_errors(conn, rows, user)?;
    if !errors.is_empty() {
        return Err(ImportError::Rows(errors));
    }
    let dates: BTreeSet<NaiveDate> = rows.iter().map(|r| r.date).collect();
    let at = now();
    {
        let replaced = delete_units(conn, rows)?;
        // Where a roster gave registered/active for a date, the file gives only the population.
        let from_roster: std::collections::HashSet<(String, NaiveDate)> = figures::table
            .filter(figures::figure_date.eq_any(&dates))
            .filter(figures::source.eq("roster"))
            .select((figures::region_code, figures::figure_date))
            .load::<(String, NaiveDate)>(conn)?
            .into_iter()
            .collect();
        for row in rows {
            if from_roster.contains(&(row.region_code.clone(), row.date)) {
                diesel::update(figures::table.find((&row.region_code, row.date)))
                    .set((
                        figures::population.eq(row.population as i32),
                        figures::imported_at.eq(at),
                    ))
                    .execute(conn)?;
            }
        }
        let rows: Vec<&FigureRow> = rows
            .iter()
            .filter(|r| !from_roster.contains(&(r.region_code.clone(), r.date)))
            .collect();
        for chunk in rows.chunks(1_000) {
            let values: Vec<_> = chunk
                .iter()
                .map(|r| {
                    (
                        figures::region_code.eq(&r.region_code),
                        figures::figure_date.eq(r.date),
                        figures::population.eq(r.population as i32),
                        figures::registered.eq(r.registered as i32),
                        figures::active.eq(r.active as i32),
                        figures::imported_at.eq(at),
                        figures::imported_by.eq(user.map(|u| u.id)),
                    )
                })
                .collect();
            crate::with_backend!(conn, c => diesel::insert_into(figures::table).values(&values).execute(c))?;
            let segments: Vec<_> = chunk
                .iter()
                .flat_map(|r| {
                    r.segments.iter().map(move |(segment, registered, active)| {
                        (
                            figure_segments::region_code.eq(&r.region_code),
                            figure_segments::figure_date.eq(r.date),
                            figure_segments::segment.eq(segment.as_str()),
                            figure_segments::registered.eq(registered.map(|n| n as i32)),
                            figure_segments::active.eq(active.map(|n| n as i32)),
                        )
                    })
                })
                .collect();
            if !segments.is_empty() {
                crate::with_backend!(conn, c => diesel::insert_into(figure_segments::table).values(&segments).execute(c))?;
            }
        }
        if let Some(first) = dates.first() {
            rebuild_rollups(conn, *first)?;
        }
        audit::record(
            conn,
            user.map(|u| u.id),
            "figures.import",
            "figures",
            &dates
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(","),
            &format!("file={file_name} rows={} replaced={replaced}", rows.len()),
        )?;
        Ok(ImportSummary {
            rows: rows.len(),
            dates: dates.iter().copied().collect(),
            replaced,
        })
    }
}

/// How many of the file's (unit, date) pairs already have figures from a file (what an import
/// would replace).
pub fn units_on_file(conn: &mut DbConnection, rows: &[FigureRow]) -> QueryResult<usize> {
    let mut by_date: HashMap<NaiveDate, Vec<&str>> = HashMap::new();
    for row in rows {
        by_date.entry(row.date).or_default().push(&row.region_code);
    }
    let mut found = 0;
    for (date, codes) in by_date {
        for chunk in codes.chunks(5_000) {
            let n: i64 = figures::table
                .filter(figures::figure_date.eq(date))
                .filter(figures::source.eq("berkas"))
                .filter(figures::region_code.eq_any(chunk))
                .count()
                .get_result(conn)?;
            found += n as usize;
        }
    }
    Ok(found)
}

/// Deletes the figures a file replaces: those of its own units on its own dates, and nothing
/// else (another area's figures for the same date stay).
fn delete_units(conn: &mut DbConnection, rows: &[FigureRow]) -> QueryResult<usize> {
    let mut by_date: HashMap<NaiveDate, Vec<&str>> = HashMap::new();
    for row in rows {
        by_date.entry(row.date).or_default().push(&row.region_code);
    }
    let mut deleted = 0;
    for (date, codes) in by_date {
        for chunk in codes.chunks(5_000) {
            deleted += diesel::delete(
                figures::table
                    .filter(figures::figure_date.eq(date))
                    .filter(figures::source.eq("berkas"))
                    .filter(figures::region_code.eq_any(chunk)),
            )
            .execute(conn)?;
        }
    }
    Ok(deleted)
}

/// Recomputes the as-of roll-ups from `from` on, for every kecamatan, kab/kota, province and
/// the nation: on each date some village under a unit reported, the sums of every village's
/// latest figures on or before that date (carried forward), how many villages that covers
/// (`units`), how many reported on the date itself (`fresh`) and the oldest date carried
/// (`oldest`). A change on a date changes every later as-of view, hence "from".
///
/// One statement: each figures row is the as-of row of its village from its date until the
/// village's next date (`LEAD`), so joining rows to the dates they cover and grouping by code
/// prefix gives every roll-up. When dates are appended, only the newest date and the villages'
/// last rows are touched. (The date is a typed value, written into the statement as a literal.)
pub fn rebuild_rollups(conn: &mut DbConnection, from: NaiveDate) -> QueryResult<()> {
    conn.batch_execute(&rollup_statement(&from.format("%Y-%m-%d").to_string()))
}

/// The statement of `rebuild_rollups` (also in migration 2026-11-22-000013 with the earliest
/// date). The villages are grouped once, by kecamatan; the higher units add kecamatan rows.
fn rollup_statement(from: &str) -> String {
    let higher = |code: &str, by: &str| {
        format!(
            " UNION ALL SELECT {code}, day, SUM(population), SUM(registered), SUM(active), \
             SUM(units), SUM(fresh), MIN(oldest) FROM kecamatan GROUP BY {by} HAVING SUM(fresh) > 0"
        )
    };
    format!(
        "DELETE FROM figure_rollups WHERE figure_date >= '{from}';\
         INSERT INTO figure_rollups (region_code, figure_date, population, registered, active, units, fresh, oldest) \
         WITH spans AS (\
             SELECT region_code, figure_date, population, registered, active, \
                    LEAD(figure_date) OVER (PARTITION BY region_code ORDER BY figure_date) AS next_date \
             FROM figures\
         ), days AS (\
             SELECT DISTINCT figure_date AS day FROM figures WHERE figure_date >= '{from}'\
         ), kecamatan AS (\
             SELECT substr(s.region_code, 1, 8) AS code, d.day, SUM(s.population) AS population, \
                    SUM(s.registered) AS registered, SUM(s.active) AS active, COUNT(*) AS units, \
                    SUM(CASE WHEN s.figure_date = d.day THEN 1 ELSE 0 END) AS fresh, \
                    MIN(s.figure_date) AS oldest \
             FROM spans s JOIN days d ON s.figure_date <= d.day \
                 AND (s.next_date IS NULL OR s.next_date > d.day) \
             WHERE s.next_date IS NULL OR s.next_date > '{from}' \
             GROUP BY substr(s.region_code, 1, 8), d.day\
         ) \
         SELECT code, day, population, registered, active, units, fresh, oldest FROM kecamatan \
         WHERE fresh > 0{}{}{};",
        higher("substr(code, 1, 5)", "substr(code, 1, 5), day"),
        higher("substr(code, 1, 2)", "substr(code, 1, 2), day"),
        higher("'ID'", "day"),
    )
}

/// How many figures rows each date has (for the import page).
pub fn dates_loaded(
    conn: &mut DbConnection,
    user: &CurrentUser,
) -> QueryResult<Vec<(NaiveDate, i64)>> {
    let q = figures::table
        .group_by(figures::figure_date)
        .select((figures::figure_date, diesel::dsl::count_star()))
        .order(figures::figure_date.desc())
        .limit(24)
        .into_boxed();
    if user.sees_everything() {
        q.load(conn)
    } else {
        q.filter(crate::within_areas!(
            figures::region_code,
            user.area_codes()
        ))
        .load(conn)
    }
}

/// Registered and active members of one segment (either may be missing from the file).
pub type SegmentFigures = (Option<i32>, Option<i32>);

/// Per-segment figures of one kelurahan on one date.
pub fn segments_of(
    conn: &mut DbConnection,
    code: &str,
    date: NaiveDate,
) -> QueryResult<HashMap<String, SegmentFigures>> {
    let rows: Vec<(String, Option<i32>, Option<i32>)> = figure_segments::table
        .filter(figure_segments::region_code.eq(code))
        .filter(figure_segments::figure_date.eq(date))
        .select((
            figure_segments::segment,
            figure_segments::registered,
            figure_segments::active,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|(s, r, a)| (s, (r, a))).collect())
}
