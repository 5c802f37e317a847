//! Claim storage and the verification decision.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::{ClaimCounts, ClaimKind, ClaimState};
use crate::audit;
use crate::auth::CurrentUser;
use crate::db::schema::{households, members, reactivations, users};
use crate::db::{DbConnection, now};
use crate::households::queries::refresh_counts;
use crate::members::Segment;
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
    pub kind: String,
    pub state: String,
    pub method: String,
    pub segment: Option<String>,
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
    pub fn kind_label(&self) -> &'static str {
        ClaimKind::parse(&self.kind).map_or("?", ClaimKind::label)
    }
    pub fn state_label(&self) -> &'static str {
        ClaimState::parse(&self.state).map_or("?", ClaimState::label)
    }
    pub fn method_label(&self) -> &'static str {
        crate::visits::Action::parse(&self.method).map_or("?", crate::visits::Action::label)
    }
    pub fn segment_label(&self) -> &'static str {
        self.segment
            .as_deref()
            .and_then(Segment::parse)
            .map_or("", Segment::label)
    }
    pub fn by_roster(&self) -> bool {
        self.decided_via.as_deref() == Some("roster")
    }
    pub fn is_pending(&self) -> bool {
        self.state == ClaimState::Reported.as_str()
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

#[derive(Clone, Copy, Debug)]
pub enum Decision {
    Confirm,
    Reject,
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
    /// id, member, claimed segment, kelurahan, reporter, flagged on.
    type Claim = (i32, i32, Option<String>, String, i32, Option<NaiveDate>);
    let claims: Vec<Claim> = {
        let q = reactivations::table
            .filter(reactivations::id.eq_any(ids))
            .filter(reactivations::state.eq(ClaimState::Reported.as_str()))
            .select((
                reactivations::id,
                reactivations::member_id,
                reactivations::segment,
                reactivations::region_code,
                reactivations::reported_by,
                reactivations::flagged_on,
            ))
            .into_boxed();
        if user.sees_everything() {
            q.load(conn)?
        } else {
            q.filter(within_areas!(reactivations::region_code, user.area_codes()))
                .load(conn)?
        }
    };
    let at = now();
    let state = match decision {
        Decision::Confirm => ClaimState::Confirmed,
        Decision::Reject => ClaimState::Rejected,
    };
    for (id, member_id, segment, region_code, reporter, flagged_on) in &claims {
        let confirmed = matches!(decision, Decision::Confirm);
        crate::activity::bump_activity(
            conn,
            region_code,
            *reporter,
            crate::activity::ActivityDelta {
                reported: -1,
                confirmed: i32::from(confirmed),
                rejected: i32::from(!confirmed),
                flagged: -i32::from(flagged_on.is_some()),
                ..Default::default()
            },
        )?;
        diesel::update(reactivations::table.find(id))
            .set((
                reactivations::state.eq(state.as_str()),
                reactivations::decided_by.eq(user.id),
                reactivations::decided_via.eq("petugas"),
                reactivations::decided_at.eq(at),
                reactivations::decision_reason.eq(reason),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            Some(user.id),
            match decision {
                Decision::Confirm => "reactivation.confirm",
                Decision::Reject => "reactivation.reject",
            },
            "member",
            &member_id.to_string(),
            &format!(
                "claim {id}{}",
                reason.map(|r| format!(": {r}")).unwrap_or_default()
            ),
        )?;
        if let Decision::Confirm = decision {
            activate(conn, user, *member_id, segment.as_deref())?;
        }
    }
    Ok(claims.len())
}

/// Makes a member active, in `segment` when the claim names one.
fn activate(
    conn: &mut DbConnection,
    user: &CurrentUser,
    member_id: i32,
    segment: Option<&str>,
) -> QueryResult<()> {
    let (household_id, old_status, old_segment, class): (i32, String, String, Option<String>) =
        members::table
            .find(member_id)
            .select((
                members::household_id,
                members::status,
                members::segment,
                members::class,
            ))
            .first(conn)?;
    let new_segment = segment.unwrap_or(&old_segment).to_string();
    let keeps_class = Segment::parse(&new_segment).is_some_and(Segment::has_class);
    // The class is kept for mandiri segments (unknown stays unknown); other segments have none.
    let class = if keeps_class { class } else { None };
    diesel::update(members::table.find(member_id))
        .set((
            members::status.eq("aktif"),
            members::segment.eq(&new_segment),
            members::class.eq(class),
            members::inactive_reason.eq(None::<String>),
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
