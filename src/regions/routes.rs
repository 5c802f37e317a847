//! The region browser: search by name or code, walk province → kab/kota → kecamatan →
//! desa/kelurahan with breadcrumbs. Region names are public; any signed-in user may browse.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::queries::{self, RegionRow, with_counts_and_context};
use super::{Region, RegionCode};
use crate::db::Db;
use crate::error::AppError;
use crate::web::page::Page;
use crate::web::render;
use crate::web::routes::{Access, Routes};

pub fn register(routes: &mut Routes) {
    routes
        .get("/wilayah", Access::SignedIn, index)
        .get("/wilayah/{code}", Access::SignedIn, show);
}

const SEARCH_LIMIT: i64 = 50;

#[derive(Template)]
#[template(path = "regions/index.html")]
struct IndexPage {
    page: Page,
    query: String,
    searched: bool,
    rows: Vec<RegionRow>,
    limited: bool,
}

#[derive(Template)]
#[template(path = "regions/show.html")]
struct ShowPage {
    page: Page,
    region: Region,
    breadcrumbs: Vec<Region>,
    child_label: &'static str,
    rows: Vec<RegionRow>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SearchQuery {
    q: String,
}

async fn index(
    req: HttpRequest,
    query: web::Query<SearchQuery>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let q: String = query.q.trim().chars().take(100).collect();
    let searched = !q.is_empty();
    let (rows, limited) = {
        let q = q.clone();
        db.run(move |conn| {
            let regions = if q.is_empty() {
                queries::provinces(conn)?
            } else {
                queries::search(conn, &q, SEARCH_LIMIT + 1)?
            };
            let limited = regions.len() as i64 > SEARCH_LIMIT;
            let regions: Vec<Region> = regions.into_iter().take(SEARCH_LIMIT as usize).collect();
            Ok((with_counts_and_context(conn, regions)?, limited))
        })
        .await?
    };
    render(
        StatusCode::OK,
        &IndexPage {
            page: Page::from_request(&req),
            query: q,
            searched,
            rows,
            limited,
        },
    )
}

async fn show(
    req: HttpRequest,
    code: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let code = RegionCode::parse(&code).ok_or(AppError::NotFound)?;
    let (region, breadcrumbs, rows) = db
        .run(move |conn| {
            let region = queries::get(conn, code.as_str())?.ok_or(AppError::NotFound)?;
            let breadcrumbs = queries::breadcrumbs(conn, &code)?;
            let children = queries::children(conn, code.as_str())?;
            let rows = queries::with_child_counts(conn, children)?;
            Ok((region, breadcrumbs, rows))
        })
        .await?;
    let child_label = region
        .level()
        .and_then(|l| l.child())
        .map(|l| l.label())
        .unwrap_or("");
    render(
        StatusCode::OK,
        &ShowPage {
            page: Page::from_request(&req),
            region,
            breadcrumbs,
            child_label,
            rows,
        },
    )
}
