//! Households (rumah tangga): where a visit happens. Each lies in one desa/kelurahan and keeps
//! counts of its members the field still has to bring in, for the worklist.

pub mod duplicates;
pub mod forms;
pub mod queries;
pub mod reach;
pub mod recount;
pub mod routes;

use chrono::NaiveDate;
use diesel::prelude::*;

/// The rank of a household with nothing left to do: it is not on any worklist.
pub const NOT_ON_WORKLIST: i32 = 900_000_000;

/// A household's place on the worklist, lowest first: households with mandiri arrears or
/// removed PBI members before the others, and among those the easiest to bring back first
/// (`reach`: [`reach::Reach::key`], worked out on the day the counts were last refreshed);
/// then never visited first, then the longest since the last visit. Kept in a column so the
/// worklist is an index range, not a sort.
pub fn worklist_rank(
    open_members: i32,
    priority_members: i32,
    reach: i32,
    last_visited_on: Option<NaiveDate>,
) -> i32 {
    if open_members == 0 {
        return NOT_ON_WORKLIST;
    }
    let bucket = if priority_members > 0 {
        reach.clamp(0, 7_999) * 100_000
    } else {
        800_000_000
    };
    let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
    let visited = last_visited_on.map_or(0, |d| (d - epoch).num_days().clamp(0, 99_998) as i32 + 1);
    bucket + visited
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = crate::db::schema::households)]
pub struct Household {
    pub id: i32,
    pub region_code: crate::regions::RegionCode,
    pub rt: String,
    pub rw: String,
    pub address: String,
    pub nomor_kk: Option<String>,
    pub landmark: String,
    pub open_members: i32,
    pub priority_members: i32,
    pub last_visited_on: Option<NaiveDate>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

impl Household {
    pub fn rt_rw(&self) -> String {
        format!("RT {}/RW {}", self.rt, self.rw)
    }

    pub fn last_visit_label(&self) -> String {
        match self.last_visited_on {
            Some(date) => date.format(crate::web::DAY).to_string(),
            None => "belum pernah".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn worklist_order_is_priority_then_never_then_oldest_visit() {
        let priority_never = worklist_rank(2, 1, 5, None);
        let priority_old = worklist_rank(2, 1, 5, day(2025, 1, 1));
        let priority_recent = worklist_rank(2, 1, 5, day(2026, 11, 1));
        let plain_never = worklist_rank(1, 0, 0, None);
        let plain_old = worklist_rank(1, 0, 0, day(2024, 1, 1));
        let done = worklist_rank(0, 0, 0, day(2026, 1, 1));
        let mut ranks = [
            done,
            plain_old,
            priority_recent,
            plain_never,
            priority_old,
            priority_never,
        ];
        ranks.sort();
        assert_eq!(
            ranks,
            [
                priority_never,
                priority_old,
                priority_recent,
                plain_never,
                plain_old,
                done
            ]
        );
        assert_eq!(done, NOT_ON_WORKLIST);
    }

    #[test]
    fn among_priority_households_the_easier_reach_comes_first_whatever_the_visits() {
        let cheap_recent = worklist_rank(1, 1, 12, day(2026, 12, 1));
        let dear_never = worklist_rank(1, 1, 300, None);
        let beyond_rehab = worklist_rank(1, 1, 6_001, day(2020, 1, 1));
        let plain_never = worklist_rank(1, 0, 0, None);
        assert!(cheap_recent < dear_never);
        assert!(dear_never < beyond_rehab);
        assert!(beyond_rehab < plain_never);
        assert!(worklist_rank(1, 0, 0, day(2300, 1, 1)) < NOT_ON_WORKLIST);
    }
}
