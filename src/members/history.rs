//! A member's status over time, as the roster extracts recorded it (one row per member and
//! extract date, written by the roster import).

use chrono::NaiveDate;
use diesel::prelude::*;

use super::{InactiveReason, MemberStatus, Segment};
use crate::db::DbConnection;
use crate::db::schema::member_history;

/// A member's status and segment on a date, from the roster history (`None` before the first
/// extract that listed them).
pub fn status_on(
    conn: &mut DbConnection,
    member_id: i32,
    date: NaiveDate,
) -> QueryResult<Option<(MemberStatus, Segment)>> {
    member_history::table
        .filter(member_history::member_id.eq(member_id))
        .filter(member_history::valid_from.le(date))
        .order(member_history::valid_from.desc())
        .select((member_history::status, member_history::segment))
        .first(conn)
        .optional()
}

/// One period of a member's roster history.
#[derive(Queryable, Debug, Clone)]
pub struct HistoryRow {
    pub valid_from: NaiveDate,
    pub status: MemberStatus,
    pub segment: Segment,
    pub inactive_reason: Option<InactiveReason>,
}

impl HistoryRow {
    pub fn reason_label(&self) -> &'static str {
        self.inactive_reason.map_or("", InactiveReason::label)
    }
}

/// A member's roster history, latest first.
pub fn history_of(conn: &mut DbConnection, member_id: i32) -> QueryResult<Vec<HistoryRow>> {
    member_history::table
        .filter(member_history::member_id.eq(member_id))
        .order(member_history::valid_from.desc())
        .select((
            member_history::valid_from,
            member_history::status,
            member_history::segment,
            member_history::inactive_reason,
        ))
        .limit(60)
        .load(conn)
}
