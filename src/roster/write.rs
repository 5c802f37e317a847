//! The batch's rows written in bulk: to SQLite through one prepared single-row statement each
//! (see `db::sqlite_bulk`), to PostgreSQL as multi-row INSERTs; the column lists match.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::RosterRow;
use crate::db::DbConnection;
use crate::db::bulk::{BulkDate, SharedTimestamp};
use crate::db::schema::{households, member_arrears, member_history, members};
use crate::db::sqlite_bulk::{self, Value};
use crate::households::worklist_rank;

/// Rows per INSERT statement on PostgreSQL (SQLite takes one row per statement, see
/// `db::sqlite_bulk`). A statement for a fixed number of rows is prepared once and reused
/// (diesel caches it by type); one for however many rows are left is parsed each time.
const ROWS_PER_STATEMENT: usize = 256;

/// A batch's rows split for INSERT statements: full statements of `ROWS_PER_STATEMENT` rows,
/// then the rest.
enum Rows<'a, V> {
    Full(&'a [V; ROWS_PER_STATEMENT]),
    Rest(&'a [V]),
}

fn statements<V>(values: &[V]) -> impl Iterator<Item = Rows<'_, V>> {
    let full = values.chunks_exact(ROWS_PER_STATEMENT);
    let rest = full.remainder();
    full.filter_map(|rows| rows.try_into().ok().map(Rows::Full))
        .chain((!rest.is_empty()).then_some(Rows::Rest(rest)))
}

/// Runs `$body` for each INSERT statement's rows (`$rows` is an array or a slice).
macro_rules! for_each_statement {
    ($values:expr, |$rows:ident| $body:block) => {
        for part in statements($values) {
            match part {
                Rows::Full($rows) => $body,
                Rows::Rest($rows) => $body,
            }
        }
    };
}

/// A member the batch makes, in a household found or made for it.
pub(super) struct NewMember<'r> {
    pub(super) row: &'r RosterRow,
    pub(super) name_search: &'r str,
    pub(super) household: i32,
}

/// A household the batch makes, with the worklist counts of its new members.
pub(super) struct NewHousehold<'r> {
    pub(super) id: i32,
    pub(super) row: &'r RosterRow,
    pub(super) search_text: &'r str,
    pub(super) open: i32,
    pub(super) priority: i32,
    /// Its place among priority households (`households::reach::Reach::key`).
    pub(super) reach: i32,
}

// The batch's rows go to SQLite through one prepared single-row statement each (see
// `db::sqlite_bulk`) and to PostgreSQL as multi-row INSERTs; the column lists match.
const INSERT_HOUSEHOLD: &str = "INSERT INTO households (id, region_code, rt, rw, address, \
    nomor_kk, landmark, search_text, open_members, priority_members, worklist_rank, created_by, \
    created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?)";
const INSERT_MEMBER: &str = "INSERT INTO members (id, household_id, nik, name, name_search, \
    sex, birth_date, relationship, jkn_number, segment, class, status, inactive_reason, \
    created_by, created_at, updated_at) \
    VALUES (?, ?, ?, ?, ?, ?, ?, 'lainnya', ?, ?, ?, ?, ?, ?, ?, ?)";
const UPDATE_STATUS: &str = "UPDATE members SET segment = ?, status = ?, inactive_reason = ?, \
    updated_at = ? WHERE id = ?";
const INSERT_HISTORY: &str = "INSERT INTO member_history (member_id, valid_from, segment, \
    status, inactive_reason, import_id) VALUES (?, ?, ?, ?, ?, ?)";

