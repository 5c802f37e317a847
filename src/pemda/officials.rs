//! Village officials (kepala desa and perangkat, enrolled as PPU PN): how many each
//! desa/kelurahan has (entered by its office, or imported) and how many of them are active
//! PPU PN members on a date (members a roster row marked, or the office confirmed one by one).

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::OfficialSource;
use crate::audit;
use crate::db::schema::{
    households, member_history, members, regions, user_areas, users, village_official_members,
    village_officials,
};
use crate::db::{DbConnection, now};
use crate::members::{MemberStatus, Segment};
use crate::regions::Level;
use crate::users::Role;
use crate::within_areas;

/// Most officials accepted for one desa (a kepala desa and a few dozen perangkat).
pub const MAX_OFFICIALS: i32 = 200;

/// One desa/kelurahan on the board.
#[derive(Clone, Debug, Default)]
pub struct VillageRow {
    pub code: String,
    pub name: String,
    pub kecamatan: String,
    /// Officials the desa has, once entered.
    pub officials: Option<i32>,
    /// Officials who are active PPU PN members on the date.
    pub active: i64,
    /// The desa/kelurahan office users: (name, phone).
    pub contacts: Vec<(String, String)>,
}

impl VillageRow {
    /// Every official the desa entered is an active PPU PN member.
    pub fn complete(&self) -> bool {
        self.officials
            .is_some_and(|n| n > 0 && self.active >= i64::from(n))
    }
    pub fn officials_label(&self) -> String {
        self.officials
            .map_or_else(|| "belum diisi".into(), |n| n.to_string())
    }
    pub fn contact_line(&self) -> String {
        if self.contacts.is_empty() {
            return "belum ada akun kantor".into();
        }
        self.contacts
            .iter()
            .map(|(name, phone)| {
                if phone.is_empty() {
                    name.clone()
                } else {
                    format!("{name} ({phone})")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One kecamatan's line on the board.
#[derive(Clone, Debug, Default)]
pub struct KecamatanRow {
    pub code: String,
    pub name: String,
    pub villages: i64,
    pub complete: i64,
    pub entered: i64,
    pub officials: i64,
    pub active: i64,
}

pub struct Board {
    pub villages: Vec<VillageRow>,
    pub kecamatan: Vec<KecamatanRow>,
}

impl Board {
    pub fn complete(&self) -> usize {
        self.villages.iter().filter(|v| v.complete()).count()
    }
    pub fn incomplete(&self) -> impl Iterator<Item = &VillageRow> {
        self.villages.iter().filter(|v| !v.complete())
    }
    /// "perangkat desa terdaftar: 40 dari 430 desa lengkap".
    pub fn headline(&self) -> String {
        format!(
            "perangkat desa terdaftar: {} dari {} desa lengkap",
            crate::progress::ratios::thousands(self.complete() as i64),
            crate::progress::ratios::thousands(self.villages.len() as i64)
        )
    }
}

/// Whether a member's segment and status make them an active PPU PN member.
fn active_ppu_pn(segment: &str, status: &str) -> bool {
    segment == Segment::PpuPn.as_str() && status == MemberStatus::Active.as_str()
}

/// The marked officials of the area with whether each is active PPU PN on `day`: their latest
/// history row on or before the day, else (never in an extract on or before it) their record.
fn marked_active(
    conn: &mut DbConnection,
    area: &str,
    day: NaiveDate,
) -> QueryResult<Vec<(String, bool)>> {
    let marked: Vec<(i32, String, String, String)> = village_official_members::table
        .inner_join(members::table.inner_join(households::table))
        .filter(within_areas!(households::region_code, [area]))
        .filter(members::mistaken_at.is_null())
        .select((
            members::id,
            households::region_code,
            members::segment,
            members::status,
        ))
        .load(conn)?;
    let mut latest: HashMap<i32, (NaiveDate, String, String)> = HashMap::new();
    let ids: Vec<i32> = marked.iter().map(|m| m.0).collect();
    for chunk in ids.chunks(5_000) {
        let rows: Vec<(i32, NaiveDate, String, String)> = member_history::table
            .filter(member_history::member_id.eq_any(chunk))
            .filter(member_history::valid_from.le(day))
            .select((
                member_history::member_id,
                member_history::valid_from,
                member_history::segment,
                member_history::status,
            ))
            .load(conn)?;
        for (id, from, segment, status) in rows {
            if latest.get(&id).is_none_or(|(d, _, _)| from > *d) {
                latest.insert(id, (from, segment, status));
            }
        }
    }
    Ok(marked
        .into_iter()
        .map(|(id, region, segment, status)| {
            let active = match latest.get(&id) {
                Some((_, s, st)) => active_ppu_pn(s, st),
                None => active_ppu_pn(&segment, &status),
            };
            (region, active)
        })
        .collect())
}

/// The board of an area (a kab/kota or kecamatan) on `day`: every desa/kelurahan with its
/// officials, the active PPU PN ones and its office contacts, and the sums per kecamatan.
pub fn board(conn: &mut DbConnection, area: &str, day: NaiveDate) -> QueryResult<Board> {
    let places: Vec<(String, String, String, Option<String>)> = regions::table
        .filter(within_areas!(regions::code, [area]))
        .filter(regions::level.eq_any([Level::Kecamatan.as_str(), Level::DesaKelurahan.as_str()]))
        .order(regions::code)
        .select((
            regions::code,
            regions::name,
            regions::level,
            regions::parent_code,
        ))
        .load(conn)?;
    let counts: HashMap<String, i32> = village_officials::table
        .filter(within_areas!(village_officials::region_code, [area]))
        .select((village_officials::region_code, village_officials::officials))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .collect();
    let mut active: HashMap<String, i64> = HashMap::new();
    for (region, is_active) in marked_active(conn, area, day)? {
        if is_active {
            *active.entry(region).or_default() += 1;
        }
    }
    let mut contacts: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let offices: Vec<(String, String, String)> = users::table
        .inner_join(user_areas::table)
        .filter(users::role.eq(Role::Office.as_str()))
        .filter(users::disabled.eq(false))
        .filter(within_areas!(user_areas::region_code, [area]))
        .order(users::full_name)
        .select((user_areas::region_code, users::full_name, users::phone))
        .load(conn)?;
    for (region, name, phone) in offices {
        contacts.entry(region).or_default().push((name, phone));
    }
    let mut kecamatan: Vec<KecamatanRow> = Vec::new();
    let mut villages: Vec<VillageRow> = Vec::new();
    for (code, name, level, parent) in places {
        if level == Level::Kecamatan.as_str() {
            kecamatan.push(KecamatanRow {
                code,
                name,
                ..Default::default()
            });
            continue;
        }
        let row = VillageRow {
            officials: counts.get(&code).copied(),
            active: active.get(&code).copied().unwrap_or(0),
            contacts: contacts.remove(&code).unwrap_or_default(),
            kecamatan: parent.unwrap_or_default(),
            code,
            name,
        };
        if let Some(k) = kecamatan.iter_mut().find(|k| k.code == row.kecamatan) {
            k.villages += 1;
            k.complete += i64::from(row.complete());
            k.entered += i64::from(row.officials.is_some());
            k.officials += i64::from(row.officials.unwrap_or(0));
            k.active += row.active;
        }
        villages.push(row);
    }
    Ok(Board {
        villages,
        kecamatan,
    })
}

/// A member of the desa as its page lists them.
#[derive(Clone, Debug)]
pub struct OfficialMember {
    pub member_id: i32,
    pub name: String,
    nik: Option<String>,
    pub segment: Segment,
    pub status: MemberStatus,
    /// Marked an official, and by what.
    pub source: Option<OfficialSource>,
}

impl OfficialMember {
    pub fn masked_nik(&self) -> String {
        self.nik
            .as_deref()
            .map_or_else(|| "belum ada".into(), crate::members::identity::mask)
    }
    pub fn is_active_ppu_pn(&self) -> bool {
        self.segment == Segment::PpuPn && self.status == MemberStatus::Active
    }
}

/// A member row of a desa's page: id, name, NIK, segment, status, official mark.
type VillageMemberRow = (
    i32,
    String,
    Option<String>,
    Segment,
    MemberStatus,
    Option<String>,
);

/// The members of one desa that are marked officials or PPU PN members (candidates the
/// office can confirm), marked first; at most `limit`.
pub fn village_members(
    conn: &mut DbConnection,
    code: &str,
    limit: i64,
) -> QueryResult<Vec<OfficialMember>> {
    let rows: Vec<VillageMemberRow> = members::table
        .inner_join(households::table)
        .left_join(village_official_members::table)
        .filter(households::region_code.eq(code))
        .filter(members::mistaken_at.is_null())
        .filter(
            members::segment
                .eq(Segment::PpuPn.as_str())
                .or(village_official_members::member_id.is_not_null()),
        )
        .order((village_official_members::member_id.is_null(), members::name))
        .limit(limit)
        .select((
            members::id,
            members::name,
            members::nik,
            members::segment,
            members::status,
            village_official_members::source.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(member_id, name, nik, segment, status, source)| OfficialMember {
                member_id,
                name,
                nik,
                segment,
                status,
                source: source.as_deref().and_then(OfficialSource::parse),
            },
        )
        .collect())
}

/// The desa's entered count and its source.
pub fn count_of(conn: &mut DbConnection, code: &str) -> QueryResult<Option<(i32, OfficialSource)>> {
    let row: Option<(i32, String)> = village_officials::table
        .find(code)
        .select((village_officials::officials, village_officials::source))
        .first(conn)
        .optional()?;
    Ok(row.map(|(n, s)| {
        (
            n,
            OfficialSource::parse(&s).unwrap_or(OfficialSource::Office),
        )
    }))
}

/// Sets a desa's number of officials, audited.
pub fn set_count(
    conn: &mut DbConnection,
    actor: Option<i32>,
    code: &str,
    officials: i32,
    source: OfficialSource,
) -> QueryResult<()> {
    diesel::delete(village_officials::table.find(code)).execute(conn)?;
    diesel::insert_into(village_officials::table)
        .values((
            village_officials::region_code.eq(code),
            village_officials::officials.eq(officials),
            village_officials::source.eq(source.as_str()),
            village_officials::updated_by.eq(actor),
            village_officials::updated_at.eq(now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "village_officials.set",
        "region",
        code,
        &format!("{officials} officials ({})", source.as_str()),
    )
}

/// Marks (or unmarks) a member of desa `code` as a village official, as its office confirms;
/// false when the member does not live there.
pub fn confirm_member(
    conn: &mut DbConnection,
    actor: i32,
    code: &str,
    member_id: i32,
    official: bool,
) -> QueryResult<bool> {
    let lives_here = members::table
        .inner_join(households::table)
        .filter(members::id.eq(member_id))
        .filter(households::region_code.eq(code))
        .filter(members::mistaken_at.is_null())
        .select(members::id)
        .first::<i32>(conn)
        .optional()?
        .is_some();
    if !lives_here {
        return Ok(false);
    }
    diesel::delete(village_official_members::table.find(member_id)).execute(conn)?;
    if official {
        diesel::insert_into(village_official_members::table)
            .values((
                village_official_members::member_id.eq(member_id),
                village_official_members::source.eq(OfficialSource::Office.as_str()),
                village_official_members::marked_by.eq(Some(actor)),
                village_official_members::marked_on.eq(crate::web::today()),
            ))
            .execute(conn)?;
    }
    audit::record(
        conn,
        Some(actor),
        if official {
            "village_official.confirm"
        } else {
            "village_official.remove"
        },
        "member",
        &member_id.to_string(),
        code,
    )?;
    Ok(true)
}

/// Marks the members a roster batch lists as village officials (its rows say so), in bulk.
pub fn mark_from_roster(
    conn: &mut DbConnection,
    member_ids: &[i32],
    extract: NaiveDate,
) -> QueryResult<()> {
    for chunk in member_ids.chunks(2_000) {
        diesel::delete(
            village_official_members::table
                .filter(village_official_members::member_id.eq_any(chunk)),
        )
        .execute(conn)?;
        let rows: Vec<_> = chunk
            .iter()
            .map(|id| {
                (
                    village_official_members::member_id.eq(*id),
                    village_official_members::source.eq(OfficialSource::Roster.as_str()),
                    village_official_members::marked_by.eq(None::<i32>),
                    village_official_members::marked_on.eq(extract),
                )
            })
            .collect();
        crate::with_backend!(conn, c => diesel::insert_into(village_official_members::table).values(&rows).execute(c))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_desa_is_complete_when_every_official_entered_is_active() {
        let row = |officials, active| VillageRow {
            officials,
            active,
            ..Default::default()
        };
        assert!(!row(None, 3).complete());
        assert!(!row(Some(0), 0).complete());
        assert!(!row(Some(12), 11).complete());
        assert!(row(Some(12), 12).complete());
        assert!(row(Some(12), 13).complete());
    }
}
