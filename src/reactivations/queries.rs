//! Claim storage and the verification decision.

use chrono::NaiveDate;
use diesel::prelude::*;

pub use super::settle::Decision;
use super::settle::{DecidedVia, OpenClaim, settle};
use super::{ClaimCounts, ClaimKind, ClaimState};
use crate::audit;
use crate::auth::CurrentUser;
use crate::db::schema::{households, members, reactivations, regions, users};
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
    /// The kelurahan's name, when the region table knows the code.
    pub region_name: Option<String>,
    /// Full NIK: only ever shown masked (`masked_nik`).
    nik: Option<String>,
    /// Nomor kartu JKN, shown in full: what the supervisor looks up in BPJS's system.
    pub jkn_number: Option<String>,
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
    pub fn masked_nik(&self) -> Option<String> {
        self.nik.as_deref().map(crate::members::identity::mask)
    }
    /// The kelurahan by name, or its code when the region table does not know it.
    pub fn region_label(&self) -> &str {
        self.region_name.as_deref().unwrap_or(&self.region_code)
    }
}

/// Narrowing of the verification queue, from the page's GET parameters.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct QueueFilter {
    pub region: Option<String>,
    pub reporter: Option<i32>,
    pub kind: Option<ClaimKind>,
    /// Only claims reported at least this many days ago.
    pub min_age_days: Option<i64>,
}

/// The age choices of the queue filter, in days.
pub const AGE_CHOICES: [i64; 4] = [3, 7, 14, 30];

impl QueueFilter {
    /// Reads `kelurahan`, `petugas`, `jenis` and `umur`; unknown or malformed values are ignored
    /// (a filter link typed by hand shows the whole queue rather than an error).
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut filter = Self::default();
        for (key, value) in pairs {
            let value = value.trim();
            match key.as_str() {
                "kelurahan" if !value.is_empty() && value.len() <= 20 => {
                    filter.region = Some(value.to_string());
                }
                "petugas" => filter.reporter = value.parse().ok(),
                "jenis" => filter.kind = ClaimKind::parse(value),
                "umur" => {
                    filter.min_age_days = value.parse().ok().filter(|d| AGE_CHOICES.contains(d));
                }
                _ => {}
            }
        }
        filter
    }

    /// The filter as a query string (without `?`), empty when nothing is filtered.
    pub fn query_string(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        if let Some(region) = &self.region {
            out.append_pair("kelurahan", region);
        }
        if let Some(id) = self.reporter {
            out.append_pair("petugas", &id.to_string());
        }
        if let Some(kind) = self.kind {
            out.append_pair("jenis", kind.as_str());
        }
        if let Some(days) = self.min_age_days {
            out.append_pair("umur", &days.to_string());
        }
        out.finish()
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// What the queue's filter can choose from: the kelurahan and reporters of waiting claims.
#[derive(Debug, Default)]
pub struct FilterChoices {
    /// (code, name)
    pub regions: Vec<(String, String)>,
    /// (user id, full name)
    pub reporters: Vec<(i32, String)>,
}

macro_rules! claim_rows {
    () => {
        reactivations::table
            .inner_join(members::table.inner_join(households::table))
            .inner_join(users::table.on(users::id.eq(reactivations::reported_by)))
            .left_join(regions::table.on(regions::code.eq(reactivations::region_code)))
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
                regions::name.nullable(),
                members::nik,
                members::jkn_number,
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
    queue_for(conn, user, &QueueFilter::default(), limit)
}

/// Claims waiting for verification in the user's areas that pass `filter`, oldest first.
pub fn queue_for(
    conn: &mut DbConnection,
    user: &CurrentUser,
    filter: &QueueFilter,
    limit: i64,
) -> QueryResult<(Vec<ClaimRow>, i64)> {
    let cutoff = filter
        .min_age_days
        .map(|days| crate::web::today() - chrono::Duration::days(days));
    let scoped = || {
        let mut q = claim_rows!()
            .filter(reactivations::state.eq(ClaimState::Reported.as_str()))
            .into_boxed();
        if !user.sees_everything() {
            q = q.filter(within_areas!(reactivations::region_code, user.area_codes()));
        }
        if let Some(region) = &filter.region {
            q = q.filter(reactivations::region_code.eq(region.clone()));
        }
        if let Some(id) = filter.reporter {
            q = q.filter(reactivations::reported_by.eq(id));
        }
        if let Some(kind) = filter.kind {
            q = q.filter(reactivations::kind.eq(kind.as_str()));
        }
        if let Some(cutoff) = cutoff {
            q = q.filter(reactivations::reported_on.le(cutoff));
        }
        q
    };
    let total = scoped().count().get_result(conn)?;
    let rows = scoped()
        .order((reactivations::reported_on.asc(), reactivations::id.asc()))
        .limit(limit)
        .load(conn)?;
    Ok((rows, total))
}

/// The kelurahan and reporters that have claims waiting in the user's areas.
pub fn filter_choices(conn: &mut DbConnection, user: &CurrentUser) -> QueryResult<FilterChoices> {
    let pending = || {
        let q = reactivations::table
            .filter(reactivations::state.eq(ClaimState::Reported.as_str()))
            .into_boxed();
        if user.sees_everything() {
            q
        } else {
            q.filter(within_areas!(reactivations::region_code, user.area_codes()))
        }
    };
    let codes: Vec<String> = pending()
        .select(reactivations::region_code)
        .distinct()
        .load(conn)?;
    let names: Vec<(String, String)> = regions::table
        .filter(regions::code.eq_any(&codes))
        .select((regions::code, regions::name))
        .load(conn)?;
    let mut regions: Vec<(String, String)> = codes
        .into_iter()
        .map(|code| {
            let name = names
                .iter()
                .find(|(c, _)| *c == code)
                .map_or_else(|| code.clone(), |(_, n)| n.clone());
            (code, name)
        })
        .collect();
    regions.sort_by(|a, b| a.1.cmp(&b.1));
    let ids: Vec<i32> = pending()
        .select(reactivations::reported_by)
        .distinct()
        .load(conn)?;
    let reporters = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::full_name))
        .order(users::full_name.asc())
        .load(conn)?;
    Ok(FilterChoices { regions, reporters })
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

/// A report of the user's that a supervisor rejected, with the reason, for "Hari ini".
pub struct RejectedRow {
    pub member_id: i32,
    pub member_name: String,
    pub decided_on: Option<chrono::NaiveDateTime>,
    pub reason: Option<String>,
}

/// The user's reports rejected in the last `days` days, newest first (still in their areas).
pub fn recently_rejected(
    conn: &mut DbConnection,
    user: &CurrentUser,
    days: i64,
    limit: i64,
) -> QueryResult<Vec<RejectedRow>> {
    let since = now() - chrono::Duration::days(days);
    let rows: Vec<(i32, String, Option<chrono::NaiveDateTime>, Option<String>)> =
        reactivations::table
            .inner_join(members::table)
            .filter(reactivations::reported_by.eq(user.id))
            .filter(reactivations::state.eq(ClaimState::Rejected.as_str()))
            .filter(reactivations::decided_at.ge(since))
            .filter(within_areas!(reactivations::region_code, user.area_codes()))
            .order(reactivations::decided_at.desc())
            .select((
                members::id,
                members::name,
                reactivations::decided_at,
                reactivations::decision_reason,
            ))
            .limit(limit)
            .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(member_id, member_name, decided_on, reason)| RejectedRow {
            member_id,
            member_name,
            decided_on,
            reason,
        })
        .collect())
}
