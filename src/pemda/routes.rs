//! The Pemda levers' pages: a kab/kota's (or kecamatan's) page with the quota and the village
//! officials board, the Dinsos list with its download and answers, and a desa's officials.

use actix_session::SessionExt;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::DinsosAnswer;
use super::officials::{self, Board, KecamatanRow, VillageRow};
use super::proposals::{self, Proposal};
use super::quota::{self, QuotaForm, Summary};
use crate::auth::CurrentUser;
use crate::db::{Db, write_transaction};
use crate::error::AppError;
use crate::households::forms::clean_text;
use crate::members::forms::parse_date;
use crate::progress::export::{Cell, Format, Table, download};
use crate::progress::ratios::thousands;
use crate::regions::{Level, Region, RegionCode};
use crate::web::forms::FieldErrors;
use crate::web::page::Page;
use crate::web::policy::{READ_PEMDA, SEND_DINSOS_NIKS, STEER_PEMDA};
use crate::web::routes::Routes;
use crate::web::{render, see_other, session, today};

pub fn register(routes: &mut Routes) {
    routes
        .get("/pemda", READ_PEMDA, index)
        .get("/pemda/{code}", READ_PEMDA, area)
        .post("/pemda/{code}/kuota", STEER_PEMDA, set_quota)
        .get("/pemda/{code}/usulan", STEER_PEMDA, proposals_page)
        .post("/pemda/{code}/usulan", STEER_PEMDA, answer)
        .get(
            "/pemda/{code}/usulan/unduh",
            STEER_PEMDA,
            proposals_download,
        );
    super::village_routes::register(routes);
}

/// Desa shown per page in the list of those not yet complete (a page stays a few KB).
const VILLAGES_PER_PAGE: usize = 25;
/// Proposals shown per page of the Dinsos list.
const PROPOSALS_PER_PAGE: usize = 20;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AreaQuery {
    pub tanggal: String,
    pub hal: String,
    pub kelurahan: String,
    pub kode: String,
}

impl AreaQuery {
    fn page(&self) -> usize {
        self.hal
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    }
    /// The as-of day asked for, never after today.
    fn day(&self) -> NaiveDate {
        parse_date(&self.tanggal)
            .filter(|d| *d <= today())
            .unwrap_or_else(today)
    }
}

/// A region the user covers, at one of `levels`; anything else is not found.
pub(super) fn region_in_scope(
    conn: &mut crate::db::DbConnection,
    user: &CurrentUser,
    code: &str,
    levels: &[Level],
) -> Result<Region, AppError> {
    let parsed = RegionCode::parse(code).ok_or(AppError::NotFound)?;
    if !levels.contains(&parsed.level()) || !user.covers(parsed.as_str()) {
        return Err(AppError::NotFound);
    }
    crate::regions::queries::get(conn, parsed.as_str())?.ok_or(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "pemda/choose.html")]
struct ChoosePage {
    page: Page,
    kode: String,
    error: Option<&'static str>,
}

/// `/pemda`: the user's own area; an admin names a kab/kota first.
async fn index(
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<AreaQuery>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    if let Some(area) = user.areas.first() {
        let path = match RegionCode::parse(&area.code).map(|c| c.level()) {
            Some(Level::DesaKelurahan) => format!("/pemda/desa/{}", area.code),
            _ => format!("/pemda/{}", area.code),
        };
        return Ok(see_other(&path));
    }
    let kode = query.kode.trim().chars().take(20).collect::<String>();
    if kode.is_empty() {
        return render(
            StatusCode::OK,
            &ChoosePage {
                page: Page::from_request(&req),
                kode,
                error: None,
            },
        );
    }
    let known = {
        let kode = kode.clone();
        db.run(move |conn| {
            Ok(RegionCode::parse(&kode)
                .filter(|c| matches!(c.level(), Level::KabupatenKota | Level::Kecamatan))
                .map(|c| crate::regions::queries::get(conn, c.as_str()))
                .transpose()?
                .flatten())
        })
        .await?
    };
    match known {
        Some(region) => Ok(see_other(&format!("/pemda/{}", region.code))),
        None => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ChoosePage {
                page: Page::from_request(&req),
                kode,
                error: Some("Isi kode kabupaten/kota atau kecamatan yang ada, misalnya 33.16."),
            },
        ),
    }
}

