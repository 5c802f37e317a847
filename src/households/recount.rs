//! Worklist counts of many households recomputed at once (after a roster batch): a few
//! statements for thousands of households, writing only those whose counts changed.

use chrono::NaiveDate;
use diesel::prelude::*;
use foldhash::{HashMap, HashSet};

use super::reach::{self, Pricing, Reach};
use super::worklist_rank;
use crate::db::DbConnection;
use crate::db::schema::households;
use crate::db::sqlite_bulk::{self, Value};
use crate::members::is_priority;

/// Recomputes the worklist counts of many households in a few statements, writing only the
/// households whose counts changed.
pub fn refresh_households(conn: &mut DbConnection, ids: &HashSet<i32>) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let ids: Vec<i32> = ids.iter().copied().collect();
    let pricing = Pricing::load(conn)?;
    let mut changed: Vec<[i32; 4]> = Vec::new();
    for chunk in ids.chunks(5_000) {
        let listed = reach::members_of(conn, chunk)?;
        let mut counts: HashMap<i32, (i32, i32)> = chunk.iter().map(|id| (*id, (0, 0))).collect();
        for (_, household, segment, status, reason, _) in &listed {
            let entry = counts.entry(*household).or_default();
            if status.is_open() {
                entry.0 += 1;
            }
            if is_priority(*segment, *status, *reason) {
                entry.1 += 1;
            }
        }
        let reach = reach::of_households(conn, &listed, &pricing)?;
        for (id, open, priority, last, rank) in households::table
            .filter(households::id.eq_any(chunk))
            .select((
                households::id,
                households::open_members,
                households::priority_members,
                households::last_visited_on,
                households::worklist_rank,
            ))
            .load::<(i32, i32, i32, Option<NaiveDate>, i32)>(conn)?
        {
            let (new_open, new_priority) = counts.get(&id).copied().unwrap_or_default();
            let key = reach.get(&id).map_or(0, Reach::key);
            let new_rank = worklist_rank(new_open, new_priority, key, last);
            if (open, priority, rank) != (new_open, new_priority, new_rank) {
                changed.push([new_open, new_priority, new_rank, id]);
            }
        }
    }
    match conn {
        DbConnection::Sqlite(c) => {
            sqlite_bulk::rows(
                c,
                "UPDATE households SET open_members = ?, priority_members = ?, \
                 worklist_rank = ? WHERE id = ?",
                changed.iter().map(|values| values.map(Value::from)),
            )?;
        }
        DbConnection::Pg(c) => {
            for [open, priority, rank, id] in changed {
                diesel::update(households::table.find(id))
                    .set((
                        households::open_members.eq(open),
                        households::priority_members.eq(priority),
                        households::worklist_rank.eq(rank),
                    ))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}
