//! Figures derived from a roster extract: registered and active members per kelurahan (and
//! segment) written for the extract date, then that date's roll-ups rebuilt.

use chrono::NaiveDate;
use diesel::prelude::*;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::db::schema::{figure_segments, figures};
use crate::db::{DbConnection, now};
use crate::members::Segment;

/// One kelurahan's members in an extract.
#[derive(Debug, Default)]
pub struct UnitCounts {
    pub registered: i64,
    pub active: i64,
    /// Registered and active per segment.
    pub segments: HashMap<Segment, (i64, i64)>,
}

/// Writes the extract date's registered/active per kelurahan (and per segment) from the
/// roster, keeping the population from imported figures (of that date, else the nearest
/// earlier one, else the nearest later one), then rebuilds that date's roll-ups.
pub fn from_roster(
    conn: &mut DbConnection,
    units: &[(&str, &UnitCounts)],
    date: NaiveDate,
    imported_by: Option<i32>,
) -> QueryResult<()> {
    let at = now();
    for units in units.chunks(2_000) {
        let chunk: Vec<&str> = units.iter().map(|(code, _)| *code).collect();
        let known: Vec<(String, NaiveDate, i32)> = figures::table
            .filter(figures::region_code.eq_any(&chunk))
            .select((
                figures::region_code,
                figures::figure_date,
                figures::population,
            ))
            .load(conn)?;
        let mut population: HashMap<&str, (NaiveDate, i32)> = HashMap::new();
        let mut on_date: HashSet<&str> = HashSet::new();
        for (code, day, pop) in &known {
            if *day == date {
                on_date.insert(code);
            }
            // Closest date wins, earlier before later at the same distance.
            let distance = |d: NaiveDate| ((d - date).num_days().abs(), d > date);
            let better = population
                .get(code.as_str())
                .is_none_or(|(d, _)| distance(*day) < distance(*d));
            if better {
                population.insert(code, (*day, *pop));
            }
        }
        for (code, t) in units {
            if on_date.contains(code) {
                diesel::update(figures::table.find((*code, date)))
                    .set((
                        figures::registered.eq(t.registered as i32),
                        figures::active.eq(t.active as i32),
                        figures::source.eq("roster"),
                        figures::imported_at.eq(at),
                        figures::imported_by.eq(imported_by),
                    ))
                    .execute(conn)?;
            } else {
                diesel::insert_into(figures::table)
                    .values((
                        figures::region_code.eq(*code),
                        figures::figure_date.eq(date),
                        figures::population.eq(population.get(code).map_or(0, |(_, p)| *p)),
                        figures::registered.eq(t.registered as i32),
                        figures::active.eq(t.active as i32),
                        figures::source.eq("roster"),
                        figures::imported_at.eq(at),
                        figures::imported_by.eq(imported_by),
                    ))
                    .execute(conn)?;
            }
        }
        diesel::delete(
            figure_segments::table
                .filter(figure_segments::region_code.eq_any(&chunk))
                .filter(figure_segments::figure_date.eq(date)),
        )
        .execute(conn)?;
        let segments: Vec<_> = units
            .iter()
            .flat_map(|(code, t)| {
                t.segments
                    .iter()
                    .map(move |(segment, (registered, active))| {
                        (
                            figure_segments::region_code.eq(*code),
                            figure_segments::figure_date.eq(date),
                            figure_segments::segment.eq(segment.as_str()),
                            figure_segments::registered.eq(Some(*registered as i32)),
                            figure_segments::active.eq(Some(*active as i32)),
                        )
                    })
            })
            .collect();
        for part in segments.chunks(1_000) {
            crate::with_backend!(conn, c => diesel::insert_into(figure_segments::table).values(part).execute(c))?;
        }
    }
    super::store::rebuild_rollups(conn, date)
}