#[derive(Template)]
#[template(path = "pemda/area.html")]
struct AreaPage {
    page: Page,
    region: Region,
    is_kabkota: bool,
    summary: Option<Summary>,
    quotas: Vec<quota::Quota>,
    can_steer: bool,
    form: QuotaForm,
    errors: FieldErrors,
    board: Board,
    shown: Vec<VillageRow>,
    page_no: usize,
    pages: usize,
    incomplete: usize,
    day: NaiveDate,
}

impl AreaPage {
    fn kecamatan(&self) -> &[KecamatanRow] {
        &self.board.kecamatan
    }
}

struct AreaData {
    region: Region,
    summary: Option<Summary>,
    quotas: Vec<quota::Quota>,
    board: Board,
}

async fn load_area(
    db: &Db,
    user: &CurrentUser,
    code: &str,
    day: NaiveDate,
) -> Result<AreaData, AppError> {
    let (user, code) = (user.clone(), code.to_string());
    db.run(move |conn| {
        let region = region_in_scope(
            conn,
            &user,
            &code,
            &[Level::KabupatenKota, Level::Kecamatan],
        )?;
        let (summary, quotas) = if region.level() == Some(Level::KabupatenKota) {
            (
                Some(quota::summary(conn, &code, day)?),
                quota::list(conn, Some(&code))?,
            )
        } else {
            (None, Vec::new())
        };
        let board = officials::board(conn, &code, day)?;
        Ok(AreaData {
            region,
            summary,
            quotas,
            board,
        })
    })
    .await
}

#[allow(clippy::too_many_arguments)]
async fn show_area(
    req: &HttpRequest,
    db: &Db,
    user: &CurrentUser,
    code: &str,
    query: &AreaQuery,
    status: StatusCode,
    form: QuotaForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let day = query.day();
    let data = load_area(db, user, code, day).await?;
    let mut incomplete: Vec<VillageRow> = data.board.incomplete().cloned().collect();
    // Desa that entered their officials first: the ones under way, then those not started.
    incomplete.sort_by_key(|v| v.officials.is_none());
    let pages = incomplete.len().div_ceil(VILLAGES_PER_PAGE).max(1);
    let page_no = query.page().min(pages);
    let shown = incomplete
        .iter()
        .skip((page_no - 1) * VILLAGES_PER_PAGE)
        .take(VILLAGES_PER_PAGE)
        .cloned()
        .collect();
    render(
        status,
        &AreaPage {
            page: Page::from_request(req),
            is_kabkota: data.region.level() == Some(Level::KabupatenKota),
            region: data.region,
            summary: data.summary,
            quotas: data.quotas,
            can_steer: STEER_PEMDA.admits(user.role),
            form,
            errors,
            incomplete: incomplete.len(),
            board: data.board,
            shown,
            page_no,
            pages,
            day,
        },
    )
}

async fn area(
    req: HttpRequest,
    user: CurrentUser,
    code: web::Path<String>,
    query: web::Query<AreaQuery>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let form = QuotaForm {
        mulai: today().to_string(),
        ..QuotaForm::default()
    };
    show_area(
        &req,
        &db,
        &user,
        &code,
        &query,
        StatusCode::OK,
        form,
        FieldErrors::default(),
    )
    .await
}

