//! Finding, registering and editing households, and the household page (members, visits).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::forms::HouseholdForm;
use super::queries::{self, HouseholdRow, PAGE_SIZE};
use super::{Household, duplicates};
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::error::AppError;
use crate::members::queries::{Member, for_household};
use crate::regions::{Level, Region};
use crate::submissions::{self, Submitted};
use crate::visits::queries::{VisitRow, for_household as visits_of};
use crate::web::forms::FieldErrors;
use crate::web::page::Page;
use crate::web::policy::RECORD_FIELDWORK as FIELD;
use crate::web::routes::{Access, Routes};
use crate::web::seal::Sealer;
use crate::web::{query_encode, render, see_other, session};

pub fn register(routes: &mut Routes) {
    routes
        .get("/rumah-tangga", Access::SignedIn, search)
        .post("/rumah-tangga/cari", Access::SignedIn, start_search)
        .get("/rumah-tangga/baru", FIELD, new_form)
        .post("/rumah-tangga/baru", FIELD, create)
        .get("/rumah-tangga/{id}", Access::SignedIn, show)
        .get("/rumah-tangga/{id}/ubah", FIELD, edit_form)
        .post("/rumah-tangga/{id}/ubah", FIELD, update);
}

/// A search's result pages: the term travels sealed (`hasil`), never as itself, because it is
/// often a NIK or a name.
#[derive(Deserialize, Default)]
#[serde(default)]
struct SearchQuery {
    hasil: String,
    halaman: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SearchForm {
    q: String,
}

/// What the sealed result id is for, and how long it opens (long enough to page through).
const SEARCH: &str = "cari";
const SEARCH_TTL_SECONDS: i64 = 30 * 60;

#[derive(Template)]
#[template(path = "households/search.html")]
struct SearchPage {
    page: Page,
    query: String,
    sealed: String,
    expired: bool,
    rows: Vec<HouseholdRow>,
    total: i64,
    page_number: i64,
    page_count: i64,
    can_add: bool,
}

/// POST → 303 to the result id, so the term is in no URL, history or log.
async fn start_search(
    user: CurrentUser,
    form: web::Form<SearchForm>,
    sealer: web::Data<Sealer>,
) -> HttpResponse {
    let q: String = form.q.trim().chars().take(100).collect();
    if q.is_empty() {
        return see_other("/rumah-tangga");
    }
    let sealed = sealer.seal(SEARCH, user.id, SEARCH_TTL_SECONDS, &q);
    see_other(&format!("/rumah-tangga?hasil={}", query_encode(&sealed)))
}

async fn search(
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<SearchQuery>,
    db: web::Data<Db>,
    sealer: web::Data<Sealer>,
) -> Result<HttpResponse, AppError> {
    let opened = (!query.hasil.is_empty())
        .then(|| sealer.open(SEARCH, user.id, &query.hasil))
        .map(|q| q.unwrap_or_default());
    let expired = opened.as_ref().is_some_and(|q| q.is_empty());
    let q = opened.unwrap_or_default();
    let sealed = if q.is_empty() {
        String::new()
    } else {
        query.hasil.clone()
    };
    let page_number = query.halaman.unwrap_or(1).clamp(1, 10_000);
    let can_add = user.records_fieldwork();
    let (rows, total) = {
        let q = q.clone();
        db.run(move |conn| Ok(queries::search(conn, &user, &q, page_number)?))
            .await?
    };
    render(
        StatusCode::OK,
        &SearchPage {
            page: Page::from_request(&req),
            query: q,
            sealed,
            expired,
            rows,
            total,
            page_number,
            page_count: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
            can_add,
        },
    )
}

#[derive(Template)]
#[template(path = "households/form.html")]
struct FormPage {
    page: Page,
    household_id: Option<i32>,
    action: String,
    form: HouseholdForm,
    regions: Vec<(Region, bool)>,
    errors: FieldErrors,
    warnings: Vec<String>,
}

/// The kelurahan/desa the user can register households in.
fn work_areas(user: &CurrentUser) -> Vec<Region> {
    user.areas
        .iter()
        .filter(|a| a.level() == Some(Level::DesaKelurahan))
        .cloned()
        .collect()
}

fn form_page(
    req: &HttpRequest,
    user: &CurrentUser,
    household_id: Option<i32>,
    form: HouseholdForm,
    errors: FieldErrors,
) -> FormPage {
    let regions = work_areas(user)
        .into_iter()
        .map(|r| {
            let selected = r.code == form.region_code;
            (r, selected)
        })
        .collect();
    FormPage {
        page: Page::from_request(req),
        action: match household_id {
            Some(id) => format!("/rumah-tangga/{id}/ubah"),
            None => "/rumah-tangga/baru".into(),
        },
        household_id,
        form,
        regions,
        errors,
        warnings: Vec::new(),
    }
}

async fn new_form(req: HttpRequest, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let form = HouseholdForm {
        region_code: work_areas(&user)
            .first()
            .map(|r| r.code.clone())
            .unwrap_or_default(),
        submission_key: submissions::new_key(),
        ..HouseholdForm::default()
    };
    render(
        StatusCode::OK,
        &form_page(&req, &user, None, form, FieldErrors::default()),
    )
}

async fn create(
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<HouseholdForm>,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    match form.validate(&work_areas(&user)) {
        Err(errors) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(&req, &user, None, form, errors),
        ),
        Ok(input) => {
            let key = form.submission_key.clone();
            let actor = user.clone();
            let confirmed = form.confirm_warnings == "on";
            let outcome = db
                .run(move |conn| {
                    // A repeat gets its first answer, not a warning about itself.
                    if let Some(path) = submissions::previous(conn, key.trim(), actor.id)? {
                        return Ok(Submitted::Repeat(path));
                    }
                    let warnings = duplicates::warnings(conn, &actor, &input, None)?;
                    if !warnings.is_empty() && !confirmed {
                        return Ok(Submitted::Rejected(warnings));
                    }
                    submissions::once(conn, &key, actor.id, |conn| {
                        let id = queries::create(conn, &input, &actor)?;
                        Ok(Ok(format!("/rumah-tangga/{id}")))
                    })
                })
                .await?;
            match outcome {
                Submitted::First(path) | Submitted::Repeat(path) => {
                    session::set_flash(&session, "Rumah tangga disimpan. Tambahkan anggotanya.");
                    Ok(see_other(&path))
                }
                Submitted::Rejected(warnings) => {
                    let mut page = form_page(&req, &user, None, form, FieldErrors::default());
                    page.warnings = warnings;
                    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
                }
            }
        }
    }
}

