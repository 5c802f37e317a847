//! The audit trail: who changed what, when, old → new. Written in the same transaction as the
//! change it describes. Never holds passwords; personal data only as far as the change needs.

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
