//! The field activity counters (`field_activity`): per kelurahan and field worker, the visits,
//! households, claims and the last visit day. Visits, claim decisions and roster imports add to
//! them; progress pages, the API and the assignment board read them. They sit below all of
//! those so that none of the writers depends on the progress pages.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{field_activity, users};

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

/// Each field worker's counters summed over `within` (a region and everything under it;
/// `None`: the whole country), most visits first.
pub fn per_worker(conn: &mut DbConnection, within: Option<&str>) -> QueryResult<Vec<Activity>> {
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
    if let Some(code) = within {
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

/// Claims per kelurahan within `within` (`None`: the whole country): (region code, reported
/// in all, confirmed). Reported counts every claim ever made: waiting, confirmed or rejected.
pub fn claims_per_village(
    conn: &mut DbConnection,
    within: Option<&str>,
) -> QueryResult<Vec<(String, i64, i64)>> {
    let mut q = field_activity::table
        .select((
            field_activity::region_code,
            field_activity::reported,
            field_activity::confirmed,
            field_activity::rejected,
        ))
        .into_boxed();
    if let Some(code) = within {
        q = q.filter(crate::within_areas!(field_activity::region_code, [code]));
    }
    let rows: Vec<(String, i32, i32, i32)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(region, pending, confirmed, rejected)| {
            (
                region,
                i64::from(pending + confirmed + rejected),
                i64::from(confirmed),
            )
        })
        .collect())
}

/// The last visit day per kelurahan among `codes` (any field worker).
pub fn last_visits(
    conn: &mut DbConnection,
    codes: &[String],
) -> QueryResult<HashMap<String, Option<NaiveDate>>> {
    Ok(field_activity::table
        .filter(field_activity::region_code.eq_any(codes))
        .group_by(field_activity::region_code)
        .select((
            field_activity::region_code,
            diesel::dsl::max(field_activity::last_visit_on),
        ))
        .load::<(String, Option<NaiveDate>)>(conn)?
        .into_iter()
        .collect())
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