async fn edit_form(
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let household = queries::load_visible(&db, &user, *id).await?;
    let form = HouseholdForm {
        region_code: household.region_code.as_str().to_string(),
        rt: household.rt.clone(),
        rw: household.rw.clone(),
        address: household.address.clone(),
        nomor_kk: household.nomor_kk.clone().unwrap_or_default(),
        landmark: household.landmark.clone(),
        submission_key: submissions::new_key(),
        confirm_warnings: String::new(),
    };
    render(
        StatusCode::OK,
        &form_page(
            &req,
            &user,
            Some(household.id),
            form,
            FieldErrors::default(),
        ),
    )
}

async fn update(
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    form: web::Form<HouseholdForm>,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let household = queries::load_visible(&db, &user, *id).await?;
    let form = form.into_inner();
    match form.validate(&work_areas(&user)) {
        Err(errors) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(&req, &user, Some(household.id), form, errors),
        ),
        Ok(input) => {
            let key = form.submission_key.clone();
            let actor = user.clone();
            let confirmed = form.confirm_warnings == "on";
            let id = household.id;
            let outcome = db
                .run(move |conn| {
                    if let Some(path) = submissions::previous(conn, key.trim(), actor.id)? {
                        return Ok(Submitted::Repeat(path));
                    }
                    let warnings = duplicates::warnings(conn, &actor, &input, Some(&household))?;
                    if !warnings.is_empty() && !confirmed {
                        return Ok(Submitted::Rejected(warnings));
                    }
                    submissions::once(conn, &key, actor.id, |conn| {
                        queries::update(conn, &household, &input, &actor)?;
                        Ok(Ok(format!("/rumah-tangga/{}", household.id)))
                    })
                })
                .await?;
            match outcome {
                Submitted::First(path) | Submitted::Repeat(path) => {
                    session::set_flash(&session, "Perubahan disimpan.");
                    Ok(see_other(&path))
                }
                Submitted::Rejected(warnings) => {
                    let mut page = form_page(&req, &user, Some(id), form, FieldErrors::default());
                    page.warnings = warnings;
                    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
                }
            }
        }
    }
}

#[derive(Template)]
#[template(path = "households/show.html")]
struct ShowPage {
    page: Page,
    household: Household,
    region: Option<Region>,
    members: Vec<Member>,
    visits: Vec<VisitRow>,
    can_edit: bool,
    not_in_roster: bool,
}

async fn show(
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i32>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let can_edit = user.records_fieldwork();
    let id = *id;
    let (household, region, members, visits, not_in_roster) = db
        .run(move |conn| {
            let household = queries::find_visible(conn, &user, id)?.ok_or(AppError::NotFound)?;
            let region = crate::regions::queries::get(conn, household.region_code.as_str())?;
            let members = for_household(conn, id)?;
            let visits = visits_of(conn, id)?;
            let not_in_roster = !super::queries::not_in_roster(
                conn,
                &[(household.id, household.region_code.as_str())],
            )?
            .is_empty();
            Ok((household, region, members, visits, not_in_roster))
        })
        .await?;
    render(
        StatusCode::OK,
        &ShowPage {
            page: Page::from_request(&req),
            household,
            region,
            members,
            visits,
            can_edit,
            not_in_roster,
        },
    )
}
