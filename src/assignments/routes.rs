//! The assignments board (read-only for camat and lurah offices) and the assignment actions of
//! supervisors: assign and end, and giving worklist households to one field worker.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::queries::{self, BoardRow, HistoryRow};
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::error::AppError;
use crate::web::page::Page;
use crate::web::routes::{Access, Routes};
use crate::web::{render, see_other, session, today};

const READERS: Access = crate::web::policy::READ_BOARD;
const MANAGERS: Access = crate::web::policy::ASSIGN_WORK;

pub fn register(routes: &mut Routes) {
    routes
        .get("/penugasan", READERS, board)
        .get("/penugasan/unduh", READERS, export)
        .post("/penugasan", MANAGERS, change)
        .post("/progres/{code}/tugaskan", MANAGERS, assign_household);
}

#[derive(Template)]
#[template(path = "assignments/board.html")]
struct BoardPage {
    page: Page,
    rows: Vec<BoardRow>,
    history: Vec<HistoryRow>,
    can_manage: bool,
    workers: Vec<(i32, String)>,
    error: Option<String>,
    /// Figures dated before this carry a warning (the staleness limit).
    stale_before: chrono::NaiveDate,
}

impl BoardPage {
    fn is_stale(&self, date: &chrono::NaiveDate) -> bool {
        *date < self.stale_before
    }
}

async fn render_board(
    req: &HttpRequest,
    user: CurrentUser,
    db: &Db,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let can_manage = MANAGERS.admits(user.role);
    let stale_after_days = req
        .app_data::<web::Data<crate::web::Settings>>()
        .map_or(crate::config::STALE_AFTER_DAYS, |s| s.stale_after_days);
    let stale_before = today() - chrono::Duration::days(stale_after_days);
    let (rows, history) = db
        .run(move |conn| {
            Ok((
                queries::board(conn, &user, today())?,
                queries::history(conn, &user, 30)?,
            ))
        })
        .await?;
    let mut workers: Vec<(i32, String)> = rows
        .iter()
        .flat_map(|r| {
            r.workers
                .iter()
                .map(|w| (w.user_id, format!("{} ({})", w.name, w.role_label)))
        })
        .collect();
    workers.sort_by(|a, b| a.1.cmp(&b.1));
    workers.dedup();
    render(
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &BoardPage {
            page: Page::from_request(req),
            rows,
            history,
            can_manage,
            workers,
            error,
            stale_before,
        },
    )
}

async fn board(
    req: HttpRequest,
    user: CurrentUser,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    render_board(&req, user, &db, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChangeForm {
    aksi: String,
    user_id: String,
    region_code: String,
}

async fn change(
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<ChangeForm>,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let Ok(worker) = form.user_id.trim().parse::<i32>() else {
        return render_board(&req, user, &db, Some("Pilih petugas.".into())).await;
    };
    let region = form.region_code.trim().to_string();
    let starting = match form.aksi.as_str() {
        "tugaskan" => true,
        "akhiri" => false,
        _ => return render_board(&req, user, &db, Some("Aksi tidak dikenal.".into())).await,
    };
    let actor = user.clone();
    let outcome = db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                if starting {
                    queries::assign(conn, &actor, worker, &region, today())
                } else {
                    queries::end(conn, &actor, worker, &region, today())
                }
            })
            .map_err(AppError::from)
        })
        .await?;
    match outcome {
        Ok(()) => {
            session::set_flash(
                &session,
                if starting {
                    "Penugasan ditambahkan."
                } else {
                    "Penugasan diakhiri."
                },
            );
            Ok(see_other("/penugasan"))
        }
        Err(refusal) => render_board(&req, user, &db, Some(refusal)).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HouseholdAssignForm {
    household_id: String,
    user_id: String,
}

async fn assign_household(
    user: CurrentUser,
    code: web::Path<String>,
    form: web::Form<HouseholdAssignForm>,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let household: i32 = form
        .household_id
        .trim()
        .parse()
        .map_err(|_| AppError::NotFound)?;
    let worker: Option<i32> = match form.user_id.trim() {
        "" => None,
        raw => Some(
            raw.parse()
                .map_err(|_| AppError::BadRequest("petugas tidak valid".into()))?,
        ),
    };
    let code = code.into_inner();
    let outcome = db
        .run(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                queries::assign_household(conn, &user, household, worker, today())
            })
            .map_err(AppError::from)
        })
        .await?;
    match outcome {
        Ok(region) => {
            session::set_flash(&session, "Penugasan rumah tangga disimpan.");
            Ok(see_other(&format!("/progres/{region}#daftar-kerja")))
        }
        Err(refusal) => {
            session::set_flash(&session, &refusal);
            Ok(see_other(&format!(
                "/progres/{}",
                crate::web::query_encode(&code)
            )))
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExportQuery {
    format: String,
}

/// The board as CSV or XLSX: one row per kelurahan and field worker.
async fn export(
    user: CurrentUser,
    query: web::Query<ExportQuery>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    use crate::progress::export::{Cell, Format, Table, download};
    let format = Format::parse(&query.format)
        .ok_or(AppError::BadRequest("format harus csv atau xlsx".into()))?;
    let rows = db
        .run(move |conn| Ok(queries::board(conn, &user, today())?))
        .await?;
    let mut table = Table {
        headers: vec![
            "kode_wilayah",
            "desa_kelurahan",
            "kecamatan",
            "petugas",
            "peran",
            "telepon",
            "sejak",
            "kunjungan_bulan_ini",
            "kunjungan_terakhir",
            "keaktifan",
        ],
        rows: Vec::new(),
    };
    for row in &rows {
        let line = |name: &str, role: &str, phone: &str, since: String| {
            vec![
                Cell::Text(row.region.code.clone()),
                Cell::Text(row.region.name.clone()),
                Cell::Text(row.kecamatan.clone()),
                Cell::Text(name.to_string()),
                Cell::Text(role.to_string()),
                Cell::Text(phone.to_string()),
                Cell::Text(since),
                Cell::Int(row.visits_this_month),
                Cell::Text(row.last_visit.map(|d| d.to_string()).unwrap_or_default()),
                Cell::Text(row.activity.clone()),
            ]
        };
        if row.workers.is_empty() {
            table.rows.push(line("", "", "", String::new()));
        }
        for w in &row.workers {
            table.rows.push(line(
                &w.name,
                w.role_label,
                &w.phone,
                w.since.map(|d| d.to_string()).unwrap_or_default(),
            ));
        }
    }
    download(&table, format, &format!("penugasan-{}", today()))
}
