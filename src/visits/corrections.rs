//! Correcting or voiding a recorded visit: its author within `CORRECTION_DAYS`, or a
//! supervisor of its area, with a reason; audited. A voided visit stays on record (who, when,
//! why) but leaves the counters and the household's last visit, and its claims still waiting
//! for verification are withdrawn.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::activity::{ActivityDelta, bump_activity};
use crate::audit;
use crate::auth::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::{households, member_arrears, reactivations, visits};
use crate::households::queries::refresh_counts;
use crate::reactivations::ClaimState;
use crate::web::policy::VERIFY_CLAIMS;

/// How long the author of a visit may still correct or void it.
pub const CORRECTION_DAYS: i64 = 7;

/// A visit as correcting it needs it.
#[derive(Queryable, Debug, Clone)]
pub struct Correctable {
    pub id: i32,
    pub household_id: i32,
    pub region_code: String,
    pub visitor_id: i32,
    pub visited_on: NaiveDate,
    pub note: String,
    pub created_at: NaiveDateTime,
}

/// The visit, if `user` may correct or void it: in their areas, not voided, and recorded by
/// them in the last `CORRECTION_DAYS` unless they supervise (all checked in the query).
pub fn find_correctable(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i32,
    now: NaiveDateTime,
) -> QueryResult<Option<Correctable>> {
    let mut query = visits::table
        .inner_join(households::table)
        .filter(visits::id.eq(id))
        .filter(visits::voided_at.is_null())
        .select((
            visits::id,
            visits::household_id,
            visits::region_code,
            visits::visitor_id,
            visits::visited_on,
            visits::note,
            visits::created_at,
        ))
        .into_boxed();
    if !user.sees_everything() {
        query = query.filter(crate::within_areas!(
            households::region_code,
            user.area_codes()
        ));
    }
    if !VERIFY_CLAIMS.admits(user.role) {
        query = query
            .filter(visits::visitor_id.eq(user.id))
            .filter(visits::created_at.ge(now - Duration::days(CORRECTION_DAYS)));
    }
    query.first(conn).optional()
}

/// The household's last visit, from the visits still standing.
fn refresh_last_visit(conn: &mut DbConnection, household_id: i32) -> QueryResult<()> {
    let last: Option<(NaiveDate, String)> = visits::table
        .filter(visits::household_id.eq(household_id))
        .filter(visits::voided_at.is_null())
        .order((visits::visited_on.desc(), visits::id.desc()))
        .select((visits::visited_on, visits::outcome))
        .first(conn)
        .optional()?;
    diesel::update(households::table.find(household_id))
        .set((
            households::last_visited_on.eq(last.as_ref().map(|(d, _)| *d)),
            households::last_visit_outcome.eq(last.map(|(_, o)| o)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Changes the date and note of a visit (its claims still waiting take the new date).
pub fn correct(
    conn: &mut DbConnection,
    user: &CurrentUser,
    visit: &Correctable,
    visited_on: NaiveDate,
    note: &str,
    reason: &str,
) -> QueryResult<()> {
    diesel::update(visits::table.find(visit.id))
        .set((visits::visited_on.eq(visited_on), visits::note.eq(note)))
        .execute(conn)?;
    diesel::update(
        reactivations::table
            .filter(reactivations::visit_id.eq(visit.id))
            .filter(reactivations::state.eq(ClaimState::Reported.as_str())),
    )
    .set(reactivations::reported_on.eq(visited_on))
    .execute(conn)?;
    // Arrears typed at the door are dated by the visit.
    let typed: Vec<i32> = member_arrears::table
        .filter(member_arrears::visit_id.eq(visit.id))
        .select(member_arrears::member_id)
        .load(conn)?;
    diesel::delete(
        member_arrears::table
            .filter(member_arrears::member_id.eq_any(&typed))
            .filter(member_arrears::as_of.eq(visited_on))
            .filter(
                member_arrears::visit_id
                    .is_null()
                    .or(member_arrears::visit_id.ne(visit.id)),
            ),
    )
    .execute(conn)?;
    diesel::update(member_arrears::table.filter(member_arrears::visit_id.eq(visit.id)))
        .set(member_arrears::as_of.eq(visited_on))
        .execute(conn)?;
    refresh_last_visit(conn, visit.household_id)?;
    let note_change = if note == visit.note {
        ""
    } else {
        "; note changed"
    };
    audit::record(
        conn,
        Some(user.id),
        "visit.correct",
        "visit",
        &visit.id.to_string(),
        &format!(
            "visited_on {} → {visited_on}{note_change}; reason: {reason}",
            visit.visited_on
        ),
    )
}

/// Voids a visit: it leaves the counters and the household's last visit, and its claims still
/// waiting are withdrawn (decided ones stand: they were verified on their own evidence).
/// Returns the number of claims withdrawn.
pub fn void(
    conn: &mut DbConnection,
    user: &CurrentUser,
    visit: &Correctable,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let voided = diesel::update(
        visits::table
            .find(visit.id)
            .filter(visits::voided_at.is_null()),
    )
    .set((
        visits::voided_at.eq(Some(now)),
        visits::voided_by.eq(Some(user.id)),
        visits::void_reason.eq(Some(reason)),
    ))
    .execute(conn)?;
    if voided == 0 {
        return Ok(0);
    }
    let waiting: Vec<(i32, Option<NaiveDate>)> = reactivations::table
        .filter(reactivations::visit_id.eq(visit.id))
        .filter(reactivations::state.eq(ClaimState::Reported.as_str()))
        .select((reactivations::id, reactivations::flagged_on))
        .load(conn)?;
    let ids: Vec<i32> = waiting.iter().map(|(id, _)| *id).collect();
    diesel::delete(reactivations::table.filter(reactivations::id.eq_any(&ids))).execute(conn)?;
    // So do the months in arrears it read off members' screens.
    diesel::delete(member_arrears::table.filter(member_arrears::visit_id.eq(visit.id)))
        .execute(conn)?;
    let still_visited = visits::table
        .filter(visits::household_id.eq(visit.household_id))
        .filter(visits::visitor_id.eq(visit.visitor_id))
        .filter(visits::voided_at.is_null())
        .count()
        .get_result::<i64>(conn)?
        > 0;
    bump_activity(
        conn,
        &visit.region_code,
        visit.visitor_id,
        ActivityDelta {
            visits: -1,
            households: -i32::from(!still_visited),
            reported: -(ids.len() as i32),
            flagged: -(waiting.iter().filter(|(_, f)| f.is_some()).count() as i32),
            ..ActivityDelta::default()
        },
    )?;
    refresh_last_visit(conn, visit.household_id)?;
    refresh_counts(conn, visit.household_id)?;
    audit::record(
        conn,
        Some(user.id),
        "visit.void",
        "visit",
        &visit.id.to_string(),
        &format!("claims withdrawn: {ids:?}; reason: {reason}"),
    )?;
    Ok(ids.len())
}

/// When a visit was voided and why, if it was.
pub fn voided(
    conn: &mut DbConnection,
    id: i32,
) -> QueryResult<Option<(NaiveDateTime, Option<String>)>> {
    let row: Option<(Option<NaiveDateTime>, Option<String>)> = visits::table
        .find(id)
        .select((visits::voided_at, visits::void_reason))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(at, reason)| at.map(|at| (at, reason))))
}
