//! The assignments board (read-only for camat and lurah offices) and the assignment actions of
//! supervisors: assign and end, and giving worklist households to one field worker.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Datelike;
use serde::Deserialize;

use super::queries::{self, BoardRow, FieldRefusal, HistoryRow};
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::error::AppError;
use crate::web::forms::{FieldErrors, pairs};
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
    /// The board's rows by kecamatan, in code order: the kecamatan is named once per group
    /// (in the table and in the kelurahan choice), which keeps a city's board within budget.
    groups: Vec<KecamatanGroup>,
    history: Vec<HistoryRow>,
    can_manage: bool,
    workers: Vec<(i32, String)>,
    /// Figures dated before this carry a warning (the staleness limit).
    stale_before: chrono::NaiveDate,
    form: ChangeForm,
    errors: FieldErrors,
    /// Asked before an assignment ends: (worker, kelurahan).
    confirm_end: Option<(String, String)>,
    /// When the page was made, for the printed copy (WIB).
    printed: String,
    /// The figures' date when every kelurahan with figures has the same one (the usual case
    /// after one import): said once in the column head instead of in every row.
    common_date: Option<chrono::NaiveDate>,
}

struct KecamatanGroup {
    name: String,
    rows: Vec<BoardRow>,
}

/// Consecutive rows of one kecamatan (rows come in region-code order) form one group.
fn by_kecamatan(rows: Vec<BoardRow>) -> Vec<KecamatanGroup> {
    let mut groups: Vec<KecamatanGroup> = Vec::new();
    for row in rows {
        match groups.last_mut() {
            Some(g) if g.rows[0].region.parent_code == row.region.parent_code => g.rows.push(row),
            _ => groups.push(KecamatanGroup {
                name: row.kecamatan.clone(),
                rows: vec![row],
            }),
        }
    }
    groups
}

impl BoardPage {
    fn is_stale(&self, row: &BoardRow) -> bool {
        row.figures
            .as_ref()
            .is_some_and(|(d, _)| *d < self.stale_before)
    }

    /// How many kelurahan show stale figures and the oldest of their dates: said once above
    /// the table, each such row only marked (a phrase on every row of a city's board would cost
    /// the page its 14 KB).
    fn stale_summary(&self) -> Option<(usize, String)> {
        let dates: Vec<chrono::NaiveDate> = self
            .groups
            .iter()
            .flat_map(|g| &g.rows)
            .filter(|r| self.is_stale(r))
            .filter_map(|r| r.figures.as_ref().map(|(d, _)| *d))
            .collect();
        let oldest = dates.iter().min()?;
        Some((dates.len(), oldest.format("%d-%m-%Y").to_string()))
    }

    fn stale_after_days(&self) -> i64 {
        (crate::web::today() - self.stale_before).num_days()
    }
}

async fn render_board(
    req: &HttpRequest,
    user: CurrentUser,
    db: &Db,
    form: ChangeForm,
    errors: FieldErrors,
    ask_to_end: bool,
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
    let confirm_end = if ask_to_end {
        let worker = workers
            .iter()
            .find(|(id, _)| id.to_string() == form.user_id.trim())
            .map(|(_, name)| name.clone());
        let village = rows
            .iter()
            .find(|r| r.region.code == form.region_code.trim())
            .map(|r| format!("{}, Kec. {}", r.region.name, r.kecamatan));
        worker.zip(village)
    } else {
        None
    };
    let mut dates = rows
        .iter()
        .filter_map(|r| r.figures.as_ref().map(|(d, _)| *d));
    let first = dates.next();
    let common_date = first.filter(|d| dates.all(|other| other == *d));
    let status = if !errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &BoardPage {
            page: Page::from_request(req),
            groups: by_kecamatan(rows),
            history,
            can_manage,
            workers,
            stale_before,
            form,
            errors,
            confirm_end,
            printed: crate::web::wib(&crate::db::now()),
            common_date,
        },
    )
}