pub(super) fn insert_households(
    conn: &mut DbConnection,
    made: &[NewHousehold<'_>],
    created_by: Option<i32>,
    stamp: &SharedTimestamp,
) -> QueryResult<()> {
    let rank = |h: &NewHousehold<'_>| worklist_rank(h.open, h.priority, h.reach, None);
    match conn {
        DbConnection::Sqlite(c) => {
            sqlite_bulk::rows(
                c,
                INSERT_HOUSEHOLD,
                made.iter().map(|h| {
                    let r = h.row;
                    [
                        h.id.into(),
                        r.region_code.as_str().into(),
                        r.rt.as_str().into(),
                        r.rw.as_str().into(),
                        r.address.as_str().into(),
                        r.nomor_kk.as_deref().into(),
                        h.search_text.into(),
                        h.open.into(),
                        h.priority.into(),
                        rank(h).into(),
                        created_by.into(),
                        stamp.text().into(),
                        stamp.text().into(),
                    ]
                }),
            )?;
        }
        DbConnection::Pg(c) => {
            // Owned values: a prepared statement is cached by its type, which must not borrow.
            let values: Vec<_> = made
                .iter()
                .map(|h| {
                    let r = h.row;
                    (
                        households::id.eq(h.id),
                        households::region_code.eq(r.region_code.clone()),
                        households::rt.eq(r.rt.clone()),
                        households::rw.eq(r.rw.clone()),
                        households::address.eq(r.address.clone()),
                        households::nomor_kk.eq(r.nomor_kk.clone()),
                        households::landmark.eq(""),
                        households::search_text.eq(h.search_text.to_string()),
                        households::open_members.eq(h.open),
                        households::priority_members.eq(h.priority),
                        households::worklist_rank.eq(rank(h)),
                        households::created_by.eq(created_by),
                        households::created_at.eq(stamp.clone()),
                        households::updated_at.eq(stamp.clone()),
                    )
                })
                .collect();
            for_each_statement!(&values, |rows| {
                diesel::insert_into(households::table)
                    .values(rows)
                    .execute(c)?;
            });
        }
    }
    Ok(())
}

/// New members, each with its household, under the ids reserved for them.
pub(super) fn insert_members(
    conn: &mut DbConnection,
    new_rows: &[NewMember<'_>],
    ids: &[i32],
    created_by: Option<i32>,
    stamp: &SharedTimestamp,
) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            sqlite_bulk::rows(
                c,
                INSERT_MEMBER,
                new_rows.iter().zip(ids).map(|(m, id)| {
                    let r = m.row;
                    [
                        (*id).into(),
                        m.household.into(),
                        r.nik.as_deref().into(),
                        r.name.as_str().into(),
                        m.name_search.into(),
                        r.sex.as_str().into(),
                        Value::date(r.birth_date),
                        r.jkn_number.as_deref().into(),
                        r.segment.as_str().into(),
                        r.class.map(|c| c.as_str()).into(),
                        r.status.as_str().into(),
                        r.inactive_reason.map(|x| x.as_str()).into(),
                        created_by.into(),
                        stamp.text().into(),
                        stamp.text().into(),
                    ]
                }),
            )?;
        }
        DbConnection::Pg(c) => {
            let values: Vec<_> = new_rows
                .iter()
                .zip(ids)
                .map(|(m, id)| {
                    let r = m.row;
                    (
                        members::id.eq(*id),
                        members::household_id.eq(m.household),
                        members::nik.eq(r.nik.clone()),
                        members::name.eq(r.name.clone()),
                        members::name_search.eq(m.name_search.to_string()),
                        members::sex.eq(r.sex.as_str()),
                        members::birth_date.eq(BulkDate(r.birth_date)),
                        members::relationship.eq("lainnya"),
                        members::jkn_number.eq(r.jkn_number.clone()),
                        members::segment.eq(r.segment.as_str()),
                        members::class.eq(r.class.map(|c| c.as_str())),
                        members::status.eq(r.status.as_str()),
                        members::inactive_reason.eq(r.inactive_reason.map(|x| x.as_str())),
                        members::created_by.eq(created_by),
                        members::created_at.eq(stamp.clone()),
                        members::updated_at.eq(stamp.clone()),
                    )
                })
                .collect();
            for_each_statement!(&values, |rows| {
                diesel::insert_into(members::table)
                    .values(rows)
                    .execute(c)?;
            });
        }
    }
    Ok(())
}

/// Most changes are of status alone: only those columns are written, so no index entry of
/// the member is rewritten.
pub(super) fn update_statuses(
    conn: &mut DbConnection,
    changes: &[(i32, &RosterRow)],
    stamp: &SharedTimestamp,
) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            sqlite_bulk::rows(
                c,
                UPDATE_STATUS,
                changes.iter().map(|(id, r)| {
                    [
                        r.segment.as_str().into(),
                        r.status.as_str().into(),
                        r.inactive_reason.map(|x| x.as_str()).into(),
                        stamp.text().into(),
                        (*id).into(),
                    ]
                }),
            )?;
        }
        DbConnection::Pg(c) => {
            for (id, r) in changes {
                diesel::update(members::table.find(*id))
                    .set((
                        members::segment.eq(r.segment.as_str()),
                        members::status.eq(r.status.as_str()),
                        members::inactive_reason.eq(r.inactive_reason.map(|x| x.as_str())),
                        members::updated_at.eq(stamp.clone()),
                    ))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// One history row per member for the extract date.
pub(super) fn insert_history(
    conn: &mut DbConnection,
    history: &[(i32, &RosterRow)],
    date: NaiveDate,
    import_id: i32,
) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            sqlite_bulk::rows(
                c,
                INSERT_HISTORY,
                history.iter().map(|(id, r)| {
                    [
                        (*id).into(),
                        Value::date(date),
                        r.segment.as_str().into(),
                        r.status.as_str().into(),
                        r.inactive_reason.map(|x| x.as_str()).into(),
                        import_id.into(),
                    ]
                }),
            )?;
        }
        DbConnection::Pg(c) => {
            let values: Vec<_> = history
                .iter()
                .map(|(id, r)| {
                    (
                        member_history::member_id.eq(*id),
                        member_history::valid_from.eq(BulkDate(date)),
                        member_history::segment.eq(r.segment.as_str()),
                        member_history::status.eq(r.status.as_str()),
                        member_history::inactive_reason.eq(r.inactive_reason.map(|x| x.as_str())),
                        member_history::import_id.eq(import_id),
                    )
                })
                .collect();
            for_each_statement!(&values, |rows| {
                diesel::insert_into(member_history::table)
                    .values(rows)
                    .execute(c)?;
            });
        }
    }
    Ok(())
}

