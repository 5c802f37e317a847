//! The forum's one page: a printable A4 report per kab/kota or kecamatan for the monthly
//! "Forum Komunikasi" meeting — status and gap against both bars with the as-of line, the
//! trend, the kelurahan furthest below with their gap and assigned agents, and this month's
//! field work and claims by pathway. Plain HTML with a print stylesheet, no JavaScript.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::prelude::*;

use crate::auth::CurrentUser;
use crate::db::schema::{regions, user_areas, users};
use crate::db::{Db, DbConnection};
use crate::error::AppError;
use crate::progress::queries::figures_on;
use crate::progress::ratios::{percent, thousands};
use crate::progress::unit::{UnitData, load_unit};
use crate::recap::Month;
use crate::recap::figures::Figures;
use crate::recap::queries::{Scope, live};
use crate::regions::Level;
use crate::users::Role;
use crate::web::policy::READ_BOARD;
use crate::web::routes::Routes;
use crate::web::{Settings, assets, render, today};

/// How many kelurahan furthest below the page lists.
const BELOW: usize = 8;

pub fn register(routes: &mut Routes) {
    routes.get("/forum/{code}", READ_BOARD, page);
}

pub struct Below {
    pub title: String,
    pub activity: String,
    pub needed: String,
    pub agents: String,
}

#[derive(Template)]
#[template(path = "forum/page.html")]
struct ForumPage {
    css_url: String,
    icon_url: String,
    data: UnitData,
    month: String,
    below: Vec<Below>,
    work: Figures,
    workers: usize,
    printed: String,
}

/// Villages of the area furthest below the activity target on `data`'s date, with the field
/// workers assigned to each (two queries besides the figures).
fn furthest_below(conn: &mut DbConnection, data: &UnitData) -> QueryResult<Vec<Below>> {
    let Some(date) = data.date else {
        return Ok(Vec::new());
    };
    let villages: Vec<(String, String)> = regions::table
        .filter(crate::within_areas!(regions::code, [&data.region.code]))
        .filter(regions::level.eq(Level::DesaKelurahan.as_str()))
        .select((regions::code, regions::name))
        .load(conn)?;
    let codes: Vec<String> = villages.iter().map(|(c, _)| c.clone()).collect();
    let figures = figures_on(conn, &codes, Some(Level::DesaKelurahan), date)?;
    let target = data.threshold.activity_bp;
    let mut gaps: Vec<(i64, String, String)> = villages
        .into_iter()
        .filter_map(|(code, name)| {
            let f = figures.get(&code)?.figures;
            let needed = f.needed_to_target(target);
            (needed > 0).then_some((needed, code, name))
        })
        .collect();
    gaps.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    gaps.truncate(BELOW);
    let top: Vec<String> = gaps.iter().map(|(_, c, _)| c.clone()).collect();
    let field: Vec<&str> = [Role::Agent, Role::Kader]
        .iter()
        .map(|r| r.as_str())
        .collect();
    let assigned: Vec<(String, String)> = user_areas::table
        .inner_join(users::table)
        .filter(user_areas::region_code.eq_any(&top))
        .filter(users::role.eq_any(field))
        .filter(users::disabled.eq(false))
        .order(users::full_name)
        .select((user_areas::region_code, users::full_name))
        .load(conn)?;
    let mut by_code: HashMap<String, Vec<String>> = HashMap::new();
    for (code, name) in assigned {
        by_code.entry(code).or_default().push(name);
    }
    Ok(gaps
        .into_iter()
        .map(|(needed, code, name)| {
            let f = figures[&code].figures;
            Below {
                title: format!("{} {name}", crate::regions::village_kind(&code)),
                activity: percent(f.activity_bp(target)),
                needed: thousands(needed),
                agents: by_code
                    .remove(&code)
                    .map_or_else(|| "belum ada petugas".into(), |n| n.join(", ")),
            }
        })
        .collect())
}

async fn page(
    user: CurrentUser,
    code: web::Path<String>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let code = code.into_inner();
    let stale = settings.stale_after_days;
    let month = Month::of(today());
    let day = today();
    let (data, below, work, workers) = db
        .run(move |conn| {
            let data = load_unit(conn, &user, &code, None, "", stale)?;
            if !matches!(data.level, Some(Level::KabupatenKota | Level::Kecamatan)) {
                return Err(AppError::NotFound);
            }
            let below = furthest_below(conn, &data)?;
            let scope = Scope::for_user(&user, Some(&code));
            let scope = Scope {
                worker: None,
                ..scope
            };
            let mut work = Figures::default();
            let mut workers = 0;
            for ((_, m), f) in live(conn, &scope, month, month.next(), day)? {
                if m == month && (f.visits > 0 || f.reported() > 0) {
                    workers += 1;
                    work.add(&f);
                }
            }
            Ok((data, below, work, workers))
        })
        .await?;
    render(
        StatusCode::OK,
        &ForumPage {
            css_url: assets::url("print.css"),
            icon_url: assets::url("icon.svg"),
            data,
            month: month.label(),
            below,
            work,
            workers,
            printed: day.format("%d-%m-%Y").to_string(),
        },
    )
}