/// Sets the kab/kota's quota from a date: the kab/kota's supervisor or an admin (the scope is
/// the page's: a region the user covers).
async fn set_quota(
    req: HttpRequest,
    user: CurrentUser,
    code: web::Path<String>,
    form: web::Form<QuotaForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let code = code.into_inner();
    let mut form = form.into_inner();
    form.wilayah = code.clone();
    let (worker, kept, path) = (user.clone(), form.clone(), code.clone());
    let done = db
        .run(move |conn| {
            region_in_scope(conn, &worker, &path, &[Level::KabupatenKota])?;
            write_transaction(conn, |conn| -> Result<_, AppError> {
                Ok(match quota::check(conn, &kept)? {
                    Ok(q) => {
                        quota::set(conn, &q, Some(worker.id))?;
                        Ok(q)
                    }
                    Err(errors) => Err(errors),
                })
            })
        })
        .await?;
    match done {
        Ok(q) => {
            session::set_flash(
                &req.get_session(),
                &format!(
                    "Kuota Pemda {} tempat berlaku mulai {} disimpan.",
                    thousands(q.places),
                    q.valid_from.format("%d-%m-%Y")
                ),
            );
            Ok(see_other(&format!("/pemda/{code}")))
        }
        Err(errors) => {
            show_area(
                &req,
                &db,
                &user,
                &code,
                &AreaQuery::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "pemda/proposals.html")]
struct ProposalsPage {
    page: Page,
    region: Region,
    villages: Vec<(String, String, usize)>,
    chosen: String,
    rows: Vec<Proposal>,
    total: usize,
    page_no: usize,
    pages: usize,
    answers: Vec<(&'static str, &'static str)>,
    errors: FieldErrors,
    kept: AnswerForm,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct AnswerForm {
    pub id: String,
    pub jawaban: String,
    pub catatan: String,
    pub kelurahan: String,
}

#[allow(clippy::too_many_arguments)]
async fn show_proposals(
    req: &HttpRequest,
    db: &Db,
    user: &CurrentUser,
    code: &str,
    query: &AreaQuery,
    status: StatusCode,
    errors: FieldErrors,
    kept: AnswerForm,
) -> Result<HttpResponse, AppError> {
    let (worker, path) = (user.clone(), code.to_string());
    let (region, list) = db
        .run(move |conn| {
            let region = region_in_scope(conn, &worker, &path, &[Level::KabupatenKota])?;
            Ok((region, proposals::waiting(conn, &worker, &path)?))
        })
        .await?;
    let villages = proposals::per_village(&list);
    let chosen = villages
        .iter()
        .find(|(c, _, _)| *c == query.kelurahan)
        .or(villages.first())
        .map(|(c, _, _)| c.clone())
        .unwrap_or_default();
    let of_village: Vec<Proposal> = list
        .into_iter()
        .filter(|p| p.region_code == chosen)
        .collect();
    let pages = of_village.len().div_ceil(PROPOSALS_PER_PAGE).max(1);
    let page_no = query.page().min(pages);
    let total = of_village.len();
    let rows = of_village
        .into_iter()
        .skip((page_no - 1) * PROPOSALS_PER_PAGE)
        .take(PROPOSALS_PER_PAGE)
        .collect();
    render(
        status,
        &ProposalsPage {
            page: Page::from_request(req),
            region,
            villages,
            chosen,
            rows,
            total,
            page_no,
            pages,
            answers: DinsosAnswer::ALL
                .iter()
                .map(|a| (a.as_str(), a.label()))
                .collect(),
            errors,
            kept,
        },
    )
}

async fn proposals_page(
    req: HttpRequest,
    user: CurrentUser,
    code: web::Path<String>,
    query: web::Query<AreaQuery>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    show_proposals(
        &req,
        &db,
        &user,
        &code,
        &query,
        StatusCode::OK,
        FieldErrors::default(),
        AnswerForm::default(),
    )
    .await
}

/// Records Dinsos's answer for one proposed member and settles the claim.
async fn answer(
    req: HttpRequest,
    user: CurrentUser,
    code: web::Path<String>,
    form: web::Form<AnswerForm>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let code = code.into_inner();
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let id = form.id.trim().parse::<i32>().ok();
    let field = |name: &str| format!("{name}-{}", form.id.trim());
    let choice = DinsosAnswer::parse(form.jawaban.trim());
    if choice.is_none() {
        errors.add(
            field("jawaban"),
            "Pilih jawaban Dinsos: diterima, ditolak atau dirujuk.",
        );
    }
    let note = match clean_text(&form.catatan, 200) {
        Ok(n)
            if n.is_empty()
                && matches!(choice, Some(DinsosAnswer::Refused | DinsosAnswer::Referred)) =>
        {
            errors.add(
                field("catatan"),
                "Tulis alasan penolakan atau ke mana dirujuk (maks. 200 karakter).",
            );
            String::new()
        }
        Ok(n) => n,
        Err(e) => {
            errors.add(field("catatan"), e);
            String::new()
        }
    };
    let back_query = AreaQuery {
        kelurahan: form.kelurahan.clone(),
        ..AreaQuery::default()
    };
    let (Some(id), Some(choice), true) = (id, choice, errors.is_empty()) else {
        if id.is_none() {
            errors.add_general("id", "Usulan tidak dikenal.");
        }
        return show_proposals(
            &req,
            &db,
            &user,
            &code,
            &back_query,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            form,
        )
        .await;
    };
    let (worker, path) = (user.clone(), code.clone());
    let settled = db
        .run(move |conn| {
            region_in_scope(conn, &worker, &path, &[Level::KabupatenKota])?;
            write_transaction(conn, |conn| -> Result<bool, AppError> {
                Ok(proposals::answer(conn, &worker, &path, id, choice, &note)?)
            })
        })
        .await?;
    session::set_flash(
        &req.get_session(),
        if settled {
            match choice {
                DinsosAnswer::Accepted => {
                    "Jawaban Dinsos dicatat: diterima ke kuota Pemda, peserta kini aktif."
                }
                DinsosAnswer::Refused => "Jawaban Dinsos dicatat: ditolak.",
                DinsosAnswer::Referred => "Jawaban Dinsos dicatat: dirujuk ke jalur lain.",
            }
        } else {
            "Usulan ini sudah diputuskan sebelumnya; tidak ada yang diubah."
        },
    );
    let kelurahan = if form.kelurahan.is_empty() {
        String::new()
    } else {
        format!("?kelurahan={}", crate::web::query_encode(&form.kelurahan))
    };
    Ok(see_other(&format!("/pemda/{code}/usulan{kelurahan}")))
}

/// The Dinsos list as XLSX, every waiting proposal of the kab/kota in the user's areas. The
/// full NIK only for the role that sends it (`SEND_DINSOS_NIKS`); every download audited.
async fn proposals_download(
    user: CurrentUser,
    code: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let code = code.into_inner();
    let full = SEND_DINSOS_NIKS.admits(user.role);
    let (worker, path) = (user.clone(), code.clone());
    let list = db
        .run(move |conn| {
            region_in_scope(conn, &worker, &path, &[Level::KabupatenKota])?;
            let list = proposals::waiting(conn, &worker, &path)?;
            crate::audit::record(
                conn,
                Some(worker.id),
                "dinsos.export",
                "region",
                &path,
                &format!(
                    "{} proposals, NIK {}",
                    list.len(),
                    if full { "full" } else { "masked" }
                ),
            )?;
            Ok(list)
        })
        .await?;
    let table = Table {
        sheet: "Usulan Dinsos",
        total: None,
        headers: vec![
            "kode_wilayah",
            "desa_kelurahan",
            "nama",
            "nik",
            "no_kk",
            "alamat",
            "rt",
            "rw",
            "alasan",
            "tanggal_usul",
        ],
        rows: list
            .iter()
            .map(|p| {
                vec![
                    Cell::Text(p.region_code.clone()),
                    Cell::Text(p.region_label().to_string()),
                    Cell::Text(p.name.clone()),
                    Cell::Text(if full { p.full_nik() } else { p.masked_nik() }),
                    Cell::Text(p.nomor_kk.clone().unwrap_or_default()),
                    Cell::Text(p.address.clone()),
                    Cell::Text(p.rt.clone()),
                    Cell::Text(p.rw.clone()),
                    Cell::Text(p.reason()),
                    Cell::Date(Some(p.reported_on)),
                ]
            })
            .collect(),
    };
    download(
        &table,
        Format::Xlsx,
        &format!("usulan-dinsos-{code}-{}", today()),
    )
}