async fn board(
    req: HttpRequest,
    user: CurrentUser,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    render_board(
        &req,
        user,
        &db,
        ChangeForm::default(),
        FieldErrors::default(),
        false,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChangeForm {
    aksi: String,
    user_id: String,
    region_code: String,
    /// `ya` once the supervisor confirmed that an assignment ends.
    yakin: String,
}

async fn change(
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<ChangeForm>,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let worker = form.user_id.trim().parse::<i32>().ok();
    if worker.is_none() {
        errors.add("user_id", "Pilih petugas.");
    }
    let region = form.region_code.trim().to_string();
    if region.is_empty() {
        errors.add("region_code", "Pilih desa/kelurahan.");
    }
    let starting = match form.aksi.as_str() {
        "tugaskan" => true,
        "akhiri" => false,
        _ => {
            errors.add("aksi", "Pilih tugaskan atau akhiri.");
            true
        }
    };
    let Some(worker) = worker.filter(|_| errors.is_empty()) else {
        return render_board(&req, user, &db, form, errors, false).await;
    };
    // Ending an assignment also drops the worker's worklist households there: ask first.
    if !starting && form.yakin != "ya" {
        return render_board(&req, user, &db, form, errors, true).await;
    }
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
        Err(FieldRefusal { field, message }) => {
            errors.add(field, message);
            render_board(&req, user, &db, form, errors, false).await
        }
    }
}

/// A refused bulk assignment rolls back the households already given.
enum BulkError {
    Db(diesel::result::Error),
    Refused(String),
}

impl From<diesel::result::Error> for BulkError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

/// Gives one or more worklist households (repeated `household_id`) to one field worker, or
/// back to all of the kelurahan's workers (empty `user_id`). All or none.
async fn assign_household(
    user: CurrentUser,
    code: web::Path<String>,
    body: web::Bytes,
    db: web::Data<Db>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let fields = pairs(&body);
    let households: Vec<i32> = fields
        .iter()
        .filter(|(k, _)| k == "household_id")
        .map(|(_, v)| v.trim().parse().map_err(|_| AppError::NotFound))
        .take(500)
        .collect::<Result<_, _>>()?;
    let raw_worker = fields
        .iter()
        .find(|(k, _)| k == "user_id")
        .map_or("", |(_, v)| v.trim());
    let worker: Option<i32> = match raw_worker {
        "" => None,
        raw => Some(
            raw.parse()
                .map_err(|_| AppError::BadRequest("petugas tidak valid".into()))?,
        ),
    };
    let code = code.into_inner();
    let back = format!("/progres/{}", crate::web::query_encode(&code));
    if households.is_empty() {
        session::set_flash(&session, "Centang minimal satu rumah tangga.");
        return Ok(see_other(&format!("{back}#daftar-kerja")));
    }
    let count = households.len();
    let outcome = db
        .run(move |conn| {
            let result = crate::db::write_transaction(conn, |conn| {
                let mut region = String::new();
                for household in households {
                    match queries::assign_household(conn, &user, household, worker, today())? {
                        Ok(r) => region = r,
                        Err(refusal) => return Err(BulkError::Refused(refusal)),
                    }
                }
                Ok(region)
            });
            match result {
                Ok(region) => Ok(Ok(region)),
                Err(BulkError::Refused(refusal)) => Ok(Err(refusal)),
                Err(BulkError::Db(e)) => Err(AppError::from(e)),
            }
        })
        .await?;
    match outcome {
        Ok(region) => {
            let message = if count == 1 {
                "Penugasan rumah tangga disimpan.".to_string()
            } else {
                format!("Penugasan {count} rumah tangga disimpan.")
            };
            session::set_flash(&session, &message);
            Ok(see_other(&format!("/progres/{region}#daftar-kerja")))
        }
        Err(refusal) => {
            session::set_flash(&session, &refusal);
            Ok(see_other(&back))
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
        sheet: "Penugasan",
        total: None,
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
            "tanggal_data",
        ],
        rows: Vec::new(),
    };
    for row in &rows {
        let activity = row.figures.as_ref().and_then(|(_, f)| f.activity_rate());
        let line = |name: &str, role: &str, phone: &str, since: Option<chrono::NaiveDate>| {
            vec![
                Cell::Text(row.region.code.clone()),
                Cell::Text(row.region.name.clone()),
                Cell::Text(row.kecamatan.clone()),
                Cell::Text(name.to_string()),
                Cell::Text(role.to_string()),
                Cell::Text(phone.to_string()),
                Cell::Date(since),
                Cell::Int(row.visits_this_month),
                Cell::Date(row.last_visit),
                Cell::Ratio(activity),
                Cell::Date(row.figures.as_ref().map(|(d, _)| *d)),
            ]
        };
        if row.workers.is_empty() {
            table.rows.push(line("", "", "", None));
        }
        for w in &row.workers {
            table
                .rows
                .push(line(&w.name, w.role_label, &w.phone, w.since));
        }
    }
    // A kelurahan with two workers has two rows: the total counts each kelurahan once.
    let mut total: Vec<Cell> = (0..table.headers.len())
        .map(|_| Cell::Text(String::new()))
        .collect();
    total[0] = Cell::Text(crate::progress::export::TOTAL_LABEL.into());
    total[1] = Cell::Text(format!("{} desa/kelurahan", rows.len()));
    total[7] = Cell::Int(rows.iter().map(|r| r.visits_this_month).sum());
    total[8] = Cell::Date(rows.iter().filter_map(|r| r.last_visit).max());
    table.total = Some(total);
    // The name says what it counts: the latest figures' date and this month's visits so far.
    let day = today();
    let figures = rows
        .iter()
        .filter_map(|r| r.figures.as_ref().map(|(d, _)| *d))
        .max()
        .map_or_else(|| "tanpa-data".into(), |d| d.to_string());
    let month_start = day.with_day(1).unwrap_or(day);
    download(
        &table,
        format,
        &format!("penugasan-data-{figures}-kunjungan-{month_start}-sd-{day}"),
    )
}
