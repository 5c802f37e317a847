//! Recording a visit, in one transaction: the visit, each member's outcome, the claims it
//! reports, the member statuses it settles (deceased, moved), and the household's last visit.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::forms::VisitInput;
use super::{Action, Outcome};
use crate::activity::{ActivityDelta, bump_activity};
use crate::audit;
use crate::auth::CurrentUser;
use crate::db::schema::{households, member_arrears, members, users, visit_members, visits};
use crate::db::{DbConnection, now};
use crate::households::Household;
use crate::households::queries::{refresh_counts, visible};
use crate::members::{Class, MemberStatus, Segment};
use crate::reactivations::queries::{NewClaim, report};

/// The months in arrears typed from mandiri members' Mobile JKN screens, dated by the visit: newer
/// than the extract they correct, they price the door-step panel and the worklist from now on.
fn record_door_arrears(
    conn: &mut DbConnection,
    visit_id: i32,
    input: &VisitInput,
) -> QueryResult<()> {
    let typed: Vec<(i32, i32)> = input
        .entries
        .iter()
        .filter_map(|e| Some((e.member_id, e.arrears_months?)))
        .collect();
    if typed.is_empty() {
        return Ok(());
    }
    let ids: Vec<i32> = typed.iter().map(|(id, _)| *id).collect();
    let mandiri: Vec<i32> = members::table
        .filter(members::id.eq_any(&ids))
        .filter(members::segment.eq_any([Segment::Pbpu.as_str(), Segment::Bp.as_str()]))
        .select(members::id)
        .load(conn)?;
    for (member_id, months) in typed.into_iter().filter(|(id, _)| mandiri.contains(id)) {
        diesel::delete(member_arrears::table.find((member_id, input.visited_on))).execute(conn)?;
        diesel::insert_into(member_arrears::table)
            .values((
                member_arrears::member_id.eq(member_id),
                member_arrears::as_of.eq(input.visited_on),
                member_arrears::months.eq(Some(months)),
                member_arrears::visit_id.eq(Some(visit_id)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn record(
    conn: &mut DbConnection,
    user: &CurrentUser,
    household: &Household,
    input: &VisitInput,
) -> QueryResult<i32> {
    let first_visit_here = visits::table
        .filter(visits::household_id.eq(household.id))
        .filter(visits::visitor_id.eq(user.id))
        .filter(visits::voided_at.is_null())
        .count()
        .get_result::<i64>(conn)?
        == 0;
    let (lat, lon, acc) = match input.location {
        Some((lat, lon, acc)) => (Some(lat), Some(lon), acc),
        None => (None, None, None),
    };
    let visit_id: i32 = crate::with_backend!(conn, c => diesel::insert_into(visits::table)
        .values((
            visits::household_id.eq(household.id),
            visits::region_code.eq(&household.region_code),
            visits::visitor_id.eq(user.id),
            visits::visited_on.eq(input.visited_on),
            visits::outcome.eq(input.outcome.as_str()),
            visits::note.eq(&input.note),
            visits::latitude.eq(lat),
            visits::longitude.eq(lon),
            visits::accuracy_m.eq(acc),
            visits::created_at.eq(now()),
        ))
        .returning(visits::id)
        .get_result(c))?;
    for entry in &input.entries {
        diesel::insert_into(visit_members::table)
            .values((
                visit_members::visit_id.eq(visit_id),
                visit_members::member_id.eq(entry.member_id),
                visit_members::observed_status.eq(entry.observed.as_str()),
                visit_members::action.eq(entry.action.as_str()),
                visit_members::new_segment.eq(entry.segment.map(|s| s.as_str())),
                visit_members::new_class.eq(entry.class.map(|c| c.as_str())),
                visit_members::rehab_reference.eq(&entry.rehab_reference),
                visit_members::revisit_on.eq(entry.revisit_on),
            ))
            .execute(conn)?;
        if let Some(kind) = entry.action.claim() {
            report(
                conn,
                &NewClaim {
                    kind,
                    member_id: entry.member_id,
                    visit_id,
                    region_code: household.region_code.as_str(),
                    reported_by: user.id,
                    reported_on: input.visited_on,
                    method: entry.action.as_str(),
                    segment: entry.segment.map(|s| s.as_str()),
                },
            )?;
        }
        // Death and moving away are facts seen at the door; becoming active needs verification.
        if matches!(entry.observed, MemberStatus::Deceased | MemberStatus::Moved) {
            diesel::update(members::table.find(entry.member_id))
                .set((
                    members::status.eq(entry.observed.as_str()),
                    members::inactive_reason.eq(None::<String>),
                    members::updated_at.eq(now()),
                ))
                .execute(conn)?;
            audit::record(
                conn,
                Some(user.id),
                "member.update",
                "member",
                &entry.member_id.to_string(),
                &format!("status → {} (visit {visit_id})", entry.observed.as_str()),
            )?;
        }
    }
    record_door_arrears(conn, visit_id, input)?;
    if household
        .last_visited_on
        .is_none_or(|last| input.visited_on >= last)
    {
        diesel::update(households::table.find(household.id))
            .set((
                households::last_visited_on.eq(Some(input.visited_on)),
                households::last_visit_outcome.eq(Some(input.outcome.as_str())),
            ))
            .execute(conn)?;
    }
    // Counts (statuses may have changed) and the worklist rank (the last visit did).
    refresh_counts(conn, household.id)?;
    let claims = input
        .entries
        .iter()
        .filter(|e| e.action.claim().is_some())
        .count();
    bump_activity(
        conn,
        household.region_code.as_str(),
        user.id,
        ActivityDelta {
            visits: 1,
            households: i32::from(first_visit_here),
            reported: claims as i32,
            visited_on: Some(input.visited_on),
            ..ActivityDelta::default()
        },
    )?;
    audit::record(
        conn,
        Some(user.id),
        "visit.create",
        "household",
        &household.id.to_string(),
        &format!(
            "visit {visit_id} on {} outcome={} members={}",
            input.visited_on,
            input.outcome.as_str(),
            input.entries.len()
        ),
    )?;
    Ok(visit_id)
}

#[derive(Queryable, Debug, Clone)]
pub struct VisitRow {
    pub id: i32,
    pub household_id: i32,
    pub visited_on: NaiveDate,
    pub outcome: Outcome,
    pub note: String,
    pub visitor: String,
    pub address: String,
    pub rt: String,
    pub rw: String,
}

macro_rules! visit_rows {
    () => {
        visits::table
            .inner_join(households::table)
            .inner_join(users::table)
            .select((
                visits::id,
                visits::household_id,
                visits::visited_on,
                visits::outcome,
                visits::note,
                users::full_name,
                households::address,
                households::rt,
                households::rw,
            ))
    };
}

pub fn for_household(conn: &mut DbConnection, household_id: i32) -> QueryResult<Vec<VisitRow>> {
    visit_rows!()
        .filter(visits::household_id.eq(household_id))
        .filter(visits::voided_at.is_null())
        .order((visits::visited_on.desc(), visits::id.desc()))
        .limit(50)
        .load(conn)
}

/// A visit with the latitude and longitude recorded for it, if any.
pub type LocatedVisit = (VisitRow, Option<f64>, Option<f64>);

/// One visit, if its household is visible to the user.
pub fn find_visible(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i32,
) -> QueryResult<Option<LocatedVisit>> {
    let row: Option<LocatedVisit> = visit_rows!()
        .filter(visits::id.eq(id))
        .select((
            (
                visits::id,
                visits::household_id,
                visits::visited_on,
                visits::outcome,
                visits::note,
                users::full_name,
                households::address,
                households::rt,
                households::rw,
            ),
            visits::latitude,
            visits::longitude,
        ))
        .first(conn)
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let in_scope = visible(user)
        .filter(households::id.eq(row.0.household_id))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    Ok(in_scope.then_some(row))
}

/// A member's part in a visit, for the visit page and the member's history.
#[derive(Queryable, Debug, Clone)]
pub struct MemberVisitRow {
    pub visit_id: i32,
    pub visited_on: NaiveDate,
    pub member_id: i32,
    pub member_name: String,
    pub observed_status: MemberStatus,
    pub action: Action,
    pub new_segment: Option<Segment>,
    pub rehab_reference: Option<String>,
    pub revisit_on: Option<NaiveDate>,
    pub new_class: Option<Class>,
}

impl MemberVisitRow {
    pub fn segment_label(&self) -> &'static str {
        self.new_segment.map_or("", Segment::label)
    }

    pub fn class_label(&self) -> &'static str {
        self.new_class.map_or("", Class::label)
    }
}

macro_rules! member_visit_rows {
    () => {
        visit_members::table
            .inner_join(visits::table)
            .inner_join(members::table)
            .select((
                visits::id,
                visits::visited_on,
                members::id,
                members::name,
                visit_members::observed_status,
                visit_members::action,
                visit_members::new_segment,
                visit_members::rehab_reference,
                visit_members::revisit_on,
                visit_members::new_class,
            ))
    };
}

pub fn entries_of(conn: &mut DbConnection, visit_id: i32) -> QueryResult<Vec<MemberVisitRow>> {
    member_visit_rows!()
        .filter(visit_members::visit_id.eq(visit_id))
        .order(visit_members::id)
        .load(conn)
}

pub fn for_member(conn: &mut DbConnection, member_id: i32) -> QueryResult<Vec<MemberVisitRow>> {
    member_visit_rows!()
        .filter(visit_members::member_id.eq(member_id))
        .filter(visits::voided_at.is_null())
        .order((visits::visited_on.desc(), visits::id.desc()))
        .limit(50)
        .load(conn)
}

/// A user's visits between two dates (inclusive), newest first.
pub fn by_visitor_between(
    conn: &mut DbConnection,
    user_id: i32,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<VisitRow>> {
    visit_rows!()
        .filter(visits::visitor_id.eq(user_id))
        .filter(visits::voided_at.is_null())
        .filter(visits::visited_on.ge(from))
        .filter(visits::visited_on.le(to))
        .order((visits::visited_on.desc(), visits::id.desc()))
        .load(conn)
}

/// Revisits this user planned whose date has come and whose household has not been visited
/// since the visit that planned them.
#[derive(Queryable, Debug, Clone)]
pub struct FollowUp {
    pub revisit_on: NaiveDate,
    pub household_id: i32,
    pub address: String,
    pub rt: String,
    pub rw: String,
    pub member_name: String,
}

pub fn follow_ups_due(
    conn: &mut DbConnection,
    user_id: i32,
    today: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<FollowUp>> {
    visit_members::table
        .inner_join(visits::table.inner_join(households::table))
        .inner_join(members::table)
        .filter(visits::visitor_id.eq(user_id))
        .filter(visits::voided_at.is_null())
        .filter(visit_members::revisit_on.le(today))
        .filter(households::last_visited_on.le(visits::visited_on.nullable()))
        .select((
            visit_members::revisit_on.assume_not_null(),
            households::id,
            households::address,
            households::rt,
            households::rw,
            members::name,
        ))
        .order(visit_members::revisit_on.asc())
        .limit(limit)
        .load(conn)
}
