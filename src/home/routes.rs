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
    pub next: Vec<HouseholdRow>,
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
    Ok(Today {
        today: today_visits,
        week_count,
        claims: claim_queries::counts_by_reporter(conn, user.id)?,
        follow_ups: visit_queries::follow_ups_due(conn, user.id, today, 20)?,
        next: household_queries::worklist(conn, user, NEXT_TO_VISIT)?,
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
