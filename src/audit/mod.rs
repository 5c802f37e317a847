//! The audit trail: who changed what, when, old → new. Written in the same transaction as the
//! change it describes. Never holds passwords; personal data only as far as the change needs.

pub mod views;

use diesel::prelude::*;

use crate::db::schema::audit_log;
use crate::db::{DbConnection, now};

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewEntry<'a> {
    at: chrono::NaiveDateTime,
    actor_user_id: Option<i32>,
    action: &'a str,
    entity: &'a str,
    entity_id: &'a str,
    detail: &'a str,
}

/// Records one change. `actor` is `None` for the command line (the operator of the machine).
pub fn record(
    conn: &mut DbConnection,
    actor: Option<i32>,
    action: &str,
    entity: &str,
    entity_id: &str,
    detail: &str,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(NewEntry {
            at: now(),
            actor_user_id: actor,
            action,
            entity,
            entity_id,
            detail,
        })
        .execute(conn)
        .map(|_| ())
}

#[derive(Queryable, Debug)]
pub struct Entry {
    pub id: i32,
    pub at: chrono::NaiveDateTime,
    pub actor_user_id: Option<i32>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub detail: String,
}

/// How many `action` entries `actor` has had since `since`.
pub fn count_by_actor_since(
    conn: &mut DbConnection,
    actor: i32,
    action: &str,
    since: chrono::NaiveDateTime,
) -> QueryResult<i64> {
    audit_log::table
        .filter(audit_log::actor_user_id.eq(actor))
        .filter(audit_log::action.eq(action))
        .filter(audit_log::at.ge(since))
        .count()
        .get_result(conn)
}

/// The most recent entries about one entity, newest first.
pub fn for_entity(
    conn: &mut DbConnection,
    entity: &str,
    entity_id: &str,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    audit_log::table
        .filter(audit_log::entity.eq(entity))
        .filter(audit_log::entity_id.eq(entity_id))
        .order(audit_log::id.desc())
        .limit(limit)
        .load(conn)
}

/// One view of personal data: who, when, and whether the NIK was asked for in full.
#[derive(Queryable, Debug)]
pub struct Access {
    pub at: chrono::NaiveDateTime,
    pub action: String,
    pub username: Option<String>,
    pub full_name: Option<String>,
}

impl Access {
    pub fn when(&self) -> String {
        crate::web::wib(&self.at)
    }
    pub fn what(&self) -> &'static str {
        match self.action.as_str() {
            "member.nik_reveal" => "Menampilkan NIK lengkap",
            _ => "Membuka halaman",
        }
    }
}

/// The views of an entity's personal data (page views and NIK reveals), newest first.
pub fn accesses(
    conn: &mut DbConnection,
    entity: &str,
    entity_id: &str,
    limit: i64,
) -> QueryResult<Vec<Access>> {
    use crate::db::schema::users;
    audit_log::table
        .left_join(users::table.on(users::id.nullable().eq(audit_log::actor_user_id)))
        .filter(audit_log::entity.eq(entity))
        .filter(audit_log::entity_id.eq(entity_id))
        .filter(audit_log::action.eq_any(["member.view", "member.nik_reveal"]))
        .order(audit_log::id.desc())
        .limit(limit)
        .select((
            audit_log::at,
            audit_log::action,
            users::username.nullable(),
            users::full_name.nullable(),
        ))
        .load(conn)
}