/// Tables whose new rows get their ids before they are inserted, so a batch knows them without
/// reading them back.
#[derive(Clone, Copy)]
pub(super) enum IdTable {
    Households,
    Members,
}

/// The arrears the batch's rows list, one row per member and extract date. Only a batch that
/// lists arrears replaces what its members had for the date (a re-run); a second file for the
/// date without the columns leaves the first one's arrears alone.
pub(super) fn write_arrears(
    conn: &mut DbConnection,
    listed: &[(i32, &RosterRow)],
    date: NaiveDate,
    import_id: i32,
) -> QueryResult<()> {
    let owed: Vec<&(i32, &RosterRow)> = listed
        .iter()
        .filter(|(_, r)| r.arrears_months.is_some() || r.arrears_amount.is_some())
        .collect();
    if owed.is_empty() {
        return Ok(());
    }
    let ids: Vec<i32> = listed.iter().map(|(id, _)| *id).collect();
    // Bound by the bind-parameter limits (SQLite 32,766).
    for chunk in ids.chunks(10_000) {
        diesel::delete(
            member_arrears::table
                .filter(member_arrears::member_id.eq_any(chunk))
                .filter(member_arrears::as_of.eq(date)),
        )
        .execute(conn)?;
    }
    match conn {
        DbConnection::Sqlite(c) => {
            sqlite_bulk::rows(
                c,
                "INSERT INTO member_arrears (member_id, as_of, months, amount, import_id) \
                 VALUES (?, ?, ?, ?, ?)",
                owed.iter().map(|(id, r)| {
                    [
                        (*id).into(),
                        Value::date(date),
                        r.arrears_months.into(),
                        r.arrears_amount.map_or(Value::Null, Value::Integer),
                        import_id.into(),
                    ]
                }),
            )?;
        }
        DbConnection::Pg(c) => {
            let values: Vec<_> = owed
                .iter()
                .map(|(id, r)| {
                    (
                        member_arrears::member_id.eq(*id),
                        member_arrears::as_of.eq(BulkDate(date)),
                        member_arrears::months.eq(r.arrears_months),
                        member_arrears::amount.eq(r.arrears_amount),
                        member_arrears::import_id.eq(import_id),
                    )
                })
                .collect();
            for_each_statement!(&values, |rows| {
                diesel::insert_into(member_arrears::table)
                    .values(rows)
                    .execute(c)?;
            });
        }
    }
    Ok(())
}

/// Reserves `n` new ids in `table`. On SQLite the batch's transaction holds the write lock, so
/// the ids after the largest one stay free until it commits; on PostgreSQL they come from the
/// table's sequence, as a plain insert's would.
pub(super) fn reserve_ids(
    conn: &mut DbConnection,
    table: IdTable,
    n: usize,
) -> QueryResult<Vec<i32>> {
    use diesel::sql_types::{BigInt, Integer};
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = Integer)]
        id: i32,
    }
    match conn {
        DbConnection::Sqlite(c) => {
            let largest: Option<i32> = match table {
                IdTable::Households => households::table
                    .select(diesel::dsl::max(households::id))
                    .first(c)?,
                IdTable::Members => members::table
                    .select(diesel::dsl::max(members::id))
                    .first(c)?,
            };
            let first = largest.unwrap_or(0) + 1;
            Ok((first..first + n as i32).collect())
        }
        DbConnection::Pg(c) => {
            let name = match table {
                IdTable::Households => "households",
                IdTable::Members => "members",
            };
            Ok(diesel::sql_query(format!(
                "SELECT nextval(pg_get_serial_sequence('{name}', 'id'))::integer AS id \
             FROM generate_series(1, $1)"
            ))
            .bind::<BigInt, _>(n as i64)
            .load::<Id>(c)?
            .into_iter()
            .map(|row| row.id)
            .collect())
        }
    }
}
