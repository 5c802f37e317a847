//! The Dinsos list: members the field proposed for PBI / Pemda-paid membership and still
//! waiting, with what Dinsos needs to decide, scoped in the query; and Dinsos's answer per
//! member, which settles the claim the usual way (`reactivations::queries::decide`).

use chrono::NaiveDate;
use diesel::prelude::*;

use super::DinsosAnswer;
use crate::audit;
use crate::auth::CurrentUser;
use crate::db::schema::{dinsos_answers, households, members, reactivations, regions};
use crate::db::{DbConnection, now};
use crate::members::{InactiveReason, Segment};
use crate::reactivations::ClaimState;
use crate::reactivations::queries::{Decision, decide};
use crate::visits::Action;
use crate::within_areas;

/// One proposed member, as the list and its download show them.
#[derive(Queryable, Debug, Clone)]
pub struct Proposal {
    pub claim_id: i32,
    pub region_code: String,
    pub region_name: Option<String>,
    pub member_id: i32,
    pub name: String,
    /// The full NIK: shown masked (`masked_nik`), in full only in the allowed download.
    nik: Option<String>,
    pub nomor_kk: Option<String>,
    pub address: String,
    pub rt: String,
    pub rw: String,
    pub inactive_reason: Option<InactiveReason>,
    /// The segment proposed: PBI JK (APBN) or PBI APBD / Pemda.
    pub segment: Option<Segment>,
    pub reported_on: NaiveDate,
}

impl Proposal {
    pub fn masked_nik(&self) -> String {
        self.nik
            .as_deref()
            .map_or_else(|| "belum ada".into(), crate::members::identity::mask)
    }
    pub fn full_nik(&self) -> String {
        self.nik.clone().unwrap_or_default()
    }
    /// Why the member is proposed: why they are inactive, and the segment asked for.
    pub fn reason(&self) -> String {
        let why = self
            .inactive_reason
            .map_or("alasan nonaktif tidak dicatat", InactiveReason::label);
        format!("{why}; usul {}", self.segment.map_or("PBI", Segment::label))
    }
    pub fn region_label(&self) -> &str {
        self.region_name.as_deref().unwrap_or(&self.region_code)
    }
    pub fn rt_rw(&self) -> String {
        format!("RT {} / RW {}", self.rt, self.rw)
    }
}

/// The waiting proposals in kab/kota `code` that lie in the user's areas, by kelurahan and
/// date proposed.
pub fn waiting(
    conn: &mut DbConnection,
    user: &CurrentUser,
    code: &str,
) -> QueryResult<Vec<Proposal>> {
    let q = reactivations::table
        .inner_join(members::table.inner_join(households::table.left_join(regions::table)))
        .filter(reactivations::method.eq(Action::ProposedPbi.as_str()))
        .filter(reactivations::state.eq(ClaimState::Reported.as_str()))
        .filter(within_areas!(reactivations::region_code, [code]))
        .order((
            reactivations::region_code,
            reactivations::reported_on,
            reactivations::id,
        ))
        .select((
            reactivations::id,
            reactivations::region_code,
            regions::name.nullable(),
            members::id,
            members::name,
            members::nik,
            households::nomor_kk,
            households::address,
            households::rt,
            households::rw,
            members::inactive_reason,
            reactivations::segment,
            reactivations::reported_on,
        ))
        .into_boxed();
    if user.sees_everything() {
        q.load(conn)
    } else {
        q.filter(within_areas!(reactivations::region_code, user.area_codes()))
            .load(conn)
    }
}

/// Records Dinsos's answer for a waiting proposal in kab/kota `code` and the user's areas,
/// and settles its claim: accepted into the quota confirms it (the member becomes active in
/// PBI APBD / Pemda), refused or referred elsewhere rejects it with the answer as the reason.
/// Returns false when no such proposal is waiting (settled meanwhile, or out of scope).
pub fn answer(
    conn: &mut DbConnection,
    user: &CurrentUser,
    code: &str,
    claim_id: i32,
    answer: DinsosAnswer,
    note: &str,
) -> QueryResult<bool> {
    let open: Option<i32> = {
        let q = reactivations::table
            .filter(reactivations::id.eq(claim_id))
            .filter(reactivations::method.eq(Action::ProposedPbi.as_str()))
            .filter(reactivations::state.eq(ClaimState::Reported.as_str()))
            .filter(within_areas!(reactivations::region_code, [code]))
            .select(reactivations::id)
            .into_boxed();
        if user.sees_everything() {
            q.first(conn).optional()?
        } else {
            q.filter(within_areas!(reactivations::region_code, user.area_codes()))
                .first(conn)
                .optional()?
        }
    };
    let Some(id) = open else {
        return Ok(false);
    };
    let (decision, reason) = match answer {
        DinsosAnswer::Accepted => {
            // Accepted into the quota: Pemda-paid, whichever PBI the field proposed.
            diesel::update(reactivations::table.find(id))
                .set(reactivations::segment.eq(Some(Segment::PbiApbd.as_str())))
                .execute(conn)?;
            (
                Decision::Confirm,
                "Diterima Dinsos ke kuota Pemda".to_string(),
            )
        }
        DinsosAnswer::Refused => (Decision::Reject, "Ditolak Dinsos".to_string()),
        DinsosAnswer::Referred => (Decision::Reject, "Dirujuk Dinsos ke jalur lain".to_string()),
    };
    let reason = if note.is_empty() {
        reason
    } else {
        format!("{reason}: {note}")
    };
    diesel::delete(dinsos_answers::table.find(id)).execute(conn)?;
    diesel::insert_into(dinsos_answers::table)
        .values((
            dinsos_answers::claim_id.eq(id),
            dinsos_answers::answer.eq(answer.as_str()),
            dinsos_answers::note.eq(note),
            dinsos_answers::decided_by.eq(user.id),
            dinsos_answers::decided_at.eq(now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        Some(user.id),
        "dinsos.answer",
        "claim",
        &id.to_string(),
        answer.as_str(),
    )?;
    Ok(decide(conn, user, &[id], decision, Some(&reason))? == 1)
}

/// Counts of waiting proposals per kelurahan (code, name), in list order.
pub fn per_village(list: &[Proposal]) -> Vec<(String, String, usize)> {
    let mut out: Vec<(String, String, usize)> = Vec::new();
    for p in list {
        match out.last_mut() {
            Some((code, _, n)) if *code == p.region_code => *n += 1,
            _ => out.push((p.region_code.clone(), p.region_label().to_string(), 1)),
        }
    }
    out
}
