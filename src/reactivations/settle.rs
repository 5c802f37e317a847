//! Settling a field claim: confirmed or rejected by an officer, or confirmed by the BPJS roster;
//! and claims flagged when the roster still shows the member inactive long after the report.
//! Every settlement moves the field counters and is audited the same way, whoever settles.

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;

use super::ClaimState;
use crate::activity::{ActivityDelta, bump_activity};
use crate::audit;
use crate::db::schema::reactivations;
use crate::db::{DbConnection, now};
use crate::members::Segment;
use crate::regions::RegionCode;

/// A claim the roster still shows inactive this long after its report is flagged.
pub const FLAG_AFTER_DAYS: i64 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Confirm,
    Reject,
}

/// Who settled a claim, and on what grounds.
#[derive(Clone, Copy, Debug)]
pub enum DecidedVia<'a> {
    /// A supervisor or admin, with the reason they gave.
    Officer {
        user_id: i32,
        reason: Option<&'a str>,
    },
    /// A roster extract of this date listed the member active.
    Roster { extract: NaiveDate },
}

impl DecidedVia<'_> {
    /// The values stored in `reactivations.decided_via`.
    pub const OFFICER: &'static str = "petugas";
    pub const ROSTER: &'static str = "roster";

    pub fn as_str(&self) -> &'static str {
        match self {
            DecidedVia::Officer { .. } => Self::OFFICER,
            DecidedVia::Roster { .. } => Self::ROSTER,
        }
    }
}

/// A claim still waiting, as settling it needs it.
#[derive(Queryable, Selectable, Debug)]
#[diesel(table_name = reactivations)]
pub struct OpenClaim {
    pub id: i32,
    pub member_id: i32,
    /// The segment the member was reported to move to, if any.
    pub segment: Option<Segment>,
    pub region_code: RegionCode,
    pub reported_by: i32,
    pub flagged_on: Option<NaiveDate>,
}

/// Records the decision on a waiting claim: its state, who decided and why, the counters of
/// its kelurahan and reporter, and the audit entry. Making the member active is the caller's
/// (an officer's confirmation does it; the roster already shows the member active).
pub fn settle(
    conn: &mut DbConnection,
    claim: &OpenClaim,
    decision: Decision,
    via: DecidedVia<'_>,
) -> QueryResult<()> {
    let confirmed = decision == Decision::Confirm;
    bump_activity(
        conn,
        claim.region_code.as_str(),
        claim.reported_by,
        ActivityDelta {
            reported: -1,
            confirmed: i32::from(confirmed),
            rejected: i32::from(!confirmed),
            flagged: -i32::from(claim.flagged_on.is_some()),
            ..Default::default()
        },
    )?;
    let state = if confirmed {
        ClaimState::Confirmed
    } else {
        ClaimState::Rejected
    };
    let (actor, reason, detail) = match via {
        DecidedVia::Officer { user_id, reason } => (
            Some(user_id),
            reason.map(str::to_owned),
            format!(
                "claim {}{}",
                claim.id,
                reason.map(|r| format!(": {r}")).unwrap_or_default()
            ),
        ),
        DecidedVia::Roster { extract } => (
            None,
            Some(format!("Aktif di data BPJS per {extract}")),
            format!("claim {}, extract {extract}", claim.id),
        ),
    };
    diesel::update(reactivations::table.find(claim.id))
        .set((
            reactivations::state.eq(state.as_str()),
            reactivations::decided_by.eq(actor),
            reactivations::decided_via.eq(via.as_str()),
            reactivations::decided_at.eq(now()),
            reactivations::decision_reason.eq(reason),
        ))
        .execute(conn)?;
    let action = match (via, decision) {
        (DecidedVia::Officer { .. }, Decision::Confirm) => "reactivation.confirm",
        (DecidedVia::Officer { .. }, Decision::Reject) => "reactivation.reject",
        (DecidedVia::Roster { .. }, Decision::Confirm) => "reactivation.confirm_by_roster",
        (DecidedVia::Roster { .. }, Decision::Reject) => "reactivation.reject_by_roster",
    };
    audit::record(
        conn,
        actor,
        action,
        "member",
        &claim.member_id.to_string(),
        &detail,
    )
}

/// After a roster batch: confirms the waiting claims (reported on or before the extract date)
/// of members it lists active, and flags those of members still inactive `FLAG_AFTER_DAYS`
/// after their report. Returns (confirmed, flagged).
pub fn settle_by_roster(
    conn: &mut DbConnection,
    active: &[i32],
    inactive: &[i32],
    extract: NaiveDate,
) -> QueryResult<(i32, i32)> {
    let reported = ClaimState::Reported.as_str();
    let to_confirm: Vec<OpenClaim> = if active.is_empty() {
        Vec::new()
    } else {
        reactivations::table
            .filter(reactivations::member_id.eq_any(active))
            .filter(reactivations::state.eq(reported))
            .filter(reactivations::reported_on.le(extract))
            .select(OpenClaim::as_select())
            .load(conn)?
    };
    for claim in &to_confirm {
        settle(
            conn,
            claim,
            Decision::Confirm,
            DecidedVia::Roster { extract },
        )?;
    }
    let to_flag: Vec<OpenClaim> = if inactive.is_empty() {
        Vec::new()
    } else {
        reactivations::table
            .filter(reactivations::member_id.eq_any(inactive))
            .filter(reactivations::state.eq(reported))
            .filter(reactivations::flagged_on.is_null())
            .filter(reactivations::reported_on.le(extract - Duration::days(FLAG_AFTER_DAYS)))
            .select(OpenClaim::as_select())
            .load(conn)?
    };
    for claim in &to_flag {
        diesel::update(reactivations::table.find(claim.id))
            .set(reactivations::flagged_on.eq(extract))
            .execute(conn)?;
        bump_activity(
            conn,
            claim.region_code.as_str(),
            claim.reported_by,
            ActivityDelta {
                flagged: 1,
                ..Default::default()
            },
        )?;
    }
    Ok((to_confirm.len() as i32, to_flag.len() as i32))
}
