//! Member storage. Scope comes from the member's household; NIKs are unique.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::forms::{MemberInput, name_key};
use super::identity::Sex;
use super::{Class, InactiveReason, MemberStatus, Relationship, Segment};
use crate::audit;
use crate::auth::CurrentUser;
use crate::db::schema::{households, members};
use crate::db::{DbConnection, now};
use crate::households::queries::{refresh_counts, visible};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = members)]
pub struct Member {
    pub id: i32,
    pub household_id: i32,
    pub nik: Option<String>,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub relationship: Relationship,
    pub jkn_number: Option<String>,
    pub segment: Segment,
    pub class: Option<Class>,
    pub status: MemberStatus,
    pub inactive_reason: Option<InactiveReason>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

impl Member {
    pub fn masked_nik(&self) -> String {
        match &self.nik {
            Some(nik) => super::identity::mask(nik),
            None => "belum diketahui".into(),
        }
    }

    pub fn class_label(&self) -> &'static str {
        self.class.map_or("", Class::label)
    }

    pub fn reason_label(&self) -> &'static str {
        self.inactive_reason.map_or("", InactiveReason::label)
    }

    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }
}

pub fn for_household(conn: &mut DbConnection, household_id: i32) -> QueryResult<Vec<Member>> {
    // Head of household first, then in the order entered; members marked as entered by mistake
    // are left out.
    members::table
        .filter(members::household_id.eq(household_id))
        .filter(members::mistaken_at.is_null())
        .select(Member::as_select())
        .order((
            members::relationship.ne(super::Relationship::Head.as_str()),
            members::id,
        ))
        .load(conn)
}

/// A member the user may see, with the region of their household.
pub fn find_visible(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i32,
) -> QueryResult<Option<(Member, String)>> {
    let member: Option<Member> = members::table
        .find(id)
        .select(Member::as_select())
        .first(conn)
        .optional()?;
    let Some(member) = member else {
        return Ok(None);
    };
    let region: Option<String> = visible(user)
        .filter(households::id.eq(member.household_id))
        .select(households::region_code)
        .first(conn)
        .optional()?;
    Ok(region.map(|region| (member, region)))
}

/// Where a NIK is already recorded: the member and their household's region.
pub fn find_nik(conn: &mut DbConnection, nik: &str) -> QueryResult<Option<(i32, String)>> {
    members::table
        .inner_join(households::table)
        .filter(members::nik.eq(nik))
        .select((members::id, households::region_code))
        .first(conn)
        .optional()
}

pub fn name_of(conn: &mut DbConnection, id: i32) -> QueryResult<String> {
    members::table.find(id).select(members::name).first(conn)
}

/// Members in the same kelurahan with the same birth date and a similar name.
pub fn similar_in_kelurahan(
    conn: &mut DbConnection,
    region_code: &str,
    birth_date: NaiveDate,
    name: &str,
    except: Option<i32>,
) -> QueryResult<Vec<Member>> {
    let candidates: Vec<Member> = members::table
        .inner_join(households::table)
        .filter(households::region_code.eq(region_code))
        .filter(members::birth_date.eq(birth_date))
        .select(Member::as_select())
        .load(conn)?;
    let key = name_key(name);
    Ok(candidates
        .into_iter()
        .filter(|m| Some(m.id) != except)
        .filter(|m| strsim::normalized_levenshtein(&name_key(&m.name), &key) >= 0.75)
        .collect())
}

/// What a member form writes, the same columns for the insert and the update (a `None` clears
/// the column).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = members, treat_none_as_null = true)]
struct MemberForm<'a> {
    nik: Option<&'a str>,
    name: &'a str,
    name_search: String,
    sex: Sex,
    birth_date: NaiveDate,
    relationship: Relationship,
    jkn_number: Option<&'a str>,
    segment: Segment,
    class: Option<Class>,
    status: MemberStatus,
    inactive_reason: Option<InactiveReason>,
    updated_at: chrono::NaiveDateTime,
}

impl<'a> MemberForm<'a> {
    fn of(input: &'a MemberInput, at: chrono::NaiveDateTime) -> Self {
        Self {
            nik: input.nik.as_ref().map(|n| n.as_str()),
            name: &input.name,
            name_search: input.name.to_lowercase(),
            sex: input.sex,
            birth_date: input.birth_date,
            relationship: input.relationship,
            jkn_number: input.jkn_number.as_deref(),
            segment: input.segment,
            class: input.class,
            status: input.status,
            inactive_reason: input.inactive_reason,
            updated_at: at,
        }
    }
}

pub fn create(
    conn: &mut DbConnection,
    household_id: i32,
    input: &MemberInput,
    user: &CurrentUser,
) -> QueryResult<i32> {
    let at = now();
    let id: i32 = crate::with_backend!(conn, c => diesel::insert_into(members::table)
        .values((
            MemberForm::of(input, at),
            members::household_id.eq(household_id),
            members::created_by.eq(user.id),
            members::created_at.eq(at),
        ))
        .returning(members::id)
        .get_result(c))?;
    refresh_counts(conn, household_id)?;
    audit::record(
        conn,
        Some(user.id),
        "member.create",
        "member",
        &id.to_string(),
        &format!(
            "household={household_id} segment={} status={}",
            input.segment.as_str(),
            input.status.as_str()
        ),
    )?;
    Ok(id)
}

pub fn update(
    conn: &mut DbConnection,
    before: &Member,
    input: &MemberInput,
    user: &CurrentUser,
) -> QueryResult<()> {
    let nik = input.nik.as_ref().map(|n| n.as_str());
    diesel::update(members::table.find(before.id))
        .set(MemberForm::of(input, now()))
        .execute(conn)?;
    refresh_counts(conn, before.household_id)?;
    // Personal data stays out of the trail: it says which fields changed, and the old → new
    // values only for the membership fields.
    let mut changes = Vec::new();
    for (field, old, new) in [
        ("nik", before.nik.as_deref(), nik),
        (
            "name",
            Some(before.name.as_str()),
            Some(input.name.as_str()),
        ),
        (
            "jkn_number",
            before.jkn_number.as_deref(),
            input.jkn_number.as_deref(),
        ),
    ] {
        if old != new {
            changes.push(format!("{field} changed"));
        }
    }
    if before.sex != input.sex || before.birth_date != input.birth_date {
        changes.push("sex/birth_date changed".into());
    }
    for (field, old, new) in [
        (
            "relationship",
            Some(before.relationship.as_str()),
            Some(input.relationship.as_str()),
        ),
        (
            "segment",
            Some(before.segment.as_str()),
            Some(input.segment.as_str()),
        ),
        (
            "class",
            before.class.map(|c| c.as_str()),
            input.class.map(|c| c.as_str()),
        ),
        (
            "status",
            Some(before.status.as_str()),
            Some(input.status.as_str()),
        ),
        (
            "inactive_reason",
            before.inactive_reason.map(|r| r.as_str()),
            input.inactive_reason.map(|r| r.as_str()),
        ),
    ] {
        if old != new {
            changes.push(format!(
                "{field} {} → {}",
                old.unwrap_or("-"),
                new.unwrap_or("-")
            ));
        }
    }
    if !changes.is_empty() {
        audit::record(
            conn,
            Some(user.id),
            "member.update",
            "member",
            &before.id.to_string(),
            &changes.join("; "),
        )?;
    }
    Ok(())
}
