//! Reading the rows a recap is computed from, each figure set in one query over the whole area
//! and range of months (never one per agent), scoped in the query: a supervisor's recap to the
//! area they chose within their own areas, an agent's to their own work.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::Month;
use super::figures::{self, ClaimRow, Figures, Key, PlannedRevisit, VisitRow};
use crate::auth::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::{reactivations, users, visit_members, visits};
use crate::reactivations::{ClaimKind, ClaimState};

/// Whose work a recap covers.
#[derive(Clone, Debug)]
pub struct Scope {
    /// The user's own areas (`None`: the whole country).
    pub user_areas: Option<Vec<String>>,
    /// The area the recap is for (within the user's areas).
    pub area: Option<String>,
    /// Only this field worker's own work.
    pub worker: Option<i32>,
}

impl Scope {
    /// A field worker's own recap; anyone else's recap of `area`.
    pub fn for_user(user: &CurrentUser, area: Option<&str>) -> Scope {
        let user_areas = (!user.sees_everything()).then(|| user.area_codes());
        if user.records_fieldwork() {
            Scope {
                user_areas,
                area: None,
                worker: Some(user.id),
            }
        } else {
            Scope {
                user_areas,
                area: area.map(str::to_string),
                worker: None,
            }
        }
    }
}

macro_rules! scoped {
    ($query:expr, $scope:expr, $region:expr, $worker:expr) => {{
        let mut q = $query;
        if let Some(areas) = &$scope.user_areas {
            q = q.filter(crate::within_areas!($region, areas));
        }
        if let Some(area) = &$scope.area {
            q = q.filter(crate::within_areas!($region, [area]));
        }
        if let Some(worker) = $scope.worker {
            q = q.filter($worker.eq(worker));
        }
        q
    }};
}

/// Visits (not voided) on days in `[from, to)`, by anyone in the scope's area: counted ones are
/// the worker's own, the others may still keep a worker's revisit.
fn visit_rows(
    conn: &mut DbConnection,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<VisitRow>> {
    let area_only = Scope {
        worker: None,
        ..scope.clone()
    };
    let q = visits::table
        .filter(visits::voided_at.is_null())
        .filter(visits::visited_on.ge(from))
        .filter(visits::visited_on.lt(to))
        .select((visits::visitor_id, visits::household_id, visits::visited_on))
        .into_boxed();
    let rows: Vec<(i32, i32, NaiveDate)> =
        scoped!(q, area_only, visits::region_code, visits::visitor_id).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(visitor_id, household_id, visited_on)| VisitRow {
            visitor_id,
            household_id,
            visited_on,
        })
        .collect())
}

/// Revisits planned (by visits not voided) for days in `[from, to)`, one per household and day.
fn revisit_rows(
    conn: &mut DbConnection,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<PlannedRevisit>> {
    let q = visit_members::table
        .inner_join(visits::table)
        .filter(visits::voided_at.is_null())
        .filter(visit_members::revisit_on.ge(from))
        .filter(visit_members::revisit_on.lt(to))
        .select((
            visits::visitor_id,
            visits::household_id,
            visits::visited_on,
            visit_members::revisit_on.assume_not_null(),
        ))
        .distinct()
        .into_boxed();
    let rows: Vec<(i32, i32, NaiveDate, NaiveDate)> =
        scoped!(q, scope, visits::region_code, visits::visitor_id).load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(visitor_id, household_id, visited_on, revisit_on)| PlannedRevisit {
                visitor_id,
                household_id,
                visited_on,
                revisit_on,
            },
        )
        .collect())
}

/// Claims reported on days in `[from, to)`, in their state now.
fn claim_rows(
    conn: &mut DbConnection,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<ClaimRow>> {
    let q = reactivations::table
        .filter(reactivations::reported_on.ge(from))
        .filter(reactivations::reported_on.lt(to))
        .select((
            reactivations::reported_by,
            reactivations::kind,
            reactivations::state,
            reactivations::region_code,
            reactivations::reported_on,
            reactivations::decided_at,
        ))
        .into_boxed();
    let rows: Vec<(
        i32,
        String,
        String,
        String,
        NaiveDate,
        Option<NaiveDateTime>,
    )> = scoped!(
        q,
        scope,
        reactivations::region_code,
        reactivations::reported_by
    )
    .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(reported_by, kind, state, region_code, reported_on, decided_at)| {
                Some(ClaimRow {
                    reported_by,
                    kind: ClaimKind::parse(&kind)?,
                    state: ClaimState::parse(&state)?,
                    region_code,
                    reported_on,
                    decided_on: decided_at.map(|at| (at + Duration::hours(7)).date()),
                })
            },
        )
        .collect())
}

/// Every worker's figures per month for the months `[from, to)`, as the data stands now.
pub fn live(
    conn: &mut DbConnection,
    scope: &Scope,
    from: Month,
    to: Month,
    today: NaiveDate,
) -> QueryResult<HashMap<Key, Figures>> {
    let (start, end) = (from.first(), to.first());
    let grace = Duration::days(figures::REVISIT_GRACE_DAYS);
    let visits = visit_rows(conn, scope, start - grace, end + grace)?;
    let revisits = revisit_rows(conn, scope, start, end)?;
    let claims = claim_rows(conn, scope, start, end)?;
    let rates = super::rates::all(conn)?;
    let worker = scope.worker;
    Ok(figures::compute(
        &visits,
        |v| v.visited_on >= start && v.visited_on < end && worker.is_none_or(|w| w == v.visitor_id),
        &revisits,
        &claims,
        &rates,
        today,
    ))
}

/// Full names of these users, in one query.
pub fn names(conn: &mut DbConnection, ids: &[i32]) -> QueryResult<HashMap<i32, String>> {
    let rows: Vec<(i32, String, String)> = users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::full_name, users::username))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, username)| (id, if name.is_empty() { username } else { name }))
        .collect())
}
