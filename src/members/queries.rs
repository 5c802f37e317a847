//! Member storage. Scope comes from the member's household; NIKs are unique.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::forms::{MemberInput, name_key};
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
    pub sex: String,
    pub birth_date: NaiveDate,
    pub relationship: String,
    pub jkn_number: Option<String>,
    pub segment: String,
    pub class: Option<String>,
    pub status: String,
    pub inactive_reason: Option<String>,
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

    fn label<T: Copy>(
        value: &str,
        parse: fn(&str) -> Option<T>,
        label: fn(T) -> &'static str,
    ) -> &'static str {
        parse(value).map(label).unwrap_or("?")
    }

    pub fn status_label(&self) -> &'static str {
        Self::label(
            &self.status,
            super::MemberStatus::parse,
            super::MemberStatus::label,
        )
    }

    pub fn segment_label(&self) -> &'static str {
        Self::label(&self.segment, super::Segment::parse, super::Segment::label)
    }

    pub fn relationship_label(&self) -> &'static str {
        Self::label(
            &self.relationship,
            super::Relationship::parse,
            super::Relationship::label,
        )
    }

    pub fn class_label(&self) -> &'static str {
        self.class
            .as_deref()
            .map(|c| Self::label(c, super::Class::parse, super::Class::label))
            .unwrap_or("")
    }

    pub fn reason_label(&self) -> &'static str {
        self.inactive_reason
            .as_deref()
            .map(|r| {
                Self::label(
                    r,
                    super::InactiveReason::parse,
                    super::InactiveReason::label,
                )
            })
            .unwrap_or("")
    }

    pub fn sex_label(&self) -> &'static str {
        super::identity::Sex::parse(&self.sex).map_or("?", |s| s.label())
    }

    pub fn is_open(&self) -> bool {
        super::MemberStatus::parse(&self.status).is_some_and(super::MemberStatus::is_open)
    }
}

pub fn for_household(conn: &mut DbConnection, household_id: i32) -> QueryResult<Vec<Member>> {
    members::table
        .filter(members::household_id.eq(household_id))
        .select(Member::as_select())
        .order(members::id)
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

pub fn create(
    conn: &mut DbConnection,
    household_id: i32,
    input: &MemberInput,
    user: &CurrentUser,
) -> QueryResult<i32> {
    let at = now();
    let id: i32 = crate::with_backend!(conn, c => diesel::insert_into(members::table)
        .values((
            members::household_id.eq(household_id),
            members::nik.eq(input.nik.as_ref().map(|n| n.as_str().to_string())),
            members::name.eq(&input.name),
            members::name_search.eq(input.name.to_lowercase()),
            members::sex.eq(input.sex.as_str()),
            members::birth_date.eq(input.birth_date),
            members::relationship.eq(input.relationship.as_str()),
            members::jkn_number.eq(&input.jkn_number),
            members::segment.eq(input.segment.as_str()),
            members::class.eq(input.class.map(|c| c.as_str())),
            members::status.eq(input.status.as_str()),
            members::inactive_reason.eq(input.inactive_reason.map(|r| r.as_str())),
            members::created_by.eq(user.id),
            members::created_at.eq(at),
            members::updated_at.eq(at),
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
    let nik = input.nik.as_ref().map(|n| n.as_str().to_string());
    diesel::update(members::table.find(before.id))
        .set((
            members::nik.eq(&nik),
            members::name.eq(&input.name),
            members::name_search.eq(input.name.to_lowercase()),
            members::sex.eq(input.sex.as_str()),
            members::birth_date.eq(input.birth_date),
            members::relationship.eq(input.relationship.as_str()),
            members::jkn_number.eq(&input.jkn_number),
            members::segment.eq(input.segment.as_str()),
            members::class.eq(input.class.map(|c| c.as_str())),
            members::status.eq(input.status.as_str()),
            members::inactive_reason.eq(input.inactive_reason.map(|r| r.as_str())),
            members::updated_at.eq(now()),
        ))
        .execute(conn)?;
    refresh_counts(conn, before.household_id)?;
    // Personal data stays out of the trail: it says which fields changed, and the old → new
    // values only for the membership fields.
    let mut changes = Vec::new();
    for (field, old, new) in [
        ("nik", before.nik.as_deref(), nik.as_deref()),
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
    if before.sex != input.sex.as_str() || before.birth_date != input.birth_date {
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
            before.class.as_deref(),
            input.class.map(|c| c.as_str()),
        ),
        (
            "status",
            Some(before.status.as_str()),
            Some(input.status.as_str()),
        ),
        (
            "inactive_reason",
            before.inactive_reason.as_deref(),
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
