//! Claim storage and the verification decision.

use chrono::NaiveDate;
use diesel::prelude::*;

pub use super::settle::Decision;
use super::settle::{DecidedVia, OpenClaim, settle};
use super::{ClaimCounts, ClaimKind, ClaimState};
use crate::audit;
use crate::auth::CurrentUser;
use crate::db::schema::{households, members, reactivations, users};
use crate::db::{DbConnection, now};
use crate::households::queries::refresh_counts;
use crate::members::{Class, InactiveReason, MemberStatus, Segment};
use crate::visits::Action;
use crate::within_areas;

pub struct NewClaim<'a> {
    pub kind: ClaimKind,
    pub member_id: i32,
    pub visit_id: i32,
    pub region_code: &'a str,
    pub reported_by: i32,
    pub reported_on: NaiveDate,
    pub method: &'a str,
    pub segment: Option<&'a str>,
}

pub fn report(conn: &mut DbConnection, claim: &NewClaim<'_>) -> QueryResult<()> {
    diesel::insert_into(reactivations::table)
        .values((
            reactivations::kind.eq(claim.kind.as_str()),
            reactivations::member_id.eq(claim.member_id),
            reactivations::visit_id.eq(claim.visit_id),
            reactivations::region_code.eq(claim.region_code),
            reactivations::reported_by.eq(claim.reported_by),
            reactivations::reported_on.eq(claim.reported_on),
            reactivations::method.eq(claim.method),
            reactivations::segment.eq(claim.segment),
            reactivations::state.eq(ClaimState::Reported.as_str()),
            reactivations::created_at.eq(now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        Some(claim.reported_by),
        "reactivation.report",
        "member",
        &claim.member_id.to_string(),
        &format!(
            "{} via {} (visit {})",
            claim.kind.as_str(),
            claim.method,
            claim.visit_id
        ),
    )
}

/// Members among `member_ids` that already have a claim waiting for verification.
pub fn pending_members(conn: &mut DbConnection, member_ids: &[i32]) -> QueryResult<Vec<i32>> {
    reactivations::table
        .filter(reactivations::member_id.eq_any(member_ids))
        .filter(reactivations::state.eq(ClaimState::Reported.as_str()))
        .select(reactivations::member_id)
        .load(conn)
}

#[derive(Queryable, Debug, Clone)]
pub struct ClaimRow {
    pub id: i32,
    pub kind: ClaimKind,
    pub state: ClaimState,
    pub method: Action,
    pub segment: Option<Segment>,
    pub reported_on: NaiveDate,
    pub decision_reason: Option<String>,
    pub member_id: i32,
    pub member_name: String,
    pub household_id: i32,
    pub address: String,
    pub region_code: String,
    pub reporter: String,
    /// Extract date on which the roster still showed the member inactive 30+ days on.
    pub flagged_on: Option<NaiveDate>,
    /// `roster` when the BPJS roster confirmed the claim, `petugas` for a supervisor.
    pub decided_via: Option<String>,
}

impl ClaimRow {
    pub fn segment_label(&self) -> &'static str {
        self.segment.map_or("", Segment::label)
    }
    pub fn by_roster(&self) -> bool {
        self.decided_via.as_deref() == Some(DecidedVia::ROSTER)
    }
    pub fn is_pending(&self) -> bool {
        self.state == ClaimState::Reported
    }
}

macro_rules! claim_rows {
    () => {
        reactivations::table
            .inner_join(members::table.inner_join(households::table))
            .inner_join(users::table.on(users::id.eq(reactivations::reported_by)))
            .select((
                reactivations::id,
                reactivations::kind,
                reactivations::state,
                reactivations::method,
                reactivations::segment,
                reactivations::reported_on,
                reactivations::decision_reason,
                members::id,
                members::name,
                households::id,
                households::address,
                reactivations::region_code,
                users::full_name,
                reactivations::flagged_on,
                reactivations::decided_via,
            ))
    };
}

/// Claims waiting for verification in the user's areas, oldest first.
pub fn pending_for(
    conn: &mut DbConnection,
    user: &CurrentUser,
    limit: i64,
) -> QueryResult<(Vec<ClaimRow>, i64)> {
    let scoped = || {
        let q = claim_rows!()
            .filter(reactivations::state.eq(ClaimState::Reported.as_str()))
            .into_boxed();
        if user.sees_everything() {
            q
        } else {
            q.filter(within_areas!(reactivations::region_code, user.area_codes()))
        }
    };
    let total = scoped().count().get_result(conn)?;
    let rows = scoped()
        .order((reactivations::reported_on.asc(), reactivations::id.asc()))
        .limit(limit)
        .load(conn)?;
    Ok((rows, total))
}

pub fn for_member(conn: &mut DbConnection, member_id: i32) -> QueryResult<Vec<ClaimRow>> {
    claim_rows!()
        .filter(reactivations::member_id.eq(member_id))
        .order(reactivations::id.desc())
        .load(conn)
}

pub fn counts_by_reporter(conn: &mut DbConnection, user_id: i32) -> QueryResult<ClaimCounts> {
    let rows: Vec<(String, i64)> = reactivations::table
        .filter(reactivations::reported_by.eq(user_id))
        .group_by(reactivations::state)
        .select((reactivations::state, diesel::dsl::count_star()))
        .load(conn)?;
    let mut counts = ClaimCounts::default();
    for (state, n) in rows {
        match ClaimState::parse(&state) {
            Some(ClaimState::Reported) => counts.reported = n,
            Some(ClaimState::Confirmed) => counts.confirmed = n,
            Some(ClaimState::Rejected) => counts.rejected = n,
            None => {}
        }
    }
    Ok(counts)
}

/// Confirms or rejects the given claims that are still waiting and lie in the user's areas
/// (others are skipped). A confirmation makes the member active in the claimed segment.
/// Returns how many claims were decided.
pub fn decide(
    conn: &mut DbConnection,
    user: &CurrentUser,
    ids: &[i32],
    decision: Decision,
    reason: Option<&str>,
) -> QueryResult<usize> {
    let claims: Vec<OpenClaim> = {
        let q = reactivations::table
            .filter(reactivations::id.eq_any(ids))
            .filter(reactivations::state.eq(ClaimState::Reported.as_str()))
            .select(OpenClaim::as_select())
            .into_boxed();
        if user.sees_everything() {
            q.load(conn)?
        } else {
            q.filter(within_areas!(reactivations::region_code, user.area_codes()))
                .load(conn)?
        }
    };
    let via = DecidedVia::Officer {
        user_id: user.id,
        reason,
    };
    for claim in &claims {
        settle(conn, claim, decision, via)?;
        if decision == Decision::Confirm {
            activate(conn, user, claim.member_id, claim.segment)?;
        }
    }
    Ok(claims.len())
}

/// Makes a member active, in `segment` when the claim names one.
fn activate(
    conn: &mut DbConnection,
    user: &CurrentUser,
    member_id: i32,
    segment: Option<Segment>,
) -> QueryResult<()> {
    let (household_id, old_status, old_segment, class): (
        i32,
        MemberStatus,
        Segment,
        Option<Class>,
    ) = members::table
        .find(member_id)
        .select((
            members::household_id,
            members::status,
            members::segment,
            members::class,
        ))
        .first(conn)?;
    let new_segment = segment.unwrap_or(old_segment);
    let keeps_class = new_segment.has_class();
    // The class is kept for mandiri segments (unknown stays unknown); other segments have none.
    let class = if keeps_class { class } else { None };
    diesel::update(members::table.find(member_id))
        .set((
            members::status.eq(MemberStatus::Active),
            members::segment.eq(new_segment),
            members::class.eq(class),
            members::inactive_reason.eq(None::<InactiveReason>),
            members::updated_at.eq(now()),
        ))
        .execute(conn)?;
    refresh_counts(conn, household_id)?;
    audit::record(
        conn,
        Some(user.id),
        "member.update",
        "member",
        &member_id.to_string(),
        &format!(
            "status {old_status} → aktif; segment {old_segment} → {new_segment} (confirmed claim)"
        ),
    )
}
