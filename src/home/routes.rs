//! Home after login, by role: agents and kader see their kelurahan ("Hari ini"), supervisors
//! and offices their areas, admins the state of the installation.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::auth::CurrentUser;
use crate::db::Db;
use crate::error::AppError;
use crate::households::queries::{self as household_queries, HouseholdRow};
use crate::reactivations::ClaimCounts;
use crate::reactivations::queries as claim_queries;
use crate::regions::queries::{RegionRow, with_counts_and_context};
use crate::users::{Role, queries as user_queries};
use crate::visits::queries::{self as visit_queries, FollowUp};
use crate::web::page::Page;
use crate::web::render;
use crate::web::routes::{Access, Routes};

pub fn register(routes: &mut Routes) {
    routes.get("/", Access::SignedIn, home);
}

pub struct RoleCount {
    pub label: &'static str,
    pub count: i64,
}

/// What an agent or kader sees first: today's and this week's work, their claims, the
/// revisits that are due, and the households to visit next.
pub struct Today {
    pub today: VisitRowList,
    pub week_count: usize,
    pub claims: ClaimCounts,
    pub follow_ups: Vec<FollowUp>,
    pub next: Vec<NextRow>,
    pub rejected: Vec<claim_queries::RejectedRow>,
}

/// A household on the worklist, with its kelurahan's name and whether a supervisor gave it
/// to this user.
pub struct NextRow {
    pub row: HouseholdRow,
    pub kelurahan: String,
    pub assigned: bool,
}

/// Rejections older than this no longer show on "Hari ini".
const REJECTED_DAYS: i64 = 30;

/// Names the kelurahan of each worklist household and marks those assigned to `user`, in two
/// queries for the list.
fn name_and_mark(
    conn: &mut crate::db::DbConnection,
    user: &CurrentUser,
    rows: Vec<HouseholdRow>,
) -> diesel::QueryResult<Vec<NextRow>> {
    use crate::db::schema::{household_assignments, regions};
    use diesel::prelude::*;
    use std::collections::{HashMap, HashSet};
    let mut codes: Vec<&str> = rows
        .iter()
        .map(|r| r.household.region_code.as_str())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let names: HashMap<String, String> = regions::table
        .filter(regions::code.eq_any(&codes))
        .select((regions::code, regions::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let ids: Vec<i32> = rows.iter().map(|r| r.household.id).collect();
    let assigned: HashSet<i32> = household_assignments::table
        .filter(household_assignments::household_id.eq_any(&ids))
        .filter(household_assignments::user_id.eq(user.id))
        .select(household_assignments::household_id)
        .load::<i32>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| NextRow {
            kelurahan: names
                .get(row.household.region_code.as_str())
                .cloned()
                .unwrap_or_default(),
            assigned: assigned.contains(&row.household.id),
            row,
        })
        .collect())
}

pub type VisitRowList = Vec<crate::visits::queries::VisitRow>;

#[derive(Template)]
#[template(path = "home/index.html")]
struct HomePage {
    page: Page,
    heading: &'static str,
    full_name: String,
    role: Role,
    areas: Vec<RegionRow>,
    role_counts: Vec<RoleCount>,
    region_count: i64,
    field: Option<Today>,
    pending_claims: i64,
}

const NEXT_TO_VISIT: i64 = 15;

fn field_today(conn: &mut crate::db::DbConnection, user: &CurrentUser) -> Result<Today, AppError> {
    use chrono::Datelike;
    let today = crate::web::today();
    let monday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let week = visit_queries::by_visitor_between(conn, user.id, monday, today)?;
    let week_count = week.len();
    let today_visits = week.into_iter().filter(|v| v.visited_on == today).collect();
    let next = household_queries::worklist(conn, user, NEXT_TO_VISIT)?;
    Ok(Today {
        today: today_visits,
        week_count,
        claims: claim_queries::counts_by_reporter(conn, user.id)?,
        follow_ups: visit_queries::follow_ups_due(conn, user.id, today, 20)?,
        next: name_and_mark(conn, user, next)?,
        rejected: claim_queries::recently_rejected(conn, user, REJECTED_DAYS, 10)?,
    })
}

async fn home(
    req: HttpRequest,
    user: CurrentUser,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let role = user.role;
    let areas = user.areas.clone();
    let for_db = user.clone();
    let (areas, role_counts, region_count, field, pending_claims) = db
        .run(move |conn| {
            let user = for_db;
            let areas = with_counts_and_context(conn, areas)?;
            let field = if user.records_fieldwork() {
                Some(field_today(conn, &user)?)
            } else {
                None
            };
            let pending_claims = if crate::web::policy::VERIFY_CLAIMS.admits(role) {
                claim_queries::pending_for(conn, &user, 0)?.1
            } else {
                0
            };
            let (role_counts, region_count) = if crate::web::policy::ADMINISTER.admits(role) {
                use crate::db::schema::regions;
                use diesel::prelude::*;
                let counts = user_queries::count_by_role(conn)?
                    .into_iter()
                    .filter_map(|(role, count)| {
                        Role::parse(&role).map(|r| RoleCount {
                            label: r.label(),
                            count,
                        })
                    })
                    .collect();
                let regions: i64 = regions::table.count().get_result(conn)?;
                (counts, regions)
            } else {
                (Vec::new(), 0)
            };
            Ok((areas, role_counts, region_count, field, pending_claims))
        })
        .await?;
    let heading = match role {
        Role::Agent | Role::Kader => "Hari ini",
        Role::Admin => "Beranda admin",
        Role::Supervisor => "Wilayah binaan",
        Role::Office => "Wilayah kantor",
    };
    render(
        StatusCode::OK,
        &HomePage {
            page: Page::from_request(&req),
            heading,
            full_name: user.full_name,
            role,
            areas,
            role_counts,
            region_count,
            field,
            pending_claims,
        },
    )
}
