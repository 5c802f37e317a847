//! Correcting a member's details or marking a member entered by mistake (salah input): the
//! author within `CORRECTION_DAYS`, or a supervisor of the area, always with a reason; audited.
//! A member marked by mistake stays on record but leaves the household's counts, its member
//! list and so the worklist.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::Relationship;
use super::identity::Sex;
use super::queries::Member;
use crate::audit;
use crate::auth::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::{households, members};
use crate::households::queries::refresh_counts;
use crate::visits::corrections::CORRECTION_DAYS;
use crate::web::policy::VERIFY_CLAIMS;

/// The member, if `user` may correct it: in their areas, not marked by mistake, and entered by
/// them in the last `CORRECTION_DAYS` unless they supervise (all checked in the query).
pub fn find_correctable(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i32,
    now: NaiveDateTime,
) -> QueryResult<Option<Member>> {
    let mut query = members::table
        .inner_join(households::table)
        .filter(members::id.eq(id))
        .filter(members::mistaken_at.is_null())
        .select(Member::as_select())
        .into_boxed();
    if !user.sees_everything() {
        query = query.filter(crate::within_areas!(
            households::region_code,
            user.area_codes()
        ));
    }
    if !VERIFY_CLAIMS.admits(user.role) {
        query = query
            .filter(members::created_by.eq(user.id))
            .filter(members::created_at.ge(now - Duration::days(CORRECTION_DAYS)));
    }
    query.first(conn).optional()
}

/// The details a correction may change (the NIK and membership go through the edit form,
/// which checks them against the records).
#[derive(Debug, Clone, PartialEq)]
pub struct Details {
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub relationship: Relationship,
}

pub fn correct(
    conn: &mut DbConnection,
    user: &CurrentUser,
    member: &Member,
    details: &Details,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(members::table.find(member.id))
        .set((
            members::name.eq(&details.name),
            members::name_search.eq(super::forms::name_key(&details.name)),
            members::sex.eq(details.sex),
            members::birth_date.eq(details.birth_date),
            members::relationship.eq(details.relationship),
            members::updated_at.eq(now),
        ))
        .execute(conn)?;
    // Which fields changed, not their values: the trail keeps no personal data.
    let changed: Vec<&str> = [
        ("name", member.name != details.name),
        ("sex", member.sex != details.sex),
        ("birth_date", member.birth_date != details.birth_date),
        ("relationship", member.relationship != details.relationship),
    ]
    .into_iter()
    .filter_map(|(field, changed)| changed.then_some(field))
    .collect();
    audit::record(
        conn,
        Some(user.id),
        "member.correct",
        "member",
        &member.id.to_string(),
        &format!("changed: {}; reason: {reason}", changed.join(", ")),
    )
}

/// Marks the member as entered by mistake; the household's counts are recomputed.
pub fn mark_mistaken(
    conn: &mut DbConnection,
    user: &CurrentUser,
    member: &Member,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let marked = diesel::update(
        members::table
            .find(member.id)
            .filter(members::mistaken_at.is_null()),
    )
    .set((
        members::mistaken_at.eq(Some(now)),
        members::mistaken_by.eq(Some(user.id)),
        members::mistaken_reason.eq(Some(reason)),
    ))
    .execute(conn)?;
    if marked == 0 {
        return Ok(());
    }
    refresh_counts(conn, member.household_id)?;
    audit::record(
        conn,
        Some(user.id),
        "member.mistaken",
        "member",
        &member.id.to_string(),
        &format!("reason: {reason}"),
    )
}

/// When a member was marked as entered by mistake and why, if they were.
pub fn mistaken(
    conn: &mut DbConnection,
    id: i32,
) -> QueryResult<Option<(NaiveDateTime, Option<String>)>> {
    let row: Option<(Option<NaiveDateTime>, Option<String>)> = members::table
        .find(id)
        .select((members::mistaken_at, members::mistaken_reason))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(at, reason)| at.map(|at| (at, reason))))
}
